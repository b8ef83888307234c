package engine

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"lethe/dialect"
	"lethe/ledger"
)

// inPlaceGroups finds the plan rows of one item that changes its rows in
// place (changesInPlace), for every tenant (opts.Tenant nil), with the
// same cutoff, to run together. When their due rows, or their rows before
// the cutoff, together are enough of the table that it is walked
// (walks), a group runs in one walk over all its tenants (runGroup); it
// is returned in walked. Else, on SQLite, a subject's anonymize group
// runs in tenant rounds (runMaskGroup), returned in rounds. Both by the
// index of the group's first row.
//
// Rounds only when no batch size is asked for: a round's size is the sum
// of its tenants' pages, which an explicit size would not bound. Only on
// SQLite, where a commit writes whole pages to the WAL and statements
// cost no round trip: at 300k rows of 20 tenants rounds took the
// anonymize bench from 3.7 s to 2.3 s there, while on PostgreSQL (2.7 s
// to 7.1 s) and MariaDB (4.2 s to 6.0 s) their many small statements cost
// more than the pages they save.
func (e *Engine) inPlaceGroups(ctx context.Context, plan []PlanRow, opts SweepOptions) (walked, rounds map[int][]int, err error) {
	if opts.Tenant != nil {
		return nil, nil, nil
	}
	walked, rounds = map[int][]int{}, map[int][]int{}
	for _, part := range groupByCutoff(plan, func(r PlanRow) bool {
		return changesInPlace(r.item) && r.item.node.tenant != ""
	}) {
		it := plan[part[0]].item
		var due, before int64
		for _, i := range part {
			due += plan[i].Rows
			before += plan[i].before
		}
		walk, err := e.walks(ctx, it, due, before, opts)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case walk:
			walked[part[0]] = part
		case it.stage == stageAnonymize && opts.adaptive && e.d.Name() == "sqlite":
			rounds[part[0]] = part
		}
	}
	return walked, rounds, nil
}

// roundMember is one tenant of a group in tenant rounds: its plan row, its
// ledger entries and where its pages stand.
type roundMember struct {
	row    int
	tenant string
	set    *entrySet
	due    dialect.Due
	active bool
	// bounded: pages are read in clock order from the clock value from
	// (dialect.SelectDueKeysFrom); the last page of a tenant is unbounded.
	bounded bool
	from    any
	tail    bool // left the rounds for its unbounded pages
}

// runMaskGroup anonymizes the due rows of a group of plan rows (see
// inPlaceGroups) in rounds: each transaction takes one page of every tenant
// still with due rows, each page selected, masked and recorded exactly as
// runItem does for the tenant alone. A table's tenants share its pages, so
// a sweep of one tenant after another rewrites every page once per tenant;
// a round writes the pages of its period once for all of them. A tenant
// on hold, or with held subjects, is left out to run on its own, as is the
// whole group when fewer than two tenants remain. It returns the sealed
// entries of each plan row it ran, by index.
func (e *Engine) runMaskGroup(ctx context.Context, plan []PlanRow, group []int, runID string, opts SweepOptions) (map[int][]ledger.Entry, error) {
	it := plan[group[0]].item
	var members []*roundMember
	for _, i := range group {
		held, err := e.heldFor(ctx, plan[i].Tenant)
		if err != nil {
			return nil, err
		}
		if it.holdable && (held.tenant != nil || len(held.subjects[it.node.name]) > 0) {
			continue
		}
		// A tenant the plan found nothing due for takes no pages (see
		// runItem), but its entries are opened and sealed with the others.
		members = append(members, &roundMember{row: i, tenant: plan[i].Tenant, active: plan[i].Rows > 0})
	}
	if len(members) < 2 {
		return nil, nil
	}
	rows := make([]int, len(members))
	for j, m := range members {
		rows[j] = m.row
	}
	sets, err := e.openEntrySets(ctx, plan, rows, runID, opts)
	if err != nil {
		return nil, err
	}
	for j, m := range members {
		m.set = sets[j]
		m.due = e.due(it, m.tenant, *plan[m.row].Cutoff)
		m.due.Unordered = !it.checkDone // no held subjects: see runItem
		m.bounded = m.due.Unordered && len(it.clock.Columns) == 1
	}
	// Each round starts with a page of opts.Batch (DefaultBatch) rows over
	// all tenants, and grows as runItem's batches do.
	if err := e.rounds(ctx, it, members, max(1, opts.Batch/len(members)), opts); err != nil {
		return nil, err
	}
	// A tenant's last, unbounded pages step over every row it changed:
	// each tenant reads them in transactions of its own, so no round
	// holds its locks for all of them.
	for _, m := range members {
		if m.tail {
			m.active, m.tail = true, false
			if err := e.rounds(ctx, it, []*roundMember{m}, opts.Batch, opts); err != nil {
				return nil, err
			}
		}
	}
	sealed, err := e.sealEntrySets(ctx, sets) // sets[j] is members[j].set
	if err != nil {
		return nil, err
	}
	out := map[int][]ledger.Entry{}
	for j, m := range members {
		out[m.row] = sealed[j]
	}
	return out, nil
}

// rounds runs transactions of one page a member until no member is
// active: each page selected, masked and recorded as runItem does. A
// member whose bounded pages end leaves the rounds with tail set when
// there are others.
func (e *Engine) rounds(ctx context.Context, it *item, members []*roundMember, limit int, opts SweepOptions) error {
	if !slices.ContainsFunc(members, func(m *roundMember) bool { return m.active }) {
		return nil
	}
	start := time.Now()
	var done int64
	for {
		type page struct {
			keys    []any
			last    any // the clock of the last row of a bounded page
			changed counts
		}
		pages := make([]page, len(members))
		began := time.Now()
		err := e.inTx(ctx, func(tx *sql.Tx) error {
			for j, m := range members {
				if !m.active {
					continue
				}
				due := m.due
				due.Limit = limit
				var keys []any
				var err error
				if m.bounded {
					keys, pages[j].last, err = dialect.SelectDueKeysFrom(ctx, e.d, tx, due, m.from)
				} else {
					keys, err = dialect.SelectDueKeys(ctx, e.d, tx, due)
				}
				if err != nil {
					return err
				}
				pages[j].keys = keys
				if len(keys) == 0 {
					continue
				}
				changed, err := e.process(ctx, tx, it, m.tenant, keys, opts.At, nil)
				if err != nil {
					return err
				}
				pages[j].changed = changed
				for name, n := range changed {
					if n > 0 {
						if err := e.ledger.Add(ctx, tx, m.set.ids[name], n, 0); err != nil {
							return err
						}
					}
				}
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
		var rows int64
		active, found := 0, false
		for j, m := range members {
			if !m.active {
				continue
			}
			p := pages[j]
			n := p.changed[it.node.name]
			rows += n
			found = found || len(p.keys) > 0
			switch {
			case m.bounded && len(p.keys) == limit && n > 0:
				m.from = p.last
			case m.bounded:
				// A short page, or rows that stay due: end with the
				// unbounded pages runItem reads.
				m.bounded = false
				if n == 0 && len(p.keys) > 0 {
					m.due.Unordered = false
				}
				if len(members) > 1 {
					m.active, m.tail = false, true
				}
			case len(p.keys) == 0:
				m.active = false
			case m.due.Unordered && n == 0:
				m.due.Unordered = false // see runItem
				m.due.After = p.keys[len(p.keys)-1]
			case !m.due.Unordered:
				m.due.After = p.keys[len(p.keys)-1]
			case len(p.keys) < limit:
				m.active = false // a short page: nothing left (see runItem)
			}
			if m.active {
				active++
			}
		}
		if opts.OnBatch != nil {
			opts.OnBatch(rows, took)
		}
		if found && opts.afterBatch != nil {
			opts.afterBatch()
		}
		if active == 0 {
			break
		}
		done += rows
		throttle(ctx, opts.MaxRate, done, start)
		limit = nextBatch(limit, took, maxBatch)
	}
	return nil
}
