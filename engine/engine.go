package engine

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"lethe"
	"lethe/dialect"
	"lethe/ledger"
	"lethe/mask"
	"lethe/policy"
)

// DefaultBatch is the number of rows one batch transaction changes.
const DefaultBatch = 1000

// Engine runs one policy against one database.
type Engine struct {
	policy *lethe.Policy
	d      dialect.Dialect
	schema *dialect.Schema
	ledger *ledger.Ledger
	masker *mask.Masker // nil without a secret: anonymization refuses to run
	log    *slog.Logger
}

// Config is what New needs beyond the policy and the database.
type Config struct {
	Secret []byte       // HMAC key for masks; nil when none is configured
	Log    *slog.Logger // nil discards
}

// New migrates Lethe's tables, binds the policy to the live schema and
// returns an engine. A policy that does not match the schema is an
// EINVALID error listing every mismatch.
func New(ctx context.Context, p *lethe.Policy, d dialect.Dialect, cfg Config) (*Engine, error) {
	if err := d.Migrate(ctx); err != nil {
		return nil, err
	}
	schema, err := d.Introspect(ctx)
	if err != nil {
		return nil, err
	}
	if errs, _ := policy.Bind(p, schema); len(errs) > 0 {
		return nil, errs
	}
	e := &Engine{policy: p, d: d, schema: schema, ledger: ledger.New(d), log: cfg.Log}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Secret != nil {
		e.masker = mask.New(cfg.Secret)
	}
	return e, nil
}

// Policy returns the bound policy.
func (e *Engine) Policy() *lethe.Policy { return e.policy }

// Ledger returns the engine's ledger.
func (e *Engine) Ledger() *ledger.Ledger { return e.ledger }

// Dialect returns the database.
func (e *Engine) Dialect() dialect.Dialect { return e.d }

// node is a subject or a dataset: anything that owns rows or is owned.
type node struct {
	name       string
	table      string
	key        string
	tenant     string // the tenant column, "" when the table has none
	fields     []lethe.Field
	suppress   []string
	owner      *lethe.Owner
	onDelete   lethe.OnDelete
	subject    *lethe.Subject
	dataset    *lethe.Dataset
	softDelete *lethe.SoftDelete
}

func (e *Engine) subjectNode(s *lethe.Subject) *node {
	return &node{name: s.Name, table: s.Table, key: s.Key, tenant: e.tenantColumn(s.Table, s.TenantColumn),
		fields: s.Fields, suppress: s.Suppress, subject: s, softDelete: s.SoftDelete}
}

func (e *Engine) datasetNode(ds *lethe.Dataset) *node {
	return &node{name: ds.Name, table: ds.Table, key: ds.Key, tenant: e.tenantColumn(ds.Table, ds.TenantColumn),
		fields: ds.Fields, suppress: ds.Suppress, owner: ds.Owner, onDelete: ds.OnSubjectDelete, dataset: ds, softDelete: ds.SoftDelete}
}

// nodeNamed finds a subject or dataset by name, or by table (cascades may
// name a table).
func (e *Engine) nodeNamed(name string) *node {
	if s := e.policy.Subject(name); s != nil {
		return e.subjectNode(s)
	}
	if ds := e.policy.Dataset(name); ds != nil {
		return e.datasetNode(ds)
	}
	for _, s := range e.policy.Subjects {
		if s.Table == name {
			return e.subjectNode(s)
		}
	}
	for _, ds := range e.policy.Datasets {
		if ds.Table == name {
			return e.datasetNode(ds)
		}
	}
	return nil
}

// children returns the datasets owned directly by the named node.
func (e *Engine) children(name string) []*node {
	var out []*node
	for _, ds := range e.policy.Datasets {
		if ds.Owner != nil && ds.Owner.Name == name {
			out = append(out, e.datasetNode(ds))
		}
	}
	return out
}

// tenantColumn returns the table's tenant column when it has one.
func (e *Engine) tenantColumn(table, own string) string {
	col := e.policy.TenantColumnOf(own)
	if col == "" {
		return ""
	}
	t, ok := e.schema.Table(table)
	if !ok {
		return ""
	}
	c, ok := t.Column(col)
	if !ok {
		return ""
	}
	return c.Name
}

// column returns what a mask must respect about a column.
func (e *Engine) column(table, column string) mask.Column {
	if t, ok := e.schema.Table(table); ok {
		if c, ok := t.Column(column); ok {
			return mask.Column{MaxLength: c.MaxLength}
		}
	}
	return mask.Column{}
}

func (n *node) tenantFilter(tenant string) *dialect.Tenant {
	if n.tenant == "" {
		return nil
	}
	return &dialect.Tenant{Column: n.tenant, Value: tenant}
}

// tenants lists the tenants with rows in a node's table ("" for rows with
// none), or just [""] when the table has no tenant column.
func (e *Engine) tenants(ctx context.Context, n *node, only *string) ([]string, error) {
	if n.tenant == "" {
		if only != nil && *only != "" {
			return nil, nil // platform-wide rows belong to no workspace
		}
		return []string{""}, nil
	}
	if only != nil {
		return []string{*only}, nil
	}
	t, _ := e.schema.Table(n.table)
	return dialect.DistinctValues(ctx, e.d, e.d.DB(), n.table, n.tenant, t != nil && t.Leads(n.tenant))
}

// inTx runs fn in one transaction, committing when it returns nil.
func (e *Engine) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return e.inTxWith(ctx, nil, fn)
}

// inTxWith is inTx with the transaction's options (nil: the defaults).
func (e *Engine) inTxWith(ctx context.Context, opts *sql.TxOptions, fn func(tx *sql.Tx) error) error {
	return inTxOn(ctx, e.d.DB(), opts, fn)
}

// beginner begins transactions: the pool (*sql.DB) or one session of it
// (*sql.Conn).
type beginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// inTxOn is inTxWith on the given pool or session.
func inTxOn(ctx context.Context, b beginner, opts *sql.TxOptions, fn func(tx *sql.Tx) error) error {
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// timeArg is how Lethe's own tables store a time.
func (e *Engine) timeArg(t time.Time) any { return dialect.StoredTime(e.d, t) }
