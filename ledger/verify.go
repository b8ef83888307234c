package ledger

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"lethe/dialect"
)

// Report is what Verify found.
type Report struct {
	Entries  int     // sealed entries checked
	Unsealed []Entry // entries of crashed or running runs, by id
	OK       bool
	// BadID is the first entry whose hash or link does not match, 0 when
	// OK, and also 0 when what is wrong is the head (the newest entries
	// are gone, or the head was changed).
	BadID   int64
	Problem string // what is wrong, for a person
	HeadSeq int64
}

// chain follows sealed entries in seq order and says where a link breaks.
type chain struct {
	seq  int64  // of the entry checked last, or where the pruned part ended
	hash string // its hash
	// prunedBy is the seq of the pruning entry the chain starts after,
	// while the first entry is still to come; 0 otherwise.
	prunedBy int64
}

// next checks that e is intact and follows the entry before it, and moves
// on to e. It returns what is wrong, or "".
func (c *chain) next(e Entry) string {
	prev, prunedBy := *c, c.prunedBy
	c.seq, c.hash, c.prunedBy = e.Seq, e.Hash, 0
	switch {
	case Hash(e) != e.Hash:
		return "hash does not match its contents (was the entry changed?)"
	case e.Seq <= prev.seq && prunedBy != 0:
		return fmt.Sprintf("seq %d should be gone: pruning entry seq %d removed the chain through seq %d", e.Seq, prunedBy, prev.seq)
	case e.Seq <= prev.seq:
		return fmt.Sprintf("seq %d does not follow seq %d", e.Seq, prev.seq)
	case e.Seq == prev.seq+2:
		return fmt.Sprintf("entry seq %d before it is missing (deleted?)", prev.seq+1)
	case e.Seq > prev.seq+1:
		return fmt.Sprintf("entries seq %d to %d before it are missing (deleted?)", prev.seq+1, e.Seq-1)
	case e.PrevHash == prev.hash:
		return ""
	case prunedBy != 0:
		return fmt.Sprintf("prev_hash does not match the through_hash of pruning entry seq %d", prunedBy)
	case prev.seq == 0:
		return "prev_hash is not 64 zeros, as the first entry's must be"
	default:
		return fmt.Sprintf("prev_hash does not match entry seq %d", prev.seq)
	}
}

// pruned is what a pruning entry's detail records.
type pruned struct {
	ThroughSeq  *int64 `json:"through_seq"`
	ThroughHash string `json:"through_hash"`
}

// chainStart finds where the chain starts: after the part the latest
// pruning removed, or at the beginning. When the latest pruning entry is
// itself broken, it returns that entry and what is wrong with it.
func (l *Ledger) chainStart(ctx context.Context, q dialect.Querier) (c chain, bad Entry, problem string, err error) {
	b := l.build()
	query := "SELECT " + b.selectList() + " FROM " + b.table() +
		" WHERE " + b.q("reason") + " = " + b.arg(ReasonPruned) + " AND " + b.q("seq") + " IS NOT NULL" +
		" ORDER BY " + b.q("seq") + " DESC LIMIT 1"
	var p Entry
	var found bool
	err = queryEntries(ctx, q, query, b.args, func(e Entry) error {
		p, found = e, true
		return nil
	})
	if err != nil {
		return chain{}, Entry{}, "", fmt.Errorf("read the latest pruning: %w", err)
	}
	if !found {
		return chain{hash: ZeroHash}, Entry{}, "", nil
	}
	if Hash(p) != p.Hash {
		return chain{}, p, "hash does not match its contents (was the entry changed?)", nil
	}
	var d pruned
	if json.Unmarshal([]byte(p.Detail), &d) != nil || d.ThroughSeq == nil || *d.ThroughSeq < 0 || len(d.ThroughHash) != len(ZeroHash) {
		return chain{}, p, "this pruning entry's detail does not say where the removed part of the chain ended", nil
	}
	return chain{seq: *d.ThroughSeq, hash: d.ThroughHash, prunedBy: p.Seq}, Entry{}, "", nil
}

// Verify walks the sealed entries by seq, recomputes each hash, checks
// each link and that the head names the last entry, and lists the
// unsealed entries. It reads one snapshot of the ledger, so seals running
// meanwhile neither show nor wait.
func (l *Ledger) Verify(ctx context.Context) (Report, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if l.d.Name() != "sqlite" { // SQLite's read transactions are snapshots already
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := l.d.DB().BeginTx(ctx, opts)
	if err != nil {
		return Report{}, fmt.Errorf("verify the ledger: %w", err)
	}
	defer tx.Rollback()

	b := l.build()
	var h head
	err = tx.QueryRowContext(ctx, "SELECT "+b.q("seq")+", "+b.q("hash")+" FROM "+b.q(headTable)+" WHERE "+b.q("id")+" = 1").Scan(&h.seq, &h.hash)
	if err != nil {
		return Report{}, fmt.Errorf("verify the ledger: read the head: %w", err)
	}
	r := Report{OK: true, HeadSeq: h.seq}
	fail := func(id int64, problem string) {
		if r.OK {
			r.OK, r.BadID, r.Problem = false, id, problem
		}
	}

	c, bad, problem, err := l.chainStart(ctx, tx)
	if err != nil {
		return Report{}, fmt.Errorf("verify the ledger: %w", err)
	}
	if problem != "" {
		fail(bad.ID, problem)
	}

	b = l.build()
	query := "SELECT " + b.selectList() + " FROM " + b.table() + " WHERE " + b.q("seq") + " IS NOT NULL ORDER BY " + b.q("seq")
	err = queryEntries(ctx, tx, query, nil, func(e Entry) error {
		r.Entries++
		if p := c.next(e); p != "" {
			fail(e.ID, p)
		}
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("verify the ledger: %w", err)
	}
	switch {
	case h.seq > c.seq:
		fail(0, fmt.Sprintf("the head records seq %d, but the last entry is seq %d: the newest entries are missing (deleted?)", h.seq, c.seq))
	case h.seq < c.seq:
		fail(0, fmt.Sprintf("the head records seq %d, but entries go on to seq %d (was the head changed?)", h.seq, c.seq))
	case h.hash != c.hash:
		fail(0, fmt.Sprintf("the head's hash does not match entry seq %d (was the head changed?)", c.seq))
	}

	b = l.build()
	query = "SELECT " + b.selectList() + " FROM " + b.table() + " WHERE " + b.q("seq") + " IS NULL ORDER BY " + b.q("id")
	err = queryEntries(ctx, tx, query, nil, func(e Entry) error {
		r.Unsealed = append(r.Unsealed, e)
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("verify the ledger: %w", err)
	}
	return r, nil
}
