package engine

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"lethe/dialect"
)

// changesInPlace says an item changes its rows instead of deleting them: a
// subject's deactivate and anonymize stages, or a retention rule's
// anonymize_after.
func changesInPlace(it *item) bool {
	switch it.stage {
	case stageDeactivate, stageAnonymize, stageRetentionAnonymize:
		return true
	}
	return false
}

// walkTenant is one tenant of a walk: its ledger entries and its holds.
type walkTenant struct {
	set  *entrySet
	held heldSet
}

// walkInPlace deactivates or anonymizes the due rows of an item that
// changes them in place (changesInPlace) stretch by stretch (see
// walkStretches), several stretches at once. Each stretch is one
// transaction: its due rows are read with their tenants, and each
// tenant's are changed (masked with what they own, for a subject's
// anonymization) and recorded in its entries, held subjects skipped and
// counted. The table's pages
// are then read and written once for all tenants, in the order they are
// stored, where one tenant after another, each paging through its rows by
// the index on the clock, rewrites every page once a tenant and finds
// owned rows one by one. With a tenant column the rows of the members'
// tenants are masked; without one (column ""), due.Tenant may name the
// tenant, and members holds that one tenant.
func (e *Engine) walkInPlace(ctx context.Context, it *item, due dialect.Due, column string, members map[string]*walkTenant, planned int64, opts SweepOptions) error {
	if column == "" && len(members) != 1 {
		return fmt.Errorf("%s: a walk without a tenant column masks for one tenant, not %d", it.node.name, len(members))
	}
	var tenants []string
	for t := range members {
		tenants = append(tenants, t)
	}
	slices.Sort(tenants)
	if e.keepsDigests(it) {
		// Two walkers could each wait for the other's digest on the
		// suppression list (two people who share two addresses, met in
		// opposite orders), which a server ends by failing one batch.
		opts.Walkers = 1
	}
	return e.walkStretches(ctx, due, column, tenants, planned, opts, func(ctx context.Context, tx *sql.Tx, s dialect.Stretch) (int64, error) {
		keys, of, err := dialect.SelectStretch(ctx, e.d, tx, due, s, column, tenants)
		if err != nil || len(keys) == 0 {
			return 0, err
		}
		// The keys of each tenant, tenants in the order first met; without
		// a tenant column all are the one member's.
		byTenant := map[string][]any{}
		var order []string
		for i, k := range keys {
			t := tenants[0]
			if of != nil {
				t = of[i]
			}
			if _, ok := byTenant[t]; !ok {
				order = append(order, t)
			}
			byTenant[t] = append(byTenant[t], k)
		}
		add, held := map[int64]int64{}, map[int64]int64{}
		var changed int64
		for _, t := range order {
			m := members[t]
			if m == nil {
				// Not a tenant it was given: a bug, or a tenant column the
				// server returns in another form. Undo the batch.
				return 0, fmt.Errorf("a batch read rows of a tenant it was not given")
			}
			work, skipped := m.held.split(it, byTenant[t])
			c, err := e.process(ctx, tx, it, t, work, opts.At, nil)
			if err != nil {
				return 0, err
			}
			for name, n := range c {
				if n > 0 {
					add[m.set.ids[name]] += n
				}
			}
			changed += c[it.node.name]
			if skipped > 0 {
				held[m.set.ids[it.node.name]] += skipped
			}
		}
		if len(held) == 0 {
			return changed, e.ledger.AddRows(ctx, tx, add)
		}
		// Entries one by one, in the order of their ids, as AddRows locks
		// them: walkers that lock entries in different orders could each
		// wait for the other.
		var ids []int64
		for id := range add {
			ids = append(ids, id)
		}
		for id := range held {
			if _, ok := add[id]; !ok {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		for _, id := range ids {
			if err := e.ledger.Add(ctx, tx, id, add[id], held[id]); err != nil {
				return 0, err
			}
		}
		return changed, nil
	})
}

// keepsDigests says whether an item adds digests to the suppression
// list: it masks, and its dataset, or one it masks, keeps suppressed
// fields.
func (e *Engine) keepsDigests(it *item) bool {
	if it.stage == stageDeactivate {
		return false
	}
	for _, name := range e.touched(it) {
		if n := e.nodeNamed(name); n != nil && len(n.suppress) > 0 {
			return true
		}
	}
	return false
}
