package dialect

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"time"

	"lethe"
)

// ClockSlices names what a walk by clock deletes: rows of Table whose
// Clock (one column, in Unit) lies before a cutoff, of the tenants in
// TenantColumn that a purge groups, through an index that leads with
// (TenantColumn, Clock).
type ClockSlices struct {
	Table        string
	TenantColumn string
	Clock        string
	Unit         lethe.ClockUnit
	Loc          *time.Location // how zone-less clock values are read; nil is UTC
}

// ClockSlicer is a Dialect that can delete a purge's due rows one slice
// of the clock at a time, tenant by tenant, each tenant's rows counted by
// its own statement. A walk in stored order must return each deleted row
// to count it by tenant, which on PostgreSQL re-reads every deleted row:
// a stand-alone loop purging 1M rows of 2M took 1.85-2.46 s that way, and
// 1.34-1.89 s by slices of the clock, where one DELETE took 1.28-1.45.
type ClockSlicer interface {
	// SliceOn readies conn, a session the caller holds for the walk, to
	// delete slices of s. ok is false when s's columns or the session
	// do not allow it (the caller then walks another way).
	SliceOn(ctx context.Context, conn *sql.Conn, s ClockSlices) (sl Slicer, ok bool, err error)
}

// ErrSlicesGone is in the error of a Slicer's call that found its session
// without what SliceOn set up there. Behind a proxy that pools
// transactions (PgBouncer's transaction mode), each transaction may run
// on another server session. The call that failed changed nothing: the
// caller goes on another way.
var ErrSlicesGone = errors.New("the session no longer has what the walk by clock set up on it")

// OpenBelow, as the start of a slice, leaves it open below.
const OpenBelow = math.MinInt64

// Slicer deletes slices of one table's clock on one session. Clock values
// are integers in the clock's own terms (microseconds for a timestamp,
// the unit's for an integer clock), so a walk can split a span without
// knowing the column's type.
type Slicer interface {
	// Cutoff is cutoff in the clock's terms: a row is due when its clock
	// is below it, exactly as the plan's count reads it.
	Cutoff(cutoff time.Time) int64
	// Earliest is about the earliest clock of the tenants' rows ("" stands
	// for rows with no tenant), where a walk's first slice should end;
	// false when they have none. (Values a walk cannot count in, such as
	// PostgreSQL's -infinity, are left out: the first slice is open below.)
	Earliest(ctx context.Context, q Querier, tenants []string) (int64, bool, error)
	// Delete deletes, tenant by tenant in the order given, the rows whose
	// clock lies in [from, to) (from OpenBelow: below to), and returns
	// each tenant's count in that order. It stops after the tenant that takes the total above most,
	// so a slice denser than foreseen ends early: tenants past the counts
	// returned were not touched.
	Delete(ctx context.Context, q Querier, tenants []string, from, to, most int64) ([]int64, error)
	// Close undoes what SliceOn set up on the session.
	Close(ctx context.Context) error
}
