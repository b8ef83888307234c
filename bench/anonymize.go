package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"lethe"
	"lethe/mask"
)

// benchSecret is the HMAC key of the anonymize case.
const benchSecret = "lethe-bench-secret-0123456789abcdef"

func peopleDDL(g sqlgen) (string, []string, string, []string) {
	people := `CREATE TABLE %s (id BIGINT NOT NULL PRIMARY KEY, tenant_id VARCHAR(64), first_name VARCHAR(100), last_name VARCHAR(100),
		email VARCHAR(254), phone VARCHAR(40), note TEXT, created_at ` + g.ts() + ` NOT NULL, anonymized_at ` + g.ts() + `)`
	orders := `CREATE TABLE %s (id BIGINT NOT NULL PRIMARY KEY, tenant_id VARCHAR(64), person_id BIGINT, ship_name VARCHAR(200),
		amount_cents BIGINT NOT NULL, created_at ` + g.ts() + ` NOT NULL)`
	return people, []string{"CREATE INDEX %s_tenant_created ON %s (tenant_id, created_at)"},
		orders, []string{"CREATE INDEX %s_person ON %s (person_id)"}
}

func anonymizePolicy(suffix string) string {
	return `version: 1
tenant_column: tenant_id
subjects:
  person:
    table: people_` + suffix + `
    key: id
    fields: {first_name: pseudonym, last_name: pseudonym, email: email, phone: clear, note: clear}
    lifecycle:
      anonymize: {after: 30 days, since: created_at, stamp: anonymized_at}
datasets:
  orders:
    table: orders_` + suffix + `
    key: id
    owner: {person: person_id}
    fields: {ship_name: pseudonym}
`
}

func buildPeople(ctx context.Context, s *scratch, subjects int64) error {
	g := sqlgen{s.dialect}
	pDDL, pIx, oDDL, oIx := peopleDDL(g)
	N := strconv.FormatInt(subjects, 10)
	if err := s.exec(ctx, fmt.Sprintf(pDDL, "people_lethe")); err != nil {
		return err
	}
	err := s.fill(ctx, "people_lethe",
		[]string{"id", "tenant_id", "first_name", "last_name", "email", "phone", "note", "created_at"},
		[]string{"n",
			g.concat("'tenant_'", g.text("n % "+strconv.Itoa(purgeTenants))),
			g.concat("'First'", g.text("n")),
			g.concat("'Last'", g.text("n")),
			g.concat("'person'", g.text("n"), "'@example.com'"),
			g.concat("'+1 555 '", g.text("n % 10000")),
			g.concat("'likes the blue one, asked about '", g.hash("n")),
			g.at(g.idiv("n * 5184000", N) + " + (n * 7919) % 7200"),
		}, subjects)
	if err != nil {
		return err
	}
	if err := s.exec(ctx, fmt.Sprintf(oDDL, "orders_lethe")); err != nil {
		return err
	}
	err = s.fill(ctx, "orders_lethe",
		[]string{"id", "tenant_id", "person_id", "ship_name", "amount_cents", "created_at"},
		[]string{"n",
			g.concat("'tenant_'", g.text("((n - 1) % "+N+" + 1) % "+strconv.Itoa(purgeTenants))),
			"(n - 1) % " + N + " + 1",
			g.concat("'First'", g.text("(n - 1) % "+N+" + 1"), "' Last'", g.text("(n - 1) % "+N+" + 1")),
			"n * 7 % 100000",
			g.at("n % 5184000"),
		}, 3*subjects)
	if err != nil {
		return err
	}
	for _, ix := range pIx {
		if err := s.exec(ctx, strings.ReplaceAll(ix, "%s", "people_lethe")); err != nil {
			return err
		}
	}
	for _, ix := range oIx {
		if err := s.exec(ctx, strings.ReplaceAll(ix, "%s", "orders_lethe")); err != nil {
			return err
		}
	}
	if err := s.copyTable(ctx, pDDL, pIx, "people_lethe", "people_raw"); err != nil {
		return err
	}
	if err := s.copyTable(ctx, oDDL, oIx, "orders_lethe", "orders_raw"); err != nil {
		return err
	}
	return s.analyze(ctx, "people_lethe", "orders_lethe", "people_raw", "orders_raw")
}

// rawToken is the baseline's stand-in for Lethe's token: SQL has no keyed
// HMAC on MariaDB or SQLite, so an unkeyed hash of the same reference
// (md5, or a multiplicative hash on SQLite) does the same amount of work
// per row.
func rawToken(g sqlgen, id string) string {
	switch g.name {
	case "sqlite":
		return "printf('%012x', (" + id + " * 2654435761) % 281474976710655)"
	default:
		return "substr(" + g.hash(g.concat("'person:'", g.text(id))) + ", 1, 12)"
	}
}

func anonymizeCase(ctx context.Context, cfg *config, s *scratch) ([]Row, []string, error) {
	subjects := max(cfg.rows/2, 10)
	if err := buildPeople(ctx, s, subjects); err != nil {
		return nil, nil, err
	}
	p1 := s.d.Placeholder(1)
	cut := cutoffArg(s, purgeCutoff)
	wantPeople, err := s.count(ctx, "SELECT COUNT(*) FROM people_raw WHERE created_at < "+p1, cut)
	if err != nil {
		return nil, nil, err
	}
	wantOrders, err := s.count(ctx, "SELECT COUNT(*) FROM orders_raw WHERE person_id IN (SELECT id FROM people_raw WHERE created_at < "+p1+")", cut)
	if err != nil {
		return nil, nil, err
	}
	lres, err := sweepLethe(ctx, cfg, s, anonymizePolicy("lethe"), purgeAt, benchSecret)
	if err != nil {
		return nil, nil, err
	}

	s.checkpoint(ctx)
	g := sqlgen{s.dialect}
	tok := rawToken(g, "id")
	stamp := s.d.ClockArg(lethe.ClockNative, purgeAt, time.UTC)
	if s.dialect == "sqlite" {
		stamp = purgeAt.Format("2006-01-02 15:04:05")
	}
	p2 := s.d.Placeholder(2)
	updPeople := "UPDATE people_raw SET first_name = " + g.concat("'Anonymized '", tok) + ", last_name = " + g.concat("'Anonymized '", tok) +
		", email = " + g.concat("'anon-'", tok, "'@anonymized.invalid'") + ", phone = NULL, note = NULL, anonymized_at = " + p1 +
		" WHERE created_at < " + p2 + " AND anonymized_at IS NULL"
	updOrders := "UPDATE orders_raw SET ship_name = " + g.concat("'Anonymized '", rawToken(g, "person_id")) +
		" WHERE person_id IN (SELECT id FROM people_raw WHERE created_at < " + p1 + ")"
	var changed int64
	var longest float64
	took, io, err := s.timedIO(ctx, func() error {
		for _, st := range []struct {
			q    string
			args []any
		}{{updPeople, []any{stamp, cut}}, {updOrders, []any{cut}}} {
			t, err := timed(func() error {
				res, err := s.d.DB().ExecContext(ctx, st.q, st.args...)
				if err != nil {
					return fmt.Errorf("%s: %w", abbrev(st.q), err)
				}
				n, err := res.RowsAffected()
				changed += n
				return err
			})
			if err != nil {
				return err
			}
			longest = max(longest, ms(t))
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	base := Row{Side: "raw UPDATE", Rows: changed, Seconds: took.Seconds(), LongestTx: ptr(longest),
		Note: withNote("two UPDATEs (subjects, then owned rows) computing the masks in SQL with an unkeyed hash", io)}

	problems, err := checkAnonymized(ctx, s, lres, wantPeople, wantOrders)
	if err != nil {
		return nil, nil, err
	}
	return sides("anonymize", s.dialect, lres, base), problems, nil
}

func checkAnonymized(ctx context.Context, s *scratch, lethe *outcome, wantPeople, wantOrders int64) ([]string, error) {
	var problems []string
	if got := lethe.PerSet["person"]; got != wantPeople {
		problems = append(problems, fmt.Sprintf("the ledger records %d people anonymized, want %d", got, wantPeople))
	}
	if got := lethe.PerSet["orders"]; got != wantOrders {
		problems = append(problems, fmt.Sprintf("the ledger records %d orders anonymized, want %d", got, wantOrders))
	}
	p1 := s.d.Placeholder(1)
	cut := cutoffArg(s, purgeCutoff)
	checks := []struct{ what, query string }{
		{"due people not fully masked", "SELECT COUNT(*) FROM people_lethe WHERE created_at < " + p1 +
			" AND (anonymized_at IS NULL OR phone IS NOT NULL OR note IS NOT NULL OR email NOT LIKE 'anon-%@anonymized.invalid' OR first_name NOT LIKE 'Anonymized %' OR last_name <> first_name)"},
		{"people not due but changed", "SELECT COUNT(*) FROM people_lethe WHERE NOT (created_at < " + p1 + ") AND (anonymized_at IS NOT NULL OR phone IS NULL OR first_name LIKE 'Anonymized %')"},
		{"orders of due people not masked", "SELECT COUNT(*) FROM orders_lethe WHERE person_id IN (SELECT id FROM people_lethe WHERE created_at < " + p1 + ") AND ship_name NOT LIKE 'Anonymized %'"},
		{"orders of people not due but changed", "SELECT COUNT(*) FROM orders_lethe WHERE person_id IN (SELECT id FROM people_lethe WHERE NOT (created_at < " + p1 + ")) AND ship_name LIKE 'Anonymized %'"},
	}
	for _, c := range checks {
		n, err := s.count(ctx, c.query, cut)
		if err != nil {
			return nil, err
		}
		if n != 0 {
			problems = append(problems, fmt.Sprintf("%d %s", n, c.what))
		}
	}
	// Exact values for a sample: the keyed token of each person, the same
	// in its orders.
	m := mask.New([]byte(benchSecret))
	rows, err := s.d.DB().QueryContext(ctx, "SELECT p.id, p.first_name, p.email, o.ship_name FROM people_lethe p JOIN orders_lethe o ON o.person_id = p.id WHERE p.created_at < "+p1+" AND p.id % 97 = 1", cut)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var id int64
		var first, email, ship string
		if err := rows.Scan(&id, &first, &email, &ship); err != nil {
			return nil, err
		}
		tok := m.Token("person:" + strconv.FormatInt(id, 10))
		if first != "Anonymized "+tok || email != "anon-"+tok+"@anonymized.invalid" || ship != "Anonymized "+tok {
			problems = append(problems, fmt.Sprintf("person %d holds %q, %q, order %q; want the token %s", id, first, email, ship, tok))
			break
		}
		seen++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if seen == 0 && wantPeople > 0 {
		problems = append(problems, "no anonymized person found to check the values of")
	}
	return problems, nil
}
