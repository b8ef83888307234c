package dialecttest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"lethe"
	"lethe/dialect"
)

// Run runs the conformance suite against one dialect. Every behaviour the
// engine relies on is written here once, so no database is second class.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"Migrate", testMigrate},
		{"Introspect", testIntrospect},
		{"QuoteAndCase", testQuoteAndCase},
		{"SelectDueKeys", testSelectDueKeys},
		{"SelectDueKeysPaging", testSelectDueKeysPaging},
		{"ClockFallback", testClockFallback},
		{"UnixClocks", testUnixClocks},
		{"ZonelessClockInPolicyZone", testZonelessClockInPolicyZone},
		{"UpdateByKeys", testUpdateByKeys},
		{"UpdateRows", testUpdateRows},
		{"UpdateManyRows", testUpdateManyRows},
		{"SelectDueKeysFrom", testSelectDueKeysFrom},
		{"DeleteByKeys", testDeleteByKeys},
		{"Indexes", testIndexes},
		{"WalkByKey", testWalkByKey},
		{"WalkByIntegerKey", testWalkByIntegerKey},
		{"WalkByPages", testWalkByPages},
		{"DistinctValues", testDistinctValues},
		{"SelectStretch", testSelectStretch},
		{"CountDueByTenant", testCountDueByTenant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, h)
		})
	}
}

var ctx = context.Background()

func exec(t *testing.T, d dialect.Dialect, query string, args ...any) {
	t.Helper()
	mustExec(t, d.DB(), query, args...)
}

func testMigrate(t *testing.T, h Harness) {
	d := h.Open(t)
	if pending, err := d.Pending(ctx); err != nil || !pending {
		t.Errorf("Pending before migrating = %v, %v; want true", pending, err)
	}
	for i := 0; i < 2; i++ { // the second run finds nothing to do
		if err := d.Migrate(ctx); err != nil {
			t.Fatalf("migrate (run %d): %v", i+1, err)
		}
	}
	s, err := d.Introspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range s.Tables {
		names = append(names, tb.Name)
	}
	if pending, err := d.Pending(ctx); err != nil || pending {
		t.Errorf("Pending after migrating = %v, %v; want false", pending, err)
	}
	want := []string{"lethe_holds", "lethe_leases", "lethe_ledger", "lethe_ledger_head", "lethe_migrations", "lethe_request_events", "lethe_requests", "lethe_suppression", "lethe_tenant_settings", "lethe_tokens"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("tables after migrate = %v, want %v", names, want)
	}
	ledger, _ := s.Table("lethe_ledger")
	if !ledger.Leads("tenant", "subject_key") {
		t.Errorf("lethe_ledger has no index on (tenant, subject_key): %+v", ledger.Indexes)
	}
	if !reflect.DeepEqual(ledger.PrimaryKey, []string{"id"}) {
		t.Errorf("lethe_ledger primary key = %v", ledger.PrimaryKey)
	}
	wantCols := []string{"id", "at", "tenant", "dataset", "reason", "subject_key", "cutoff", "actor", "rows", "note", "detail", "prev_hash", "hash", "run_id", "held", "seq", "sealed_at"}
	if got := ledger.ColumnNames(); !reflect.DeepEqual(got, wantCols) {
		t.Errorf("lethe_ledger columns = %v, want %v", got, wantCols)
	}
	settings, _ := s.Table("lethe_tenant_settings")
	if !reflect.DeepEqual(settings.PrimaryKey, []string{"tenant", "setting"}) {
		t.Errorf("lethe_tenant_settings primary key = %v", settings.PrimaryKey)
	}
}

func testIntrospect(t *testing.T, h Harness) {
	d := h.Open(t)
	exec(t, d, `CREATE TABLE accounts (id BIGINT NOT NULL PRIMARY KEY, email VARCHAR(120) NOT NULL, note TEXT, created_at `+h.Timestamp+`)`)
	exec(t, d, `CREATE TABLE orders (id BIGINT NOT NULL PRIMARY KEY, account_id BIGINT, total BIGINT NOT NULL,
		FOREIGN KEY (account_id) REFERENCES accounts (id))`)
	exec(t, d, `CREATE TABLE memberships (org_id BIGINT NOT NULL, account_id BIGINT NOT NULL, role VARCHAR(20),
		PRIMARY KEY (org_id, account_id), FOREIGN KEY (account_id) REFERENCES accounts (id))`)
	exec(t, d, `CREATE TABLE grants (id BIGINT NOT NULL PRIMARY KEY, org_id BIGINT NOT NULL, account_id BIGINT NOT NULL,
		FOREIGN KEY (org_id, account_id) REFERENCES memberships (org_id, account_id))`)
	s, err := d.Introspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range s.Tables {
		names = append(names, tb.Name)
	}
	if want := []string{"accounts", "grants", "memberships", "orders"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("tables = %v, want %v", names, want)
	}
	accounts, _ := s.Table("accounts")
	if got := accounts.ColumnNames(); !reflect.DeepEqual(got, []string{"id", "email", "note", "created_at"}) {
		t.Errorf("accounts columns = %v", got)
	}
	email, _ := accounts.Column("email")
	if email.MaxLength != 120 || email.Nullable {
		t.Errorf("email = %+v, want max length 120, not nullable", email)
	}
	if note, _ := accounts.Column("note"); !note.Nullable || note.MaxLength != 0 {
		t.Errorf("note = %+v, want nullable, unbounded", note)
	}
	if !reflect.DeepEqual(accounts.PrimaryKey, []string{"id"}) || len(accounts.ForeignKeys) != 0 {
		t.Errorf("accounts keys = %v %v", accounts.PrimaryKey, accounts.ForeignKeys)
	}
	orders, _ := s.Table("orders")
	if want := []dialect.ForeignKey{{Columns: []string{"account_id"}, RefTable: "accounts", RefColumns: []string{"id"}}}; !reflect.DeepEqual(orders.ForeignKeys, want) {
		t.Errorf("orders foreign keys = %+v, want %+v", orders.ForeignKeys, want)
	}
	memberships, _ := s.Table("memberships")
	if !reflect.DeepEqual(memberships.PrimaryKey, []string{"org_id", "account_id"}) {
		t.Errorf("memberships primary key = %v", memberships.PrimaryKey)
	}
	grants, _ := s.Table("grants")
	if want := []dialect.ForeignKey{{Columns: []string{"org_id", "account_id"}, RefTable: "memberships", RefColumns: []string{"org_id", "account_id"}}}; !reflect.DeepEqual(grants.ForeignKeys, want) {
		t.Errorf("grants foreign keys = %+v, want %+v", grants.ForeignKeys, want)
	}
	if _, ok := s.Table("missing"); ok {
		t.Error("a missing table was found")
	}
	if _, ok := accounts.Column("missing"); ok {
		t.Error("a missing column was found")
	}
}

// testQuoteAndCase creates names only quoting allows and checks that
// statements built with Quote reach them, and that the schema resolves
// policy names by the database's own rules for case.
func testQuoteAndCase(t *testing.T, h Harness) {
	d := h.Open(t)
	table, col := `Odd "Table"`, "Weird`Col"
	exec(t, d, fmt.Sprintf("CREATE TABLE %s (id BIGINT NOT NULL PRIMARY KEY, %s VARCHAR(10))", d.Quote(table), d.Quote(col)))
	exec(t, d, fmt.Sprintf("INSERT INTO %s (id, %s) VALUES (1, 'x'), (2, 'y')", d.Quote(table), d.Quote(col)))
	exec(t, d, "CREATE TABLE People (Id BIGINT NOT NULL PRIMARY KEY, FullName VARCHAR(50))")
	s, err := d.Introspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	odd, ok := s.Table(table)
	if !ok || odd.Name != table {
		t.Fatalf("table %q not found as itself: %+v", table, odd)
	}
	if c, ok := odd.Column(col); !ok || c.Name != col {
		t.Errorf("column %q not found as itself", col)
	}
	n, err := dialect.DeleteByKeys(ctx, d, d.DB(), odd.Name, "id", []any{int64(2)}, nil)
	if err != nil || n != 1 {
		t.Errorf("delete from %q = %d, %v; want 1", table, n, err)
	}
	// Written unquoted, People is "people" on PostgreSQL and "People"
	// elsewhere; a policy naming People or its columns in any case finds it.
	people, ok := s.Table("People")
	if !ok {
		t.Fatal("table People not found")
	}
	if c, ok := people.Column("FULLNAME"); !ok || !strings.EqualFold(c.Name, "fullname") {
		t.Errorf("column FULLNAME not resolved: %+v", c)
	}
	if _, err := d.DB().ExecContext(ctx, "DELETE FROM "+d.Quote(people.Name)); err != nil {
		t.Errorf("resolved name %q does not quote to the table: %v", people.Name, err)
	}
}

var cutoff = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

// createEvents makes a table of rows with known clocks around cutoff:
//
//	id tenant created_at            seen_at
//	1  acme   2024-02-29 23:59:59   NULL        due
//	2  acme   2024-03-01 00:00:00   NULL        at the cutoff: not due
//	3  acme   2024-03-01 00:00:01   NULL        after
//	4  NULL   2023-01-01 00:00:00   NULL        due, no tenant
//	5  globex 2020-06-15 12:00:00   2024-03-05  fallback: seen_at counts, after
//	6  acme   NULL                  NULL        no clock: never due
//	7  acme   2024-02-01 00:00:00   2024-02-10  due
//	8  globex 2024-02-29 00:00:00   NULL        due
//	9  acme   2025-01-01 00:00:00   2024-01-01  fallback: seen_at counts, due
func createEvents(t *testing.T, h Harness, d dialect.Dialect) {
	exec(t, d, `CREATE TABLE events (id BIGINT NOT NULL PRIMARY KEY, tenant VARCHAR(40), created_at `+h.Timestamp+`, seen_at `+h.Timestamp+`, payload VARCHAR(40))`)
	rows := []struct {
		id              int
		tenant          any
		created, seenAt any
	}{
		{1, "acme", "2024-02-29 23:59:59", nil},
		{2, "acme", "2024-03-01 00:00:00", nil},
		{3, "acme", "2024-03-01 00:00:01", nil},
		{4, nil, "2023-01-01 00:00:00", nil},
		{5, "globex", "2020-06-15 12:00:00", "2024-03-05 00:00:00"},
		{6, "acme", nil, nil},
		{7, "acme", "2024-02-01 00:00:00", "2024-02-10 00:00:00"},
		{8, "globex", "2024-02-29 00:00:00", nil},
		{9, "acme", "2025-01-01 00:00:00", "2024-01-01 00:00:00"},
	}
	for _, r := range rows {
		q := fmt.Sprintf("INSERT INTO events (id, tenant, created_at, seen_at, payload) VALUES (%s, %s, %s, %s, %s)",
			d.Placeholder(1), d.Placeholder(2), d.Placeholder(3), d.Placeholder(4), d.Placeholder(5))
		exec(t, d, q, r.id, r.tenant, r.created, r.seenAt, fmt.Sprintf("p%d", r.id))
	}
}

func clock(cols ...string) lethe.Clock {
	var c lethe.Clock
	for _, col := range cols {
		c.Columns = append(c.Columns, lethe.ClockColumn{Name: col})
	}
	return c
}

func selectAll(t *testing.T, d dialect.Dialect, q dialect.Due) []string {
	t.Helper()
	var out []string
	for {
		keys, err := dialect.SelectDueKeys(ctx, d, d.DB(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			out = append(out, fmt.Sprint(k))
		}
		if len(keys) < q.Limit {
			return out
		}
		q.After = keys[len(keys)-1]
	}
}

func testSelectDueKeys(t *testing.T, h Harness) {
	d := h.Open(t)
	createEvents(t, h, d)
	base := dialect.Due{Table: "events", Key: "id", Clock: clock("created_at"), Cutoff: cutoff, Limit: 100}
	tests := []struct {
		name   string
		change func(q *dialect.Due)
		want   []string
	}{
		{"every tenant", func(q *dialect.Due) {}, []string{"1", "4", "5", "7", "8"}},
		{"one tenant", func(q *dialect.Due) { q.Tenant = &dialect.Tenant{Column: "tenant", Value: "acme"} }, []string{"1", "7"}},
		{"no tenant is the tenant \"\"", func(q *dialect.Due) { q.Tenant = &dialect.Tenant{Column: "tenant", Value: ""} }, []string{"4"}},
		{"after a key", func(q *dialect.Due) { q.After = int64(4) }, []string{"5", "7", "8"}},
		{"limit", func(q *dialect.Due) { q.Limit = 2 }, []string{"1", "4"}},
		{"one second later", func(q *dialect.Due) { q.Cutoff = cutoff.Add(time.Second) }, []string{"1", "2", "4", "5", "7", "8"}},
		{"cutoff with a fraction", func(q *dialect.Due) { q.Cutoff = cutoff.Add(500 * time.Millisecond) }, []string{"1", "2", "4", "5", "7", "8"}},
		{"cutoff in another zone", func(q *dialect.Due) { q.Cutoff = cutoff.In(time.FixedZone("UTC+5", 5*3600)) }, []string{"1", "4", "5", "7", "8"}},
	}
	for _, tt := range tests {
		q := base
		tt.change(&q)
		keys, err := dialect.SelectDueKeys(ctx, d, d.DB(), q)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, k := range keys {
			got = append(got, fmt.Sprint(k))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: due keys = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func testSelectDueKeysPaging(t *testing.T, h Harness) {
	d := h.Open(t)
	createEvents(t, h, d)
	for _, limit := range []int{1, 2, 3, 5, 6} {
		got := selectAll(t, d, dialect.Due{Table: "events", Key: "id", Clock: clock("created_at"), Cutoff: cutoff, Limit: limit})
		if want := []string{"1", "4", "5", "7", "8"}; !reflect.DeepEqual(got, want) {
			t.Errorf("pages of %d: keys = %v, want %v", limit, got, want)
		}
	}
}

// testClockFallback: with since [seen_at, created_at] the first non-NULL
// column is the clock.
func testClockFallback(t *testing.T, h Harness) {
	d := h.Open(t)
	createEvents(t, h, d)
	got := selectAll(t, d, dialect.Due{Table: "events", Key: "id", Clock: clock("seen_at", "created_at"), Cutoff: cutoff, Limit: 100})
	if want := []string{"1", "4", "7", "8", "9"}; !reflect.DeepEqual(got, want) {
		t.Errorf("due keys = %v, want %v", got, want)
	}
}

func testUnixClocks(t *testing.T, h Harness) {
	d := h.Open(t)
	exec(t, d, `CREATE TABLE pings (id BIGINT NOT NULL PRIMARY KEY, at_s BIGINT, at_ms BIGINT)`)
	s := cutoff.Unix()
	ms := cutoff.UnixMilli()
	for i, r := range [][2]int64{{s - 1, ms - 1}, {s, ms}, {s + 1, ms + 1}, {s - 86400, ms + 499}, {s + 86400, ms + 500}} {
		exec(t, d, fmt.Sprintf("INSERT INTO pings (id, at_s, at_ms) VALUES (%s, %s, %s)", d.Placeholder(1), d.Placeholder(2), d.Placeholder(3)), i+1, r[0], r[1])
	}
	at := func(col string, unit lethe.ClockUnit, c time.Time) []string {
		return selectAll(t, d, dialect.Due{Table: "pings", Key: "id", Clock: lethe.Clock{Columns: []lethe.ClockColumn{{Name: col, Unit: unit}}}, Cutoff: c, Limit: 10})
	}
	if got, want := at("at_s", lethe.ClockSeconds, cutoff), []string{"1", "4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("seconds at the cutoff: %v, want %v", got, want)
	}
	// A cutoff half a second later makes the clock equal to the whole second due.
	if got, want := at("at_s", lethe.ClockSeconds, cutoff.Add(500*time.Millisecond)), []string{"1", "2", "4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("seconds at cutoff+0.5s: %v, want %v", got, want)
	}
	if got, want := at("at_ms", lethe.ClockMilliseconds, cutoff.Add(500*time.Millisecond)), []string{"1", "2", "3", "4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("milliseconds at cutoff+500ms: %v, want %v", got, want)
	}
	if got, want := at("at_ms", lethe.ClockMilliseconds, cutoff.Add(499*time.Millisecond+time.Microsecond)), []string{"1", "2", "3", "4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("milliseconds at cutoff+499.001ms: %v, want %v", got, want)
	}
}

// testZonelessClockInPolicyZone: a zone-less clock is read in the policy's
// time zone. 2024-03-01 00:30 in Paris is 2024-02-29 23:30 UTC, before a
// cutoff of 2024-03-01 00:00 UTC; read as UTC it is after it.
func testZonelessClockInPolicyZone(t *testing.T, h Harness) {
	d := h.Open(t)
	exec(t, d, `CREATE TABLE visits (id BIGINT NOT NULL PRIMARY KEY, at `+h.Timestamp+`)`)
	exec(t, d, "INSERT INTO visits (id, at) VALUES (1, '2024-03-01 00:30:00'), (2, '2024-03-01 01:30:00')")
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone database")
	}
	q := dialect.Due{Table: "visits", Key: "id", Clock: clock("at"), Cutoff: cutoff, Limit: 10}
	if got := selectAll(t, d, q); len(got) != 0 {
		t.Errorf("read as UTC: due %v, want none", got)
	}
	q.Loc = paris
	if got := selectAll(t, d, q); !reflect.DeepEqual(got, []string{"1"}) {
		t.Errorf("read in Paris: due %v, want [1]", got)
	}
}

func remaining(t *testing.T, d dialect.Dialect) []string {
	t.Helper()
	rows, err := d.DB().QueryContext(ctx, "SELECT id, payload FROM events ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		var payload *string
		if err := rows.Scan(&id, &payload); err != nil {
			t.Fatal(err)
		}
		p := "NULL"
		if payload != nil {
			p = *payload
		}
		out = append(out, fmt.Sprintf("%d:%s", id, p))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func testUpdateByKeys(t *testing.T, h Harness) {
	d := h.Open(t)
	createEvents(t, h, d)
	set := []lethe.Assignment{{Column: "payload", Value: "masked"}}
	n, err := dialect.UpdateByKeys(ctx, d, d.DB(), "events", "id", []any{int64(1), int64(4), int64(99)}, set, nil)
	if err != nil || n != 2 {
		t.Fatalf("update = %d, %v; want 2", n, err)
	}
	// Writing the same value again still counts the rows matched.
	if n, err := dialect.UpdateByKeys(ctx, d, d.DB(), "events", "id", []any{int64(1)}, set, nil); err != nil || n != 1 {
		t.Errorf("update again = %d, %v; want 1", n, err)
	}
	// A tenant scope keeps other tenants' rows out, whatever the keys say.
	acme := &dialect.Tenant{Column: "tenant", Value: "acme"}
	if n, err := dialect.UpdateByKeys(ctx, d, d.DB(), "events", "id", []any{int64(5), int64(7)}, []lethe.Assignment{{Column: "payload", Value: nil}}, acme); err != nil || n != 1 {
		t.Errorf("scoped update = %d, %v; want 1", n, err)
	}
	want := []string{"1:masked", "2:p2", "3:p3", "4:masked", "5:p5", "6:p6", "7:NULL", "8:p8", "9:p9"}
	if got := remaining(t, d); !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
	if n, err := dialect.UpdateByKeys(ctx, d, d.DB(), "events", "id", nil, set, nil); err != nil || n != 0 {
		t.Errorf("empty batch = %d, %v", n, err)
	}
}

func testDeleteByKeys(t *testing.T, h Harness) {
	d := h.Open(t)
	createEvents(t, h, d)
	keys, err := dialect.SelectDueKeys(ctx, d, d.DB(), dialect.Due{Table: "events", Key: "id", Clock: clock("created_at"), Cutoff: cutoff, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	n, err := dialect.DeleteByKeys(ctx, d, d.DB(), "events", "id", keys, nil)
	if err != nil || n != 3 {
		t.Fatalf("delete = %d, %v; want 3", n, err)
	}
	globex := &dialect.Tenant{Column: "tenant", Value: "globex"}
	if n, err := dialect.DeleteByKeys(ctx, d, d.DB(), "events", "id", []any{int64(7), int64(8)}, globex); err != nil || n != 1 {
		t.Errorf("scoped delete = %d, %v; want 1", n, err)
	}
	// Inside a transaction that rolls back, nothing goes.
	tx, err := d.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := dialect.DeleteByKeys(ctx, d, tx, "events", "id", []any{int64(2), int64(3)}, nil); err != nil || n != 2 {
		t.Errorf("delete in tx = %d, %v", n, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	want := []string{"2:p2", "3:p3", "6:p6", "7:p7", "9:p9"}
	if got := remaining(t, d); !reflect.DeepEqual(got, want) {
		t.Errorf("rows left = %v, want %v", got, want)
	}
}

// testIndexes checks that Introspect reads each index's columns in index
// order, so the policy check can say which index a sweep or an erasure
// lacks.
func testIndexes(t *testing.T, h Harness) {
	d := h.Open(t)
	exec(t, d, `CREATE TABLE events (id BIGINT NOT NULL PRIMARY KEY, tenant VARCHAR(20), owner_id BIGINT, kind VARCHAR(20),
		created_at `+h.Timestamp+`, expires_at `+h.Timestamp+`)`)
	exec(t, d, `CREATE INDEX events_tenant_created ON events (tenant, created_at)`)
	exec(t, d, `CREATE UNIQUE INDEX events_owner_kind ON events (owner_id, kind)`)
	exec(t, d, `CREATE TABLE bare (id BIGINT NOT NULL PRIMARY KEY, created_at `+h.Timestamp+`)`)
	s, err := d.Introspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	events, _ := s.Table("events")
	byName := map[string]dialect.Index{}
	for _, ix := range events.Indexes {
		byName[ix.Name] = ix
	}
	if ix := byName["events_tenant_created"]; !reflect.DeepEqual(ix.Columns, []string{"tenant", "created_at"}) || ix.Unique {
		t.Errorf("events_tenant_created = %+v, want columns [tenant created_at], not unique (indexes %+v)", ix, events.Indexes)
	}
	if ix := byName["events_owner_kind"]; !reflect.DeepEqual(ix.Columns, []string{"owner_id", "kind"}) || !ix.Unique {
		t.Errorf("events_owner_kind = %+v, want columns [owner_id kind], unique (indexes %+v)", ix, events.Indexes)
	}
	for _, tc := range []struct {
		cols []string
		want bool
	}{
		{[]string{"id"}, true}, // the primary key
		{[]string{"tenant"}, true},
		{[]string{"tenant", "created_at"}, true},
		{[]string{"created_at"}, false}, // second in its index: no lookup by it alone
		{[]string{"owner_id"}, true},
		{[]string{"expires_at"}, false},
	} {
		if got := events.Leads(tc.cols...); got != tc.want {
			t.Errorf("events.Leads(%v) = %v, want %v", tc.cols, got, tc.want)
		}
	}
	bare, _ := s.Table("bare")
	if bare.Indexes == nil {
		t.Errorf("bare.Indexes is nil: a table without indexes reads as an empty list, nil means not introspected")
	}
	if bare.Leads("created_at") || !bare.Leads("id") {
		t.Errorf("bare: Leads(created_at) = %v, Leads(id) = %v; want false, true", bare.Leads("created_at"), bare.Leads("id"))
	}

}

// walk deletes the due rows of q stretch by stretch of size, as the
// engine's walk does, and returns the stretches' ends and what went.
func walk(t *testing.T, d dialect.Dialect, q dialect.Due, by dialect.Walk, size int, column string, tenants []string) ([]string, dialect.Deleted) {
	t.Helper()
	var ends []string
	all := dialect.Deleted{Counts: map[string]int64{}}
	s := dialect.FirstStretch(by)
	for !s.Last {
		var err error
		if s, err = dialect.NextStretch(ctx, d, d.DB(), q.Table, q.Key, s, size); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, fmt.Sprint(s.To))
		gone, err := dialect.DeleteStretch(ctx, d, d.DB(), q, s, column, tenants)
		if err != nil {
			t.Fatal(err)
		}
		all.Total += gone.Total
		for k, n := range gone.Counts {
			all.Counts[k] += n
		}
		if len(ends) > 100 {
			t.Fatal("the walk does not end")
		}
	}
	return ends, all
}

func testWalkByKey(t *testing.T, h Harness) {
	d := h.Open(t)
	createEvents(t, h, d)
	q := dialect.Due{Table: "events", Key: "id", Clock: clock("created_at"), Cutoff: cutoff}
	ok, err := dialect.ReturnsDeleted(ctx, d, d.DB())
	if err != nil || !ok {
		t.Fatalf("ReturnsDeleted = %v, %v", ok, err)
	}
	// Due: 1 and 7 (acme), 4 (no tenant), 5 and 8 (globex). globex is not
	// one of the tenants, so its rows stay.
	ends, gone := walk(t, d, q, dialect.ByKey, 2, "tenant", []string{"acme", ""})
	if want := []string{"2", "4", "6", "8", "<nil>"}; !reflect.DeepEqual(ends, want) {
		t.Errorf("stretches end at %v, want %v", ends, want)
	}
	if want := (dialect.Deleted{Total: 3, Counts: map[string]int64{"acme": 2, "": 1}}); !reflect.DeepEqual(gone, want) {
		t.Errorf("deleted %+v, want %+v", gone, want)
	}
	if got, want := remaining(t, d), []string{"2:p2", "3:p3", "5:p5", "6:p6", "8:p8", "9:p9"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows left = %v, want %v", got, want)
	}
	// Without a tenant column only the total is counted; q.Tenant scopes.
	q.Tenant = &dialect.Tenant{Column: "tenant", Value: "globex"}
	if ends, gone = walk(t, d, q, dialect.ByKey, 4, "", nil); gone.Total != 2 || !reflect.DeepEqual(ends, []string{"6", "<nil>"}) {
		t.Errorf("walk of globex: stretches end at %v, deleted %+v; want 6 and the end, 2 rows", ends, gone)
	}
	if got, want := remaining(t, d), []string{"2:p2", "3:p3", "6:p6", "9:p9"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows left = %v, want %v", got, want)
	}
}

func testWalkByIntegerKey(t *testing.T, h Harness) {
	d := h.Open(t)
	createEvents(t, h, d)
	q := dialect.Due{Table: "events", Key: "id", Clock: clock("created_at"), Cutoff: cutoff}
	// Keys 1 to 9, stretches of 3 values from MIN - 1: (0,3], (3,6],
	// then the rest, (6, ...), since 6 + 3 reaches MAX.
	ends, gone := walk(t, d, q, dialect.ByIntegerKey, 3, "tenant", []string{"acme", "globex"})
	if want := []string{"3", "6", "<nil>"}; !reflect.DeepEqual(ends, want) {
		t.Errorf("stretches end at %v, want %v", ends, want)
	}
	if want := (dialect.Deleted{Total: 4, Counts: map[string]int64{"acme": 2, "globex": 2}}); !reflect.DeepEqual(gone, want) {
		t.Errorf("deleted %+v, want %+v", gone, want)
	}
	// Rows added past the greatest key read at the start are walked too.
	exec(t, d, "DELETE FROM events WHERE id > 4")
	exec(t, d, fmt.Sprintf("INSERT INTO events (id, tenant, created_at, payload) VALUES (100, 'acme', %s, 'p100')", d.Placeholder(1)), "2020-01-01 00:00:00")
	s, err := dialect.NextStretch(ctx, d, d.DB(), "events", "id", dialect.FirstStretch(dialect.ByIntegerKey), 2)
	if err != nil || s.Last || fmt.Sprint(s.From, s.To) != "1 3" {
		t.Fatalf("first stretch = %+v, %v; want (1, 3]", s, err)
	}
	exec(t, d, fmt.Sprintf("INSERT INTO events (id, tenant, created_at, payload) VALUES (1000, 'acme', %s, 'p1000')", d.Placeholder(1)), "2020-01-01 00:00:00")
	var n int64
	for !s.Last {
		if s, err = dialect.NextStretch(ctx, d, d.DB(), "events", "id", s, 400); err != nil {
			t.Fatal(err)
		}
		got, err := dialect.DeleteStretch(ctx, d, d.DB(), q, s, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		n += got.Total
	}
	if n != 3 { // 4 (no tenant), 100 and 1000
		t.Errorf("deleted %d, want 3", n)
	}
	if got, want := remaining(t, d), []string{"2:p2", "3:p3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows left = %v, want %v", got, want)
	}
	// DueBeyond looks past a stretch's end through the indexes.
	exec(t, d, fmt.Sprintf("INSERT INTO events (id, tenant, created_at, payload) VALUES (500, 'globex', %s, 'p500')", d.Placeholder(1)), "2020-01-01 00:00:00")
	first, err := dialect.NextStretch(ctx, d, d.DB(), "events", "id", dialect.FirstStretch(dialect.ByIntegerKey), 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tenants []string
		want    bool
	}{{[]string{"acme"}, false}, {[]string{"acme", "globex"}, true}} {
		if more, err := dialect.DueBeyond(ctx, d, d.DB(), q, first, "tenant", tc.tenants); err != nil || more != tc.want {
			t.Errorf("DueBeyond(%v) = %v, %v; want %v", tc.tenants, more, err, tc.want)
		}
	}
	if more, err := dialect.DueBeyond(ctx, d, d.DB(), q, dialect.Stretch{Last: true}, "", nil); err != nil || more {
		t.Errorf("DueBeyond of the last stretch = %v, %v; want false", more, err)
	}
	// An empty table is one stretch, to the end.
	exec(t, d, "DELETE FROM events")
	if s, err := dialect.NextStretch(ctx, d, d.DB(), "events", "id", dialect.FirstStretch(dialect.ByIntegerKey), 5); err != nil || !s.Last {
		t.Errorf("empty table: %+v, %v; want the last stretch", s, err)
	}
}

func testWalkByPages(t *testing.T, h Harness) {
	d := h.Open(t)
	pages, err := dialect.WalksPages(ctx, d, d.DB())
	if err != nil {
		t.Fatal(err)
	}
	if !pages {
		if h.Name == "postgres" {
			t.Error("PostgreSQL 14 and later walk by pages")
		}
		return
	}
	exec(t, d, `CREATE TABLE events (id BIGINT NOT NULL PRIMARY KEY, tenant VARCHAR(40), created_at `+h.Timestamp+`, payload VARCHAR(200))`)
	// 3000 rows of some 250 bytes fill about a hundred pages. Tenants a, b
	// and none take turns; rows n with n%3 = 0 (all of a's) or n%7 = 0 are
	// due: 1000 of a, 143 of b, 143 of none.
	exec(t, d, `INSERT INTO events SELECT n, CASE n % 3 WHEN 0 THEN 'a' WHEN 1 THEN 'b' END,
		CASE WHEN n % 3 = 0 OR n % 7 = 0 THEN TIMESTAMP '2024-01-01' ELSE TIMESTAMP '2024-06-01' END, repeat('x', 200)
		FROM generate_series(1, 3000) n`)
	q := dialect.Due{Table: "events", Key: "id", Clock: clock("created_at"), Cutoff: cutoff}
	ends, gone := walk(t, d, q, dialect.ByPages, 7, "tenant", []string{"a", ""})
	if len(ends) < 10 || ends[0] != "7" || ends[1] != "14" {
		t.Errorf("stretches end at %v, want 7, 14, ... over a table of more than 70 pages", ends)
	}
	if want := (dialect.Deleted{Total: 1143, Counts: map[string]int64{"a": 1000, "": 143}}); !reflect.DeepEqual(gone, want) {
		t.Errorf("deleted %+v, want %+v", gone, want)
	}
	left := Rows(t, d, "SELECT tenant, COUNT(*) FROM events WHERE created_at < $1 GROUP BY tenant", cutoff)
	if want := []string{"b|143"}; !reflect.DeepEqual(left, want) {
		t.Errorf("due rows left: %v, want %v", left, want)
	}
}

func testDistinctValues(t *testing.T, h Harness) {
	d := h.Open(t)
	createEvents(t, h, d)
	want := []string{"", "acme", "globex"} // NULL first, where the database sorts it
	if h.Name == "postgres" {
		want = []string{"acme", "globex", ""}
	}
	for _, indexed := range []bool{false, true} {
		if indexed {
			exec(t, d, "CREATE INDEX events_tenant ON events (tenant, created_at)")
		}
		got, err := dialect.DistinctValues(ctx, d, d.DB(), "events", "tenant", indexed)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("indexed=%v: %v, %v; want %v", indexed, got, err, want)
		}
	}
	exec(t, d, "DELETE FROM events WHERE tenant IS NULL")
	if got, err := dialect.DistinctValues(ctx, d, d.DB(), "events", "tenant", true); err != nil || !reflect.DeepEqual(got, []string{"acme", "globex"}) {
		t.Errorf("without NULL: %v, %v", got, err)
	}
}

// testSelectStretch reads the due rows of stretches, with their tenants,
// as a walk that masks rows does.
func testSelectStretch(t *testing.T, h Harness) {
	d := h.Open(t)
	createEvents(t, h, d)
	// Due and not yet seen: 1 (acme), 4 (no tenant), 8 (globex); 7 (acme)
	// and 5 (globex) are due but seen.
	q := dialect.Due{Table: "events", Key: "id", Clock: clock("created_at"), Cutoff: cutoff, Extra: []dialect.Cond{dialect.IsNull("seen_at")}}
	for _, by := range []dialect.Walk{dialect.ByKey, dialect.ByIntegerKey} {
		var got []string
		s := dialect.FirstStretch(by)
		for !s.Last {
			var err error
			if s, err = dialect.NextStretch(ctx, d, d.DB(), "events", "id", s, 3); err != nil {
				t.Fatal(err)
			}
			keys, tenants, err := dialect.SelectStretch(ctx, d, d.DB(), q, s, "tenant", []string{"acme", ""})
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != len(tenants) {
				t.Fatalf("%d keys, %d tenants", len(keys), len(tenants))
			}
			for i, k := range keys {
				got = append(got, fmt.Sprintf("%v:%s", k, tenants[i]))
			}
		}
		if want := []string{"1:acme", "4:"}; !reflect.DeepEqual(got, want) {
			t.Errorf("walk %v: read %v, want %v", by, got, want)
		}
	}
	// Without a tenant column no tenants come back; q.Tenant scopes.
	q.Tenant = &dialect.Tenant{Column: "tenant", Value: "globex"}
	keys, tenants, err := dialect.SelectStretch(ctx, d, d.DB(), q, dialect.Stretch{Last: true}, "", nil)
	if err != nil || fmt.Sprint(keys) != "[8]" || tenants != nil {
		t.Errorf("globex: %v, %v, %v; want [8], no tenants", keys, tenants, err)
	}
	if _, _, err := dialect.SelectStretch(ctx, d, d.DB(), q, dialect.Stretch{Last: true}, "tenant", nil); err == nil {
		t.Error("a tenant column without tenants: no error")
	}
	if pages, err := dialect.WalksPages(ctx, d, d.DB()); err != nil || !pages {
		return
	}
	q.Tenant = nil
	s, err := dialect.NextStretch(ctx, d, d.DB(), "events", "id", dialect.FirstStretch(dialect.ByPages), 1)
	if err != nil {
		t.Fatal(err)
	}
	keys, tenants, err = dialect.SelectStretch(ctx, d, d.DB(), q, s, "tenant", []string{"globex", "acme"})
	if err != nil || len(keys) != 2 || fmt.Sprint(tenants) != "[acme globex]" && fmt.Sprint(tenants) != "[globex acme]" {
		t.Errorf("first page: %v, %v, %v; want 1 (acme) and 8 (globex)", keys, tenants, err)
	}
}

// testCountDueByTenant counts due rows of several tenants in one
// statement, read through an index or by a scan of the table alike; a
// scan also counts the rows before the cutoff whatever the other
// conditions say.
func testCountDueByTenant(t *testing.T, h Harness) {
	d := h.Open(t)
	createEvents(t, h, d)
	exec(t, d, "CREATE INDEX events_tenant_created ON events (tenant, created_at)")
	q := dialect.Due{Table: "events", Key: "id", Clock: clock("created_at"), Cutoff: cutoff,
		Tenant: &dialect.Tenant{Column: "tenant", Value: "acme"}} // ignored
	seen := q
	seen.Extra = []dialect.Cond{dialect.IsNull("seen_at")}
	type count = dialect.TenantCount
	for _, tc := range []struct {
		q       dialect.Due
		tenants []string
		want    map[string]count // by index; a scan also counts Before
		scan    map[string]count
	}{
		{q, []string{"acme", "", "globex"},
			map[string]count{"acme": {Due: 2}, "": {Due: 1}, "globex": {Due: 2}},
			map[string]count{"acme": {Due: 2, Before: 2}, "": {Due: 1, Before: 1}, "globex": {Due: 2, Before: 2}}},
		{q, []string{"globex"}, map[string]count{"globex": {Due: 2}}, map[string]count{"globex": {Due: 2, Before: 2}}},
		// Due and not seen: 1 of acme's 2 (7 is seen), 4, 1 of globex's 2.
		{seen, []string{"acme", "", "globex", "initech"},
			map[string]count{"acme": {Due: 1}, "": {Due: 1}, "globex": {Due: 1}},
			map[string]count{"acme": {Due: 1, Before: 2}, "": {Due: 1, Before: 1}, "globex": {Due: 1, Before: 2}}},
	} {
		for _, scan := range []bool{false, true} {
			want := tc.want
			if scan {
				want = tc.scan
			}
			got, err := dialect.CountDueByTenant(ctx, d, d.DB(), tc.q, "tenant", tc.tenants, scan)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("tenants %q, scan %v: %v, %v; want %v", tc.tenants, scan, got, err, want)
			}
		}
	}
}
