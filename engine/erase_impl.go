package engine

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"lethe"
	"lethe/dialect"
	"lethe/ledger"
)

// eraseTxRows is the most rows an erasure changes in one transaction; a
// larger one runs in batches, each recorded as it commits, and a re-run
// finishes what a crash interrupted.
const eraseTxRows = 20000

// eraseOp is what an erasure does to one dataset.
type eraseOp struct {
	node   *node
	action string // delete, anonymize, orphan
	unlink bool   // anonymize: also clear the link to an owner being deleted
	rows   []dialect.Row
}

func (e *Engine) erase(ctx context.Context, req EraseRequest) (*EraseResult, error) {
	subject := e.policy.Subject(req.Kind)
	if subject == nil {
		return nil, lethe.Errorf(lethe.EINVALID, "no subject kind %q in the policy: kinds are %s", req.Kind, strings.Join(e.subjectNames(), ", "))
	}
	if req.Actor == "" {
		return nil, lethe.Errorf(lethe.EINVALID, "an erasure needs an actor: who asked for it")
	}
	n := e.subjectNode(subject)
	ref := req.Kind + ":" + req.ID
	key, ok := e.keyValue(n, req.ID)
	if !ok {
		return nil, lethe.Errorf(lethe.ENOTFOUND, "no %s %s in tenant %q", req.Kind, req.ID, req.Tenant)
	}
	held, err := e.heldFor(ctx, req.Tenant)
	if err != nil {
		return nil, err
	}
	for _, h := range []*Hold{held.tenant, held.subjectHold(req.Kind, req.ID)} {
		if h != nil {
			return nil, lethe.Errorf(lethe.ECONFLICT, "%s in tenant %q is under legal hold %d (%s, since %s): nothing was erased",
				ref, req.Tenant, h.ID, h.Reason, h.CreatedAt.Format("2006-01-02"))
		}
	}
	ops, err := e.eraseOps(ctx, subject, n, key, req.Tenant)
	if err != nil {
		return nil, err
	}
	if totalRows(ops) == 0 {
		// Nothing bound to the subject: either it never existed here, or an
		// earlier erasure finished the job, which a re-run must not call a
		// failure.
		erased, err := e.erasedBefore(ctx, req.Tenant, ref)
		if err != nil {
			return nil, err
		}
		if !erased {
			return nil, lethe.Errorf(lethe.ENOTFOUND, "no %s %s in tenant %q", req.Kind, req.ID, req.Tenant)
		}
	}
	res := &EraseResult{Subject: ref, Tenant: req.Tenant, DryRun: req.DryRun}
	if keep := e.policy.BackupsKeep; !keep.Off() {
		by := keep.After(req.At).UTC()
		res.BackupsExpireBy = &by
	}
	p := person{}
	if e.masker != nil {
		p.token = e.masker.Token(ref)
	}
	if rows := ops[len(ops)-1].rows; len(rows) > 0 {
		p.names = nameValues(n, rows[0])
	}
	needsKey := false
	for _, op := range ops {
		op.rows = e.pending(op, p)
		needsKey = needsKey || (op.action == "anonymize" && len(op.rows) > 0) || len(n.suppress) > 0
	}
	if !req.DryRun && needsKey && e.masker == nil {
		return nil, lethe.Errorf(lethe.EINVALID, "erasing %s anonymizes or suppresses fields, which needs the secret key: set LETHE_SECRET", ref)
	}
	if req.DryRun {
		for _, op := range ops {
			res.Datasets = append(res.Datasets, DatasetErasure{Dataset: op.node.name, Action: op.action, Rows: int64(len(op.rows))})
		}
		return res, nil
	}
	entry := ledger.Entry{At: req.At, Tenant: req.Tenant, Reason: ReasonErasure, SubjectKey: ref, Actor: req.Actor, Note: req.Reason, RunID: newRunID()}
	counts := map[string]int64{}
	if totalRows(ops) <= eraseTxRows {
		err = e.inTx(ctx, func(tx *sql.Tx) error {
			for _, op := range ops {
				changed, err := e.applyErase(ctx, tx, op, op.rows, req, p)
				if err != nil {
					return err
				}
				counts[op.node.name] += changed
			}
			for _, op := range ops {
				en := entry
				en.Dataset, en.Rows = op.node.name, counts[op.node.name]
				sealed, err := e.ledger.Record(ctx, tx, en)
				if err != nil {
					return err
				}
				res.Entries = append(res.Entries, sealed)
			}
			return nil
		})
	} else {
		err = e.eraseInBatches(ctx, ops, entry, req, p, counts, res)
	}
	if err != nil {
		return nil, fmt.Errorf("erase %s: %w", ref, err)
	}
	for _, op := range ops {
		res.Datasets = append(res.Datasets, DatasetErasure{Dataset: op.node.name, Action: op.action, Rows: counts[op.node.name]})
	}
	return res, nil
}

// eraseInBatches runs a large erasure in transactions of at most
// eraseTxRows rows, each adding its count to the dataset's open entry.
func (e *Engine) eraseInBatches(ctx context.Context, ops []*eraseOp, entry ledger.Entry, req EraseRequest, p person, counts map[string]int64, res *EraseResult) error {
	ids := map[string]int64{}
	for _, op := range ops {
		en := entry
		en.Dataset = op.node.name
		id, err := e.ledger.Open(ctx, e.d.DB(), en)
		if err != nil {
			return err
		}
		ids[op.node.name] = id
	}
	for _, op := range ops {
		for start := 0; start < len(op.rows); start += eraseTxRows {
			part := op.rows[start:min(start+eraseTxRows, len(op.rows))]
			err := e.inTx(ctx, func(tx *sql.Tx) error {
				changed, err := e.applyErase(ctx, tx, op, part, req, p)
				if err != nil {
					return err
				}
				counts[op.node.name] += changed
				return e.ledger.Add(ctx, tx, ids[op.node.name], changed, 0)
			})
			if err != nil {
				return err
			}
		}
	}
	for _, op := range ops {
		sealed, err := e.ledger.Seal(ctx, ids[op.node.name], "")
		if err != nil {
			return err
		}
		res.Entries = append(res.Entries, sealed)
	}
	return nil
}

// erasedBefore reports whether the ledger records an erasure of the
// subject in the tenant.
func (e *Engine) erasedBefore(ctx context.Context, tenant, ref string) (bool, error) {
	d := e.d
	var n int
	err := d.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM lethe_ledger WHERE tenant = "+d.Placeholder(1)+" AND reason = "+d.Placeholder(2)+" AND subject_key = "+d.Placeholder(3),
		tenant, ReasonErasure, ref).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("read the ledger: %w", err)
	}
	return n > 0, nil
}

func totalRows(ops []*eraseOp) int {
	n := 0
	for _, op := range ops {
		n += len(op.rows)
	}
	return n
}

// keyValue turns a subject id given as text into a value of the key
// column's type; false when it cannot be one (no such subject). An integer
// key must be written as the database would print it ("4", not "04" or
// "+4"), and text must be valid UTF-8 without NUL, which PostgreSQL would
// refuse as an error rather than find nothing.
func (e *Engine) keyValue(n *node, id string) (any, bool) {
	if !utf8.ValidString(id) || strings.ContainsRune(id, 0) {
		return nil, false
	}
	t, ok := e.schema.Table(n.table)
	if !ok {
		return nil, false
	}
	c, ok := t.Column(n.key)
	if ok && c.IsInteger() {
		v, err := strconv.ParseInt(id, 10, 64)
		return v, err == nil && strconv.FormatInt(v, 10) == id
	}
	return id, true
}

func (h heldSet) subjectHold(kind, key string) *Hold {
	if hold, ok := h.subjectIDs[kind+":"+key]; ok {
		return &hold
	}
	return nil
}

// eraseOps gathers, children first, what the erasure does to each dataset
// bound to the subject in the tenant; the subject's own op comes last.
func (e *Engine) eraseOps(ctx context.Context, subject *lethe.Subject, n *node, key any, tenant string) ([]*eraseOp, error) {
	conds := []dialect.Cond{dialect.In(n.key, []any{key})}
	if n.tenant != "" {
		conds = append(conds, tenantIs(n.tenant, tenant))
	}
	rows, err := dialect.SelectRows(ctx, e.d, e.d.DB(), n.table, n.key, maskColumns(n), conds...)
	if err != nil {
		return nil, err
	}
	action := "delete"
	if subject.Lifecycle.Anonymize != nil && len(n.fields) > 0 {
		action = "anonymize"
	}
	var ops []*eraseOp
	// Owned rows are found by the subject's key even when the subject row
	// is gone already (an erasure interrupted and resumed).
	if err := e.gatherOwned(ctx, n.name, []any{key}, action == "delete", tenant, &ops); err != nil {
		return nil, err
	}
	return append(ops, &eraseOp{node: n, action: action, rows: rows}), nil
}

func (e *Engine) gatherOwned(ctx context.Context, owner string, ownerKeys []any, ownerDeleted bool, tenant string, ops *[]*eraseOp) error {
	for _, child := range e.children(owner) {
		var rows []dialect.Row
		if len(ownerKeys) > 0 {
			var err error
			if rows, err = e.selectIn(ctx, e.d.DB(), child, child.owner.Column, ownerKeys, maskColumns(child)); err != nil {
				return err
			}
		}
		if child.tenant != "" { // never another tenant's row, whatever it links to
			kept := rows[:0]
			for _, r := range rows {
				if v := r[child.tenant]; v == nil || keyText(v) == tenant {
					kept = append(kept, r)
				}
			}
			rows = kept
		}
		action := string(child.dataset.OnSubjectErase)
		if action == "" {
			action = string(lethe.OnEraseDelete)
		}
		if err := e.gatherOwned(ctx, child.name, keysOf(rows, child.key), action == "delete", tenant, ops); err != nil {
			return err
		}
		*ops = append(*ops, &eraseOp{node: child, action: action, unlink: action == "anonymize" && ownerDeleted, rows: rows})
	}
	return nil
}

func tenantIs(column, tenant string) dialect.Cond {
	if tenant == "" {
		return dialect.IsNull(column)
	}
	return dialect.In(column, []any{tenant})
}

// maskColumns are the columns masking a row of n reads: its fields, its
// suppressed fields, its owner link and its tenant.
func maskColumns(n *node) []string {
	cols := make([]string, 0, len(n.fields)+len(n.suppress)+2)
	for _, f := range n.fields {
		cols = append(cols, f.Column)
	}
	cols = append(cols, n.suppress...)
	if n.owner != nil {
		cols = append(cols, n.owner.Column)
	}
	if n.tenant != "" {
		cols = append(cols, n.tenant)
	}
	return cols
}

// pending keeps the rows an op still has to change, so an erasure run
// again changes, and records, only what is left.
func (e *Engine) pending(op *eraseOp, p person) []dialect.Row {
	if op.action == "delete" {
		return op.rows
	}
	var out []dialect.Row
	for _, r := range op.rows {
		switch op.action {
		case "orphan":
			if r[op.node.owner.Column] != nil {
				out = append(out, r)
			}
		case "anonymize":
			if e.masker == nil || !e.masked(op.node, r, p) || (op.unlink && r[op.node.owner.Column] != nil) {
				out = append(out, r)
			}
		}
	}
	return out
}

// applyErase carries out an op on some of its rows inside tx.
func (e *Engine) applyErase(ctx context.Context, tx *sql.Tx, op *eraseOp, rows []dialect.Row, req EraseRequest, p person) (int64, error) {
	n := op.node
	keys := keysOf(rows, n.key)
	switch op.action {
	case "delete":
		if err := e.suppressRows(ctx, tx, n, req.Tenant, rows, req); err != nil {
			return 0, err
		}
		var total int64
		for start := 0; start < len(keys); start += chunk {
			deleted, err := dialect.DeleteByKeys(ctx, e.d, tx, n.table, n.key, keys[start:min(start+chunk, len(keys))], nil)
			if err != nil {
				return 0, err
			}
			total += deleted
		}
		return total, nil
	case "orphan":
		var total int64
		for start := 0; start < len(keys); start += chunk {
			changed, err := dialect.UpdateByKeys(ctx, e.d, tx, n.table, n.key, keys[start:min(start+chunk, len(keys))], []lethe.Assignment{{Column: n.owner.Column, Value: nil}}, nil)
			if err != nil {
				return 0, err
			}
			total += changed
		}
		return total, nil
	default: // anonymize
		var extra []lethe.Assignment
		if op.unlink {
			extra = append(extra, lethe.Assignment{Column: n.owner.Column, Value: nil})
		}
		if n.subject != nil && n.subject.Lifecycle.Anonymize != nil && n.subject.Lifecycle.Anonymize.Stamp != "" {
			extra = append(extra, lethe.Assignment{Column: n.subject.Lifecycle.Anonymize.Stamp, Value: dialect.TimeArg(e.d, req.At, e.policy.Timezone)})
		}
		w := e.newMaskWriter(n, extra)
		for _, r := range rows {
			if err := w.add(ctx, tx, req.Tenant, r, p, req.At); err != nil {
				return 0, err
			}
		}
		return int64(len(rows)), w.flush(ctx, tx)
	}
}

// suppressRows keeps the digests of suppressed fields of rows about to be
// deleted.
func (e *Engine) suppressRows(ctx context.Context, tx *sql.Tx, n *node, tenant string, rows []dialect.Row, req EraseRequest) error {
	for _, r := range rows {
		if err := e.suppress(ctx, tx, n, tenant, r, req.At); err != nil {
			return err
		}
	}
	return nil
}
