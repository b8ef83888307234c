package engine

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"lethe"
	"lethe/dialect"
	"lethe/dialect/dialecttest"
	"lethe/mask"
)

// The anonymize stage's faster paths (owned rows masked through their
// owner link, subjects not read, tenant rounds on SQLite) must change
// exactly what the row-by-row path changes: people of three tenants, with
// orders masked by the person's token alone (the owner path), notes under
// an hmac mask and contacts with a suppressed field (both read row by
// row), and a dataset with children of its own (read, to find them).
const maskPathsPolicy = `version: 1
tenant_column: tenant_id
subjects:
  person:
    table: people
    key: id
    fields: {first_name: pseudonym, email: email, phone: clear}
    lifecycle:
      anonymize: {after: 30 days, since: created_at, stamp: anonymized_at}
datasets:
  orders:
    table: orders
    key: id
    owner: {person: person_id}
    fields: {ship_name: pseudonym, code: {fixed: "X"}}
  notes:
    table: notes
    key: id
    owner: {person: person_id}
    fields: {body: hmac}
  contacts:
    table: contacts
    key: id
    owner: {person: person_id}
    fields: {email: email}
    suppress: [email]
  baskets:
    table: baskets
    key: id
    owner: {person: person_id}
    fields: {label: pseudonym}
  items:
    table: items
    key: id
    owner: {baskets: basket_id}
    fields: {label: pseudonym}
`

func createMaskPaths(t *testing.T, h dialecttest.Harness, d dialect.Dialect) {
	ts := h.Timestamp
	for _, ddl := range []string{
		`CREATE TABLE people (id BIGINT NOT NULL PRIMARY KEY, tenant_id VARCHAR(20), first_name VARCHAR(100), email VARCHAR(100), phone VARCHAR(40), created_at ` + ts + ` NOT NULL, anonymized_at ` + ts + `)`,
		`CREATE INDEX people_tenant_created ON people (tenant_id, created_at)`,
		`CREATE TABLE orders (id BIGINT NOT NULL PRIMARY KEY, tenant_id VARCHAR(20), person_id BIGINT, ship_name VARCHAR(100), code VARCHAR(10))`,
		`CREATE INDEX orders_person ON orders (person_id)`,
		`CREATE TABLE notes (id BIGINT NOT NULL PRIMARY KEY, tenant_id VARCHAR(20), person_id BIGINT, body VARCHAR(100))`,
		`CREATE INDEX notes_person ON notes (person_id)`,
		`CREATE TABLE contacts (id BIGINT NOT NULL PRIMARY KEY, tenant_id VARCHAR(20), person_id BIGINT, email VARCHAR(100))`,
		`CREATE INDEX contacts_person ON contacts (person_id)`,
		`CREATE TABLE baskets (id BIGINT NOT NULL PRIMARY KEY, tenant_id VARCHAR(20), person_id BIGINT, label VARCHAR(100))`,
		`CREATE INDEX baskets_person ON baskets (person_id)`,
		`CREATE TABLE items (id BIGINT NOT NULL PRIMARY KEY, tenant_id VARCHAR(20), basket_id BIGINT, label VARCHAR(100))`,
		`CREATE INDEX items_basket ON items (basket_id)`,
	} {
		dialecttest.Exec(t, d, ddl)
	}
	// 90 people of tenants t1..t3; the first 60 are due (created in 2023),
	// the rest not (a week before the run).
	for id := 1; id <= 90; id++ {
		tenant := fmt.Sprintf("t%d", id%3+1)
		created := fmt.Sprintf("2023-01-01 00:%02d:00", id/6) // two of a tenant a minute
		if id > 60 {
			created = "2024-03-25 00:00:00"
		}
		dialecttest.Exec(t, d, `INSERT INTO people (id, tenant_id, first_name, email, phone, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			id, tenant, fmt.Sprintf("First%d", id), fmt.Sprintf("p%d@example.com", id), "+1 555 0100", created)
		for k := 0; k < 2; k++ {
			dialecttest.Exec(t, d, `INSERT INTO orders (id, tenant_id, person_id, ship_name, code) VALUES (?, ?, ?, ?, ?)`,
				1000+2*id+k, tenant, id, fmt.Sprintf("First%d Last", id), "A1")
		}
		dialecttest.Exec(t, d, `INSERT INTO notes (id, tenant_id, person_id, body) VALUES (?, ?, ?, ?)`, 2000+id, tenant, id, fmt.Sprintf("note %d", id))
		if id%10 == 0 {
			dialecttest.Exec(t, d, `INSERT INTO contacts (id, tenant_id, person_id, email) VALUES (?, ?, ?, ?)`, 3000+id, tenant, id, fmt.Sprintf("c%d@example.com", id))
		}
		if id%4 == 0 {
			dialecttest.Exec(t, d, `INSERT INTO baskets (id, tenant_id, person_id, label) VALUES (?, ?, ?, ?)`, 4000+id, tenant, id, "basket")
			dialecttest.Exec(t, d, `INSERT INTO items (id, tenant_id, basket_id, label) VALUES (?, ?, ?, ?)`, 5000+id, tenant, 4000+id, "item")
		}
	}
	// An order of nobody, and one whose person is another tenant's: the
	// owner decides, as with the rows read one by one.
	dialecttest.Exec(t, d, `INSERT INTO orders (id, tenant_id, person_id, ship_name, code) VALUES (1, 't1', NULL, 'nobody', 'A1'), (2, 't1', 5, 'cross-tenant', 'A1')`)
}

func maskPathsEngine(t *testing.T, d dialect.Dialect) *Engine {
	t.Helper()
	return policyEngine(t, d, "maskpaths.yaml", maskPathsPolicy)
}

func maskPathsDump(t *testing.T, d dialect.Dialect) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		"SELECT id, tenant_id, first_name, email, phone, anonymized_at FROM people ORDER BY id",
		"SELECT id, person_id, ship_name, code FROM orders ORDER BY id",
		"SELECT id, person_id, body FROM notes ORDER BY id",
		"SELECT id, person_id, email FROM contacts ORDER BY id",
		"SELECT id, label FROM baskets ORDER BY id",
		"SELECT id, label FROM items ORDER BY id",
		"SELECT tenant, digest FROM lethe_suppression ORDER BY tenant, digest",
	} {
		out = append(out, dialecttest.Rows(t, d, q)...)
	}
	return out
}

// perTenant sums a sweep's ledger rows by tenant and dataset.
func perTenant(res *SweepResult) []string {
	sums := map[string]int64{}
	for _, en := range res.Entries {
		sums[en.Tenant+" "+en.Dataset] += en.Rows
	}
	var out []string
	for k, n := range sums {
		out = append(out, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(out)
	return out
}

func TestAnonymizePaths(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		// The same database swept by a walk of the people table over all
		// tenants (two thirds of it are due), with batches grown by the
		// engine or of a fixed size, and tenant after tenant through the
		// index on the clock (noWalks: the fast paths, rounds on SQLite,
		// and a small fixed batch) must end alike. Grown batches starting
		// from 9 rows (3 a tenant in a round on SQLite) page through rows
		// that share a clock value.
		var dumps [][]string
		for _, opts := range []SweepOptions{{}, {Batch: 7}, {Batch: 9, adaptive: true},
			{noWalks: true}, {Batch: 7, noWalks: true}, {Batch: 9, adaptive: true, noWalks: true}} {
			batch := fmt.Sprintf("%d (walks %v)", opts.Batch, !opts.noWalks)
			opts.At, opts.Confirm = runAt, true
			d := h.Open(t)
			createMaskPaths(t, h, d)
			e := maskPathsEngine(t, d)
			res, err := e.Sweep(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			// 20 due people per tenant; person 5 (tenant t3) also owns the
			// cross-tenant order, counted with its owner's tenant.
			want := []string{
				"t1 baskets 5", "t1 contacts 2", "t1 items 5", "t1 notes 20", "t1 orders 40", "t1 person 20",
				"t2 baskets 5", "t2 contacts 2", "t2 items 5", "t2 notes 20", "t2 orders 40", "t2 person 20",
				"t3 baskets 5", "t3 contacts 2", "t3 items 5", "t3 notes 20", "t3 orders 41", "t3 person 20",
			}
			if got := perTenant(res); !reflect.DeepEqual(got, want) {
				t.Errorf("batch %s: ledger rows = %v, want %v", batch, got, want)
			}
			dump := maskPathsDump(t, d)
			checkMaskPaths(t, d, dump)
			dumps = append(dumps, dump)
			// A second run finds nothing left to do.
			again, err := e.Sweep(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, en := range again.Entries {
				if en.Rows != 0 {
					t.Errorf("batch %s: the second run changed %d rows of %s (tenant %s)", batch, en.Rows, en.Dataset, en.Tenant)
				}
			}
			if got := maskPathsDump(t, d); !reflect.DeepEqual(got, dump) {
				t.Errorf("batch %s: the second run changed the data", batch)
			}
		}
		for i := 1; i < len(dumps); i++ {
			if !reflect.DeepEqual(dumps[0], dumps[i]) {
				t.Errorf("sweep %d ends differently from the first:\n%s\n---\n%s", i+1, strings.Join(dumps[0], "\n"), strings.Join(dumps[i], "\n"))
			}
		}
	})
}

// checkMaskPaths checks the values a few rows hold after the sweep.
func checkMaskPaths(t *testing.T, d dialect.Dialect, dump []string) {
	t.Helper()
	m := mask.New(secret)
	tok := func(id int) string { return m.Token(fmt.Sprintf("person:%d", id)) }
	want := []string{
		fmt.Sprintf("5|t3|Anonymized %s|anon-%s@anonymized.invalid|NULL|2024-04-01 00:00:00", tok(5), tok(5)),
		"61|t2|First61|p61@example.com|+1 555 0100|NULL",
	}
	got := dialecttest.Rows(t, d, "SELECT id, tenant_id, first_name, email, phone, anonymized_at FROM people WHERE id IN (5, 61) ORDER BY id")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("people = %q, want %q", got, want)
	}
	want = []string{
		"1|NULL|nobody|A1",
		fmt.Sprintf("2|5|Anonymized %s|X", tok(5)),
		fmt.Sprintf("1010|5|Anonymized %s|X", tok(5)),
		fmt.Sprintf("1011|5|Anonymized %s|X", tok(5)),
		"1122|61|First61 Last|A1",
	}
	got = dialecttest.Rows(t, d, "SELECT id, person_id, ship_name, code FROM orders WHERE id IN (1, 2, 1010, 1011, 1122) ORDER BY id")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("orders = %q, want %q", got, want)
	}
	want = []string{"2005|" + hexMAC(m, "note 5"), "2061|note 61"}
	if got := dialecttest.Rows(t, d, "SELECT id, body FROM notes WHERE id IN (2005, 2061) ORDER BY id"); !reflect.DeepEqual(got, want) {
		t.Errorf("notes = %q, want %q", got, want)
	}
	want = []string{fmt.Sprintf("4008|Anonymized %s", tok(8)), "4064|basket"}
	if got := dialecttest.Rows(t, d, "SELECT id, label FROM baskets WHERE id IN (4008, 4064) ORDER BY id"); !reflect.DeepEqual(got, want) {
		t.Errorf("baskets = %q, want %q", got, want)
	}
	want = []string{fmt.Sprintf("5008|Anonymized %s", tok(8)), "5064|item"}
	if got := dialecttest.Rows(t, d, "SELECT id, label FROM items WHERE id IN (5008, 5064) ORDER BY id"); !reflect.DeepEqual(got, want) {
		t.Errorf("items = %q, want %q", got, want)
	}
	want = []string{"t1|" + m.Digest("c30@example.com"), "t2|" + m.Digest("c10@example.com")}
	got = dialecttest.Rows(t, d, "SELECT tenant, digest FROM lethe_suppression WHERE digest IN (?, ?) ORDER BY tenant", m.Digest("c30@example.com"), m.Digest("c10@example.com"))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("suppression = %q, want %q", got, want)
	}
}

var hmacMask = lethe.Mask{Kind: lethe.MaskHMAC}

// hexMAC is what the hmac mask writes for a value.
func hexMAC(m *mask.Masker, value string) string {
	v, err := m.Apply(hmacMask, mask.Column{MaxLength: 100}, mask.Input{Value: value})
	if err != nil {
		panic(err)
	}
	return v.(string)
}

// TestAnonymizeWalkHolds: a walk over all tenants leaves a tenant on hold
// to run on its own (changing nothing, its due rows reported held), skips
// a held subject and counts it, and ends as the sweep tenant after tenant
// does.
func TestAnonymizeWalkHolds(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		var dumps [][]string
		for _, noWalks := range []bool{false, true} {
			d := h.Open(t)
			createMaskPaths(t, h, d)
			e := maskPathsEngine(t, d)
			for _, hold := range []Hold{{Tenant: "t2"}, {Tenant: "t1", SubjectKind: "person", SubjectKey: "3"}} {
				hold.Reason, hold.CreatedBy, hold.CreatedAt = "case 7", "legal", runAt
				if _, err := e.AddHold(ctx, hold); err != nil {
					t.Fatal(err)
				}
			}
			res, err := e.Sweep(ctx, SweepOptions{At: runAt, Confirm: true, noWalks: noWalks})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, en := range res.Entries {
				if en.Dataset == "person" {
					got = append(got, fmt.Sprintf("%s rows %d held %d", en.Tenant, en.Rows, en.Held))
				}
			}
			sort.Strings(got)
			want := []string{"t1 rows 19 held 1", "t2 rows 0 held 20", "t3 rows 20 held 0"}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("walks %v: person entries = %v, want %v", !noWalks, got, want)
			}
			if got, want := perTenant(res), []string{
				"t1 baskets 5", "t1 contacts 2", "t1 items 5", "t1 notes 19", "t1 orders 38", "t1 person 19",
				"t2 baskets 0", "t2 contacts 0", "t2 items 0", "t2 notes 0", "t2 orders 0", "t2 person 0",
				"t3 baskets 5", "t3 contacts 2", "t3 items 5", "t3 notes 20", "t3 orders 41", "t3 person 20",
			}; !reflect.DeepEqual(got, want) {
				t.Errorf("walks %v: ledger rows = %v, want %v", !noWalks, got, want)
			}
			left := dialecttest.Rows(t, d, "SELECT COUNT(*) FROM people WHERE anonymized_at IS NULL AND (id = 3 OR tenant_id = 't2')")
			if !reflect.DeepEqual(left, []string{"31"}) { // t2's 30 people and person 3
				t.Errorf("walks %v: held people not anonymized = %v, want 31", !noWalks, left)
			}
			dumps = append(dumps, maskPathsDump(t, d))
		}
		if !reflect.DeepEqual(dumps[0], dumps[1]) {
			t.Errorf("the walk ends differently from the sweep tenant after tenant:\n%s\n---\n%s", strings.Join(dumps[0], "\n"), strings.Join(dumps[1], "\n"))
		}
	})
}

// TestWalkersAnonymizeExactly: an anonymization of most of a table walks
// it two stretches at a time (one on SQLite), with owned rows masked in
// each stretch's transaction; each tenant's entries and the rows are
// exact, and a second sweep finds nothing.
func TestWalkersAnonymizeExactly(t *testing.T) {
	const policyText = `version: 1
tenant_column: tenant_id
subjects:
  person:
    table: people
    key: id
    fields: {first_name: pseudonym, email: email, phone: clear}
    lifecycle:
      anonymize: {after: 30 days, since: created_at, stamp: anonymized_at}
datasets:
  orders:
    table: orders
    key: id
    owner: {person: person_id}
    fields: {ship_name: pseudonym}
`
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		d := h.Open(t)
		for _, ddl := range []string{
			`CREATE TABLE people (id BIGINT NOT NULL PRIMARY KEY, tenant_id VARCHAR(20), first_name VARCHAR(100), email VARCHAR(100), phone VARCHAR(40), created_at ` + h.Timestamp + ` NOT NULL, anonymized_at ` + h.Timestamp + `)`,
			`CREATE INDEX people_tenant_created ON people (tenant_id, created_at)`,
			`CREATE TABLE orders (id BIGINT NOT NULL PRIMARY KEY, person_id BIGINT, ship_name VARCHAR(100))`,
			`CREATE INDEX orders_person ON orders (person_id)`,
		} {
			dialecttest.Exec(t, d, ddl)
		}
		// 3,000 people of four tenants (and none), two in three due; two
		// orders each, the second far on in the table.
		const n = 3000
		tenants := []any{"w0", "w1", "w2", "w3", nil}
		want := map[string]int64{}
		var people, orders []string
		var pargs, oargs []any
		for i := 1; i <= n; i++ {
			tenant := tenants[i%len(tenants)]
			created := "2024-03-25 00:00:00"
			if i%3 != 0 {
				created = "2023-06-01 00:00:00"
				name, _ := tenant.(string)
				want[name+" person"]++
				want[name+" orders"] += 2
			}
			people = append(people, "(?, ?, ?, ?, ?, ?)")
			pargs = append(pargs, i, tenant, fmt.Sprintf("First%d", i), fmt.Sprintf("p%d@example.com", i), "+1 555 0100", created)
			orders = append(orders, "(?, ?, ?)", "(?, ?, ?)")
			oargs = append(oargs, i, i, fmt.Sprintf("First%d Last", i), n+i, i, fmt.Sprintf("First%d Last", i))
			if len(people) == 250 || i == n {
				dialecttest.Exec(t, d, "INSERT INTO people (id, tenant_id, first_name, email, phone, created_at) VALUES "+strings.Join(people, ", "), pargs...)
				dialecttest.Exec(t, d, "INSERT INTO orders (id, person_id, ship_name) VALUES "+strings.Join(orders, ", "), oargs...)
				people, orders, pargs, oargs = nil, nil, nil, nil
			}
		}
		e := policyEngine(t, d, "walkers.yaml", policyText)
		var batches int
		res, err := e.Sweep(ctx, SweepOptions{At: runAt, Confirm: true, Batch: 150, Walkers: 2,
			OnBatch: func(int64, time.Duration) { batches++ }})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, en := range res.Entries {
			got[en.Tenant+" "+en.Dataset] += en.Rows
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ledger = %v, want %v", got, want)
		}
		if batches < 10 {
			t.Errorf("%d batches, want the walk to take many", batches)
		}
		// Each due person and both its orders hold the person's token;
		// no other row changed.
		m := mask.New(secret)
		rows := dialecttest.Rows(t, d, `SELECT p.id, p.first_name, p.email, p.phone, o.ship_name FROM people p JOIN orders o ON o.person_id = p.id
			WHERE p.anonymized_at IS NOT NULL ORDER BY o.id`)
		if len(rows) != 2*2000 {
			t.Fatalf("%d anonymized people's orders, want 4000", len(rows))
		}
		for _, r := range rows {
			var id int
			fmt.Sscanf(r, "%d|", &id)
			tok := m.Token(fmt.Sprintf("person:%d", id))
			if want := fmt.Sprintf("%d|Anonymized %s|anon-%s@anonymized.invalid|NULL|Anonymized %s", id, tok, tok, tok); r != want || id%3 == 0 {
				t.Fatalf("row %q, want %q", r, want)
			}
		}
		if left := dialecttest.Rows(t, d, "SELECT COUNT(*) FROM orders WHERE ship_name NOT LIKE 'Anonymized %'"); !reflect.DeepEqual(left, []string{"2000"}) {
			t.Errorf("orders left as they were: %v, want 2000", left)
		}
		again, err := e.Sweep(ctx, SweepOptions{At: runAt, Confirm: true, Walkers: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range again.Entries {
			if en.Rows != 0 {
				t.Errorf("second sweep: %+v", en)
			}
		}
	})
}

// TestSteadyStateAnonymize: in a steady state most people before the
// cutoff were anonymized by earlier runs and a few are due. The plan
// counts each tenant's rows before the cutoff, whose share makes the
// sweep walk the table (finding the due ones through the index on the
// clock would read every one of those rows); the sweep anonymizes
// exactly the due people, and a sweep with nothing due takes no batch.
func TestSteadyStateAnonymize(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		d := h.Open(t)
		createMaskPaths(t, h, d)
		// Of the 60 people before the cutoff, all but 3 (ids 10, 20, 30:
		// tenants t2, t3, t1) were anonymized by an earlier run.
		dialecttest.Exec(t, d, "UPDATE people SET anonymized_at = ? WHERE id <= 60 AND id NOT IN (10, 20, 30)", "2024-02-01 00:00:00")
		e := maskPathsEngine(t, d)
		plan, err := e.Plan(ctx, PlanOptions{At: runAt, Only: "person"})
		if err != nil {
			t.Fatal(err)
		}
		var due, before int64
		var got []string
		for _, r := range plan {
			got = append(got, fmt.Sprintf("%s rows %d before %d", r.Tenant, r.Rows, r.before))
			due += r.Rows
			before += r.before
		}
		if want := []string{"t1 rows 1 before 20", "t2 rows 1 before 20", "t3 rows 1 before 20"}; !reflect.DeepEqual(got, want) {
			t.Errorf("plan = %v, want %v", got, want)
		}
		opts := SweepOptions{At: runAt, Confirm: true, tableRows: map[string]int64{}}
		for _, tc := range []struct {
			before int64
			want   bool
		}{{0, false}, {before, true}} {
			if walk, err := e.walks(ctx, plan[0].item, due, tc.before, opts); err != nil || walk != tc.want {
				t.Errorf("walks(due %d, before %d) = %v, %v; want %v", due, tc.before, walk, err, tc.want)
			}
		}
		res, err := e.Sweep(ctx, SweepOptions{At: runAt, Confirm: true})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := perTenant(res), []string{
			"t1 baskets 0", "t1 contacts 1", "t1 items 0", "t1 notes 1", "t1 orders 2", "t1 person 1",
			"t2 baskets 0", "t2 contacts 1", "t2 items 0", "t2 notes 1", "t2 orders 2", "t2 person 1",
			"t3 baskets 1", "t3 contacts 1", "t3 items 1", "t3 notes 1", "t3 orders 2", "t3 person 1",
		}; !reflect.DeepEqual(got, want) {
			t.Errorf("ledger rows = %v, want %v", got, want)
		}
		m := mask.New(secret)
		want := []string{}
		for _, id := range []int{10, 20, 30} {
			want = append(want, fmt.Sprintf("%d|Anonymized %s", id, m.Token(fmt.Sprintf("person:%d", id))))
		}
		if got := dialecttest.Rows(t, d, "SELECT id, first_name FROM people WHERE first_name LIKE 'Anonymized %' ORDER BY id"); !reflect.DeepEqual(got, want) {
			t.Errorf("anonymized people = %v, want %v", got, want)
		}
		// Nothing is due now: no batch runs, and each entry is sealed with
		// no rows.
		var batches int
		again, err := e.Sweep(ctx, SweepOptions{At: runAt, Confirm: true, OnBatch: func(int64, time.Duration) { batches++ }})
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range again.Entries {
			if en.Rows != 0 || !en.Sealed() {
				t.Errorf("second sweep: %+v", en)
			}
		}
		if batches != 0 {
			t.Errorf("second sweep: %d batches, want none", batches)
		}
	})
}
