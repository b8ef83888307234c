package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
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
	// largest offset SQLite reads, is still before it.
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

// TestClockBeforeAsStrftime: ClockBefore compares Julian days, where it
// once compared what strftime('%Y-%m-%d %H:%M:%f') writes (four times the
// work a row). Both read the value through SQLite's own date parser and
// hold it to the millisecond, so every value must be due under exactly
// the same cutoffs as before: the odd shapes below, and 20,000 values
// written in random shapes around the cutoffs.
func TestClockBeforeAsStrftime(t *testing.T) {
	ctx := context.Background()
	d, err := OpenFile(ctx, t.TempDir()+"/clocks.db")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.DB().Exec(`CREATE TABLE c (id INTEGER PRIMARY KEY, at, at_ts TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}
	values := []any{
		"2024-02-29 23:59:59", "2024-02-29 23:59:59.999", "2024-02-29 23:59:59.9994", "2024-02-29 23:59:59.9995",
		"2024-02-29 23:59:59.99949999", "2024-03-01 00:00:00", "2024-03-01 00:00:00.0004", "2024-03-01 00:00:00.0005",
		"2024-03-01", "2024-02-29", "2024-03-01T00:00:00Z", "2024-03-01t00:00:00z", "2024-03-01T05:30:00+05:30",
		"2024-02-29T23:59:59.999-00:00", "2024-03-01 00:00:59.999+00:01", "2024-02-30 00:00:00", "2024-02-31",
		"2024-13-01", "2024-00-10", "2024-03-01 24:00:00", "2024-02-29 24:00:00", "2024-02-29 23:60:00",
		"2024-02-29 23:59:60", " 2024-02-29", "2024-02-29 ", "2024-02-29x", "garbage", "", "2460369.5", "2460370.5",
		2460369.5, 2460370.49999999, int64(2460370), int64(1709251200), "1709251200", nil, "0000-01-01 00:00:00",
		"9999-12-31 23:59:59.999", "2024-02-29 23:59", "23:59:59", "2024-02-29T23:59:59.123456789", "now",
		[]byte("2024-02-29 12:00:00"), "2024-03-01 00:00:00.000000001", "2024-02-29 23:59:59.999999999",
		"+2024-02-29", "-2024-02-29", "2024-2-29", "02024-02-29",
	}
	rnd := rand.New(rand.NewPCG(7, 7))
	for range 20000 {
		at := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rnd.Int64N(int64(4*time.Second))) - 2*time.Second)
		if rnd.IntN(4) == 0 {
			at = at.Add(time.Duration(rnd.Int64N(int64(72*time.Hour))) - 36*time.Hour)
		}
		zone := []string{"", "Z", "+01:00", "-14:59", "+00:00"}[rnd.IntN(5)]
		if zone != "" && zone != "Z" {
			var h, m int
			fmt.Sscanf(zone[1:], "%d:%d", &h, &m)
			off := h*3600 + m*60
			if zone[0] == '-' {
				off = -off
			}
			at = at.In(time.FixedZone("", off))
		}
		layout := "2006-01-02" + []string{" ", "T"}[rnd.IntN(2)] + "15:04:05" + []string{"", ".0", ".000", ".000000", ".000000000", ".9999"}[rnd.IntN(6)]
		v := at.Format(layout)
		if layout[len(layout)-4:] == "9999" { // four digits, not a layout
			v = at.Format(layout[:len(layout)-5]) + fmt.Sprintf(".%04d", rnd.IntN(10000))
		}
		values = append(values, v+zone)
	}
	for i, v := range values {
		if _, err := d.DB().Exec(`INSERT INTO c (id, at, at_ts) VALUES (?, ?, ?)`, i+1, v, v); err != nil {
			t.Fatal(err)
		}
	}
	cutoffs := []time.Time{
		time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 999000000, time.UTC),
		time.Date(2024, 3, 1, 0, 0, 0, 1000000, time.UTC),
		time.Date(2024, 3, 1, 0, 0, 0, 999999, time.UTC), // below a millisecond: the cutoff's text drops it
		time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for _, cut := range cutoffs {
		for _, col := range []string{"at", "at_ts"} {
			arg := d.ClockArg(lethe.ClockNative, cut, time.UTC)
			var differ, due int
			err := d.DB().QueryRow(`SELECT
				SUM(CASE WHEN (CASE WHEN strftime('%Y-%m-%d %H:%M:%f', `+col+`) < ?1 THEN 1 ELSE 0 END)
				          <> (CASE WHEN `+d.ClockBefore(col, lethe.ClockNative, "?1")+` THEN 1 ELSE 0 END) THEN 1 ELSE 0 END),
				SUM(CASE WHEN `+d.ClockBefore(col, lethe.ClockNative, "?1")+` THEN 1 ELSE 0 END)
				FROM c`, arg).Scan(&differ, &due)
			if err != nil {
				t.Fatal(err)
			}
			if differ != 0 {
				rows, _ := d.DB().Query(`SELECT `+col+`, strftime('%Y-%m-%d %H:%M:%f', `+col+`) FROM c WHERE (CASE WHEN strftime('%Y-%m-%d %H:%M:%f', `+col+`) < ?1 THEN 1 ELSE 0 END)
				          <> (CASE WHEN `+d.ClockBefore(col, lethe.ClockNative, "?1")+` THEN 1 ELSE 0 END) LIMIT 5`, arg)
				for rows.Next() {
					var v, s any
					rows.Scan(&v, &s)
					t.Logf("%v reads as %v", v, s)
				}
				rows.Close()
				t.Errorf("cutoff %v, column %s: %d values compare otherwise than through strftime", arg, col, differ)
			}
			if due == 0 || due == len(values) {
				t.Errorf("cutoff %v, column %s: %d of %d due, want some", arg, col, due, len(values))
			}
		}
	}
}
