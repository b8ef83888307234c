package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"lethe/dialect"
)

// A walk by clock (walkPurgeByClock) starts with slices of about
// firstSliceRows rows and sizes the next from how long the last took,
// never above maxSliceRows. Each tenant's statement reads the slice's
// pages again, so small slices, whose pages stay in the processor's
// caches, win: a purge of 1M rows of 2M on PostgreSQL took 1.83-1.98 s
// in slices of at most 3,000 rows, 1.90-2.03 s at 4,000, 1.92-2.13 s at
// 6,000 and 2.48-2.53 s at 8,000 (the raw DELETE 1.39-1.68 s).
const (
	firstSliceRows = 1000
	maxSliceRows   = 3000
)

// walkPurgeByClock deletes a group's due rows (see runGroup) one slice of
// the clock at a time, from the tenants' earliest clock up to the cutoff:
// each slice a batch transaction in which every tenant's rows of the
// slice go by a statement of their own, through the index on (tenant,
// clock), and that adds each tenant's count to its entry. Where the
// server must return deleted rows to count them by tenant (a walk in
// stored order, walkPurge), this counts for free. Several slices run at
// once (walkers), each walker on a session of its own. It runs only where
// the dialect can (dialect.ClockSlicer), the clock is one column, an
// index leads with (tenant, clock), and batches are sized by time; false
// means it did not run and changed nothing.
//
// A slice is sized from the rows per clock unit of the last one, so a
// stretch of time far denser than the one before could make one slice
// far larger than foreseen: the slice's statement stops after the tenant
// that takes it past twice the rows wanted, and the tenants left run in
// the next transaction.
func (e *Engine) walkPurgeByClock(ctx context.Context, it *item, due dialect.Due, tenants []string, entries map[string]int64, planned int64, opts SweepOptions) (bool, error) {
	cs, ok := e.d.(dialect.ClockSlicer)
	if !ok || !opts.adaptive || opts.noWalks || len(it.clock.Columns) != 1 || len(due.Extra) > 0 || it.node.tenant == "" {
		return false, nil
	}
	clock := it.clock.Columns[0]
	if t, ok := e.schema.Table(it.node.table); !ok || !t.Leads(it.node.tenant, clock.Name) {
		return false, nil
	}
	spec := dialect.ClockSlices{Table: due.Table, TenantColumn: it.node.tenant, Clock: clock.Name, Unit: clock.Unit, Loc: due.Loc}
	walkers := make([]clockWalker, e.walkers(opts))
	defer func() {
		for _, w := range walkers {
			if w.slicer != nil {
				w.slicer.Close(ctx)
			}
			if w.conn != nil {
				w.conn.Close()
			}
		}
	}()
	for i := range walkers {
		conn, err := e.d.DB().Conn(ctx)
		if err != nil {
			return false, fmt.Errorf("walk %s by its clock: %w", due.Table, err)
		}
		walkers[i].conn = conn
		sl, ok, err := cs.SliceOn(ctx, conn, spec)
		if err != nil || !ok {
			return false, err
		}
		walkers[i].slicer = sl
	}
	if opts.byClock != nil {
		opts.byClock()
	}
	first, end := walkers[0], walkers[0].slicer.Cutoff(due.Cutoff)
	earliest, found, err := first.slicer.Earliest(ctx, first.conn, tenants)
	if errors.Is(err, dialect.ErrSlicesGone) {
		return false, nil // nothing deleted yet: the caller walks by pages
	}
	if err != nil {
		return true, err
	}
	if !found || earliest > end {
		earliest = end // one slice, open below, takes what there is
	}
	cursor := &clockCursor{next: earliest, end: end, open: true, perUnit: float64(max(planned, 1)) / float64(max(end-earliest, 1))}
	err = e.walkTogether(ctx, len(walkers), opts, func(ctx context.Context, i int, opts SweepOptions, done batchDone) error {
		w := walkers[i]
		want := int64(firstSliceRows)
		for {
			from, to, ok := cursor.take(want)
			if !ok {
				return nil
			}
			var rows int64
			var took time.Duration
			// Tenants of the slice not yet done: all but those a dense
			// slice's statement stopped before.
			for left := tenants; len(left) > 0; {
				var did int
				n, t, err := batchTxOn(ctx, w.conn, nil, opts, func(tx *sql.Tx) (int64, error) {
					counts, err := w.slicer.Delete(ctx, tx, left, from, to, 2*want)
					if err != nil {
						return 0, err
					}
					if len(counts) == 0 || len(counts) > len(left) {
						return 0, fmt.Errorf("delete due rows of %s: %d counts for %d tenants", due.Table, len(counts), len(left))
					}
					did = len(counts)
					gone := dialect.Deleted{Counts: map[string]int64{}}
					for j, n := range counts {
						if n > 0 {
							gone.Counts[left[j]] = n
							gone.Total += n
						}
					}
					if gone.Total == 0 {
						return 0, nil
					}
					return gone.Total, e.addDeleted(ctx, tx, gone, it.node.tenant, entries)
				})
				if err != nil {
					return err
				}
				left = left[did:]
				rows, took = rows+n, took+t
				done(n, cursor.add(n), t)
			}
			if from != dialect.OpenBelow {
				cursor.observe(rows, to-from)
			}
			want = nextSlice(want, rows, took)
		}
	})
	if errors.Is(err, dialect.ErrSlicesGone) && ctx.Err() == nil {
		// A transaction ran on a server session without the functions
		// (behind a proxy that pools transactions, each may run on
		// another): it changed nothing, every batch before it committed
		// with its counts, and a walk in stored order deletes the rows
		// left, adding to the same entries.
		e.log.WarnContext(ctx, "walk by clock lost its functions; the purge goes on by pages", "table", due.Table, "deleted", cursor.deleted)
		return true, e.walkPurge(ctx, due, it.node.tenant, tenants, entries, max(planned-cursor.deleted, 0), opts)
	}
	return true, err
}

// clockWalker is one walker of a walk by clock: its session, and what
// deletes slices on it.
type clockWalker struct {
	conn   *sql.Conn
	slicer dialect.Slicer
}

// clockCursor hands out the slices of a walk by clock, in order, each
// sized to hold about the rows a walker wants at the density of the last
// slice done.
type clockCursor struct {
	mu      sync.Mutex
	open    bool    // the first slice, open below, is yet to go
	next    int64   // where the next slice begins (the first: ends)
	end     int64   // the cutoff: no slice reaches it
	perUnit float64 // rows per clock unit, as the last slice found them
	deleted int64   // rows the walk's committed batches deleted
}

// take returns the next slice, [from, to), or false when the walk is
// over.
func (c *clockCursor) take(want int64) (from, to int64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open {
		// Up to the earliest clock and a slice on: rows with a clock
		// below the earliest (written while the walk began, or one no
		// integer holds) go too.
		c.open = false
		_, to, _ = c.slice(want)
		return dialect.OpenBelow, to, true
	}
	if c.next >= c.end {
		return 0, 0, false
	}
	return c.slice(want)
}

// slice takes the next slice of about want rows.
func (c *clockCursor) slice(want int64) (from, to int64, ok bool) {
	span := int64(float64(want) / c.perUnit)
	from = c.next
	if span < 1 || span >= c.end-from { // (or overflowed)
		span = max(1, c.end-from)
	}
	to = min(from+span, c.end)
	c.next = to
	return from, to, true
}

// observe takes the density of a slice done: an empty one halves the
// density foreseen, so the next slice covers twice the time.
func (c *clockCursor) observe(rows, span int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rows > 0 {
		c.perUnit = float64(rows) / float64(span)
	} else {
		c.perUnit /= 2
	}
}

// add counts a committed batch's rows and returns the walk's total.
func (c *clockCursor) add(n int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deleted += n
	return c.deleted
}

// nextSlice is the rows the next slice should hold: as many as would fill
// TargetTx at the rate of the last (rows in took), at most twice and at
// least a quarter of what it wanted, never above maxSliceRows. A slice
// with no rows says nothing of the rate; the next covers more time
// instead (observe).
func nextSlice(want, rows int64, took time.Duration) int64 {
	if rows == 0 || took <= 0 {
		return want
	}
	next := int64(float64(rows) * float64(TargetTx) / float64(took))
	return max(min(next, 2*want, maxSliceRows), want/4, 1)
}
