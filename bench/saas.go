package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"lethe/demo"
)

const saasWorkspaces = 50

// saasPolicy is examples/saas.yaml, the policy the erasure and export cases
// run.
func saasPolicy() (string, error) {
	_, file, _, _ := runtime.Caller(0)
	for _, path := range []string{filepath.Join(filepath.Dir(file), "..", "examples", "saas.yaml"), filepath.Join("examples", "saas.yaml")} {
		if data, err := os.ReadFile(path); err == nil {
			return string(data), nil
		}
	}
	return "", fmt.Errorf("cannot find examples/saas.yaml: run from the repository")
}

// saasScale says how many rows of each table buildSaaS writes for u users.
type saasScale struct {
	users, transactions, answers, events, audit, tickets, sessions int64
	// txOf maps a transaction number to its user: the first bigTx
	// transactions belong to user 1 (the export case's subject).
	bigTx int64
}

func scaleFor(total int64) saasScale {
	// Per user: 1 user, 1 participant, 1 contact, 5 transactions, 2 answers,
	// 2 answer_metadata, 3 identity events, 3 audit entries, 1 session and
	// half a ticket: 19.5 rows, plus organisations.
	u := max(total*2/39, 20)
	return saasScale{users: u, transactions: 5 * u, answers: 2 * u, events: 3 * u, audit: 3 * u, tickets: u / 2, sessions: u}
}

// buildSaaS fills the schema of the demo (tables and the indexes the policy
// needs) in the database, generated inside it.
func buildSaaS(ctx context.Context, s *scratch, sc saasScale) (int64, error) {
	g := sqlgen{s.dialect}
	stmts := demo.Schema(s.d)
	ntables := len(demo.Tables())
	for _, st := range stmts[:ntables] {
		if err := s.exec(ctx, st); err != nil {
			return 0, err
		}
	}
	U := strconv.FormatInt(sc.users, 10)
	W := strconv.Itoa(saasWorkspaces)
	ws := func(expr string) string { return g.concat("'ws_'", g.text("("+expr+") % "+W)) }
	owner := func(expr string) string { return "((" + expr + ") - 1) % " + U + " + 1" }
	txOwner := owner("n")
	if sc.bigTx > 0 {
		big := strconv.FormatInt(sc.bigTx, 10)
		txOwner = "CASE WHEN n <= " + big + " THEN 1 ELSE (n - 1) % (" + U + " - 1) + 2 END"
	}
	active := "TRUE"
	fills := []struct {
		table string
		n     int64
		cols  []string
		exprs []string
	}{
		{"organisations", max(10, sc.users/20), []string{"id", "workspace_id", "name"}, []string{"n", ws("n"), g.concat("'Org '", g.text("n"))}},
		{"users", sc.users, []string{"id", "workspace_id", "first_name", "last_name", "email", "account", "note", "active", "last_login_at", "created_at"},
			[]string{"n", ws("n"), g.concat("'First'", g.text("n")), g.concat("'Last'", g.text("n")), g.concat("'user'", g.text("n"), "'@example.com'"),
				g.concat("'acct_'", g.text("n")), g.concat("'note about user '", g.text("n")), active, g.at("n % 86400 + 86400"), g.at("n % 86400")}},
		{"participants", sc.users, []string{"id", "workspace_id", "first_name", "last_name", "email", "phone", "customer_id", "created_at"},
			[]string{"n", ws("n"), g.concat("'Pfirst'", g.text("n")), g.concat("'Plast'", g.text("n")), g.concat("'p'", g.text("n"), "'@example.org'"),
				g.concat("'+1 555 '", g.text("n % 10000")), g.concat("'cus_'", g.text("n")), g.at("n % 86400")}},
		{"contacts", sc.users, []string{"id", "workspace_id", "created_at"}, []string{g.concat("'c_'", g.text("n")), ws("n"), g.at("n % 86400")}},
		{"transactions", sc.transactions, []string{"id", "workspace_id", "performed_by", "performed_by_name", "amount_cents", "asset", "created_at"},
			[]string{"n", ws(txOwner), txOwner, g.concat("'First'", g.text(txOwner)), "n * 7 % 100000", "'EUR'", g.at("n % 86400")}},
		{"answers", sc.answers, []string{"id", "workspace_id", "participant_id", "comment", "created_at"},
			[]string{"n", ws(owner("n")), owner("n"), g.concat("'Reach me at p'", g.text(owner("n")), "'@example.org or +1 555 0100, thanks'"), g.at("n % 86400")}},
		{"answer_metadata", sc.answers, []string{"id", "answer_id", "name", "value"}, []string{"n", "n", "'browser'", "'firefox'"}},
		{"identity_events", sc.events, []string{"id", "workspace_id", "contact_id", "kind", "created_at"},
			[]string{"n", ws(owner("n")), g.concat("'c_'", g.text(owner("n"))), "'login'", g.at("n % 86400")}},
		{"audit_logs", sc.audit, []string{"id", "workspace_id", "action", "created_at"}, []string{"n", ws("n"), "'settings.update'", g.at("n % 86400")}},
		{"support_tickets", sc.tickets, []string{"id", "workspace_id", "requester_id", "body", "requester_email", "created_at"},
			[]string{"n", ws(owner("n + 1")), owner("n + 1"), g.concat("'Please help, write to user'", g.text(owner("n + 1")), "'@example.com'"),
				g.concat("'user'", g.text(owner("n + 1")), "'@example.com'"), g.at("n % 86400")}},
		{"sessions", sc.sessions, []string{"id", "workspace_id", "user_id", "expires_at"},
			[]string{g.concat("'s_'", g.text("n")), ws(owner("n + 1")), owner("n + 1"), g.at("n % 86400 + 8640000")}},
	}
	var total int64
	for _, f := range fills {
		if err := s.fill(ctx, f.table, f.cols, f.exprs, f.n); err != nil {
			return 0, err
		}
		total += f.n
	}
	for _, st := range stmts[ntables:] {
		if err := s.exec(ctx, st); err != nil {
			return 0, err
		}
	}
	return total, s.analyze(ctx, demo.Tables()...)
}

func erasureCase(ctx context.Context, cfg *config, s *scratch) ([]Row, []string, error) {
	pol, err := saasPolicy()
	if err != nil {
		return nil, nil, err
	}
	total := 5 * cfg.rows
	sc := scaleFor(total)
	written, err := buildSaaS(ctx, s, sc)
	if err != nil {
		return nil, nil, err
	}
	// Random subjects of the three kinds, in turn, each erased once.
	r := rand.New(rand.NewPCG(7, 7))
	n := min(int64(cfg.samples), sc.users)
	var subjects []subject
	ids := map[string][]string{}
	for i, k := range r.Perm(int(sc.users))[:n] {
		id := int64(k + 1)
		tenant := "ws_" + strconv.FormatInt(id%saasWorkspaces, 10)
		kind := []string{"user", "participant", "contact"}[i%3]
		sid := strconv.FormatInt(id, 10)
		if kind == "contact" {
			sid = "c_" + sid
		}
		subjects = append(subjects, subject{Kind: kind, ID: sid, Tenant: tenant})
		ids[kind] = append(ids[kind], sid)
	}
	want, err := boundRows(ctx, s, ids)
	if err != nil {
		return nil, nil, err
	}
	s.checkpoint(ctx)
	lethe, err := runLethe(ctx, job{Kind: "erase", URL: s.url, Policy: pol, At: time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC), Secret: benchSecret, Subjects: subjects})
	if err != nil {
		return nil, nil, err
	}
	row := Row{Case: "erasure", Dialect: s.dialect, Side: "lethe", Rows: lethe.Rows, Seconds: lethe.Seconds, PeakRSS: ptr(lethe.MaxRSSMB),
		LongestTx: ptr(lethe.LongestTx), P50: ptr(percentile(lethe.Latencies, 50)), P95: ptr(percentile(lethe.Latencies, 95)), P99: ptr(percentile(lethe.Latencies, 99)),
		Note: fmt.Sprintf("%d subjects (users, participants, contacts in turn) in a database of %d rows; rows/s is erasures/s; longest tx is the slowest erasure call", n, written)}
	if lethe.Seconds > 0 {
		row.RowsPerS = float64(lethe.Rows) / lethe.Seconds
	}
	var problems []string
	for ds, w := range want {
		if got := lethe.PerSet[ds]; got != w {
			problems = append(problems, fmt.Sprintf("erasures report %d rows of %s, want %d", got, ds, w))
		}
	}
	left, err := boundRows(ctx, s, ids)
	if err != nil {
		return nil, nil, err
	}
	for ds, n := range left {
		if n != 0 && ds != "user" && ds != "participant" { // subjects are anonymized, their rows stay
			problems = append(problems, fmt.Sprintf("%d rows of %s still bound to erased subjects", n, ds))
		}
	}
	for _, c := range []struct{ table, kind, cond string }{
		{"users", "user", "email NOT LIKE 'anon-%' OR first_name NOT LIKE 'Anonymized %' OR anonymized_at IS NULL"},
		{"participants", "participant", "email NOT LIKE 'anon-%' OR phone IS NOT NULL"},
	} {
		n, err := countIn(ctx, s, "SELECT COUNT(*) FROM "+c.table+" WHERE ("+c.cond+") AND id IN ", ids[c.kind])
		if err != nil {
			return nil, nil, err
		}
		if n != 0 {
			problems = append(problems, fmt.Sprintf("%d erased %s rows not anonymized", n, c.kind))
		}
	}
	return []Row{row}, problems, nil
}

// boundRows counts, per dataset, the rows bound to the chosen subjects.
func boundRows(ctx context.Context, s *scratch, ids map[string][]string) (map[string]int64, error) {
	out := map[string]int64{}
	for _, q := range []struct{ ds, kind, query string }{
		{"user", "user", "SELECT COUNT(*) FROM users WHERE id IN "},
		{"transactions", "user", "SELECT COUNT(*) FROM transactions WHERE performed_by IN "},
		{"support_tickets", "user", "SELECT COUNT(*) FROM support_tickets WHERE requester_id IN "},
		{"sessions", "user", "SELECT COUNT(*) FROM sessions WHERE user_id IN "},
		{"participant", "participant", "SELECT COUNT(*) FROM participants WHERE id IN "},
		{"answers", "participant", "SELECT COUNT(*) FROM answers WHERE participant_id IN "},
		{"answer_metadata", "participant", "SELECT COUNT(*) FROM answer_metadata WHERE answer_id IN (SELECT id FROM answers WHERE participant_id IN "},
		{"contact", "contact", "SELECT COUNT(*) FROM contacts WHERE id IN "},
		{"identity_events", "contact", "SELECT COUNT(*) FROM identity_events WHERE contact_id IN "},
	} {
		query := q.query
		n, err := countIn(ctx, s, query, ids[q.kind])
		if err != nil {
			return nil, err
		}
		out[q.ds] = n
	}
	return out, nil
}

// countIn runs prefix followed by an IN list of values, in chunks, and sums.
func countIn(ctx context.Context, s *scratch, prefix string, values []string) (int64, error) {
	var total int64
	for start := 0; start < len(values); start += 500 {
		part := values[start:min(start+500, len(values))]
		ph := make([]string, len(part))
		args := make([]any, len(part))
		for i, v := range part {
			ph[i] = s.d.Placeholder(i + 1)
			args[i] = v
		}
		q := prefix + "(" + strings.Join(ph, ", ") + ")"
		if strings.Count(q, "(") > strings.Count(q, ")") {
			q += ")"
		}
		n, err := s.count(ctx, q, args...)
		if err != nil {
			return 0, err
		}
		total += n
	}
	return total, nil
}

func exportCase(ctx context.Context, cfg *config, s *scratch) ([]Row, []string, error) {
	pol, err := saasPolicy()
	if err != nil {
		return nil, nil, err
	}
	owned := max(cfg.rows/20, 10)
	sc := scaleFor(100_000)
	sc.bigTx = owned
	sc.transactions = owned + 5*sc.users
	if _, err := buildSaaS(ctx, s, sc); err != nil {
		return nil, nil, err
	}
	// The subject: user 1 in ws_1, owning the first `owned` transactions
	// (and, like every user, maybe a ticket and a session).
	want := map[string]int64{"user": 1}
	for ds, q := range map[string]string{
		"transactions":    "SELECT COUNT(*) FROM transactions WHERE performed_by = 1",
		"support_tickets": "SELECT COUNT(*) FROM support_tickets WHERE requester_id = 1",
		"sessions":        "SELECT COUNT(*) FROM sessions WHERE user_id = 1",
	} {
		if want[ds], err = s.count(ctx, q); err != nil {
			return nil, nil, err
		}
	}
	s.checkpoint(ctx)
	lethe, err := runLethe(ctx, job{Kind: "export", URL: s.url, Policy: pol, At: time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC),
		Subjects: []subject{{Kind: "user", ID: "1", Tenant: "ws_1"}}})
	if err != nil {
		return nil, nil, err
	}
	// Baseline: the database streaming the same transactions to a client
	// that scans every column and does nothing with them.
	var got int64
	took, err := timed(func() error {
		rows, err := s.d.DB().QueryContext(ctx, "SELECT * FROM transactions WHERE performed_by = 1 ORDER BY id")
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			got++
		}
		return rows.Err()
	})
	if err != nil {
		return nil, nil, err
	}
	out := sides("export", s.dialect, lethe, Row{Side: "raw SELECT", Rows: got, Seconds: took.Seconds(),
		Note: "SELECT * of the subject's transactions, scanned and dropped"})
	out[0].Note = fmt.Sprintf("engine.Export of user:1 (%d owned transactions) as JSON, %d bytes", want["transactions"], lethe.Bytes)
	var problems []string
	if len(lethe.Exported) != 1 {
		problems = append(problems, "no export manifest")
	} else {
		for ds, w := range want {
			if g := lethe.Exported[0][ds]; g != w {
				problems = append(problems, fmt.Sprintf("export holds %d rows of %s, want %d", g, ds, w))
			}
		}
	}
	return out, problems, nil
}
