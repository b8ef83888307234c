package engine

import (
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"testing"
	"time"

	"lethe/connect"
	"lethe/dialect/dialecttest"
	"lethe/ledger"
)

// Environment of the child process TestCrashChild runs in.
const (
	crashURL   = "LETHE_CRASH_URL"
	crashMode  = "LETHE_CRASH_MODE" // "between" or "inside"
	crashAfter = "LETHE_CRASH_AFTER"
	crashOnly  = "LETHE_CRASH_ONLY" // sweep this dataset only, in batches sized by time
	crashCode  = 3
)

// TestCrashChild is not a test of its own: TestCrash runs it in a child
// process, which sweeps and exits abruptly at a chosen batch.
func TestCrashChild(t *testing.T) {
	url := os.Getenv(crashURL)
	if url == "" {
		t.Skip("runs only as TestCrash's child process")
	}
	d, err := connect.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	e, err := specEngine(d, secret, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	after, _ := strconv.Atoi(os.Getenv(crashAfter))
	batches := 0
	exit := func() {
		batches++
		if batches == after {
			os.Exit(crashCode) // no deferred call, no rollback: as if killed
		}
	}
	opts := SweepOptions{At: runAt, Confirm: true, Batch: 1}
	if only := os.Getenv(crashOnly); only != "" {
		opts.Only, opts.Batch = only, 0
	}
	if os.Getenv(crashMode) == "inside" {
		opts.beforeCommit = exit
	} else {
		opts.afterBatch = exit
	}
	if _, err := e.Sweep(ctx, opts); err != nil {
		t.Fatal(err)
	}
	t.Fatalf("the sweep finished without reaching batch %d", after)
}

// TestCrash kills a sweep between batches and inside a batch, runs it
// again, and checks the database and the ledger's totals equal those of
// a run that was never interrupted.
func TestCrash(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		crashAndResume(t, h, (*fixture).populate, "", []crashPoint{{"between", 1}, {"between", 7}, {"inside", 1}, {"inside", 9}, {"inside", 14}})
	})
}

// TestCrashGroupPurge does the same where one DELETE per batch serves
// several tenants at once: the invitations of acme, globex and no tenant,
// whose five due rows go in batches 17 to 21 of the sweep.
func TestCrashGroupPurge(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		populate := func(f *fixture) {
			f.populate()
			f.exec(`INSERT INTO invitations (id, workspace_id, email, expires_at) VALUES
				(10, 'globex', 'g1@example.com', '2023-06-01 00:00:00'), (11, NULL, 'n1@example.com', '2023-07-01 00:00:00'),
				(12, 'acme', 'a3@example.com', '2023-08-01 00:00:00'), (13, 'globex', 'g2@example.com', '2023-09-01 00:00:00'),
				(14, NULL, 'n2@example.com', '2024-03-01 00:00:00')`)
		}
		crashAndResume(t, h, populate, "", []crashPoint{{"inside", 17}, {"between", 18}, {"inside", 19}, {"between", 20}, {"inside", 21}})
	})
}

// TestCrashClockWalk does the same where a purge walks a table by its
// clock (walkPurgeByClock, on PostgreSQL; a walk in stored order
// elsewhere): 3,000 invitations of two workspaces, the 2,000 due spread
// over 2023, swept in batches sized by time, at least three of them.
func TestCrashClockWalk(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		populate := func(f *fixture) {
			f.exec("CREATE INDEX invitations_workspace_expires ON invitations (workspace_id, expires_at)")
			f.addInvitationsAt(3000, func(i int) string {
				if i%3 != 0 {
					return time.Date(2023, 1, 1, 2*i, 0, 0, 0, time.UTC).Format("2006-01-02 15:04:05")
				}
				return "2024-03-20 00:00:00"
			})
			f.e = f.engine(secret) // sees the index
		}
		crashAndResume(t, h, populate, "invitations", []crashPoint{{"inside", 1}, {"between", 1}, {"inside", 2}, {"between", 2}})
	})
}

type crashPoint struct {
	mode  string
	after int
}

// crashAndResume crashes a sweep (of only that dataset, in batches sized
// by time, when only is set) at each point, and checks a re-run ends as
// a run never interrupted.
func crashAndResume(t *testing.T, h dialecttest.Harness, populate func(*fixture), only string, points []crashPoint) {
	opts := SweepOptions{Confirm: true, Batch: 1}
	if only != "" {
		opts.Only, opts.Batch = only, 0
	}
	clean := newFixture(t, h)
	populate(clean)
	clean.sweep(opts)
	wantRows := clean.dump()
	wantTotals := totals(t, clean)

	for _, tc := range points {
		f := newFixture(t, h)
		populate(f)
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashURL+"="+f.url, crashMode+"="+tc.mode, crashAfter+"="+strconv.Itoa(tc.after), crashOnly+"="+only)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != crashCode {
			t.Fatalf("%s %d: child = %v, want exit %d\n%s", tc.mode, tc.after, err, crashCode, out)
		}
		rep, err := f.e.Ledger().Verify(ctx)
		if err != nil || !rep.OK {
			t.Errorf("%s %d: verify after the crash = %+v, %v", tc.mode, tc.after, rep, err)
		}
		// The entries of the item in progress stay unsealed: one per
		// dataset (and tenant) it may touch, all of the crashed run.
		if len(rep.Unsealed) == 0 {
			t.Errorf("%s %d: no unsealed entry after the crash", tc.mode, tc.after)
		}
		for _, u := range rep.Unsealed {
			if u.RunID != rep.Unsealed[0].RunID {
				t.Errorf("%s %d: unsealed entries of two runs: %+v", tc.mode, tc.after, rep.Unsealed)
			}
		}
		f.sweep(opts)
		if got := f.dump(); !reflect.DeepEqual(got, wantRows) {
			t.Errorf("%s %d: rows after crash and re-run differ from an uninterrupted run:\n%v\nwant\n%v", tc.mode, tc.after, got, wantRows)
		}
		if got := totals(t, f); !reflect.DeepEqual(got, wantTotals) {
			t.Errorf("%s %d: ledger totals %v, want %v", tc.mode, tc.after, got, wantTotals)
		}
	}
}

// totals sums rows and held per tenant, dataset and reason over every
// ledger entry, sealed or not.
func totals(t *testing.T, f *fixture) map[string][2]int64 {
	t.Helper()
	entries, err := f.e.Ledger().List(ctx, ledger.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	out := summarize(entries)
	for k, v := range out {
		if v == [2]int64{} {
			delete(out, k)
		}
	}
	return out
}
