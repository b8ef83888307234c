package discover

import (
	"fmt"
	"sort"
	"strings"

	"lethe"
	"lethe/dialect"
)

// link is a column of one table that may hold the key of another: a
// foreign key, or a column named like one.
type link struct {
	column *dialect.Column
	pos    int // the column's position, for "first" among equals
	target *table
	fk     bool
	staff  bool   // names who handles the row (assignee), not whom it is about
	guess  string // why a link without a foreign key is believed
}

// rank orders links: foreign keys before names, links to a subject before
// chains, and staff roles last. Lower is better.
func (l link) rank() int {
	r := 0
	if !l.fk {
		r += 2
	}
	if l.target.subject == nil {
		r++
	}
	if l.staff {
		r += 4
	}
	return r
}

const ranks = 8

// Column names that point to the user table without saying so.
var userAliases = set("user", "author", "owner", "requester", "creator", "created_by", "submitter", "submitted_by",
	"performed_by", "reporter", "requested_by", "authored_by", "owned_by")

// Words of a column naming a member of staff acting on the row.
var staffWords = set("assignee", "assigned", "reviewer", "reviewed", "approver", "approved", "updated", "modified",
	"handler", "handled", "closed", "resolved", "agent", "editor", "edited", "deleted", "moderator")

// findLinks lists every column of t that may point to another table.
func (a *analysis) findLinks(t *table) {
	for pos, c := range t.t.Columns {
		var l *link
		if fk := t.fkCols[c.Name]; fk != nil {
			if to := a.target(fk); to != nil && to != t {
				l = &link{target: to, fk: true}
			}
		} else if !a.isTenant(c.Name) {
			if to, why := a.guessTarget(t, c); to != nil {
				l = &link{target: to, guess: why}
			}
		}
		if l != nil {
			l.column, l.pos = c, pos
			l.staff = hasAny(words(c.Name), staffWords)
			t.links = append(t.links, *l)
		}
	}
}

// guessTarget finds the table a column without a foreign key is named
// after: customer_id -> customers, author_id -> users. The column must be
// able to hold that table's key.
func (a *analysis) guessTarget(t *table, c *dialect.Column) (*table, string) {
	ws := words(c.Name)
	var prefix []string
	switch {
	case len(ws) > 1 && last(ws) == "id":
		prefix = ws[:len(ws)-1]
	case len(ws) == 2 && ws[1] == "by":
		prefix = ws
	default:
		return nil, ""
	}
	p := strings.Join(prefix, "_")
	var to *table
	var why string
	if userAliases[p] {
		if to = a.userSubject(); to != nil {
			why = fmt.Sprintf("guess: no foreign key; named like a reference to %s.%s (%s usually names a %s)", to.t.Name, to.key, p, lastWord(to.t.Name))
		}
	} else {
		to = a.tableNamed(t, p)
		if to != nil {
			why = fmt.Sprintf("guess: no foreign key; named like a reference to %s.%s", to.t.Name, to.key)
		}
	}
	if to == nil || to == t || to.key == "" || !sameFamily(c, to.column(to.key)) {
		return nil, ""
	}
	return to, why
}

// tableNamed finds the one table named p or its plural (customer ->
// customers), or else the one whose last word is (ticket ->
// support_tickets).
func (a *analysis) tableNamed(from *table, p string) *table {
	var exact, loose []*table
	for _, o := range a.tables {
		if o == from || o.key == "" {
			continue
		}
		switch n := norm(o.t.Name); {
		case n == p || norm(singular(o.t.Name)) == p:
			exact = append(exact, o)
		case lastWord(o.t.Name) == p:
			loose = append(loose, o)
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0]
	case len(exact) == 0 && len(loose) == 1:
		return loose[0]
	}
	return nil
}

// findOwners links every table that can reach a subject. Owners are
// chosen in rounds by rank, each link pointing to a table already owned,
// so no chain can loop and every chain ends at a subject.
func (a *analysis) findOwners() {
	for _, t := range a.tables {
		if t.subject == nil {
			a.findLinks(t)
		}
	}
	for {
		assigned := false
		for r := 0; r < ranks && !assigned; r++ {
			for _, t := range a.tables {
				if t.owned() {
					continue
				}
				for i := range t.links {
					if l := &t.links[i]; l.rank() == r && l.target.owned() {
						t.owner = l
						assigned = true
						break
					}
				}
			}
		}
		if !assigned {
			break
		}
	}
	for _, t := range a.tables {
		if t.owner != nil {
			a.describeOwner(t)
		}
	}
}

// describeOwner says why the owner was chosen, what else the table points
// to, and what happens to its rows when their subject is deleted.
func (a *analysis) describeOwner(t *table) {
	l := t.owner
	fks := 0
	for _, c := range t.t.Columns {
		if t.fkCols[c.Name] != nil {
			fks++
		}
	}
	others := 0
	for _, c := range t.t.Columns {
		if t.fkCols[c.Name] == nil && !t.isPK(c.Name) && !a.isTenant(c.Name) && !c.IsNativeTime() {
			others++
		}
	}
	t.join = fks >= 2 && others <= 2 && l.fk
	why := l.guess
	if l.fk {
		why = fmt.Sprintf("foreign key %s -> %s.%s", l.column.Name, l.target.t.Name, l.target.key)
	}
	var also []string
	for _, o := range t.links {
		switch {
		case o.column == l.column || !o.target.owned():
		case o.staff:
			also = append(also, fmt.Sprintf("%s (-> %s) names who handles the row, not whom it is about", o.column.Name, o.target.t.Name))
		default:
			also = append(also, fmt.Sprintf("also points to %s by %s", o.target.t.Name, o.column.Name))
		}
	}
	if len(also) > 0 {
		why += "; " + strings.Join(also, "; ")
	}
	ds := &Dataset{Name: t.name, Table: t.t.Name, Key: t.key,
		Owner: &Owner{Name: l.target.name, Column: l.column.Name, Guess: !l.fk, Why: why}}
	if ds.Key == "" {
		ds.Key = l.column.Name
		pk := "no primary key"
		if len(t.t.PrimaryKey) > 1 {
			pk = "a primary key of several columns (" + strings.Join(t.t.PrimaryKey, ", ") + ")"
		}
		ds.KeyWhy = fmt.Sprintf("the table has %s, and Lethe needs one key column: rows are found by their %s", pk, l.column.Name)
	}
	subject := l.target.subject != nil
	owner := l.target.name
	switch {
	case t.join:
		ds.OnSubjectDelete = lethe.OnDeleteDelete
		ds.OnDeleteWhy = "join table: its rows go with their " + owner
	case subject && isBusiness(t.t.Name) && l.column.Nullable:
		ds.OnSubjectDelete = lethe.OnDeleteOrphan
		ds.OnDeleteWhy = fmt.Sprintf("%s holds business facts: when the %s is deleted, the row stays and %s is cleared", t.t.Name, owner, l.column.Name)
	case subject && isBusiness(t.t.Name):
		ds.OnSubjectDelete = lethe.OnDeleteDelete
		ds.OnDeleteWhy = fmt.Sprintf("%s holds business facts, but %s is NOT NULL, so its rows cannot be orphaned: they go with their %s", t.t.Name, l.column.Name, owner)
	default:
		ds.OnSubjectDelete = lethe.OnDeleteDelete
	}
	t.ds = ds
}

var businessWords = set("transaction", "order", "payment", "invoice", "purchase", "refund", "charge", "receipt", "sale",
	"booking", "shipment", "ledger", "billing", "subscription", "donation", "contract", "payout")

// isBusiness says a table holds business facts that outlive the person:
// transactions, orders, payments, invoices.
func isBusiness(name string) bool {
	for _, w := range words(name) {
		if businessWords[singularWord(w)] {
			return true
		}
	}
	return false
}

// ownsFields says the subject t, or a dataset linked to it, directly or
// through a chain, has personal fields: something for anonymize to mask.
func (a *analysis) ownsFields(t *table) bool {
	if len(t.fields) > 0 {
		return true
	}
	for _, o := range a.tables {
		if o.owner != nil && o.owner.target == t && a.ownsFields(o) {
			return true
		}
	}
	return false
}

// referrers lists the foreign keys of other tables that point to t and
// are not t's owned rows, as table.column.
func (a *analysis) referrers(t *table) []string {
	var out []string
	for _, o := range a.tables {
		if o == t {
			continue
		}
		for i := range o.t.ForeignKeys {
			fk := &o.t.ForeignKeys[i]
			if a.target(fk) != t || (o.owner != nil && o.owner.target == t && o.owner.column.Name == fk.Columns[0]) {
				continue
			}
			out = append(out, o.t.Name+"."+fk.Columns[0])
		}
	}
	sort.Strings(out)
	return out
}
