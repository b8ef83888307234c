package dialecttest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"lethe"
	"lethe/dialect"
)

// testUpdateRows writes a different value into each row, matched on the
// table's key or on a column many rows share (an owner link), and counts
// the rows matched, changed or not. Values that look like SQL or array
// syntax arrive as they are.
func testUpdateRows(t *testing.T, h Harness) {
	d := h.Open(t)
	exec(t, d, `CREATE TABLE parcels (id BIGINT NOT NULL PRIMARY KEY, owner BIGINT, label VARCHAR(40), note VARCHAR(40), weight BIGINT)`)
	for _, r := range []struct {
		id    int64
		owner any
	}{{1, 10}, {2, 10}, {3, 20}, {4, 20}, {5, 30}, {6, nil}, {9007199254740993, nil}} {
		Exec(t, d, "INSERT INTO parcels (id, owner, label, note, weight) VALUES (?, ?, ?, ?, ?)", r.id, r.owner, "l", "n", 1)
	}
	// The types of the key and the columns, as Introspect names them on
	// PostgreSQL; the others ignore them.
	types := []string{"bigint", "character varying", "bigint"}
	rows := [][]any{
		{int64(1), `a "quoted" \ back,slash`, int64(7)},
		{int64(2), "NULL", nil},
		{int64(3), "{x,y}", int64(-3)},
		{int64(4), "", int64(0)},
		{int64(6), "six", nil},
		{int64(9007199254740993), "beyond a double", int64(-9007199254740993)},
		{int64(99), "no such row", int64(1)},
	}
	n, err := dialect.UpdateRows(ctx, d, d.DB(), "parcels", "id", []lethe.Assignment{{Column: "note", Value: nil}}, []string{"label", "weight"}, types, rows)
	if err != nil || n != 6 {
		t.Fatalf("update by key = %d, %v; want 6", n, err)
	}
	// Matched on the owner link: one value row stands for every row of
	// its owner; rows of no owner given are left alone.
	byOwner := [][]any{{int64(10), "ten", int64(10)}, {int64(30), "thirty", int64(30)}, {int64(40), "none", int64(40)}}
	for run := 1; run <= 2; run++ { // the second run changes nothing and still counts the rows matched
		n, err := dialect.UpdateRows(ctx, d, d.DB(), "parcels", "owner", nil, []string{"label", "weight"}, types, byOwner)
		if err != nil || n != 3 {
			t.Fatalf("update by owner (run %d) = %d, %v; want 3", run, n, err)
		}
	}
	want := []string{
		"1|10|ten|NULL|10",
		"2|10|ten|NULL|10",
		"3|20|{x,y}|NULL|-3",
		"4|20||NULL|0",
		"5|30|thirty|n|30",
		"6|NULL|six|NULL|NULL",
		"9007199254740993|NULL|beyond a double|NULL|-9007199254740993",
	}
	if got := Rows(t, d, "SELECT id, owner, label, note, weight FROM parcels ORDER BY id"); !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %q, want %q", got, want)
	}
	// Only constant assignments: every matched row gets them.
	if n, err := dialect.UpdateRows(ctx, d, d.DB(), "parcels", "owner", []lethe.Assignment{{Column: "label", Value: `NULL`}}, nil, types[:1], [][]any{{int64(20)}}); err != nil || n != 2 {
		t.Errorf("constant update by owner = %d, %v; want 2", n, err)
	}
	if got := Rows(t, d, "SELECT id FROM parcels WHERE label = 'NULL' ORDER BY id"); !reflect.DeepEqual(got, []string{"3", "4"}) {
		t.Errorf("rows labelled by the constant update = %q, want [3 4]", got)
	}
	if n, err := dialect.UpdateRows(ctx, d, d.DB(), "parcels", "id", nil, []string{"label"}, types, nil); err != nil || n != 0 {
		t.Errorf("no rows = %d, %v", n, err)
	}
}

// testUpdateManyRows updates a few hundred rows at once: by an
// integer key with keys of no row among them, by a text key, and by an
// owner link many rows share, with most owners given owning nothing.
// Every row gets its own values, and the count is the rows matched.
func testUpdateManyRows(t *testing.T, h Harness) {
	d := h.Open(t)
	exec(t, d, `CREATE TABLE crates (id BIGINT NOT NULL PRIMARY KEY, code VARCHAR(20) NOT NULL, owner BIGINT, label VARCHAR(40), weight BIGINT, note VARCHAR(40))`)
	var values []string
	var args []any
	for id := 1; id <= 300; id++ {
		values = append(values, "(?, ?, ?, ?, ?, ?)")
		args = append(args, id, fmt.Sprintf("c%03d", id), id%50, "l", 1, "n")
	}
	Exec(t, d, "INSERT INTO crates (id, code, owner, label, weight, note) VALUES "+strings.Join(values, ", "), args...)
	exec(t, d, "CREATE UNIQUE INDEX crates_code ON crates (code)")
	exec(t, d, "CREATE INDEX crates_owner ON crates (owner)")
	types := []string{"bigint", "character varying", "bigint"}
	want := map[int]string{}
	for id := 1; id <= 300; id++ {
		want[id] = fmt.Sprintf("%d|l|1|n", id%50)
	}

	// By key: ids 1-150, with 50 keys of no row among them.
	var rows [][]any
	for id := 1; id <= 150; id++ {
		var weight any = int64(id * 2)
		shown := fmt.Sprint(id * 2)
		if id%7 == 0 {
			weight, shown = nil, "NULL"
		}
		rows = append(rows, []any{int64(id), fmt.Sprintf("L%d", id), weight})
		want[id] = fmt.Sprintf("%d|L%d|%s|NULL", id%50, id, shown)
		if id%3 == 0 {
			rows = append(rows, []any{int64(1000 + id), "no such row", int64(0)})
		}
	}
	if n, err := dialect.UpdateRows(ctx, d, d.DB(), "crates", "id", []lethe.Assignment{{Column: "note", Value: nil}}, []string{"label", "weight"}, types, rows); err != nil || n != 150 {
		t.Fatalf("update by key = %d, %v; want 150", n, err)
	}
	// By a text key: codes of ids 151-230.
	rows = nil
	for id := 151; id <= 230; id++ {
		rows = append(rows, []any{fmt.Sprintf("c%03d", id), fmt.Sprintf("T%d", id), int64(id)})
		want[id] = fmt.Sprintf("%d|T%d|%d|n", id%50, id, id)
	}
	if n, err := dialect.UpdateRows(ctx, d, d.DB(), "crates", "code", nil, []string{"label", "weight"}, []string{"character varying", "character varying", "bigint"}, rows); err != nil || n != 80 {
		t.Fatalf("update by text key = %d, %v; want 80", n, err)
	}
	check := func(step string) {
		t.Helper()
		got := Rows(t, d, "SELECT id, owner, label, weight, note FROM crates ORDER BY id")
		if len(got) != 300 {
			t.Fatalf("after %s: %d rows, want 300", step, len(got))
		}
		for i, r := range got {
			if w := fmt.Sprintf("%d|%s", i+1, want[i+1]); r != w {
				t.Errorf("after %s: row %q, want %q", step, r, w)
			}
		}
	}
	check("the updates by key")
	// By owner: owners 40-139, of which 40-49 own six crates each.
	rows = nil
	for owner := 40; owner < 140; owner++ {
		rows = append(rows, []any{int64(owner), fmt.Sprintf("O%d", owner), int64(-owner)})
	}
	for id := 1; id <= 300; id++ {
		if o := id % 50; o >= 40 {
			note := strings.Split(want[id], "|")[3]
			want[id] = fmt.Sprintf("%d|O%d|%d|%s", o, o, -o, note)
		}
	}
	if n, err := dialect.UpdateRows(ctx, d, d.DB(), "crates", "owner", nil, []string{"label", "weight"}, types, rows); err != nil || n != 60 {
		t.Fatalf("update by owner = %d, %v; want 60", n, err)
	}
	check("the update by owner")
}

// testSelectDueKeysFrom pages through due rows in clock order, each page
// from the clock value the previous one ended at: together the pages hold
// every due row, and a row whose clock equals a bound is seen again rather
// than missed.
func testSelectDueKeysFrom(t *testing.T, h Harness) {
	d := h.Open(t)
	createEvents(t, h, d)
	q := dialect.Due{Table: "events", Key: "id", Clock: clock("created_at"), Cutoff: cutoff, Limit: 1000}
	all, err := dialect.SelectDueKeys(ctx, d, d.DB(), q)
	if err != nil {
		t.Fatal(err)
	}
	q.Limit = 2
	var pages [][]any
	seen := map[any]bool{}
	var from any
	for len(pages) < 10 {
		keys, last, err := dialect.SelectDueKeysFrom(ctx, d, d.DB(), q, from)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, keys)
		for _, k := range keys {
			seen[k] = true
		}
		if len(keys) < q.Limit {
			break
		}
		from = last
	}
	// Due before 2024-03-01: 5 (2020), 4 (2023), 7 (2024-02-01), 8, 1;
	// the pages overlap by the row at each bound.
	want := [][]any{{int64(5), int64(4)}, {int64(4), int64(7)}, {int64(7), int64(8)}, {int64(8), int64(1)}, {int64(1)}}
	if !reflect.DeepEqual(pages, want) {
		t.Errorf("pages = %v, want %v", pages, want)
	}
	if len(seen) != len(all) {
		t.Errorf("pages hold %d rows, the due selection %d", len(seen), len(all))
	}
	if _, _, err := dialect.SelectDueKeysFrom(ctx, d, d.DB(), dialect.Due{Table: "events", Key: "id", Clock: clock("seen_at", "created_at"), Cutoff: cutoff, Limit: 2}, nil); err == nil {
		t.Error("a clock of two columns pages from a bound without complaint")
	}
}
