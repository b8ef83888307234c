package dialect

import (
	"context"
	"database/sql"
	"time"

	"lethe"
)

// Dialect is one database engine as Lethe sees it.
type Dialect interface {
	// Name is "sqlite", "postgres" or "mysql".
	Name() string
	// DB is the connection pool.
	DB() *sql.DB
	// Quote quotes one identifier (a table or column name) for this
	// database, escaping any quote character inside it.
	Quote(ident string) string
	// Placeholder returns the n-th (1-based) bind parameter: $1 or ?.
	Placeholder(n int) string
	// ClockBefore returns a condition that is true when the quoted column,
	// read as a clock in unit, lies strictly before the parameter param.
	// On PostgreSQL and MySQL the column stands bare so its index is used.
	ClockBefore(quoted string, unit lethe.ClockUnit, param string) string
	// ClockArg returns the value to bind for ClockBefore's parameter:
	// cutoff in the column's own type. loc is how zone-less values are
	// read (the policy's timezone).
	ClockArg(unit lethe.ClockUnit, cutoff time.Time, loc *time.Location) any
	// Introspect reads the tables, columns, primary and foreign keys of the
	// schema Lethe works in.
	Introspect(ctx context.Context) (*Schema, error)
	// Migrate creates or updates Lethe's own tables (lethe_*).
	Migrate(ctx context.Context) error
	// Pending reports whether migrations of Lethe's tables have not run.
	Pending(ctx context.Context) (bool, error)
	// Close closes the pool.
	Close() error
}

// Querier runs statements: a *sql.DB, *sql.Conn or *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// UnixArg returns the integer bound for "an integer Unix clock is strictly
// before cutoff". A whole-second cutoff S is the bound itself; with a
// fraction, a clock of S is still before S.5, so the bound rounds up.
func UnixArg(unit lethe.ClockUnit, cutoff time.Time) int64 {
	nanos := cutoff.UnixNano()
	per := int64(time.Second)
	if unit == lethe.ClockMilliseconds {
		per = int64(time.Millisecond)
	}
	q := nanos / per
	if nanos%per > 0 {
		q++
	}
	return q
}
