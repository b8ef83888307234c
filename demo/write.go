package demo

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"lethe/dialect"
)

const (
	// maxParams keeps one statement's bind parameters under every
	// database's limit (SQLite's is 32766, PostgreSQL's and MySQL's 65535).
	maxParams = 30000
	// maxStmtRows bounds the rows of one INSERT, so statements stay of a
	// size every server parses quickly.
	maxStmtRows = 500
	// txRows is how many rows one transaction writes before it commits:
	// enough to make SQLite fast, few enough to hold no lock for long.
	txRows = 10000
)

// sqliteTime is how SQLite applications store a timestamp: UTC text that
// SQLite's date functions, and Lethe's SQLite dialect, read.
const sqliteTime = "2006-01-02 15:04:05"

// table is the rows of one table, in the order they are inserted. Values
// are Go values; times are converted for the dialect when written.
type table struct {
	name string
	cols []string
	rows [][]any
}

func (t *table) add(vals ...any) {
	if len(vals) != len(t.cols) {
		panic(fmt.Sprintf("demo: %s: %d values for %d columns", t.name, len(vals), len(t.cols)))
	}
	t.rows = append(t.rows, vals)
}

// insert writes the rows with multi-row INSERT statements, every value
// bound as a parameter, a transaction per txRows rows.
func insert(ctx context.Context, d dialect.Dialect, t *table) error {
	perStmt := min(maxStmtRows, maxParams/len(t.cols))
	for start := 0; start < len(t.rows); start += txRows {
		chunk := t.rows[start:min(start+txRows, len(t.rows))]
		if err := inTx(ctx, d.DB(), func(tx *sql.Tx) error {
			for i := 0; i < len(chunk); i += perStmt {
				rows := chunk[i:min(i+perStmt, len(chunk))]
				if _, err := tx.ExecContext(ctx, insertSQL(d, t, len(rows)), args(d, rows)...); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("demo: insert into %s: %w", t.name, err)
		}
	}
	return nil
}

func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// insertSQL builds INSERT INTO t (c1, c2) VALUES (p1, p2), (p3, p4), ...
// for n rows, the placeholders numbered in order.
func insertSQL(d dialect.Dialect, t *table, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + d.Quote(t.name) + " (")
	for i, c := range t.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.Quote(c))
	}
	b.WriteString(") VALUES ")
	p := 0
	for r := range n {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range t.cols {
			if c > 0 {
				b.WriteString(", ")
			}
			p++
			b.WriteString(d.Placeholder(p))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// args flattens rows into bind parameters. Times go in UTC: as time.Time
// where the column has a time type, as text on SQLite, where applications
// store them so. The zero time is NULL.
func args(d dialect.Dialect, rows [][]any) []any {
	out := make([]any, 0, len(rows)*len(rows[0]))
	for _, row := range rows {
		for _, v := range row {
			if t, ok := v.(time.Time); ok {
				v = nil
				if !t.IsZero() {
					v = bindTime(d, t)
				}
			}
			out = append(out, v)
		}
	}
	return out
}

func bindTime(d dialect.Dialect, t time.Time) any {
	if d.Name() == "sqlite" {
		return t.UTC().Format(sqliteTime)
	}
	return t.UTC()
}
