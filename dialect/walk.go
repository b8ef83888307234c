package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// A walk deletes the due rows of a table stretch by stretch, in the order
// the table is stored, each stretch one batch: every row is read once,
// in order, as one DELETE ... WHERE clock < cutoff reads them, instead of
// being found one by one through an index. It is how a purge of a large
// share of a table comes close to what the database does on its own, and
// each batch costs about the same wherever it falls (a batch that asks
// for a number of due rows instead must read past every row that is not
// due to learn that it is the last).

// Stretch is the part of a table one batch of a walk covers: on
// PostgreSQL the heap pages [From, To), read by ctid (a TID range scan),
// elsewhere the keys in (From, To] of the primary key, the order InnoDB
// stores rows in. A nil From starts at the beginning; Last means the
// stretch runs to the end of the table (To is then nil for keys).
type Stretch struct {
	From, To any
	Last     bool
	by       Walk
	max      int64 // ByIntegerKey: the greatest key when last read
}

// Walk is how a walk steps through a table.
type Walk int

const (
	// ByKey: stretches of a number of keys, each end read from the
	// primary key (LIMIT 1 OFFSET size-1).
	ByKey Walk = iota
	// ByIntegerKey: stretches of a number of consecutive values of an
	// integer key, with no read for their ends; where keys are sparse a
	// stretch holds fewer rows, and batches sized by time grow.
	ByIntegerKey
	// ByPages: stretches of heap pages (WalksPages).
	ByPages
)

// WalksPages says whether the server can read a stretch of pages without
// a scan of the whole table: PostgreSQL 14 and later (TID range scans).
// Elsewhere walks go by key.
func WalksPages(ctx context.Context, d Dialect, db Querier) (bool, error) {
	if d.Name() != "postgres" {
		return false, nil
	}
	version, err := serverVersion(ctx, d, db)
	if err != nil {
		return false, err
	}
	return versionAtLeast(version, 14, 0), nil
}

// FirstStretch is where a walk starts.
func FirstStretch(by Walk) Stretch {
	if by == ByPages {
		return Stretch{To: int64(0), by: by}
	}
	return Stretch{by: by}
}

// NextStretch returns the stretch after prev that covers size keys, key
// values or pages. A walk ends at the size the table or its greatest key
// has when the last stretch is taken, so rows added meanwhile are walked
// too.
func NextStretch(ctx context.Context, d Dialect, db Querier, table, key string, prev Stretch, size int) (Stretch, error) {
	if size <= 0 {
		return Stretch{}, fmt.Errorf("walk %s: size must be positive", table)
	}
	next := Stretch{From: prev.To, by: prev.by, max: prev.max}
	k := d.Quote(key)
	switch prev.by {
	case ByPages:
		var pages int64
		_, err := queryRow(ctx, db, "SELECT pg_relation_size("+d.Placeholder(1)+"::regclass) / current_setting('block_size')::bigint", []any{d.Quote(table)}, &pages)
		if err != nil {
			return next, fmt.Errorf("walk %s: read its size: %w", table, err)
		}
		to := prev.To.(int64) + int64(size)
		next.To, next.Last = to, to >= pages
		return next, nil
	case ByIntegerKey:
		greatest := func() (sql.NullInt64, sql.NullInt64, error) {
			var lo, hi sql.NullInt64
			_, err := queryRow(ctx, db, "SELECT MIN("+k+"), MAX("+k+") FROM "+d.Quote(table), nil, &lo, &hi)
			if err != nil {
				err = fmt.Errorf("walk %s: %w", table, err)
			}
			return lo, hi, err
		}
		if prev.To == nil {
			lo, hi, err := greatest()
			if err != nil || !lo.Valid {
				next.Last = true // an empty table: one stretch, to the end
				return next, err
			}
			next.From, next.max = lo.Int64-1, hi.Int64
		}
		// The stretch that reaches the greatest key runs to the end.
		from := next.From.(int64)
		if from >= next.max-int64(size) {
			_, hi, err := greatest() // rows added since it was read
			if err != nil {
				return next, err
			}
			if next.max = hi.Int64; from >= next.max-int64(size) {
				next.Last = true
				return next, nil
			}
		}
		next.To = from + int64(size)
		return next, nil
	}
	a := &args{d: d}
	query := "SELECT " + k + " FROM " + d.Quote(table)
	if next.From != nil {
		query += " WHERE " + k + " > " + a.add(next.From)
	}
	query += " ORDER BY " + k + " LIMIT 1 OFFSET " + strconv.Itoa(size-1)
	var to any
	found, err := queryRow(ctx, db, query, a.list, &to)
	if err != nil {
		return next, fmt.Errorf("walk %s: %w", table, err)
	}
	next.To, next.Last = NormalizeKey(to), !found
	return next, nil
}

// condition restricts a statement to the stretch.
func (s Stretch) condition(d Dialect, a *args, key string) []string {
	var out []string
	if s.by == ByPages {
		out = append(out, "ctid >= "+a.add(fmt.Sprintf("(%d,0)", s.From))+"::tid")
		if !s.Last {
			out = append(out, "ctid < "+a.add(fmt.Sprintf("(%d,0)", s.To))+"::tid")
		}
		return out
	}
	k := d.Quote(key)
	if s.From != nil {
		out = append(out, k+" > "+a.add(s.From))
	}
	if s.To != nil {
		out = append(out, k+" <= "+a.add(s.To))
	}
	return out
}

// DueBeyond says whether a due row of q (of the given tenants, with a
// tenant column) lies past the end of a stretch of a walk by key: when a
// walk has deleted every row its plan counted, one such look through the
// database's indexes can end it, instead of stretches that read the rest
// of the table for nothing. A walk by pages cannot ask (PostgreSQL keeps
// the index entries of deleted rows until a vacuum, so the look would
// step over all of them): it answers true.
func DueBeyond(ctx context.Context, d Dialect, db Querier, q Due, s Stretch, column string, tenants []string) (bool, error) {
	if s.by == ByPages || s.Last {
		return !s.Last, nil
	}
	q.After = nil
	a := &args{d: d}
	where := []string{q.where(d, a), d.Quote(q.Key) + " > " + a.add(s.To)}
	if column != "" {
		where = append(where, tenantsCondition(d, a, d.Quote(column), tenants))
	}
	var one int
	found, err := queryRow(ctx, db, "SELECT 1 FROM "+d.Quote(q.Table)+" WHERE "+strings.Join(where, " AND ")+" LIMIT 1", a.list, &one)
	if err != nil {
		return true, fmt.Errorf("look for due rows of %s: %w", q.Table, err)
	}
	return found, nil
}

// Deleted is what one batch of a walk deleted.
type Deleted struct {
	Total  int64
	Counts map[string]int64 // rows of each tenant, when asked for; tenants with none are left out
}

// DeleteStretch deletes the due rows of q (q.After is ignored) within the
// stretch. With a tenant column it deletes only rows of the given tenants
// ("" stands for rows with no tenant, NULL) and counts the rows of each:
// then the server must return deleted rows (ReturnsDeleted). Without one
// it counts the total only.
func DeleteStretch(ctx context.Context, d Dialect, db Querier, q Due, s Stretch, column string, tenants []string) (Deleted, error) {
	var out Deleted
	if q.Clock.IsZero() {
		return out, fmt.Errorf("delete due rows of %s: no clock", q.Table)
	}
	q.After = nil
	a := &args{d: d}
	where := append([]string{q.where(d, a)}, s.condition(d, a, q.Key)...)
	if column == "" {
		n, err := exec(ctx, db, "delete due rows of "+q.Table, "DELETE FROM "+d.Quote(q.Table)+" WHERE "+strings.Join(where, " AND "), a.list)
		out.Total = n
		return out, err
	}
	if len(tenants) == 0 {
		return out, fmt.Errorf("delete due rows of %s: no tenants given", q.Table)
	}
	col := d.Quote(column)
	where = append(where, tenantsCondition(d, a, col, tenants))
	query := "DELETE FROM " + d.Quote(q.Table) + " WHERE " + strings.Join(where, " AND ") + " RETURNING " + col
	grouped := d.Name() == "postgres"
	if grouped {
		// The server counts: one row a tenant comes back, not one a row.
		query = "WITH gone AS (" + query + ") SELECT " + col + ", COUNT(*) FROM gone GROUP BY " + col
	}
	rows, err := db.QueryContext(ctx, query, a.list...)
	if err != nil {
		return out, fmt.Errorf("delete due rows of %s: %w", q.Table, err)
	}
	defer rows.Close()
	out.Counts = map[string]int64{}
	for rows.Next() {
		var tenant any
		n := int64(1)
		if grouped {
			err = rows.Scan(&tenant, &n)
		} else {
			err = rows.Scan(&tenant)
		}
		if err != nil {
			return out, fmt.Errorf("delete due rows of %s: %w", q.Table, err)
		}
		t := tenantText(tenant)
		out.Counts[t] += n
		out.Total += n
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("delete due rows of %s: %w", q.Table, err)
	}
	return out, nil
}

// SelectStretch returns the keys of q's due rows (q.After is ignored)
// within the stretch, in key order (in page order on a walk by pages).
// With a tenant column it returns only rows of the given tenants (""
// stands for NULL), and each row's tenant beside its key; without one,
// tenants of the result is nil. It is how a walk that changes rows
// instead of deleting them (anonymization) reads a stretch.
func SelectStretch(ctx context.Context, d Dialect, db Querier, q Due, s Stretch, column string, tenants []string) ([]any, []string, error) {
	if q.Clock.IsZero() {
		return nil, nil, fmt.Errorf("select due rows of %s: no clock", q.Table)
	}
	q.After = nil
	a := &args{d: d}
	where := append([]string{q.where(d, a)}, s.condition(d, a, q.Key)...)
	key := d.Quote(q.Key)
	read := key
	if column != "" {
		if len(tenants) == 0 {
			return nil, nil, fmt.Errorf("select due rows of %s: no tenants given", q.Table)
		}
		col := d.Quote(column)
		where = append(where, tenantsCondition(d, a, col, tenants))
		read += ", " + col
	}
	query := "SELECT " + read + " FROM " + d.Quote(q.Table) + " WHERE " + strings.Join(where, " AND ")
	if s.by != ByPages {
		query += " ORDER BY " + key
	}
	rows, err := db.QueryContext(ctx, query, a.list...)
	if err != nil {
		return nil, nil, fmt.Errorf("select due rows of %s: %w", q.Table, err)
	}
	defer rows.Close()
	var keys []any
	var of []string
	for rows.Next() {
		var k, tenant any
		if column != "" {
			err = rows.Scan(&k, &tenant)
		} else {
			err = rows.Scan(&k)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("select due rows of %s: %w", q.Table, err)
		}
		keys = append(keys, NormalizeKey(k))
		if column != "" {
			of = append(of, tenantText(tenant))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("select due rows of %s: %w", q.Table, err)
	}
	return keys, of, nil
}

// tenantText is a tenant column's value as scanned, as the tenant it
// stands for: "" for NULL.
func tenantText(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(NormalizeKey(v))
}

// tenantsCondition is true for rows of the listed tenants; "" is NULL.
func tenantsCondition(d Dialect, a *args, col string, tenants []string) string {
	var in, terms []string
	for _, t := range tenants {
		if t == "" {
			terms = append(terms, col+" IS NULL")
			continue
		}
		in = append(in, a.add(t))
	}
	if len(in) > 0 {
		terms = append(terms, col+" IN ("+strings.Join(in, ", ")+")")
	}
	return "(" + strings.Join(terms, " OR ") + ")"
}

// EstimateRows returns about how many rows a table holds, from the
// server's statistics where it keeps them (PostgreSQL, MySQL), else by
// counting; 0 means not known.
func EstimateRows(ctx context.Context, d Dialect, db Querier, table string) (int64, error) {
	var query string
	var args []any
	switch d.Name() {
	case "postgres":
		query, args = "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = "+d.Placeholder(1)+"::regclass", []any{d.Quote(table)}
	case "mysql":
		query, args = "SELECT COALESCE(TABLE_ROWS, 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", []any{table}
	default:
		return CountRows(ctx, d, db, table)
	}
	var n int64
	if _, err := queryRow(ctx, db, query, args, &n); err != nil {
		return 0, fmt.Errorf("estimate the rows of %s: %w", table, err)
	}
	return n, nil
}
