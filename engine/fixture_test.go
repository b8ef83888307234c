package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"lethe/connect"
	"lethe/dialect"
	"lethe/dialect/dialecttest"
	"lethe/policy"
)

var (
	ctx    = context.Background()
	secret = []byte("test-secret-0123456789abcdef")
	runAt  = time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
)

// fixture is a database with the SaaS schema and an engine on the SPEC 1a
// policy, with the policy's archive directory in the test's temp dir.
type fixture struct {
	t   testing.TB
	h   dialecttest.Harness
	url string
	d   dialect.Dialect
	e   *Engine
}

func newFixture(t testing.TB, h dialecttest.Harness) *fixture {
	t.Helper()
	url := h.URL(t)
	d, err := connect.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	dialecttest.CreateSaaSSchema(t, h, d)
	f := &fixture{t: t, h: h, url: url, d: d}
	f.e = f.engine(secret)
	return f
}

func (f *fixture) engine(key []byte) *Engine {
	f.t.Helper()
	e, err := specEngine(f.d, key, filepath.Join(f.t.TempDir(), "archive"))
	if err != nil {
		f.t.Fatal(err)
	}
	return e
}

func specEngine(d dialect.Dialect, key []byte, archiveDir string) (*Engine, error) {
	p, err := policy.LoadFile(filepath.Join("..", "examples", "saas.yaml"))
	if err != nil {
		return nil, err
	}
	p.ArchiveDir = archiveDir
	return New(ctx, p, d, Config{Secret: key})
}

// dump returns every row of the application's tables, for comparing two
// databases.
func (f *fixture) dump() []string {
	f.t.Helper()
	var out []string
	for _, table := range []string{"organisations", "users", "participants", "contacts", "transactions", "answers", "answer_metadata",
		"identity_events", "audit_logs", "support_tickets", "webhook_secrets", "invitations", "sessions"} {
		for _, r := range f.rows("SELECT * FROM " + table + " ORDER BY id") {
			out = append(out, table+": "+r)
		}
	}
	for _, r := range f.rows("SELECT tenant, digest FROM lethe_suppression ORDER BY tenant, digest") {
		out = append(out, "suppression: "+r)
	}
	return out
}

// exec runs a statement written with ? placeholders.
func (f *fixture) exec(query string, args ...any) {
	f.t.Helper()
	dialecttest.Exec(f.t, f.d, query, args...)
}

// rows returns the query's rows as text (see dialecttest.Rows).
func (f *fixture) rows(query string, args ...any) []string {
	f.t.Helper()
	return dialecttest.Rows(f.t, f.d, query, args...)
}

// The application, at 2024-04-01, with every stage of the SPEC 1a policy
// due for some rows and not for others (see engine_test.go for the
// expectations row by row).
func (f *fixture) populate() {
	f.exec(`INSERT INTO organisations (id, workspace_id, name, deleted_at) VALUES
		(1, 'acme', 'Acme', NULL), (2, 'acme', 'Acme Labs', '2024-02-01 00:00:00'), (3, 'acme', 'Acme Ventures', '2024-03-15 00:00:00')`)
	type user struct {
		id                             int
		ws                             string
		org                            any
		first, last, email             string
		active                         bool
		login, created, deact, anonymd any
	}
	for _, u := range []user{
		{1, "acme", 1, "Ada", "Lovelace", "ada@example.com", true, "2023-09-30 23:59:59", "2020-01-01 00:00:00", nil, nil},
		{2, "acme", 1, "Bob", "Byte", "bob@example.com", true, "2023-10-01 00:00:00", "2020-01-01 00:00:00", nil, nil},
		{3, "acme", 1, "Cy", "Never", "cy@example.com", true, nil, "2023-01-15 00:00:00", nil, nil},
		{4, "acme", 1, "Dee", "Dormant", "Dee@Example.com", false, "2023-01-01 00:00:00", "2020-01-01 00:00:00", "2023-12-31 23:00:00", nil},
		{5, "acme", 1, "Anonymized 000000000000", "Anonymized 000000000000", "anon-000000000000@anonymized.invalid", false, "2021-01-01 00:00:00", "2019-01-01 00:00:00", "2022-03-01 00:00:00", "2022-06-01 00:00:00"},
		{6, "acme", 1, "Fay", "Fresh", "fay@example.com", true, "2024-03-20 00:00:00", "2023-12-01 00:00:00", nil, nil},
		{7, "acme", 2, "Gus", "Org", "gus@example.com", true, "2024-03-25 00:00:00", "2023-01-01 00:00:00", nil, nil},
		{8, "globex", nil, "Hal", "Globex", "hal@example.com", true, "2023-01-01 00:00:00", "2022-01-01 00:00:00", nil, nil},
		{9, "acme", 1, "Ivy", "Hold", "ivy@example.com", false, "2022-11-01 00:00:00", "2020-01-01 00:00:00", "2023-06-01 00:00:00", nil},
	} {
		f.exec(`INSERT INTO users (id, workspace_id, organisation_id, first_name, last_name, email, account, note, active, last_login_at, created_at, deactivated_at, anonymized_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.id, u.ws, u.org, u.first, u.last, u.email, fmt.Sprintf("acct%d", u.id), "note about "+u.first, u.active, u.login, u.created, u.deact, u.anonymd)
	}
	f.exec(`INSERT INTO transactions (id, workspace_id, performed_by, performed_by_name, amount_cents, asset, created_at) VALUES
		(1, 'acme', 4, 'Dee Dormant', 1000, 'EUR', '2023-05-01 00:00:00'),
		(2, 'acme', 5, 'Anonymized 000000000000', 2000, 'EUR', '2021-05-01 00:00:00'),
		(3, 'acme', 7, 'Gus Org', 3000, 'USD', '2024-03-01 00:00:00'),
		(4, 'acme', 6, 'Fay Fresh', 4000, 'USD', '2024-03-01 00:00:00')`)
	f.exec(`INSERT INTO sessions (id, workspace_id, user_id, expires_at) VALUES
		('s1', 'acme', 5, '2024-05-01 00:00:00'), ('s2', 'acme', 6, '2024-03-30 23:59:59'), ('s3', 'acme', 6, '2024-03-31 00:00:00')`)
	f.exec(`INSERT INTO support_tickets (id, workspace_id, requester_id, body, requester_email, created_at) VALUES
		(1, 'acme', 4, 'Dee here, call me at +44 20 7946 0958', 'Dee@Example.com', '2024-02-01 00:00:00'),
		(2, 'acme', 6, 'mail fay@example.com please', 'fay@example.com', '2023-09-01 00:00:00'),
		(3, 'acme', 6, 'old ticket from 192.0.2.7', 'fay@example.com', '2022-03-01 00:00:00')`)
	f.exec(`INSERT INTO participants (id, workspace_id, first_name, last_name, email, phone, customer_id, created_at) VALUES
		(1, 'acme', 'Pia', 'One', 'pia@example.org', '+1 415 555 2671', 'CUST-1', '2024-02-15 00:00:00'),
		(2, 'acme', 'Quin', 'Two', 'quin@example.org', NULL, 'CUST-2', '2023-03-01 00:00:00'),
		(3, 'acme', 'Rex', 'Three', 'rex@example.org', NULL, 'CUST-3', '2024-03-15 00:00:00')`)
	f.exec(`INSERT INTO answers (id, workspace_id, participant_id, comment, created_at) VALUES
		(1, 'acme', 1, 'reach me at pia@example.org', '2024-02-15 00:00:00'),
		(2, 'acme', 2, 'Quin thinks so', '2023-03-01 00:00:00'),
		(3, 'acme', 3, 'Rex at rex@example.org', '2024-03-15 00:00:00')`)
	f.exec(`INSERT INTO answer_metadata (id, answer_id, name, value) VALUES (1, 1, 'device', 'ios'), (2, 2, 'device', 'web'), (3, 3, 'device', 'web')`)
	f.exec(`INSERT INTO contacts (id, workspace_id, created_at) VALUES ('c_1', 'acme', '2020-01-01 00:00:00')`)
	f.exec(`INSERT INTO identity_events (id, workspace_id, contact_id, kind, created_at) VALUES
		(1, 'acme', 'c_1', 'login', '2022-03-31 23:59:59'), (2, 'acme', 'c_1', 'login', '2022-04-01 00:00:00')`)
	f.exec(`INSERT INTO audit_logs (id, workspace_id, action, created_at) VALUES
		(1, 'acme', 'export', '2023-04-01 00:00:00'), (2, 'acme', 'login', '2023-04-02 00:00:00'), (3, NULL, 'boot', '2020-01-01 00:00:00')`)
	f.exec(`INSERT INTO webhook_secrets (id, workspace_id, plaintext, rotated_at) VALUES
		(1, 'acme', 's3cr3t-one', '2024-03-30 00:00:00'), (2, 'acme', 's3cr3t-two', NULL), (3, 'acme', 's3cr3t-three', '2024-03-31 12:00:00')`)
	f.exec(`INSERT INTO invitations (id, workspace_id, email, expires_at) VALUES
		(1, 'acme', 'inv1@example.com', '2024-01-01 00:00:00'), (2, 'acme', 'inv2@example.com', '2024-01-02 00:00:00')`)
}

func (f *fixture) sweep(opts SweepOptions) *SweepResult {
	f.t.Helper()
	if opts.At.IsZero() {
		opts.At = runAt
	}
	res, err := f.e.Sweep(ctx, opts)
	if err != nil {
		f.t.Fatalf("sweep: %v", err)
	}
	return res
}

func (f *fixture) hold(tenant, kind, key string) {
	f.t.Helper()
	if _, err := f.e.AddHold(ctx, Hold{Tenant: tenant, SubjectKind: kind, SubjectKey: key, Reason: "case 7", CreatedBy: "legal", CreatedAt: runAt}); err != nil {
		f.t.Fatal(err)
	}
}

// policyEngine is an engine on d for a policy given as text, with the
// tests' secret key.
func policyEngine(t *testing.T, d dialect.Dialect, name, text string) *Engine {
	t.Helper()
	p, err := policy.Load(name, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(ctx, p, d, Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return e
}
