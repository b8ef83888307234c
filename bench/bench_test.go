package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"lethe/dialect/dialecttest"
	"lethe/policy"
)

// TestMain lets the test binary serve as the child process that runs
// Lethe's side of a case, as the bench program re-executes itself.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(childMain(os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// TestQuickCorrectness runs every case at a tiny scale against each
// available database and fails when Lethe's result is wrong, as the quick
// mode does in CI; speed is never checked.
func TestQuickCorrectness(t *testing.T) {
	dialects := []string{"sqlite"}
	for _, name := range []string{"postgres", "mysql"} {
		env := map[string]string{"postgres": dialecttest.PostgresEnv, "mysql": dialecttest.MySQLEnv}[name]
		if os.Getenv(env) == "" {
			t.Logf("set %s to run against %s", env, name)
			continue
		}
		dialects = append(dialects, name)
	}
	for _, dn := range dialects {
		t.Run(dn, func(t *testing.T) {
			t.Parallel()
			// Two runs of each case: both are checked, and the table shows
			// the median one with the range of the ratios.
			cfg, err := parseFlags([]string{"--quick", "--rows", "2000", "--erasures", "30", "--dialects", dn, "--repeat", "2"})
			if err != nil {
				t.Fatal(err)
			}
			cfg.log = io.Discard
			rep, err := run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Failures) > 0 {
				t.Fatalf("Lethe's result is wrong:\n%s", strings.Join(rep.Failures, "\n"))
			}
			var b strings.Builder
			printTable(&b, rep)
			t.Log("\n" + b.String())
			ran := map[string]bool{}
			for _, r := range rep.Rows {
				ran[r.Case] = true
			}
			for _, c := range []string{"purge", "anonymize", "erasure", "export"} {
				if !ran[c] {
					t.Errorf("case %s did not run; skipped: %v", c, rep.Skipped)
				}
			}
			for _, r := range rep.Rows {
				if r.Side == "lethe" && r.Ratio != nil && (r.Runs != 2 || r.RatioMin == nil || r.RatioMax == nil || *r.RatioMin > *r.Ratio || *r.Ratio > *r.RatioMax) {
					t.Errorf("%s: runs %d, ratio %v not within its range %v-%v", r.Case, r.Runs, *r.Ratio, r.RatioMin, r.RatioMax)
				}
				// InnoDB's pages, on both sides of the cases that change
				// rows, and only there.
				changes := r.Case == "purge" || r.Case == "anonymize" || r.Case == "pt-archiver"
				if got, want := strings.Contains(r.Note, "InnoDB wrote "), changes && dn == "mysql"; got != want {
					t.Errorf("%s/%s: note %q tells InnoDB's pages: %v, want %v", r.Case, r.Side, r.Note, got, want)
				}
			}
		})
	}
}

// TestIndexWarnings checks, on each database, that the policy check names
// a missing index with a CREATE INDEX statement the database runs, and
// that once it has run the warning goes: the index erasure latency and
// sweeps rely on.
func TestIndexWarnings(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		ctx := context.Background()
		d := h.Open(t)
		exec := func(q string) {
			t.Helper()
			if _, err := d.DB().ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		exec(`CREATE TABLE events (id BIGINT NOT NULL PRIMARY KEY, tenant VARCHAR(20), owner_id BIGINT, created_at ` + h.Timestamp + `)`)
		exec(`CREATE INDEX events_tenant_created ON events (tenant, created_at)`)
		exec(`CREATE INDEX events_owner ON events (owner_id)`)
		exec(`CREATE TABLE bare (id BIGINT NOT NULL PRIMARY KEY, created_at ` + h.Timestamp + `)`)
		s, err := d.Introspect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The policy check names the missing index with a statement this
		// database runs; once run, the warning goes.
		p, err := policy.Load("indexes.yaml", []byte(`version: 1
tenant_column: tenant
datasets:
  events:
    table: events
    owner: {bare: owner_id}
    retention: {keep: 30 days, since: created_at}
  bare:
    table: bare
    retention: {keep: 30 days, since: created_at}
`))
		if err != nil {
			t.Fatal(err)
		}
		errs, warnings := policy.Bind(p, s)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		if len(warnings) > 0 {
			t.Logf("bind warnings: %v", warnings)
		}
		warnings = policy.IndexWarnings(p, s)
		if len(warnings) != 1 || !strings.Contains(warnings[0].Error(), "CREATE INDEX") || !strings.Contains(warnings[0].Error(), "bare") {
			t.Fatalf("index warnings = %v, want one, for bare.created_at", warnings)
		}
		stmt := warnings[0].Error()[strings.Index(warnings[0].Error(), "CREATE INDEX"):]
		exec(stmt)
		if s, err = d.Introspect(ctx); err != nil {
			t.Fatal(err)
		}
		if warnings := policy.IndexWarnings(p, s); len(warnings) != 0 {
			t.Errorf("after %s, index warnings = %v", stmt, warnings)
		}
	})
}

// TestMedianRun checks which run of several a line of the table shows,
// and that Lethe's line keeps the bounds of every run.
func TestMedianRun(t *testing.T) {
	run := func(ratio, longest, rss float64, rawSeconds float64) []Row {
		return []Row{
			{Side: "lethe", Seconds: rawSeconds / ratio, Ratio: ptr(ratio), LongestTx: ptr(longest), PeakRSS: ptr(rss)},
			{Side: "raw DELETE", Seconds: rawSeconds},
		}
	}
	latency := func(p95 float64) []Row { return []Row{{Side: "lethe", P95: ptr(p95), LongestTx: ptr(p95)}} }
	tests := []struct {
		name                     string
		runs                     [][]Row
		ratio, lo, hi, rawSecond float64
		p95, longest, rss        float64
	}{
		{name: "three runs: the middle ratio, with its own baseline",
			runs:  [][]Row{run(1.10, 20, 30, 1.5), run(0.61, 60, 31, 1.9), run(0.92, 15, 35, 1.6)},
			ratio: 0.92, lo: 0.61, hi: 1.10, rawSecond: 1.6, longest: 60, rss: 35},
		{name: "two runs: the lower",
			runs:  [][]Row{run(1.10, 20, 30, 1.5), run(0.70, 25, 29, 1.4)},
			ratio: 0.70, lo: 0.70, hi: 1.10, rawSecond: 1.4, longest: 25, rss: 30},
		{name: "no baseline: by p95",
			runs: [][]Row{latency(9), latency(3), latency(5)},
			p95:  5, longest: 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := medianRun(tt.runs)
			l := got[0]
			if l.Runs != len(tt.runs) || *l.LongestTx != tt.longest {
				t.Errorf("runs %d, longest tx %v; want %d, %v", l.Runs, *l.LongestTx, len(tt.runs), tt.longest)
			}
			if tt.p95 != 0 {
				if *l.P95 != tt.p95 || l.Ratio != nil || l.RatioMin != nil {
					t.Errorf("p95 %v, ratio %v, range from %v; want %v and no ratio", *l.P95, l.Ratio, l.RatioMin, tt.p95)
				}
				return
			}
			if *l.Ratio != tt.ratio || *l.RatioMin != tt.lo || *l.RatioMax != tt.hi || *l.PeakRSS != tt.rss || got[1].Seconds != tt.rawSecond {
				t.Errorf("ratio %v in %v-%v, peak RSS %v, baseline %v s; want %v in %v-%v, %v, %v s",
					*l.Ratio, *l.RatioMin, *l.RatioMax, *l.PeakRSS, got[1].Seconds, tt.ratio, tt.lo, tt.hi, tt.rss, tt.rawSecond)
			}
		})
	}
	// The runs given are left as they were.
	runs := [][]Row{run(1.10, 20, 30, 1.5), run(0.61, 60, 31, 1.9), run(0.92, 15, 35, 1.6)}
	medianRun(runs)
	if *runs[2][0].LongestTx != 15 || runs[2][0].Runs != 0 {
		t.Errorf("medianRun changed the run it picked: longest tx %v, runs %d", *runs[2][0].LongestTx, runs[2][0].Runs)
	}
}
