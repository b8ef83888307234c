package scheduler_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lethe"
	"lethe/connect"
	"lethe/demo"
	"lethe/dialect"
	"lethe/dialect/dialecttest"
	"lethe/engine"
	"lethe/examples"
	"lethe/ledger"
	"lethe/policy"
	"lethe/requests"
	"lethe/schedule"
	"lethe/scheduler"
)

var ctx = context.Background()

// clock is the simulated time every replica reads.
type clock struct{ ns atomic.Int64 }

func (c *clock) set(t time.Time) { c.ns.Store(t.UnixNano()) }
func (c *clock) now() time.Time  { return time.Unix(0, c.ns.Load()).UTC() }

// start is when the demo data is dated from and the simulation begins.
var start = time.Date(2024, 3, 28, 12, 0, 0, 0, time.UTC)

// populate creates a database with the demo application at url.
func populate(t *testing.T, h dialecttest.Harness, rows int) string {
	t.Helper()
	url := h.URL(t)
	d := open(t, url)
	dialecttest.CreateSaaSSchema(t, h, d)
	if _, err := demo.Populate(ctx, d, demo.Options{Rows: rows, Seed: 7, Now: start}); err != nil {
		t.Fatal(err)
	}
	return url
}

func open(t *testing.T, url string) dialect.Dialect {
	t.Helper()
	d, err := connect.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// replica is one "lethe serve" process: its own connections, engine and
// scheduler.
func replica(t *testing.T, url, name string, c *clock, archive string, tune func(*scheduler.Config)) (*scheduler.Scheduler, dialect.Dialect) {
	t.Helper()
	d := open(t, url)
	p, err := policy.Load("saas.yaml", examples.SaaS)
	if err != nil {
		t.Fatal(err)
	}
	// A first run over years of demo history would trip the guard, which
	// a scheduled run respects; these tests are about the schedule.
	p.Guard = lethe.Guard{}
	p.ArchiveDir = archive
	e, err := engine.New(ctx, p, d, engine.Config{Secret: []byte("scheduler-test-secret")})
	if err != nil {
		t.Fatal(err)
	}
	e.Ledger().Now = c.now
	cfg := scheduler.Config{Engine: e, Now: c.now, Holder: name, LeaseTTL: time.Minute, RenewEvery: time.Hour}
	if tune != nil {
		tune(&cfg)
	}
	return scheduler.New(cfg), d
}

// tickAll ticks every scheduler at once, as replicas polling together.
func tickAll(t *testing.T, ss []*scheduler.Scheduler) []scheduler.RunReport {
	t.Helper()
	var mu sync.Mutex
	var all []scheduler.RunReport
	var wg sync.WaitGroup
	for _, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps := s.Tick(ctx)
			mu.Lock()
			all = append(all, reps...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all
}

func listLedger(t *testing.T, d dialect.Dialect) []ledger.Entry {
	t.Helper()
	list, err := ledger.New(d).List(ctx, ledger.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestExactlyOnceAcrossReplicas runs three replicas over two simulated
// weeks, with a month start, two Mondays, hours within one day and five
// days with every replica down: each rule runs once per scheduled period,
// which the ledger proves.
func TestExactlyOnceAcrossReplicas(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		url := populate(t, h, 60)
		c := &clock{}
		c.set(start)
		archive := t.TempDir()
		var ss []*scheduler.Scheduler
		var d dialect.Dialect
		for i := range 3 {
			s, di := replica(t, url, fmt.Sprintf("replica-%d", i+1), c, archive, nil)
			ss, d = append(ss, s), di
		}
		var steps []time.Time
		for day := 0; day < 7; day++ { // 03-28 .. 04-03: daily, a Monday, a month start
			steps = append(steps, start.AddDate(0, 0, day))
		}
		steps = append(steps, start.AddDate(0, 0, 6).Add(3*time.Hour), start.AddDate(0, 0, 6).Add(11*time.Hour)) // same day again
		steps = append(steps, start.AddDate(0, 0, 12), start.AddDate(0, 0, 13))                                  // down five days, then on

		rules := ss[0].Rules()
		want := map[string]map[time.Time]bool{}
		for _, r := range rules {
			want[r.Name] = map[time.Time]bool{}
		}
		ran := map[string]int{}
		for _, at := range steps {
			c.set(at)
			for _, r := range rules {
				want[r.Name][scheduler.Prev(r.Schedule, at).UTC()] = true
			}
			for _, rep := range tickAll(t, ss) {
				if rep.Status != scheduler.StatusDone {
					t.Errorf("%s at %s: status %q, err %v", rep.Rule, rep.Period, rep.Status, rep.Err)
				}
				ran[rep.Rule+"@"+rep.Period.Format(time.RFC3339)]++
			}
		}
		for key, n := range ran {
			if n != 1 {
				t.Errorf("%s ran %d times", key, n)
			}
		}

		// The ledger: per rule and period one run, one entry per dataset,
		// tenant and reason; nothing unsealed.
		type runKey struct {
			actor string
			at    time.Time
		}
		runs := map[runKey]map[string]bool{}
		entries := map[string]int{}
		for _, e := range listLedger(t, d) {
			if !e.Sealed() {
				t.Errorf("unsealed entry %+v", e)
			}
			k := runKey{e.Actor, e.At}
			if runs[k] == nil {
				runs[k] = map[string]bool{}
			}
			runs[k][e.RunID] = true
			entries[fmt.Sprintf("%s@%s %s/%s/%s", e.Actor, e.At.Format(time.RFC3339), e.Dataset, e.Tenant, e.Reason)]++
		}
		for k, n := range entries {
			if n != 1 {
				t.Errorf("%d ledger entries for %s", n, k)
			}
		}
		// A run over a table whose tenants are all gone (every session
		// expired and purged) writes no entry, so the ledger shows a subset
		// of the periods; the leases show them all.
		leases, err := ss[0].Leases().List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rules {
			var inLedger, leased, exp []string
			for k, ids := range runs {
				if k.actor == "schedule:"+r.Name {
					inLedger = append(inLedger, k.at.Format(time.RFC3339))
					if len(ids) != 1 {
						t.Errorf("%s at %s: %d runs in the ledger", r.Name, k.at, len(ids))
					}
					if !want[r.Name][k.at] {
						t.Errorf("%s ran for %s, which is no scheduled period", r.Name, k.at)
					}
				}
			}
			for _, l := range leases {
				if l.Rule == r.Name {
					leased = append(leased, l.Period.Format(time.RFC3339))
				}
			}
			for p := range want[r.Name] {
				exp = append(exp, p.Format(time.RFC3339))
			}
			sort.Strings(leased)
			sort.Strings(exp)
			if fmt.Sprint(leased) != fmt.Sprint(exp) {
				t.Errorf("rule %s (%s) ran for %v, want %v", r.Name, r.Schedule, leased, exp)
			}
			if r.Name == "user" && len(inLedger) != len(exp) {
				t.Errorf("the ledger shows user's runs for %v, want %v", inLedger, exp)
			}
		}
		// Spot checks of the schedules themselves.
		if !want["participant"][time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)] || len(want["participant"]) != 2 {
			t.Errorf("monthly participant periods %v", want["participant"])
		}
		if len(want["invitations"]) != 3 { // Mondays 03-25, 04-01, 04-08
			t.Errorf("weekly invitations periods %v", want["invitations"])
		}
		for _, l := range leases {
			if l.Status != scheduler.StatusDone || l.Attempts != 1 || l.DoneAt == nil {
				t.Errorf("lease %+v", l)
			}
		}
		rep, err := ledger.New(d).Verify(ctx)
		if err != nil || !rep.OK {
			t.Errorf("ledger verify: %+v, %v", rep, err)
		}
	})
}

// TestTakeover kills the replica holding a run after its first batches,
// lets the lease expire, and checks that another replica finishes the run
// and that the ledger's totals equal those of an uninterrupted run on an
// identical database.
func TestTakeover(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		const rows = 200
		interrupted, clean := populate(t, h, rows), populate(t, h, rows)
		c := &clock{}
		c.set(start)
		archive := t.TempDir()
		watch := open(t, interrupted)

		// Replica 1 works slowly, so it is caught mid-run: 5 rows a
		// batch, 100 rows a second.
		s1, d1 := replica(t, interrupted, "doomed", c, archive, func(cfg *scheduler.Config) { cfg.Batch, cfg.MaxRate = 5, 100 })
		killed := make(chan struct{})
		go func() {
			defer close(killed)
			q := "SELECT COUNT(*) FROM lethe_ledger WHERE seq IS NULL AND " + watch.Quote("rows") + " > 0"
			for range 5000 {
				var n int
				if err := watch.DB().QueryRowContext(ctx, q).Scan(&n); err == nil && n > 0 {
					d1.Close() // the process dies: its connections are gone
					return
				}
				time.Sleep(2 * time.Millisecond)
			}
		}()
		reps := s1.Tick(ctx)
		<-killed
		if len(reps) == 0 || reps[0].Err == nil {
			t.Fatalf("the doomed replica finished its run: %+v", reps)
		}
		victim := reps[0].Rule
		var partial int64
		for _, e := range listLedger(t, watch) {
			if !e.Sealed() {
				partial += e.Rows
			}
		}
		if partial == 0 {
			t.Fatal("the doomed replica committed nothing before it died")
		}

		s2, _ := replica(t, interrupted, "survivor", c, archive, nil)
		// Asked directly, not by Tick: a Tick now would run the other rules
		// before the rest of the victim's, an order the clean run cannot
		// repeat (purging soft-deleted organisations takes their users).
		if _, ok, err := s2.Leases().Claim(ctx, victim, reps[0].Period, "survivor", c.now(), time.Minute); ok || err != nil {
			t.Fatalf("the survivor took the run over before the lease expired (%v)", err)
		}
		c.set(start.Add(2 * time.Minute)) // past the lease's minute
		reps = s2.Tick(ctx)
		took := ranRule(reps, victim)
		if len(took) != 1 || took[0].Attempt != 2 || took[0].Status != scheduler.StatusDone {
			t.Fatalf("takeover of %s: %+v", victim, took)
		}
		for _, rep := range reps {
			if rep.Status != scheduler.StatusDone {
				t.Errorf("%s: %q %v", rep.Rule, rep.Status, rep.Err)
			}
		}

		s3, d3 := replica(t, clean, "clean", c, t.TempDir(), nil)
		c.set(start)
		for _, rep := range s3.Tick(ctx) {
			if rep.Status != scheduler.StatusDone {
				t.Errorf("clean run %s: %q %v", rep.Rule, rep.Status, rep.Err)
			}
		}

		got, want := totals(listLedger(t, watch)), totals(listLedger(t, d3))
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("totals after takeover:\n%v\nuninterrupted:\n%v", got, want)
		}
		if got[victim] == 0 {
			t.Errorf("the interrupted rule %s changed nothing: %v", victim, got)
		}
		rep, err := ledger.New(watch).Verify(ctx)
		if err != nil || !rep.OK || len(rep.Unsealed) != 0 {
			t.Errorf("after takeover the ledger verifies %v with %d unsealed entries (%v)", rep.OK, len(rep.Unsealed), err)
		}
	})
}

func ranRule(reps []scheduler.RunReport, rule string) []scheduler.RunReport {
	var out []scheduler.RunReport
	for _, r := range reps {
		if r.Rule == rule {
			out = append(out, r)
		}
	}
	return out
}

// totals sums rows per dataset, tenant and reason, and per rule (the
// actor's schedule).
func totals(list []ledger.Entry) map[string]int64 {
	out := map[string]int64{}
	for _, e := range list {
		if e.Reason == ledger.ReasonPruned {
			continue // counts ledger entries, which differ by design
		}
		out[e.Dataset+"/"+e.Tenant+"/"+e.Reason] += e.Rows
		out[e.Actor[len("schedule:"):]] += e.Rows
	}
	return out
}

func TestPrev(t *testing.T) {
	at := time.Date(2024, 4, 3, 15, 4, 0, 0, time.UTC)
	for _, tt := range []struct{ sched, want string }{
		{"daily", "2024-04-03T00:00:00Z"},
		{"weekly", "2024-04-01T00:00:00Z"},
		{"monthly", "2024-04-01T00:00:00Z"},
		{"*/5 * * * *", "2024-04-03T15:00:00Z"},
		{"0 0 1 1 *", "2024-01-01T00:00:00Z"},
		{"30 2 29 2 *", "2024-02-29T02:30:00Z"},
	} {
		s, err := schedule.Parse(tt.sched)
		if err != nil {
			t.Fatal(err)
		}
		if got := scheduler.Prev(s, at).Format(time.RFC3339); got != tt.want {
			t.Errorf("Prev(%s) = %s, want %s", tt.sched, got, tt.want)
		}
	}
	s, _ := schedule.Parse("daily")
	if got := scheduler.Prev(s, time.Date(2024, 4, 3, 0, 0, 0, 0, time.UTC)); !got.Equal(time.Date(2024, 4, 3, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("a schedule firing exactly now: Prev = %s", got)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if got := scheduler.Prev(s, at.In(berlin)).UTC(); !got.Equal(time.Date(2024, 4, 2, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("daily in Berlin: Prev = %s", got)
	}
}

func TestRules(t *testing.T) {
	p, err := policy.Load("saas.yaml", examples.SaaS)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range scheduler.Rules(p) {
		got = append(got, r.Name+":"+r.Schedule.String())
	}
	want := "[user:daily participant:monthly identity_events:daily audit_logs:daily support_tickets:weekly webhook_secrets:daily invitations:weekly sessions:daily organisations:daily @ledger_prune:daily]"
	if fmt.Sprint(got) != want {
		t.Errorf("rules %v\nwant %s", got, want)
	}
	if w := scheduler.Warnings(p); len(w) != 0 {
		t.Errorf("warnings %v", w)
	}
}

// TestResumesInterruptedErasures leaves an accepted erasure in_progress,
// as a process dying after accepting it would, and checks that a
// replica's Tick finishes it, once.
func TestResumesInterruptedErasures(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		url := populate(t, h, 100)
		c := &clock{}
		c.set(start)
		var ss []*scheduler.Scheduler
		var store *requests.Store
		var d dialect.Dialect
		for i := range 2 {
			var e *engine.Engine
			s, di := replica(t, url, fmt.Sprintf("replica-%d", i+1), c, t.TempDir(), func(cfg *scheduler.Config) {
				e = cfg.Engine.(*engine.Engine)
				store = requests.New(e)
				cfg.Resumer = store
			})
			ss, d = append(ss, s), di
		}
		r, err := store.Open(ctx, requests.OpenInput{Kind: requests.Erasure, Subject: "contact:c_81", Tenant: "acme", Requester: "C. 81", Actor: "op", At: start})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Verify(ctx, r.ID, "op", requests.ByOperator, start); err != nil {
			t.Fatal(err)
		}
		// The process dies right after marking the request accepted.
		if _, err := d.DB().ExecContext(ctx, "UPDATE lethe_requests SET status = "+d.Placeholder(1)+" WHERE id = "+d.Placeholder(2), requests.InProgress, r.ID); err != nil {
			t.Fatal(err)
		}
		tickAll(t, ss)
		got, events, err := store.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != requests.Completed {
			t.Fatalf("after a tick the request is %s", got.Status)
		}
		resumed := 0
		for _, ev := range events {
			if ev.Event == "resumed" {
				resumed++
				if ev.Actor != "scheduler" {
					t.Errorf("resumed by %q", ev.Actor)
				}
			}
		}
		if resumed != 1 {
			t.Errorf("resumed %d times: %+v", resumed, events)
		}
	})
}

// observer tells the test when a rule's run ended.
type observer struct {
	rule string
	done chan error
}

func (o *observer) RunFinished(rule string, _ time.Time, _ time.Duration, _ *engine.SweepResult, err error) {
	if rule == o.rule {
		o.done <- err
	}
}

// TestLeaseRenewalAndLoss checks that a holder's renewals keep its lease
// past the TTL while it runs, and that a holder whose lease is taken stops.
func TestLeaseRenewalAndLoss(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		url := populate(t, h, 200)
		c := &clock{}
		c.set(start)
		obs := &observer{rule: "user", done: make(chan error, 1)}
		a, d := replica(t, url, "holder", c, t.TempDir(), func(cfg *scheduler.Config) {
			cfg.Batch, cfg.MaxRate, cfg.RenewEvery, cfg.Grace, cfg.Observe = 5, 50, 5*time.Millisecond, 0, obs
		})
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		ticked := make(chan []scheduler.RunReport, 1)
		go func() { ticked <- a.Tick(runCtx) }()

		leases := scheduler.NewLeases(d)
		period := time.Date(2024, 3, 28, 0, 0, 0, 0, time.UTC)
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
			if _, err := leases.Get(ctx, "user", period); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the holder never claimed user")
			}
		}
		// Two minutes pass in steps while the run goes on: its renewals
		// keep the lease out of reach. Each step waits, in real time, for
		// the holder's first renewal at the new time (due every 5 ms): the
		// test checks what a renewal does, not how soon a loaded machine
		// runs it (a fixed 30 ms failed under CI's load).
		for i := 1; i <= 6; i++ {
			now := start.Add(time.Duration(i) * 20 * time.Second)
			c.set(now)
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
				l, err := leases.Get(ctx, "user", period)
				if err != nil {
					t.Fatal(err)
				}
				if !l.ExpiresAt.Before(now.Add(time.Minute - time.Second)) {
					break // renewed at now (the lease lasts a minute)
				}
				if time.Now().After(deadline) {
					t.Fatalf("after %ds the holder had not renewed its lease (it expires at %s)", i*20, l.ExpiresAt)
				}
			}
			if _, ok, err := leases.Claim(ctx, "user", period, "thief", c.now(), time.Minute); ok || err != nil {
				t.Fatalf("after %ds the lease was claimable (%v)", i*20, err)
			}
		}
		select {
		case err := <-obs.done:
			t.Fatalf("the run ended before the test took its lease: %v", err)
		default:
		}
		// Another replica takes the lease (as after a long pause of the
		// holder): the holder's next renewal finds it gone and stops.
		if _, err := d.DB().ExecContext(ctx, "UPDATE lethe_leases SET holder = 'thief' WHERE "+d.Quote("rule")+" = 'user'"); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-obs.done:
			if err == nil {
				t.Error("the holder finished a run whose lease it lost")
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the holder did not stop after losing its lease")
		}
		cancel()
		// The next rule may have begun before the cancel: it is released.
		if reps := ranRule(<-ticked, "user"); len(reps) != 1 || reps[0].Status != "" || reps[0].Err == nil {
			t.Errorf("user's report %+v", reps)
		}
		st, err := leases.Get(ctx, "user", period)
		if err != nil || st.Holder != "thief" || st.DoneAt != nil {
			t.Errorf("the lost lease is %+v (%v): the holder must leave it alone", st, err)
		}
	})
}
