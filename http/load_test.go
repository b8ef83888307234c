package lethehttp_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lethe/dialect/dialecttest"
)

// TestLoad sends 10,000 mixed requests from 50 clients to a server on
// 127.0.0.1 and checks every answer is the one expected (refusals
// included). It reports latency percentiles and asserts none: timings
// depend on the machine. Set LETHE_LOAD_TEST=1 to run it.
func TestLoad(t *testing.T) {
	if os.Getenv("LETHE_LOAD_TEST") == "" {
		t.Skip("set LETHE_LOAD_TEST=1 to run the load test")
	}
	const total, clients = 10000, 50
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		e := newEnv(t, h, 200)
		e.client = &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
		// As lethe serve sets the pool (--db-max-conns 25).
		e.d.DB().SetMaxOpenConns(25)
		e.d.DB().SetMaxIdleConns(25)
		e.must(201, "POST", "/v1/requests", "acme-operator", map[string]any{"kind": "access", "subject": "contact:c_81", "requester": "x"}, nil)
		type call struct {
			method, path, token string
			body                any
			want                int
		}
		mix := []call{
			{"GET", "/v1/tenants/acme/settings", "acme-admin", nil, 200},
			{"GET", "/v1/tenants/acme/settings", "globex-admin", nil, 404},
			{"GET", "/v1/plan?only=identity_events", "acme-auditor", nil, 200},
			{"GET", "/v1/ledger?limit=50", "acme-auditor", nil, 200},
			{"GET", "/v1/requests", "acme-operator", nil, 200},
			{"GET", "/v1/holds", "globex-admin", nil, 200},
			{"POST", "/v1/suppressed", "acme-operator", map[string]any{"value": "someone@example.com"}, 200},
			{"POST", "/v1/erasures", "acme-operator", map[string]any{"subject": "contact:c_81", "dry_run": true}, 200},
			{"GET", "/v1/subjects/contact/c_81/export", "acme-operator", nil, 200},
			{"POST", "/v1/sweeps", "acme-operator", map[string]any{}, 403},
			{"GET", "/v1/ledger", "", nil, 401},
			{"GET", "/healthz", "", nil, 200},
		}
		var next atomic.Int64
		latencies := make([][]time.Duration, len(mix))
		var mu sync.Mutex
		var wrong atomic.Int64
		var wg sync.WaitGroup
		began := time.Now()
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= total {
						return
					}
					c := mix[i%int64(len(mix))]
					t0 := time.Now()
					resp := e.do(c.method, c.path, c.token, c.body)
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					took := time.Since(t0)
					if resp.StatusCode != c.want {
						if wrong.Add(1) <= 5 {
							t.Errorf("%s %s as %q: %d, want %d", c.method, c.path, c.token, resp.StatusCode, c.want)
						}
					}
					mu.Lock()
					latencies[i%int64(len(mix))] = append(latencies[i%int64(len(mix))], took)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		elapsed := time.Since(began)
		var all []time.Duration
		for i, l := range latencies {
			all = append(all, l...)
			p50, p99 := percentiles(l)
			t.Logf("%-6s %-40s %-14s p50 %8s  p99 %8s", mix[i].method, mix[i].path, mix[i].token, p50, p99)
		}
		p50, p99 := percentiles(all)
		t.Logf("%s: %d requests from %d clients in %s (%.0f/s): p50 %s, p99 %s, %d unexpected statuses",
			h.Name, len(all), clients, elapsed.Round(time.Millisecond), float64(len(all))/elapsed.Seconds(), p50, p99, wrong.Load())
		if len(all) != total {
			t.Errorf("%d requests made, want %d", len(all), total)
		}
		fmt.Fprintf(os.Stderr, "LOAD %s p50=%s p99=%s\n", h.Name, p50, p99)
	})
}

func percentiles(l []time.Duration) (p50, p99 time.Duration) {
	if len(l) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), l...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)*50/100].Round(10 * time.Microsecond), s[min(len(s)-1, len(s)*99/100)].Round(10 * time.Microsecond)
}
