package engine

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"lethe/dialect/dialecttest"
)

// TestClockWalkPurgesExactly: with an index on (tenant, clock), a purge
// of most of a table goes by slices of the clock on PostgreSQL (a walk in
// stored order elsewhere), through a burst of rows at one instant that no
// slice foresees and the rows on either side of the cutoff; the rows left
// and each tenant's ledger entry are exact, and a second sweep finds
// nothing.
func TestClockWalkPurgesExactly(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		f.exec("CREATE INDEX invitations_workspace_expires ON invitations (workspace_id, expires_at)")
		f.e = f.engine(secret) // sees the index
		tenants := []any{"w0", "w1", "w2", "w3", nil}
		rows := f.invitations()
		add := rows.add
		// 6,000 invitations expiring every 80 minutes through 2023, one
		// in four long after the cutoff (2024-01-02); 10,000 more that all
		// expired at one instant; and two on either side of the cutoff.
		start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 1; i <= 6000; i++ {
			if i%4 == 0 {
				add(i, tenants[i%len(tenants)], "2024-03-20 00:00:00", false)
				continue
			}
			add(i, tenants[i%len(tenants)], start.Add(time.Duration(i)*80*time.Minute).Format("2006-01-02 15:04:05"), true)
		}
		for i := 10001; i <= 20000; i++ {
			add(i, tenants[i%len(tenants)], "2023-08-15 12:00:00", true)
		}
		add(30001, "w0", "2024-01-02 00:00:00", false)
		add(30002, "w1", "2024-01-01 23:59:59.999", true)
		rows.insert()
		want, kept := rows.due, rows.kept
		if h.Name == "postgres" {
			f.exec("ANALYZE invitations")
		}

		var byClock bool
		var batches []int64
		res := f.sweep(SweepOptions{Confirm: true, Only: "invitations", byClock: func() { byClock = true },
			OnBatch: func(n int64, _ time.Duration) { batches = append(batches, n) }})
		if byClock != (h.Name == "postgres") {
			t.Errorf("walked by clock: %v, want it on PostgreSQL only", byClock)
		}
		if got := purgedInvitations(res); !reflect.DeepEqual(got, want) {
			t.Errorf("ledger = %v, want %v", got, want)
		}
		if left := f.rows("SELECT COUNT(*), SUM(CASE WHEN expires_at < '2024-01-02' THEN 1 ELSE 0 END) FROM invitations"); !reflect.DeepEqual(left, []string{fmt.Sprintf("%d|0", kept)}) {
			t.Errorf("left: %v, want %d rows, none due", left, kept)
		}
		if left := f.rows("SELECT id FROM invitations WHERE id > 30000"); !reflect.DeepEqual(left, []string{"30001"}) {
			t.Errorf("at the cutoff: %v left, want 30001 only", left)
		}
		if len(batches) < 4 {
			t.Errorf("batches %v, want the walk to take several", batches)
		}
		// The slice that meets the burst wants at most a few thousand
		// rows: it goes in several transactions, a few tenants each.
		if h.Name == "postgres" && slices.Max(batches) >= 10000 {
			t.Errorf("batches %v: the burst went in one", batches)
		}
		f.sweepFindsNothing("invitations")
	})
}

// TestClockWalkClockTypes: a walk by clock reads every kind of clock it
// takes exactly as the plan does, at the cutoff to the unit: timestamps
// with and without a zone (and PostgreSQL's infinities), integer Unix
// seconds and milliseconds; a tenant column of integers, and rows with
// no tenant or no clock. Every database gives the same rows and counts.
func TestClockWalkClockTypes(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		type clockCase struct {
			name, typ, unit string
			timezone        string // of the policy, for zone-less values
			value           func(time.Time) any
			infinities      bool
		}
		unix := func(per time.Duration) func(time.Time) any {
			return func(at time.Time) any { return at.UnixNano() / int64(per) }
		}
		local := func(at time.Time) any { return at.Format("2006-01-02 15:04:05.000000") }
		kolkata, err := time.LoadLocation("Asia/Kolkata")
		if err != nil {
			t.Fatal(err)
		}
		cases := []clockCase{
			{name: "timestamp", typ: h.Timestamp, value: local, infinities: h.Name == "postgres"},
			{name: "timestamp in Kolkata", typ: h.Timestamp, timezone: "Asia/Kolkata", value: func(at time.Time) any { return local(at.In(kolkata)) }},
			{name: "seconds", typ: "BIGINT", unit: "seconds", value: unix(time.Second)},
			{name: "milliseconds", typ: "BIGINT", unit: "milliseconds", value: unix(time.Millisecond)},
		}
		if h.Name == "postgres" {
			cases = append(cases, clockCase{name: "timestamptz", typ: "TIMESTAMPTZ", value: func(at time.Time) any { return at }, infinities: true})
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				d := h.Open(t)
				dialecttest.Exec(t, d, `CREATE TABLE events (id BIGINT NOT NULL PRIMARY KEY, tenant_id BIGINT, at `+c.typ+`)`)
				dialecttest.Exec(t, d, `CREATE INDEX events_tenant_at ON events (tenant_id, at)`)
				since := "at"
				if c.unit != "" {
					since = "{column: at, unit: " + c.unit + "}"
				}
				zone := ""
				if c.timezone != "" {
					zone = "timezone: " + c.timezone + "\n"
				}
				e := policyEngine(t, d, "clock.yaml", `version: 1
`+zone+`tenant_column: tenant_id
datasets:
  events:
    table: events
    key: id
    retention: {keep: 30 days, since: `+since+`}
`)
				// The cutoff is 2024-03-02. 4,000 events every 40 minutes
				// from 2024-01-01 of tenants 1, 2 and none; then one a
				// unit before the cutoff, one at it, one with no clock,
				// and on PostgreSQL one at -infinity and one at infinity.
				cutoff := time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)
				tenants := []any{int64(1), int64(2), nil}
				want := map[string]int64{}
				var kept int64
				var values []string
				var args []any
				add := func(id int, tenant, at any, due bool) {
					if due {
						name := ""
						if tenant != nil {
							name = fmt.Sprint(tenant)
						}
						want[name]++
					} else {
						kept++
					}
					values = append(values, "(?, ?, ?)")
					args = append(args, id, tenant, at)
					if len(values) == 500 {
						dialecttest.Exec(t, d, "INSERT INTO events (id, tenant_id, at) VALUES "+strings.Join(values, ", "), args...)
						values, args = nil, nil
					}
				}
				start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
				for i := 1; i <= 4000; i++ {
					at := start.Add(time.Duration(i) * 40 * time.Minute)
					add(i, tenants[i%3], c.value(at), at.Before(cutoff))
				}
				step := time.Microsecond
				switch c.unit {
				case "seconds":
					step = time.Second
				case "milliseconds":
					step = time.Millisecond
				}
				add(5001, int64(1), c.value(cutoff.Add(-step)), true)
				add(5002, int64(2), c.value(cutoff), false)
				add(5003, int64(1), nil, false)
				if c.infinities {
					add(5004, int64(2), "-infinity", true)
					add(5005, nil, "infinity", false)
				}
				dialecttest.Exec(t, d, "INSERT INTO events (id, tenant_id, at) VALUES "+strings.Join(values, ", "), args...)

				var byClock bool
				res, err := e.Sweep(ctx, SweepOptions{At: runAt, Confirm: true, byClock: func() { byClock = true }})
				if err != nil {
					t.Fatal(err)
				}
				if byClock != (h.Name == "postgres") {
					t.Errorf("walked by clock: %v, want it on PostgreSQL only", byClock)
				}
				got := map[string]int64{}
				for _, en := range res.Entries {
					got[en.Tenant] += en.Rows
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("ledger = %v, want %v", got, want)
				}
				left := dialecttest.Rows(t, d, "SELECT COUNT(*) FROM events")
				if !reflect.DeepEqual(left, []string{fmt.Sprint(kept)}) {
					t.Errorf("%v rows left, want %d", left, kept)
				}
				if got := dialecttest.Rows(t, d, "SELECT id FROM events WHERE id > 5000 ORDER BY id"); !slices.Contains(got, "5002") || slices.Contains(got, "5001") || slices.Contains(got, "5004") {
					t.Errorf("rows left past 5000: %v, want 5002 and not 5001 or 5004", got)
				}
			})
		}
	})
}

// TestClockWalkLosesItsFunctions: behind a proxy that pools transactions
// (PgBouncer's transaction mode), a walker's next transaction may run on a
// server session without the slice functions. Here they are dropped after
// the walk's second batch, as such a session would lack them: the walk
// goes on by pages, and the rows left and each tenant's ledger entry are
// exactly those of a walk that never lost them.
func TestClockWalkLosesItsFunctions(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		if h.Name != "postgres" {
			t.Skip("only PostgreSQL walks by clock")
		}
		f := newFixture(t, h)
		f.exec("CREATE INDEX invitations_workspace_expires ON invitations (workspace_id, expires_at)")
		f.e = f.engine(secret)
		tenants := []any{"w0", "w1", "w2", nil}
		rows := f.invitations()
		start := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 1; i <= 8000; i++ {
			if i%5 == 0 {
				rows.add(i, tenants[i%len(tenants)], "2024-03-20 00:00:00", false)
				continue
			}
			rows.add(i, tenants[i%len(tenants)], start.Add(time.Duration(i)*60*time.Minute).Format("2006-01-02 15:04:05"), true)
		}
		rows.insert()
		f.exec("ANALYZE invitations")

		// The walkers' sessions are the only ones with functions over
		// invitations: the other packages' tests walk other tables.
		// drop runs on a walker's goroutine (OnBatch), where t.Fatal must
		// not be called: its error is checked after the sweep.
		dropped := 0
		var dropErr error
		drop := func() {
			rows, err := f.d.DB().QueryContext(ctx, `SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
			FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
			WHERE p.proname LIKE 'lethe\_slice\_%' AND p.prosrc LIKE '%"invitations"%'`)
			if err != nil {
				dropErr = err
				return
			}
			var fns []string
			for rows.Next() {
				var fn string
				if dropErr = rows.Scan(&fn); dropErr != nil {
					break
				}
				fns = append(fns, fn)
			}
			rows.Close()
			for _, fn := range fns {
				if _, err := f.d.DB().ExecContext(ctx, "DROP FUNCTION IF EXISTS "+fn); err != nil {
					dropErr = err
				}
			}
			dropped = len(fns)
		}
		var byClock bool
		var batches []int64
		res := f.sweep(SweepOptions{Confirm: true, Only: "invitations", byClock: func() { byClock = true },
			OnBatch: func(n int64, _ time.Duration) {
				batches = append(batches, n)
				if len(batches) == 2 {
					drop()
				}
			}})
		if dropErr != nil {
			t.Fatalf("dropping the slice functions: %v", dropErr)
		}
		if !byClock || dropped == 0 {
			t.Fatalf("walked by clock: %v, functions dropped: %d; want a walk by clock that lost its functions", byClock, dropped)
		}
		if got := purgedInvitations(res); !reflect.DeepEqual(got, rows.due) {
			t.Errorf("ledger = %v, want %v", got, rows.due)
		}
		if left := f.rows("SELECT COUNT(*), SUM(CASE WHEN expires_at < '2024-01-02' THEN 1 ELSE 0 END) FROM invitations"); !reflect.DeepEqual(left, []string{fmt.Sprintf("%d|0", rows.kept)}) {
			t.Errorf("left: %v, want %d rows, none due", left, rows.kept)
		}
		if len(batches) < 3 {
			t.Errorf("batches %v, want the walk to go on after the functions were gone", batches)
		}
		f.sweepFindsNothing("invitations")
	})
}
