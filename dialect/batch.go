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

// ReturnsDeleted says whether the server can return the rows a DELETE
// removed (DELETE ... RETURNING), which DeleteStretch needs to count tenants:
// PostgreSQL, SQLite 3.35 and later, MariaDB 10.5 and later; not MySQL.
func ReturnsDeleted(ctx context.Context, d Dialect, db Querier) (bool, error) {
	switch d.Name() {
	case "postgres":
		return true, nil
	case "sqlite", "mysql":
	default:
		return false, nil
	}
	version, err := serverVersion(ctx, d, db)
	if err != nil {
		return false, err
	}
	if d.Name() == "sqlite" {
		return versionAtLeast(version, 3, 35), nil
	}
	return strings.Contains(version, "MariaDB") && versionAtLeast(version, 10, 5), nil
}

// serverVersion is the server's version as it prints it ("3.46.0",
// "10.11.6-MariaDB-0+deb12u1", "15.8 (Debian ...)").
func serverVersion(ctx context.Context, d Dialect, db Querier) (string, error) {
	query := "SELECT VERSION()"
	switch d.Name() {
	case "sqlite":
		query = "SELECT sqlite_version()"
	case "postgres":
		query = "SHOW server_version"
	}
	var version string
	if _, err := queryRow(ctx, db, query, nil, &version); err != nil {
		return "", fmt.Errorf("read server version: %w", err)
	}
	return version, nil
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
