package sqlite

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"lethe"
	"lethe/dialect"
)

// SQLite applications store clocks as text in many shapes, or as Go's
// driver writes a time.Time; every shape must compare exactly.
func TestTextClocks(t *testing.T) {
	ctx := context.Background()
	d, err := OpenFile(ctx, t.TempDir()+"/clocks.db")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.DB().Exec(`CREATE TABLE c (id INTEGER PRIMARY KEY, at TEXT)`); err != nil {
		t.Fatal(err)
	}
	values := []any{
		"2024-02-29 23:59:59",                         // 1 due
		"2024-03-01 00:00:00",                         // 2 at the cutoff
		"2024-02-29T23:59:59Z",                        // 3 due
		"2024-03-01T00:00:00Z",                        // 4 at the cutoff
		"2024-02-29 23:59:59.999",                     // 5 due
		"2024-03-01T00:59:59+01:00",                   // 6 23:59:59 UTC: due
		"2024-03-01T01:00:00+01:00",                   // 7 the cutoff in UTC
		"2024-02-29",                                  // 8 midnight: due
		"not a date",                                  // 9 never due
		time.Date(2024, 2, 29, 23, 0, 0, 0, time.UTC), // 10 due, as the driver writes it
		time.Date(2024, 3, 1, 1, 0, 0, 0, time.FixedZone("CET", 3600)), // 11 the cutoff
		time.Date(2024, 2, 29, 23, 59, 59, 999000000, time.UTC),        // 12 due
		time.Date(2024, 3, 1, 0, 0, 0, 1000000, time.UTC),              // 13 a millisecond after
		"2024-02-29 23:59:59.999999",                                   // 14 due
		"2024-03-01 14:58:59+14:59",                                    // 15 23:59:59 UTC: due
		"2024-03-02 14:00:00+14:59",                                    // 16 03-01 23:01 UTC
		"2460369.5",                                                    // 17 a Julian day, 02-29: due
		"2460400.5",                                                    // 18 a Julian day, 03-31
		"2024-05-01 00:00:00",                                          // 19 long after
	}
	for i, v := range values {
		if _, err := d.DB().Exec(`INSERT INTO c (id, at) VALUES (?, ?)`, i+1, v); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := dialect.SelectDueKeys(ctx, d, d.DB(), dialect.Due{
		Table: "c", Key: "id", Limit: 100,
		Clock:  lethe.Clock{Columns: []lethe.ClockColumn{{Name: "at"}}},
		Cutoff: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(keys)
	if want := fmt.Sprint([]any{int64(1), int64(3), int64(5), int64(6), int64(8), int64(10), int64(12), int64(14), int64(15), int64(17)}); got != want {
		t.Errorf("due = %s, want %s", got, want)
	}
	// A cutoff late in the day: a value dated the next day, with the
	// largest offset SQLite reads, is still before it (ClockPretest must
	// not pass it over).
	keys, err = dialect.SelectDueKeys(ctx, d, d.DB(), dialect.Due{
		Table: "c", Key: "id", Limit: 100,
		Clock:  lethe.Clock{Columns: []lethe.ClockColumn{{Name: "at"}}},
		Cutoff: time.Date(2024, 3, 1, 23, 2, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	got = fmt.Sprint(keys)
	if want := fmt.Sprint([]any{int64(1), int64(2), int64(3), int64(4), int64(5), int64(6), int64(7), int64(8), int64(10), int64(11), int64(12), int64(13), int64(14), int64(15), int64(16), int64(17)}); got != want {
		t.Errorf("due before 23:02 = %s, want %s", got, want)
	}
}

func TestOpenURL(t *testing.T) {
	ctx := context.Background()
	for _, bad := range []string{"sqlite://", "postgres://x", "app.db", "sqlite://" + t.TempDir() + "/missing.db"} {
		if _, err := Open(ctx, bad); lethe.ErrorCode(err) != lethe.EINVALID {
			t.Errorf("Open(%q) = %v, want an invalid-input error", bad, err)
		}
	}
	path := t.TempDir() + "/x.db"
	created, err := OpenFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	created.Close()
	d, err := Open(ctx, "sqlite://"+path+"?cache=shared")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var mode string
	if err := d.DB().QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v", mode, err)
	}
	var fk int
	if err := d.DB().QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v", fk, err)
	}
	if !reflect.DeepEqual(d.Quote(`a"b`), `"a""b"`) {
		t.Errorf("Quote = %s", d.Quote(`a"b`))
	}
}
