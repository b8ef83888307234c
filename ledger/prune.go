package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"lethe"
)

// Prune deletes the sealed entries sealed before `before` and records the
// pruning itself, in the same transaction, as a sealed entry: reason
// ledger_pruned, Rows the number of entries removed, Detail
// {"through_seq":S,"through_hash":H}, At and sealed at `at` (the clock
// when zero). It returns the number removed.
//
// Only a prefix of the chain goes: pruning stops at the first entry sealed
// at or after `before`, even if a later one (from a replica whose clock
// lags) was sealed earlier, so the chain that remains has no holes. A
// pruning that finds nothing to remove is recorded too, naming the same
// S and H as the one before it. Prune checks every entry it would remove
// and removes nothing when the chain is broken there: the evidence stays
// until a person has looked at it.
func (l *Ledger) Prune(ctx context.Context, before time.Time, actor string, at time.Time) (int64, error) {
	if at.IsZero() {
		at = l.now()
	}
	var removed int64
	err := l.inTx(ctx, func(tx *sql.Tx) error {
		// Locked first, so no seal moves the chain while it is cut.
		h, err := l.lockHead(ctx, tx)
		if err != nil {
			return fmt.Errorf("prune the ledger: %w", err)
		}
		c, bad, problem, err := l.chainStart(ctx, tx)
		if err != nil {
			return fmt.Errorf("prune the ledger: %w", err)
		}
		if problem != "" {
			return refuse(bad, problem)
		}

		b := l.build()
		var stop sql.NullInt64
		query := "SELECT MIN(" + b.q("seq") + ") FROM " + b.table() +
			" WHERE " + b.q("seq") + " IS NOT NULL AND " + b.q("sealed_at") + " >= " + b.arg(b.timeArg(before))
		if err := tx.QueryRowContext(ctx, query, b.args...).Scan(&stop); err != nil {
			return fmt.Errorf("prune the ledger: %w", err)
		}
		through := h.seq
		if stop.Valid {
			through = stop.Int64 - 1
		}

		if through > c.seq {
			var broken Entry
			b = l.build()
			query = "SELECT " + b.selectList() + " FROM " + b.table() +
				" WHERE " + b.q("seq") + " IS NOT NULL AND " + b.q("seq") + " <= " + b.arg(through) + " ORDER BY " + b.q("seq")
			err = queryEntries(ctx, tx, query, b.args, func(e Entry) error {
				if p := c.next(e); p != "" && problem == "" {
					broken, problem = e, p
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("prune the ledger: %w", err)
			}
			if problem != "" {
				return refuse(broken, problem)
			}
			if c.seq != through {
				return lethe.Errorf(lethe.ECONFLICT, "cannot prune the ledger: entry seq %d is missing; run lethe ledger verify", through)
			}
			b = l.build()
			query = "DELETE FROM " + b.table() + " WHERE " + b.q("seq") + " IS NOT NULL AND " + b.q("seq") + " <= " + b.arg(through)
			res, err := tx.ExecContext(ctx, query, b.args...)
			if err != nil {
				return fmt.Errorf("prune the ledger: %w", err)
			}
			if removed, err = res.RowsAffected(); err != nil {
				return fmt.Errorf("prune the ledger: %w", err)
			}
		}

		seq := c.seq
		detail, err := json.Marshal(pruned{ThroughSeq: &seq, ThroughHash: c.hash})
		if err != nil {
			return fmt.Errorf("prune the ledger: %w", err)
		}
		_, err = l.record(ctx, tx, Entry{At: at, Reason: ReasonPruned, Actor: actor, Rows: removed, Detail: string(detail)}, at)
		if err != nil {
			return fmt.Errorf("prune the ledger: record the pruning: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return removed, nil
}

func refuse(e Entry, problem string) error {
	return lethe.Errorf(lethe.ECONFLICT, "cannot prune the ledger: entry %d (seq %d) does not verify: %s; run lethe ledger verify", e.ID, e.Seq, problem)
}
