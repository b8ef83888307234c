package engine

import (
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"lethe/dialect/dialecttest"
)

// TestWalkersPurgeExactly: a purge of most of a table walks it, two
// stretches at a time (one on SQLite), batches growing from their first
// size; the rows left and each tenant's ledger entry are exact, and a
// second sweep finds nothing.
func TestWalkersPurgeExactly(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		// 6,000 invitations of four workspaces (and none); two in three
		// expired long before the cutoff (2024-01-02), the others after.
		const n = 6000
		tenants := []any{"w0", "w1", "w2", "w3", nil}
		rows := f.invitations()
		for i := 1; i <= n; i++ {
			if i%3 != 0 {
				rows.add(i, tenants[i%len(tenants)], "2023-06-01 00:00:00", true)
			} else {
				rows.add(i, tenants[i%len(tenants)], "2024-03-20 00:00:00", false)
			}
		}
		rows.insert()
		want, kept := rows.due, rows.kept
		var batches int
		res := f.sweep(SweepOptions{Confirm: true, Only: "invitations", OnBatch: func(int64, time.Duration) { batches++ }})
		if got := purgedInvitations(res); !reflect.DeepEqual(got, want) {
			t.Errorf("ledger = %v, want %v", got, want)
		}
		if left := f.rows("SELECT COUNT(*), SUM(CASE WHEN expires_at < '2024-01-01' THEN 1 ELSE 0 END) FROM invitations"); !reflect.DeepEqual(left, []string{fmt.Sprintf("%d|0", kept)}) {
			t.Errorf("left: %v, want %d rows, none due", left, kept)
		}
		if batches < 3 {
			t.Errorf("%d batches, want the walk to take several", batches)
		}
		f.sweepFindsNothing("invitations")
	})
}

// TestWalkEndsAfterPlannedRows: when the due rows lie at the start of the
// key order, a walk by key stops once it has deleted what the plan counted
// and no due row lies further on, without reading the rest of the table;
// a due row far on keeps it going to that row.
func TestWalkEndsAfterPlannedRows(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		for _, straggler := range []bool{false, true} {
			t.Run(fmt.Sprintf("straggler=%v", straggler), func(t *testing.T) {
				f := newFixture(t, h)
				// 1,000 invitations of two workspaces: the first 400 expired
				// long ago, the rest expire after the cutoff; with a
				// straggler, key 950 expired long ago too.
				f.addInvitations(1000, func(i int) bool { return i <= 400 || straggler && i == 950 })
				var batches []int64
				res := f.sweep(SweepOptions{Confirm: true, Batch: 100, Walkers: 1, Only: "invitations", OnBatch: func(n int64, _ time.Duration) {
					batches = append(batches, n)
				}})
				var deleted int64
				for _, e := range res.Entries {
					if e.Dataset == "invitations" {
						deleted += e.Rows
					}
				}
				want := []int64{100, 100, 100, 100} // keys 1-100, ..., 301-400, then nothing due beyond
				wantDeleted := int64(400)
				if straggler {
					// The plan counted 401 rows: the walk goes on until it has
					// them all, through the stretches between.
					want = []int64{100, 100, 100, 100, 0, 0, 0, 0, 0, 1}
					wantDeleted = 401
				}
				if !reflect.DeepEqual(batches, want) {
					t.Errorf("batches = %v, want %v", batches, want)
				}
				if deleted != wantDeleted {
					t.Errorf("ledger: %d rows deleted, want %d", deleted, wantDeleted)
				}
				if left := f.rows("SELECT COUNT(*) FROM invitations WHERE expires_at < '2024-01-01'"); !reflect.DeepEqual(left, []string{"0"}) {
					t.Errorf("due rows left: %v", left)
				}
			})
		}
	})
}

// TestAdaptiveWalkEndsAfterPlannedRows: a walk with batches sized by time
// (by pages on PostgreSQL, which cannot look further on through its
// indexes) ends with the batch that deletes the last row the plan
// counted, instead of reading the rest of the table for nothing.
func TestAdaptiveWalkEndsAfterPlannedRows(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		// 20,000 invitations, the first 8,000 expired long ago.
		f.addInvitations(20000, func(i int) bool { return i <= 8000 })
		if h.Name == "postgres" {
			f.exec("ANALYZE invitations")
		}
		var batches []int64
		res := f.sweep(SweepOptions{Confirm: true, Walkers: 1, Only: "invitations", OnBatch: func(n int64, _ time.Duration) {
			batches = append(batches, n)
		}})
		var deleted, sum int64
		for _, e := range res.Entries {
			if e.Dataset == "invitations" {
				deleted += e.Rows
			}
		}
		for _, n := range batches {
			sum += n
		}
		if deleted != 8000 || sum != 8000 {
			t.Errorf("ledger: %d rows deleted, batches %d; want 8000", deleted, sum)
		}
		if len(batches) == 0 || batches[len(batches)-1] == 0 {
			t.Errorf("batches = %v: the walk went on past the last due row", batches)
		}
		if left := f.rows("SELECT COUNT(*) FROM invitations WHERE expires_at < '2024-01-01'"); !reflect.DeepEqual(left, []string{"0"}) {
			t.Errorf("due rows left: %v", left)
		}
	})
}

// TestDeactivateBindsInChunks: a deactivation batch may hold more keys
// than one statement binds (a batch grown by time, or a stretch of
// pages on PostgreSQL); its UPDATE goes in chunks.
func TestDeactivateBindsInChunks(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		f.populate()
		var it *item
		for _, i := range f.e.items() {
			if i.stage == stageDeactivate {
				it = i
			}
		}
		if it == nil {
			t.Fatal("the spec policy has no deactivation")
		}
		// 70,000 keys: more than SQLite (32,766) or PostgreSQL and MySQL
		// (65,535) bind in one statement; 1 and 2 exist.
		keys := make([]any, 70000)
		for i := range keys {
			keys[i] = int64(i + 1)
		}
		err := f.e.inTx(ctx, func(tx *sql.Tx) error {
			c, err := f.e.process(ctx, tx, it, "acme", keys, runAt, nil)
			if err == nil && c[it.node.name] == 0 {
				err = fmt.Errorf("no row deactivated")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestDeactivationWalks: a deactivation of most of a table, on a clock of
// two columns (last sign-in, else creation), walks it over all tenants
// and ends exactly as the sweep tenant after tenant through the index.
func TestDeactivationWalks(t *testing.T) {
	const policyText = `version: 1
tenant_column: tenant_id
subjects:
  account:
    table: accounts
    key: id
    fields: {email: email}
    lifecycle:
      deactivate:
        after: 90 days
        since: [last_login_at, created_at]
        set: {active: false}
        stamp: deactivated_at
`
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		var dumps [][]string
		for _, noWalks := range []bool{false, true} {
			d := h.Open(t)
			dialecttest.Exec(t, d, `CREATE TABLE accounts (id BIGINT NOT NULL PRIMARY KEY, tenant_id VARCHAR(20), email VARCHAR(100), active BOOLEAN NOT NULL,
				last_login_at `+h.Timestamp+`, created_at `+h.Timestamp+` NOT NULL, deactivated_at `+h.Timestamp+`)`)
			dialecttest.Exec(t, d, `CREATE INDEX accounts_tenant_login ON accounts (tenant_id, last_login_at)`)
			// 300 accounts of three tenants: those with n%4 = 0 signed in
			// lately, n%4 = 1 never signed in and were created lately; the
			// others are inactive: 150, 50 of each tenant.
			var values []string
			var args []any
			for i := 1; i <= 300; i++ {
				var login any = "2023-06-01 00:00:00"
				created := "2023-01-01 00:00:00"
				switch i % 4 {
				case 0:
					login = "2024-03-20 00:00:00"
				case 1:
					login, created = nil, "2024-03-10 00:00:00"
				}
				values = append(values, "(?, ?, ?, ?, ?, ?)")
				args = append(args, i, fmt.Sprintf("t%d", i%3), fmt.Sprintf("a%d@example.com", i), true, login, created)
			}
			dialecttest.Exec(t, d, "INSERT INTO accounts (id, tenant_id, email, active, last_login_at, created_at) VALUES "+strings.Join(values, ", "), args...)
			e := policyEngine(t, d, "deactivate.yaml", policyText)
			res, err := e.Sweep(ctx, SweepOptions{At: runAt, Confirm: true, Batch: 20, noWalks: noWalks})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := perTenant(res), []string{"t0 account 50", "t1 account 50", "t2 account 50"}; !reflect.DeepEqual(got, want) {
				t.Errorf("walks %v: ledger rows = %v, want %v", !noWalks, got, want)
			}
			dump := dialecttest.Rows(t, d, "SELECT id, CASE WHEN active THEN 1 ELSE 0 END, deactivated_at FROM accounts ORDER BY id")
			var inactive int
			for _, r := range dump {
				if strings.Contains(r, "|0|") {
					inactive++
				}
			}
			if inactive != 150 {
				t.Errorf("walks %v: %d accounts deactivated, want 150", !noWalks, inactive)
			}
			dumps = append(dumps, dump)
		}
		if !reflect.DeepEqual(dumps[0], dumps[1]) {
			t.Errorf("the walk ends differently from the sweep tenant after tenant")
		}
	})
}

// addInvitations adds invitations 1 to n of workspaces w0 and w1 (odd
// keys w1), those expired says expired long before the cutoff, the others
// after it.
func (f *fixture) addInvitations(n int, expired func(i int) bool) {
	f.t.Helper()
	f.addInvitationsAt(n, func(i int) string {
		if expired(i) {
			return "2023-06-01 00:00:00"
		}
		return "2024-03-20 00:00:00"
	})
}

// addInvitationsAt adds invitations 1 to n of workspaces w0 and w1 (odd
// keys w1), invitation i expiring at expires(i).
func (f *fixture) addInvitationsAt(n int, expires func(i int) string) {
	f.t.Helper()
	rows := f.invitations()
	for i := 1; i <= n; i++ {
		rows.add(i, []string{"w0", "w1"}[i%2], expires(i), false)
	}
	rows.insert()
}

// invitationRows collects rows for the invitations table, and what a
// purge of them should leave: each tenant's due rows and the rows kept.
type invitationRows struct {
	f    *fixture
	rows [][]any          // id, workspace, email, expires
	due  map[string]int64 // by tenant, "" for none
	kept int64
}

func (f *fixture) invitations() *invitationRows {
	return &invitationRows{f: f, due: map[string]int64{}}
}

// add adds invitation id of tenant (nil for none), due or kept by a purge.
func (r *invitationRows) add(id int, tenant any, expires string, due bool) {
	if due {
		name, _ := tenant.(string)
		r.due[name]++
	} else {
		r.kept++
	}
	r.rows = append(r.rows, []any{id, tenant, fmt.Sprintf("i%d@example.com", id), expires})
}

// insert inserts the rows added, 500 a statement.
func (r *invitationRows) insert() {
	r.f.t.Helper()
	for start := 0; start < len(r.rows); start += 500 {
		part := r.rows[start:min(start+500, len(r.rows))]
		values := make([]string, len(part))
		var args []any
		for i, row := range part {
			values[i] = "(?, ?, ?, ?)"
			args = append(args, row...)
		}
		r.f.exec("INSERT INTO invitations (id, workspace_id, email, expires_at) VALUES "+strings.Join(values, ", "), args...)
	}
}

// purgedInvitations sums the rows of the sweep's invitations entries by
// tenant.
func purgedInvitations(res *SweepResult) map[string]int64 {
	got := map[string]int64{}
	for _, e := range res.Entries {
		if e.Dataset == "invitations" {
			got[e.Tenant] += e.Rows
		}
	}
	return got
}

// sweepFindsNothing sweeps dataset only again and checks nothing was
// left for it.
func (f *fixture) sweepFindsNothing(dataset string) {
	f.t.Helper()
	again := f.sweep(SweepOptions{Confirm: true, Only: dataset})
	for _, e := range again.Entries {
		if e.Rows != 0 {
			f.t.Errorf("second sweep: %+v", e)
		}
	}
}
