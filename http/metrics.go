package lethehttp

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"lethe/engine"
	"lethe/ledger"
	"lethe/requests"
)

// Metrics are Lethe's Prometheus metrics. They live on their own registry,
// so tests can run several servers in one process. A *Metrics is also the
// scheduler's Observer.
type Metrics struct {
	reg         *prometheus.Registry
	rows        *prometheus.CounterVec
	held        *prometheus.CounterVec
	runs        *prometheus.HistogramVec
	guardTrips  *prometheus.CounterVec
	httpReqs    *prometheus.CounterVec
	httpLatency *prometheus.HistogramVec
}

// NewMetrics registers Lethe's metrics and the Go runtime's.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lethe_rows_processed_total",
			Help: "Rows changed (deactivated, anonymized, deleted, orphaned) by sweeps and erasures, per dataset, stage (the ledger reason) and tenant.",
		}, []string{"dataset", "stage", "tenant"}),
		held: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lethe_rows_held_total",
			Help: "Due rows skipped because of legal holds, per dataset, stage and tenant.",
		}, []string{"dataset", "stage", "tenant"}),
		runs: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lethe_run_duration_seconds",
			Help:    "Duration of sweeps, per rule (the subject or dataset, or api for sweeps asked through the API) and outcome.",
			Buckets: []float64{0.01, 0.05, 0.25, 1, 5, 30, 120, 600, 3600},
		}, []string{"rule", "status"}),
		guardTrips: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lethe_guard_trips_total",
			Help: "Runs the blast-radius guard stopped before any change, per rule.",
		}, []string{"rule"}),
		httpReqs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lethe_http_requests_total",
			Help: "API requests by operation and status.",
		}, []string{"operation", "status"}),
		httpLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lethe_http_request_duration_seconds",
			Help:    "API request latency by operation.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation"}),
	}
	m.reg.MustRegister(m.rows, m.held, m.runs, m.guardTrips, m.httpReqs, m.httpLatency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// RunFinished records one run of the scheduler (scheduler.Observer).
func (m *Metrics) RunFinished(rule string, _ time.Time, took time.Duration, res *engine.SweepResult, err error) {
	m.sweep(rule, took, res, err)
}

func (m *Metrics) sweep(rule string, took time.Duration, res *engine.SweepResult, err error) {
	status := "done"
	var guard *engine.GuardError
	switch {
	case errors.As(err, &guard):
		status = "guard"
		m.guardTrips.WithLabelValues(rule).Inc()
	case err != nil:
		status = "failed"
	}
	m.runs.WithLabelValues(rule, status).Observe(took.Seconds())
	if res != nil && !res.DryRun {
		m.entries(res.Entries)
	}
}

// entries counts what ledger entries record.
func (m *Metrics) entries(list []ledger.Entry) {
	for _, e := range list {
		if e.Rows > 0 {
			m.rows.WithLabelValues(e.Dataset, e.Reason, e.Tenant).Add(float64(e.Rows))
		}
		if e.Held > 0 {
			m.held.WithLabelValues(e.Dataset, e.Reason, e.Tenant).Add(float64(e.Held))
		}
	}
}

func (m *Metrics) request(op string, status int, took time.Duration) {
	m.httpReqs.WithLabelValues(op, strconv.Itoa(status)).Inc()
	m.httpLatency.WithLabelValues(op).Observe(took.Seconds())
}

// watch adds the gauges read from the database at scrape time: requests
// by status and overdue, and whether the ledger verifies. Verification
// reads the whole chain, so its result is kept for a minute.
func (m *Metrics) watch(store *requests.Store, l *ledger.Ledger, now func() time.Time) {
	m.reg.MustRegister(&dbCollector{store: store, ledger: l, now: now})
}

type dbCollector struct {
	store  *requests.Store
	ledger *ledger.Ledger
	now    func() time.Time

	mu       sync.Mutex
	verified time.Time
	report   ledger.Report
	err      error
}

var (
	requestsDesc = prometheus.NewDesc("lethe_requests", "Data-subject requests by status.", []string{"status"}, nil)
	overdueDesc  = prometheus.NewDesc("lethe_requests_overdue", "Requests still owed whose due date has passed.", nil, nil)
	verifyDesc   = prometheus.NewDesc("lethe_ledger_verify_ok", "1 when the ledger's hash chain verifies, 0 when it is broken or cannot be read.", nil, nil)
	sealedDesc   = prometheus.NewDesc("lethe_ledger_entries", "Sealed ledger entries at the last verification.", nil, nil)
	unsealedDesc = prometheus.NewDesc("lethe_ledger_unsealed_entries", "Ledger entries of runs that are running or crashed, at the last verification.", nil, nil)
)

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	if c.store != nil {
		ch <- requestsDesc
		ch <- overdueDesc
	}
	ch <- verifyDesc
	ch <- sealedDesc
	ch <- unsealedDesc
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c.store != nil {
		if list, err := c.store.List(ctx, requests.ListFilter{}); err == nil {
			at := c.now()
			counts := map[string]int{}
			overdue := 0
			for _, r := range list {
				counts[r.Status]++
				if r.Overdue(at) {
					overdue++
				}
			}
			for _, st := range []string{requests.Received, requests.Verified, requests.InProgress, requests.Completed, requests.Failed, requests.Rejected, requests.Closed} {
				ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.GaugeValue, float64(counts[st]), st)
			}
			ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, float64(overdue))
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.verified) > time.Minute {
		c.report, c.err = c.ledger.Verify(ctx)
		c.verified = time.Now()
	}
	ok := 0.0
	if c.err == nil && c.report.OK {
		ok = 1
	}
	ch <- prometheus.MustNewConstMetric(verifyDesc, prometheus.GaugeValue, ok)
	ch <- prometheus.MustNewConstMetric(sealedDesc, prometheus.GaugeValue, float64(c.report.Entries))
	ch <- prometheus.MustNewConstMetric(unsealedDesc, prometheus.GaugeValue, float64(len(c.report.Unsealed)))
}
