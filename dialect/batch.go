package dialect

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"lethe"
)

// Due selects the rows of a table whose clock lies strictly before a
// cutoff, one page at a time in key order.
type Due struct {
	Table  string // as bound to the schema
	Key    string
	Clock  lethe.Clock
	Cutoff time.Time
	Loc    *time.Location // how zone-less clock values are read; nil is UTC
	Tenant *Tenant        // nil: every tenant
	Extra  []Cond         // further conditions (not yet stamped, ...)
	After  any            // the last key of the previous page; nil starts at the beginning
	Limit  int
	// Unordered pages in no particular order and ignores After: for
	// callers whose changes take each page's rows out of the selection,
	// so the database picks rows by its best index, not by key order.
	Unordered bool
}

// Tenant restricts a statement to one tenant's rows. Rows with no tenant
// (NULL) are the tenant "".
type Tenant struct {
	Column string
	Value  string
}

// args collects bind parameters and hands out their placeholders.
type args struct {
	d    Dialect
	list []any
}

func (a *args) add(v any) string {
	a.list = append(a.list, v)
	return a.d.Placeholder(len(a.list))
}

// clockCondition is true when the first non-NULL column of the clock is
// before the cutoff: (c1 < $1) OR (c1 IS NULL AND c2 < $2) ... Written out
// instead of COALESCE so each column can keep its own type and index.
func clockCondition(d Dialect, a *args, c lethe.Clock, cutoff time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	var terms []string
	var nulls []string
	for _, col := range c.Columns {
		q := d.Quote(col.Name)
		cond := d.ClockBefore(q, col.Unit, a.add(d.ClockArg(col.Unit, cutoff, loc)))
		terms = append(terms, "("+strings.Join(append(append([]string{}, nulls...), cond), " AND ")+")")
		nulls = append(nulls, q+" IS NULL")
	}
	return "(" + strings.Join(terms, " OR ") + ")"
}

func tenantCondition(d Dialect, a *args, t *Tenant) string {
	if t == nil {
		return ""
	}
	if t.Value == "" {
		return d.Quote(t.Column) + " IS NULL"
	}
	return d.Quote(t.Column) + " = " + a.add(t.Value)
}

// SelectDueKeys returns up to q.Limit keys of due rows after q.After, in
// ascending key order: one page of a keyset scan.
func SelectDueKeys(ctx context.Context, d Dialect, db Querier, q Due) ([]any, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("select due keys of %s: limit must be positive", q.Table)
	}
	if q.Clock.IsZero() {
		return nil, fmt.Errorf("select due keys of %s: no clock", q.Table)
	}
	a := &args{d: d}
	key := d.Quote(q.Key)
	order := " ORDER BY " + key
	if q.Unordered {
		q.After, order = nil, ""
	}
	query := "SELECT " + key + " FROM " + d.Quote(q.Table) +
		" WHERE " + q.where(d, a) + order + " LIMIT " + strconv.Itoa(q.Limit)
	rows, err := db.QueryContext(ctx, query, a.list...)
	if err != nil {
		return nil, fmt.Errorf("select due keys of %s: %w", q.Table, err)
	}
	defer rows.Close()
	var keys []any
	for rows.Next() {
		var k any
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("select due keys of %s: %w", q.Table, err)
		}
		keys = append(keys, NormalizeKey(k))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select due keys of %s: %w", q.Table, err)
	}
	return keys, nil
}

// NormalizeKey turns a scanned key into a value that compares and binds
// alike on every driver: text as string, integers as int64.
func NormalizeKey(k any) any {
	switch v := k.(type) {
	case []byte:
		return string(v)
	case int:
		return int64(v)
	case int32:
		return int64(v)
	case uint64:
		return int64(v)
	default:
		return v
	}
}

// keyIn builds "key IN ($1, $2, ...)" for a batch.
func keyIn(d Dialect, a *args, key string, keys []any) string {
	ph := make([]string, len(keys))
	for i, k := range keys {
		ph[i] = a.add(k)
	}
	return d.Quote(key) + " IN (" + strings.Join(ph, ", ") + ")"
}

// UpdateByKeys writes the assignments into the rows with the given keys and
// returns how many rows changed. With a tenant, rows of other tenants are
// never touched, whatever the keys say.
func UpdateByKeys(ctx context.Context, d Dialect, db Querier, table, key string, keys []any, set []lethe.Assignment, tenant *Tenant) (int64, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	if len(set) == 0 {
		return 0, fmt.Errorf("update %s: nothing to set", table)
	}
	a := &args{d: d}
	assign := make([]string, len(set))
	for i, s := range set {
		assign[i] = d.Quote(s.Column) + " = " + a.add(s.Value)
	}
	where := keyIn(d, a, key, keys)
	if c := tenantCondition(d, a, tenant); c != "" {
		where += " AND " + c
	}
	query := "UPDATE " + d.Quote(table) + " SET " + strings.Join(assign, ", ") + " WHERE " + where
	return exec(ctx, db, "update "+table, query, a.list)
}

// DeleteByKeys deletes the rows with the given keys and returns how many
// went. With a tenant, rows of other tenants are never touched.
func DeleteByKeys(ctx context.Context, d Dialect, db Querier, table, key string, keys []any, tenant *Tenant) (int64, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	a := &args{d: d}
	where := keyIn(d, a, key, keys)
	if c := tenantCondition(d, a, tenant); c != "" {
		where += " AND " + c
	}
	return exec(ctx, db, "delete from "+table, "DELETE FROM "+d.Quote(table)+" WHERE "+where, a.list)
}

func exec(ctx context.Context, db Querier, what, query string, args []any) (int64, error) {
	res, err := db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}

// DeleteDue deletes up to q.Limit due rows in one statement, in no
// particular order, and returns how many went. It needs no page of keys:
// deleted rows leave the selection, so calling it again until it deletes
// fewer than q.Limit empties it, and each call is a short statement the
// database plans from its own indexes (the tenant and clock), not a walk
// of the primary key. q.After is ignored.
func DeleteDue(ctx context.Context, d Dialect, db Querier, q Due) (int64, error) {
	if q.Limit <= 0 {
		return 0, fmt.Errorf("delete due rows of %s: limit must be positive", q.Table)
	}
	if q.Clock.IsZero() {
		return 0, fmt.Errorf("delete due rows of %s: no clock", q.Table)
	}
	q.After = nil
	a := &args{d: d}
	table, key := d.Quote(q.Table), d.Quote(q.Key)
	limit := strconv.Itoa(q.Limit)
	// Ordered by the clock, so the database walks its index on the clock
	// (alone or behind the tenant column) from the oldest row instead of
	// scanning the table from its start, past the rows earlier batches
	// deleted and it has not cleaned up yet.
	order := " ORDER BY " + d.Quote(q.Clock.Columns[0].Name)
	var query string
	switch d.Name() {
	case "mysql":
		// MySQL cannot read the table it deletes from in a subquery; its
		// DELETE takes an ORDER BY and a LIMIT of its own.
		query = "DELETE FROM " + table + " WHERE " + q.where(d, a) + order + " LIMIT " + limit
	default:
		query = "DELETE FROM " + table + " WHERE " + key + " IN (SELECT " + key + " FROM " + table + " WHERE " + q.where(d, a) + order + " LIMIT " + limit + ")"
	}
	return exec(ctx, db, "delete due rows of "+q.Table, query, a.list)
}

// maxParams is the most bind parameters one statement is given: below
// SQLite's 32766 and the 65535 of PostgreSQL and MySQL.
const maxParams = 30000

// UpdateRows writes a different value into each row: rows[i][0] is a key
// and rows[i][j+1] the value of columns[j]. same holds assignments equal
// for every row. types are the types of the key and then of columns, as
// Introspect names them: PostgreSQL reads the parameters of a VALUES list
// by them. One statement updates many rows (UPDATE ... FROM VALUES, or a
// join with a derived table on MySQL), instead of a statement per row.
// It returns how many rows matched.
func UpdateRows(ctx context.Context, d Dialect, db Querier, table, key string, same []lethe.Assignment, columns, types []string, rows [][]any) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	if len(columns) == 0 {
		var total int64
		for start := 0; start < len(rows); start += 10000 {
			part := rows[start:min(start+10000, len(rows))]
			keys := make([]any, len(part))
			for i, r := range part {
				keys[i] = r[0]
			}
			n, err := UpdateByKeys(ctx, d, db, table, key, keys, same, nil)
			if err != nil {
				return total, err
			}
			total += n
		}
		return total, nil
	}
	per := max(1, (maxParams-len(same))/(len(columns)+1))
	var total int64
	for start := 0; start < len(rows); start += per {
		n, err := updateRows(ctx, d, db, table, key, same, columns, types, rows[start:min(start+per, len(rows))])
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

func updateRows(ctx context.Context, d Dialect, db Querier, table, key string, same []lethe.Assignment, columns, types []string, rows [][]any) (int64, error) {
	a := &args{d: d}
	t := d.Quote(table)
	names := make([]string, len(columns)+1)
	names[0] = "k"
	for j := range columns {
		names[j+1] = "c" + strconv.Itoa(j+1)
	}
	var assign []string
	for j, c := range columns {
		assign = append(assign, d.Quote(c)+" = v."+names[j+1])
	}
	var b strings.Builder
	switch d.Name() {
	case "mysql":
		// UPDATE t JOIN (SELECT ? AS k, ? AS c1 UNION ALL SELECT ?, ? ...) v
		// ON t.key = v.k SET ...; constants are bound after the rows.
		b.WriteString("UPDATE " + t + " JOIN (")
		for i, r := range rows {
			if i > 0 {
				b.WriteString(" UNION ALL ")
			}
			b.WriteString("SELECT ")
			for j, v := range r {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(a.add(v))
				if i == 0 {
					b.WriteString(" AS " + names[j])
				}
			}
		}
		b.WriteString(") v ON " + t + "." + d.Quote(key) + " = v.k SET ")
		for i := range assign {
			assign[i] = t + "." + assign[i]
		}
		for _, s := range same {
			assign = append(assign, t+"."+d.Quote(s.Column)+" = "+a.add(s.Value))
		}
		b.WriteString(strings.Join(assign, ", "))
	default:
		// WITH v(k, c1, ...) AS (VALUES (...), ...) UPDATE t SET ... FROM v
		// WHERE t.key = v.k: PostgreSQL and SQLite (3.33 and later) alike.
		b.WriteString("WITH v(" + strings.Join(names, ", ") + ") AS (VALUES ")
		for i, r := range rows {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for j, v := range r {
				if j > 0 {
					b.WriteString(", ")
				}
				ph := a.add(v)
				if d.Name() == "postgres" && j < len(types) && types[j] != "" {
					ph += "::" + types[j]
				}
				b.WriteString(ph)
			}
			b.WriteString(")")
		}
		b.WriteString(") UPDATE " + t + " SET ")
		for _, s := range same {
			assign = append(assign, d.Quote(s.Column)+" = "+a.add(s.Value))
		}
		b.WriteString(strings.Join(assign, ", "))
		b.WriteString(" FROM v WHERE " + t + "." + d.Quote(key) + " = v.k")
	}
	return exec(ctx, db, "update "+table, b.String(), a.list)
}

// ReturnsDeleted says whether the server can return the rows a DELETE
// removed (DELETE ... RETURNING), which DeleteStretch needs to count tenants:
// PostgreSQL, SQLite 3.35 and later, MariaDB 10.5 and later; not MySQL.
func ReturnsDeleted(ctx context.Context, d Dialect, db Querier) (bool, error) {
	var query string
	var need [2]int
	switch d.Name() {
	case "postgres":
		return true, nil
	case "sqlite":
		query, need = "SELECT sqlite_version()", [2]int{3, 35}
	case "mysql":
		query, need = "SELECT VERSION()", [2]int{10, 5}
	default:
		return false, nil
	}
	var version string
	if _, err := queryRow(ctx, db, query, nil, &version); err != nil {
		return false, fmt.Errorf("read server version: %w", err)
	}
	if d.Name() == "mysql" && !strings.Contains(version, "MariaDB") {
		return false, nil
	}
	return versionAtLeast(version, need[0], need[1]), nil
}

// versionAtLeast reads "major.minor..." at the start of a version string.
func versionAtLeast(version string, major, minor int) bool {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return false
	}
	digits := func(s string) int {
		end := 0
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
		}
		n, err := strconv.Atoi(s[:end])
		if err != nil {
			return -1
		}
		return n
	}
	maj, mnr := digits(parts[0]), digits(parts[1])
	return maj > major || maj == major && mnr >= minor
}
