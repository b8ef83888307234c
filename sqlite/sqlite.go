// Package sqlite is Lethe's dialect for SQLite, embedded through
// modernc.org/sqlite (pure Go, no cgo), so Lethe runs with no server.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"lethe"
	"lethe/dialect"
	"lethe/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect implements dialect.Dialect for SQLite.
type Dialect struct {
	db *sql.DB
}

var _ dialect.Dialect = (*Dialect)(nil)

// Open opens the database a sqlite:// URL names: sqlite://app.db is a file
// relative to the working directory, sqlite:///var/lib/app.db an absolute
// path. The file must exist: a mistyped path must not quietly become an
// empty database that every check passes against.
func Open(ctx context.Context, rawURL string) (*Dialect, error) {
	path, ok := strings.CutPrefix(rawURL, "sqlite://")
	if !ok || path == "" {
		return nil, lethe.Errorf(lethe.EINVALID, "cannot read %q as a SQLite URL: write sqlite://path/to/file.db", rawURL)
	}
	path, _, _ = strings.Cut(path, "?")
	if _, err := os.Stat(path); err != nil {
		return nil, lethe.Errorf(lethe.EINVALID, "SQLite database %s does not exist", path)
	}
	return OpenFile(ctx, path)
}

// OpenFile opens the SQLite database file at path, creating it when missing.
func OpenFile(ctx context.Context, path string) (*Dialect, error) {
	q := url.Values{}
	// Foreign keys as the application declared them; a writer waits for
	// another instead of failing; WAL lets readers run beside a sweep;
	// write transactions take the lock at BEGIN, so two writers never
	// deadlock upgrading their locks.
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	// A page cache of 8 MiB a connection (SQLite's default is 2): a walk's
	// stretch of rows, and the rows they own, are read and then written
	// in the same transaction, and with 2 MiB the pages were read twice.
	// An anonymization of 500,000 people and 1.5M owned rows took 5.5 s
	// instead of 6.5; a sweep's few connections stay near 50 MB in all. The
	// size holds for Lethe's connections only, not the file.
	q.Add("_pragma", "cache_size(-8192)")
	q.Set("_txlock", "immediate")
	// Times Lethe writes take the form SQLite's date functions read
	// (2006-01-02 15:04:05.999999999-07:00), not Go's String form.
	q.Set("_time_format", "sqlite")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return &Dialect{db: db}, nil
}

func (d *Dialect) Name() string           { return "sqlite" }
func (d *Dialect) DB() *sql.DB            { return d.db }
func (d *Dialect) Close() error           { return d.db.Close() }
func (d *Dialect) Placeholder(int) string { return "?" }

// Quote quotes an identifier with double quotes, doubling any inside.
func (d *Dialect) Quote(ident string) string {
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}

// sqliteTimeLayout is how strftime('%Y-%m-%d %H:%M:%f') writes a time:
// milliseconds, no zone; ClockArg writes the cutoff so.
const sqliteTimeLayout = "2006-01-02 15:04:05.000"

// ClockBefore compares clocks as SQLite applications store them. Integer
// Unix time compares as a number. Text (2024-03-01 00:00:00,
// 2024-03-01T00:00:00Z, with fractions or offsets) is read by SQLite's
// date parser into a Julian day, in UTC and to the millisecond, so values
// written in different forms still compare exactly; text SQLite cannot
// read as a date yields NULL and is never due. julianday, not the text
// strftime writes: the two hold the same millisecond, so every value is
// due under the same cutoffs (TestClockBeforeAsStrftime), but strftime
// then formats it. Counting 516k due rows of 1M took 0.40-0.62 s so, where
// strftime took 1.4-1.8 s even behind a cheaper pre-test on the text that
// passed over rows plainly past the cutoff (with julianday that pre-test
// costs more than it saves: 0.82-1.06 s), and a bare comparison
// 0.36-0.40 s. SQLite has no index on such an expression anyway, which is
// why only PostgreSQL and MySQL keep the column bare.
func (d *Dialect) ClockBefore(quoted string, unit lethe.ClockUnit, param string) string {
	if unit != lethe.ClockNative {
		return quoted + " < " + param
	}
	return "julianday(" + quoted + ") < julianday(" + param + ")"
}

// ClockArg gives the cutoff in the form ClockBefore compares. Zone-less text
// is read in loc: the cutoff is written as loc's wall clock.
func (d *Dialect) ClockArg(unit lethe.ClockUnit, cutoff time.Time, loc *time.Location) any {
	if unit != lethe.ClockNative {
		return dialect.UnixArg(unit, cutoff)
	}
	return cutoff.In(loc).Format(sqliteTimeLayout)
}

// Migrate creates or updates the lethe_* tables.
func (d *Dialect) Migrate(ctx context.Context) error {
	return migrate.Up(ctx, d.db, d.Name(), migrations)
}

// Pending reports whether migrations of the lethe_* tables have not run.
func (d *Dialect) Pending(ctx context.Context) (bool, error) {
	return migrate.Pending(ctx, d.db, d.Name(), migrations)
}

// Introspect reads every table of the main database.
func (d *Dialect) Introspect(ctx context.Context) (*dialect.Schema, error) {
	names, err := queryStrings(ctx, d.db, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("introspect sqlite: %w", err)
	}
	s := &dialect.Schema{FoldTables: true, FoldColumns: true, TextClocks: true}
	for _, name := range names {
		t, err := d.table(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("introspect sqlite table %s: %w", name, err)
		}
		s.Tables = append(s.Tables, t)
	}
	return s.Finish(), nil
}

func (d *Dialect) table(ctx context.Context, name string) (*dialect.Table, error) {
	t := &dialect.Table{Name: name}
	rows, err := d.db.QueryContext(ctx, `SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	pk := map[int]string{}
	for rows.Next() {
		var col, typ string
		var notNull bool
		var pkPos int
		if err := rows.Scan(&col, &typ, &notNull, &pkPos); err != nil {
			return nil, err
		}
		base, length := dialect.ParseType(typ)
		t.Columns = append(t.Columns, &dialect.Column{Name: col, Type: base, Nullable: !notNull && pkPos == 0, MaxLength: length})
		if pkPos > 0 {
			pk[pkPos] = col
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := 1; i <= len(pk); i++ {
		t.PrimaryKey = append(t.PrimaryKey, pk[i])
	}
	fks, err := d.db.QueryContext(ctx, `SELECT id, "table", "from", "to" FROM pragma_foreign_key_list(?) ORDER BY id, seq`, name)
	if err != nil {
		return nil, err
	}
	defer fks.Close()
	lastID := -1
	for fks.Next() {
		var id int
		var ref, from string
		var to sql.NullString // NULL when the reference names the parent's primary key implicitly
		if err := fks.Scan(&id, &ref, &from, &to); err != nil {
			return nil, err
		}
		if id != lastID {
			t.ForeignKeys = append(t.ForeignKeys, dialect.ForeignKey{RefTable: ref})
			lastID = id
		}
		fk := &t.ForeignKeys[len(t.ForeignKeys)-1]
		fk.Columns = append(fk.Columns, from)
		fk.RefColumns = append(fk.RefColumns, to.String)
	}
	if err := fks.Err(); err != nil {
		return nil, err
	}
	t.Indexes, err = d.indexes(ctx, name)
	return t, err
}

// indexes reads the indexes of a table on plain columns; an index on an
// expression serves no lookup by a column and is left out.
func (d *Dialect) indexes(ctx context.Context, table string) ([]dialect.Index, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT name, "unique" FROM pragma_index_list(?) ORDER BY name`, table)
	if err != nil {
		return nil, err
	}
	var list []dialect.Index
	for rows.Next() {
		var ix dialect.Index
		if err := rows.Scan(&ix.Name, &ix.Unique); err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, ix)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []dialect.Index{}
	for _, ix := range list {
		cols, err := d.db.QueryContext(ctx, `SELECT coalesce(name, '') FROM pragma_index_info(?) ORDER BY seqno`, ix.Name)
		if err != nil {
			return nil, err
		}
		plain := true
		for cols.Next() {
			var c string
			if err := cols.Scan(&c); err != nil {
				cols.Close()
				return nil, err
			}
			plain = plain && c != ""
			ix.Columns = append(ix.Columns, c)
		}
		cols.Close()
		if err := cols.Err(); err != nil {
			return nil, err
		}
		if plain && len(ix.Columns) > 0 {
			out = append(out, ix)
		}
	}
	return out, nil
}

func queryStrings(ctx context.Context, db *sql.DB, query string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
