package ui

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"lethe"
	"lethe/engine"
	"lethe/ledger"
	"lethe/requests"
)

// reasons are the ledger's reasons, for the filter.
var reasons = []string{engine.ReasonDeactivate, engine.ReasonAnonymize, engine.ReasonDelete, engine.ReasonRetention,
	engine.ReasonRetentionAnonymize, engine.ReasonPurge, engine.ReasonErasure, ledger.ReasonPruned}

// ledgerForm is the ledger's filter as typed, for the form and links.
type ledgerForm struct {
	Tenant, Reason, Dataset, Since, Until string
}

// Query is the filter as a query string, for links to the evidence report
// and the CSV.
func (f ledgerForm) Query() string {
	v := url.Values{}
	for k, x := range map[string]string{"tenant": f.Tenant, "reason": f.Reason, "dataset": f.Dataset, "since": f.Since, "until": f.Until} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v.Encode()
}

const dateLayout = "2006-01-02"

// ledgerFilter reads the filter of the ledger and the evidence report. A
// scoped token always reads its own tenant; naming another is a 404.
func (s *server) ledgerFilter(r *http.Request, c *caller) (ledger.Filter, ledgerForm, error) {
	q := r.URL.Query()
	form := ledgerForm{Tenant: strings.TrimSpace(q.Get("tenant")), Reason: q.Get("reason"), Dataset: q.Get("dataset"),
		Since: strings.TrimSpace(q.Get("since")), Until: strings.TrimSpace(q.Get("until"))}
	if c.Tenant != nil {
		if form.Tenant != "" && form.Tenant != *c.Tenant {
			return ledger.Filter{}, form, lethe.Errorf(lethe.ENOTFOUND, "There is no such tenant.")
		}
		form.Tenant = *c.Tenant
	}
	c.tenant = form.Tenant
	f := ledger.Filter{Tenant: form.Tenant, Reason: form.Reason, Dataset: form.Dataset}
	var err error
	if form.Since != "" {
		if f.Since, err = time.Parse(dateLayout, form.Since); err != nil {
			return f, form, lethe.Errorf(lethe.EINVALID, "From: write a date as YYYY-MM-DD, not %q.", form.Since)
		}
	}
	if form.Until != "" {
		until, err := time.Parse(dateLayout, form.Until)
		if err != nil {
			return f, form, lethe.Errorf(lethe.EINVALID, "To: write a date as YYYY-MM-DD, not %q.", form.Until)
		}
		f.Until = until.AddDate(0, 0, 1) // the whole last day
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, form, lethe.Errorf(lethe.EINVALID, "From must come before To.")
	}
	return f, form, nil
}

// chainStatus is Verify's report in plain words.
type chainStatus struct {
	OK       bool
	Text     string
	Unsealed string
}

func (s *server) chain(ctx context.Context, c *caller) (chainStatus, error) {
	rep, err := s.cfg.Engine.Ledger().Verify(ctx)
	if err != nil {
		return chainStatus{}, err
	}
	st := chainStatus{OK: rep.OK}
	// A scoped token learns whether the chain holds, not how much other
	// tenants' work it holds.
	switch {
	case rep.OK && c.Scoped():
		st.Text = "Intact: every sealed entry's hash was recomputed and every link to the entry before it checked, just now."
	case rep.OK:
		st.Text = fmt.Sprintf("Intact: all %d sealed entries were recomputed and each links to the one before it; the head matches entry %d.", rep.Entries, rep.HeadSeq)
	case rep.BadID != 0:
		st.Text = fmt.Sprintf("Broken at entry %d: %s. The entries before it are intact; this one and what follows can no longer be trusted as evidence.", rep.BadID, rep.Problem)
	default:
		st.Text = "Broken: " + rep.Problem + "."
	}
	n := 0
	for _, e := range rep.Unsealed {
		if !c.Scoped() || e.Tenant == *c.Tenant {
			n++
		}
	}
	if n > 0 {
		st.Unsealed = plural(int64(n), "entry belongs", "entries belong") + " to runs still running or interrupted, and is not sealed into the chain yet."
		if n > 1 {
			st.Unsealed = strings.Replace(st.Unsealed, "and is not", "and are not", 1)
		}
	}
	return st, nil
}

type ledgerData struct {
	Form     ledgerForm
	Reasons  []string
	Datasets []string
	Entries  []ledger.Entry
	Total    int
	Shown    int
	Chain    chainStatus
	Chart    chart
	Scoped   bool
}

// maxShown bounds the entries one page lists; the CSV has them all.
const maxShown = 500

func (s *server) ledgerPage(w http.ResponseWriter, r *http.Request, c *caller) error {
	f, form, ferr := s.ledgerFilter(r, c)
	if isNotFound(ferr) {
		return ferr
	}
	data := ledgerData{Form: form, Reasons: reasons, Datasets: s.names(), Scoped: c.Scoped()}
	var err error
	if data.Chain, err = s.chain(r.Context(), c); err != nil {
		return err
	}
	if data.Chart, err = s.chart(r.Context(), form.Tenant); err != nil {
		return err
	}
	status, msg := http.StatusOK, ""
	if ferr != nil {
		status, msg = statusOf(ferr), lethe.ErrorMessage(ferr)
	} else {
		entries, err := s.cfg.Engine.Ledger().List(r.Context(), f)
		if err != nil {
			return err
		}
		data.Total = len(entries)
		for i := len(entries) - 1; i >= 0 && len(data.Entries) < maxShown; i-- { // newest first
			data.Entries = append(data.Entries, entries[i])
		}
		data.Shown = len(data.Entries)
	}
	s.render(w, r, c, status, "ledger", view{Title: "Ledger", Nav: "ledger", Error: msg, Page: data})
	return nil
}

// names lists the policy's subjects and datasets, the ledger's datasets.
func (s *server) names() []string {
	p := s.cfg.Engine.Policy()
	var out []string
	for _, sub := range p.Subjects {
		out = append(out, sub.Name)
	}
	for _, ds := range p.Datasets {
		out = append(out, ds.Name)
	}
	return out
}

// evidence is the report an auditor takes away: what ran in a period, how
// much it changed per dataset, which requests were answered in time, and
// whether the chain that proves it holds.
type evidence struct {
	Form        ledgerForm
	Scope       string
	From, To    string
	Generated   time.Time
	By          string
	Chain       chainStatus
	Runs        []runRow
	PerDataset  []datasetRow
	Rows, Held  int64
	Entries     []ledger.Entry
	Fulfilled   []requestEvidence
	InTime      int
	Overdue     []requestEvidence
	Chart       chart
	HasRequests bool
}

type runRow struct {
	RunID    string
	At       time.Time
	Actor    string
	Reasons  string
	Datasets int
	Rows     int64
	Held     int64
}

type datasetRow struct {
	Tenant, Dataset, Reason string
	Entries                 int
	Rows, Held              int64
}

type requestEvidence struct {
	requests.Request
	Rows   int64
	InTime bool
}

// evidenceDays is the period of a report when none is given.
const evidenceDays = 90

func (s *server) evidence(r *http.Request, c *caller) (*evidence, error) {
	f, form, err := s.ledgerFilter(r, c)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if f.Until.IsZero() {
		f.Until = day(now).AddDate(0, 0, 1)
	}
	if f.Since.IsZero() {
		f.Since = f.Until.AddDate(0, 0, -evidenceDays)
	}
	form.Since, form.Until = f.Since.Format(dateLayout), f.Until.AddDate(0, 0, -1).Format(dateLayout)
	ev := &evidence{Form: form, From: form.Since, To: form.Until, Generated: now, By: c.Name, Scope: "all tenants"}
	if form.Tenant != "" {
		ev.Scope = "tenant " + form.Tenant
	}
	ctx := r.Context()
	if ev.Chain, err = s.chain(ctx, c); err != nil {
		return nil, err
	}
	entries, err := s.cfg.Engine.Ledger().List(ctx, f)
	if err != nil {
		return nil, err
	}
	ev.Entries = entries
	runs := map[string]*runRow{}
	per := map[[3]string]*datasetRow{}
	runReasons := map[string]map[string]bool{}
	for _, e := range entries {
		ev.Rows += e.Rows
		ev.Held += e.Held
		run := runs[e.RunID]
		if run == nil {
			run = &runRow{RunID: e.RunID, At: e.At, Actor: e.Actor}
			runs[e.RunID] = run
			runReasons[e.RunID] = map[string]bool{}
		}
		if e.At.Before(run.At) {
			run.At = e.At
		}
		run.Datasets++
		run.Rows += e.Rows
		run.Held += e.Held
		runReasons[e.RunID][e.Reason] = true
		k := [3]string{e.Tenant, e.Dataset, e.Reason}
		d := per[k]
		if d == nil {
			d = &datasetRow{Tenant: e.Tenant, Dataset: e.Dataset, Reason: e.Reason}
			per[k] = d
		}
		d.Entries++
		d.Rows += e.Rows
		d.Held += e.Held
	}
	for id, run := range runs {
		var rs []string
		for reason := range runReasons[id] {
			rs = append(rs, reason)
		}
		sort.Strings(rs)
		run.Reasons = strings.Join(rs, ", ")
		ev.Runs = append(ev.Runs, *run)
	}
	sort.Slice(ev.Runs, func(i, j int) bool { return ev.Runs[i].At.Before(ev.Runs[j].At) })
	for _, d := range per {
		ev.PerDataset = append(ev.PerDataset, *d)
	}
	sort.Slice(ev.PerDataset, func(i, j int) bool {
		a, b := ev.PerDataset[i], ev.PerDataset[j]
		return a.Tenant+"\x00"+a.Dataset+"\x00"+a.Reason < b.Tenant+"\x00"+b.Dataset+"\x00"+b.Reason
	})

	if c.may(readRequests) {
		ev.HasRequests = true
		var tenant *string
		if form.Tenant != "" {
			tenant = &form.Tenant
		}
		list, err := s.cfg.Requests.List(ctx, requests.ListFilter{Tenant: tenant, At: now})
		if err != nil {
			return nil, err
		}
		end := f.Until
		if now.Before(end) {
			end = now
		}
		for _, q := range list {
			switch {
			case q.FulfilledAt != nil && !q.FulfilledAt.Before(f.Since) && q.FulfilledAt.Before(f.Until):
				re := requestEvidence{Request: q, InTime: !q.FulfilledAt.After(q.DueAt)}
				if q.Kind == requests.Erasure {
					re.Rows = erasedRows(q)
				}
				if re.InTime {
					ev.InTime++
				}
				ev.Fulfilled = append(ev.Fulfilled, re)
			case q.Status != requests.Rejected && q.ReceivedAt.Before(end) && q.DueAt.Before(end) && (q.FulfilledAt == nil || !q.FulfilledAt.Before(end)):
				ev.Overdue = append(ev.Overdue, requestEvidence{Request: q})
			}
		}
		sort.Slice(ev.Fulfilled, func(i, j int) bool { return ev.Fulfilled[i].FulfilledAt.Before(*ev.Fulfilled[j].FulfilledAt) })
	}
	ev.Chart = chartFrom(entries, f.Until.AddDate(0, 0, -1))
	return ev, nil
}

func erasedRows(q requests.Request) int64 {
	var res requests.ErasureResult
	if err := json.Unmarshal(q.Result, &res); err != nil {
		return 0
	}
	return res.Rows
}

func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (s *server) evidencePage(w http.ResponseWriter, r *http.Request, c *caller) error {
	ev, err := s.evidence(r, c)
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "evidence", view{Title: "Evidence report", Nav: "evidence", Page: ev})
	return nil
}

// csvHeader is the evidence CSV's header: one row per ledger entry
// (record "entry"), per request fulfilled in the period ("request") or
// overdue at its end ("overdue"), and one for the chain ("chain").
var csvHeader = []string{"record", "tenant", "at", "run_id", "reason", "dataset", "rows", "held", "actor",
	"request", "subject", "due_at", "fulfilled_at", "within_deadline", "note"}

func (s *server) evidenceCSV(w http.ResponseWriter, r *http.Request, c *caller) error {
	ev, err := s.evidence(r, c)
	if err != nil {
		return err
	}
	name := "lethe-evidence-" + ev.From + "-to-" + ev.To
	if ev.Form.Tenant != "" {
		name += "-" + ev.Form.Tenant
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name)+".csv")
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	write := func(rec ...string) {
		for i := range rec {
			rec[i] = cell(rec[i])
		}
		cw.Write(rec)
	}
	write(csvHeader...)
	for _, e := range ev.Entries {
		write("entry", e.Tenant, stamp(e.At), e.RunID, e.Reason, e.Dataset, strconv.FormatInt(e.Rows, 10), strconv.FormatInt(e.Held, 10),
			e.Actor, "", e.SubjectKey, "", "", "", e.Note)
	}
	for _, q := range ev.Fulfilled {
		write("request", q.Tenant, stamp(*q.FulfilledAt), "", q.Kind, "", strconv.FormatInt(q.Rows, 10), "", "",
			strconv.FormatInt(q.ID, 10), q.Subject(), stamp(q.DueAt), stamp(*q.FulfilledAt), yesNo(q.InTime), "")
	}
	for _, q := range ev.Overdue {
		write("overdue", q.Tenant, stamp(q.ReceivedAt), "", q.Kind, "", "", "", "",
			strconv.FormatInt(q.ID, 10), q.Subject(), stamp(q.DueAt), "", "no", "status "+q.Status)
	}
	state := "intact"
	if !ev.Chain.OK {
		state = "broken"
	}
	write("chain", ev.Form.Tenant, stamp(ev.Generated), "", state, "", "", "", ev.By, "", "", "", "", "", ev.Chain.Text)
	cw.Flush()
	return cw.Error()
}

// cell keeps a spreadsheet from reading text as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
