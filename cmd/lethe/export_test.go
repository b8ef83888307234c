package main

import (
	"archive/zip"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// demoUser picks the demo user with the most transactions and returns its
// id, its tenant and what its export must count.
func demoUser(t *testing.T, flags []string) (id int64, tenant string, want []string) {
	t.Helper()
	db, err := sql.Open("sqlite", strings.TrimPrefix(flags[3], "sqlite://"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.QueryRow(`SELECT u.id, u.workspace_id FROM users u JOIN transactions x ON x.performed_by = u.id
		WHERE u.workspace_id IS NOT NULL GROUP BY u.id, u.workspace_id ORDER BY COUNT(*) DESC, u.id LIMIT 1`).Scan(&id, &tenant)
	if err != nil {
		t.Fatal(err)
	}
	want = []string{"user 1"}
	for _, ds := range []struct{ name, table, link string }{
		{"transactions", "transactions", "performed_by"}, {"support_tickets", "support_tickets", "requester_id"}, {"sessions", "sessions", "user_id"},
	} {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM "+ds.table+" WHERE "+ds.link+" = ?", id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("%s %d", ds.name, n))
	}
	return id, tenant, want
}

func TestExportCommand(t *testing.T) {
	flags := demoDir(t)
	id, tenant, want := demoUser(t, flags)
	subject := fmt.Sprintf("user:%d", id)
	dir := t.TempDir()
	out := filepath.Join(dir, "export.json")

	code, stdout, stderr := cli(t, append([]string{"export", "--subject", subject, "--tenant", tenant, "--out", out, "--at", "2026-06-02T00:00:00Z"}, flags...)...)
	if code != 0 || stdout != "" {
		t.Fatalf("export: exit %d\n%s%s", code, stdout, stderr)
	}
	if wantLine := fmt.Sprintf("exported %s of tenant %s: %s to %s\n", subject, tenant, strings.Join(want, ", "), out); stderr != wantLine {
		t.Errorf("stderr %q, want %q", stderr, wantLine)
	}
	info, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	b, _ := os.ReadFile(out)
	var doc struct {
		ManifestVersion int                         `json:"manifest_version"`
		Subject         string                      `json:"subject"`
		GeneratedAt     string                      `json:"generated_at"`
		Datasets        map[string][]map[string]any `json:"datasets"`
		Manifest        struct {
			Subject  string
			Datasets []struct {
				Dataset string
				Rows    int
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	var got []string
	for _, ds := range doc.Manifest.Datasets {
		got = append(got, fmt.Sprintf("%s %d", ds.Dataset, ds.Rows))
		if len(doc.Datasets[ds.Dataset]) != ds.Rows {
			t.Errorf("%s: %d rows in the document, manifest says %d", ds.Dataset, len(doc.Datasets[ds.Dataset]), ds.Rows)
		}
	}
	if doc.ManifestVersion != 1 || doc.Subject != subject || doc.Manifest.Subject != subject || doc.GeneratedAt != "2026-06-02T00:00:00Z" || !reflect.DeepEqual(got, want) {
		t.Errorf("document %d %s %s %s %v, want %v", doc.ManifestVersion, doc.Subject, doc.Manifest.Subject, doc.GeneratedAt, got, want)
	}

	// Zip, with --json: the manifest on stdout.
	zipOut := filepath.Join(dir, "export.zip")
	code, stdout, _ = cli(t, append([]string{"export", "--subject", subject, "--tenant", tenant, "--out", zipOut, "--format", "zip", "--json"}, flags...)...)
	var m struct{ Datasets []struct{ Dataset string } }
	if err := json.Unmarshal([]byte(stdout), &m); code != 0 || err != nil || len(m.Datasets) != len(want) {
		t.Fatalf("zip export: exit %d, %v, %s", code, err, stdout)
	}
	zr, err := zip.OpenReader(zipOut)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	zr.Close()
	if want := []string{"user.json", "transactions.json", "support_tickets.json", "sessions.json", "manifest.json"}; !reflect.DeepEqual(names, want) {
		t.Errorf("zip holds %v, want %v", names, want)
	}

	// To stdout: the document itself.
	code, stdout, _ = cli(t, append([]string{"export", "--subject", subject, "--tenant", tenant}, flags...)...)
	if code != 0 || !json.Valid([]byte(stdout)) || !strings.HasPrefix(stdout, `{"manifest_version":1,"subject":"`+subject+`"`) {
		t.Errorf("stdout export: exit %d, %.300s", code, stdout)
	}

	// Failures: exit 1 or 2, and no file, partial or whole.
	failed := filepath.Join(dir, "failed.json")
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--subject", subject, "--tenant", "no-such-tenant"}, exitFailed, fmt.Sprintf("no %s %d in tenant no-such-tenant", "user", id)},
		{[]string{"--subject", "user:1'; DROP TABLE users; --", "--tenant", tenant}, exitFailed, "no user 1'; DROP TABLE users; -- in tenant"},
		{[]string{"--subject", "ghost:1"}, exitInput, `no subject kind "ghost"`},
		{[]string{"--subject", "user"}, exitInput, "write KIND:ID"},
		{[]string{}, exitInput, "write KIND:ID"},
		{[]string{"--subject", subject, "--tenant", tenant, "--format", "xml"}, exitInput, `--format "xml": write json or zip`},
	} {
		code, stdout, stderr := cli(t, append(append([]string{"export", "--out", failed}, tc.args...), flags...)...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d with %q", tc.args, code, stdout, stderr, tc.code, tc.msg)
		}
	}
	code, _, stderr = cli(t, append([]string{"export", "--subject", subject, "--tenant", tenant, "--out", filepath.Join(dir, "missing", "x.json")}, flags...)...)
	if code != exitInput || !strings.Contains(stderr, "--out") {
		t.Errorf("--out in a missing directory: exit %d, %s", code, stderr)
	}
	entries, _ := os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"export.json", "export.zip"}; !reflect.DeepEqual(left, want) {
		t.Errorf("files left %v, want %v", left, want)
	}
	// The tables are intact after the hostile subject.
	if code, stdout, _ := cli(t, append([]string{"export", "--subject", subject, "--tenant", tenant, "--out", failed}, flags...)...); code != 0 {
		t.Errorf("export after the failures: exit %d %s", code, stdout)
	}
}
