package engine

import (
	"context"
	"database/sql"
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

// The largest stretch of a walk (dialect.Stretch), in keys and in pages:
// stretches grow while the rows in them are not due, so the bound is
// what keeps a stretch that turns out to be due from end to end well
// under 250 ms even on a busy server (10,000 rows take MariaDB about
// 100 ms to delete; 2,000 pages hold some 50,000 rows of an event log,
// which PostgreSQL deletes in 60).
const (
	maxStretchKeys  = 5000
	maxStretchPages = 2000
)

// walkShare is the share of a table from which a purge, an anonymization
// or a deactivation reads the whole table in stored order instead of finding
// each due row through an index on the clock: an index finds a row at the
// cost of reading several in order, so below it the index wins.
const walkShare = 0.05

// walks says whether a plain purge or a change in place of due rows (in
// all, over the tenants it runs for) walks the table (see dialect.Stretch
// and walkInPlace). A table without an index on the clock (behind the tenant
// column, where there is one) is always walked: batches that ask for due
// rows would each scan it. before is the rows before the cutoff, done or
// not, where the plan counted them (0 otherwise): for an item with
// conditions besides the clock (a stamp not yet set), batches that find
// due rows through the index on the clock read each of those rows from
// the table, so it is their share, not the due rows', that decides. In
// a steady state of daily sweeps most of a table lies before the cutoff,
// already anonymized: 10,000 people due of 1M, 490,000 anonymized before,
// took MariaDB 11.4 s tenant by tenant through the index.
func (e *Engine) walks(ctx context.Context, it *item, due, before int64, opts SweepOptions) (bool, error) {
	if opts.noWalks {
		return false, nil
	}
	t, ok := e.schema.Table(it.node.table)
	clock := it.clock.Columns[0].Name
	indexed := ok && (it.node.tenant == "" && t.Leads(clock) || it.node.tenant != "" && t.Leads(it.node.tenant, clock))
	if !indexed {
		return true, nil
	}
	if due == 0 {
		return false, nil
	}
	total, ok := opts.tableRows[it.node.table]
	if !ok {
		var err error
		total, err = dialect.EstimateRows(ctx, e.d, e.d.DB(), it.node.table)
		if err == nil && total <= 0 {
			total, err = dialect.CountRows(ctx, e.d, e.d.DB(), it.node.table)
		}
		if err != nil {
			return false, err
		}
		if opts.tableRows != nil {
			opts.tableRows[it.node.table] = total
		}
	}
	return float64(max(due, before)) >= walkShare*float64(total), nil
}

// purgeDue deletes an item's due rows for one tenant (or a table without
// tenants), each batch a transaction that also adds its count to the
// ledger entry: by walking the table when walk says so, else with
// dialect.DeleteDue, which finds the oldest due rows through the index on
// the clock. planned is the rows the plan counted (see stretches).
func (e *Engine) purgeDue(ctx context.Context, due dialect.Due, entry int64, walk bool, planned int64, opts SweepOptions) error {
	if walk {
		return e.walkPurge(ctx, due, "", nil, map[string]int64{"": entry}, planned, opts)
	}
	return e.deleteBatches(ctx, due, opts, func(tx *sql.Tx, due dialect.Due) (int64, error) {
		n, err := dialect.DeleteDue(ctx, e.d, tx, due)
		if err != nil || n == 0 {
			return n, err
		}
		return n, e.ledger.Add(ctx, tx, entry, n, 0)
	})
}

// deleteBatches runs batch, one transaction each, until a batch finds
// fewer rows than it may take, with the hooks, throttle and adaptive
// batch size of a sweep. batch deletes and records at most due.Limit rows.
func (e *Engine) deleteBatches(ctx context.Context, due dialect.Due, opts SweepOptions, batch func(tx *sql.Tx, due dialect.Due) (int64, error)) error {
	start := time.Now()
	var done int64
	for {
		n, took, err := e.batchTx(ctx, nil, opts, func(tx *sql.Tx) (int64, error) {
			return batch(tx, due)
		})
		if err != nil {
			return err
		}
		e.afterBatch(opts, n, took)
		if n < int64(due.Limit) {
			return nil
		}
		done += n
		throttle(ctx, opts.MaxRate, done, start)
		if opts.adaptive {
			due.Limit = nextBatch(due.Limit, took, maxBatch)
		}
	}
}

// batchTx runs one batch in its own transaction, with the test hook just
// before it commits when it changed rows, and says how many it changed
// and how long the transaction was open.
func (e *Engine) batchTx(ctx context.Context, txOpts *sql.TxOptions, opts SweepOptions, batch func(tx *sql.Tx) (int64, error)) (int64, time.Duration, error) {
	return batchTxOn(ctx, e.d.DB(), txOpts, opts, batch)
}

// batchTxOn is batchTx on the given pool or session.
func batchTxOn(ctx context.Context, b beginner, txOpts *sql.TxOptions, opts SweepOptions, batch func(tx *sql.Tx) (int64, error)) (int64, time.Duration, error) {
	began := time.Now()
	var n int64
	err := inTxOn(ctx, b, txOpts, func(tx *sql.Tx) error {
		var err error
		if n, err = batch(tx); err != nil || n == 0 {
			return err
		}
		if opts.beforeCommit != nil {
			opts.beforeCommit()
		}
		return nil
	})
	return n, time.Since(began), err
}

// afterBatch reports a committed batch, and runs the test hook after
// batches that changed rows.
func (e *Engine) afterBatch(opts SweepOptions, n int64, took time.Duration) {
	if opts.OnBatch != nil {
		opts.OnBatch(n, took)
	}
	if n > 0 && opts.afterBatch != nil {
		opts.afterBatch()
	}
}

// nextBatch sizes the next batch from how long the last one took: the
// rows it would take at the last rate to fill TargetTx, growing at most
// twofold (a batch's cost is not linear: the next one must not overshoot
// far) and shrinking at most to a quarter at a time, never above most.
func nextBatch(limit int, took time.Duration, most int) int {
	if took <= 0 {
		return min(limit*2, most)
	}
	want := int(float64(limit) * float64(TargetTx) / float64(took))
	return max(min(want, limit*2, most), limit/4, 1)
}

// maxGroup is the most tenants one cross-tenant purge binds.
const maxGroup = 1000

// purgeGroups finds the plan rows whose plain retention deletes can run
// together, one walk of the table over all their tenants instead of one
// a tenant: the rows of one item, for every tenant (opts.Tenant nil), on a
// table with a tenant column, with the same cutoff (tenants without an
// override of the period share it), when their due rows together are
// enough of the table that it is walked (walks). It returns the groups by
// the index of their first row; tenant holds are checked when a group
// runs. None when the server cannot return deleted rows, which the
// per-tenant counts need.
func (e *Engine) purgeGroups(ctx context.Context, plan []PlanRow, opts SweepOptions) (map[int][]int, error) {
	if opts.Tenant != nil {
		return nil, nil
	}
	groups := map[int][]int{}
	for _, part := range groupByCutoff(plan, func(r PlanRow) bool {
		it := r.item
		return it.stage == stageRetention && !it.archive && it.node.tenant != "" && e.plainPurge(it, nil)
	}) {
		var due int64
		for _, i := range part {
			due += plan[i].Rows
		}
		walk, err := e.walks(ctx, plan[part[0]].item, due, 0, opts)
		if err != nil {
			return nil, err
		}
		if walk {
			groups[part[0]] = part
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

// groupByCutoff returns the plan rows keep accepts that have a cutoff,
// grouped by item and cutoff (the tenants that share a period), in parts
// of two rows or more and at most maxGroup, each in plan order.
func groupByCutoff(plan []PlanRow, keep func(PlanRow) bool) [][]int {
	type groupKey struct {
		it     *item
		cutoff time.Time
	}
	byKey := map[groupKey][]int{}
	var keys []groupKey
	for i, r := range plan {
		if r.Cutoff == nil || !keep(r) {
			continue
		}
		k := groupKey{r.item, *r.Cutoff}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], i)
	}
	var parts [][]int
	for _, k := range keys {
		rows := byKey[k]
		for start := 0; start < len(rows); start += maxGroup {
			if part := rows[start:min(start+maxGroup, len(rows))]; len(part) > 1 {
				parts = append(parts, part)
			}
		}
	}
	return parts
}

// runGroup runs a group of plan rows (see purgeGroups and inPlaceGroups)
// in one walk of the table over all their tenants: a purge (walkPurge) or
// a change in place (walkInPlace). A tenant on hold is left out, to run on its own
// later, as is the whole group when fewer than two tenants remain. It
// returns the sealed entries of each plan row it ran, by index: one entry
// a tenant and dataset, opened before the first batch and sealed after the
// last, each batch adding each tenant's count to its entry in the batch's
// transaction.
func (e *Engine) runGroup(ctx context.Context, plan []PlanRow, group []int, runID string, opts SweepOptions) (map[int][]ledger.Entry, error) {
	var members []int
	var helds []heldSet
	for _, i := range group {
		held, err := e.heldFor(ctx, plan[i].Tenant)
		if err != nil {
			return nil, err
		}
		if plan[i].item.holdable && held.tenant != nil {
			continue
		}
		members = append(members, i)
		helds = append(helds, held)
	}
	if len(members) < 2 {
		return nil, nil
	}
	first := plan[members[0]]
	it := first.item
	sets, err := e.openEntrySets(ctx, plan, members, runID, opts)
	if err != nil {
		return nil, err
	}
	tenants := make([]string, len(members))
	var planned int64
	for j, i := range members {
		tenants[j] = plan[i].Tenant
		planned += plan[i].Rows
	}
	due := e.due(it, "", *first.Cutoff)
	due.Tenant = nil
	due.Limit = opts.Batch
	if changesInPlace(it) {
		byTenant := map[string]*walkTenant{}
		for j, t := range tenants {
			byTenant[t] = &walkTenant{set: sets[j], held: helds[j]}
		}
		err = e.walkInPlace(ctx, it, due, it.node.tenant, byTenant, planned, opts)
	} else {
		entry := map[string]int64{}
		for j, t := range tenants {
			entry[t] = sets[j].ids[it.node.name]
		}
		var sliced bool
		if sliced, err = e.walkPurgeByClock(ctx, it, due, tenants, entry, planned, opts); err == nil && !sliced {
			err = e.walkPurge(ctx, due, it.node.tenant, tenants, entry, planned, opts)
		}
	}
	if err != nil {
		return nil, err
	}
	sealed, err := e.sealEntrySets(ctx, sets)
	if err != nil {
		return nil, err
	}
	out := map[int][]ledger.Entry{}
	for j, i := range members {
		out[i] = sealed[j]
	}
	return out, nil
}
