package engine

import (
	"fmt"
	"testing"
	"time"

	"lethe/dialect/dialecttest"
)

// BenchmarkSweepRetention measures a retention sweep over 100k identity
// events, half of them due, per dialect, and reports rows/s.
//
//	go test -run XXX -bench SweepRetention -benchtime 1x ./engine
func BenchmarkSweepRetention(b *testing.B) {
	const total = 100000
	for _, h := range dialecttest.Harnesses() {
		b.Run(h.Name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				f := newFixture(b, h)
				f.exec(`INSERT INTO contacts (id, workspace_id, created_at) VALUES ('c_1', 'acme', '2020-01-01 00:00:00')`)
				fillEvents(b, f, total)
				b.StartTimer()
				start := time.Now()
				res := f.sweep(SweepOptions{Confirm: true, Only: "identity_events"})
				elapsed := time.Since(start)
				b.StopTimer()
				var rows int64
				for _, e := range res.Entries {
					rows += e.Rows
				}
				if rows != total/2 {
					b.Fatalf("swept %d rows, want %d", rows, total/2)
				}
				b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
			}
		})
	}
}

// fillEvents inserts n identity events of tenant acme, every other one
// older than the 24-month retention at runAt.
func fillEvents(b testing.TB, f *fixture, n int) {
	tx, err := f.d.DB().Begin()
	if err != nil {
		b.Fatal(err)
	}
	const per = 500
	for start := 0; start < n; start += per {
		q := "INSERT INTO identity_events (id, workspace_id, contact_id, kind, created_at) VALUES "
		var args []any
		for i := start; i < start+per && i < n; i++ {
			if i > start {
				q += ", "
			}
			k := len(args)
			q += fmt.Sprintf("(%s, %s, %s, %s, %s)", f.d.Placeholder(k+1), f.d.Placeholder(k+2), f.d.Placeholder(k+3), f.d.Placeholder(k+4), f.d.Placeholder(k+5))
			created := "2024-01-01 00:00:00"
			if i%2 == 0 {
				created = "2021-01-01 00:00:00"
			}
			args = append(args, i+1, "acme", "c_1", "login", created)
		}
		if _, err := tx.Exec(q, args...); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
