package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"lethe"
	"lethe/dialect"
)

// Options say how much to write and when "now" is.
type Options struct {
	// Rows is the scale: about how many users. The other tables grow with
	// it (five transactions, two or three answers, four identity events and
	// three audit entries per user, and so on). 0 means 200.
	Rows int
	// Seed drives every random choice: the same Options give the same rows.
	Seed int64
	// Now is the time everything is dated relative to. It must be set: the
	// package never reads the wall clock. It is truncated to the second.
	Now time.Time
}

// DefaultRows is the scale of Options.Rows when it is 0.
const DefaultRows = 200

// Counts is how many rows Populate wrote, per table.
type Counts map[string]int64

// Total is the number of rows written in all tables.
func (c Counts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// String lists the counts in the order of Tables: "organisations 10,
// users 200, ...".
func (c Counts) String() string {
	var parts []string
	for _, t := range Tables() {
		if n, ok := c[t]; ok {
			parts = append(parts, t+" "+strconv.FormatInt(n, 10))
		}
	}
	return strings.Join(parts, ", ")
}

// Populate fills the tables of CreateSchema, which must be empty, with a
// multi-tenant application's data dated relative to opts.Now, and returns
// how many rows each table received. The data sits on both sides of every
// cutoff examples/saas.yaml sets, so each stage of the policy has rows to
// act on and rows to leave alone. On error, the counts say which tables
// were written in full.
func Populate(ctx context.Context, d dialect.Dialect, opts Options) (Counts, error) {
	if opts.Now.IsZero() {
		return nil, lethe.Errorf(lethe.EINVALID, "demo: Options.Now is not set: give the time the data is dated relative to")
	}
	if opts.Rows < 0 {
		return nil, lethe.Errorf(lethe.EINVALID, "demo: Options.Rows is %d: give a positive number of users, or 0 for %d", opts.Rows, DefaultRows)
	}
	if opts.Rows == 0 {
		opts.Rows = DefaultRows
	}
	var n int64
	if err := d.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+d.Quote("users")).Scan(&n); err != nil {
		return nil, fmt.Errorf("demo: cannot read table users (create the schema first): %w", err)
	}
	if n > 0 {
		return nil, lethe.Errorf(lethe.ECONFLICT, "demo: table users already holds %d rows: populate an empty database", n)
	}
	counts := Counts{}
	for _, t := range generate(opts) {
		if err := insert(ctx, d, t); err != nil {
			return counts, err
		}
		counts[t.name] = int64(len(t.rows))
	}
	return counts, nil
}

// profile is the kind of account a user has, which decides their dates.
type profile int

const (
	recent      profile = iota // signed in during the last 6 months
	stale                      // last signed in 7 to 30 months ago, still active
	never                      // never signed in
	deactivated                // deactivated 1 to 30 months ago
	anonymized                 // deactivated, then anonymized 3 months later
)

// profiles holds the mix of every twenty users: 45% recent, 20% stale,
// 15% never signed in, 15% deactivated, 5% anonymized. Dealing them from
// a shuffled block keeps the mix exact at any scale.
var profiles = []profile{
	recent, recent, recent, recent, recent, recent, recent, recent, recent,
	stale, stale, stale, stale,
	never, never, never,
	deactivated, deactivated, deactivated,
	anonymized,
}

type org struct {
	id int64
	ws string
}

type user struct {
	id                                int64
	ws                                string // "" is NULL: platform staff
	org                               int64  // 0 is NULL
	first, last, email, account, note string
	kind                              profile
	login, created, deact, anon       time.Time // zero is NULL
}

// name is how other tables name the user: the full name, or the pseudonym
// that anonymization left.
func (u *user) name() string {
	if u.kind == anonymized {
		return u.first
	}
	return u.first + " " + u.last
}

type participant struct {
	id                                      int64
	ws, first, last, email, phone, customer string
	created                                 time.Time
}

type contact struct {
	id      string
	ws      string
	created time.Time
}

// dated is a row whose id follows its date, as ids do in applications
// that insert rows as things happen.
type dated struct {
	at   time.Time
	vals []any // without the id
}

// byDate orders rows by date, keeping the order of generation for equal
// dates, and numbers them from 1 into t.
func byDate(t *table, rows []dated) {
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].at.Before(rows[j].at) })
	for i, r := range rows {
		t.add(append([]any{int64(i + 1)}, r.vals...)...)
	}
}

type gen struct {
	r     *rand.Rand
	now   time.Time
	taken map[string]bool // emails and handles already given out
}

// generate builds every table's rows, in the order of Tables. It depends
// on opts alone, never on the dialect, so every database gets the same rows.
func generate(opts Options) []*table {
	g := &gen{
		r:     rand.New(rand.NewPCG(uint64(opts.Seed), 0x6c657468652d646d)),
		now:   opts.Now.UTC().Truncate(time.Second),
		taken: map[string]bool{},
	}
	n := opts.Rows

	orgs, orgT := g.organisations(max(10, n/20))
	users, userT := g.users(n, orgs)
	parts, partT := g.participants(n)
	contacts, contactT := g.contacts(n)
	answerT, metaT := g.answers(parts)
	return []*table{
		orgT, userT, partT, contactT,
		g.transactions(users, n/20),
		answerT, metaT,
		g.identityEvents(contacts),
		g.auditLogs(3 * n),
		g.supportTickets(users, max(1, n/2)),
		g.webhookSecrets(max(2, n/50)),
		g.invitations(max(1, n/4)),
		g.sessions(users),
	}
}

// Dates.

func (g *gen) monthsAgo(m int) time.Time { return g.now.AddDate(0, -m, 0) }
func (g *gen) daysAgo(d int) time.Time   { return g.now.AddDate(0, 0, -d) }

// between returns a time in [a, b), whole seconds.
func (g *gen) between(a, b time.Time) time.Time {
	if !b.After(a) {
		return a
	}
	return a.Add(time.Duration(g.r.Int64N(int64(b.Sub(a))))).Truncate(time.Second)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Values.

func (g *gen) pick(list []string) string { return list[g.r.IntN(len(list))] }
func (g *gen) chance(percent int) bool   { return g.r.IntN(100) < percent }

// workspace returns a tenant by the weights of workspaces; with nullPercent
// a share of rows belongs to no tenant ("" is NULL).
func (g *gen) workspace(nullPercent int) string {
	if g.chance(nullPercent) {
		return ""
	}
	w := g.r.IntN(10)
	for _, ws := range workspaces {
		if w < ws.weight {
			return ws.id
		}
		w -= ws.weight
	}
	return workspaces[0].id
}

// null turns "" into NULL.
func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.r.IntN(16)]
	}
	return string(b)
}

func (g *gen) base62(n int) string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.r.IntN(len(digits))]
	}
	return string(b)
}

// unique returns base+suffix, the first of base, base2, base3... not yet
// given out.
func (g *gen) unique(base, suffix string) string {
	s := base + suffix
	for i := 2; g.taken[s]; i++ {
		s = base + strconv.Itoa(i) + suffix
	}
	g.taken[s] = true
	return s
}

func (g *gen) email(first, last string, domains ...string) string {
	return g.unique(strings.ToLower(first+"."+last), "@"+g.pick(domains))
}

// phone returns a number from the ranges reserved for fiction, in the
// layouts people write.
func (g *gen) phone() string {
	switch g.r.IntN(4) {
	case 0:
		return fmt.Sprintf("+44 7700 900%03d", g.r.IntN(1000))
	case 1:
		return fmt.Sprintf("+44 20 7946 0%03d", g.r.IntN(1000))
	case 2:
		return fmt.Sprintf("(415) 555-01%02d", g.r.IntN(100))
	default:
		return fmt.Sprintf("+1 212 555 01%02d", g.r.IntN(100))
	}
}

// text fills a template's {email}, {phone} and {other}.
func text(template, email, phone, other string) string {
	return strings.NewReplacer("{email}", email, "{phone}", phone, "{other}", other).Replace(template)
}

// Tables.

// organisations: every tenth is soft-deleted more than 30 days ago and
// every tenth less, so purge_after has rows on both sides.
func (g *gen) organisations(n int) ([]org, *table) {
	t := &table{name: "organisations", cols: []string{"id", "workspace_id", "name", "deleted_at"}}
	orgs := make([]org, n)
	names := map[string]bool{}
	for i := range orgs {
		o := org{id: int64(i + 1), ws: g.workspace(0)}
		name := g.pick(orgWords) + " " + g.pick(orgKinds)
		for try := 0; names[name]; try++ {
			name = g.pick(orgWords) + " " + g.pick(orgKinds) + " " + g.pick([]string{"Ltd", "GmbH", "SAS", "Inc", "BV"})
			if try >= 3 { // the word lists run out at large scales
				name += " " + strconv.Itoa(i+1)
			}
		}
		names[name] = true
		var deleted time.Time
		switch o.id % 10 {
		case 4:
			deleted = g.between(g.monthsAgo(14), g.daysAgo(31))
		case 9:
			deleted = g.between(g.daysAgo(29), g.now)
		}
		orgs[i] = o
		t.add(o.id, o.ws, name, deleted)
	}
	return orgs, t
}

func (g *gen) users(n int, orgs []org) ([]*user, *table) {
	t := &table{name: "users", cols: []string{"id", "workspace_id", "organisation_id", "first_name", "last_name", "email",
		"account", "note", "active", "last_login_at", "created_at", "deactivated_at", "anonymized_at"}}
	threeYears := g.monthsAgo(36)
	users := make([]*user, n)
	var deal []int
	for i := range users {
		if i%len(profiles) == 0 {
			deal = g.r.Perm(len(profiles))
		}
		u := &user{kind: profiles[deal[i%len(profiles)]]}
		if i%50 != 49 { // one in fifty is platform staff: no tenant, no organisation
			o := orgs[g.r.IntN(len(orgs))]
			u.ws, u.org = o.ws, o.id
		}
		u.first, u.last = g.pick(firstNames), g.pick(lastNames)
		switch u.kind {
		case recent:
			u.created = g.between(threeYears, g.daysAgo(1))
			u.login = g.between(later(u.created, g.monthsAgo(6).AddDate(0, 0, 1)), g.now)
		case stale:
			u.login = g.between(g.monthsAgo(30), g.monthsAgo(7))
			u.created = g.between(threeYears, u.login)
		case never:
			u.created = g.between(threeYears, g.now)
		case deactivated, anonymized:
			if u.kind == deactivated {
				u.deact = g.between(g.monthsAgo(30), g.monthsAgo(1))
			} else {
				u.deact = g.between(g.monthsAgo(30), g.monthsAgo(4))
				u.anon = earlier(u.deact.AddDate(0, 3, 0).Add(time.Duration(g.r.IntN(7*24))*time.Hour), g.now)
			}
			// Deactivated when six months without a sign-in ran out.
			u.login = u.deact.AddDate(0, -6, 0).Add(-time.Duration(g.r.IntN(20*24)) * time.Hour)
			u.created = g.between(earlier(threeYears, u.login.AddDate(0, -2, 0)), u.login)
		}
		if u.kind == anonymized {
			tok := g.hex(6)
			for g.taken["anon-"+tok] {
				tok = g.hex(6)
			}
			g.taken["anon-"+tok] = true
			u.first, u.last, u.account = "Anonymized "+tok, "Anonymized "+tok, "Anonymized "+tok
			u.email = "anon-" + tok + "@anonymized.invalid"
		} else {
			u.email = g.email(u.first, u.last, "example.com", "example.com", "example.org")
			u.account = g.unique(strings.ToLower(u.first[:1]+u.last), "")
			if g.chance(40) {
				u.note = text(g.pick(userNotes), u.email, g.phone(), g.email(g.pick(firstNames), g.pick(lastNames), "example.org"))
			}
		}
		users[i] = u
	}
	// Ids follow sign-up order, as an auto-increment key would have it.
	sort.SliceStable(users, func(i, j int) bool { return users[i].created.Before(users[j].created) })
	for i, u := range users {
		u.id = int64(i + 1)
		var org any
		if u.org != 0 {
			org = u.org
		}
		active := u.kind != deactivated && u.kind != anonymized
		t.add(u.id, null(u.ws), org, u.first, u.last, u.email, u.account, null(u.note), active,
			u.login, u.created, u.deact, u.anon)
	}
	return users, t
}

// transactions: about four per user who ever signed in, dated between
// sign-up and last sign-in, plus orphans whose user was deleted long ago
// (no link, the name pseudonymised).
func (g *gen) transactions(users []*user, orphans int) *table {
	t := &table{name: "transactions", cols: []string{"id", "workspace_id", "performed_by", "performed_by_name", "amount_cents", "asset", "created_at"}}
	var rows []dated
	for _, u := range users {
		if u.login.IsZero() || u.ws == "" {
			continue
		}
		for range g.r.IntN(9) {
			at := g.between(u.created, u.login)
			rows = append(rows, dated{at, []any{u.ws, u.id, u.name(), 100 + g.r.Int64N(250000), g.pick(assets), at}})
		}
	}
	for range orphans {
		at := g.between(g.monthsAgo(36), g.monthsAgo(25))
		rows = append(rows, dated{at, []any{g.workspace(0), nil, "Anonymized " + g.hex(6), 100 + g.r.Int64N(250000), g.pick(assets), at}})
	}
	byDate(t, rows)
	return t
}

// participants: survey respondents who signed up 0 to 18 months ago.
func (g *gen) participants(n int) ([]participant, *table) {
	t := &table{name: "participants", cols: []string{"id", "workspace_id", "first_name", "last_name", "email", "phone", "customer_id", "created_at"}}
	parts := make([]participant, n)
	for i := range parts {
		p := participant{ws: g.workspace(0), first: g.pick(firstNames), last: g.pick(lastNames)}
		p.email = g.email(p.first, p.last, "example.net", "example.org")
		p.phone = g.phone()
		p.customer = "cus_" + g.base62(12)
		p.created = g.between(g.monthsAgo(18), g.now)
		parts[i] = p
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].created.Before(parts[j].created) })
	for i := range parts {
		p := &parts[i]
		p.id = int64(i + 1)
		t.add(p.id, p.ws, p.first, p.last, p.email, p.phone, p.customer, p.created)
	}
	return parts, t
}

// answers: one to four per participant, within two weeks of signing up;
// some comments give an address or a phone number in passing. Each answer
// has metadata rows (source always, then some of locale, device, nps...).
func (g *gen) answers(parts []participant) (*table, *table) {
	t := &table{name: "answers", cols: []string{"id", "workspace_id", "participant_id", "comment", "created_at"}}
	meta := &table{name: "answer_metadata", cols: []string{"id", "answer_id", "name", "value"}}
	var rows []dated
	for _, p := range parts {
		for range 1 + g.r.IntN(4) {
			at := g.between(p.created, earlier(p.created.AddDate(0, 0, 14), g.now))
			var comment any
			if !g.chance(15) {
				comment = text(g.pick(answerComments), p.email, p.phone, "")
			}
			rows = append(rows, dated{at, []any{p.ws, p.id, comment, at}})
		}
	}
	byDate(t, rows)
	var id int64
	for _, a := range t.rows {
		for i, m := range metadata {
			if i == 0 || g.chance(50) {
				id++
				meta.add(id, a[0], m.name, g.pick(m.values))
			}
		}
	}
	return t, meta
}

// contacts: people known to an identity provider, ids like "c_81", added
// over the last three years.
func (g *gen) contacts(n int) ([]contact, *table) {
	t := &table{name: "contacts", cols: []string{"id", "workspace_id", "created_at"}}
	cs := make([]contact, n)
	for i := range cs {
		cs[i] = contact{ws: g.workspace(3), created: g.between(g.monthsAgo(36), g.now)}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].created.Before(cs[j].created) })
	for i := range cs {
		c := &cs[i]
		c.id = "c_" + strconv.Itoa(i+1)
		if c.id == "c_81" {
			c.ws = "acme" // the contact SPEC section 3 erases from tenant acme
		}
		t.add(c.id, null(c.ws), c.created)
	}
	return cs, t
}

// identityEvents: sign-ins and the like, 0 to 7 per contact since it was
// added: older and newer than the 24 months they are kept.
func (g *gen) identityEvents(cs []contact) *table {
	t := &table{name: "identity_events", cols: []string{"id", "workspace_id", "contact_id", "kind", "created_at"}}
	total := 0
	for _, k := range identityKinds {
		total += k.weight
	}
	var rows []dated
	for _, c := range cs {
		for range g.r.IntN(8) {
			w, kind := g.r.IntN(total), ""
			for _, k := range identityKinds {
				if w < k.weight {
					kind = k.kind
					break
				}
				w -= k.weight
			}
			at := g.between(c.created, g.now)
			rows = append(rows, dated{at, []any{null(c.ws), c.id, kind, at}})
		}
	}
	byDate(t, rows)
	return t
}

// auditLogs: over the last two years; a few are the platform's own (no
// tenant).
func (g *gen) auditLogs(n int) *table {
	t := &table{name: "audit_logs", cols: []string{"id", "workspace_id", "action", "created_at"}}
	rows := make([]dated, n)
	for i := range rows {
		at := g.between(g.monthsAgo(24), g.now)
		rows[i] = dated{at, []any{null(g.workspace(5)), g.pick(auditActions), at}}
	}
	byDate(t, rows)
	return t
}

// supportTickets: over the last 30 months, mostly from users (their
// address in requester_email, addresses and numbers in the body), some
// from people without an account. An anonymized user's tickets were
// redacted with them.
func (g *gen) supportTickets(users []*user, n int) *table {
	t := &table{name: "support_tickets", cols: []string{"id", "workspace_id", "requester_id", "body", "requester_email", "created_at"}}
	rows := make([]dated, n)
	for i := range rows {
		other := g.email(g.pick(firstNames), g.pick(lastNames), "example.com", "example.org")
		if g.chance(10) {
			email := g.email(g.pick(firstNames), g.pick(lastNames), "example.net")
			at := g.between(g.monthsAgo(30), g.now)
			rows[i] = dated{at, []any{g.workspace(0), nil, text(g.pick(ticketBodies), email, g.phone(), other), email, at}}
			continue
		}
		u := users[g.r.IntN(len(users))]
		end := g.now
		if !u.deact.IsZero() {
			end = u.deact
		}
		at := g.between(later(u.created, g.monthsAgo(30)), end)
		body := text(g.pick(ticketBodies), u.email, g.phone(), other)
		if u.kind == anonymized {
			body = text(g.pick(ticketBodies), "[email]", "[phone]", "[email]")
		}
		rows[i] = dated{at, []any{null(u.ws), u.id, body, u.email, at}}
	}
	byDate(t, rows)
	return t
}

// webhookSecrets: per workspace, a current secret (rotated_at NULL) and
// the ones it replaced, their plaintext still there. Half the workspaces
// rotated hours ago, inside the one day the plaintext may stay, the other
// half days ago.
func (g *gen) webhookSecrets(perWorkspace int) *table {
	t := &table{name: "webhook_secrets", cols: []string{"id", "workspace_id", "plaintext", "rotated_at"}}
	var id int64
	for wi, ws := range workspaces {
		rotations := make([]time.Time, perWorkspace-1)
		at := g.now.Add(-time.Duration(2+g.r.IntN(18)) * time.Hour)
		if wi%2 == 1 {
			at = g.between(g.daysAgo(10), g.daysAgo(2))
		}
		for j := range rotations {
			rotations[len(rotations)-1-j] = at
			at = at.AddDate(0, 0, -(30 + g.r.IntN(90))).Add(-time.Duration(g.r.IntN(86400)) * time.Second)
		}
		for _, r := range append(rotations, time.Time{}) {
			id++
			t.add(id, ws.id, "whsec_"+g.hex(32), r)
		}
	}
	return t
}

// invitations: expiring between six months ago and a month ahead.
func (g *gen) invitations(n int) *table {
	t := &table{name: "invitations", cols: []string{"id", "workspace_id", "email", "expires_at"}}
	rows := make([]dated, n)
	for i := range rows {
		at := g.between(g.monthsAgo(6), g.now.AddDate(0, 1, 0))
		rows[i] = dated{at, []any{null(g.workspace(5)), g.email(g.pick(firstNames), g.pick(lastNames), "example.com", "example.org"), at}}
	}
	byDate(t, rows)
	return t
}

// sessions: zero to two for each user who signed in lately, expiring
// between three days ago and a day ahead.
func (g *gen) sessions(users []*user) *table {
	t := &table{name: "sessions", cols: []string{"id", "workspace_id", "user_id", "expires_at"}}
	for _, u := range users {
		if u.kind != recent {
			continue
		}
		k := 1
		switch w := g.r.IntN(10); {
		case w < 3:
			k = 0
		case w >= 8:
			k = 2
		}
		for range k {
			t.add(g.hex(32), null(u.ws), u.id, g.between(g.daysAgo(3), g.now.AddDate(0, 0, 1)))
		}
	}
	return t
}
