// Package dialecttest is the conformance suite every dialect must pass, and
// the harness that gives a test a fresh, isolated database in each dialect:
// a temporary SQLite file always, a new PostgreSQL schema when
// LETHE_TEST_POSTGRES holds a URL, a new MariaDB/MySQL database when
// LETHE_TEST_MYSQL does. Each test gets its own schema or database, so
// tests run in parallel and leave nothing behind.
package dialecttest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"lethe/dialect"
	lethemysql "lethe/mysql"
	"lethe/postgres"
	"lethe/sqlite"
)

// Environment variables naming the servers integration tests use.
const (
	PostgresEnv = "LETHE_TEST_POSTGRES" // e.g. postgres://postgres@127.0.0.1:5432/test
	MySQLEnv    = "LETHE_TEST_MYSQL"    // e.g. mysql://root@tcp(127.0.0.1:3306)/test
)

// Harness opens fresh databases of one dialect.
type Harness struct {
	Name string
	// Open returns a dialect connected to a new, empty schema or database,
	// dropped when the test ends.
	Open func(t testing.TB) dialect.Dialect
	// URL returns a database URL for a new, empty schema or database, for
	// tests that go through connect.Open or the CLI.
	URL func(t testing.TB) string
	// Timestamp is the column type applications use for a zone-less
	// timestamp in this database.
	Timestamp string
}

// Harnesses returns SQLite always, and PostgreSQL and MySQL when their
// environment variables are set.
func Harnesses() []Harness {
	hs := []Harness{sqliteHarness()}
	if u := os.Getenv(PostgresEnv); u != "" {
		hs = append(hs, postgresHarness(u))
	}
	if u := os.Getenv(MySQLEnv); u != "" {
		hs = append(hs, mysqlHarness(u))
	}
	return hs
}

// ForEach runs fn as a parallel subtest per available dialect. Dialects
// whose variable is unset are reported as skipped.
func ForEach(t *testing.T, fn func(t *testing.T, h Harness)) {
	t.Helper()
	hs := Harnesses()
	for _, name := range []string{"postgres", "mysql"} {
		found := false
		for _, h := range hs {
			found = found || h.Name == name
		}
		if !found {
			t.Run(name, func(t *testing.T) {
				t.Skipf("set %s to run against %s", map[string]string{"postgres": PostgresEnv, "mysql": MySQLEnv}[name], name)
			})
		}
	}
	for _, h := range hs {
		t.Run(h.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, h)
		})
	}
}

func uniqueName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "lethe_test_" + hex.EncodeToString(b)
}

func sqliteHarness() Harness {
	h := Harness{Name: "sqlite", Timestamp: "TIMESTAMP"}
	h.URL = func(t testing.TB) string {
		path := t.TempDir() + "/test.db"
		d, err := sqlite.OpenFile(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		return "sqlite://" + path
	}
	h.Open = func(t testing.TB) dialect.Dialect {
		d, err := sqlite.Open(context.Background(), h.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	return h
}

func postgresHarness(base string) Harness {
	h := Harness{Name: "postgres", Timestamp: "TIMESTAMP"}
	h.URL = func(t testing.TB) string {
		admin, err := postgres.Open(context.Background(), base)
		if err != nil {
			t.Fatalf("%s: %v", PostgresEnv, err)
		}
		schema := uniqueName()
		mustExec(t, admin.DB(), "CREATE SCHEMA "+schema)
		t.Cleanup(func() {
			mustExec(t, admin.DB(), "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
		})
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	h.Open = func(t testing.TB) dialect.Dialect {
		d, err := postgres.Open(context.Background(), h.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	return h
}

func mysqlHarness(base string) Harness {
	h := Harness{Name: "mysql", Timestamp: "DATETIME(6)"}
	h.URL = func(t testing.TB) string {
		admin, err := lethemysql.Open(context.Background(), base)
		if err != nil {
			t.Fatalf("%s: %v", MySQLEnv, err)
		}
		name := uniqueName()
		mustExec(t, admin.DB(), "CREATE DATABASE "+name+" CHARACTER SET utf8mb4")
		t.Cleanup(func() {
			mustExec(t, admin.DB(), "DROP DATABASE "+name)
			admin.Close()
		})
		cfg, err := mysql.ParseDSN(strings.TrimPrefix(base, "mysql://"))
		if err != nil {
			t.Fatal(err)
		}
		cfg.DBName = name
		return "mysql://" + cfg.FormatDSN()
	}
	h.Open = func(t testing.TB) dialect.Dialect {
		d, err := lethemysql.Open(context.Background(), h.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	return h
}

func mustExec(t testing.TB, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
