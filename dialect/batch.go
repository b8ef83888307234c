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
// removed (DELETE ... RETURNING), which DeleteDueTenants needs:
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
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return false, fmt.Errorf("read server version: %w", err)
	}
	defer rows.Close()
	var version string
	if rows.Next() {
		if err := rows.Scan(&version); err != nil {
			return false, fmt.Errorf("read server version: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
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

// TenantsDeleted is what one DeleteDueTenants statement deleted.
type TenantsDeleted struct {
	Counts map[string]int64 // rows of each tenant; tenants with none are left out
	Total  int64
	Last   any // the greatest key deleted: the next page's After
}

// DeleteDueTenants is DeleteDue over several tenants at once: it deletes
// the first q.Limit due rows after q.After in key order whose column holds
// one of tenants ("" stands for rows with no tenant, NULL), in one
// statement, and returns how many went of each tenant. q.Tenant must be
// nil. The server must return deleted rows (ReturnsDeleted).
//
// Unlike DeleteDue it pages by key, not by clock: over several tenants
// no index yields the rows in clock order (the usual one is the tenant
// and then the clock), so each statement would sort every due row, a cost
// that does not shrink with the batch. The key is the table's physical
// order or close to it, so each page of the table is written once.
func DeleteDueTenants(ctx context.Context, d Dialect, db Querier, q Due, column string, tenants []string) (TenantsDeleted, error) {
	var out TenantsDeleted
	if q.Limit <= 0 {
		return out, fmt.Errorf("delete due rows of %s: limit must be positive", q.Table)
	}
	if q.Clock.IsZero() {
		return out, fmt.Errorf("delete due rows of %s: no clock", q.Table)
	}
	if q.Tenant != nil || len(tenants) == 0 {
		return out, fmt.Errorf("delete due rows of %s: give the tenants as a list, and at least one", q.Table)
	}
	a := &args{d: d}
	table, key, col := d.Quote(q.Table), d.Quote(q.Key), d.Quote(column)
	limit := strconv.Itoa(q.Limit)
	where := q.where(d, a)
	var in []string
	null := false
	for _, t := range tenants {
		if t == "" {
			null = true
			continue
		}
		in = append(in, a.add(t))
	}
	var terms []string
	if null {
		terms = append(terms, col+" IS NULL")
	}
	if len(in) > 0 {
		terms = append(terms, col+" IN ("+strings.Join(in, ", ")+")")
	}
	where += " AND (" + strings.Join(terms, " OR ") + ")"
	order := " ORDER BY " + key
	var query string
	switch d.Name() {
	case "postgres":
		// The counts per tenant are made by the server: one row a tenant
		// comes back, not one a deleted row.
		// "= ANY(ARRAY(...))", not "IN (...)": with IN the planner joins
		// the page of keys to a scan of the whole table, a cost each batch
		// pays again whatever its size; with an array it looks each key up.
		query = "WITH gone AS (DELETE FROM " + table + " WHERE " + key + " = ANY(ARRAY(SELECT " + key + " FROM " + table + " WHERE " + where + order + " LIMIT " + limit + ")) RETURNING " + col + ", " + key + ")" +
			" SELECT " + col + ", COUNT(*), MAX(" + key + ") FROM gone GROUP BY " + col
	case "mysql":
		query = "DELETE FROM " + table + " WHERE " + where + order + " LIMIT " + limit + " RETURNING " + col + ", " + key
	default:
		query = "DELETE FROM " + table + " WHERE " + key + " IN (SELECT " + key + " FROM " + table + " WHERE " + where + order + " LIMIT " + limit + ") RETURNING " + col + ", " + key
	}
	rows, err := db.QueryContext(ctx, query, a.list...)
	if err != nil {
		return out, fmt.Errorf("delete due rows of %s: %w", q.Table, err)
	}
	defer rows.Close()
	out.Counts = map[string]int64{}
	grouped := d.Name() == "postgres"
	for rows.Next() {
		var tenant *string
		var last any
		n := int64(1)
		if grouped {
			err = rows.Scan(&tenant, &n, &last)
		} else {
			err = rows.Scan(&tenant, &last)
		}
		if err != nil {
			return out, fmt.Errorf("delete due rows of %s: %w", q.Table, err)
		}
		t := ""
		if tenant != nil {
			t = *tenant
		}
		out.Counts[t] += n
		out.Total += n
		if last = NormalizeKey(last); out.Last == nil || keyLess(out.Last, last) {
			out.Last = last
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("delete due rows of %s: %w", q.Table, err)
	}
	return out, nil
}

// keyLess orders two normalized keys of one column as the database does
// for integers and, for text, in byte order.
func keyLess(a, b any) bool {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return x < y
		}
	case string:
		if y, ok := b.(string); ok {
			return x < y
		}
	}
	return fmt.Sprint(a) < fmt.Sprint(b)
}
