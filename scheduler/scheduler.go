package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"lethe"
	"lethe/dialect"
	"lethe/engine"
	"lethe/ledger"
	"lethe/requests"
	"lethe/schedule"
)

// Engine is what the scheduler needs of *engine.Engine.
type Engine interface {
	Policy() *lethe.Policy
	Sweep(ctx context.Context, opts engine.SweepOptions) (*engine.SweepResult, error)
	Ledger() *ledger.Ledger
	Dialect() dialect.Dialect
}

// Resumer finishes interrupted erasures: *requests.Store.
type Resumer interface {
	Resume(ctx context.Context, by string, at time.Time) ([]requests.Request, error)
}

// Observer hears about every run, for metrics. res may be nil.
type Observer interface {
	RunFinished(rule string, period time.Time, took time.Duration, res *engine.SweepResult, err error)
}

// Config configures a Scheduler. Zero durations take the defaults.
type Config struct {
	Engine  Engine
	Resumer Resumer  // nil: requests are not resumed
	Observe Observer // nil: no metrics
	Log     *slog.Logger
	// Now is the clock: schedules, leases and "as of" times all read it.
	Now func() time.Time
	// Location is the time zone schedules are read in (midnight where?).
	Location *time.Location
	// Holder names this replica in lease rows; host-pid-random by default.
	Holder string
	// LeaseTTL is how long a lease lasts without renewal: how long a dead
	// holder's run waits before another replica takes it over.
	LeaseTTL time.Duration
	// RenewEvery is how often a running holder renews, in real time.
	RenewEvery time.Duration
	// RetryAfter is how long a failed run waits before it is tried again.
	RetryAfter time.Duration
	// Poll is how often Run looks for due work, in real time.
	Poll time.Duration
	// ResumeEvery is how often interrupted erasures are looked for.
	ResumeEvery time.Duration
	// Grace is how long a run goes on after shutdown is asked for, so it
	// ends on a finished batch rather than a rolled-back one.
	Grace time.Duration
	// Batch and MaxRate are passed to every sweep.
	Batch   int
	MaxRate float64
}

// Defaults of Config.
const (
	DefaultLeaseTTL    = 2 * time.Minute
	DefaultRetryAfter  = 5 * time.Minute
	DefaultPoll        = 30 * time.Second
	DefaultResumeEvery = 5 * time.Minute
	DefaultGrace       = 20 * time.Second
)

// Rule is one scheduled piece of work.
type Rule struct {
	Name     string // the subject or dataset the sweep is limited to, or PruneRule
	Schedule lethe.Schedule
}

// PruneRule prunes the ledger past ledger.keep, daily. Its name cannot be
// a subject or dataset (their names are identifiers).
const PruneRule = "@ledger_prune"

// resumeRule is the lease that lets one replica at a time resume requests.
const resumeRule = "@resume_requests"

var daily lethe.Schedule

func init() {
	s, err := schedule.Parse("daily")
	if err != nil {
		panic(err)
	}
	daily = s
}

// Rules lists a policy's scheduled work: one rule per subject with a
// lifecycle or soft delete (on the lifecycle's schedule), one per dataset
// with retention or soft delete (on the retention's schedule), and the
// daily ledger pruning. A rule without a schedule runs daily. A sweep
// limited to a name runs every stage of it, so stages of one subject that
// name different schedules run on the lifecycle's (see Warnings).
func Rules(p *lethe.Policy) []Rule {
	var out []Rule
	for _, s := range p.Subjects {
		stages := s.Lifecycle.Stages()
		if len(stages) == 0 && s.SoftDelete == nil {
			continue
		}
		sched := s.Lifecycle.Schedule
		for _, st := range stages {
			if sched == nil && st.Schedule != nil {
				sched = st.Schedule
			}
		}
		out = append(out, Rule{Name: s.Name, Schedule: orDaily(sched)})
	}
	for _, ds := range p.Datasets {
		if ds.Retention == nil && ds.SoftDelete == nil {
			continue
		}
		var sched lethe.Schedule
		if ds.Retention != nil {
			sched = ds.Retention.Schedule
		}
		out = append(out, Rule{Name: ds.Name, Schedule: orDaily(sched)})
	}
	if !p.LedgerKeep.Off() {
		out = append(out, Rule{Name: PruneRule, Schedule: daily})
	}
	return out
}

// Warnings lists what Rules had to simplify: stages whose own schedule
// differs from the one their subject's rule runs on.
func Warnings(p *lethe.Policy) []string {
	var out []string
	rules := map[string]lethe.Schedule{}
	for _, r := range Rules(p) {
		rules[r.Name] = r.Schedule
	}
	for _, s := range p.Subjects {
		for _, st := range s.Lifecycle.Stages() {
			if st.Schedule != nil && rules[s.Name] != nil && st.Schedule.String() != rules[s.Name].String() {
				out = append(out, fmt.Sprintf("subject %s: stage %s names schedule %q, but the subject's stages run together on %q", s.Name, st.Kind, st.Schedule, rules[s.Name]))
			}
		}
	}
	return out
}

func orDaily(s lethe.Schedule) lethe.Schedule {
	if s == nil {
		return daily
	}
	return s
}

// Prev returns the latest time the schedule fires at or before now, in
// now's location, or the zero time when it has not fired in five years.
// Schedules only say "next after", so Prev walks forward from ever longer
// looks back: an hour covers a minutely cron in 60 steps, a year a yearly
// one.
func Prev(s lethe.Schedule, now time.Time) time.Time {
	for _, back := range []time.Duration{time.Hour, 25 * time.Hour, 8 * 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour, 5 * 366 * 24 * time.Hour} {
		var last time.Time
		for t := s.Next(now.Add(-back)); !t.IsZero() && !t.After(now); t = s.Next(t) {
			last = t
		}
		if !last.IsZero() {
			return last
		}
	}
	return time.Time{}
}

// Scheduler runs the rules of one engine.
type Scheduler struct {
	cfg    Config
	rules  []Rule
	leases *Leases
	log    *slog.Logger

	mu         sync.Mutex
	done       map[string]time.Time // per rule, the latest period known done
	nextResume time.Time
}

// New returns a scheduler for cfg.Engine's policy.
func New(cfg Config) *Scheduler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Holder == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		rand.Read(b)
		cfg.Holder = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	// lethe_leases.holder holds 255 characters; MySQL's INSERT IGNORE
	// would otherwise turn a longer name into a claim that never succeeds.
	if r := []rune(cfg.Holder); len(r) > 255 {
		cfg.Holder = string(r[:255])
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&cfg.LeaseTTL, DefaultLeaseTTL}, {&cfg.RetryAfter, DefaultRetryAfter}, {&cfg.Poll, DefaultPoll}, {&cfg.ResumeEvery, DefaultResumeEvery}} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if cfg.RenewEvery <= 0 {
		cfg.RenewEvery = cfg.LeaseTTL / 3
	}
	if cfg.Grace < 0 {
		cfg.Grace = 0
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{cfg: cfg, rules: Rules(cfg.Engine.Policy()), leases: NewLeases(cfg.Engine.Dialect()), log: log, done: map[string]time.Time{}}
	for _, w := range Warnings(cfg.Engine.Policy()) {
		log.Warn("schedule simplified", "detail", w)
	}
	return s
}

// Rules returns the rules the scheduler runs.
func (s *Scheduler) Rules() []Rule { return s.rules }

// Leases returns the lease store.
func (s *Scheduler) Leases() *Leases { return s.leases }

// Holder is the name this replica claims leases under.
func (s *Scheduler) Holder() string { return s.cfg.Holder }

// Run works until ctx is done: at once (which runs what was missed while
// no replica was up), then every Poll.
func (s *Scheduler) Run(ctx context.Context) {
	s.Tick(ctx)
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Tick(ctx)
		}
	}
}

// RunReport is what one Tick did about one rule it claimed.
type RunReport struct {
	Rule    string
	Period  time.Time
	Attempt int
	Status  string // a Status* constant, or "" when the lease was lost or given up
	Result  *engine.SweepResult
	Err     error
}

// Tick runs, one after another, every rule whose latest scheduled period
// is not done and whose lease this replica gets, then resumes interrupted
// erasures when that is due. It returns what it ran.
func (s *Scheduler) Tick(ctx context.Context) []RunReport {
	var out []RunReport
	for _, r := range s.rules {
		if ctx.Err() != nil {
			return out
		}
		period := Prev(r.Schedule, s.cfg.Now().In(s.cfg.Location))
		if period.IsZero() {
			continue
		}
		period = period.UTC()
		s.mu.Lock()
		known := !s.done[r.Name].Before(period)
		s.mu.Unlock()
		if known {
			continue
		}
		if rep, ran := s.runRule(ctx, r, period); ran {
			out = append(out, rep)
		}
	}
	s.resume(ctx)
	return out
}

func (s *Scheduler) markDone(rule string, period time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if period.After(s.done[rule]) {
		s.done[rule] = period
	}
}

// actor is what the ledger records as having run a rule: the schedule's
// name (SPEC section 2).
func actor(rule string) string { return "schedule:" + rule }

func (s *Scheduler) runRule(ctx context.Context, r Rule, period time.Time) (RunReport, bool) {
	log := s.log.With("rule", r.Name, "period", period.Format(time.RFC3339))
	attempt, ok, err := s.leases.Claim(ctx, r.Name, period, s.cfg.Holder, s.cfg.Now(), s.cfg.LeaseTTL)
	if err != nil {
		log.Error("claim lease", "err", err)
		return RunReport{}, false
	}
	if !ok {
		if st, err := s.leases.Get(ctx, r.Name, period); err == nil && st.DoneAt != nil {
			s.markDone(r.Name, period)
		}
		return RunReport{}, false
	}
	log = log.With("attempt", attempt)
	if attempt > 1 {
		log.Info("taking over a run whose holder let its lease expire")
	}
	rep := RunReport{Rule: r.Name, Period: period, Attempt: attempt}

	// The run gets its own context: shutdown (ctx) leaves it Grace to end
	// on a committed batch; a lost lease stops it at once.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	lost := make(chan struct{})
	stopped := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.keepLease(runCtx, ctx, cancel, r.Name, period, lost, stopped)
	}()
	start := time.Now()
	rep.Result, rep.Err = s.execute(runCtx, r, period, attempt)
	took := time.Since(start)
	close(stopped)
	wg.Wait()

	// Record the outcome even when shutting down.
	endCtx, endCancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer endCancel()
	var guard *engine.GuardError
	select {
	case <-lost:
		log.Warn("lease lost: another replica took the run over", "err", rep.Err)
		s.observe(r.Name, period, took, rep)
		return rep, true
	default:
	}
	switch {
	case rep.Err == nil:
		rep.Status = StatusDone
	case errors.As(rep.Err, &guard):
		rep.Status = StatusGuard
		log.Warn("the blast-radius guard stopped a scheduled run; run it with confirm after reading the plan", "trips", len(guard.Trips))
	case ctx.Err() != nil:
		// Shutting down: let another replica go on at once.
		log.Info("run interrupted by shutdown; released for another replica", "err", rep.Err)
		if err := s.leases.Release(endCtx, r.Name, period, s.cfg.Holder, StatusRunning, s.cfg.Now()); err != nil {
			log.Error("release lease", "err", err)
		}
		s.observe(r.Name, period, took, rep)
		return rep, true
	default:
		rep.Status = StatusFailed
		log.Error("scheduled run failed; it is retried", "err", rep.Err, "retry_after", s.cfg.RetryAfter)
		if err := s.leases.Release(endCtx, r.Name, period, s.cfg.Holder, StatusFailed, s.cfg.Now().Add(s.cfg.RetryAfter)); err != nil {
			log.Error("release lease", "err", err)
		}
		s.observe(r.Name, period, took, rep)
		return rep, true
	}
	if err := s.leases.Finish(endCtx, r.Name, period, s.cfg.Holder, rep.Status, s.cfg.Now()); err != nil {
		log.Error("finish lease", "err", err)
		rep.Status = ""
	} else {
		s.markDone(r.Name, period)
		log.Info("scheduled run finished", "status", rep.Status, "took", took)
	}
	s.observe(r.Name, period, took, rep)
	return rep, true
}

func (s *Scheduler) observe(rule string, period time.Time, took time.Duration, rep RunReport) {
	if s.cfg.Observe != nil {
		s.cfg.Observe.RunFinished(rule, period, took, rep.Result, rep.Err)
	}
}

// keepLease renews the lease every RenewEvery until stopped. When the
// lease is lost it closes lost and cancels the run; when shutdown (parent)
// comes, it cancels the run after Grace.
func (s *Scheduler) keepLease(runCtx, parent context.Context, cancel context.CancelFunc, rule string, period time.Time, lost, stopped chan struct{}) {
	t := time.NewTicker(s.cfg.RenewEvery)
	defer t.Stop()
	shutdown := parent.Done()
	var grace <-chan time.Time
	for {
		select {
		case <-stopped:
			return
		case <-shutdown:
			shutdown = nil
			timer := time.NewTimer(s.cfg.Grace)
			defer timer.Stop()
			grace = timer.C
		case <-grace:
			cancel()
		case <-t.C:
			ok, err := s.leases.Renew(runCtx, rule, period, s.cfg.Holder, s.cfg.Now(), s.cfg.LeaseTTL)
			if err != nil {
				s.log.Warn("renew lease", "rule", rule, "err", err)
				continue // try again; the lease outlives a few misses
			}
			if !ok {
				close(lost)
				cancel()
				return
			}
		}
	}
}

// execute runs one rule for one period.
func (s *Scheduler) execute(ctx context.Context, r Rule, period time.Time, attempt int) (*engine.SweepResult, error) {
	e := s.cfg.Engine
	if r.Name == PruneRule {
		keep := e.Policy().LedgerKeep
		n, err := e.Ledger().Prune(ctx, keep.Before(period), actor(r.Name), period)
		return &engine.SweepResult{Pruned: n}, err
	}
	res, err := e.Sweep(ctx, engine.SweepOptions{At: period, Only: r.Name, Actor: actor(r.Name), Batch: s.cfg.Batch, MaxRate: s.cfg.MaxRate})
	if err == nil && attempt > 1 {
		err = s.sealOrphans(ctx, r, period)
	}
	return res, err
}

// sealOrphans seals the ledger entries earlier attempts of this run left
// open: their counts are exact (each was added in the transaction that
// changed the rows), and sealing them puts them in the chain, where a
// holder that is not dead after all can no longer add to them.
func (s *Scheduler) sealOrphans(ctx context.Context, r Rule, period time.Time) error {
	l := s.cfg.Engine.Ledger()
	entries, err := l.List(ctx, ledger.Filter{Since: period, Until: period.Add(time.Microsecond)})
	if err != nil {
		return err
	}
	for _, en := range entries {
		if en.Sealed() || en.Actor != actor(r.Name) {
			continue
		}
		if _, err := l.Seal(ctx, en.ID, ""); err != nil && lethe.ErrorCode(err) != lethe.ECONFLICT {
			return err
		}
	}
	return nil
}

// resumeEpoch is the period of the resume lease: one row, claimed again
// each time it expires.
var resumeEpoch = time.Unix(0, 0).UTC()

// resume finishes interrupted erasures, by one replica at a time and at
// most every ResumeEvery across all of them.
func (s *Scheduler) resume(ctx context.Context) {
	if s.cfg.Resumer == nil {
		return
	}
	now := s.cfg.Now()
	s.mu.Lock()
	due := !now.Before(s.nextResume)
	s.mu.Unlock()
	if !due {
		return
	}
	_, ok, err := s.leases.Claim(ctx, resumeRule, resumeEpoch, s.cfg.Holder, now, s.cfg.LeaseTTL)
	if err != nil {
		s.log.Error("claim the resume lease", "err", err)
		return
	}
	s.mu.Lock()
	s.nextResume = now.Add(s.cfg.ResumeEvery)
	s.mu.Unlock()
	if !ok {
		return
	}
	done, err := s.cfg.Resumer.Resume(ctx, "scheduler", now)
	if err != nil {
		s.log.Error("resume interrupted erasures", "err", err)
	}
	for _, r := range done {
		s.log.Info("resumed an interrupted erasure", "request", r.ID, "status", r.Status)
	}
	// The lease is kept until ResumeEvery has passed, so the replicas
	// between them resume once per interval.
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.leases.Release(endCtx, resumeRule, resumeEpoch, s.cfg.Holder, StatusDone, now.Add(s.cfg.ResumeEvery)); err != nil {
		s.log.Error("release the resume lease", "err", err)
	}
}
