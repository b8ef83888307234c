package engine

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"lethe/demo"
	"lethe/dialect/dialecttest"
)

// BenchmarkEraseLatency erases random users of the demo application, one
// at a time, and reports the p50/p95/p99 latency of one erasure across
// every dataset of examples/saas.yaml. LETHE_BENCH_USERS sets the scale
// (41000 users is about 1M rows in all); LETHE_BENCH_ERASURES the sample.
//
//	LETHE_BENCH_USERS=41000 go test -run XXX -bench EraseLatency -benchtime 1x -timeout 30m ./engine
func BenchmarkEraseLatency(b *testing.B) {
	users := envInt("LETHE_BENCH_USERS", 2000)
	samples := envInt("LETHE_BENCH_ERASURES", 200)
	for _, h := range dialecttest.Harnesses() {
		b.Run(h.Name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				f := newFixture(b, h)
				counts, err := demo.Populate(context.Background(), f.d, demo.Options{Rows: users, Seed: 7, Now: runAt})
				if err != nil {
					b.Fatal(err)
				}
				r := rand.New(rand.NewPCG(7, 7))
				ids := f.rows("SELECT id, workspace_id FROM users WHERE workspace_id IS NOT NULL")
				r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
				var lat []time.Duration
				b.StartTimer()
				for _, row := range ids[:min(samples, len(ids))] {
					id, tenant := splitRow(row)
					start := time.Now()
					if _, err := f.e.Erase(ctx, EraseRequest{Kind: "user", ID: id, Tenant: tenant, Actor: "bench", At: runAt}); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(start))
				}
				b.StopTimer()
				slices.Sort(lat)
				q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
				b.ReportMetric(float64(counts.Total()), "rows")
				b.ReportMetric(q(0.50), "p50-ms")
				b.ReportMetric(q(0.95), "p95-ms")
				b.ReportMetric(q(0.99), "p99-ms")
			}
		})
	}
}

func splitRow(row string) (id, tenant string) {
	for i := range row {
		if row[i] == '|' {
			return row[:i], row[i+1:]
		}
	}
	return row, ""
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
