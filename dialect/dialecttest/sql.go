package dialecttest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"lethe/dialect"
)

// Rebind rewrites a statement written with ? placeholders for d.
func Rebind(d dialect.Dialect, query string) string {
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString(d.Placeholder(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Exec runs a statement written with ? placeholders, failing the test on
// an error.
func Exec(t testing.TB, d dialect.Dialect, query string, args ...any) {
	t.Helper()
	if _, err := d.DB().ExecContext(context.Background(), Rebind(d, query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// Rows returns a query's rows as text, one string per row with its
// columns joined by "|" (see Text), so tests compare exact contents alike
// on every dialect.
func Rows(t testing.TB, d dialect.Dialect, query string, args ...any) []string {
	t.Helper()
	rs, err := d.DB().QueryContext(context.Background(), Rebind(d, query), args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out []string
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = Text(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Text formats a scanned value the same on every dialect: NULL for NULL,
// times (native, or text as SQLite stores them) as "2006-01-02 15:04:05"
// in UTC, booleans as 1 and 0.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return x.UTC().Format(time.DateTime)
	case []byte:
		return Text(string(x))
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999-07:00"} {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UTC().Format(time.DateTime)
			}
		}
		return x
	case bool:
		if x {
			return "1"
		}
		return "0"
	default:
		return fmt.Sprint(x)
	}
}
