package dialect

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// What Lethe's own tables (lethe_*) need from every dialect alike: one way
// to store and read a time, to lock rows, and to learn a new row's id.

// sqliteStoredTime is how Lethe's SQLite tables keep a time: UTC and fixed
// width, so text order is time order and "<" compares instants.
const sqliteStoredTime = "2006-01-02 15:04:05.000000"

// StoredTime is the value to bind for a time in Lethe's own tables: UTC to
// the microsecond, which all three databases keep; text on SQLite.
func StoredTime(d Dialect, t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if d.Name() == "sqlite" {
		return t.Format(sqliteStoredTime)
	}
	return t
}

// ScanTime reads a time from Lethe's own tables: a time.Time from
// PostgreSQL and MySQL, text from SQLite. NULL reads as nil.
func ScanTime(v any) (*time.Time, error) {
	var s string
	switch x := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		t := x.UTC().Truncate(time.Microsecond)
		return &t, nil
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return nil, fmt.Errorf("cannot read %T as a time", v)
	}
	// A fraction of any length is accepted after the seconds.
	for _, layout := range []string{"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05", time.RFC3339, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC().Truncate(time.Microsecond)
			return &t, nil
		}
	}
	return nil, fmt.Errorf("cannot read %q as a time", s)
}

// ForUpdate is the clause that locks the rows a SELECT reads until the
// transaction ends. SQLite has no row locks: its write transactions
// (BEGIN IMMEDIATE) hold the database's one write lock from the start.
func ForUpdate(d Dialect) string {
	if d.Name() == "sqlite" {
		return ""
	}
	return " FOR UPDATE"
}

// InsertID runs an INSERT into a table whose key is "id" and returns the
// new row's id: RETURNING on PostgreSQL, LastInsertId elsewhere.
func InsertID(ctx context.Context, d Dialect, q interface {
	Querier
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, query string, args ...any) (int64, error) {
	if d.Name() == "postgres" {
		var id int64
		err := q.QueryRowContext(ctx, query+" RETURNING id", args...).Scan(&id)
		return id, err
	}
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}
