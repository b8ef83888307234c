package requests

import (
	"context"
	"database/sql"
	"strings"
	"time"
	"unicode/utf8"

	"lethe"
	"lethe/dialect"
)

// Storage of requests in the dialect's own types: times like the rest of
// Lethe's tables (TEXT in UTC on SQLite, native elsewhere), absent text as
// NULL.

const (
	requestsTable = "lethe_requests"
	eventsTable   = "lethe_request_events"
)

// requestColumns are the columns scanRequest reads, in order.
var requestColumns = []string{"id", "kind", "subject_kind", "subject_key", "tenant", "requester", "status",
	"received_at", "due_at", "verified_at", "verified_by", "verify_method", "fulfilled_at", "closed_at", "result"}

var eventColumns = []string{"id", "request_id", "at", "actor", "event", "from_status", "to_status", "note"}

// norm is a time as the database gives it back.
func norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// builder builds one statement, collecting its arguments.
type builder struct {
	d    dialect.Dialect
	args []any
}

func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return b.d.Placeholder(len(b.args))
}

func (b *builder) time(t time.Time) string { return b.arg(dialect.StoredTime(b.d, t)) }

func (b *builder) timePtr(t *time.Time) string {
	if t == nil {
		return b.arg(nil)
	}
	return b.time(*t)
}

func (b *builder) text(s string) string {
	if s == "" {
		return b.arg(nil)
	}
	return b.arg(s)
}

func (b *builder) list(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = b.d.Quote(c)
	}
	return strings.Join(q, ", ")
}

// forUpdate locks the rows a SELECT reads until the transaction ends.
// SQLite has no row locks: its write transactions (BEGIN IMMEDIATE) take
// the database's one write lock from the start.
func (b *builder) forUpdate() string { return dialect.ForUpdate(b.d) }

// insert runs an INSERT of cols (placeholders already bound in b) and
// returns the new row's id: RETURNING on PostgreSQL, LastInsertId
// elsewhere.
func (b *builder) insert(ctx context.Context, tx *sql.Tx, table string, cols []string, values []string) (int64, error) {
	query := "INSERT INTO " + b.d.Quote(table) + " (" + b.list(cols) + ") VALUES (" + strings.Join(values, ", ") + ")"
	return dialect.InsertID(ctx, b.d, tx, query, b.args...)
}

type scanner interface{ Scan(dest ...any) error }

func scanRequest(row scanner) (Request, error) {
	var r Request
	var received, due, verified, fulfilled, closed any
	var verifiedBy, method, result sql.NullString
	if err := row.Scan(&r.ID, &r.Kind, &r.SubjectKind, &r.SubjectKey, &r.Tenant, &r.Requester, &r.Status,
		&received, &due, &verified, &verifiedBy, &method, &fulfilled, &closed, &result); err != nil {
		return Request{}, err
	}
	r.VerifiedBy, r.VerifyMethod = verifiedBy.String, method.String
	if result.Valid && result.String != "" {
		r.Result = []byte(result.String)
	}
	for _, c := range []struct {
		v   any
		dst **time.Time
	}{{verified, &r.VerifiedAt}, {fulfilled, &r.FulfilledAt}, {closed, &r.ClosedAt}} {
		t, err := dialect.ScanTime(c.v)
		if err != nil {
			return Request{}, err
		}
		*c.dst = t
	}
	for _, c := range []struct {
		v   any
		dst *time.Time
	}{{received, &r.ReceivedAt}, {due, &r.DueAt}} {
		t, err := dialect.ScanTime(c.v)
		if err != nil {
			return Request{}, err
		}
		if t != nil {
			*c.dst = *t
		}
	}
	return r, nil
}

func scanEvent(row scanner) (Event, error) {
	var ev Event
	var at any
	var from, to, note sql.NullString
	if err := row.Scan(&ev.ID, &ev.RequestID, &at, &ev.Actor, &ev.Event, &from, &to, &note); err != nil {
		return Event{}, err
	}
	ev.From, ev.To, ev.Note = from.String, to.String, note.String
	t, err := dialect.ScanTime(at)
	if err != nil {
		return Event{}, err
	}
	if t != nil {
		ev.At = *t
	}
	return ev, nil
}

// Column limits: the narrowest type any of the databases gives the column
// (MySQL's VARCHAR counts characters, TEXT bytes), checked up front so
// every database accepts and refuses the same values.
const (
	maxName = 255   // subject kind and key, tenant, actors
	maxText = 65535 // requester, notes
)

// checkText refuses text a column of one of the databases would refuse or
// mangle. Messages name the field, never the value: it may be personal.
func checkText(field, s string, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return lethe.Errorf(lethe.EINVALID, "a request needs %s", field)
	}
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return lethe.Errorf(lethe.EINVALID, "%s must be UTF-8 text without NUL bytes", field)
	}
	return nil
}

func checkName(field, s string) error {
	if err := checkText(field, s, true); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(s); n > maxName {
		return lethe.Errorf(lethe.EINVALID, "%s is %d characters long; at most %d are allowed", field, n, maxName)
	}
	return nil
}

func checkLong(field, s string, required bool) error {
	if err := checkText(field, s, required); err != nil {
		return err
	}
	if len(s) > maxText {
		return lethe.Errorf(lethe.EINVALID, "%s is %d bytes long; at most %d are allowed", field, len(s), maxText)
	}
	return nil
}
