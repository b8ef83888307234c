package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"lethe/connect"
	"lethe/dialect/dialecttest"
)

// demoDir runs `lethe demo` into a temporary directory at a fixed time and
// returns the flags that reach its policy and database.
func demoDir(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("LETHE_SECRET", "cli-test-secret-0123456789")
	code, out, errOut := cli(t, "demo", "--dir", dir, "--rows", "100", "--at", "2026-06-01T00:00:00Z")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"demo database", "The plan at 2026-06-01", "Swept (run", "Ledger intact"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	return []string{"-c", filepath.Join(dir, "lethe.yaml"), "--db", "sqlite://" + filepath.Join(dir, "app.db")}
}

func TestDemoThenLedger(t *testing.T) {
	flags := demoDir(t)
	code, out, _ := cli(t, append([]string{"ledger", "verify"}, flags...)...)
	if code != 0 || !strings.HasPrefix(out, "ledger intact: ") {
		t.Fatalf("verify: exit %d, %s", code, out)
	}
	code, out, _ = cli(t, append([]string{"ledger", "list", "--json", "--reason", "lifecycle_deactivate"}, flags...)...)
	var entries []struct {
		Tenant, Dataset, Reason string
		Rows                    int64
	}
	if err := json.Unmarshal([]byte(out), &entries); code != 0 || err != nil || len(entries) == 0 {
		t.Fatalf("list: exit %d, %v, %s", code, err, out)
	}
	for _, e := range entries {
		if e.Reason != "lifecycle_deactivate" || e.Dataset != "user" {
			t.Errorf("filtered list holds %+v", e)
		}
	}

	// Tamper with one sealed entry's count: verify names it and exits 1.
	db, err := sql.Open("sqlite", strings.TrimPrefix(flags[3], "sqlite://"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id int64
	if err := db.QueryRow("SELECT id FROM lethe_ledger WHERE seq IS NOT NULL AND rows > 0 ORDER BY id LIMIT 1 OFFSET 2").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE lethe_ledger SET rows = rows + 1 WHERE id = ?", id); err != nil {
		t.Fatal(err)
	}
	code, out, _ = cli(t, append([]string{"ledger", "verify"}, flags...)...)
	if code != exitFailed || !strings.HasPrefix(out, "ledger BROKEN at entry "+itoa(id)+": ") {
		t.Errorf("verify after tampering: exit %d, %s", code, out)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// deactivateDue reads the rows a plan says deactivation has due, summed
// over tenants.
func deactivateDue(t *testing.T, planJSON string) int64 {
	t.Helper()
	var plan []struct {
		Stage string
		Rows  int64
	}
	if err := json.Unmarshal([]byte(planJSON), &plan); err != nil {
		t.Fatalf("plan %q: %v", planJSON, err)
	}
	var n int64
	for _, r := range plan {
		if r.Stage == "deactivate" {
			n += r.Rows
		}
	}
	return n
}

func TestPlanAndSweepCommands(t *testing.T) {
	flags := demoDir(t)
	at := "--at=2026-06-01T00:00:00Z"
	// The demo swept already: the plan is all zeros now.
	code, out, _ := cli(t, append([]string{"plan", "--json", at}, flags...)...)
	var plan []struct {
		Tenant, Dataset, Stage string
		Rows, Held             int64
	}
	if err := json.Unmarshal([]byte(out), &plan); code != 0 || err != nil || len(plan) == 0 {
		t.Fatalf("plan: exit %d, %v, %s", code, err, out)
	}
	for _, r := range plan {
		if r.Rows != 0 {
			t.Errorf("after the demo's sweep, %s %s %s still has %d rows due", r.Tenant, r.Dataset, r.Stage, r.Rows)
		}
	}
	// A month later deactivation has work again; --dry-run changes nothing.
	later := "--at=2026-09-01T00:00:00Z"
	code, out, _ = cli(t, append([]string{"sweep", "--dry-run", later, "--only", "user"}, flags...)...)
	if code != 0 || !strings.Contains(out, "dry run: nothing changed") {
		t.Fatalf("dry run: exit %d, %s", code, out)
	}
	_, before, _ := cli(t, append([]string{"plan", "--json", later, "--only", "user"}, flags...)...)
	if n := deactivateDue(t, before); n == 0 {
		t.Fatalf("three months later no account is due for deactivation: %s", before)
	}
	code, out, _ = cli(t, append([]string{"sweep", later, "--only", "user", "--confirm", "--actor", "ops"}, flags...)...)
	if code != 0 || !strings.Contains(out, "lifecycle_deactivate") {
		t.Fatalf("sweep: exit %d, %s", code, out)
	}
	_, after, _ := cli(t, append([]string{"plan", "--json", later, "--only", "user"}, flags...)...)
	if n := deactivateDue(t, after); n != 0 {
		t.Errorf("after the sweep %d accounts are still due for deactivation", n)
	}
	code, _, errOut := cli(t, append([]string{"sweep", "--only", "nobody"}, flags...)...)
	if code != exitInput || !strings.Contains(errOut, "--only nobody names no subject or dataset") {
		t.Errorf("--only nobody: exit %d, %s", code, errOut)
	}
}

func TestHoldAndSettingsCommands(t *testing.T) {
	flags := demoDir(t)
	code, out, _ := cli(t, append([]string{"hold", "add", "--tenant", "acme", "--subject", "user:3", "--reason", "litigation 42"}, flags...)...)
	if code != 0 || out != "hold 1 added\n" {
		t.Fatalf("hold add: exit %d, %q", code, out)
	}
	code, out, _ = cli(t, append([]string{"hold", "list", "--json"}, flags...)...)
	if code != 0 || !strings.Contains(out, `"subject_kind":"user","subject_key":"3","reason":"litigation 42"`) {
		t.Errorf("hold list: exit %d, %s", code, out)
	}
	for _, bad := range [][]string{
		{"hold", "add", "--tenant", "acme", "--subject", "ghost:1", "--reason", "x"},
		{"hold", "add", "--tenant", "acme", "--subject", "user", "--reason", "x"},
		{"hold", "add", "--tenant", "acme"},
	} {
		if code, _, _ := cli(t, append(bad, flags...)...); code != exitInput {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
	if code, out, _ := cli(t, append([]string{"hold", "remove", "1"}, flags...)...); code != 0 || out != "hold 1 removed\n" {
		t.Errorf("hold remove: %d %q", code, out)
	}
	if code, _, errOut := cli(t, append([]string{"hold", "remove", "1"}, flags...)...); code != exitFailed || !strings.Contains(errOut, "no hold 1") {
		t.Errorf("hold remove again: %d %q", code, errOut)
	}

	// Settings: out of bounds is bad input with the bounds in the message.
	code, _, errOut := cli(t, append([]string{"settings", "set", "--tenant", "acme", "identity_events.retention", "2 months"}, flags...)...)
	if code != exitInput || !strings.Contains(errOut, "identity_events.retention: 2 months is below the floor of 3 months (allowed: 3 months to 84 months)") {
		t.Errorf("out of bounds: exit %d, %s", code, errOut)
	}
	code, _, errOut = cli(t, append([]string{"settings", "set", "--tenant", "acme", "user.anonymize", "30 months"}, flags...)...)
	if code != exitInput || !strings.Contains(errOut, "anonymize after 30 months comes at or after delete after 24 months") {
		t.Errorf("stage order: exit %d, %s", code, errOut)
	}
	code, out, _ = cli(t, append([]string{"settings", "set", "--tenant", "acme", "identity_events.retention", "12 months"}, flags...)...)
	if code != 0 || out != "identity_events.retention for tenant acme is now 12 months (gdpr-5-1-e)\n" {
		t.Errorf("set: exit %d, %q", code, out)
	}
	code, out, _ = cli(t, append([]string{"settings", "show", "--tenant", "acme", "--json"}, flags...)...)
	if code != 0 || !strings.Contains(out, `{"key":"identity_events.retention","overridden":true,"posture":"gdpr-5-1-e","period":"12 months","default":"24 months","bounds":"3 months to 84 months"}`) {
		t.Errorf("show: exit %d, %s", code, out)
	}
	code, out, _ = cli(t, append([]string{"plan", "--json", "--tenant", "acme", "--only", "identity_events", "--at", "2026-06-01T00:00:00Z"}, flags...)...)
	if code != 0 || !strings.Contains(out, `"period":"12 months","cutoff":"2025-06-01T00:00:00Z"`) {
		t.Errorf("plan with the override: %s", out)
	}
	if code, _, errOut := cli(t, append([]string{"settings", "set", "--tenant", "acme", "nosuch.retention", "1 year"}, flags...)...); code != exitInput || !strings.Contains(errOut, "unknown setting") {
		t.Errorf("unknown setting: %d %s", code, errOut)
	}
}

// TestSweepEveryDialect runs plan and sweep through the CLI against each
// database with the SaaS schema (empty): every entry is a zero-row run.
func TestSweepEveryDialect(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		url := h.URL(t)
		d, err := connect.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		dialecttest.CreateSaaSSchema(t, h, d)
		code, out, errOut := cli(t, "sweep", "-c", spec, "--db", url, "--at", "2024-04-01T00:00:00Z")
		if code != 0 || !strings.Contains(out, "ledger entries") {
			t.Errorf("sweep: exit %d\n%s\n%s", code, out, errOut)
		}
		code, out, _ = cli(t, "ledger", "verify", "--db", url)
		if code != 0 || !strings.HasPrefix(out, "ledger intact") {
			t.Errorf("verify: exit %d %s", code, out)
		}
	})
}
