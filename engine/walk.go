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

// DefaultWalkers is how many stretches of a walked table are deleted at
// once, each by its own connection, when SweepOptions.Walkers is 0. One
// DELETE keeps one server core busy; a second on the next stretch keeps
// another (stretches share no rows, so they do not wait for each other).
const DefaultWalkers = 2

// walkers is how many batches of a walk run at once: one on SQLite,
// which has a single writer.
func (e *Engine) walkers(opts SweepOptions) int {
	if e.d.Name() == "sqlite" {
		return 1
	}
	if opts.Walkers > 0 {
		return opts.Walkers
	}
	return DefaultWalkers
}

// stretches hands out the stretches of one walk, in order, to its
// walkers, and ends the walk early once it has deleted (or masked) the
// rows the plan counted and, on a walk by key, no due row lies further on
// (dialect.DueBeyond).
type stretches struct {
	mu      sync.Mutex
	last    dialect.Stretch
	done    bool
	planned int64 // due rows the plan counted; 0 when not known
	deleted int64 // rows the walk's committed batches deleted
	looked  int64 // deleted when DueBeyond last found more
	pages   bool  // a walk by pages (see next)
}

// next returns the stretch after the last one handed out, of size keys
// or pages, or false when the walk is over.
func (c *stretches) next(ctx context.Context, e *Engine, due dialect.Due, column string, tenants []string, size int) (dialect.Stretch, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return dialect.Stretch{}, false, nil
	}
	if c.planned > 0 && c.deleted >= c.planned && c.deleted > c.looked && c.last.To != nil {
		if c.pages {
			// A walk by pages cannot look further on through the indexes
			// (see dialect.DueBeyond): it ends once it has changed every
			// row the plan counted, instead of reading the rest of the
			// table (110 ms of a 1.4 s purge of 1M rows of 2M on
			// PostgreSQL). A row that became due after the plan, written
			// with an old clock while the walk ran, is left to the next
			// sweep.
			c.done = true
			return dialect.Stretch{}, false, nil
		}
		more, err := dialect.DueBeyond(ctx, e.d, e.d.DB(), due, c.last, column, tenants)
		if err != nil {
			return c.last, false, err
		}
		if !more {
			c.done = true
			return dialect.Stretch{}, false, nil
		}
		c.looked = c.deleted
	}
	s, err := dialect.NextStretch(ctx, e.d, e.d.DB(), due.Table, due.Key, c.last, size)
	if err != nil {
		return s, false, err
	}
	c.last, c.done = s, s.Last
	return s, true, nil
}

// add counts a committed batch's rows and returns the walk's total.
func (c *stretches) add(n int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deleted += n
	return c.deleted
}

// walkPurge deletes the due rows of a plain purge stretch by stretch (see
// dialect.Stretch), each stretch a batch transaction that also adds what
// it deleted to the ledger, several stretches at once (walkers). With a
// tenant column the rows of the given tenants go, each tenant's count to
// its entry; without one (column ""), due.Tenant may still name the
// tenant, and the count goes to entries[""].
func (e *Engine) walkPurge(ctx context.Context, due dialect.Due, column string, tenants []string, entries map[string]int64, planned int64, opts SweepOptions) error {
	return e.walkStretches(ctx, due, column, tenants, planned, opts, func(ctx context.Context, tx *sql.Tx, s dialect.Stretch) (int64, error) {
		gone, err := dialect.DeleteStretch(ctx, e.d, tx, due, s, column, tenants)
		if err != nil || gone.Total == 0 {
			return 0, err
		}
		return gone.Total, e.addDeleted(ctx, tx, gone, column, entries)
	})
}

// walkStretches runs batch on each stretch of a walk of due's table (see
// dialect.Stretch), in order, each in a transaction of its own, several at
// once (walkers), with the hooks, throttle and adaptive stretch size of a
// sweep. batch changes and records the due rows of the given tenants
// (column "": of due.Tenant) within its stretch, and returns how many
// rows of the walked table it changed: once they reach planned, the walk
// may end early (see stretches).
func (e *Engine) walkStretches(ctx context.Context, due dialect.Due, column string, tenants []string, planned int64, opts SweepOptions, batch func(ctx context.Context, tx *sql.Tx, s dialect.Stretch) (int64, error)) error {
	by, err := e.walkBy(ctx, due, opts)
	if err != nil {
		return err
	}
	size, most := due.Limit, maxStretchKeys
	if by == dialect.ByPages {
		size, most = 16, maxStretchPages
	}
	// Read committed on MariaDB: InnoDB's default (repeatable read) locks
	// the gap after each stretch's last key, where the next stretch, in
	// another walker's hands, begins. PostgreSQL reads committed anyway.
	var txOpts *sql.TxOptions
	if e.d.Name() == "mysql" {
		txOpts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	cursor := &stretches{last: dialect.FirstStretch(by), planned: planned, pages: by == dialect.ByPages}
	return e.walkTogether(ctx, e.walkers(opts), opts, func(ctx context.Context, _ int, opts SweepOptions, done batchDone) error {
		size := size
		for {
			s, ok, err := cursor.next(ctx, e, due, column, tenants, size)
			if err != nil || !ok {
				return err
			}
			n, took, err := e.batchTx(ctx, txOpts, opts, func(tx *sql.Tx) (int64, error) {
				return batch(ctx, tx, s)
			})
			if err != nil {
				return err
			}
			done(n, cursor.add(n), took)
			if opts.adaptive {
				size = nextBatch(size, took, most)
			}
		}
	})
}

// batchDone is how a walker reports a committed batch: the rows it
// changed, the walk's total so far, and how long it was open.
type batchDone func(rows, sofar int64, took time.Duration)

// walkTogether runs walk on n walkers at once, each on a goroutine of its
// own, with opts' hooks made safe to call from them; walk calls done
// after each batch it commits, which reports it and throttles the walk.
// The first walker to fail stops the others: its error is the cause.
func (e *Engine) walkTogether(ctx context.Context, n int, opts SweepOptions, walk func(ctx context.Context, w int, opts SweepOptions, done batchDone) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex // the hooks
		start = time.Now()
		errs  = make([]error, n)
		wg    sync.WaitGroup
	)
	if hook := opts.beforeCommit; hook != nil {
		opts.beforeCommit = func() {
			mu.Lock()
			defer mu.Unlock()
			hook()
		}
	}
	done := func(rows, sofar int64, took time.Duration) {
		mu.Lock()
		e.afterBatch(opts, rows, took)
		mu.Unlock()
		throttle(ctx, opts.MaxRate, sofar, start)
	}
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[w] = walk(ctx, w, opts, done); errs[w] != nil {
				cancel() // the other walkers stop; a batch in flight rolls back
			}
		}()
	}
	wg.Wait()
	// The first error is the cause; others are walkers the cancel stopped.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return errors.Join(errs...)
}

// walkBy is how a walk steps through the table: by pages where the
// server can (a walk by pages cannot bound the rows of a batch, so only
// when no batch size was asked for), else by values of an integer key,
// which needs no read for a stretch's end, else by key.
func (e *Engine) walkBy(ctx context.Context, due dialect.Due, opts SweepOptions) (dialect.Walk, error) {
	if opts.adaptive {
		pages, err := dialect.WalksPages(ctx, e.d, e.d.DB())
		if err != nil || pages {
			return dialect.ByPages, err
		}
	}
	if t, ok := e.schema.Table(due.Table); ok {
		if c, ok := t.Column(due.Key); ok && c.IsInteger() {
			return dialect.ByIntegerKey, nil
		}
	}
	return dialect.ByKey, nil
}

// addDeleted adds what a batch of a walk deleted to the ledger, in the
// batch's transaction.
func (e *Engine) addDeleted(ctx context.Context, tx *sql.Tx, gone dialect.Deleted, column string, entries map[string]int64) error {
	if column == "" {
		return e.ledger.Add(ctx, tx, entries[""], gone.Total, 0)
	}
	add := map[int64]int64{}
	for t, n := range gone.Counts {
		id, ok := entries[t]
		if !ok {
			// Not a tenant it was given: a bug, or a tenant column the
			// server returns in another form. Undo the batch.
			return fmt.Errorf("a batch deleted rows of a tenant it was not given")
		}
		add[id] = n
	}
	return e.ledger.AddRows(ctx, tx, add)
}
