package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"lethe"
	"lethe/dialect"
)

// ReasonPruned is the reason of the entry Prune leaves.
const ReasonPruned = "ledger_pruned"

// Entry is one row of the ledger: what one piece of work did to one
// dataset of one tenant.
type Entry struct {
	ID         int64
	Seq        int64 // 0 while unsealed
	RunID      string
	At         time.Time // UTC, truncated to microseconds
	Tenant     string
	Dataset    string
	Reason     string     // retention_sweep, lifecycle_delete, dsr_erasure, ledger_pruned, ...
	SubjectKey string     // for requests; "" otherwise
	Cutoff     *time.Time // for sweeps; nil otherwise
	Actor      string
	Rows       int64
	Held       int64  // rows skipped because of legal holds
	Note       string // free text a person gave
	Detail     string // JSON the engine attaches (archive file, sha256, ...); "" when none
	PrevHash   string // "" while unsealed
	Hash       string // "" while unsealed
	SealedAt   *time.Time
}

// Sealed reports whether the entry is part of the chain.
func (e Entry) Sealed() bool { return e.Seq != 0 }

// Ledger reads and writes the ledger of one database.
type Ledger struct {
	d dialect.Dialect
	// Now is the clock that stamps seals (and At, when Open is given
	// none). nil means time.Now.
	Now func() time.Time
}

// New returns the ledger kept in d's database. d must be migrated.
func New(d dialect.Dialect) *Ledger {
	return &Ledger{d: d}
}

func (l *Ledger) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Column limits: the narrowest type any of the databases gives the column
// (MySQL's VARCHAR counts characters, TEXT bytes). Checked up front so
// every database accepts and refuses the same entries.
const (
	maxName = 255   // tenant, dataset, subject_key, actor
	maxCode = 64    // reason, run_id
	maxText = 65535 // note, detail
)

func checkText(field, s string, limit int, bytes bool) error {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return lethe.Errorf(lethe.EINVALID, "ledger %s must be UTF-8 text without NUL bytes", field)
	}
	n := len(s)
	unit := "bytes"
	if !bytes {
		n = utf8.RuneCountInString(s)
		unit = "characters"
	}
	if n > limit {
		return lethe.Errorf(lethe.EINVALID, "ledger %s is %d %s long; at most %d are allowed", field, n, unit, limit)
	}
	return nil
}

func checkEntry(e Entry) error {
	if e.Reason == "" {
		return lethe.Errorf(lethe.EINVALID, "a ledger entry needs a reason")
	}
	if e.Rows < 0 || e.Held < 0 {
		return lethe.Errorf(lethe.EINVALID, "ledger rows and held cannot be negative (got %d and %d)", e.Rows, e.Held)
	}
	for _, c := range []struct {
		field, value string
		limit        int
		bytes        bool
	}{
		{"run_id", e.RunID, maxCode, false},
		{"tenant", e.Tenant, maxName, false},
		{"dataset", e.Dataset, maxName, false},
		{"reason", e.Reason, maxCode, false},
		{"subject_key", e.SubjectKey, maxName, false},
		{"actor", e.Actor, maxName, false},
		{"note", e.Note, maxText, true},
		{"detail", e.Detail, maxText, true},
	} {
		if err := checkText(c.field, c.value, c.limit, c.bytes); err != nil {
			return err
		}
	}
	return nil
}

// columns are the ledger's columns in the order scanEntry reads them.
var columns = []string{"id", "seq", "run_id", "at", "tenant", "dataset", "reason", "subject_key", "cutoff",
	"actor", "rows", "held", "note", "detail", "prev_hash", "hash", "sealed_at"}

const (
	table     = "lethe_ledger"
	headTable = "lethe_ledger_head"
)

// builder builds a statement in the ledger's dialect, collecting its
// arguments.
type builder struct {
	d    dialect.Dialect
	args []any
}

func (l *Ledger) build() *builder { return &builder{d: l.d} }

// arg binds v and returns its placeholder.
func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return b.d.Placeholder(len(b.args))
}

func (b *builder) q(ident string) string { return b.d.Quote(ident) }

func (b *builder) table() string { return b.d.Quote(table) }

func (b *builder) selectList() string {
	q := make([]string, len(columns))
	for i, c := range columns {
		q[i] = b.d.Quote(c)
	}
	return strings.Join(q, ", ")
}

// forUpdate locks the rows a SELECT reads until the transaction ends.
// SQLite has no row locks: its write transactions (BEGIN IMMEDIATE) hold
// the database's one write lock from the start.
func (b *builder) forUpdate() string { return dialect.ForUpdate(b.d) }

// timeArg is the value to bind for a time.
func (b *builder) timeArg(t time.Time) any { return dialect.StoredTime(b.d, t) }

func (b *builder) timePtrArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return b.timeArg(*t)
}

// nullable stores absent text as NULL; reading gives "" back.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

type scanner interface{ Scan(dest ...any) error }

func scanEntry(r scanner) (Entry, error) {
	var e Entry
	var seq sql.NullInt64
	var subject, note, detail, prevHash, hash sql.NullString
	var at, cutoff, sealedAt any
	if err := r.Scan(&e.ID, &seq, &e.RunID, &at, &e.Tenant, &e.Dataset, &e.Reason, &subject, &cutoff,
		&e.Actor, &e.Rows, &e.Held, &note, &detail, &prevHash, &hash, &sealedAt); err != nil {
		return Entry{}, err
	}
	e.Seq = seq.Int64
	e.SubjectKey, e.Note, e.Detail = subject.String, note.String, detail.String
	e.PrevHash, e.Hash = prevHash.String, hash.String
	t, err := dialect.ScanTime(at)
	if err != nil || t == nil {
		return Entry{}, fmt.Errorf("ledger entry %d: at: %v", e.ID, err)
	}
	e.At = *t
	if e.Cutoff, err = dialect.ScanTime(cutoff); err != nil {
		return Entry{}, fmt.Errorf("ledger entry %d: cutoff: %w", e.ID, err)
	}
	if e.SealedAt, err = dialect.ScanTime(sealedAt); err != nil {
		return Entry{}, fmt.Errorf("ledger entry %d: sealed_at: %w", e.ID, err)
	}
	return e, nil
}

// queryEntries runs a SELECT of the ledger's columns and calls fn per entry.
func queryEntries(ctx context.Context, q dialect.Querier, query string, args []any, fn func(Entry) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// get reads one entry, locking it until the transaction ends when lock is
// set. ok is false when there is no such entry.
func (l *Ledger) get(ctx context.Context, q dialect.Querier, id int64, lock bool) (e Entry, ok bool, err error) {
	b := l.build()
	query := "SELECT " + b.selectList() + " FROM " + b.table() + " WHERE " + b.q("id") + " = " + b.arg(id)
	if lock {
		query += b.forUpdate()
	}
	err = queryEntries(ctx, q, query, b.args, func(got Entry) error {
		e, ok = got, true
		return nil
	})
	return e, ok, err
}

// Open inserts an unsealed entry (Rows and Held as given, normally 0) and
// returns its id. q may be the DB or a transaction. ID, Seq, PrevHash, Hash
// and SealedAt are ignored; a zero At is the ledger's clock.
func (l *Ledger) Open(ctx context.Context, q dialect.Querier, e Entry) (int64, error) {
	if e.At.IsZero() {
		e.At = l.now()
	}
	if err := checkEntry(e); err != nil {
		return 0, err
	}
	b := l.build()
	cols := []string{"run_id", "at", "tenant", "dataset", "reason", "subject_key", "cutoff", "actor", "rows", "held", "note", "detail", "prev_hash", "hash"}
	vals := []any{e.RunID, b.timeArg(e.At), e.Tenant, e.Dataset, e.Reason, nullable(e.SubjectKey), b.timePtrArg(e.Cutoff),
		e.Actor, e.Rows, e.Held, nullable(e.Note), nullable(e.Detail), "", ""}
	quoted := make([]string, len(cols))
	ph := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = b.q(c)
		ph[i] = b.arg(vals[i])
	}
	query := "INSERT INTO " + b.table() + " (" + strings.Join(quoted, ", ") + ") VALUES (" + strings.Join(ph, ", ") + ")"
	if l.d.Name() == "postgres" {
		id, err := returningID(ctx, q, query+" RETURNING "+b.q("id"), b.args)
		if err != nil {
			return 0, fmt.Errorf("open ledger entry: %w", err)
		}
		return id, nil
	}
	res, err := q.ExecContext(ctx, query, b.args...)
	if err != nil {
		return 0, fmt.Errorf("open ledger entry: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("open ledger entry: %w", err)
	}
	return id, nil
}

func returningID(ctx context.Context, q dialect.Querier, query string, args []any) (int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("no id returned")
	}
	var id int64
	if err := rows.Scan(&id); err != nil {
		return 0, err
	}
	return id, rows.Close()
}

// Add adds rows and held to an unsealed entry, inside the caller's
// transaction, so the count commits or rolls back with the rows it counts.
// Adding to a sealed entry is an error.
func (l *Ledger) Add(ctx context.Context, q dialect.Querier, id int64, rows, held int64) error {
	if rows < 0 || held < 0 {
		return lethe.Errorf(lethe.EINVALID, "cannot add %d rows and %d held to ledger entry %d: counts cannot be negative", rows, held, id)
	}
	b := l.build()
	r, h := b.q("rows"), b.q("held")
	query := "UPDATE " + b.table() + " SET " + r + " = " + r + " + " + b.arg(rows) + ", " + h + " = " + h + " + " + b.arg(held) +
		" WHERE " + b.q("id") + " = " + b.arg(id) + " AND " + b.q("seq") + " IS NULL"
	res, err := q.ExecContext(ctx, query, b.args...)
	if err != nil {
		return fmt.Errorf("add to ledger entry %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("add to ledger entry %d: %w", id, err)
	}
	if n == 1 {
		return nil
	}
	// Say why nothing matched.
	e, ok, err := l.get(ctx, q, id, false)
	switch {
	case err != nil:
		return fmt.Errorf("add to ledger entry %d: %w", id, err)
	case !ok:
		return lethe.Errorf(lethe.ENOTFOUND, "ledger entry %d does not exist", id)
	case e.Sealed():
		return lethe.Errorf(lethe.ECONFLICT, "ledger entry %d is sealed (seq %d): its counts cannot change", id, e.Seq)
	}
	return nil // unsealed: a driver that counts only changed rows, adding 0
}

// AddRows adds rows to several unsealed entries in one statement, inside
// the caller's transaction: a batch that deleted rows of many tenants
// updates their entries with one round trip, not one each.
func (l *Ledger) AddRows(ctx context.Context, q dialect.Querier, rows map[int64]int64) error {
	if len(rows) < 2 {
		for id, n := range rows {
			return l.Add(ctx, q, id, n, 0)
		}
		return nil
	}
	ids := make([]int64, 0, len(rows))
	for id, n := range rows {
		if n < 0 {
			return l.Add(ctx, q, id, n, 0) // says why
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	b := l.build()
	id, r := b.q("id"), b.q("rows")
	var cases strings.Builder
	in := make([]string, len(ids))
	for _, e := range ids {
		cases.WriteString(" WHEN " + b.arg(e) + " THEN " + b.arg(rows[e]))
	}
	for i, e := range ids { // bound after the cases: "?" placeholders go by position
		in[i] = b.arg(e)
	}
	query := "UPDATE " + b.table() + " SET " + r + " = " + r + " + CASE " + id + cases.String() + " ELSE 0 END" +
		" WHERE " + id + " IN (" + strings.Join(in, ", ") + ") AND " + b.q("seq") + " IS NULL"
	res, err := q.ExecContext(ctx, query, b.args...)
	if err != nil {
		return fmt.Errorf("add to ledger entries: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(ids)) {
		// One of them is sealed or missing: say which, one by one (the
		// caller's transaction rolls back on the error).
		for _, e := range ids {
			if err := l.Add(ctx, q, e, 0, 0); err != nil {
				return err
			}
		}
		if err != nil {
			return fmt.Errorf("add to ledger entries: %w", err)
		}
	}
	return nil
}

// Seal seals the entry in its own transaction; detail (if not "") replaces
// the entry's Detail before hashing. Sealing twice is an error.
func (l *Ledger) Seal(ctx context.Context, id int64, detail string) (Entry, error) {
	var e Entry
	err := l.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		e, err = l.SealTx(ctx, tx, id, detail)
		return err
	})
	return e, err
}

// SealTx is Seal inside the caller's transaction (for erasures that write
// rows, open and seal in one transaction). The head of the chain stays
// locked until tx ends, so tx should end soon.
func (l *Ledger) SealTx(ctx context.Context, tx *sql.Tx, id int64, detail string) (Entry, error) {
	return l.seal(ctx, tx, id, detail, l.now())
}

// Record opens and seals an entry in one go inside tx (erasure, pruning).
func (l *Ledger) Record(ctx context.Context, tx *sql.Tx, e Entry) (Entry, error) {
	return l.record(ctx, tx, e, l.now())
}

func (l *Ledger) record(ctx context.Context, tx *sql.Tx, e Entry, sealedAt time.Time) (Entry, error) {
	id, err := l.Open(ctx, tx, e)
	if err != nil {
		return Entry{}, err
	}
	return l.seal(ctx, tx, id, "", sealedAt)
}

type head struct {
	seq  int64
	hash string
}

// lockHead reads the end of the chain and, on PostgreSQL and MySQL, locks
// it until tx ends: seals in other transactions wait for it.
func (l *Ledger) lockHead(ctx context.Context, tx *sql.Tx) (head, error) {
	b := l.build()
	query := "SELECT " + b.q("seq") + ", " + b.q("hash") + " FROM " + b.q(headTable) + " WHERE " + b.q("id") + " = 1" + b.forUpdate()
	var h head
	if err := tx.QueryRowContext(ctx, query).Scan(&h.seq, &h.hash); err != nil {
		if err == sql.ErrNoRows {
			return head{}, fmt.Errorf("the ledger head row is missing from %s", headTable)
		}
		return head{}, fmt.Errorf("read the ledger head: %w", err)
	}
	return h, nil
}

func (l *Ledger) seal(ctx context.Context, tx *sql.Tx, id int64, detail string, sealedAt time.Time) (Entry, error) {
	if detail != "" {
		if err := checkText("detail", detail, maxText, true); err != nil {
			return Entry{}, err
		}
	}
	// The entry first, then the head: Add locks only the entry, so no
	// transaction waits for the head while holding what a seal needs.
	e, ok, err := l.get(ctx, tx, id, true)
	if err != nil {
		return Entry{}, fmt.Errorf("seal ledger entry %d: %w", id, err)
	}
	if !ok {
		return Entry{}, lethe.Errorf(lethe.ENOTFOUND, "ledger entry %d does not exist", id)
	}
	if e.Sealed() {
		return Entry{}, lethe.Errorf(lethe.ECONFLICT, "ledger entry %d is already sealed (seq %d)", id, e.Seq)
	}
	h, err := l.lockHead(ctx, tx)
	if err != nil {
		return Entry{}, fmt.Errorf("seal ledger entry %d: %w", id, err)
	}
	if detail != "" {
		e.Detail = detail
	}
	at := normTime(sealedAt)
	e.Seq, e.PrevHash, e.SealedAt = h.seq+1, h.hash, &at
	e.Hash = Hash(e)

	b := l.build()
	query := "UPDATE " + b.table() + " SET " +
		b.q("seq") + " = " + b.arg(e.Seq) + ", " +
		b.q("prev_hash") + " = " + b.arg(e.PrevHash) + ", " +
		b.q("hash") + " = " + b.arg(e.Hash) + ", " +
		b.q("sealed_at") + " = " + b.arg(b.timeArg(at)) + ", " +
		b.q("detail") + " = " + b.arg(nullable(e.Detail)) +
		" WHERE " + b.q("id") + " = " + b.arg(id) + " AND " + b.q("seq") + " IS NULL"
	if err := execOne(ctx, tx, query, b.args); err != nil {
		return Entry{}, fmt.Errorf("seal ledger entry %d: %w", id, err)
	}
	b = l.build()
	query = "UPDATE " + b.q(headTable) + " SET " + b.q("seq") + " = " + b.arg(e.Seq) + ", " + b.q("hash") + " = " + b.arg(e.Hash) +
		" WHERE " + b.q("id") + " = 1"
	if err := execOne(ctx, tx, query, b.args); err != nil {
		return Entry{}, fmt.Errorf("seal ledger entry %d: move the head: %w", id, err)
	}
	return e, nil
}

// execOne runs a statement that must change exactly one row.
func execOne(ctx context.Context, q dialect.Querier, query string, args []any) error {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("%d rows changed, want 1", n)
	}
	return nil
}

// inTx runs fn in a write transaction and commits when it returns nil.
func (l *Ledger) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := l.d.DB().BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("ledger: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("ledger: commit: %w", err)
	}
	return nil
}

// Filter selects entries for List. Zero values do not filter.
type Filter struct {
	Tenant, Reason, Dataset, RunID string
	Since, Until                   time.Time // Since <= At < Until
	Limit                          int
}

// List returns the entries the filter selects, sealed or not, by id.
func (l *Ledger) List(ctx context.Context, f Filter) ([]Entry, error) {
	b := l.build()
	var where []string
	for _, c := range []struct{ col, value string }{
		{"tenant", f.Tenant}, {"reason", f.Reason}, {"dataset", f.Dataset}, {"run_id", f.RunID},
	} {
		if c.value != "" {
			where = append(where, b.q(c.col)+" = "+b.arg(c.value))
		}
	}
	if !f.Since.IsZero() {
		where = append(where, b.q("at")+" >= "+b.arg(b.timeArg(f.Since)))
	}
	if !f.Until.IsZero() {
		where = append(where, b.q("at")+" < "+b.arg(b.timeArg(f.Until)))
	}
	query := "SELECT " + b.selectList() + " FROM " + b.table()
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY " + b.q("id")
	if f.Limit > 0 {
		query += " LIMIT " + strconv.Itoa(f.Limit)
	}
	var out []Entry
	err := queryEntries(ctx, l.d.DB(), query, b.args, func(e Entry) error {
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list ledger entries: %w", err)
	}
	return out, nil
}
