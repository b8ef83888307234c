package engine

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"lethe"
	"lethe/dialect"
)

// anonymize masks the rows of n with the given keys that are not masked
// yet, and with cascade the rows every dataset owned by them holds,
// through chains, with the same person's token. Each table's rows are
// written by a few multi-row UPDATEs (dialect.UpdateRows) rather than one
// statement per row, which is what bounds a sweep's speed on a server.
func (e *Engine) anonymize(ctx context.Context, tx *sql.Tx, n *node, tenant string, keys []any, stamp string, at time.Time, cascade bool, c counts) error {
	var rows []dialect.Row
	if stamp != "" && n.owner == nil && masksFromToken(n) {
		// Nothing to read: the stamp says what is done, and the masks
		// need only the row's key, for its token.
		rows = make([]dialect.Row, len(keys))
		for i, k := range keys {
			rows[i] = dialect.Row{n.key: k}
		}
	} else {
		var err error
		if rows, err = e.readForMask(ctx, tx, n, keys); err != nil {
			return err
		}
	}
	var extra []lethe.Assignment
	if stamp != "" {
		extra = []lethe.Assignment{{Column: stamp, Value: dialect.TimeArg(e.d, at, e.policy.Timezone)}}
	}
	people := map[string]person{}
	var done []any
	w := e.newMaskWriter(n, extra)
	for _, r := range rows {
		p := e.tokenOf(n, r)
		if stamp == "" && e.masked(n, r, p) {
			continue // masked by an earlier run
		}
		if err := w.add(ctx, tx, tenant, r, p, at); err != nil {
			return err
		}
		c[n.name]++
		people[keyText(r[n.key])] = p
		done = append(done, r[n.key])
	}
	if err := w.flush(ctx, tx); err != nil {
		return err
	}
	if cascade {
		return e.anonymizeOwned(ctx, tx, n.name, tenant, done, people, at, c)
	}
	return nil
}

// anonymizeOwned masks the rows owned by the given owner keys, and what
// those rows own in turn.
func (e *Engine) anonymizeOwned(ctx context.Context, tx *sql.Tx, owner, tenant string, ownerKeys []any, people map[string]person, at time.Time, c counts) error {
	if len(ownerKeys) == 0 {
		return nil
	}
	for _, child := range e.children(owner) {
		own := e.children(child.name)
		if len(child.fields) == 0 && len(own) == 0 {
			continue // nothing to mask here or below
		}
		if len(own) == 0 && masksFromToken(child) {
			if w := e.newMaskWriterOn(child, child.owner.Column, nil); w.bulk {
				changed, err := w.writeByOwner(ctx, tx, ownerKeys, people)
				c[child.name] += changed
				if err != nil {
					return err
				}
				continue
			}
		}
		rows, err := e.selectIn(ctx, tx, child, child.owner.Column, ownerKeys, maskColumns(child))
		if err != nil {
			return err
		}
		childPeople := map[string]person{}
		childKeys := make([]any, 0, len(rows))
		w := e.newMaskWriter(child, nil)
		for _, r := range rows {
			p := people[keyText(r[child.owner.Column])]
			childPeople[keyText(r[child.key])] = p
			childKeys = append(childKeys, r[child.key])
			if len(child.fields) == 0 {
				continue
			}
			if err := w.add(ctx, tx, tenant, r, p, at); err != nil {
				return err
			}
			c[child.name]++
		}
		if err := w.flush(ctx, tx); err != nil {
			return err
		}
		if err := e.anonymizeOwned(ctx, tx, child.name, tenant, childKeys, childPeople, at, c); err != nil {
			return err
		}
	}
	return nil
}

// masksFromToken says the masks of n's rows follow from the person's
// token alone: no suppressed field to digest and no mask that reads the
// row's own value (hmac, redact), so all rows of one person get the same
// values and need not be read; n must have at least one field.
func masksFromToken(n *node) bool {
	if len(n.suppress) > 0 || len(n.fields) == 0 {
		return false
	}
	for _, f := range n.fields {
		if !maskReadsNothing(f.Mask) {
			return false
		}
	}
	return true
}

// maskReadsNothing says a mask writes the same whatever the value it
// replaces: it depends on the person's token at most.
func maskReadsNothing(m lethe.Mask) bool {
	switch m.Kind {
	case lethe.MaskKeep, lethe.MaskClear, lethe.MaskFixed, lethe.MaskPseudonym, lethe.MaskEmail:
		return true
	}
	return false
}

// writeByOwner masks every row of w's table owned by one of ownerKeys
// without reading them: one value row per owner, joined on the owner link
// (see masksFromToken). It returns the rows matched, which are the rows
// owned.
func (w *maskWriter) writeByOwner(ctx context.Context, tx *sql.Tx, ownerKeys []any, people map[string]person) (int64, error) {
	for _, k := range ownerKeys {
		set, err := w.e.masks(w.n, nil, people[keyText(k)])
		if err != nil {
			return 0, err
		}
		w.queue(k, set)
	}
	return w.write(ctx, tx)
}

// maskWriter gathers the masked values of rows of one table and writes
// them with dialect.UpdateRows; a table whose types PostgreSQL cannot be
// told falls back to maskRow.
type maskWriter struct {
	e     *Engine
	n     *node
	key   string // the column rows are matched on: n's key, or its owner link
	extra []lethe.Assignment
	cols  []string // fields written (keep excluded)
	types []string // key, then cols
	bulk  bool
	rows  [][]any
}

func (e *Engine) newMaskWriter(n *node, extra []lethe.Assignment) *maskWriter {
	return e.newMaskWriterOn(n, n.key, extra)
}

// newMaskWriterOn is a writer whose value rows are matched on key: n's
// own key, or a column that many rows share (all then get the same
// values).
func (e *Engine) newMaskWriterOn(n *node, key string, extra []lethe.Assignment) *maskWriter {
	w := &maskWriter{e: e, n: n, key: key, extra: extra, bulk: true}
	for _, f := range n.fields {
		if f.Mask.Kind != lethe.MaskKeep {
			w.cols = append(w.cols, f.Column)
		}
	}
	w.types = append(w.types, e.castType(n.table, key))
	for _, col := range w.cols {
		w.types = append(w.types, e.castType(n.table, col))
	}
	if e.d.Name() == "postgres" {
		for _, t := range w.types {
			w.bulk = w.bulk && t != ""
		}
	}
	return w
}

// castType is the type a VALUES parameter is cast to on PostgreSQL: the
// column's own, when it can be written as a cast.
func (e *Engine) castType(table, column string) string {
	t, ok := e.schema.Table(table)
	if !ok {
		return ""
	}
	c, ok := t.Column(column)
	if !ok || c.Type == "" || strings.ContainsAny(c.Type, `"()[]`) || strings.EqualFold(c.Type, "USER-DEFINED") || strings.EqualFold(c.Type, "ARRAY") {
		return ""
	}
	return c.Type
}

// add keeps the row's suppressed fields as digests, as maskRow does, and
// queues its masked values.
func (w *maskWriter) add(ctx context.Context, tx *sql.Tx, tenant string, r dialect.Row, p person, at time.Time) error {
	e, n := w.e, w.n
	if !w.bulk {
		return e.maskRow(ctx, tx, n, tenant, r, p, w.extra, at)
	}
	if err := e.suppress(ctx, tx, n, tenant, r, at); err != nil {
		return err
	}
	if len(w.cols)+len(w.extra) == 0 {
		return nil
	}
	set, err := e.masks(n, r, p)
	if err != nil {
		return err
	}
	w.queue(r[w.key], set)
	return nil
}

// queue keeps the masked values of the rows matching key for flush.
func (w *maskWriter) queue(key any, set []lethe.Assignment) {
	vals := make([]any, 0, len(set)+1)
	vals = append(vals, key)
	for _, a := range set {
		vals = append(vals, a.Value)
	}
	w.rows = append(w.rows, vals)
}

// flush writes the queued rows.
func (w *maskWriter) flush(ctx context.Context, tx *sql.Tx) error {
	_, err := w.write(ctx, tx)
	return err
}

// write writes the queued rows and returns how many table rows matched.
// Columns whose value is the same in every row (clear, fixed) are bound
// once.
func (w *maskWriter) write(ctx context.Context, tx *sql.Tx) (int64, error) {
	if len(w.rows) == 0 {
		return 0, nil
	}
	same := append([]lethe.Assignment{}, w.extra...)
	var cols, types []string
	types = append(types, w.types[0])
	keepIdx := []int{0}
	for j, col := range w.cols {
		if v, ok := constant(w.rows, j+1); ok {
			same = append(same, lethe.Assignment{Column: col, Value: v})
			continue
		}
		cols = append(cols, col)
		types = append(types, w.types[j+1])
		keepIdx = append(keepIdx, j+1)
	}
	rows := w.rows
	if len(keepIdx) < len(w.cols)+1 {
		rows = make([][]any, len(w.rows))
		for i, r := range w.rows {
			row := make([]any, len(keepIdx))
			for k, j := range keepIdx {
				row[k] = r[j]
			}
			rows[i] = row
		}
	}
	n, err := dialect.UpdateRows(ctx, w.e.d, tx, w.n.table, w.key, same, cols, types, rows)
	w.rows = w.rows[:0]
	return n, err
}

// constant reports whether column j holds one value (NULL or one text) in
// every row.
func constant(rows [][]any, j int) (any, bool) {
	first := rows[0][j]
	switch first.(type) {
	case nil, string:
	default:
		return nil, false
	}
	for _, r := range rows[1:] {
		switch v := r[j].(type) {
		case nil:
			if first != nil {
				return nil, false
			}
		case string:
			if s, ok := first.(string); !ok || s != v {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return first, true
}
