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
			cfg, err := parseFlags([]string{"--quick", "--rows", "2000", "--erasures", "30", "--dialects", dn})
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
