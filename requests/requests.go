package requests

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"lethe"
	"lethe/dialect"
	"lethe/engine"
	"lethe/ledger"
)

// Kinds of request.
const (
	Access  = "access"  // GDPR Art. 15 and 20: a copy of every row about the subject
	Erasure = "erasure" // GDPR Art. 17: erase every row bound to the subject
)

// Statuses of a request.
const (
	Received   = "received"    // opened, the requester not verified yet
	Verified   = "verified"    // the requester's identity checked: it may be fulfilled
	InProgress = "in_progress" // accepted: being carried out (or interrupted, for Resume)
	Completed  = "completed"   // carried out; Result holds what was done
	Failed     = "failed"      // the work failed (a legal hold, ...); it may be fulfilled again
	Rejected   = "rejected"    // refused before any work, with a reason
	Closed     = "closed"      // completed and closed by an operator
)

// Verification methods.
const (
	ByOperator = "operator" // an operator checked the requester's identity
	ByToken    = "token"    // the requester confirmed an emailed one-time token
)

// DefaultDue is the time a request has before it is overdue (GDPR Art.
// 12(3): one month; 30 days is the common reading).
var DefaultDue = lethe.Period{N: 30, Unit: lethe.Days}

// Request is one data-subject request.
type Request struct {
	ID           int64           `json:"id"`
	Kind         string          `json:"kind"` // Access or Erasure
	SubjectKind  string          `json:"subject_kind"`
	SubjectKey   string          `json:"subject_key"`
	Tenant       string          `json:"tenant"`
	Requester    string          `json:"requester"` // personal data of the requester: never logged
	Status       string          `json:"status"`
	ReceivedAt   time.Time       `json:"received_at"`
	DueAt        time.Time       `json:"due_at"`
	VerifiedAt   *time.Time      `json:"verified_at,omitempty"`
	VerifiedBy   string          `json:"verified_by,omitempty"`
	VerifyMethod string          `json:"verify_method,omitempty"`
	FulfilledAt  *time.Time      `json:"fulfilled_at,omitempty"`
	ClosedAt     *time.Time      `json:"closed_at,omitempty"`
	Result       json.RawMessage `json:"result,omitempty"` // ErasureResult, or the export's manifest
}

// Subject returns the subject as KIND:ID.
func (r Request) Subject() string { return r.SubjectKind + ":" + r.SubjectKey }

// Overdue reports whether the request is still owed at at and its due
// date has passed.
func (r Request) Overdue(at time.Time) bool {
	return open(r.Status) && r.DueAt.Before(at)
}

// open reports whether a request in status is still owed to its requester.
func open(status string) bool {
	return status != Completed && status != Closed && status != Rejected
}

// Event is one step in a request's history.
type Event struct {
	ID        int64     `json:"id"`
	RequestID int64     `json:"request_id"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	Event     string    `json:"event"` // opened, verified, started, resumed, completed, failed, rejected, extended, closed
	From      string    `json:"from,omitempty"`
	To        string    `json:"to,omitempty"`
	Note      string    `json:"note,omitempty"`
}

// ErasureResult is the Result of a completed erasure request: the rows per
// dataset the ledger records for the request (all attempts together, so a
// resumed erasure reports what an uninterrupted one would have) and the
// date by which backups holding the data expire.
type ErasureResult struct {
	Subject         string                  `json:"subject"`
	Tenant          string                  `json:"tenant"`
	Datasets        []engine.DatasetErasure `json:"datasets"`
	Rows            int64                   `json:"rows"`
	BackupsExpireBy *time.Time              `json:"backups_expire_by"`
}

// Store keeps requests in the engine's database and fulfils them with the
// engine.
type Store struct {
	e *engine.Engine
	d dialect.Dialect
	// beforeWork, when set, runs once a fulfilment is marked in_progress
	// and committed, before any work: tests stop the process there.
	beforeWork func()
}

// New returns the store of e's database. engine.New has migrated it.
func New(e *engine.Engine) *Store {
	return &Store{e: e, d: e.Dialect()}
}

// OpenInput is the intake of a request.
type OpenInput struct {
	Kind      string       // Access or Erasure
	Subject   string       // KIND:ID, e.g. user:42
	Tenant    string       // the request never leaves this tenant
	Requester string       // who asked, as free text (name, address); personal data
	Due       lethe.Period // zero: DefaultDue
	Actor     string       // who opens it
	At        time.Time    // when it was received
}

// Open records a new request, received and due Due after At.
func (s *Store) Open(ctx context.Context, in OpenInput) (Request, error) {
	if in.Kind != Access && in.Kind != Erasure {
		return Request{}, lethe.Errorf(lethe.EINVALID, "request kind %q: write erasure or access", in.Kind)
	}
	kind, key, ok := strings.Cut(in.Subject, ":")
	if !ok || kind == "" || key == "" {
		return Request{}, lethe.Errorf(lethe.EINVALID, "subject %q: write KIND:ID, e.g. user:42", in.Subject)
	}
	if s.e.Policy().Subject(kind) == nil {
		var kinds []string
		for _, sub := range s.e.Policy().Subjects {
			kinds = append(kinds, sub.Name)
		}
		return Request{}, lethe.Errorf(lethe.EINVALID, "no subject kind %q in the policy: kinds are %s", kind, strings.Join(kinds, ", "))
	}
	for _, c := range []struct{ field, value string }{{"a subject key", key}, {"a tenant", in.Tenant}, {"an actor", in.Actor}} {
		if err := checkName(c.field, c.value); err != nil {
			return Request{}, err
		}
	}
	if err := checkLong("a requester", in.Requester, true); err != nil {
		return Request{}, err
	}
	if in.At.IsZero() {
		return Request{}, lethe.Errorf(lethe.EINVALID, "a request needs the time it was received")
	}
	due := in.Due
	if due.Off() {
		due = DefaultDue
	}
	r := Request{Kind: in.Kind, SubjectKind: kind, SubjectKey: key, Tenant: in.Tenant, Requester: in.Requester,
		Status: Received, ReceivedAt: norm(in.At)}
	// Calendar arithmetic, clamped to the month's end: a month after
	// January 31 is the last day of February.
	r.DueAt = norm(due.After(r.ReceivedAt))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		b := s.build()
		cols := []string{"kind", "subject_kind", "subject_key", "tenant", "requester", "status", "received_at", "due_at", "updated_at"}
		vals := []string{b.arg(r.Kind), b.arg(r.SubjectKind), b.arg(r.SubjectKey), b.arg(r.Tenant), b.arg(r.Requester), b.arg(r.Status),
			b.time(r.ReceivedAt), b.time(r.DueAt), b.time(r.ReceivedAt)}
		id, err := b.insert(ctx, tx, requestsTable, cols, vals)
		if err != nil {
			return fmt.Errorf("open request: %w", err)
		}
		r.ID = id
		return s.addEvent(ctx, tx, Event{RequestID: id, At: r.ReceivedAt, Actor: in.Actor, Event: "opened", To: Received,
			Note: fmt.Sprintf("%s of %s in tenant %s, due %s (%s)", r.Kind, r.Subject(), r.Tenant, day(r.DueAt), due)})
	})
	if err != nil {
		return Request{}, err
	}
	return r, nil
}

// Verify records that the requester's identity was checked, by an
// operator or by an emailed one-time token. Only a received request is
// verified, once.
func (s *Store) Verify(ctx context.Context, id int64, by, method string, at time.Time) (Request, error) {
	if method != ByOperator && method != ByToken {
		return Request{}, lethe.Errorf(lethe.EINVALID, "verification method %q: write operator (an operator checked the requester's identity) or token (the requester confirmed an emailed one-time token)", method)
	}
	return s.change(ctx, id, by, "verified", at, func(r *Request) (string, error) {
		if r.VerifiedAt != nil {
			return "", lethe.Errorf(lethe.ECONFLICT, "request %d is already verified (%s, by %s on %s)", r.ID, r.VerifyMethod, r.VerifiedBy, day(*r.VerifiedAt))
		}
		if r.Status != Received {
			return "", refuse(*r, "verified")
		}
		t := norm(at)
		r.Status, r.VerifiedAt, r.VerifiedBy, r.VerifyMethod = Verified, &t, by, method
		return "by " + method, nil
	})
}

// Fulfil carries out a verified request: an erasure through the engine's
// Erase, an access request through its Export, written to exportTo (nil
// keeps only the manifest). The request is marked in_progress and
// committed before any work, so an erasure interrupted by a crash is left
// for Resume. A failed request may be fulfilled again.
//
// When the work fails, the request is marked failed, with the error's
// message as the event's note, and returned with the error: a legal hold
// fails an erasure with ECONFLICT naming the hold.
func (s *Store) Fulfil(ctx context.Context, id int64, by string, at time.Time, exportTo io.Writer) (Request, error) {
	r, err := s.start(ctx, id, by, at)
	if err != nil {
		return Request{}, err
	}
	if s.beforeWork != nil {
		s.beforeWork()
	}
	return s.work(ctx, r, by, at, exportTo)
}

// start accepts a request for fulfilment: in_progress, committed.
func (s *Store) start(ctx context.Context, id int64, by string, at time.Time) (Request, error) {
	return s.change(ctx, id, by, "started", at, func(r *Request) (string, error) {
		note := ""
		switch {
		case r.Status == Received:
			return "", lethe.Errorf(lethe.ECONFLICT, "request %d is not verified: verify the requester's identity first (lethe request verify %d)", r.ID, r.ID)
		case r.Status == Verified:
		case r.Status == Failed:
			note = "again, after a failure"
		case r.Status == InProgress && r.Kind == Access:
			note = "again, after an interrupted export" // reading twice harms nothing
		case r.Status == InProgress:
			return "", lethe.Errorf(lethe.ECONFLICT, "request %d is in progress already: an interrupted erasure is finished by lethe request resume", r.ID)
		default:
			return "", refuse(*r, "fulfilled")
		}
		r.Status = InProgress
		return note, nil
	})
}

// work runs an accepted request and records how it ended.
func (s *Store) work(ctx context.Context, r Request, by string, at time.Time, exportTo io.Writer) (Request, error) {
	var result any
	var note string
	var err error
	if r.Kind == Erasure {
		result, note, err = s.erase(ctx, r, by, at)
	} else {
		result, note, err = s.export(ctx, r, at, exportTo)
	}
	if err != nil {
		if ctx.Err() != nil {
			// Interrupted, not failed: the request stays in_progress,
			// as after a crash, for Resume to finish.
			return r, err
		}
		failed, ferr := s.change(ctx, r.ID, by, "failed", at, func(q *Request) (string, error) {
			if q.Status != InProgress {
				return "", refuse(*q, "marked failed")
			}
			q.Status = Failed
			return clip(lethe.ErrorMessage(err)), nil
		})
		if ferr != nil {
			return r, fmt.Errorf("%w (and the request could not be marked failed: %v)", err, ferr)
		}
		return failed, err
	}
	raw, err := json.Marshal(result)
	if err != nil {
		return r, err
	}
	return s.change(ctx, r.ID, by, "completed", at, func(q *Request) (string, error) {
		if q.Status != InProgress {
			return "", refuse(*q, "completed")
		}
		t := norm(at)
		q.Status, q.FulfilledAt, q.Result = Completed, &t, raw
		return note, nil
	})
}

// reason is what the ledger's entries of a request's erasure say.
func reason(r Request) string { return fmt.Sprintf("request #%d", r.ID) }

func (s *Store) erase(ctx context.Context, r Request, by string, at time.Time) (ErasureResult, string, error) {
	res, err := s.e.Erase(ctx, engine.EraseRequest{Kind: r.SubjectKind, ID: r.SubjectKey, Tenant: r.Tenant, Actor: by, Reason: reason(r), At: at})
	if err != nil {
		return ErasureResult{}, "", err
	}
	// A run that finishes an interrupted one changes, and records, only
	// what was left: the request's totals are the ledger's, over every
	// attempt.
	totals, err := s.recorded(ctx, r)
	if err != nil {
		return ErasureResult{}, "", err
	}
	out := ErasureResult{Subject: res.Subject, Tenant: res.Tenant, BackupsExpireBy: res.BackupsExpireBy, Datasets: []engine.DatasetErasure{}}
	var parts []string
	for _, d := range res.Datasets {
		if n, ok := totals[d.Dataset]; ok {
			d.Rows = n
		}
		out.Datasets = append(out.Datasets, d)
		out.Rows += d.Rows
		parts = append(parts, fmt.Sprintf("%s %s %d", d.Dataset, d.Action, d.Rows))
	}
	return out, strings.Join(parts, ", "), nil
}

// recorded sums, per dataset, the rows the ledger records for the
// request's erasure.
func (s *Store) recorded(ctx context.Context, r Request) (map[string]int64, error) {
	entries, err := s.e.Ledger().List(ctx, ledger.Filter{Tenant: r.Tenant, Reason: engine.ReasonErasure, Since: r.ReceivedAt})
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, en := range entries {
		if en.SubjectKey == r.Subject() && en.Note == reason(r) {
			out[en.Dataset] += en.Rows
		}
	}
	return out, nil
}

func (s *Store) export(ctx context.Context, r Request, at time.Time, w io.Writer) (*engine.ExportManifest, string, error) {
	if w == nil {
		w = io.Discard
	}
	m, err := s.e.Export(ctx, engine.ExportRequest{Kind: r.SubjectKind, ID: r.SubjectKey, Tenant: r.Tenant, At: at, Format: engine.ExportJSON}, w)
	if err != nil {
		return nil, "", err
	}
	var parts []string
	for _, d := range m.Datasets {
		parts = append(parts, fmt.Sprintf("%s %d", d.Dataset, d.Rows))
	}
	return m, "exported " + strings.Join(parts, ", "), nil
}

// Resume finishes every erasure left in_progress by a process that died:
// each is erased again (the engine changes and records only what is left)
// and completed, or marked failed. It returns the requests it worked on;
// a failed one is among them with its status, and is not an error of
// Resume's. It is meant to run in one process at a time (at start-up, or
// from the CLI): two resuming one request both erase, the second finding
// nothing left, and the second is refused when it tries to complete it.
func (s *Store) Resume(ctx context.Context, by string, at time.Time) ([]Request, error) {
	b := s.build()
	query := "SELECT " + b.d.Quote("id") + " FROM " + b.d.Quote(requestsTable) + " WHERE " + b.d.Quote("status") + " = " + b.arg(InProgress) +
		" AND " + b.d.Quote("kind") + " = " + b.arg(Erasure) + " ORDER BY " + b.d.Quote("id")
	ids, err := queryIDs(ctx, s.d.DB(), query, b.args)
	if err != nil {
		return nil, fmt.Errorf("find interrupted requests: %w", err)
	}
	var out []Request
	for _, id := range ids {
		var gone bool
		r, err := s.change(ctx, id, by, "resumed", at, func(r *Request) (string, error) {
			if gone = r.Status != InProgress; gone {
				return "", errNoChange
			}
			return "an interrupted erasure is carried out again", nil
		})
		if gone {
			continue // finished meanwhile by another process
		}
		if err != nil {
			return out, err
		}
		done, err := s.work(ctx, r, by, at, nil)
		out = append(out, done)
		if err != nil && done.Status != Failed {
			return out, err
		}
	}
	return out, nil
}

// Close closes a completed request.
func (s *Store) Close(ctx context.Context, id int64, by string, at time.Time) (Request, error) {
	return s.change(ctx, id, by, "closed", at, func(r *Request) (string, error) {
		if r.Status != Completed {
			return "", lethe.Errorf(lethe.ECONFLICT, "request %d is %s: only a completed request is closed", r.ID, statusText(r.Status))
		}
		t := norm(at)
		r.Status, r.ClosedAt = Closed, &t
		return "", nil
	})
}

// Reject refuses a request before any work (the requester could not be
// verified, the request is manifestly unfounded, ...), with a reason.
func (s *Store) Reject(ctx context.Context, id int64, by, why string, at time.Time) (Request, error) {
	if err := checkLong("a reason for the rejection", why, true); err != nil {
		return Request{}, err
	}
	return s.change(ctx, id, by, "rejected", at, func(r *Request) (string, error) {
		if r.Status != Received && r.Status != Verified {
			return "", lethe.Errorf(lethe.ECONFLICT, "request %d is %s: only a received or verified request is rejected", r.ID, statusText(r.Status))
		}
		r.Status = Rejected
		return why, nil
	})
}

// Extend moves the due date of a request still owed by a period, with a
// reason (GDPR Art. 12(3) allows two more months where necessary).
func (s *Store) Extend(ctx context.Context, id int64, by lethe.Period, why, actor string, at time.Time) (Request, error) {
	if by.Off() {
		return Request{}, lethe.Errorf(lethe.EINVALID, "an extension needs a period, e.g. 60 days")
	}
	if err := checkLong("a reason for the extension", why, true); err != nil {
		return Request{}, err
	}
	return s.change(ctx, id, actor, "extended", at, func(r *Request) (string, error) {
		if !open(r.Status) {
			return "", lethe.Errorf(lethe.ECONFLICT, "request %d is %s: its due date can no longer be extended", r.ID, statusText(r.Status))
		}
		was := r.DueAt
		r.DueAt = norm(by.After(r.DueAt))
		return fmt.Sprintf("due %s -> %s (+%s): %s", day(was), day(r.DueAt), by, why), nil
	})
}

// Get returns a request and its history, oldest first.
func (s *Store) Get(ctx context.Context, id int64) (Request, []Event, error) {
	r, err := s.get(ctx, s.d.DB(), id, false)
	if err != nil {
		return Request{}, nil, err
	}
	b := s.build()
	query := "SELECT " + b.list(eventColumns) + " FROM " + b.d.Quote(eventsTable) + " WHERE " + b.d.Quote("request_id") + " = " + b.arg(id) +
		" ORDER BY " + b.d.Quote("id")
	rows, err := s.d.DB().QueryContext(ctx, query, b.args...)
	if err != nil {
		return Request{}, nil, fmt.Errorf("request %d history: %w", id, err)
	}
	defer rows.Close()
	var events []Event
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return Request{}, nil, fmt.Errorf("request %d history: %w", id, err)
		}
		events = append(events, ev)
	}
	return r, events, rows.Err()
}

// ListFilter selects requests for List. Zero values do not filter.
type ListFilter struct {
	Tenant  *string   // nil: every tenant
	Overdue bool      // only requests still owed whose due date has passed at At
	Status  string    // only this status
	At      time.Time // "now", for Overdue and the order
}

// List returns the requests the filter selects: the overdue first, then
// by due date.
func (s *Store) List(ctx context.Context, f ListFilter) ([]Request, error) {
	if f.Status != "" && statusText(f.Status) == "" {
		return nil, lethe.Errorf(lethe.EINVALID, "status %q: write received, verified, in_progress, completed, failed, rejected or closed", f.Status)
	}
	if f.Overdue && f.At.IsZero() {
		return nil, lethe.Errorf(lethe.EINVALID, "listing overdue requests needs the time to compare due dates with")
	}
	b := s.build()
	q := b.d.Quote
	var where []string
	if f.Tenant != nil {
		where = append(where, q("tenant")+" = "+b.arg(*f.Tenant))
	}
	if f.Status != "" {
		where = append(where, q("status")+" = "+b.arg(f.Status))
	}
	if f.Overdue {
		where = append(where, q("status")+" NOT IN ("+b.arg(Completed)+", "+b.arg(Closed)+", "+b.arg(Rejected)+")",
			q("due_at")+" < "+b.time(f.At))
	}
	query := "SELECT " + b.list(requestColumns) + " FROM " + q(requestsTable)
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY " + q("due_at") + ", " + q("id")
	rows, err := s.d.DB().QueryContext(ctx, query, b.args...)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	defer rows.Close()
	var overdue, rest []Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("list requests: %w", err)
		}
		if !f.At.IsZero() && r.Overdue(f.At) {
			overdue = append(overdue, r)
		} else {
			rest = append(rest, r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return append(overdue, rest...), nil
}

// errNoChange aborts a change without error to the caller who asked for
// it.
var errNoChange = lethe.Errorf(lethe.ECONFLICT, "no change")

// change applies one step to request id in one transaction: it reads and
// locks the request, lets apply check and change it, writes it back and
// adds the event (from the old status to the new) with apply's note.
func (s *Store) change(ctx context.Context, id int64, actor, event string, at time.Time, apply func(r *Request) (note string, err error)) (Request, error) {
	if err := checkName("an actor", actor); err != nil {
		return Request{}, err
	}
	if at.IsZero() {
		return Request{}, lethe.Errorf(lethe.EINVALID, "a request's %s event needs its time", event)
	}
	var out Request
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := s.get(ctx, tx, id, true)
		if err != nil {
			return err
		}
		from := r.Status
		note, err := apply(&r)
		if err != nil {
			return err
		}
		if err := checkLong("a note", note, false); err != nil {
			return err
		}
		b := s.build()
		q := b.d.Quote
		query := "UPDATE " + q(requestsTable) + " SET " +
			q("status") + " = " + b.arg(r.Status) + ", " +
			q("due_at") + " = " + b.time(r.DueAt) + ", " +
			q("verified_at") + " = " + b.timePtr(r.VerifiedAt) + ", " +
			q("verified_by") + " = " + b.text(r.VerifiedBy) + ", " +
			q("verify_method") + " = " + b.text(r.VerifyMethod) + ", " +
			q("fulfilled_at") + " = " + b.timePtr(r.FulfilledAt) + ", " +
			q("closed_at") + " = " + b.timePtr(r.ClosedAt) + ", " +
			q("result") + " = " + b.text(string(r.Result)) + ", " +
			q("updated_at") + " = " + b.time(at) +
			" WHERE " + q("id") + " = " + b.arg(id) + " AND " + q("status") + " = " + b.arg(from)
		res, err := tx.ExecContext(ctx, query, b.args...)
		if err != nil {
			return fmt.Errorf("request %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return lethe.Errorf(lethe.ECONFLICT, "request %d changed while it was being %s: try again", id, event)
		}
		out = r
		return s.addEvent(ctx, tx, Event{RequestID: id, At: norm(at), Actor: actor, Event: event, From: from, To: r.Status, Note: note})
	})
	if err != nil {
		return Request{}, err
	}
	return out, nil
}

func (s *Store) addEvent(ctx context.Context, tx *sql.Tx, ev Event) error {
	b := s.build()
	vals := []string{b.arg(ev.RequestID), b.time(ev.At), b.arg(ev.Actor), b.arg(ev.Event), b.text(ev.From), b.text(ev.To), b.text(ev.Note)}
	if _, err := b.insert(ctx, tx, eventsTable, eventColumns[1:], vals); err != nil {
		return fmt.Errorf("request %d: record event %s: %w", ev.RequestID, ev.Event, err)
	}
	return nil
}

func (s *Store) get(ctx context.Context, q dialect.Querier, id int64, lock bool) (Request, error) {
	b := s.build()
	query := "SELECT " + b.list(requestColumns) + " FROM " + b.d.Quote(requestsTable) + " WHERE " + b.d.Quote("id") + " = " + b.arg(id)
	if lock {
		query += b.forUpdate()
	}
	rows, err := q.QueryContext(ctx, query, b.args...)
	if err != nil {
		return Request{}, fmt.Errorf("request %d: %w", id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Request{}, fmt.Errorf("request %d: %w", id, err)
		}
		return Request{}, lethe.Errorf(lethe.ENOTFOUND, "no request %d", id)
	}
	r, err := scanRequest(rows)
	if err != nil {
		return Request{}, fmt.Errorf("request %d: %w", id, err)
	}
	return r, rows.Close()
}

func (s *Store) build() *builder { return &builder{d: s.d} }

// inTx runs fn in one transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.d.DB().BeginTx(ctx, nil)
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

func queryIDs(ctx context.Context, db *sql.DB, query string, args []any) ([]int64, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// refuse says a step does not apply to a request in its status.
func refuse(r Request, step string) error {
	return lethe.Errorf(lethe.ECONFLICT, "request %d is %s: it cannot be %s", r.ID, statusText(r.Status), step)
}

// statusText is a status as a person reads it; "" for no status.
func statusText(status string) string {
	switch status {
	case InProgress:
		return "in progress"
	case Received, Verified, Completed, Failed, Rejected, Closed:
		return status
	default:
		return ""
	}
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// clip shortens a note to what every database stores, at a character
// boundary.
func clip(s string) string {
	if len(s) <= maxText {
		return s
	}
	cut := maxText
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut]
}
