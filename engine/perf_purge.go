package engine

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"lethe/dialect"
	"lethe/ledger"
)

// plainPurge says a retention item's batches can be single DELETE
// statements: nothing to archive first, no owned rows to follow, and no
// per-row legal holds to skip (datasets have none; a tenant hold stops the
// item before it gets here).
func (e *Engine) plainPurge(it *item, arch *archive) bool {
	return it.stage == stageRetention && arch == nil && it.node.subject == nil && len(e.children(it.node.name)) == 0
}

// TargetTx is how long a purge batch's transaction should stay open when
// no batch size is set: long enough that commits are a small share of the
// work, short enough that no lock is held for long (issue 7 allows 250 ms).
const TargetTx = 80 * time.Millisecond

// maxBatch bounds an adaptive batch.
const maxBatch = 100000

// purgeDue deletes an item's due rows with dialect.DeleteDue, each batch
// a transaction that also adds its count to the ledger entry.
func (e *Engine) purgeDue(ctx context.Context, due dialect.Due, entry int64, opts SweepOptions) error {
	return e.deleteBatches(ctx, due, opts, func(tx *sql.Tx, due dialect.Due) (int64, any, error) {
		n, err := dialect.DeleteDue(ctx, e.d, tx, due)
		if err != nil || n == 0 {
			return n, nil, err
		}
		return n, nil, e.ledger.Add(ctx, tx, entry, n, 0)
	})
}

// deleteBatches runs batch, one transaction each, until a batch finds
// fewer rows than it may take: the hooks, throttle and adaptive batch size
// every bounded purge shares. batch deletes and records at most due.Limit
// rows; the last key it returns, when not nil, is the next batch's After.
func (e *Engine) deleteBatches(ctx context.Context, due dialect.Due, opts SweepOptions, batch func(tx *sql.Tx, due dialect.Due) (n int64, last any, err error)) error {
	start := time.Now()
	var done int64
	for {
		var n int64
		var last any
		began := time.Now()
		err := e.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			if n, last, err = batch(tx, due); err != nil || n == 0 {
				return err
			}
			if opts.beforeCommit != nil {
				opts.beforeCommit()
			}
			return nil
		})
		if err != nil {
			return err
		}
		took := time.Since(began)
		if opts.OnBatch != nil {
			opts.OnBatch(n, took)
		}
		if n == 0 {
			return nil
		}
		if opts.afterBatch != nil {
			opts.afterBatch()
		}
		if n < int64(due.Limit) {
			return nil
		}
		if last != nil {
			due.After = last
		}
		done += n
		throttle(ctx, opts.MaxRate, done, start)
		if opts.adaptive {
			due.Limit = nextBatch(due.Limit, took)
		}
	}
}

// nextBatch sizes the next batch from how long the last one took: the
// rows it would take at the last rate to fill TargetTx, growing at most
// twofold (a batch's cost is not linear: the next one must not overshoot
// far) and shrinking at most to a quarter at a time.
func nextBatch(limit int, took time.Duration) int {
	if took <= 0 {
		return min(limit*2, maxBatch)
	}
	want := int(float64(limit) * float64(TargetTx) / float64(took))
	return max(min(want, limit*2, maxBatch), limit/4, 1)
}

// maxGroup is the most tenants one cross-tenant purge binds.
const maxGroup = 1000

// purgeGroups finds the plan rows whose plain retention deletes can run
// together, one DELETE a batch over all their tenants instead of a sweep
// of the table per tenant (which rewrites each page once per tenant): the
// rows of one item, for every tenant (opts.Tenant nil), on a table with a
// tenant column, with the same cutoff (tenants without an override of
// the period share it). It returns the groups by the index of their first
// row; tenant holds are checked when a group runs. None when the server
// cannot return deleted rows, which the per-tenant counts need.
func (e *Engine) purgeGroups(ctx context.Context, plan []PlanRow, opts SweepOptions) (map[int][]int, error) {
	if opts.Tenant != nil {
		return nil, nil
	}
	type groupKey struct {
		it     *item
		cutoff time.Time
	}
	byKey := map[groupKey][]int{}
	var keys []groupKey
	for i, r := range plan {
		it := r.item
		if it.stage != stageRetention || it.archive || it.node.tenant == "" || r.Cutoff == nil || !e.plainPurge(it, nil) {
			continue
		}
		k := groupKey{it, *r.Cutoff}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], i)
	}
	groups := map[int][]int{}
	for _, k := range keys {
		rows := byKey[k]
		for start := 0; start < len(rows); start += maxGroup {
			if part := rows[start:min(start+maxGroup, len(rows))]; len(part) > 1 {
				groups[part[0]] = part
			}
		}
	}
	if len(groups) == 0 {
		return nil, nil
	}
	ok, err := dialect.ReturnsDeleted(ctx, e.d, e.d.DB())
	if err != nil || !ok {
		return nil, err
	}
	return groups, nil
}

// runGroup purges the due rows of a group of plan rows (see purgeGroups)
// together. A tenant on hold is left out, to run on its own later, as is
// the whole group when fewer than two tenants remain. It returns the
// sealed entries of each plan row it ran, by index: one entry a tenant,
// opened before the first batch and sealed after the last, each batch
// adding each tenant's count to its entry in the batch's transaction.
func (e *Engine) runGroup(ctx context.Context, plan []PlanRow, group []int, runID string, opts SweepOptions) (map[int][]ledger.Entry, error) {
	var members []int
	for _, i := range group {
		held, err := e.heldFor(ctx, plan[i].Tenant)
		if err != nil {
			return nil, err
		}
		if plan[i].item.holdable && held.tenant != nil {
			continue
		}
		members = append(members, i)
	}
	if len(members) < 2 {
		return nil, nil
	}
	first := plan[members[0]]
	it := first.item
	sets := make([]*entrySet, len(members))
	entry := map[string]int64{}
	tenants := make([]string, len(members))
	for j, i := range members {
		set, err := e.openEntries(ctx, plan[i], runID, e.touched(it), opts)
		if err != nil {
			return nil, err
		}
		sets[j] = set
		tenants[j] = plan[i].Tenant
		entry[plan[i].Tenant] = set.ids[it.node.name]
	}
	due := e.due(it, "", *first.Cutoff)
	due.Tenant = nil
	due.Limit = opts.Batch
	if err := e.purgeDueTenants(ctx, due, it.node.tenant, tenants, entry, opts); err != nil {
		return nil, err
	}
	out := map[int][]ledger.Entry{}
	for j, i := range members {
		entries, err := e.sealEntries(ctx, sets[j])
		out[i] = entries
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// purgeDueTenants is purgeDue over several tenants: each batch is one
// dialect.DeleteDueTenants, and adds each tenant's count to its ledger
// entry in the same transaction.
func (e *Engine) purgeDueTenants(ctx context.Context, due dialect.Due, column string, tenants []string, entry map[string]int64, opts SweepOptions) error {
	return e.deleteBatches(ctx, due, opts, func(tx *sql.Tx, due dialect.Due) (int64, any, error) {
		gone, err := dialect.DeleteDueTenants(ctx, e.d, tx, due, column, tenants)
		if err != nil || gone.Total == 0 {
			return 0, nil, err
		}
		per := gone.Counts
		for _, t := range tenants {
			if per[t] == 0 {
				continue
			}
			if err := e.ledger.Add(ctx, tx, entry[t], per[t], 0); err != nil {
				return 0, nil, err
			}
			delete(per, t)
		}
		if len(per) > 0 {
			// Not a tenant of the group: a bug, or a tenant column the
			// server returns in another form. Undo the batch.
			return 0, nil, fmt.Errorf("a batch deleted rows of %d tenants it was not given", len(per))
		}
		return gone.Total, gone.Last, nil
	})
}
