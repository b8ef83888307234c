package scheduler

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"lethe/dialect"
)

// Lease statuses, as stored.
const (
	StatusRunning = "running" // claimed; the holder is running it (or died)
	StatusDone    = "done"    // ran to the end
	StatusGuard   = "guard"   // the blast-radius guard stopped it: done for this period
	StatusFailed  = "failed"  // failed; retried once the lease expires
)

// Leases are the rows of lethe_leases: one per rule and scheduled period.
// Every statement is a single conditional write, so two replicas racing
// for one row are ordered by the database: PostgreSQL and MySQL re-check
// an UPDATE's condition on the row they locked, SQLite writes one at a
// time.
type Leases struct {
	d dialect.Dialect
}

// NewLeases returns the leases of d's database, which must be migrated.
func NewLeases(d dialect.Dialect) *Leases { return &Leases{d: d} }

const leaseTable = "lethe_leases"

// Claim tries to take the lease of rule for period: a new row, or a row
// whose run is not done and whose holder let it expire (a takeover). It
// reports the attempt number (1 for the first claim) and whether holder
// has it now.
func (l *Leases) Claim(ctx context.Context, rule string, period time.Time, holder string, now time.Time, ttl time.Duration) (int, bool, error) {
	b := l.build()
	cols := []string{"rule", "period", "holder", "attempts", "claimed_at", "expires_at", "status"}
	vals := []string{b.arg(rule), b.time(period), b.arg(holder), "1", b.time(now), b.time(now.Add(ttl)), b.arg(StatusRunning)}
	for i, c := range cols {
		cols[i] = b.q(c)
	}
	insert := "INSERT INTO " + b.q(leaseTable) + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(vals, ", ") + ")"
	switch l.d.Name() {
	case "mysql":
		insert = "INSERT IGNORE" + strings.TrimPrefix(insert, "INSERT")
	default: // PostgreSQL and SQLite
		insert += " ON CONFLICT DO NOTHING"
	}
	n, err := l.exec(ctx, insert, b.args)
	if err != nil {
		return 0, false, fmt.Errorf("claim %s for %s: %w", rule, period.Format(time.RFC3339), err)
	}
	if n == 1 {
		return 1, true, nil
	}
	b = l.build()
	update := "UPDATE " + b.q(leaseTable) + " SET " + b.q("holder") + " = " + b.arg(holder) + ", " +
		b.q("attempts") + " = " + b.q("attempts") + " + 1, " +
		b.q("claimed_at") + " = " + b.time(now) + ", " +
		b.q("expires_at") + " = " + b.time(now.Add(ttl)) + ", " +
		b.q("status") + " = " + b.arg(StatusRunning) +
		" WHERE " + b.q("rule") + " = " + b.arg(rule) + " AND " + b.q("period") + " = " + b.time(period) +
		" AND " + b.q("done_at") + " IS NULL AND " + b.q("expires_at") + " < " + b.time(now)
	if n, err = l.exec(ctx, update, b.args); err != nil {
		return 0, false, fmt.Errorf("take over %s for %s: %w", rule, period.Format(time.RFC3339), err)
	}
	if n != 1 {
		return 0, false, nil
	}
	st, err := l.Get(ctx, rule, period)
	if err != nil {
		return 0, false, err
	}
	if st.Holder != holder { // taken over again already: it is not ours
		return 0, false, nil
	}
	return st.Attempts, true, nil
}

// Renew extends a lease the holder still has. false means it was lost (it
// expired and another replica took it over): the holder must stop.
func (l *Leases) Renew(ctx context.Context, rule string, period time.Time, holder string, now time.Time, ttl time.Duration) (bool, error) {
	b := l.build()
	query := "UPDATE " + b.q(leaseTable) + " SET " + b.q("expires_at") + " = " + b.time(now.Add(ttl)) + l.mine(b, rule, period, holder)
	n, err := l.exec(ctx, query, b.args)
	if err != nil {
		return false, fmt.Errorf("renew the lease of %s: %w", rule, err)
	}
	return n == 1, nil
}

// Finish marks the run done (status StatusDone or StatusGuard): no replica
// runs this period again.
func (l *Leases) Finish(ctx context.Context, rule string, period time.Time, holder, status string, now time.Time) error {
	b := l.build()
	query := "UPDATE " + b.q(leaseTable) + " SET " + b.q("done_at") + " = " + b.time(now) + ", " + b.q("expires_at") + " = " + b.time(now) +
		", " + b.q("status") + " = " + b.arg(status) + l.mine(b, rule, period, holder)
	n, err := l.exec(ctx, query, b.args)
	if err != nil {
		return fmt.Errorf("finish the lease of %s: %w", rule, err)
	}
	if n != 1 {
		return fmt.Errorf("finish the lease of %s for %s: it was taken over", rule, period.Format(time.RFC3339))
	}
	return nil
}

// Release gives a lease up before the run is done, so that it may be
// claimed again from retryAt on: now for a replica shutting down, later
// for a run that failed.
func (l *Leases) Release(ctx context.Context, rule string, period time.Time, holder, status string, retryAt time.Time) error {
	b := l.build()
	query := "UPDATE " + b.q(leaseTable) + " SET " + b.q("expires_at") + " = " + b.time(retryAt) + ", " + b.q("status") + " = " + b.arg(status) +
		l.mine(b, rule, period, holder)
	if _, err := l.exec(ctx, query, b.args); err != nil {
		return fmt.Errorf("release the lease of %s: %w", rule, err)
	}
	return nil
}

// mine is the condition "this holder's lease, still running".
func (l *Leases) mine(b *builder, rule string, period time.Time, holder string) string {
	return " WHERE " + b.q("rule") + " = " + b.arg(rule) + " AND " + b.q("period") + " = " + b.time(period) +
		" AND " + b.q("holder") + " = " + b.arg(holder) + " AND " + b.q("done_at") + " IS NULL"
}

// LeaseState is one row of lethe_leases.
type LeaseState struct {
	Rule      string     `json:"rule"`
	Period    time.Time  `json:"period"`
	Holder    string     `json:"holder"`
	Attempts  int        `json:"attempts"`
	ClaimedAt time.Time  `json:"claimed_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	DoneAt    *time.Time `json:"done_at,omitempty"`
	Status    string     `json:"status"`
}

var leaseColumns = []string{"rule", "period", "holder", "attempts", "claimed_at", "expires_at", "done_at", "status"}

// Get reads the lease of rule for period; ok is false when there is none.
func (l *Leases) Get(ctx context.Context, rule string, period time.Time) (LeaseState, error) {
	b := l.build()
	list, err := l.query(ctx, " WHERE "+b.q("rule")+" = "+b.arg(rule)+" AND "+b.q("period")+" = "+b.time(period), b)
	if err != nil {
		return LeaseState{}, err
	}
	if len(list) == 0 {
		return LeaseState{}, sql.ErrNoRows
	}
	return list[0], nil
}

// List returns every lease, by rule and period.
func (l *Leases) List(ctx context.Context) ([]LeaseState, error) {
	b := l.build()
	return l.query(ctx, " ORDER BY "+b.q("rule")+", "+b.q("period"), b)
}

func (l *Leases) query(ctx context.Context, tail string, b *builder) ([]LeaseState, error) {
	cols := make([]string, len(leaseColumns))
	for i, c := range leaseColumns {
		cols[i] = b.q(c)
	}
	rows, err := l.d.DB().QueryContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+b.q(leaseTable)+tail, b.args...)
	if err != nil {
		return nil, fmt.Errorf("read leases: %w", err)
	}
	defer rows.Close()
	var out []LeaseState
	for rows.Next() {
		var s LeaseState
		var period, claimed, expires, done any
		if err := rows.Scan(&s.Rule, &period, &s.Holder, &s.Attempts, &claimed, &expires, &done, &s.Status); err != nil {
			return nil, fmt.Errorf("read leases: %w", err)
		}
		var times [4]*time.Time
		for i, v := range []any{period, claimed, expires, done} {
			if times[i], err = dialect.ScanTime(v); err != nil {
				return nil, fmt.Errorf("read leases: %w", err)
			}
		}
		p, c, e := times[0], times[1], times[2]
		if p == nil || c == nil || e == nil {
			return nil, fmt.Errorf("read leases: a NOT NULL time is NULL")
		}
		s.DoneAt = times[3]
		s.Period, s.ClaimedAt, s.ExpiresAt = *p, *c, *e
		out = append(out, s)
	}
	return out, rows.Err()
}

func (l *Leases) exec(ctx context.Context, query string, args []any) (int64, error) {
	res, err := l.d.DB().ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// builder collects the arguments of one statement in the dialect.
type builder struct {
	d    dialect.Dialect
	args []any
}

func (l *Leases) build() *builder { return &builder{d: l.d} }

func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return b.d.Placeholder(len(b.args))
}

func (b *builder) q(ident string) string { return b.d.Quote(ident) }

func (b *builder) time(t time.Time) string { return b.arg(dialect.StoredTime(b.d, t)) }
