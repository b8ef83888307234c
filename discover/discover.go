package discover

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"lethe"
	"lethe/dialect"
)

// DefaultSample is how many non-NULL values of a column are read when
// Options.Sample is 0.
const DefaultSample = 200

// Options tune a draft.
type Options struct {
	// Sample is the most non-NULL values read from one column to recognise
	// what it holds: 0 means DefaultSample, a negative number reads none
	// (names and keys alone then decide).
	Sample int
	// Database is written as the policy's database line, its password
	// left out. Empty leaves the line out.
	Database string
	// Now dates the header comment; the zero time leaves the date out, so
	// the same database always gives the same text.
	Now time.Time
}

// Proposal is a drafted policy: what was recognised, each guess with why,
// ready to be written as YAML for a person to review.
type Proposal struct {
	Dialect      string // the database it was drafted from: sqlite, postgres, mysql
	Database     string // the database line, without a password; "" for none
	TenantColumn string
	TenantWhy    string
	Subjects     []*Subject // by name
	Datasets     []*Dataset // by name
	Skipped      []Skipped  // tables with nothing to declare
	Sample       int        // values read per column, 0 when sampling was off
	Now          time.Time
	passwordCut  bool
}

// Subject is a proposed subject: a table of people.
type Subject struct {
	Name, Table, Key string
	Why              string
	Fields           []Field
	Lifecycle        []Stage // in the order a sweep runs them
	SoftDelete       *SoftDelete
	Notes            []string // what was left out, and why
}

// Stage is a proposed lifecycle stage.
type Stage struct {
	Kind  lethe.StageKind
	After lethe.Period
	Since []lethe.ClockColumn
	Set   []lethe.Assignment
	Stamp string
	Why   string
}

// Dataset is a proposed dataset: a table that holds data about people, or
// data with a retention period.
type Dataset struct {
	Name, Table, Key string
	KeyWhy           string // set when the key is not the primary key
	Owner            *Owner
	OnSubjectDelete  lethe.OnDelete
	OnDeleteWhy      string
	Fields           []Field
	Retention        *Retention
	SoftDelete       *SoftDelete
	Notes            []string
}

// Owner is a proposed owner link.
type Owner struct {
	Name   string // the subject or dataset it points to
	Column string
	Guess  bool // no foreign key backs it: it comes from the column's name
	Why    string
}

// Field is a proposed personal field and its mask.
type Field struct {
	Column string
	Mask   lethe.Mask
	Why    string
}

// Retention is a proposed retention rule.
type Retention struct {
	Keep           lethe.Period
	AnonymizeAfter lethe.Period
	Since          []lethe.ClockColumn
	Schedule       string
	Why            string
}

// SoftDelete is a proposed purge of rows marked deleted.
type SoftDelete struct {
	Column     string
	PurgeAfter lethe.Period
	Why        string
}

// Skipped is a table left out of the draft.
type Skipped struct {
	Table, Why string
}

// Draft reads the schema of d and a bounded sample of its text columns and
// proposes a policy. It only reads: introspection and
// SELECT col FROM t WHERE col IS NOT NULL LIMIT n, per column.
func Draft(ctx context.Context, d dialect.Dialect, opts Options) (*Proposal, error) {
	if opts.Sample == 0 {
		opts.Sample = DefaultSample
	}
	s, err := d.Introspect(ctx)
	if err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	a := &analysis{ctx: ctx, d: d, s: s, opts: opts, byName: map[string]*table{}}
	for _, t := range s.Tables {
		if strings.HasPrefix(strings.ToLower(t.Name), "lethe_") {
			continue // Lethe's own tables
		}
		tb := newTable(t)
		a.tables = append(a.tables, tb)
		a.byName[t.Name] = tb
	}
	sort.Slice(a.tables, func(i, j int) bool { return a.tables[i].t.Name < a.tables[j].t.Name })
	a.findReferences()
	a.findTenant()
	if err := a.sampleColumns(); err != nil {
		return nil, err
	}
	a.findSubjects()
	a.findOwners()
	a.findFields()
	a.findRules()
	if a.err != nil {
		return nil, a.err
	}
	return a.proposal(), nil
}

// analysis is one run of Draft.
type analysis struct {
	ctx    context.Context
	d      dialect.Dialect
	s      *dialect.Schema
	opts   Options
	tables []*table // application tables, by name
	byName map[string]*table
	tenant string
	tenWhy string
	err    error // the first failed query of a late step
}

// table is what the analysis learns about one table.
type table struct {
	t       *dialect.Table
	key     string // the single-column primary key, or ""
	fkCols  map[string]*dialect.ForeignKey
	cat     *category // retention category by name, or nil
	refBy   []string  // tables whose foreign keys point here
	sampled map[string]verdict

	subject *Subject
	name    string // subject or dataset name
	links   []link
	owner   *link
	join    bool
	fields  []Field
	notes   []string
	ds      *Dataset
}

func newTable(t *dialect.Table) *table {
	tb := &table{t: t, fkCols: map[string]*dialect.ForeignKey{}, sampled: map[string]verdict{}, name: t.Name}
	if len(t.PrimaryKey) == 1 {
		tb.key = t.PrimaryKey[0]
	}
	for i := range t.ForeignKeys {
		for _, c := range t.ForeignKeys[i].Columns {
			tb.fkCols[c] = &t.ForeignKeys[i]
		}
	}
	tb.cat = categoryOf(t.Name)
	return tb
}

func (t *table) column(name string) *dialect.Column {
	c, _ := t.t.Column(name)
	return c
}

func (t *table) isPK(col string) bool {
	for _, k := range t.t.PrimaryKey {
		if k == col {
			return true
		}
	}
	return false
}

// owned says rows of t belong to someone: t is a subject, or linked to one.
func (t *table) owned() bool { return t.subject != nil || t.owner != nil }

func (a *analysis) fail(err error) {
	if a.err == nil {
		a.err = err
	}
}

// target returns the table a single-column foreign key points to when it
// names that table's key, or nil.
func (a *analysis) target(fk *dialect.ForeignKey) *table {
	if len(fk.Columns) != 1 {
		return nil
	}
	tb, ok := a.byName[fk.RefTable]
	if !ok {
		if t, found := a.s.Table(fk.RefTable); found {
			tb = a.byName[t.Name]
		}
	}
	if tb == nil || tb.key == "" {
		return nil
	}
	if len(fk.RefColumns) == 0 {
		return tb // SQLite: a reference to the parent's primary key
	}
	if ref := fk.RefColumns[0]; ref != "" && ref != tb.key && !strings.EqualFold(ref, tb.key) {
		return nil // points at another unique column: not the key owners hold
	}
	return tb
}

func (a *analysis) findReferences() {
	for _, t := range a.tables {
		seen := map[*table]bool{}
		for i := range t.t.ForeignKeys {
			if to := a.target(&t.t.ForeignKeys[i]); to != nil && to != t && !seen[to] {
				seen[to] = true
				to.refBy = append(to.refBy, t.t.Name)
			}
		}
	}
}

// tenantColumns are the names a tenant column goes by, in order of
// preference when two are equally common.
var tenantColumns = []string{"workspace_id", "tenant_id", "organisation_id", "organization_id", "org_id", "account_id", "team_id", "company_id"}

// findTenant picks the tenant column most tables share, when more than
// half of them have it.
func (a *analysis) findTenant() {
	best, bestCount := "", 0
	for _, want := range tenantColumns {
		spelled, count := "", 0
		for _, t := range a.tables {
			for _, c := range t.t.Columns {
				if norm(c.Name) == want {
					if spelled == "" {
						spelled = c.Name
					}
					count++
					break
				}
			}
		}
		if count > bestCount {
			best, bestCount = spelled, count
		}
	}
	if bestCount >= 2 && bestCount*2 > len(a.tables) {
		a.tenant = best
		a.tenWhy = fmt.Sprintf("%d of %d tables have a %s column", bestCount, len(a.tables), best)
	}
}

func (a *analysis) isTenant(col string) bool {
	return a.tenant != "" && norm(col) == norm(a.tenant)
}

// sampleColumns reads a sample of every text column whose name alone does
// not settle what it holds.
func (a *analysis) sampleColumns() error {
	if a.opts.Sample < 0 {
		return nil
	}
	for _, t := range a.tables {
		for _, c := range t.t.Columns {
			if t.isPK(c.Name) || t.fkCols[c.Name] != nil || a.isTenant(c.Name) || !sampleable(c) {
				continue
			}
			if k, r := nameKind(c.Name); k != kindNone && r == anywhere {
				continue
			}
			values, err := sampleColumn(a.ctx, a.d, t.t.Name, c.Name, a.opts.Sample)
			if err != nil {
				return err
			}
			if v := judge(values); v.kind != kindNone {
				t.sampled[c.Name] = v
			}
		}
	}
	return nil
}

// Words naming a table of people, as the last word of its name.
var (
	peopleWords = set("user", "contact", "customer", "participant", "member", "person", "account", "employee", "patient",
		"student", "subscriber", "client", "respondent", "applicant", "candidate", "lead", "volunteer", "donor", "guest",
		"visitor", "learner")
	surveyWords = set("participant", "respondent")
	tenantWords = set("organisation", "organization", "org", "workspace", "tenant", "team", "company", "account", "project", "group")
	userWords   = []string{"user", "account", "member", "person", "employee"}
)

func lastWord(name string) string { return singularWord(last(words(name))) }

// namedLikePeople says the table's name is that of a table of people, and
// not of the tenants when the tenant column points to it.
func (a *analysis) namedLikePeople(t *table) bool {
	if !peopleWords[lastWord(t.t.Name)] {
		return false
	}
	return !(a.tenant != "" && norm(a.tenant) == norm(singular(t.t.Name))+"_id")
}

// hasPersonal says a column of t holds personal data by its name or its
// sample; email says one holds email addresses.
func (t *table) hasPersonal() (personal, email bool) {
	for _, c := range t.t.Columns {
		k, r := nameKind(c.Name)
		if v, ok := t.sampled[c.Name]; ok && (k == kindNone || r != anywhere) {
			k, r = v.kind, anywhere
		}
		if k == kindNone || r == personalRows || (k == kindExternalID) {
			continue
		}
		personal = true
		email = email || (k == kindEmail && c.IsText())
	}
	return personal, email
}

func (a *analysis) findSubjects() {
	for _, t := range a.tables {
		if t.key == "" {
			continue
		}
		personal, email := t.hasPersonal()
		named := a.namedLikePeople(t)
		var why string
		switch {
		case named && a.pointsToPeople(t) && !personal:
			continue // a membership or a profile: rows of the people it points to
		case named:
			why = "named like a table of people"
		case email && len(t.refBy) > 0 && !tenantWords[lastWord(t.t.Name)] && t.cat == nil:
			why = "has an email column, and other tables point to it"
		default:
			continue
		}
		switch n := len(t.refBy); {
		case n == 1:
			why += "; " + t.refBy[0] + " points to it by foreign key"
		case n > 1:
			why += fmt.Sprintf("; %d tables point to it by foreign key", n)
		}
		if email && named {
			why += "; has an email column"
		}
		t.subject = &Subject{Table: t.t.Name, Key: t.key, Why: why}
	}
	for _, t := range a.tables {
		if t.subject == nil {
			continue
		}
		name := singular(t.t.Name)
		if o, ok := a.byName[name]; ok && o != t {
			name = t.t.Name // a table already bears the singular
		}
		t.name, t.subject.Name = name, name
	}
}

func (a *analysis) pointsToPeople(t *table) bool {
	for i := range t.t.ForeignKeys {
		if to := a.target(&t.t.ForeignKeys[i]); to != nil && to != t && a.namedLikePeople(to) {
			return true
		}
	}
	return false
}

// userSubject is the subject that columns such as author_id or created_by
// usually point to.
func (a *analysis) userSubject() *table {
	for _, w := range userWords {
		for _, t := range a.tables {
			if t.subject != nil && lastWord(t.t.Name) == w {
				return t
			}
		}
	}
	return nil
}

// proposal gathers the findings in the shape the YAML is written from.
func (a *analysis) proposal() *Proposal {
	p := &Proposal{Dialect: a.d.Name(), TenantColumn: a.tenant, TenantWhy: a.tenWhy, Now: a.opts.Now}
	if a.opts.Sample > 0 {
		p.Sample = a.opts.Sample
	}
	p.Database, p.passwordCut = withoutPassword(a.opts.Database)
	for _, t := range a.tables {
		switch {
		case t.subject != nil:
			t.subject.Fields = t.fields
			t.subject.Notes = append(t.subject.Notes, t.notes...)
			p.Subjects = append(p.Subjects, t.subject)
		case t.ds != nil:
			p.Datasets = append(p.Datasets, t.ds)
		default:
			p.Skipped = append(p.Skipped, Skipped{Table: t.t.Name, Why: "no owner, personal column, retention clock or soft-delete column found"})
		}
	}
	sort.Slice(p.Subjects, func(i, j int) bool { return p.Subjects[i].Name < p.Subjects[j].Name })
	sort.Slice(p.Datasets, func(i, j int) bool { return p.Datasets[i].Name < p.Datasets[j].Name })
	return p
}

// withoutPassword drops the password from a database URL, in its user
// part or its query: the draft is meant to be committed, and credentials do
// not belong in it.
func withoutPassword(raw string) (string, bool) {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw, false
	}
	cut := false
	if base, query, hasQuery := strings.Cut(rest, "?"); hasQuery {
		if q, err := url.ParseQuery(query); err == nil && q.Has("password") {
			q.Del("password")
			rest, cut = base, true
			if len(q) > 0 {
				rest += "?" + q.Encode()
			}
		}
	}
	end := len(rest)
	if i := strings.Index(rest, "/"); i >= 0 {
		end = i
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		if user, _, hadPassword := strings.Cut(rest[:at], ":"); hadPassword {
			rest, cut = user+rest[at:], true
		}
	}
	return scheme + "://" + rest, cut
}
