package policy

import (
	"fmt"
	"strings"

	"lethe"
	"lethe/dialect"
)

// Bind checks every table and column the policy names against the live
// schema and rewrites each name to its spelling there, so the statements
// built later quote exactly what exists. Keys left out of the policy are
// taken from primary keys. It returns the errors (the policy cannot run)
// and warnings (it can, but probably not as meant), both located in the
// file.
func Bind(p *lethe.Policy, s *dialect.Schema) (errs, warnings lethe.ErrorList) {
	b := &binder{p: p, s: s}
	for _, sub := range p.Subjects {
		b.subject(sub)
	}
	for _, ds := range p.Datasets {
		b.dataset(ds)
	}
	sortErrors(b.errs)
	sortErrors(b.warnings)
	return b.errs, b.warnings
}

type binder struct {
	p        *lethe.Policy
	s        *dialect.Schema
	errs     lethe.ErrorList
	warnings lethe.ErrorList
}

func (b *binder) errorAt(path, format string, args ...any) {
	b.errs = append(b.errs, b.p.ErrorAt(path, format, args...))
}

func (b *binder) warnAt(path, format string, args ...any) {
	e := b.p.ErrorAt(path, format, args...)
	e.Message = "warning: " + e.Message
	b.warnings = append(b.warnings, e)
}

// table resolves a table name, reporting it at path when missing.
func (b *binder) table(path string, name *string) *dialect.Table {
	t, ok := b.s.Table(*name)
	if !ok {
		hint := ""
		if near := b.s.NearTable(*name); near != "" {
			hint = fmt.Sprintf(": the database has %q, which differs in case; write it exactly", near)
		} else {
			var names []string
			for _, t := range b.s.Tables {
				if !strings.HasPrefix(t.Name, "lethe_") {
					names = append(names, t.Name)
				}
			}
			hint = suggest(*name, names)
		}
		b.errorAt(path, "table %s does not exist in the database%s", *name, hint)
		return nil
	}
	*name = t.Name
	return t
}

// column resolves a column of t, reporting it at path when missing.
func (b *binder) column(path string, t *dialect.Table, name *string) *dialect.Column {
	c, ok := t.Column(*name)
	if !ok {
		hint := ""
		if near := t.NearColumn(*name); near != "" {
			hint = fmt.Sprintf(": the table has %q, which differs in case; write it exactly", near)
		} else {
			hint = suggest(*name, t.ColumnNames())
		}
		b.errorAt(path, "column %s does not exist in table %s%s", *name, t.Name, hint)
		return nil
	}
	*name = c.Name
	return c
}

// key resolves the key column, declared or from a single-column primary
// key. needed says Lethe deletes or updates rows of the table by key.
func (b *binder) key(path string, t *dialect.Table, key *string, needed bool) {
	if *key != "" {
		b.column(path+".key", t, key)
		return
	}
	switch {
	case len(t.PrimaryKey) == 1:
		*key = t.PrimaryKey[0]
	case needed && len(t.PrimaryKey) == 0:
		b.errorAt(path, "table %s has no primary key, and Lethe erases and purges rows by key: add \"key: <unique column>\"", t.Name)
	case needed:
		b.errorAt(path, "table %s has a primary key of %d columns (%s); Lethe needs one: add \"key: <unique column>\"",
			t.Name, len(t.PrimaryKey), strings.Join(t.PrimaryKey, ", "))
	}
}

func (b *binder) subject(sub *lethe.Subject) {
	path := "subjects." + sub.Name
	t := b.table(path+".table", &sub.Table)
	if t == nil {
		return
	}
	b.key(path, t, &sub.Key, true)
	b.tenantColumn(path, t, &sub.TenantColumn, false)
	b.fields(path, t, sub.Fields)
	for i := range sub.Suppress {
		b.column(path+".suppress", t, &sub.Suppress[i])
	}
	for _, st := range sub.Lifecycle.Stages() {
		sp := path + ".lifecycle." + string(st.Kind)
		b.clock(sp+".since", t, &st.Since)
		for i := range st.Set {
			b.column(sp+".set."+st.Set[i].Column+lethe.KeySuffix, t, &st.Set[i].Column)
		}
		if st.Stamp != "" {
			if c := b.column(sp+".stamp", t, &st.Stamp); c != nil && !b.s.HoldsTime(c) {
				b.errorAt(sp+".stamp", "stamp column %s is %s; it records a time: use a timestamp (or text on SQLite) column", c.Name, c.Type)
			}
		}
	}
	if sub.SoftDelete != nil {
		b.softDelete(path+".soft_delete", t, sub.SoftDelete)
	}
}

func (b *binder) dataset(ds *lethe.Dataset) {
	path := "datasets." + ds.Name
	t := b.table(path+".table", &ds.Table)
	if t == nil {
		return
	}
	acts := ds.Owner != nil || ds.Retention != nil || ds.SoftDelete != nil
	b.key(path, t, &ds.Key, acts)
	b.tenantColumn(path, t, &ds.TenantColumn, ds.Owner != nil)
	b.fields(path, t, ds.Fields)
	for i := range ds.Suppress {
		b.column(path+".suppress", t, &ds.Suppress[i])
	}
	if ds.Owner != nil {
		b.column(path+".owner."+ds.Owner.Name, t, &ds.Owner.Column)
	}
	if r := ds.Retention; r != nil {
		b.clock(path+".retention.since", t, &r.Since)
	}
	if ds.SoftDelete != nil {
		b.softDelete(path+".soft_delete", t, ds.SoftDelete)
	}
}

// tenantColumn checks a declared tenant column. Without one, a table that
// lacks the policy's default column takes its tenant from its owner, or
// belongs to the tenant "" when it has none: worth a warning.
func (b *binder) tenantColumn(path string, t *dialect.Table, own *string, owned bool) {
	if *own != "" {
		b.column(path+".tenant_column", t, own)
		return
	}
	def := b.p.TenantColumn
	if def == "" {
		return
	}
	if _, ok := t.Column(def); !ok && !owned {
		b.warnAt(path+".table", "table %s has no tenant column %s and no owner: its rows belong to no tenant and only a platform-wide run reaches them", t.Name, def)
	}
}

func (b *binder) fields(path string, t *dialect.Table, fields []lethe.Field) {
	for i := range fields {
		f := &fields[i]
		fp := path + ".fields." + f.Column
		c := b.column(fp+lethe.KeySuffix, t, &f.Column)
		if c == nil {
			continue
		}
		switch f.Mask.Kind {
		case lethe.MaskPseudonym, lethe.MaskEmail, lethe.MaskHMAC, lethe.MaskRedact:
			if !c.IsText() {
				b.errorAt(fp, "mask %s writes text, but column %s is %s: use clear, keep or {fixed: ...} for it", f.Mask.Kind, c.Name, c.Type)
			}
		case lethe.MaskClear:
			if !c.Nullable {
				b.errorAt(fp, "mask clear writes NULL, but column %s is NOT NULL: use {fixed: \"\"} or another mask", c.Name)
			}
		}
	}
}

func (b *binder) clock(path string, t *dialect.Table, c *lethe.Clock) {
	for i := range c.Columns {
		col := &c.Columns[i]
		dc := b.column(path, t, &col.Name)
		if dc == nil {
			continue
		}
		integer := dc.IsInteger()
		switch {
		case col.Unit != lethe.ClockNative && !integer:
			b.errorAt(path, "clock %s is %s, but unit %s reads integer Unix time: leave the unit out for a timestamp column", dc.Name, dc.Type, col.Unit)
		case col.Unit == lethe.ClockNative && integer:
			b.errorAt(path, "clock %s holds integers: write {column: %s, unit: seconds} (or milliseconds) so Lethe reads it as Unix time", dc.Name, dc.Name)
		case col.Unit == lethe.ClockNative && !b.s.HoldsTime(dc):
			b.errorAt(path, "clock %s is %s, which does not hold a time: name a timestamp column", dc.Name, dc.Type)
		}
	}
}

func (b *binder) softDelete(path string, t *dialect.Table, s *lethe.SoftDelete) {
	if c := b.column(path+".column", t, &s.Column); c != nil && !b.s.HoldsTime(c) {
		b.errorAt(path+".column", "soft-delete column %s is %s; purge_after counts from it: use a timestamp column", c.Name, c.Type)
	}
	for i := range s.Cascade {
		link := &s.Cascade[i]
		var table string
		switch {
		case b.p.Subject(link.Name) != nil:
			table = b.p.Subject(link.Name).Table
		case b.p.Dataset(link.Name) != nil:
			table = b.p.Dataset(link.Name).Table
		default:
			table = link.Name // a table name, as SPEC 1a writes it
		}
		lp := path + ".cascade." + link.Name
		if ct, ok := b.s.Table(table); !ok {
			b.errorAt(lp, "cascade names table %s, which does not exist in the database", table)
		} else {
			b.column(lp, ct, &link.Column)
		}
	}
}

// IndexWarnings lists, as located warnings, the indexes the policy needs
// and the database lacks, each with the CREATE INDEX statement to run: the
// clock columns of retention rules, lifecycle stages and soft deletes
// (every sweep looks for rows before a cutoff by them) and the columns
// that link a dataset to its owner or a cascade to its parent (erasures,
// cascades and exports follow them). Without them each batch or erasure
// scans the table. A clock also counts as indexed behind the table's
// tenant column, as (tenant, clock), which serves the per-tenant sweep.
// p must be bound to s (Bind without errors). Nothing is reported for
// tables whose indexes the dialect did not read.
func IndexWarnings(p *lethe.Policy, s *dialect.Schema) lethe.ErrorList {
	b := &binder{p: p, s: s}
	need := func(path, table, tenantCol, column string) {
		t, ok := s.Table(table)
		if !ok || t.Indexes == nil {
			return
		}
		c, ok := t.Column(column)
		if !ok || t.Leads(c.Name) {
			return
		}
		if tc, ok := t.Column(tenantCol); ok && tenantCol != "" && t.Leads(tc.Name, c.Name) {
			return
		}
		b.warnAt(path, "no index on %s.%s, which Lethe looks rows up by: every batch will scan the table; run %s",
			t.Name, c.Name, createIndex(s, t.Name, c.Name))
	}
	tenantOf := func(own string) string {
		if own != "" {
			return own
		}
		return p.TenantColumn
	}
	for _, sub := range p.Subjects {
		path := "subjects." + sub.Name
		for _, st := range sub.Lifecycle.Stages() {
			for _, col := range st.Since.Columns {
				need(path+".lifecycle."+string(st.Kind)+".since", sub.Table, tenantOf(sub.TenantColumn), col.Name)
			}
		}
		if sd := sub.SoftDelete; sd != nil {
			b.softDeleteIndexes(path, sub.Table, tenantOf(sub.TenantColumn), sd, need)
		}
	}
	for _, ds := range p.Datasets {
		path := "datasets." + ds.Name
		if ds.Owner != nil {
			need(path+".owner."+ds.Owner.Name, ds.Table, "", ds.Owner.Column)
		}
		if r := ds.Retention; r != nil {
			for _, col := range r.Since.Columns {
				need(path+".retention.since", ds.Table, tenantOf(ds.TenantColumn), col.Name)
			}
		}
		if sd := ds.SoftDelete; sd != nil {
			b.softDeleteIndexes(path, ds.Table, tenantOf(ds.TenantColumn), sd, need)
		}
	}
	sortErrors(b.warnings)
	return b.warnings
}

func (b *binder) softDeleteIndexes(path, table, tenantCol string, sd *lethe.SoftDelete, need func(path, table, tenantCol, column string)) {
	need(path+".soft_delete.column", table, tenantCol, sd.Column)
	for _, link := range sd.Cascade {
		target := link.Name
		if sub := b.p.Subject(link.Name); sub != nil {
			target = sub.Table
		} else if ds := b.p.Dataset(link.Name); ds != nil {
			target = ds.Table
		}
		need(path+".soft_delete.cascade."+link.Name, target, "", link.Column)
	}
}

// createIndex is the statement that adds a one-column index, quoted as
// the database reads identifiers.
func createIndex(s *dialect.Schema, table, column string) string {
	name := table + "_" + column + "_idx"
	if len(name) > 63 {
		name = name[:63]
	}
	return "CREATE INDEX " + quoteIdent(s, name) + " ON " + quoteIdent(s, table) + " (" + quoteIdent(s, column) + ")"
}

func quoteIdent(s *dialect.Schema, name string) string {
	if s.FoldColumns && !s.TextClocks { // MySQL and MariaDB
		return "`" + strings.ReplaceAll(name, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
