package requests

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lethe/connect"
	"lethe/dialect"
	"lethe/dialect/dialecttest"
	"lethe/engine"
	"lethe/policy"
)

var (
	ctx    = context.Background()
	secret = []byte("test-secret-0123456789abcdef")
	runAt  = time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
)

// fixture is a database with the SaaS schema of examples/saas.yaml, a few
// people in two tenants, an engine on that policy and a request store.
type fixture struct {
	t   *testing.T
	url string
	d   dialect.Dialect
	e   *engine.Engine
	s   *Store
}

func newFixture(t *testing.T, h dialecttest.Harness) *fixture {
	t.Helper()
	url := h.URL(t)
	d, err := connect.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	dialecttest.CreateSaaSSchema(t, h, d)
	f := &fixture{t: t, url: url, d: d}
	f.populate()
	if f.e, err = newEngine(d, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	f.s = New(f.e)
	return f
}

func newEngine(d dialect.Dialect, dir string) (*engine.Engine, error) {
	p, err := policy.LoadFile(filepath.Join("..", "examples", "saas.yaml"))
	if err != nil {
		return nil, err
	}
	p.ArchiveDir = filepath.Join(dir, "archive")
	return engine.New(ctx, p, d, engine.Config{Secret: secret})
}

// populate: in acme, user 4 (Dee) with a transaction, a ticket and a
// session, user 6 (Fay) with the same and two sessions, contact c_1 with
// two identity events; in globex, user 8, and a transaction that points at
// id 4 too (another tenant's person with the same id).
func (f *fixture) populate() {
	f.exec(`INSERT INTO organisations (id, workspace_id, name) VALUES (1, 'acme', 'Acme')`)
	f.exec(`INSERT INTO users (id, workspace_id, organisation_id, first_name, last_name, email, account, note, active, created_at) VALUES
		(4, 'acme', 1, 'Dee', 'Dormant', 'dee@example.com', 'acct4', 'note about Dee', ?, '2020-01-01 00:00:00'),
		(6, 'acme', 1, 'Fay', 'Fresh', 'fay@example.com', 'acct6', NULL, ?, '2023-12-01 00:00:00'),
		(8, 'globex', NULL, 'Hal', 'Globex', 'hal@example.com', 'acct8', NULL, ?, '2022-01-01 00:00:00')`, true, true, true)
	f.exec(`INSERT INTO transactions (id, workspace_id, performed_by, performed_by_name, amount_cents, asset, created_at) VALUES
		(1, 'acme', 4, 'Dee Dormant', 1000, 'EUR', '2023-05-01 00:00:00'),
		(2, 'acme', 6, 'Fay Fresh', 4000, 'USD', '2024-03-01 00:00:00'),
		(3, 'globex', 8, 'Hal Globex', 500, 'EUR', '2024-01-01 00:00:00')`)
	f.exec(`INSERT INTO support_tickets (id, workspace_id, requester_id, body, requester_email, created_at) VALUES
		(1, 'acme', 4, 'Dee here, call me at +44 20 7946 0958', 'dee@example.com', '2024-02-01 00:00:00'),
		(2, 'acme', 6, 'mail fay@example.com please', 'fay@example.com', '2024-03-01 00:00:00')`)
	f.exec(`INSERT INTO sessions (id, workspace_id, user_id, expires_at) VALUES
		('s1', 'acme', 6, '2030-01-01 00:00:00'), ('s2', 'acme', 6, '2030-01-01 00:00:00'), ('s3', 'acme', 4, '2030-01-01 00:00:00')`)
	f.exec(`INSERT INTO contacts (id, workspace_id, created_at) VALUES ('c_1', 'acme', '2020-01-01 00:00:00')`)
	f.exec(`INSERT INTO identity_events (id, workspace_id, contact_id, kind, created_at) VALUES
		(1, 'acme', 'c_1', 'login', '2024-03-01 00:00:00'), (2, 'acme', 'c_1', 'login', '2024-03-02 00:00:00')`)
}

// bulkSessions gives user 6 n more sessions, enough to make the engine
// erase in several transactions.
func (f *fixture) bulkSessions(n int) {
	f.t.Helper()
	tx, err := f.d.DB().BeginTx(ctx, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	defer tx.Rollback()
	for start := 0; start < n; start += 500 {
		var vals []string
		for i := start; i < min(start+500, n); i++ {
			vals = append(vals, fmt.Sprintf("('b%06d', 'acme', 6, '2030-01-01 00:00:00')", i))
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO sessions (id, workspace_id, user_id, expires_at) VALUES "+strings.Join(vals, ", ")); err != nil {
			f.t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		f.t.Fatal(err)
	}
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

// dump is what an erasure leaves in the application's tables and in the
// request's own row, for comparing two databases.
func (f *fixture) dump() []string {
	f.t.Helper()
	var out []string
	for _, q := range []string{
		"SELECT * FROM users ORDER BY id",
		"SELECT * FROM transactions ORDER BY id",
		"SELECT * FROM support_tickets ORDER BY id",
		"SELECT COUNT(*), MIN(id), MAX(id) FROM sessions",
		"SELECT user_id, COUNT(*) FROM sessions GROUP BY user_id ORDER BY user_id",
		"SELECT tenant, digest FROM lethe_suppression ORDER BY tenant, digest",
		"SELECT id, kind, subject_kind, subject_key, tenant, requester, status, received_at, due_at, verified_at, verified_by, verify_method, fulfilled_at, closed_at, result FROM lethe_requests ORDER BY id",
	} {
		for _, r := range f.rows(q) {
			out = append(out, q+": "+r)
		}
	}
	return out
}

// open opens and verifies an erasure request, the state in which Fulfil
// accepts it.
func (f *fixture) openVerified(kind, subject string, at time.Time) Request {
	f.t.Helper()
	r, err := f.s.Open(ctx, OpenInput{Kind: kind, Subject: subject, Tenant: "acme", Requester: "Dee Dormant <dee@example.com>", Actor: "intake", At: at})
	if err != nil {
		f.t.Fatal(err)
	}
	if r, err = f.s.Verify(ctx, r.ID, "op_1", ByOperator, at); err != nil {
		f.t.Fatal(err)
	}
	return r
}
