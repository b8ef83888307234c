package dialect

import (
	"context"
	"fmt"
	"strings"
	"time"

	"lethe"
)

// Cond is an extra condition on the rows a statement selects, built from
// policy identifiers and bound values only.
type Cond interface {
	sql(d Dialect, a *args) string
}

type isNull string

func (c isNull) sql(d Dialect, _ *args) string { return d.Quote(string(c)) + " IS NULL" }

// IsNull keeps rows whose column is NULL (not yet stamped).
func IsNull(column string) Cond { return isNull(column) }

type notNull string

func (c notNull) sql(d Dialect, _ *args) string { return d.Quote(string(c)) + " IS NOT NULL" }

// NotNull keeps rows whose column is not NULL.
func NotNull(column string) Cond { return notNull(column) }

type anyDiffers []lethe.Assignment

func (c anyDiffers) sql(d Dialect, a *args) string {
	terms := make([]string, len(c))
	for i, s := range c {
		q := d.Quote(s.Column)
		if s.Value == nil {
			terms[i] = q + " IS NOT NULL"
		} else {
			terms[i] = "(" + q + " IS NULL OR " + q + " <> " + a.add(s.Value) + ")"
		}
	}
	return "(" + strings.Join(terms, " OR ") + ")"
}

// AnyDiffers keeps rows where at least one column does not yet hold the
// value a stage writes (an account not yet deactivated).
func AnyDiffers(set []lethe.Assignment) Cond { return anyDiffers(set) }

type in struct {
	column string
	values []any
}

func (c in) sql(d Dialect, a *args) string { return keyIn(d, a, c.column, c.values) }

// In keeps rows whose column holds one of values (a batch of owner keys).
func In(column string, values []any) Cond { return in{column, values} }

// where joins the conditions of a due selection.
func (q Due) where(d Dialect, a *args) string {
	var where []string
	if !q.Clock.IsZero() {
		where = append(where, clockCondition(d, a, q.Clock, q.Cutoff, q.Loc))
	}
	if c := tenantCondition(d, a, q.Tenant); c != "" {
		where = append(where, c)
	}
	for _, c := range q.Extra {
		where = append(where, c.sql(d, a))
	}
	if q.After != nil {
		where = append(where, d.Quote(q.Key)+" > "+a.add(q.After))
	}
	if len(where) == 0 {
		return "1 = 1"
	}
	return strings.Join(where, " AND ")
}

// CountDue counts the rows SelectDueKeys would page through (ignoring
// After and Limit).
func CountDue(ctx context.Context, d Dialect, db Querier, q Due) (int64, error) {
	q.After = nil
	a := &args{d: d}
	query := "SELECT COUNT(*) FROM " + d.Quote(q.Table) + " WHERE " + q.where(d, a)
	var n int64
	if _, err := queryRow(ctx, db, query, a.list, &n); err != nil {
		return 0, fmt.Errorf("count due rows of %s: %w", q.Table, err)
	}
	return n, nil
}

// TenantCount is what CountDueByTenant counts of one tenant.
type TenantCount struct {
	Due int64 // the due rows
	// Before is the rows before the cutoff, whatever q.Extra says of them
	// (done or not): counted only with scan, which reads them all anyway;
	// else 0.
	Before int64
}

// CountDueByTenant counts what CountDue counts (q.Tenant ignored) for
// each of the given tenants of a table with a tenant column, in one
// statement grouped by the column; "" stands for rows with no tenant
// (NULL). Tenants with no row counted are left out. Where the count must
// read each due row from the table (a condition on a column no index
// holds), one grouped count reads each page once, where a count a tenant
// reads every page once a tenant. With scan the server is told to read
// the table in stored order, not through an index (a hint on MySQL and
// SQLite; PostgreSQL's planner picks a scan itself when the share is
// large): given a GROUP BY on the tenant column and an index that leads
// with it, MariaDB otherwise reads the whole index in tenant order and
// the table row by row through it, which took it 11 s for 1M rows that
// a scan reads in 0.5.
func CountDueByTenant(ctx context.Context, d Dialect, db Querier, q Due, column string, tenants []string, scan bool) (map[string]TenantCount, error) {
	if len(tenants) == 0 {
		return nil, fmt.Errorf("count due rows of %s: no tenants given", q.Table)
	}
	q.After, q.Tenant = nil, nil
	a := &args{d: d}
	col := d.Quote(column)
	from := d.Quote(q.Table)
	if scan {
		switch d.Name() {
		case "mysql":
			from += " USE INDEX ()"
		case "sqlite":
			from += " NOT INDEXED"
		}
	}
	due, before := "COUNT(*)", "0"
	if scan {
		before = "COUNT(*)"
		if len(q.Extra) > 0 {
			// Every row before the cutoff is read: the other conditions
			// are counted, not filtered.
			terms := make([]string, len(q.Extra))
			for i, c := range q.Extra {
				terms[i] = c.sql(d, a)
			}
			due = "SUM(CASE WHEN " + strings.Join(terms, " AND ") + " THEN 1 ELSE 0 END)"
			q.Extra = nil
		}
	}
	query := "SELECT " + col + ", " + due + ", " + before + " FROM " + from + " WHERE " + q.where(d, a) +
		" AND " + tenantsCondition(d, a, col, tenants) + " GROUP BY " + col
	rows, err := db.QueryContext(ctx, query, a.list...)
	if err != nil {
		return nil, fmt.Errorf("count due rows of %s: %w", q.Table, err)
	}
	defer rows.Close()
	out := map[string]TenantCount{}
	for rows.Next() {
		var tenant any
		var n TenantCount
		if err := rows.Scan(&tenant, &n.Due, &n.Before); err != nil {
			return nil, fmt.Errorf("count due rows of %s: %w", q.Table, err)
		}
		t := tenantText(tenant)
		out[t] = TenantCount{Due: out[t].Due + n.Due, Before: out[t].Before + n.Before}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count due rows of %s: %w", q.Table, err)
	}
	return out, nil
}

// queryRow scans the first row a query returns into dest, and says
// whether there was one (Querier has no QueryRowContext: *sql.Tx and
// *sql.DB both serve it).
func queryRow(ctx context.Context, db Querier, query string, args []any, dest ...any) (bool, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	if !rows.Next() {
		return false, rows.Err()
	}
	if err := rows.Scan(dest...); err != nil {
		return false, err
	}
	return true, rows.Close()
}

// CountRows counts every row of a table (the guard's denominator).
func CountRows(ctx context.Context, d Dialect, db Querier, table string) (int64, error) {
	return CountDue(ctx, d, db, Due{Table: table})
}

// Row is one row read by SelectRows: values by column, as scanned.
type Row map[string]any

// SelectRows reads the named columns of the rows matching the conditions,
// in key order; the key column is always read.
func SelectRows(ctx context.Context, d Dialect, db Querier, table, key string, columns []string, conds ...Cond) ([]Row, error) {
	cols := []string{key}
	for _, c := range columns {
		if c != key && !contains(cols, c) {
			cols = append(cols, c)
		}
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = d.Quote(c)
	}
	a := &args{d: d}
	where := "1 = 1"
	if len(conds) > 0 {
		parts := make([]string, len(conds))
		for i, c := range conds {
			parts[i] = c.sql(d, a)
		}
		where = strings.Join(parts, " AND ")
	}
	query := "SELECT " + strings.Join(quoted, ", ") + " FROM " + d.Quote(table) + " WHERE " + where + " ORDER BY " + d.Quote(key)
	rows, err := db.QueryContext(ctx, query, a.list...)
	if err != nil {
		return nil, fmt.Errorf("read rows of %s: %w", table, err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("read rows of %s: %w", table, err)
		}
		r := make(Row, len(cols))
		for i, c := range cols {
			r[c] = NormalizeKey(vals[i])
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// DistinctValues returns the distinct values of a column as text, NULL as
// "" (the tenants of a table), in the order the database sorts them.
// indexed says an index leads with the column: PostgreSQL and SQLite then
// hop from one value to the next through it (a loose index scan, one
// lookup a value), where SELECT DISTINCT would read every row; MySQL does
// that on its own.
func DistinctValues(ctx context.Context, d Dialect, db Querier, table, column string, indexed bool) ([]string, error) {
	q, t := d.Quote(column), d.Quote(table)
	query := "SELECT DISTINCT " + q + " FROM " + t + " ORDER BY " + q
	if indexed && d.Name() != "mysql" {
		nullsAt := "0" // where ORDER BY puts NULL: first on SQLite,
		if d.Name() == "postgres" {
			nullsAt = "2" // last on PostgreSQL
		}
		query = "WITH RECURSIVE v(x) AS (SELECT MIN(" + q + ") FROM " + t +
			" UNION ALL SELECT (SELECT MIN(" + q + ") FROM " + t + " WHERE " + q + " > v.x) FROM v WHERE v.x IS NOT NULL)" +
			" SELECT x FROM (SELECT x, 1 AS pos FROM v WHERE x IS NOT NULL" +
			" UNION ALL SELECT NULL, " + nullsAt + " WHERE EXISTS (SELECT 1 FROM " + t + " WHERE " + q + " IS NULL)) u ORDER BY pos, x"
	}
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("read %s of %s: %w", column, table, err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	var out []string
	for rows.Next() {
		var v any
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		s := ""
		if v != nil {
			s = fmt.Sprint(NormalizeKey(v))
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out, rows.Err()
}

// TimeArg is how Lethe writes a time into a time column of the
// application (a stamp): the same form its clocks compare in.
func TimeArg(d Dialect, t time.Time, loc *time.Location) any {
	if loc == nil {
		loc = time.UTC
	}
	return d.ClockArg(lethe.ClockNative, t, loc)
}

// InsertIgnore inserts one row unless a row with the same primary key
// exists (a digest already on the suppression list).
func InsertIgnore(ctx context.Context, d Dialect, db Querier, table string, columns []string, values []any) error {
	a := &args{d: d}
	quoted := make([]string, len(columns))
	ph := make([]string, len(values))
	for i, c := range columns {
		quoted[i] = d.Quote(c)
		ph[i] = a.add(values[i])
	}
	body := d.Quote(table) + " (" + strings.Join(quoted, ", ") + ") VALUES (" + strings.Join(ph, ", ") + ")"
	var query string
	switch d.Name() {
	case "mysql":
		query = "INSERT IGNORE INTO " + body
	default: // PostgreSQL and SQLite share the clause
		query = "INSERT INTO " + body + " ON CONFLICT DO NOTHING"
	}
	if _, err := db.ExecContext(ctx, query, a.list...); err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	return nil
}
