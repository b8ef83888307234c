package engine

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"lethe"
	"lethe/dialect"
	"lethe/ledger"
)

// SweepOptions choose what a sweep runs and how.
type SweepOptions struct {
	At      time.Time
	Tenant  *string // nil: every tenant
	Only    string  // a subject or dataset name; "" for all
	DryRun  bool    // plan only
	Confirm bool    // run even when the guard trips
	Actor   string  // recorded in the ledger; "cli" by default
	Batch   int     // rows per batch transaction; 0: from DefaultBatch, sized to keep each near TargetTx
	MaxRate float64 // rows per second at most; 0 for no throttle
	// Walkers is how many batches of a table walked in stored order (a
	// purge of a large share of it) run at once, each on a connection of
	// its own; 0 means DefaultWalkers. SQLite always runs one.
	Walkers int
	// OnBatch, when set, is called after each batch transaction commits
	// with the rows it changed in the item's own dataset and how long the
	// transaction was open (progress reports, benchmarks).
	OnBatch func(rows int64, took time.Duration)
	// afterBatch and beforeCommit, for tests, run after each committed
	// batch and inside each batch just before it commits.
	afterBatch   func()
	beforeCommit func()
	// adaptive: no batch size was asked for, so batches that can grow do,
	// keeping each transaction near TargetTx.
	adaptive bool
	// noWalks, for tests: no table is walked (see walks), so the paths
	// that find due rows through an index run.
	noWalks bool
	// byClock, for tests, is called when a purge walks a table by its
	// clock (walkPurgeByClock).
	byClock func()
	// tableRows holds, for the run, each table's rows as walks reads them
	// (a count on SQLite), so tenants run one by one read them once.
	tableRows map[string]int64
}

// SweepResult is what a sweep did.
type SweepResult struct {
	RunID   string         `json:"run_id"`
	DryRun  bool           `json:"dry_run"`
	Plan    []PlanRow      `json:"plan"`
	Entries []ledger.Entry `json:"entries"` // sealed ledger entries, in the order written
	Pruned  int64          `json:"ledger_pruned"`
}

// Sweep runs every stage that is due: per subject deactivate, anonymize,
// delete; then retention rules; then soft-delete purges; then ledger
// pruning. The guard is checked for every table before any change.
func (e *Engine) Sweep(ctx context.Context, opts SweepOptions) (*SweepResult, error) {
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
		opts.adaptive = true
	}
	opts.tableRows = map[string]int64{}
	if opts.Actor == "" {
		opts.Actor = "cli"
	}
	plan, err := e.Plan(ctx, PlanOptions{At: opts.At, Tenant: opts.Tenant, Only: opts.Only})
	if err != nil {
		return nil, err
	}
	res := &SweepResult{RunID: newRunID(), DryRun: opts.DryRun, Plan: plan}
	if opts.DryRun {
		return res, nil
	}
	if !opts.Confirm {
		if err := e.guard(ctx, plan); err != nil {
			return res, err
		}
	}
	if e.masker == nil {
		for _, r := range plan {
			if (r.Stage == stageAnonymize || r.Stage == stageRetentionAnonymize) && r.Rows > 0 {
				return res, lethe.Errorf(lethe.EINVALID, "%s has %d rows to anonymize, and anonymization needs a secret key: set LETHE_SECRET (e.g. export LETHE_SECRET=$(openssl rand -hex 32)) or secret_file in the policy", r.Dataset, r.Rows)
			}
		}
	}
	groups, err := e.purgeGroups(ctx, plan, opts)
	if err != nil {
		return res, err
	}
	walked, rounds, err := e.inPlaceGroups(ctx, plan, opts)
	if err != nil {
		return res, err
	}
	if groups == nil {
		groups = map[int][]int{}
	}
	for first, group := range walked {
		groups[first] = group
	}
	for first, group := range rounds {
		groups[first] = group
	}
	ran := map[int][]ledger.Entry{} // entries of plan rows a group ran
	for i, r := range plan {
		if entries, ok := ran[i]; ok {
			res.Entries = append(res.Entries, entries...)
			continue
		}
		if group, ok := groups[i]; ok {
			run := e.runGroup
			if _, ok := rounds[i]; ok {
				run = e.runMaskGroup
			}
			byRow, err := run(ctx, plan, group, res.RunID, opts)
			for _, j := range group {
				if entries, ok := byRow[j]; ok {
					ran[j] = entries
				}
			}
			if err != nil {
				for _, j := range group {
					res.Entries = append(res.Entries, ran[j]...)
				}
				return res, fmt.Errorf("%s %s of every tenant: %w", r.Dataset, r.Stage, err)
			}
			if entries, ok := ran[i]; ok {
				res.Entries = append(res.Entries, entries...)
				continue
			}
		}
		entries, err := e.runItem(ctx, r, res.RunID, opts)
		res.Entries = append(res.Entries, entries...)
		if err != nil {
			return res, fmt.Errorf("%s %s of tenant %q: %w", r.Dataset, r.Stage, r.Tenant, err)
		}
	}
	if keep := e.policy.LedgerKeep; !keep.Off() && opts.Tenant == nil && opts.Only == "" {
		if res.Pruned, err = e.ledger.Prune(ctx, keep.Before(opts.At), opts.Actor, opts.At); err != nil {
			return res, err
		}
	}
	return res, nil
}

func newRunID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// entrySet holds the open ledger entries of one item and tenant: one per
// dataset the item may touch, opened before the first batch so a run that
// changes nothing is recorded too.
type entrySet struct {
	ids   map[string]int64
	order []string
	notes map[string]string // detail JSON to seal with
}

func (e *Engine) openEntries(ctx context.Context, r PlanRow, runID string, names []string, opts SweepOptions) (*entrySet, error) {
	return e.openEntriesIn(ctx, e.d.DB(), r, runID, names, opts)
}

func (e *Engine) openEntriesIn(ctx context.Context, q dialect.Querier, r PlanRow, runID string, names []string, opts SweepOptions) (*entrySet, error) {
	set := &entrySet{ids: map[string]int64{}, notes: map[string]string{}}
	for _, name := range names {
		if _, dup := set.ids[name]; dup {
			continue
		}
		id, err := e.ledger.Open(ctx, q, ledger.Entry{
			RunID: runID, At: opts.At, Tenant: r.Tenant, Dataset: name, Reason: r.item.reason,
			Cutoff: r.Cutoff, Actor: opts.Actor,
		})
		if err != nil {
			return nil, err
		}
		set.ids[name] = id
		set.order = append(set.order, name)
	}
	return set, nil
}

func (e *Engine) sealEntries(ctx context.Context, set *entrySet) ([]ledger.Entry, error) {
	var out []ledger.Entry
	for _, name := range set.order {
		entry, err := e.ledger.Seal(ctx, set.ids[name], set.notes[name])
		if err != nil {
			return out, err
		}
		out = append(out, entry)
	}
	return out, nil
}

// openEntrySets opens the entries of the given plan rows, all of one
// item, in one transaction, and sealEntrySets seals them in one: a group
// of many tenants would otherwise pay a commit an entry, each as dear as
// a batch's.
func (e *Engine) openEntrySets(ctx context.Context, plan []PlanRow, rows []int, runID string, opts SweepOptions) ([]*entrySet, error) {
	sets := make([]*entrySet, len(rows))
	err := e.inTx(ctx, func(tx *sql.Tx) error {
		for j, i := range rows {
			set, err := e.openEntriesIn(ctx, tx, plan[i], runID, e.touched(plan[i].item), opts)
			if err != nil {
				return err
			}
			sets[j] = set
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sets, nil
}

func (e *Engine) sealEntrySets(ctx context.Context, sets []*entrySet) ([][]ledger.Entry, error) {
	out := make([][]ledger.Entry, len(sets))
	err := e.inTx(ctx, func(tx *sql.Tx) error {
		for j, set := range sets {
			for _, name := range set.order {
				entry, err := e.ledger.SealTx(ctx, tx, set.ids[name], set.notes[name])
				if err != nil {
					return err
				}
				out[j] = append(out[j], entry)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err // rolled back: none sealed
	}
	return out, nil
}

// touched lists the datasets an item may change: the item's own, and for
// deletions and anonymization the datasets owned by it, through chains, and
// what a purge cascades to.
func (e *Engine) touched(it *item) []string {
	names := []string{it.node.name}
	switch it.stage {
	case stageAnonymize:
		e.walk(it.node.name, func(n *node) bool { return len(n.fields) > 0 }, &names)
	case stageDelete, stageRetention:
		e.walk(it.node.name, func(*node) bool { return true }, &names)
	case stagePurge:
		for _, link := range it.node.softDelete.Cascade {
			if target := e.nodeNamed(link.Name); target != nil {
				names = append(names, target.name)
				e.walk(target.name, func(*node) bool { return true }, &names)
			}
		}
		e.walk(it.node.name, func(*node) bool { return true }, &names)
	}
	return names
}

func (e *Engine) walk(owner string, keep func(*node) bool, names *[]string) {
	for _, c := range e.children(owner) {
		if keep(c) {
			*names = append(*names, c.name)
		}
		e.walk(c.name, keep, names)
	}
}

// counts are rows changed per dataset in one batch.
type counts map[string]int64

// runItem carries out one plan row in batches.
func (e *Engine) runItem(ctx context.Context, r PlanRow, runID string, opts SweepOptions) ([]ledger.Entry, error) {
	it := r.item
	set, err := e.openEntries(ctx, r, runID, e.touched(it), opts)
	if err != nil {
		return nil, err
	}
	if r.Cutoff == nil {
		return e.sealEntries(ctx, set)
	}
	held, err := e.heldFor(ctx, r.Tenant)
	if err != nil {
		return nil, err
	}
	primary := set.ids[it.node.name]
	if it.holdable && held.tenant != nil {
		// The tenant is on hold: record what was skipped, change nothing.
		if err := e.inTx(ctx, func(tx *sql.Tx) error { return e.ledger.Add(ctx, tx, primary, 0, r.Held) }); err != nil {
			return nil, err
		}
		return e.sealEntries(ctx, set)
	}
	if r.Rows == 0 && r.Held == 0 && !it.archive {
		// The plan found nothing due: no page need look. One would read
		// every row before the cutoff that an earlier run stamped, to find
		// none (2.2 s of a sweep of 1M people on SQLite with nothing due).
		// A row that became due since the plan is left to the next sweep.
		return e.sealEntries(ctx, set)
	}
	var arch *archive
	if it.archive {
		if arch, err = e.openArchive(runID, r, opts.At); err != nil {
			return nil, err
		}
		defer arch.abandon()
	}
	due := e.due(it, r.Tenant, *r.Cutoff)
	due.Limit = opts.Batch
	if e.plainPurge(it, arch) {
		walk, err := e.walks(ctx, it, r.Rows, 0, opts)
		if err != nil {
			return nil, err
		}
		if err := e.purgeDue(ctx, due, primary, walk, r.Rows, opts); err != nil {
			return nil, err
		}
		return e.sealEntries(ctx, set)
	}
	if changesInPlace(it) {
		walk, err := e.walks(ctx, it, r.Rows, r.before, opts)
		if err != nil {
			return nil, err
		}
		if walk {
			members := map[string]*walkTenant{r.Tenant: {set: set, held: held}}
			if err := e.walkInPlace(ctx, it, due, "", members, r.Rows, opts); err != nil {
				return nil, err
			}
			return e.sealEntries(ctx, set)
		}
	}
	// Rows a batch changes leave the selection when the stage stamps them or
	// writes what it checks for, so the next page needs no keyset: pages are
	// then picked by the database's own index on the clock instead of a walk
	// of the primary key. Held subjects stay due, so they need the keyset.
	due.Unordered = !it.checkDone && (it.stage == stageAnonymize || it.stage == stageDeactivate) &&
		!(it.holdable && len(held.subjects[it.node.name]) > 0)
	start := time.Now()
	var done int64
	for {
		var keys []any
		var changed counts
		began := time.Now()
		err := e.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			keys, err = dialect.SelectDueKeys(ctx, e.d, tx, due)
			if err != nil || len(keys) == 0 {
				return err
			}
			work, skipped := held.split(it, keys)
			if changed, err = e.process(ctx, tx, it, r.Tenant, work, opts.At, arch); err != nil {
				return err
			}
			for name, n := range changed {
				if n > 0 {
					if err := e.ledger.Add(ctx, tx, set.ids[name], n, 0); err != nil {
						return err
					}
				}
			}
			if skipped > 0 {
				if err := e.ledger.Add(ctx, tx, primary, 0, skipped); err != nil {
					return err
				}
			}
			if opts.beforeCommit != nil {
				opts.beforeCommit()
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		took := time.Since(began)
		if opts.OnBatch != nil {
			opts.OnBatch(changed[it.node.name], took)
		}
		if len(keys) == 0 {
			break
		}
		if opts.afterBatch != nil {
			opts.afterBatch()
		}
		if due.Unordered && changed[it.node.name] == 0 {
			// Rows that stay due although changed (a value the masks cannot
			// write): page through the rest by key, so the run ends.
			due.Unordered = false
		}
		if !due.Unordered {
			due.After = keys[len(keys)-1]
		}
		done += changed[it.node.name]
		throttle(ctx, opts.MaxRate, done, start)
		if due.Unordered && len(keys) < due.Limit {
			// A short page held every row still due, and each left the
			// selection: another would find none.
			break
		}
		if opts.adaptive && growable(it) {
			due.Limit = nextBatch(due.Limit, took, maxBatch)
		}
	}
	if arch != nil {
		detail, err := arch.close()
		if err != nil {
			return nil, err
		}
		set.notes[it.node.name] = detail
	}
	return e.sealEntries(ctx, set)
}

// growable says an item's batches may grow past DefaultBatch when no
// batch size was asked for: anonymization and deactivation, whose every
// batch is a few statements however many rows it takes.
func growable(it *item) bool {
	switch it.stage {
	case stageAnonymize, stageDeactivate:
		return true
	}
	return false
}

// throttle sleeps so that done rows since start stay under rate per second.
func throttle(ctx context.Context, rate float64, done int64, start time.Time) {
	if rate <= 0 {
		return
	}
	want := time.Duration(float64(done) / rate * float64(time.Second))
	if wait := want - time.Since(start); wait > 0 {
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// process applies an item to one batch of keys inside tx.
func (e *Engine) process(ctx context.Context, tx *sql.Tx, it *item, tenant string, keys []any, at time.Time, arch *archive) (counts, error) {
	c := counts{}
	if len(keys) == 0 {
		return c, nil
	}
	n := it.node
	switch it.stage {
	case stageDeactivate:
		set := append([]lethe.Assignment{}, it.set...)
		if it.stamp != "" {
			set = append(set, lethe.Assignment{Column: it.stamp, Value: dialect.TimeArg(e.d, at, e.policy.Timezone)})
		}
		// In chunks: a batch grown by time, or a stretch of pages, may hold
		// more keys than a statement binds.
		for start := 0; start < len(keys); start += chunk {
			changed, err := dialect.UpdateByKeys(ctx, e.d, tx, n.table, n.key, keys[start:min(start+chunk, len(keys))], set, n.tenantFilter(tenant))
			c[n.name] += changed
			if err != nil {
				return c, err
			}
		}
		return c, nil
	case stageAnonymize, stageRetentionAnonymize:
		return c, e.anonymize(ctx, tx, n, tenant, keys, it.stamp, at, it.stage == stageAnonymize, c)
	case stageDelete:
		return c, e.deleteRows(ctx, tx, n, tenant, keys, c)
	case stageRetention:
		if arch != nil {
			if err := arch.write(ctx, e, tx, n, keys); err != nil {
				return c, err
			}
		}
		return c, e.deleteRows(ctx, tx, n, tenant, keys, c)
	case stagePurge:
		for _, link := range n.softDelete.Cascade {
			target := e.nodeNamed(link.Name)
			if target == nil {
				continue
			}
			rows, err := e.selectIn(ctx, tx, target, link.Column, keys, nil)
			if err != nil {
				return c, err
			}
			if err := e.deleteRows(ctx, tx, target, tenant, keysOf(rows, target.key), c); err != nil {
				return c, err
			}
		}
		return c, e.deleteRows(ctx, tx, n, tenant, keys, c)
	}
	return c, fmt.Errorf("unknown stage %s", it.stage)
}

// chunk is the largest IN list one statement binds.
const chunk = 1000

// selectIn reads rows of n whose column holds one of values, in chunks.
// Rows found through their owner belong to the owner's tenant, whatever
// their own tenant column says, so no tenant condition applies.
func (e *Engine) selectIn(ctx context.Context, q dialect.Querier, n *node, column string, values []any, columns []string) ([]dialect.Row, error) {
	var out []dialect.Row
	for start := 0; start < len(values); start += chunk {
		part := values[start:min(start+chunk, len(values))]
		rows, err := dialect.SelectRows(ctx, e.d, q, n.table, n.key, append([]string{column}, columns...), dialect.In(column, part))
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

func keysOf(rows []dialect.Row, key string) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r[key]
	}
	return out
}

// deleteRows deletes rows of n and, first, what they own: owned rows are
// deleted (children first, through chains) or orphaned, as each dataset's
// on_subject_delete says.
func (e *Engine) deleteRows(ctx context.Context, tx *sql.Tx, n *node, tenant string, keys []any, c counts) error {
	if len(keys) == 0 {
		return nil
	}
	for _, child := range e.children(n.name) {
		rows, err := e.selectIn(ctx, tx, child, child.owner.Column, keys, nil)
		if err != nil {
			return err
		}
		childKeys := keysOf(rows, child.key)
		if child.onDelete == lethe.OnDeleteOrphan {
			for start := 0; start < len(childKeys); start += chunk {
				part := childKeys[start:min(start+chunk, len(childKeys))]
				changed, err := dialect.UpdateByKeys(ctx, e.d, tx, child.table, child.key, part, []lethe.Assignment{{Column: child.owner.Column, Value: nil}}, nil)
				if err != nil {
					return err
				}
				c[child.name] += changed
			}
			continue
		}
		if err := e.deleteRows(ctx, tx, child, tenant, childKeys, c); err != nil {
			return err
		}
	}
	for start := 0; start < len(keys); start += chunk {
		part := keys[start:min(start+chunk, len(keys))]
		deleted, err := dialect.DeleteByKeys(ctx, e.d, tx, n.table, n.key, part, nil)
		if err != nil {
			return err
		}
		c[n.name] += deleted
	}
	return nil
}

// keyText is a key as text, for tokens and maps.
func keyText(k any) string { return strings.TrimSpace(fmt.Sprint(k)) }
