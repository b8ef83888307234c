package engine

import (
	"context"
	"database/sql"
	"time"

	"lethe/dialect"
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
// a transaction that also adds its count to the ledger entry, until a
// batch finds fewer rows than it may take.
func (e *Engine) purgeDue(ctx context.Context, due dialect.Due, entry int64, opts SweepOptions) error {
	start := time.Now()
	var done int64
	for {
		var n int64
		began := time.Now()
		err := e.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			if n, err = dialect.DeleteDue(ctx, e.d, tx, due); err != nil || n == 0 {
				return err
			}
			if err := e.ledger.Add(ctx, tx, entry, n, 0); err != nil {
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
