package engine

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"lethe"
	"lethe/dialect"
	"lethe/mask"
)

// person is whose data an owned row is: the token and own names of the
// subject at the root of its chain of owners.
type person struct {
	token string
	names []string
}

// readForMask reads the columns the masks of n need.
func (e *Engine) readForMask(ctx context.Context, q dialect.Querier, n *node, keys []any) ([]dialect.Row, error) {
	cols := maskColumns(n)
	var out []dialect.Row
	for start := 0; start < len(keys); start += chunk {
		part := keys[start:min(start+chunk, len(keys))]
		rows, err := dialect.SelectRows(ctx, e.d, q, n.table, n.key, cols, dialect.In(n.key, part))
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// tokenOf is the person a row of n stands for when it is masked on its own
// (a subject, or a dataset under a retention rule): the subject that owns
// it directly, else the row itself.
func (e *Engine) tokenOf(n *node, r dialect.Row) person {
	if e.masker == nil {
		return person{}
	}
	ref := n.name + ":" + keyText(r[n.key])
	if n.owner != nil && e.policy.Subject(n.owner.Name) != nil && r[n.owner.Column] != nil {
		ref = n.owner.Name + ":" + keyText(r[n.owner.Column])
	}
	return person{token: e.masker.Token(ref), names: nameValues(n, r)}
}

// nameValues are the row's own name fields, which redact's subject_name
// recogniser looks for in free text.
func nameValues(n *node, r dialect.Row) []string {
	var out []string
	for _, f := range n.fields {
		if strings.Contains(strings.ToLower(f.Column), "name") {
			if s, ok := r[f.Column].(string); ok && s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// masked reports whether every field of the row already holds what its
// mask writes.
func (e *Engine) masked(n *node, r dialect.Row, p person) bool {
	if e.masker == nil {
		return false
	}
	for _, f := range n.fields {
		if !e.masker.Done(f.Mask, e.column(n.table, f.Column), mask.Input{Value: r[f.Column], Token: p.token, Names: p.names}) {
			return false
		}
	}
	return true
}

// suppress keeps the row's suppressed fields as keyed digests on the
// tenant's suppression list, before they are masked or deleted.
func (e *Engine) suppress(ctx context.Context, tx *sql.Tx, n *node, tenant string, r dialect.Row, at time.Time) error {
	for _, col := range n.suppress {
		v, ok := r[col].(string)
		if !ok || v == "" {
			continue
		}
		if e.masker == nil {
			return lethe.Errorf(lethe.EINVALID, "%s keeps suppressed fields as keyed digests, which needs the secret key: set LETHE_SECRET", n.name)
		}
		err := dialect.InsertIgnore(ctx, e.d, tx, "lethe_suppression", []string{"tenant", "digest", "created_at"},
			[]any{tenant, e.masker.Digest(v), e.timeArg(at)})
		if err != nil {
			return err
		}
	}
	return nil
}

// masks returns what the row's fields become, in field order, keep left
// out.
func (e *Engine) masks(n *node, r dialect.Row, p person) ([]lethe.Assignment, error) {
	set := make([]lethe.Assignment, 0, len(n.fields))
	for _, f := range n.fields {
		if f.Mask.Kind == lethe.MaskKeep {
			continue
		}
		v, err := e.masker.Apply(f.Mask, e.column(n.table, f.Column), mask.Input{Value: r[f.Column], Token: p.token, Names: p.names})
		if err != nil {
			return nil, err
		}
		set = append(set, lethe.Assignment{Column: f.Column, Value: v})
	}
	return set, nil
}

// maskRow writes the masks of n into one row, after keeping its
// suppressed fields as digests.
func (e *Engine) maskRow(ctx context.Context, tx *sql.Tx, n *node, tenant string, r dialect.Row, p person, extra []lethe.Assignment, at time.Time) error {
	if err := e.suppress(ctx, tx, n, tenant, r, at); err != nil {
		return err
	}
	set, err := e.masks(n, r, p)
	if err != nil {
		return err
	}
	set = append(set, extra...)
	if len(set) == 0 {
		return nil
	}
	_, err = dialect.UpdateByKeys(ctx, e.d, tx, n.table, n.key, []any{r[n.key]}, set, nil)
	return err
}
