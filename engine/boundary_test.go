package engine

import (
	"reflect"
	"testing"
	"time"

	"lethe/dialect/dialecttest"
)

// TestMonthEndCutoff: participants are anonymized 1 month after creation;
// a run on 2024-03-31 cuts off at 2024-02-29 (clamped to the month's end,
// not 2024-03-02), and a row exactly at the cutoff stays.
func TestMonthEndCutoff(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		f.exec(`INSERT INTO participants (id, workspace_id, first_name, last_name, email, phone, customer_id, created_at) VALUES
			(1, 'acme', 'A', 'A', 'a@example.org', NULL, NULL, '2024-02-28 23:59:59'),
			(2, 'acme', 'B', 'B', 'b@example.org', NULL, NULL, '2024-02-29 00:00:00'),
			(3, 'acme', 'C', 'C', 'c@example.org', NULL, NULL, '2024-03-01 00:00:00')`)
		at := time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC)
		acme := "acme"
		plan, err := f.e.Plan(ctx, PlanOptions{At: at, Tenant: &acme, Only: "participant"})
		if err != nil {
			t.Fatal(err)
		}
		if plan[0].Stage != "anonymize" || plan[0].Cutoff.Format(time.DateTime) != "2024-02-29 00:00:00" || plan[0].Rows != 1 {
			t.Errorf("plan = %+v, cutoff %v", plan[0], plan[0].Cutoff)
		}
		f.sweep(SweepOptions{At: at, Confirm: true, Only: "participant"})
		if got, want := f.rows("SELECT id, first_name FROM participants WHERE first_name NOT LIKE 'Anonymized%' ORDER BY id"), []string{"2|B", "3|C"}; !reflect.DeepEqual(got, want) {
			t.Errorf("not anonymized = %v, want %v", got, want)
		}
	})
}
