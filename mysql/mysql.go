// Package mysql is Lethe's dialect for MySQL and MariaDB, through
// go-sql-driver/mysql. Lethe works in the database the URL names.
package mysql

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"lethe"
	"lethe/dialect"
	"lethe/migrate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect implements dialect.Dialect for MySQL and MariaDB.
type Dialect struct {
	db *sql.DB
}

var _ dialect.Dialect = (*Dialect)(nil)

// Open connects to mysql://user:pass@tcp(host:port)/db (the driver's DSN
// behind the scheme).
func Open(ctx context.Context, rawURL string) (*Dialect, error) {
	dsn, ok := strings.CutPrefix(rawURL, "mysql://")
	if !ok {
		return nil, lethe.Errorf(lethe.EINVALID, "cannot read %q as a MySQL URL: write mysql://user:password@tcp(host:3306)/database", rawURL)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil || cfg.DBName == "" {
		return nil, lethe.Errorf(lethe.EINVALID, "cannot read the MySQL URL: write mysql://user:password@tcp(host:3306)/database")
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	// Affected rows count the rows a statement matched, as on the other
	// databases, not only those whose values changed.
	cfg.ClientFoundRows = true
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	// TIMESTAMP columns convert through the session time zone: UTC keeps
	// them as the instants they are.
	cfg.Params["time_zone"] = "'+00:00'"
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, lethe.Errorf(lethe.EINVALID, "cannot use the MySQL URL: %v", err)
	}
	db := sql.OpenDB(connector)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to mysql %s/%s: %w", cfg.Addr, cfg.DBName, err)
	}
	return &Dialect{db: db}, nil
}

func (d *Dialect) Name() string           { return "mysql" }
func (d *Dialect) DB() *sql.DB            { return d.db }
func (d *Dialect) Close() error           { return d.db.Close() }
func (d *Dialect) Placeholder(int) string { return "?" }

// Quote quotes an identifier with backticks, doubling any inside.
func (d *Dialect) Quote(ident string) string {
	return "`" + strings.ReplaceAll(ident, "`", "``") + "`"
}

// ClockBefore keeps the column bare so its index serves the comparison.
func (d *Dialect) ClockBefore(quoted string, _ lethe.ClockUnit, param string) string {
	return quoted + " < " + param
}

// ClockArg binds the cutoff as loc's wall clock: a DATETIME holds a
// zone-less wall clock, and the driver sends times as they read in UTC.
// (A TIMESTAMP column is read as UTC through the session time zone, which
// matches this when the policy's timezone is UTC, the default.)
func (d *Dialect) ClockArg(unit lethe.ClockUnit, cutoff time.Time, loc *time.Location) any {
	if unit != lethe.ClockNative {
		return dialect.UnixArg(unit, cutoff)
	}
	w := cutoff.In(loc)
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
}

// Migrate creates or updates the lethe_* tables.
func (d *Dialect) Migrate(ctx context.Context) error {
	return migrate.Up(ctx, d.db, d.Name(), migrations)
}

// Pending reports whether migrations of the lethe_* tables have not run.
func (d *Dialect) Pending(ctx context.Context) (bool, error) {
	return migrate.Pending(ctx, d.db, d.Name(), migrations)
}

// Introspect reads the tables of the current database.
func (d *Dialect) Introspect(ctx context.Context) (*dialect.Schema, error) {
	var lowerCase int
	if err := d.db.QueryRowContext(ctx, `SELECT @@lower_case_table_names`).Scan(&lowerCase); err != nil {
		return nil, fmt.Errorf("introspect mysql: %w", err)
	}
	s := &dialect.Schema{FoldColumns: true, FoldTables: lowerCase != 0}
	rows, err := d.db.QueryContext(ctx, `
		SELECT c.TABLE_NAME, c.COLUMN_NAME, c.DATA_TYPE, c.IS_NULLABLE = 'YES',
		       coalesce(c.CHARACTER_MAXIMUM_LENGTH, 0)
		FROM information_schema.COLUMNS c
		JOIN information_schema.TABLES t
		  ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
		WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'
		ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`)
	if err != nil {
		return nil, fmt.Errorf("introspect mysql columns: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var table string
		var maxLen int64
		col := &dialect.Column{}
		if err := rows.Scan(&table, &col.Name, &col.Type, &col.Nullable, &maxLen); err != nil {
			return nil, fmt.Errorf("introspect mysql columns: %w", err)
		}
		col.Type = strings.ToLower(col.Type)
		if strings.Contains(col.Type, "char") { // TEXT reports its byte capacity, not a limit anyone chose
			col.MaxLength = int(maxLen)
		}
		s.AddColumn(table, col)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("introspect mysql columns: %w", err)
	}
	if err := d.keys(ctx, s); err != nil {
		return nil, fmt.Errorf("introspect mysql keys: %w", err)
	}
	if err := d.indexes(ctx, s); err != nil {
		return nil, fmt.Errorf("introspect mysql indexes: %w", err)
	}
	return s.Finish(), nil
}

// indexes reads every index, the primary key's and those InnoDB creates
// for foreign keys included; a prefix or expression index serves no
// general lookup by its columns and is left out.
func (d *Dialect) indexes(ctx context.Context, s *dialect.Schema) error {
	for _, t := range s.Tables {
		t.Indexes = []dialect.Index{}
	}
	rows, err := d.db.QueryContext(ctx, `
		SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE = 0, coalesce(COLUMN_NAME, ''), SUB_PART IS NOT NULL
		FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = DATABASE()
		ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`)
	if err != nil {
		return err
	}
	defer rows.Close()
	type key struct{ table, index string }
	var order []key
	found := map[key]*dialect.Index{}
	skip := map[key]bool{}
	for rows.Next() {
		var k key
		var unique, prefix bool
		var column string
		if err := rows.Scan(&k.table, &k.index, &unique, &column, &prefix); err != nil {
			return err
		}
		if column == "" || prefix {
			skip[k] = true
		}
		ix := found[k]
		if ix == nil {
			ix = &dialect.Index{Name: k.index, Unique: unique}
			found[k] = ix
			order = append(order, k)
		}
		ix.Columns = append(ix.Columns, column)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, k := range order {
		if t := s.Named(k.table); t != nil && !skip[k] {
			t.Indexes = append(t.Indexes, *found[k])
		}
	}
	return nil
}

// keys reads primary and foreign keys, columns in constraint order.
func (d *Dialect) keys(ctx context.Context, s *dialect.Schema) error {
	rows, err := d.db.QueryContext(ctx, `
		SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME,
		       coalesce(k.REFERENCED_TABLE_NAME, ''), coalesce(k.REFERENCED_COLUMN_NAME, '')
		FROM information_schema.KEY_COLUMN_USAGE k
		JOIN information_schema.TABLE_CONSTRAINTS c
		  ON c.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND c.TABLE_NAME = k.TABLE_NAME
		 AND c.CONSTRAINT_NAME = k.CONSTRAINT_NAME
		WHERE k.TABLE_SCHEMA = DATABASE() AND c.CONSTRAINT_TYPE IN ('PRIMARY KEY', 'FOREIGN KEY')
		ORDER BY k.TABLE_NAME, c.CONSTRAINT_TYPE DESC, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`)
	if err != nil {
		return err
	}
	defer rows.Close()
	lastTable, lastConstraint := "", ""
	for rows.Next() {
		var table, constraint, column, ref, refColumn string
		if err := rows.Scan(&table, &constraint, &column, &ref, &refColumn); err != nil {
			return err
		}
		t := s.Named(table)
		if t == nil {
			continue
		}
		if constraint == "PRIMARY" {
			t.PrimaryKey = append(t.PrimaryKey, column)
			continue
		}
		if table != lastTable || constraint != lastConstraint {
			t.ForeignKeys = append(t.ForeignKeys, dialect.ForeignKey{RefTable: ref})
			lastTable, lastConstraint = table, constraint
		}
		fk := &t.ForeignKeys[len(t.ForeignKeys)-1]
		fk.Columns = append(fk.Columns, column)
		fk.RefColumns = append(fk.RefColumns, refColumn)
	}
	return rows.Err()
}
