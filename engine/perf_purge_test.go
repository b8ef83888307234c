package engine

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"lethe"
	"lethe/dialect"
	"lethe/dialect/dialecttest"
	"lethe/ledger"
)

// TestSweepPurgesTenantsTogether: a plain retention rule run for every
// tenant deletes the rows of the tenants on the default period together,
// one DELETE a batch, while a tenant with an override and a tenant on
// hold keep their own runs; rows left and the ledger are exact either way.
func TestSweepPurgesTenantsTogether(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		for _, batch := range []int{3, 0} {
			t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) {
				f := newFixture(t, h)
				// invitations: keep 90 days since expires_at, so at runAt
				// (2024-04-01) rows that expired before 2024-01-02 are due.
				// The override of 30 days makes "ovr"'s rows before
				// 2024-03-02 due.
				id := 0
				add := func(tenant any, expires ...string) {
					for _, at := range expires {
						id++
						f.exec("INSERT INTO invitations (id, workspace_id, email, expires_at) VALUES (?, ?, ?, ?)", id, tenant, fmt.Sprintf("i%d@example.com", id), at)
					}
				}
				old, recent, fresh := "2023-06-01 00:00:00", "2024-02-15 00:00:00", "2024-03-20 00:00:00"
				add("a", old, old, old, recent)
				add("b", old, fresh, old)
				add("c", recent, fresh) // nothing due
				add(nil, old, recent)   // the tenant ""
				add("ovr", old, recent, fresh)
				add("held", old, old, fresh)
				add("a", "2024-01-01 23:59:59", "2024-01-02 00:00:00") // at the cutoff: only the first is due
				if err := f.e.SetSetting(ctx, "ovr", "invitations.retention", mustPeriod(t, "30 days"), "test", runAt); err != nil {
					t.Fatal(err)
				}
				f.hold("held", "", "")

				var batches []int64 // rows of each batch that deleted any
				var deleted int64
				res := f.sweep(SweepOptions{Confirm: true, Batch: batch, Walkers: 1, Only: "invitations", OnBatch: func(n int64, took time.Duration) {
					if n > 0 {
						batches = append(batches, n)
						deleted += n
					}
				}})

				type count struct{ rows, held int64 }
				got := map[string]count{}
				var order []string
				for _, e := range res.Entries {
					if e.Dataset != "invitations" || e.Reason != ReasonRetention {
						t.Errorf("entry %+v: not of the invitations rule", e)
						continue
					}
					if _, dup := got[e.Tenant]; dup {
						t.Errorf("two entries of tenant %q", e.Tenant)
					}
					if !e.Sealed() {
						t.Errorf("entry of tenant %q not sealed", e.Tenant)
					}
					got[e.Tenant] = count{e.Rows, e.Held}
					order = append(order, e.Tenant)
				}
				want := map[string]count{"": {1, 0}, "a": {4, 0}, "b": {2, 0}, "c": {0, 0}, "held": {0, 2}, "ovr": {2, 0}}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("ledger = %v, want %v", got, want)
				}
				var planned []string
				for _, r := range res.Plan {
					planned = append(planned, r.Tenant)
				}
				if !reflect.DeepEqual(order, planned) {
					t.Errorf("entries in tenant order %q, want the plan's %q", order, planned)
				}
				stored, err := f.e.Ledger().List(ctx, ledger.Filter{RunID: res.RunID})
				if err != nil {
					t.Fatal(err)
				}
				stotal := map[string]count{}
				for _, e := range stored {
					if e.RunID == res.RunID {
						stotal[e.Tenant] = count{stotal[e.Tenant].rows + e.Rows, stotal[e.Tenant].held + e.Held}
					}
				}
				if !reflect.DeepEqual(stotal, want) {
					t.Errorf("stored ledger = %v, want %v", stotal, want)
				}
				if deleted != 9 {
					t.Errorf("batches reported %d rows, want 9", deleted)
				}

				left := f.rows("SELECT id, workspace_id FROM invitations ORDER BY id")
				wantLeft := []string{"4|a", "6|b", "8|c", "9|c", "11|NULL", "14|ovr", "15|held", "16|held", "17|held", "19|a"}
				if !reflect.DeepEqual(left, wantLeft) {
					t.Errorf("rows left = %v, want %v", left, wantLeft)
				}

				together, err := dialect.ReturnsDeleted(ctx, f.d, f.d.DB())
				if err != nil {
					t.Fatal(err)
				}
				if batch == 3 && together {
					// Together, a, b and "" have 7 rows due (keys 1, 2, 3,
					// 5, 7, 10 and 18), and the walk covers 3 keys a batch:
					// 1-3, 4-6, 7-9, 10-12 and 16-18 hold due rows. The group
					// runs first (its first plan row is tenant ""), ovr on
					// its own after it.
					if want := []int64{3, 1, 1, 1, 1}; len(batches) < len(want) || !reflect.DeepEqual(batches[:len(want)], want) {
						t.Errorf("batches = %v, want %v first", batches, want)
					}
				}
				t.Logf("%s: %d batches, together=%v", h.Name, batches, together)
			})
		}
	})
}

func mustPeriod(t *testing.T, s string) lethe.Period {
	t.Helper()
	p, err := lethe.ParsePeriod(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
