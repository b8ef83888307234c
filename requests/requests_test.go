package requests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"lethe"
	"lethe/dialect/dialecttest"
	"lethe/engine"
	"lethe/ledger"
)

// history is a request's events as "actor event from->to: note".
func history(t *testing.T, s *Store, id int64) []string {
	t.Helper()
	_, events, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range events {
		if ev.RequestID != id {
			t.Errorf("event %d of request %d is filed under %d", ev.ID, id, ev.RequestID)
		}
		out = append(out, fmt.Sprintf("%s %s %s %s->%s: %s", ev.At.Format(time.RFC3339), ev.Actor, ev.Event, ev.From, ev.To, ev.Note))
	}
	return out
}

func wantCode(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if lethe.ErrorCode(err) != code || !strings.Contains(fmt.Sprint(err), msg) {
		t.Errorf("%s: %v, want %s error containing %q", what, err, code, msg)
	}
}

func erasureResult(t *testing.T, r Request) ErasureResult {
	t.Helper()
	var res ErasureResult
	if err := json.Unmarshal(r.Result, &res); err != nil {
		t.Fatalf("result %s: %v", r.Result, err)
	}
	return res
}

func datasets(ds []engine.DatasetErasure) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%s %s %d", d.Dataset, d.Action, d.Rows))
	}
	return out
}

// TestErasureRequest walks an erasure request through every state, with
// each refusal on the way, and checks the engine's exact counts and the
// exact history.
func TestErasureRequest(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		s := f.s
		day := func(d int, hour int) time.Time { return time.Date(2024, 3, d, hour, 0, 0, 0, time.UTC) }

		r, err := s.Open(ctx, OpenInput{Kind: Erasure, Subject: "user:4", Tenant: "acme", Requester: "Dee Dormant <dee@example.com>", Actor: "intake", At: day(1, 9)})
		if err != nil {
			t.Fatal(err)
		}
		want := Request{ID: r.ID, Kind: Erasure, SubjectKind: "user", SubjectKey: "4", Tenant: "acme", Requester: "Dee Dormant <dee@example.com>",
			Status: Received, ReceivedAt: day(1, 9), DueAt: day(31, 9)}
		if !reflect.DeepEqual(r, want) {
			t.Errorf("opened %+v\nwant   %+v", r, want)
		}
		if got, _, err := s.Get(ctx, r.ID); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("get %+v, %v\nwant %+v", got, err, want)
		}

		// Nothing runs before verification.
		_, err = s.Fulfil(ctx, r.ID, "op_1", day(2, 9), nil)
		wantCode(t, "fulfil before verify", err, lethe.ECONFLICT, fmt.Sprintf("request %d is not verified", r.ID))
		if n := f.rows("SELECT COUNT(*) FROM transactions WHERE performed_by = 4"); n[0] != "1" {
			t.Errorf("an unverified request erased rows")
		}
		_, err = s.Verify(ctx, r.ID, "op_1", "email", day(2, 9))
		wantCode(t, "verify by email", err, lethe.EINVALID, `verification method "email": write operator`)
		_, err = s.Verify(ctx, r.ID, "", ByOperator, day(2, 9))
		wantCode(t, "verify by nobody", err, lethe.EINVALID, "needs an actor")

		v, err := s.Verify(ctx, r.ID, "op_1", ByOperator, day(2, 10))
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != Verified || v.VerifiedBy != "op_1" || v.VerifyMethod != ByOperator || !v.VerifiedAt.Equal(day(2, 10)) {
			t.Errorf("verified %+v", v)
		}
		_, err = s.Verify(ctx, r.ID, "op_2", ByToken, day(2, 11))
		wantCode(t, "verify twice", err, lethe.ECONFLICT, fmt.Sprintf("request %d is already verified (operator, by op_1 on 2024-03-02)", r.ID))

		done, err := s.Fulfil(ctx, r.ID, "op_1", day(3, 9), nil)
		if err != nil {
			t.Fatal(err)
		}
		if done.Status != Completed || !done.FulfilledAt.Equal(day(3, 9)) {
			t.Errorf("fulfilled %+v", done)
		}
		res := erasureResult(t, done)
		wantSets := []string{"transactions delete 1", "support_tickets delete 1", "sessions delete 1", "user anonymize 1"}
		if got := datasets(res.Datasets); !reflect.DeepEqual(got, wantSets) || res.Rows != 4 || res.Subject != "user:4" || res.Tenant != "acme" {
			t.Errorf("result %s, want datasets %v and 4 rows", done.Result, wantSets)
		}
		if res.BackupsExpireBy == nil || !res.BackupsExpireBy.Equal(day(3, 9).AddDate(0, 0, 30)) {
			t.Errorf("backups_expire_by = %v", res.BackupsExpireBy)
		}
		// Only acme's user 4 is gone; globex's rows stay.
		if got := f.rows("SELECT id FROM transactions ORDER BY id"); !reflect.DeepEqual(got, []string{"2", "3"}) {
			t.Errorf("transactions left %v", got)
		}
		if ok, err := f.e.Suppressed(ctx, "acme", "dee@example.com"); err != nil || !ok {
			t.Errorf("the erased user's email is not suppressed: %v %v", ok, err)
		}
		// The ledger: one entry per dataset, naming the request.
		entries, err := f.e.Ledger().List(ctx, ledger.Filter{Reason: engine.ReasonErasure})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, en := range entries {
			got = append(got, fmt.Sprintf("%s %s %s %s %s %d", en.Tenant, en.Dataset, en.SubjectKey, en.Actor, en.Note, en.Rows))
		}
		note := fmt.Sprintf("request #%d", r.ID)
		wantLedger := []string{"acme transactions user:4 op_1 " + note + " 1", "acme support_tickets user:4 op_1 " + note + " 1",
			"acme sessions user:4 op_1 " + note + " 1", "acme user user:4 op_1 " + note + " 1"}
		if !reflect.DeepEqual(got, wantLedger) {
			t.Errorf("ledger %v\nwant %v", got, wantLedger)
		}

		_, err = s.Extend(ctx, r.ID, lethe.Period{N: 60, Unit: lethe.Days}, "more time", "op_1", day(4, 9))
		wantCode(t, "extend after completion", err, lethe.ECONFLICT, fmt.Sprintf("request %d is completed: its due date can no longer be extended", r.ID))
		_, err = s.Fulfil(ctx, r.ID, "op_1", day(4, 9), nil)
		wantCode(t, "fulfil twice", err, lethe.ECONFLICT, fmt.Sprintf("request %d is completed: it cannot be fulfilled", r.ID))
		_, err = s.Reject(ctx, r.ID, "op_1", "changed my mind", day(4, 9))
		wantCode(t, "reject after completion", err, lethe.ECONFLICT, "only a received or verified request is rejected")

		closed, err := s.Close(ctx, r.ID, "op_2", day(5, 9))
		if err != nil || closed.Status != Closed || !closed.ClosedAt.Equal(day(5, 9)) {
			t.Errorf("close: %+v, %v", closed, err)
		}
		_, err = s.Close(ctx, r.ID, "op_2", day(5, 10))
		wantCode(t, "close twice", err, lethe.ECONFLICT, "is closed: only a completed request is closed")

		wantHistory := []string{
			"2024-03-01T09:00:00Z intake opened ->received: erasure of user:4 in tenant acme, due 2024-03-31 (30 days)",
			"2024-03-02T10:00:00Z op_1 verified received->verified: by operator",
			"2024-03-03T09:00:00Z op_1 started verified->in_progress: ",
			"2024-03-03T09:00:00Z op_1 completed in_progress->completed: transactions delete 1, support_tickets delete 1, sessions delete 1, user anonymize 1",
			"2024-03-05T09:00:00Z op_2 closed completed->closed: ",
		}
		if got := history(t, s, r.ID); !reflect.DeepEqual(got, wantHistory) {
			t.Errorf("history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantHistory, "\n"))
		}
		if _, _, err := s.Get(ctx, r.ID+100); lethe.ErrorCode(err) != lethe.ENOTFOUND {
			t.Errorf("get of a missing request: %v", err)
		}
		if _, err := s.Verify(ctx, r.ID+100, "op_1", ByOperator, day(5, 9)); lethe.ErrorCode(err) != lethe.ENOTFOUND {
			t.Errorf("verify of a missing request: %v", err)
		}
	})
}

// TestAccessAndRejection: an access request exports through the engine
// and keeps the manifest; a rejected request runs nothing and can no
// longer be verified.
func TestAccessAndRejection(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		s := f.s
		r, err := s.Open(ctx, OpenInput{Kind: Access, Subject: "user:6", Tenant: "acme", Requester: "Fay", Due: lethe.Period{N: 1, Unit: lethe.Months}, Actor: "intake", At: runAt})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Verify(ctx, r.ID, "portal", ByToken, runAt); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		done, err := s.Fulfil(ctx, r.ID, "op_1", runAt, &buf)
		if err != nil {
			t.Fatal(err)
		}
		var m engine.ExportManifest
		if err := json.Unmarshal(done.Result, &m); err != nil {
			t.Fatalf("result %s: %v", done.Result, err)
		}
		var counts []string
		for _, d := range m.Datasets {
			counts = append(counts, fmt.Sprintf("%s %d", d.Dataset, d.Rows))
		}
		if want := []string{"user 1", "transactions 1", "support_tickets 1", "sessions 2"}; done.Status != Completed || !reflect.DeepEqual(counts, want) {
			t.Errorf("access: %s %v, want completed %v", done.Status, counts, want)
		}
		if !strings.Contains(buf.String(), `"fay@example.com"`) || strings.Contains(buf.String(), "dee@example.com") {
			t.Errorf("export:\n%.1000s", buf.String())
		}
		wantHistory := []string{
			"2024-04-01T00:00:00Z intake opened ->received: access of user:6 in tenant acme, due 2024-05-01 (1 month)",
			"2024-04-01T00:00:00Z portal verified received->verified: by token",
			"2024-04-01T00:00:00Z op_1 started verified->in_progress: ",
			"2024-04-01T00:00:00Z op_1 completed in_progress->completed: exported user 1, transactions 1, support_tickets 1, sessions 2",
		}
		if got := history(t, s, r.ID); !reflect.DeepEqual(got, wantHistory) {
			t.Errorf("history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantHistory, "\n"))
		}

		rej, err := s.Open(ctx, OpenInput{Kind: Erasure, Subject: "user:6", Tenant: "acme", Requester: "someone", Actor: "intake", At: runAt})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Reject(ctx, rej.ID, "op_1", "  ", runAt)
		wantCode(t, "reject without a reason", err, lethe.EINVALID, "needs a reason for the rejection")
		if rej, err = s.Reject(ctx, rej.ID, "op_1", "identity could not be confirmed", runAt); err != nil || rej.Status != Rejected {
			t.Fatalf("reject: %+v %v", rej, err)
		}
		_, err = s.Verify(ctx, rej.ID, "op_1", ByOperator, runAt)
		wantCode(t, "verify a rejected request", err, lethe.ECONFLICT, fmt.Sprintf("request %d is rejected: it cannot be verified", rej.ID))
		_, err = s.Fulfil(ctx, rej.ID, "op_1", runAt, nil)
		wantCode(t, "fulfil a rejected request", err, lethe.ECONFLICT, fmt.Sprintf("request %d is rejected: it cannot be fulfilled", rej.ID))
		if got := history(t, s, rej.ID); len(got) != 2 || got[1] != "2024-04-01T00:00:00Z op_1 rejected received->rejected: identity could not be confirmed" {
			t.Errorf("history %v", got)
		}
		if n := f.rows("SELECT COUNT(*) FROM sessions WHERE user_id = 6"); n[0] != "2" {
			t.Errorf("a rejected request erased rows")
		}
	})
}

// TestOpenRefusals: bad intake is refused with a message that says what
// to write, and nothing is stored.
func TestOpenRefusals(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		ok := OpenInput{Kind: Erasure, Subject: "contact:c_1", Tenant: "acme", Requester: "x", Actor: "intake", At: runAt}
		for _, tc := range []struct {
			change func(*OpenInput)
			msg    string
		}{
			{func(in *OpenInput) { in.Kind = "delete" }, `request kind "delete": write erasure or access`},
			{func(in *OpenInput) { in.Subject = "user" }, `subject "user": write KIND:ID`},
			{func(in *OpenInput) { in.Subject = "ghost:1" }, `no subject kind "ghost" in the policy: kinds are user, participant, contact`},
			{func(in *OpenInput) { in.Tenant = "" }, "a request needs a tenant"},
			{func(in *OpenInput) { in.Requester = "" }, "a request needs a requester"},
			{func(in *OpenInput) { in.Requester = "a\x00b" }, "a requester must be UTF-8 text without NUL bytes"},
			{func(in *OpenInput) { in.Subject = "user:" + strings.Repeat("ü", 256) }, "a subject key is 256 characters long; at most 255 are allowed"},
			{func(in *OpenInput) { in.Actor = "" }, "a request needs an actor"},
			{func(in *OpenInput) { in.At = time.Time{} }, "needs the time it was received"},
		} {
			in := ok
			tc.change(&in)
			_, err := f.s.Open(ctx, in)
			wantCode(t, tc.msg, err, lethe.EINVALID, tc.msg)
		}
		if n := f.rows("SELECT COUNT(*) FROM lethe_requests"); n[0] != "0" {
			t.Errorf("refused requests were stored: %v", n)
		}
		// Keys are data: quotes, semicolons and SQL fragments are stored
		// and read back as they are.
		for _, key := range []string{"1'; DROP TABLE users; --", `"x"`, "ü 😀"} {
			in := ok
			in.Subject = "contact:" + key
			r, err := f.s.Open(ctx, in)
			if err != nil {
				t.Fatalf("open %q: %v", key, err)
			}
			if got, _, err := f.s.Get(ctx, r.ID); err != nil || got.SubjectKey != key {
				t.Errorf("key %q read back as %q, %v", key, got.SubjectKey, err)
			}
		}
	})
}

// TestDueDates: calendar arithmetic clamped to the month's end, and
// extensions with their reason.
func TestDueDates(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		s := f.s
		jan31 := time.Date(2024, 1, 31, 10, 30, 0, 0, time.UTC)
		for _, tc := range []struct {
			due  lethe.Period
			want time.Time
		}{
			{lethe.Period{N: 1, Unit: lethe.Months}, time.Date(2024, 2, 29, 10, 30, 0, 0, time.UTC)},
			{lethe.Period{}, time.Date(2024, 3, 1, 10, 30, 0, 0, time.UTC)}, // 30 days by default
			{lethe.Period{N: 2, Unit: lethe.Weeks}, time.Date(2024, 2, 14, 10, 30, 0, 0, time.UTC)},
			{lethe.Period{N: 1, Unit: lethe.Years}, time.Date(2025, 1, 31, 10, 30, 0, 0, time.UTC)},
		} {
			r, err := s.Open(ctx, OpenInput{Kind: Access, Subject: "user:4", Tenant: "acme", Requester: "Dee", Due: tc.due, Actor: "intake", At: jan31})
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := s.Get(ctx, r.ID)
			if err != nil || !r.DueAt.Equal(tc.want) || !got.DueAt.Equal(tc.want) || !got.ReceivedAt.Equal(jan31) {
				t.Errorf("due %s: opened %v, stored %v (%v), want %v", tc.due, r.DueAt, got.DueAt, err, tc.want)
			}
		}
		// Extending the first: a month after February 29 is March 29.
		_, err := s.Extend(ctx, 1, lethe.Period{}, "no reason", "op_1", jan31)
		wantCode(t, "extend by 0", err, lethe.EINVALID, "an extension needs a period")
		_, err = s.Extend(ctx, 1, lethe.Period{N: 1, Unit: lethe.Months}, "", "op_1", jan31)
		wantCode(t, "extend without a reason", err, lethe.EINVALID, "a request needs a reason for the extension")
		at := time.Date(2024, 2, 20, 0, 0, 0, 0, time.UTC)
		r, err := s.Extend(ctx, 1, lethe.Period{N: 1, Unit: lethe.Months}, "the request is complex", "dpo", at)
		if err != nil || !r.DueAt.Equal(time.Date(2024, 3, 29, 10, 30, 0, 0, time.UTC)) || r.Status != Received {
			t.Errorf("extended: %+v, %v", r, err)
		}
		if r, err = s.Extend(ctx, 1, lethe.Period{N: 3, Unit: lethe.Days}, "again", "dpo", at); err != nil || !r.DueAt.Equal(time.Date(2024, 4, 1, 10, 30, 0, 0, time.UTC)) {
			t.Errorf("extended again: %+v, %v", r, err)
		}
		hist := history(t, s, 1)
		want := []string{
			"2024-02-20T00:00:00Z dpo extended received->received: due 2024-02-29 -> 2024-03-29 (+1 month): the request is complex",
			"2024-02-20T00:00:00Z dpo extended received->received: due 2024-03-29 -> 2024-04-01 (+3 days): again",
		}
		if len(hist) != 3 || !reflect.DeepEqual(hist[1:], want) {
			t.Errorf("history:\n%s\nwant the opening and:\n%s", strings.Join(hist, "\n"), strings.Join(want, "\n"))
		}
		// Rejected: no more extensions.
		if _, err := s.Reject(ctx, 2, "op_1", "duplicate of request 1", at); err != nil {
			t.Fatal(err)
		}
		_, err = s.Extend(ctx, 2, lethe.Period{N: 3, Unit: lethe.Days}, "x", "dpo", at)
		wantCode(t, "extend a rejected request", err, lethe.ECONFLICT, "request 2 is rejected: its due date can no longer be extended")
	})
}

// TestListOverdue: overdue requests first, then by due date; filters by
// tenant, status and overdue.
func TestListOverdue(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		s := f.s
		intake := func(tenant string, received string, due lethe.Period) int64 {
			t.Helper()
			at, _ := time.Parse(time.DateOnly, received)
			r, err := s.Open(ctx, OpenInput{Kind: Access, Subject: "user:4", Tenant: tenant, Requester: "r", Due: due, Actor: "intake", At: at})
			if err != nil {
				t.Fatal(err)
			}
			return r.ID
		}
		a := intake("acme", "2024-01-10", lethe.Period{})                         // due 02-09: overdue
		b := intake("acme", "2024-02-20", lethe.Period{})                         // due 03-21: overdue
		c := intake("globex", "2024-01-05", lethe.Period{})                       // due 02-04: overdue
		d := intake("acme", "2024-01-01", lethe.Period{})                         // due 01-31, rejected: not owed
		e := intake("acme", "2024-03-20", lethe.Period{})                         // due 04-19
		g := intake("acme", "2024-03-05", lethe.Period{N: 1, Unit: lethe.Months}) // due 04-05
		if _, err := s.Reject(ctx, d, "op_1", "unfounded", runAt); err != nil {
			t.Fatal(err)
		}
		// Exactly at the due instant is not overdue yet.
		at := time.Date(2024, 3, 21, 0, 0, 0, 0, time.UTC)
		acme := "acme"
		for _, tc := range []struct {
			name string
			f    ListFilter
			want []int64
		}{
			{"all", ListFilter{At: runAt}, []int64{c, a, b, d, g, e}},
			{"overdue", ListFilter{Overdue: true, At: runAt}, []int64{c, a, b}},
			{"acme overdue", ListFilter{Tenant: &acme, Overdue: true, At: runAt}, []int64{a, b}},
			{"rejected", ListFilter{Status: Rejected, At: runAt}, []int64{d}},
			{"at b's due instant", ListFilter{Overdue: true, At: at}, []int64{c, a}},
			{"no time", ListFilter{}, []int64{d, c, a, b, g, e}},
		} {
			list, err := s.List(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range list {
				got = append(got, r.ID)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
		if _, err := s.List(ctx, ListFilter{Status: "open"}); lethe.ErrorCode(err) != lethe.EINVALID {
			t.Errorf("bad status: %v", err)
		}
		// An extension takes a request off the overdue list.
		if _, err := s.Extend(ctx, b, lethe.Period{N: 30, Unit: lethe.Days}, "complex", "dpo", runAt); err != nil {
			t.Fatal(err)
		}
		list, err := s.List(ctx, ListFilter{Tenant: &acme, Overdue: true, At: runAt})
		if err != nil || len(list) != 1 || list[0].ID != a || !list[0].Overdue(runAt) {
			t.Errorf("after extending %d: %+v, %v", b, list, err)
		}
	})
}

// TestErasureHeld: a legal hold fails the erasure with the hold named; the
// request can be fulfilled again once the hold is lifted.
func TestErasureHeld(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		hold, err := f.e.AddHold(ctx, engine.Hold{Tenant: "acme", SubjectKind: "user", SubjectKey: "6", Reason: "case 7", CreatedBy: "legal", CreatedAt: runAt})
		if err != nil {
			t.Fatal(err)
		}
		r := f.openVerified(Erasure, "user:6", runAt)
		failed, err := f.s.Fulfil(ctx, r.ID, "op_1", runAt, nil)
		msg := fmt.Sprintf(`user:6 in tenant "acme" is under legal hold %d (case 7, since 2024-04-01): nothing was erased`, hold.ID)
		wantCode(t, "held", err, lethe.ECONFLICT, msg)
		if failed.Status != Failed || failed.ID != r.ID {
			t.Errorf("held request %+v", failed)
		}
		h2 := history(t, f.s, r.ID)
		if last := h2[len(h2)-1]; last != "2024-04-01T00:00:00Z op_1 failed in_progress->failed: "+msg {
			t.Errorf("last event %q", last)
		}
		if err := f.e.RemoveHold(ctx, hold.ID); err != nil {
			t.Fatal(err)
		}
		later := runAt.Add(time.Hour)
		done, err := f.s.Fulfil(ctx, r.ID, "op_1", later, nil)
		if err != nil || done.Status != Completed {
			t.Fatalf("after the hold: %+v, %v", done, err)
		}
		if got := datasets(erasureResult(t, done).Datasets); !reflect.DeepEqual(got, []string{"transactions delete 1", "support_tickets delete 1", "sessions delete 2", "user anonymize 1"}) {
			t.Errorf("result %v", got)
		}
		h2 = history(t, f.s, r.ID)
		if len(h2) != 6 || h2[4] != "2024-04-01T01:00:00Z op_1 started failed->in_progress: again, after a failure" {
			t.Errorf("history:\n%s", strings.Join(h2, "\n"))
		}
	})
}

func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]string{"60d": "60 days", "60D": "60 days", "8w": "8 weeks", "2m": "2 months", "1y": "1 year",
		"60 days": "60 days", "1 month": "1 month", " 30d ": "30 days"} {
		p, err := ParsePeriod(in)
		if err != nil || p.String() != want {
			t.Errorf("%q = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, in := range []string{"", "d", "0", "0d", "off", "60x", "sixty days", "-3d"} {
		if _, err := ParsePeriod(in); lethe.ErrorCode(err) != lethe.EINVALID {
			t.Errorf("%q: %v, want invalid", in, err)
		}
	}
}
