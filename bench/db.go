package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"

	"lethe/connect"
	"lethe/dialect"
	"lethe/sqlite"
)

// scratch is a fresh, empty schema (PostgreSQL), database (MariaDB) or
// file (SQLite) that one case fills and drops when it is done.
type scratch struct {
	dialect string
	url     string // what connect.Open and the child process open
	base    string // the server URL it was made from ("" for SQLite)
	name    string // schema or database name, or the SQLite directory
	d       dialect.Dialect
	drop    func() error
	// settlePages: checkpoint waits on MariaDB for dirty pages too. Not
	// in a quick run, which checks results, not speed, and shares its
	// server with tests that keep pages dirty.
	settlePages bool
}

func uniqueName() string {
	b := make([]byte, 5)
	rand.Read(b)
	return "lethe_bench_" + hex.EncodeToString(b)
}

// newScratch makes a fresh place in one dialect. base is the server URL
// (unused for SQLite).
func newScratch(ctx context.Context, dialectName, base string) (*scratch, error) {
	s := &scratch{dialect: dialectName, base: base, name: uniqueName()}
	switch dialectName {
	case "sqlite":
		dir, err := os.MkdirTemp("", s.name)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, "bench.db")
		d, err := sqlite.OpenFile(ctx, path)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		d.Close()
		s.url, s.name = "sqlite://"+path, dir
		s.drop = func() error { return os.RemoveAll(dir) }
	case "postgres":
		admin, err := connect.Open(ctx, base)
		if err != nil {
			return nil, err
		}
		if _, err := admin.DB().ExecContext(ctx, "CREATE SCHEMA "+s.name); err != nil {
			admin.Close()
			return nil, err
		}
		u, err := url.Parse(base)
		if err != nil {
			admin.Close()
			return nil, err
		}
		q := u.Query()
		q.Set("search_path", s.name)
		u.RawQuery = q.Encode()
		s.url = u.String()
		s.drop = func() error {
			defer admin.Close()
			_, err := admin.DB().ExecContext(context.Background(), "DROP SCHEMA "+s.name+" CASCADE")
			return err
		}
	case "mysql":
		admin, err := connect.Open(ctx, base)
		if err != nil {
			return nil, err
		}
		if _, err := admin.DB().ExecContext(ctx, "CREATE DATABASE "+s.name+" CHARACTER SET utf8mb4"); err != nil {
			admin.Close()
			return nil, err
		}
		cfg, err := mysql.ParseDSN(strings.TrimPrefix(base, "mysql://"))
		if err != nil {
			admin.Close()
			return nil, err
		}
		cfg.DBName = s.name
		s.url = "mysql://" + cfg.FormatDSN()
		s.drop = func() error {
			defer admin.Close()
			_, err := admin.DB().ExecContext(context.Background(), "DROP DATABASE "+s.name)
			return err
		}
	default:
		return nil, fmt.Errorf("unknown dialect %q: write sqlite, postgres or mysql", dialectName)
	}
	d, err := connect.Open(ctx, s.url)
	if err != nil {
		s.drop()
		return nil, err
	}
	s.d = d
	return s, nil
}

func (s *scratch) close() error {
	if s.d != nil {
		s.d.Close()
	}
	return s.drop()
}

func (s *scratch) exec(ctx context.Context, query string, args ...any) error {
	if _, err := s.d.DB().ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("%s: %w", abbrev(query), err)
	}
	return nil
}

func (s *scratch) count(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	if err := s.d.DB().QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("%s: %w", abbrev(query), err)
	}
	return n, nil
}

func abbrev(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 160 {
		q = q[:160] + "..."
	}
	return q
}

// sqlgen writes the few expressions the data generators need in each
// dialect's spelling, so every row is made inside the database.
type sqlgen struct{ name string }

// ts is the zone-less timestamp type applications use.
func (g sqlgen) ts() string {
	if g.name == "mysql" {
		return "DATETIME(6)"
	}
	return "TIMESTAMP"
}

// concat joins text expressions.
func (g sqlgen) concat(parts ...string) string {
	if g.name == "mysql" {
		return "CONCAT(" + strings.Join(parts, ", ") + ")"
	}
	return "(" + strings.Join(parts, " || ") + ")"
}

// hash is 32 hex digits that depend on expr (SQLite has no md5: a
// multiplicative hash spelled out in hex stands in).
func (g sqlgen) hash(expr string) string {
	switch g.name {
	case "postgres":
		return "md5((" + expr + ")::text)"
	case "mysql":
		return "md5(" + expr + ")"
	default:
		return "printf('%016x%016x', (" + expr + ") * 2654435761 % 9223372036854775807, (" + expr + ") * 40503 % 9223372036854775807)"
	}
}

// idiv is integer division.
func (g sqlgen) idiv(a, b string) string {
	if g.name == "mysql" {
		return "((" + a + ") DIV (" + b + "))"
	}
	return "((" + a + ") / (" + b + "))"
}

// text casts an integer expression to text.
func (g sqlgen) text(expr string) string {
	switch g.name {
	case "postgres":
		return "(" + expr + ")::text"
	case "mysql":
		return "CAST(" + expr + " AS CHAR)"
	default:
		return "CAST(" + expr + " AS TEXT)"
	}
}

// at is a timestamp secs seconds after 2020-01-01 00:00:00.
func (g sqlgen) at(secs string) string {
	switch g.name {
	case "postgres":
		return "(TIMESTAMP '2020-01-01 00:00:00' + (" + secs + ") * INTERVAL '1 second')"
	case "mysql":
		return "(TIMESTAMP '2020-01-01 00:00:00' + INTERVAL (" + secs + ") SECOND)"
	default:
		return "datetime('2020-01-01 00:00:00', '+' || (" + secs + ") || ' seconds')"
	}
}

// insertSeq fills table with one row per n in [from, to]: exprs are
// written in terms of the integer n.
func (g sqlgen) insertSeq(table string, cols, exprs []string, from, to int64) string {
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") "
	sel := "SELECT " + strings.Join(exprs, ", ")
	f, t := strconv.FormatInt(from, 10), strconv.FormatInt(to, 10)
	switch g.name {
	case "postgres":
		return head + sel + " FROM generate_series(" + f + "::bigint, " + t + "::bigint) AS s(n)"
	case "mysql":
		return head + sel + " FROM (SELECT seq AS n FROM seq_" + f + "_to_" + t + ") s"
	default:
		return "WITH RECURSIVE s(n) AS (SELECT " + f + " UNION ALL SELECT n + 1 FROM s WHERE n < " + t + ") " + head + sel + " FROM s"
	}
}

// fill runs insertSeq in chunks of rows, each its own statement, so no
// transaction grows with the data set.
func (s *scratch) fill(ctx context.Context, table string, cols, exprs []string, total int64) error {
	g := sqlgen{s.dialect}
	const step = 100000
	for from := int64(1); from <= total; from += step {
		to := min(from+step-1, total)
		if err := s.exec(ctx, g.insertSeq(table, cols, exprs, from, to)); err != nil {
			return err
		}
	}
	return nil
}

// copyTable makes an identical copy of src (rows and indexes) as dst: ddl
// and indexes are written with the table name as %s.
func (s *scratch) copyTable(ctx context.Context, ddl string, indexes []string, src, dst string) error {
	if err := s.exec(ctx, fmt.Sprintf(ddl, dst)); err != nil {
		return err
	}
	if err := s.exec(ctx, "INSERT INTO "+dst+" SELECT * FROM "+src); err != nil {
		return err
	}
	for _, ix := range indexes {
		if err := s.exec(ctx, strings.ReplaceAll(ix, "%s", dst)); err != nil {
			return err
		}
	}
	return nil
}

// analyze refreshes the planner's statistics, as a maintained database has
// them.
func (s *scratch) analyze(ctx context.Context, tables ...string) error {
	for _, t := range tables {
		var q string
		switch s.dialect {
		case "postgres":
			q = "VACUUM ANALYZE " + t
		case "mysql":
			q = "ANALYZE TABLE " + t
		default:
			q = "ANALYZE " + t
		}
		rows, err := s.d.DB().QueryContext(ctx, q)
		if err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		rows.Close()
	}
	return nil
}
