package ledger_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"lethe"
	"lethe/dialect"
	"lethe/dialect/dialecttest"
	"lethe/ledger"
)

var ctx = context.Background()

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable clock for Ledger.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// setup gives a migrated database and a ledger on it whose clock is t0.
func setup(t *testing.T, h dialecttest.Harness) (*ledger.Ledger, dialect.Dialect, *clock) {
	t.Helper()
	d := h.Open(t)
	if err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: t0}
	l := ledger.New(d)
	l.Now = c.now
	return l, d, c
}

// sealed opens and seals an entry with the given reason and tenant.
func sealed(t *testing.T, l *ledger.Ledger, d dialect.Dialect, tenant, reason string) ledger.Entry {
	t.Helper()
	id, err := l.Open(ctx, d.DB(), ledger.Entry{At: t0, Tenant: tenant, Dataset: "answers", Reason: reason, Actor: "nightly"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := l.Seal(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// exec runs a statement written with ? placeholders, numbered for
// PostgreSQL, and "rows" quoted for the dialect.
func exec(t *testing.T, d dialect.Dialect, query string, args ...any) {
	t.Helper()
	n := 0
	var b strings.Builder
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString(d.Placeholder(n))
			continue
		}
		b.WriteRune(r)
	}
	q := strings.ReplaceAll(b.String(), "ROWS", d.Quote("rows"))
	if _, err := d.DB().ExecContext(ctx, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func list(t *testing.T, l *ledger.Ledger, f ledger.Filter) []ledger.Entry {
	t.Helper()
	es, err := l.List(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func verify(t *testing.T, l *ledger.Ledger) ledger.Report {
	t.Helper()
	r, err := l.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wantOK(t *testing.T, r ledger.Report, entries int) {
	t.Helper()
	if !r.OK || r.BadID != 0 || r.Problem != "" || r.Entries != entries {
		t.Errorf("verify = %+v, want OK with %d entries", r, entries)
	}
}

func ptr(t time.Time) *time.Time { return &t }

func TestOpenAddSeal(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		l, d, c := setup(t, h)
		berlin := time.FixedZone("CET", 3600)
		open := ledger.Entry{
			RunID:      "run-7",
			At:         time.Date(2024, 3, 1, 13, 2, 3, 123456789, berlin), // nanoseconds, another zone
			Tenant:     "acme",
			Dataset:    "answers",
			Reason:     "dsr_erasure",
			SubjectKey: "user:42",
			Cutoff:     ptr(time.Date(2023, 3, 1, 0, 0, 0, 999, time.UTC)),
			Actor:      "alice",
			Note:       "ticket <4711> & \"urgent\"\nsecond line, ü",
			Detail:     `{"archive":"a.jsonl"}`,
		}
		id, err := l.Open(ctx, d.DB(), open)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int64{3, 4} {
			tx, err := d.DB().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Add(ctx, tx, id, n, 1); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		want := ledger.Entry{
			ID:         id,
			RunID:      "run-7",
			At:         time.Date(2024, 3, 1, 12, 2, 3, 123456000, time.UTC),
			Tenant:     "acme",
			Dataset:    "answers",
			Reason:     "dsr_erasure",
			SubjectKey: "user:42",
			Cutoff:     ptr(time.Date(2023, 3, 1, 0, 0, 0, 0, time.UTC)),
			Actor:      "alice",
			Rows:       7,
			Held:       2,
			Note:       open.Note,
			Detail:     `{"archive":"a.jsonl"}`,
		}
		if got := list(t, l, ledger.Filter{}); !reflect.DeepEqual(got, []ledger.Entry{want}) {
			t.Errorf("unsealed entry:\n got %+v\nwant %+v", got, []ledger.Entry{want})
		}

		c.set(time.Date(2024, 3, 1, 12, 5, 0, 555555555, time.UTC))
		e, err := l.Seal(ctx, id, `{"archive":"a.jsonl","sha256":"ab"}`)
		if err != nil {
			t.Fatal(err)
		}
		want.Seq = 1
		want.Detail = `{"archive":"a.jsonl","sha256":"ab"}`
		want.PrevHash = ledger.ZeroHash
		want.SealedAt = ptr(time.Date(2024, 3, 1, 12, 5, 0, 555555000, time.UTC))
		want.Hash = ledger.Hash(want)
		if !reflect.DeepEqual(e, want) {
			t.Errorf("Seal returned\n %+v\nwant %+v", e, want)
		}
		if got := list(t, l, ledger.Filter{}); !reflect.DeepEqual(got, []ledger.Entry{want}) {
			t.Errorf("sealed entry read back:\n got %+v\nwant %+v", got, []ledger.Entry{want})
		}

		// Absent optional values read back as "" and nil, and hash alike.
		c.set(t0)
		id2, err := l.Open(ctx, d.DB(), ledger.Entry{Reason: "retention_sweep"})
		if err != nil {
			t.Fatal(err)
		}
		e2, err := l.Seal(ctx, id2, "")
		if err != nil {
			t.Fatal(err)
		}
		want2 := ledger.Entry{ID: id2, Seq: 2, At: t0, Reason: "retention_sweep", PrevHash: want.Hash, SealedAt: ptr(t0)}
		want2.Hash = ledger.Hash(want2)
		if got := list(t, l, ledger.Filter{RunID: ""})[1]; !reflect.DeepEqual(got, want2) || !reflect.DeepEqual(e2, want2) {
			t.Errorf("bare entry:\n got %+v\nseal %+v\nwant %+v", got, e2, want2)
		}
		wantOK(t, verify(t, l), 2)
	})
}

// The canonical encoding is the documented JSON array, byte for byte.
func TestHashEncoding(t *testing.T) {
	e := ledger.Entry{
		ID:         99, // not hashed
		Seq:        5,
		RunID:      "r1",
		At:         time.Date(2024, 3, 1, 13, 0, 0, 1500, time.FixedZone("CET", 3600)),
		Tenant:     "acme",
		Dataset:    "answers",
		Reason:     "dsr_erasure",
		SubjectKey: "user:42",
		Actor:      "alice",
		Rows:       3,
		Held:       1,
		Note:       "a <b> & \"c\"\n\x01\u2028ü",
		Detail:     `{"k":1}`,
		SealedAt:   ptr(time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)),
		PrevHash:   strings.Repeat("ab", 32),
		Hash:       "ignored",
	}
	doc := `["lethe-ledger/1",5,"r1","2024-03-01T12:00:00.000001Z","acme","answers","dsr_erasure","user:42",null,"alice",3,1,` +
		`"a <b> & \"c\"\n\u0001\u2028ü","{\"k\":1}","2024-03-02T00:00:00.000000Z","` + strings.Repeat("ab", 32) + `"]`
	sum := sha256.Sum256([]byte(doc))
	if got, want := ledger.Hash(e), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("Hash = %s, want %s (sha256 of %s)", got, want, doc)
	}
	e.Rows = 4
	if ledger.Hash(e) == hex.EncodeToString(sum[:]) {
		t.Error("changing rows did not change the hash")
	}
}

func TestOpenRefuses(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		l, d, _ := setup(t, h)
		for _, e := range []ledger.Entry{
			{Reason: ""},
			{Reason: "x", Tenant: "bad \xff utf-8"},
			{Reason: "x", Note: "nul \x00 byte"},
			{Reason: "x", Tenant: strings.Repeat("t", 256)},
			{Reason: strings.Repeat("r", 65)},
			{Reason: "x", Rows: -1},
		} {
			if _, err := l.Open(ctx, d.DB(), e); lethe.ErrorCode(err) != lethe.EINVALID {
				t.Errorf("Open(%+v) = %v, want an invalid error", e, err)
			}
		}
		// At the limit is fine everywhere.
		if _, err := l.Open(ctx, d.DB(), ledger.Entry{Reason: strings.Repeat("r", 64), Tenant: strings.Repeat("ü", 255)}); err != nil {
			t.Error(err)
		}
	})
}

func TestSealOrderNotIDOrder(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		l, d, _ := setup(t, h)
		a, err := l.Open(ctx, d.DB(), ledger.Entry{Reason: "retention_sweep", Dataset: "a"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := l.Open(ctx, d.DB(), ledger.Entry{Reason: "retention_sweep", Dataset: "b"})
		if err != nil {
			t.Fatal(err)
		}
		eb, err := l.Seal(ctx, b, "")
		if err != nil {
			t.Fatal(err)
		}
		ea, err := l.Seal(ctx, a, "")
		if err != nil {
			t.Fatal(err)
		}
		if eb.Seq != 1 || ea.Seq != 2 || eb.PrevHash != ledger.ZeroHash || ea.PrevHash != eb.Hash {
			t.Errorf("sealed b then a: b seq %d prev %s, a seq %d prev %s", eb.Seq, eb.PrevHash, ea.Seq, ea.PrevHash)
		}
		r := verify(t, l)
		wantOK(t, r, 2)
		if r.HeadSeq != 2 || len(r.Unsealed) != 0 {
			t.Errorf("verify = %+v, want head seq 2, nothing unsealed", r)
		}
	})
}

func TestSealAndAddErrors(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		l, d, _ := setup(t, h)
		e := sealed(t, l, d, "acme", "retention_sweep")
		if err := l.Add(ctx, d.DB(), e.ID, 1, 0); lethe.ErrorCode(err) != lethe.ECONFLICT {
			t.Errorf("Add to a sealed entry = %v, want a conflict", err)
		}
		if _, err := l.Seal(ctx, e.ID, ""); lethe.ErrorCode(err) != lethe.ECONFLICT {
			t.Errorf("sealing twice = %v, want a conflict", err)
		}
		if err := l.Add(ctx, d.DB(), 12345, 1, 0); lethe.ErrorCode(err) != lethe.ENOTFOUND {
			t.Errorf("Add to a missing entry = %v, want not found", err)
		}
		if _, err := l.Seal(ctx, 12345, ""); lethe.ErrorCode(err) != lethe.ENOTFOUND {
			t.Errorf("sealing a missing entry = %v, want not found", err)
		}
		if got := list(t, l, ledger.Filter{}); len(got) != 1 || !reflect.DeepEqual(got[0], e) {
			t.Errorf("after refused changes: %+v, want %+v", got, e)
		}
		wantOK(t, verify(t, l), 1)
	})
}

func TestAddRollsBackWithItsTransaction(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		l, d, _ := setup(t, h)
		id, err := l.Open(ctx, d.DB(), ledger.Entry{Reason: "retention_sweep"})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Add(ctx, d.DB(), id, 5, 1); err != nil {
			t.Fatal(err)
		}
		tx, err := d.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Add(ctx, tx, id, 100, 100); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		// Adding nothing is allowed (a batch that skipped everything).
		if err := l.Add(ctx, d.DB(), id, 0, 0); err != nil {
			t.Fatal(err)
		}
		got := list(t, l, ledger.Filter{})
		if len(got) != 1 || got[0].Rows != 5 || got[0].Held != 1 {
			t.Errorf("after a rolled-back add: %+v, want rows 5, held 1", got)
		}
		if err := l.Add(ctx, d.DB(), id, -1, 0); lethe.ErrorCode(err) != lethe.EINVALID {
			t.Errorf("negative add = %v, want invalid", err)
		}
	})
}

// TestAddRows: one statement adds to several entries, each its own count;
// a sealed entry among them fails the call, naming it (the caller's
// transaction then rolls back what the statement added to the others).
func TestAddRows(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		l, d, _ := setup(t, h)
		var ids []int64
		for _, tenant := range []string{"a", "b", "c"} {
			id, err := l.Open(ctx, d.DB(), ledger.Entry{Tenant: tenant, Dataset: "events", Reason: "retention_sweep"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		for _, add := range []map[int64]int64{{ids[0]: 3, ids[1]: 40, ids[2]: 500}, {ids[2]: 1, ids[0]: 20}, {ids[1]: 7}} {
			if err := l.AddRows(ctx, d.DB(), add); err != nil {
				t.Fatal(err)
			}
		}
		rows := func() map[string]int64 {
			out := map[string]int64{}
			for _, e := range list(t, l, ledger.Filter{}) {
				out[e.Tenant] = e.Rows
			}
			return out
		}
		if got, want := rows(), map[string]int64{"a": 23, "b": 47, "c": 501}; !reflect.DeepEqual(got, want) {
			t.Errorf("rows = %v, want %v", got, want)
		}
		done, err := l.Seal(ctx, ids[1], "")
		if err != nil {
			t.Fatal(err)
		}
		tx, err := d.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.AddRows(ctx, tx, map[int64]int64{ids[0]: 1, ids[1]: 1}); lethe.ErrorCode(err) != lethe.ECONFLICT || !strings.Contains(err.Error(), fmt.Sprint(done.ID)) {
			t.Errorf("AddRows with a sealed entry = %v, want a conflict naming entry %d", err, done.ID)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if got, want := rows(), map[string]int64{"a": 23, "b": 47, "c": 501}; !reflect.DeepEqual(got, want) {
			t.Errorf("rows after the rolled-back add = %v, want %v", got, want)
		}
	})
}

func TestRecordAndSealTx(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		l, d, _ := setup(t, h)
		// Rolled back: neither the entry nor the head moves.
		tx, err := d.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Record(ctx, tx, ledger.Entry{Reason: "dsr_erasure", SubjectKey: "user:1", Rows: 3}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if got := list(t, l, ledger.Filter{}); len(got) != 0 {
			t.Errorf("rolled-back record left %+v", got)
		}
		wantOK(t, verify(t, l), 0)

		// Committed: two datasets of one erasure in one transaction.
		tx, err = d.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		e1, err := l.Record(ctx, tx, ledger.Entry{Reason: "dsr_erasure", Dataset: "a", SubjectKey: "user:1", Rows: 3})
		if err != nil {
			t.Fatal(err)
		}
		id, err := l.Open(ctx, tx, ledger.Entry{Reason: "dsr_erasure", Dataset: "b", SubjectKey: "user:1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Add(ctx, tx, id, 2, 0); err != nil {
			t.Fatal(err)
		}
		e2, err := l.SealTx(ctx, tx, id, `{"x":1}`)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if e1.Seq != 1 || e2.Seq != 2 || e2.Rows != 2 || e2.Detail != `{"x":1}` || e2.PrevHash != e1.Hash {
			t.Errorf("recorded %+v and %+v", e1, e2)
		}
		if got := list(t, l, ledger.Filter{}); !reflect.DeepEqual(got, []ledger.Entry{e1, e2}) {
			t.Errorf("read back %+v, want %+v", got, []ledger.Entry{e1, e2})
		}
		wantOK(t, verify(t, l), 2)
	})
}

func TestVerifyFindsTampering(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		l, d, _ := setup(t, h)
		var es []ledger.Entry
		for i := 0; i < 4; i++ {
			es = append(es, sealed(t, l, d, "acme", "retention_sweep"))
		}
		wantOK(t, verify(t, l), 4)

		// A changed count.
		exec(t, d, "UPDATE lethe_ledger SET ROWS = 99 WHERE id = ?", es[1].ID)
		r := verify(t, l)
		if r.OK || r.BadID != es[1].ID || !strings.Contains(r.Problem, "hash") {
			t.Errorf("after changing rows: %+v, want entry %d named for its hash", r, es[1].ID)
		}
		exec(t, d, "UPDATE lethe_ledger SET ROWS = 0 WHERE id = ?", es[1].ID)
		wantOK(t, verify(t, l), 4)

		// A removed middle entry: the next one's link breaks.
		exec(t, d, "DELETE FROM lethe_ledger WHERE id = ?", es[1].ID)
		r = verify(t, l)
		if r.OK || r.BadID != es[2].ID || !strings.Contains(r.Problem, "seq 2") {
			t.Errorf("after deleting seq 2: %+v, want entry %d named, seq 2 missing", r, es[2].ID)
		}
	})
}

func TestVerifyFindsOtherBreaks(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		for _, tt := range []struct {
			name    string
			tamper  string // ? is the id of the second of three entries
			bad     int    // index of the entry named, -1 for none
			problem string
		}{
			{"relinked", "UPDATE lethe_ledger SET prev_hash = '" + ledger.ZeroHash + "', hash = 'x' WHERE id = ?", 1, "hash"},
			{"newest removed", "DELETE FROM lethe_ledger WHERE seq = 3 AND id > ?", -1, "newest entries are missing"},
			{"oldest removed", "DELETE FROM lethe_ledger WHERE seq = 1 AND id < ?", 1, "seq 1"},
			{"unsealed", "UPDATE lethe_ledger SET seq = NULL WHERE id = ?", 2, "seq 2"},
			{"head moved", "UPDATE lethe_ledger_head SET hash = '" + ledger.ZeroHash + "' WHERE id < ?", -1, "head"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				l, d, _ := setup(t, h)
				var es []ledger.Entry
				for i := 0; i < 3; i++ {
					es = append(es, sealed(t, l, d, "acme", "retention_sweep"))
				}
				exec(t, d, tt.tamper, es[1].ID)
				r := verify(t, l)
				var want int64
				if tt.bad >= 0 {
					want = es[tt.bad].ID
				}
				if r.OK || r.BadID != want || !strings.Contains(r.Problem, tt.problem) {
					t.Errorf("verify = %+v, want entry id %d named, problem mentioning %q", r, want, tt.problem)
				}
			})
		}
	})
}

func TestUnsealedIsNotABreak(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		l, d, _ := setup(t, h)
		sealed(t, l, d, "acme", "retention_sweep")
		crashed, err := l.Open(ctx, d.DB(), ledger.Entry{RunID: "run-1", Tenant: "acme", Reason: "retention_sweep"})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Add(ctx, d.DB(), crashed, 40, 2); err != nil {
			t.Fatal(err)
		}
		sealed(t, l, d, "acme", "retention_sweep")
		r := verify(t, l)
		wantOK(t, r, 2)
		if len(r.Unsealed) != 1 || r.Unsealed[0].ID != crashed || r.Unsealed[0].Rows != 40 || r.Unsealed[0].Held != 2 || r.Unsealed[0].RunID != "run-1" {
			t.Errorf("unsealed = %+v, want entry %d with 40 rows, 2 held", r.Unsealed, crashed)
		}
	})
}

func TestPrune(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		l, d, c := setup(t, h)
		cut := t0.Add(24 * time.Hour)
		var old []ledger.Entry
		for i := 0; i < 3; i++ {
			c.set(t0.Add(time.Duration(i) * time.Hour))
			old = append(old, sealed(t, l, d, "acme", "retention_sweep"))
		}
		crashed, err := l.Open(ctx, d.DB(), ledger.Entry{At: t0, Reason: "retention_sweep"})
		if err != nil {
			t.Fatal(err)
		}
		c.set(cut) // sealed at the cut: stays
		kept := []ledger.Entry{sealed(t, l, d, "acme", "retention_sweep")}
		c.set(cut.Add(-time.Hour)) // sealed before the cut, but after one that stays
		kept = append(kept, sealed(t, l, d, "acme", "retention_sweep"))

		at := cut.Add(2 * time.Hour)
		n, err := l.Prune(ctx, cut, "ops", at)
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("pruned %d, want 3", n)
		}
		want := ledger.Entry{
			Seq: 6, At: at, Reason: ledger.ReasonPruned, Actor: "ops", Rows: 3,
			Detail:   fmt.Sprintf(`{"through_seq":3,"through_hash":%q}`, old[2].Hash),
			PrevHash: kept[1].Hash, SealedAt: &at,
		}
		want.Hash = ledger.Hash(want)
		got := list(t, l, ledger.Filter{})
		if len(got) != 4 || got[0].ID != crashed || got[1].ID != kept[0].ID || got[2].ID != kept[1].ID {
			t.Fatalf("after pruning: %+v", got)
		}
		want.ID = got[3].ID
		if !reflect.DeepEqual(got[3], want) {
			t.Errorf("pruning entry\n got %+v\nwant %+v", got[3], want)
		}
		r := verify(t, l)
		wantOK(t, r, 3)
		if len(r.Unsealed) != 1 || r.HeadSeq != 6 {
			t.Errorf("verify = %+v, want the crashed entry unsealed, head seq 6", r)
		}

		// Pruning again, the previous pruning entry goes too.
		later := at.Add(time.Hour)
		if n, err := l.Prune(ctx, later, "ops", later); err != nil || n != 3 {
			t.Fatalf("second prune = %d, %v, want 3", n, err)
		}
		wantOK(t, verify(t, l), 1)

		// Nothing left to remove: recorded all the same.
		if n, err := l.Prune(ctx, later, "ops", later); err != nil || n != 0 {
			t.Fatalf("third prune = %d, %v, want 0", n, err)
		}
		got = list(t, l, ledger.Filter{Reason: ledger.ReasonPruned})
		if len(got) != 2 || got[1].Rows != 0 || got[1].Detail != fmt.Sprintf(`{"through_seq":6,"through_hash":%q}`, want.Hash) {
			t.Errorf("pruning entries = %+v", got)
		}
		wantOK(t, verify(t, l), 2)
		// The crashed run's entry is evidence, never pruned.
		if got := list(t, l, ledger.Filter{}); got[0].ID != crashed {
			t.Errorf("the unsealed entry went: %+v", got)
		}
	})
}

func TestPruneRefusesABrokenChain(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		l, d, c := setup(t, h)
		var es []ledger.Entry
		for i := 0; i < 3; i++ {
			es = append(es, sealed(t, l, d, "acme", "retention_sweep"))
		}
		exec(t, d, "UPDATE lethe_ledger SET ROWS = 7 WHERE id = ?", es[1].ID)
		c.set(t0.Add(time.Hour))
		if _, err := l.Prune(ctx, t0.Add(time.Hour), "ops", t0.Add(time.Hour)); lethe.ErrorCode(err) != lethe.ECONFLICT {
			t.Errorf("prune over a changed entry = %v, want a conflict", err)
		}
		if got := list(t, l, ledger.Filter{}); len(got) != 3 {
			t.Errorf("a refused prune changed the ledger: %+v", got)
		}
		// A changed pruning entry stops the next pruning too.
		exec(t, d, "UPDATE lethe_ledger SET ROWS = 0 WHERE id = ?", es[1].ID)
		if _, err := l.Prune(ctx, t0.Add(time.Hour), "ops", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		exec(t, d, "UPDATE lethe_ledger SET ROWS = 1 WHERE reason = ?", ledger.ReasonPruned)
		r := verify(t, l)
		if p := list(t, l, ledger.Filter{Reason: ledger.ReasonPruned}); r.OK || len(p) != 1 || r.BadID != p[0].ID {
			t.Errorf("verify after changing the pruning entry = %+v", r)
		}
		if _, err := l.Prune(ctx, t0.Add(2*time.Hour), "ops", t0.Add(2*time.Hour)); lethe.ErrorCode(err) != lethe.ECONFLICT {
			t.Errorf("prune after a changed pruning entry = %v, want a conflict", err)
		}
	})
}

func TestListFilters(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		l, d, _ := setup(t, h)
		add := func(tenant, dataset, reason, run string, at time.Time) int64 {
			id, err := l.Open(ctx, d.DB(), ledger.Entry{At: at, Tenant: tenant, Dataset: dataset, Reason: reason, RunID: run})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		a := add("acme", "answers", "retention_sweep", "r1", t0)
		b := add("globex", "answers", "retention_sweep", "r1", t0.Add(time.Hour))
		c := add("acme", "sessions", "dsr_erasure", "r2", t0.Add(2*time.Hour))
		e := add("acme", "answers", "retention_sweep", "r2", t0.Add(3*time.Hour+time.Microsecond))
		for _, tt := range []struct {
			name string
			f    ledger.Filter
			want []int64
		}{
			{"all", ledger.Filter{}, []int64{a, b, c, e}},
			{"tenant", ledger.Filter{Tenant: "acme"}, []int64{a, c, e}},
			{"reason", ledger.Filter{Reason: "dsr_erasure"}, []int64{c}},
			{"dataset", ledger.Filter{Dataset: "answers"}, []int64{a, b, e}},
			{"run", ledger.Filter{RunID: "r2"}, []int64{c, e}},
			{"since", ledger.Filter{Since: t0.Add(time.Hour)}, []int64{b, c, e}},
			{"since in another zone", ledger.Filter{Since: t0.Add(3 * time.Hour).In(time.FixedZone("X", -5*3600))}, []int64{e}},
			{"until", ledger.Filter{Until: t0.Add(2 * time.Hour)}, []int64{a, b}},
			{"since and until", ledger.Filter{Since: t0.Add(time.Hour), Until: t0.Add(3 * time.Hour)}, []int64{b, c}},
			{"tenant and reason", ledger.Filter{Tenant: "acme", Reason: "retention_sweep"}, []int64{a, e}},
			{"limit", ledger.Filter{Tenant: "acme", Limit: 2}, []int64{a, c}},
			{"nothing", ledger.Filter{Tenant: "initech"}, nil},
		} {
			var got []int64
			for _, e := range list(t, l, tt.f) {
				got = append(got, e.ID)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s: ids %v, want %v", tt.name, got, tt.want)
			}
		}
	})
}

func TestConcurrentSeals(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		l, d, _ := setup(t, h)
		const workers, each = 4, 25
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					id, err := l.Open(ctx, d.DB(), ledger.Entry{Tenant: fmt.Sprintf("t%d", w), Reason: "retention_sweep"})
					if err == nil {
						err = l.Add(ctx, d.DB(), id, int64(i), 0)
					}
					if err == nil {
						_, err = l.Seal(ctx, id, "")
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		got := list(t, l, ledger.Filter{})
		seen := map[int64]bool{}
		for _, e := range got {
			if e.Seq < 1 || e.Seq > workers*each || seen[e.Seq] {
				t.Errorf("entry %d has seq %d", e.ID, e.Seq)
			}
			seen[e.Seq] = true
		}
		if len(got) != workers*each || len(seen) != workers*each {
			t.Errorf("%d entries, %d distinct seqs, want %d", len(got), len(seen), workers*each)
		}
		r := verify(t, l)
		wantOK(t, r, workers*each)
		if r.HeadSeq != workers*each {
			t.Errorf("head seq %d", r.HeadSeq)
		}
	})
}
