package discover

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"lethe"
	"lethe/dialect"
	"lethe/dialect/dialecttest"
	"lethe/policy"
)

var ctx = context.Background()

func exec(t *testing.T, d dialect.Dialect, queries ...string) {
	t.Helper()
	for _, q := range queries {
		if _, err := d.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// saasRows fills the schema of dialecttest.CreateSaaSSchema with a few
// rows, so that sampling has something to read.
var saasRows = []string{
	`INSERT INTO organisations (id, workspace_id, name) VALUES (1, 'acme', 'Acme Ltd')`,
	`INSERT INTO users (id, workspace_id, organisation_id, first_name, last_name, email, account, note, active, last_login_at, created_at) VALUES
		(1, 'acme', 1, 'Alice', 'Martin', 'alice@example.com', 'alice', 'prefers mornings', TRUE, '2024-03-01 10:00:00', '2023-01-01 00:00:00'),
		(2, 'acme', 1, 'Bob', 'Stone', 'bob@example.org', 'bstone', NULL, TRUE, NULL, '2023-02-01 00:00:00')`,
	`INSERT INTO participants (id, workspace_id, first_name, last_name, email, phone, customer_id, created_at) VALUES
		(1, 'acme', 'Carol', 'Diaz', 'carol@example.net', '+44 20 7946 0958', 'cus_1001', '2024-01-05 00:00:00')`,
	`INSERT INTO contacts (id, workspace_id, created_at) VALUES ('c_81', 'acme', '2024-01-01 00:00:00')`,
	`INSERT INTO transactions (id, workspace_id, performed_by, performed_by_name, amount_cents, asset, created_at) VALUES
		(1, 'acme', 1, 'Alice Martin', 1250, 'BTC', '2024-02-01 00:00:00')`,
	`INSERT INTO answers (id, workspace_id, participant_id, comment, created_at) VALUES
		(1, 'acme', 1, 'Great survey, call me on +44 20 7946 0958', '2024-01-06 00:00:00')`,
	`INSERT INTO answer_metadata (id, answer_id, name, value) VALUES (1, 1, 'source', 'web')`,
	`INSERT INTO identity_events (id, workspace_id, contact_id, kind, created_at) VALUES (1, 'acme', 'c_81', 'login', '2024-01-02 00:00:00')`,
	`INSERT INTO audit_logs (id, workspace_id, action, created_at) VALUES (1, 'acme', 'user.update', '2024-01-03 00:00:00')`,
	`INSERT INTO support_tickets (id, workspace_id, requester_id, body, requester_email, created_at) VALUES
		(1, 'acme', 1, 'My address is alice@example.com, please help', 'alice@example.com', '2024-01-04 00:00:00')`,
	`INSERT INTO webhook_secrets (id, workspace_id, plaintext, rotated_at) VALUES (1, 'acme', 'whsec_3f9a8b7c6d', '2024-01-04 00:00:00')`,
	`INSERT INTO invitations (id, workspace_id, email, expires_at) VALUES (1, 'acme', 'dave@example.com', '2024-02-01 00:00:00')`,
	`INSERT INTO sessions (id, workspace_id, user_id, expires_at) VALUES ('s1', 'acme', 1, '2024-03-02 00:00:00')`,
}

// crmTables look like a helpdesk: customers and the agents who serve them,
// tickets linked to customers by name only (no foreign key), a join table
// with a two-column primary key, a soft-deleted customer table, sign-in
// events, orders that outlive their customer, reset tokens with integer
// Unix expiry, and a notes column whose name says little but whose values
// are addresses and numbers.
var crmTables = []string{
	`CREATE TABLE agents (id BIGINT NOT NULL PRIMARY KEY, display_name VARCHAR(100) NOT NULL, email VARCHAR(254) NOT NULL,
		last_login_at TS, created_at TS NOT NULL, disabled_at TS)`,
	`CREATE TABLE customers (id BIGINT NOT NULL PRIMARY KEY, full_name VARCHAR(200) NOT NULL, email VARCHAR(254),
		mobile VARCHAR(40) NOT NULL, street VARCHAR(200), city VARCHAR(100), postcode VARCHAR(20), date_of_birth DATE,
		signup_ip VARCHAR(45), contact_notes TEXT, company VARCHAR(200), tier VARCHAR(20) NOT NULL,
		is_active BOOLEAN NOT NULL DEFAULT TRUE, last_seen_at TS, created_at TS NOT NULL, deleted_at TS)`,
	`CREATE TABLE tickets (id BIGINT NOT NULL PRIMARY KEY, customer_id BIGINT NOT NULL, assignee_id BIGINT,
		subject VARCHAR(200), status VARCHAR(20) NOT NULL, created_at TS NOT NULL,
		FOREIGN KEY (assignee_id) REFERENCES agents (id))`,
	`CREATE TABLE ticket_messages (id BIGINT NOT NULL PRIMARY KEY, ticket_id BIGINT NOT NULL, body TEXT NOT NULL, sent_at TS NOT NULL,
		FOREIGN KEY (ticket_id) REFERENCES tickets (id))`,
	`CREATE TABLE tags (id BIGINT NOT NULL PRIMARY KEY, label VARCHAR(50) NOT NULL)`,
	`CREATE TABLE customer_tags (customer_id BIGINT NOT NULL, tag_id BIGINT NOT NULL, PRIMARY KEY (customer_id, tag_id),
		FOREIGN KEY (customer_id) REFERENCES customers (id), FOREIGN KEY (tag_id) REFERENCES tags (id))`,
	`CREATE TABLE login_events (id BIGINT NOT NULL PRIMARY KEY, customer_id BIGINT, ip_address VARCHAR(45), user_agent VARCHAR(300),
		occurred_at TS NOT NULL, FOREIGN KEY (customer_id) REFERENCES customers (id))`,
	`CREATE TABLE orders (id BIGINT NOT NULL PRIMARY KEY, customer_id BIGINT, total_cents BIGINT NOT NULL, placed_unix BIGINT NOT NULL,
		FOREIGN KEY (customer_id) REFERENCES customers (id))`,
	`CREATE TABLE password_resets (token VARCHAR(64) NOT NULL PRIMARY KEY, customer_id BIGINT NOT NULL, expires_unix BIGINT NOT NULL,
		FOREIGN KEY (customer_id) REFERENCES customers (id))`,
}

var crmRows = []string{
	`INSERT INTO agents (id, display_name, email, last_login_at, created_at) VALUES (1, 'Sam', 'sam@helpdesk.example', '2024-03-01 09:00:00', '2022-05-01 00:00:00')`,
	`INSERT INTO customers (id, full_name, email, mobile, street, city, postcode, date_of_birth, signup_ip, contact_notes, company, tier, is_active, last_seen_at, created_at) VALUES
		(1, 'Ann Lee', 'ann@example.com', '+44 20 7946 0001', '1 High St', 'Leeds', 'LS1 1AA', '1980-04-02', '203.0.113.7', 'ann.lee@example.com', 'Acme Ltd', 'gold', TRUE, '2024-02-01 00:00:00', '2023-01-01 00:00:00'),
		(2, 'Ben Ode', NULL, '+44 20 7946 0002', NULL, NULL, NULL, NULL, '198.51.100.23', '+44 20 7946 0123', 'Globex', 'free', TRUE, NULL, '2023-02-01 00:00:00'),
		(3, 'Cy Roe', 'cy@example.org', '+1 202 555 0143', NULL, NULL, NULL, NULL, NULL, 'call after 5pm on +1 202 555 0143', NULL, 'free', TRUE, NULL, '2023-03-01 00:00:00'),
		(4, 'Di Fox', NULL, '+33 6 12 34 56 78', NULL, NULL, NULL, NULL, NULL, 'di.fox@example.net', NULL, 'free', FALSE, NULL, '2023-04-01 00:00:00'),
		(5, 'Ed Kim', NULL, '+33 6 12 34 56 79', NULL, NULL, NULL, NULL, NULL, '+33 6 12 34 56 79', NULL, 'free', TRUE, NULL, '2023-05-01 00:00:00'),
		(6, 'Flo Ng', NULL, '+33 6 12 34 56 80', NULL, NULL, NULL, NULL, NULL, 'VIP', NULL, 'gold', TRUE, NULL, '2023-06-01 00:00:00')`,
	`INSERT INTO tickets (id, customer_id, assignee_id, subject, status, created_at) VALUES (1, 1, 1, 'Cannot sign in', 'open', '2024-01-10 00:00:00')`,
	`INSERT INTO ticket_messages (id, ticket_id, body, sent_at) VALUES (1, 1, 'Hello, I cannot sign in since Monday.', '2024-01-10 00:00:00')`,
	`INSERT INTO tags (id, label) VALUES (1, 'vip')`,
	`INSERT INTO customer_tags (customer_id, tag_id) VALUES (1, 1)`,
	`INSERT INTO login_events (id, customer_id, ip_address, user_agent, occurred_at) VALUES
		(1, 1, '203.0.113.7', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36', '2024-02-01 00:00:00')`,
	`INSERT INTO orders (id, customer_id, total_cents, placed_unix) VALUES (1, 1, 4200, 1706745600)`,
	`INSERT INTO password_resets (token, customer_id, expires_unix) VALUES ('rst_9f8e7d6c', 1, 1709251200)`,
}

func createCRM(t *testing.T, h dialecttest.Harness, d dialect.Dialect) {
	t.Helper()
	for _, ddl := range crmTables {
		exec(t, d, strings.ReplaceAll(ddl, " TS", " "+h.Timestamp))
	}
	exec(t, d, crmRows...)
}

// draft drafts a policy from d and checks that it loads and binds to the
// same database without errors.
func draft(t *testing.T, d dialect.Dialect, opts Options) (*Proposal, *lethe.Policy, string) {
	t.Helper()
	prop, err := Draft(ctx, d, opts)
	if err != nil {
		t.Fatal(err)
	}
	text := string(prop.YAML())
	p, err := policy.Load("draft.yaml", []byte(text))
	if err != nil {
		t.Fatalf("the draft does not load:\n%v\n\n%s", err, numbered(text))
	}
	s, err := d.Introspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if errs, warnings := policy.Bind(p, s); len(errs) > 0 || len(warnings) > 0 {
		t.Fatalf("the draft does not bind:\n%v\n%v\n\n%s", errs, warnings, numbered(text))
	}
	everyGuessSaysWhy(t, prop, text)
	return prop, p, text
}

func numbered(text string) string {
	lines := strings.Split(text, "\n")
	for i := range lines {
		lines[i] = fmt.Sprintf("%3d  %s", i+1, lines[i])
	}
	return strings.Join(lines, "\n")
}

// everyGuessSaysWhy checks that each proposal carries its reason, and that
// the reason stands in the text as a comment.
func everyGuessSaysWhy(t *testing.T, prop *Proposal, text string) {
	t.Helper()
	var whys []string
	for _, s := range prop.Subjects {
		whys = append(whys, s.Why)
		for _, f := range s.Fields {
			whys = append(whys, f.Why)
		}
		for _, st := range s.Lifecycle {
			whys = append(whys, st.Why)
		}
		if s.SoftDelete != nil {
			whys = append(whys, s.SoftDelete.Why)
		}
	}
	for _, ds := range prop.Datasets {
		for _, f := range ds.Fields {
			whys = append(whys, f.Why)
		}
		if ds.Owner != nil {
			whys = append(whys, ds.Owner.Why)
		}
		if ds.Retention != nil {
			whys = append(whys, ds.Retention.Why)
		}
		if ds.SoftDelete != nil {
			whys = append(whys, ds.SoftDelete.Why)
		}
	}
	for _, why := range whys {
		if why == "" {
			t.Errorf("a proposal has no reason:\n%s", text)
		} else if !strings.Contains(text, "# "+why+"\n") {
			t.Errorf("reason %q is not a comment in the draft:\n%s", why, text)
		}
	}
}

// describe lists what a policy says, one line per fact, sorted, so that a
// test compares a whole policy at once.
func describe(p *lethe.Policy) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	fields := func(table string, fs []lethe.Field) {
		for _, f := range fs {
			mask := string(f.Mask.Kind)
			if f.Mask.Kind == lethe.MaskFixed {
				mask = fmt.Sprintf("fixed %q", f.Mask.Fixed)
			}
			add("field %s.%s: %s", table, f.Column, mask)
		}
	}
	if p.TenantColumn != "" {
		add("tenant_column %s", p.TenantColumn)
	}
	for _, s := range p.Subjects {
		add("subject %s: table %s, key %s", s.Name, s.Table, s.Key)
		fields(s.Table, s.Fields)
		for _, st := range s.Lifecycle.Stages() {
			line := fmt.Sprintf("lifecycle %s %s: after %s since %s", s.Name, st.Kind, st.After, clockString(st.Since))
			for _, a := range st.Set {
				line += fmt.Sprintf(", set %s=%v", a.Column, a.Value)
			}
			if st.Stamp != "" {
				line += ", stamp " + st.Stamp
			}
			add("%s", line)
		}
		if sd := s.SoftDelete; sd != nil {
			add("soft_delete %s: %s after %s", s.Name, sd.Column, sd.PurgeAfter)
		}
	}
	for _, ds := range p.Datasets {
		add("dataset %s: table %s, key %s", ds.Name, ds.Table, ds.Key)
		if o := ds.Owner; o != nil {
			add("owner %s: %s via %s, on delete %s", ds.Name, o.Name, o.Column, ds.OnSubjectDelete)
		}
		fields(ds.Table, ds.Fields)
		if r := ds.Retention; r != nil {
			line := fmt.Sprintf("retention %s: keep %s since %s", ds.Name, r.Keep, clockString(r.Since))
			if !r.AnonymizeAfter.Off() {
				line += ", anonymize after " + r.AnonymizeAfter.String()
			}
			add("%s", line)
		}
		if sd := ds.SoftDelete; sd != nil {
			add("soft_delete %s: %s after %s", ds.Name, sd.Column, sd.PurgeAfter)
		}
	}
	sort.Strings(out)
	return out
}

func clockString(c lethe.Clock) string {
	var names []string
	for _, col := range c.Columns {
		n := col.Name
		if col.Unit != lethe.ClockNative {
			n += " (" + string(col.Unit) + ")"
		}
		names = append(names, n)
	}
	return "[" + strings.Join(names, ", ") + "]"
}

func compare(t *testing.T, got, want []string, text string) {
	t.Helper()
	sort.Strings(want)
	if slices.Equal(got, want) {
		return
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("unexpected: %s", g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missing:    %s", w)
		}
	}
	t.Logf("draft:\n%s", numbered(text))
}

// hasLine reports whether some line of text contains every part, in
// order. Comments wrapped onto continuation lines ("#   ...") count as
// one line.
func hasLine(text string, parts ...string) bool {
	var lines []string
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "#   "); ok && len(lines) > 0 {
			lines[len(lines)-1] += " " + rest
			continue
		}
		lines = append(lines, line)
	}
	for _, line := range lines {
		rest, ok := line, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}

func TestDraftSaaS(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		d := h.Open(t)
		dialecttest.CreateSaaSSchema(t, h, d)
		exec(t, d, saasRows...)
		if err := d.Migrate(ctx); err != nil { // Lethe's own tables are not the application's
			t.Fatal(err)
		}
		now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
		prop, p, text := draft(t, d, Options{Now: now})

		compare(t, describe(p), []string{
			"tenant_column workspace_id",

			"subject contact: table contacts, key id",
			"subject participant: table participants, key id",
			"field participants.first_name: pseudonym",
			"field participants.last_name: pseudonym",
			"field participants.email: email",
			"field participants.phone: clear",
			"field participants.customer_id: hmac",
			"lifecycle participant anonymize: after 1 month since [created_at]",
			"lifecycle participant delete: after 1 year since [created_at]",
			"subject user: table users, key id",
			"field users.first_name: pseudonym",
			"field users.last_name: pseudonym",
			"field users.email: email",
			"field users.account: pseudonym",
			"field users.note: redact",
			"lifecycle user deactivate: after 6 months since [last_login_at, created_at], set active=false, stamp deactivated_at",
			"lifecycle user anonymize: after 3 months since [deactivated_at], stamp anonymized_at",
			"lifecycle user delete: after 24 months since [deactivated_at]",

			"dataset answer_metadata: table answer_metadata, key id",
			"owner answer_metadata: answers via answer_id, on delete delete",
			"dataset answers: table answers, key id",
			"owner answers: participant via participant_id, on delete delete",
			"field answers.comment: redact",
			"dataset audit_logs: table audit_logs, key id",
			"retention audit_logs: keep 365 days since [created_at]",
			"dataset identity_events: table identity_events, key id",
			"owner identity_events: contact via contact_id, on delete delete",
			"retention identity_events: keep 24 months since [created_at]",
			"dataset invitations: table invitations, key id",
			"field invitations.email: email",
			"retention invitations: keep 90 days since [expires_at]",
			"dataset organisations: table organisations, key id",
			"soft_delete organisations: deleted_at after 30 days",
			"dataset sessions: table sessions, key id",
			"owner sessions: user via user_id, on delete delete",
			"retention sessions: keep 1 day since [expires_at]",
			"dataset support_tickets: table support_tickets, key id",
			"owner support_tickets: user via requester_id, on delete delete",
			"field support_tickets.body: redact",
			"field support_tickets.requester_email: email",
			"retention support_tickets: keep 2 years since [created_at], anonymize after 6 months",
			"dataset transactions: table transactions, key id",
			"owner transactions: user via performed_by, on delete orphan",
			"field transactions.performed_by_name: pseudonym",
		}, text)

		if want := []Skipped{{Table: "webhook_secrets", Why: "no owner, personal column, retention clock or soft-delete column found"}}; !slices.Equal(prop.Skipped, want) {
			t.Errorf("skipped = %v, want %v", prop.Skipped, want)
		}
		for _, want := range [][]string{
			{"# DRAFT policy written by lethe discover from a " + h.Name + " database on 2024-05-01."},
			{"# It is a draft to review"},
			{"tenant_column: workspace_id", "# 12 of 13 tables have a workspace_id column"},
			{"owner: {answers: answer_id}", "# foreign key answer_id -> answers.id"},
			{"on_subject_delete: orphan", "# transactions holds business facts: when the user is deleted, the row stays and performed_by is cleared"},
			{"email: email", "# name looks like an email address"},
			{"phone: clear", "# name looks like a phone number"},
			{"comment: redact", "# 1 of 1 sampled values hold phone numbers"},
			{"customer_id: hmac", "# an identifier with no table to point at"},
			{"soft_delete: {column: deleted_at, purge_after: 30 days}", "rows that point here (users.organisation_id) are not purged with them"},
			{"# no lifecycle: contacts has no last-activity column"},
			{"# Left out, with nothing found to declare"},
			{"# webhook_secrets."},
		} {
			if !hasLine(text, want...) {
				t.Errorf("no line with %q in the draft:\n%s", want, numbered(text))
			}
		}
		if strings.Contains(text, "lethe_") {
			t.Errorf("the draft names Lethe's own tables:\n%s", text)
		}
		// Values are counted, never copied.
		for _, v := range []string{"alice@example.com", "+44 20 7946 0958", "cus_1001", "prefers mornings", "whsec_"} {
			if strings.Contains(text, v) {
				t.Errorf("the draft holds the sampled value %q", v)
			}
		}
		again, err := Draft(ctx, d, Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if string(again.YAML()) != text {
			t.Error("a second draft of the same database differs from the first")
		}
	})
}

func TestDraftCRM(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		d := h.Open(t)
		createCRM(t, h, d)
		prop, p, text := draft(t, d, Options{Database: "postgres://crm:s3cret@db.internal:5432/crm?sslmode=require"})

		compare(t, describe(p), []string{
			"subject agent: table agents, key id",
			"field agents.display_name: pseudonym",
			"field agents.email: email",
			"lifecycle agent deactivate: after 6 months since [last_login_at, created_at], stamp disabled_at",
			"lifecycle agent anonymize: after 3 months since [disabled_at]",
			"lifecycle agent delete: after 24 months since [disabled_at]",

			"subject customer: table customers, key id",
			"field customers.full_name: pseudonym",
			"field customers.email: email",
			`field customers.mobile: fixed ""`,
			"field customers.street: clear",
			"field customers.city: clear",
			"field customers.postcode: clear",
			"field customers.date_of_birth: clear",
			"field customers.signup_ip: clear",
			"field customers.contact_notes: redact",
			"lifecycle customer deactivate: after 6 months since [last_seen_at, created_at], set is_active=false",
			"lifecycle customer anonymize: after 9 months since [last_seen_at, created_at]",
			"lifecycle customer delete: after 30 months since [last_seen_at, created_at]",
			"soft_delete customer: deleted_at after 30 days",

			"dataset customer_tags: table customer_tags, key customer_id",
			"owner customer_tags: customer via customer_id, on delete delete",
			"dataset login_events: table login_events, key id",
			"owner login_events: customer via customer_id, on delete delete",
			"field login_events.ip_address: clear",
			"retention login_events: keep 24 months since [occurred_at]",
			"dataset orders: table orders, key id",
			"owner orders: customer via customer_id, on delete orphan",
			"dataset password_resets: table password_resets, key token",
			"owner password_resets: customer via customer_id, on delete delete",
			"retention password_resets: keep 1 day since [expires_unix (seconds)]",
			"dataset ticket_messages: table ticket_messages, key id",
			"owner ticket_messages: tickets via ticket_id, on delete delete",
			"field ticket_messages.body: redact",
			"retention ticket_messages: keep 2 years since [sent_at], anonymize after 6 months",
			"dataset tickets: table tickets, key id",
			"owner tickets: customer via customer_id, on delete delete",
			"retention tickets: keep 2 years since [created_at]",
		}, text)

		var tickets *Dataset
		for _, ds := range prop.Datasets {
			if ds.Name == "tickets" {
				tickets = ds
			}
		}
		if tickets == nil || !tickets.Owner.Guess {
			t.Errorf("tickets.customer_id has no foreign key: its owner must be marked a guess: %+v", tickets)
		}
		if want := []Skipped{{Table: "tags", Why: "no owner, personal column, retention clock or soft-delete column found"}}; !slices.Equal(prop.Skipped, want) {
			t.Errorf("skipped = %v, want %v", prop.Skipped, want)
		}
		for _, want := range [][]string{
			{"database: postgres://crm@db.internal:5432/crm?sslmode=require", "# password left out"},
			{"# No tenant_column"},
			{"owner: {customer: customer_id}", "# guess: no foreign key; named like a reference to customers.id; assignee_id (-> agents) names who handles the row, not whom it is about"},
			{"owner: {tickets: ticket_id}", "# foreign key ticket_id -> tickets.id"},
			{"key: customer_id", "# the table has a primary key of several columns (customer_id, tag_id)"},
			{"on_subject_delete: delete", "# join table: its rows go with their customer"},
			{"on_subject_delete: orphan", "# orders holds business facts"},
			{"contact_notes: redact", "# 5 of 6 sampled values hold email addresses or phone numbers"},
			{"signup_ip: clear", "# name looks like an IP address"},
			{`mobile: {fixed: ""}`, "NOT NULL, so emptied rather than cleared"},
			{"since: {column: expires_unix, unit: seconds}", "expires_unix holds Unix time in seconds"},
			{"deactivate: {after: 6 months, since: [last_seen_at, created_at], set: {is_active: false}}", "sets is_active = false"},
			{"anonymize: {after: 9 months", "# no column records when an account was deactivated"},
			{"table: agents", "# has an email column, and other tables point to it; tickets points to it by foreign key"},
		} {
			if !hasLine(text, want...) {
				t.Errorf("no line with %q in the draft:\n%s", want, numbered(text))
			}
		}
		if strings.Contains(text, "s3cret") {
			t.Error("the draft holds the database password")
		}

		// The sample is bounded: read at most two values per column.
		small, err := Draft(ctx, d, Options{Sample: 2})
		if err != nil {
			t.Fatal(err)
		}
		if y := string(small.YAML()); !hasLine(y, "contact_notes: redact", "of 2 sampled values") || strings.Contains(y, "of 6 sampled") {
			t.Errorf("with Sample 2, contact_notes is not judged on two values:\n%s", numbered(y))
		}
	})
}

// TestDraftWithoutDeactivateColumns: a subject with an activity clock but
// nothing to mark an account deactivated gets no stages, and says why.
func TestDraftWithoutDeactivateColumns(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		d := h.Open(t)
		exec(t, d, `CREATE TABLE members (id BIGINT NOT NULL PRIMARY KEY, email VARCHAR(254), last_seen_at `+h.Timestamp+`, created_at `+h.Timestamp+` NOT NULL)`)
		prop, p, text := draft(t, d, Options{Sample: -1})
		compare(t, describe(p), []string{
			"subject member: table members, key id",
			"field members.email: email",
		}, text)
		if len(prop.Subjects) != 1 || len(prop.Subjects[0].Lifecycle) != 0 {
			t.Fatalf("subjects = %+v", prop.Subjects)
		}
		if !hasLine(text, "# no lifecycle: members records activity (last_seen_at) but has no column to mark an account deactivated") {
			t.Errorf("the draft does not say why the lifecycle is missing:\n%s", numbered(text))
		}
		if !hasLine(text, "foreign keys; no values were read.") {
			t.Errorf("the header does not say sampling was off:\n%s", numbered(text))
		}
	})
}

// TestDraftOnlyReads drafts from a session the database itself holds
// read-only, so any write would fail the draft, and checks every table's
// contents are the same before and after.
func TestDraftOnlyReads(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		d := h.Open(t)
		dialecttest.CreateSaaSSchema(t, h, d)
		exec(t, d, saasRows...)
		createCRM(t, h, d)
		before := checksum(t, d)

		db := d.DB()
		db.SetMaxOpenConns(1) // one session, so its read-only mode holds for every statement
		readOnly := map[string]string{
			"sqlite":   "PRAGMA query_only = ON",
			"postgres": "SET default_transaction_read_only = on",
			"mysql":    "SET SESSION TRANSACTION READ ONLY",
		}[h.Name]
		exec(t, d, readOnly)
		if _, err := db.ExecContext(ctx, "CREATE TABLE probe (id INT)"); err == nil {
			t.Fatal("the session is not read-only: the test would prove nothing")
		}

		if _, err := Draft(ctx, d, Options{}); err != nil {
			t.Fatalf("draft from a read-only session: %v", err)
		}
		if after := checksum(t, d); after != before {
			t.Errorf("the database changed:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// checksum hashes the names of every table and all their rows, in an
// order that does not depend on how the database returns them.
func checksum(t *testing.T, d dialect.Dialect) string {
	t.Helper()
	s, err := d.Introspect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, tb := range s.Tables {
		rows, err := d.DB().QueryContext(ctx, "SELECT * FROM "+d.Quote(tb.Name))
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		var lines []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if b, ok := v.([]byte); ok {
					vals[i] = string(b)
				}
			}
			lines = append(lines, fmt.Sprint(vals...))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		sort.Strings(lines)
		fmt.Fprintf(h, "%s %d %v\n%s\n", tb.Name, len(lines), cols, strings.Join(lines, "\n"))
	}
	return fmt.Sprintf("%d tables, %s", len(s.Tables), hex.EncodeToString(h.Sum(nil)))
}
