package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// demoQuery runs one query on the demo's database and returns its first
// row's columns as text.
func demoQuery(t *testing.T, flags []string, query string, args ...any) []string {
	t.Helper()
	db, err := sql.Open("sqlite", strings.TrimPrefix(flags[3], "sqlite://"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		t.Fatalf("%s: no row", query)
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = v.String
	}
	return out
}

type requestJSON struct {
	ID        int64  `json:"id"`
	Kind      string `json:"kind"`
	Status    string `json:"status"`
	Requester string `json:"requester"`
	DueAt     string `json:"due_at"`
	Result    struct {
		Datasets []struct {
			Dataset, Action string
			Rows            int64
		}
		Rows            int64
		BackupsExpireBy string `json:"backups_expire_by"`
	} `json:"result"`
}

// TestRequestErasureCommands walks an erasure request through the CLI on
// the demo database: refusals exit 1 (or 2 for bad input), the fulfilment
// answers with the engine's exact counts, and the erased person's email is
// then suppressed.
func TestRequestErasureCommands(t *testing.T) {
	flags := demoDir(t)
	do := func(args ...string) (int, string, string) {
		t.Helper()
		return cli(t, append(args, flags...)...)
	}
	// A live acme user with transactions and sessions.
	u := demoQuery(t, flags, `SELECT id, email FROM users u WHERE workspace_id = 'acme' AND anonymized_at IS NULL AND email NOT LIKE 'anon-%'
		AND EXISTS (SELECT 1 FROM transactions t WHERE t.performed_by = u.id) AND EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id) ORDER BY id LIMIT 1`)
	id, email := u[0], u[1]
	count := func(table, column string) int64 {
		var n int64
		fmt.Sscan(demoQuery(t, flags, "SELECT COUNT(*) FROM "+table+" WHERE "+column+" = ? AND (workspace_id = 'acme' OR workspace_id IS NULL)", id)[0], &n)
		return n
	}
	nTx, nTickets, nSessions := count("transactions", "performed_by"), count("support_tickets", "requester_id"), count("sessions", "user_id")
	const requester = "Requester Person <req.person@example.net>"

	at := "--at=2026-06-02T09:00:00Z"
	code, out, errOut := do("request", "open", "--kind", "erasure", "--subject", "user:"+id, "--tenant", "acme", "--requester", requester, "--due", "30d", at)
	if code != 0 || out != "request 1 opened: erasure of user:"+id+" in tenant acme, due 2026-07-02\n" {
		t.Fatalf("open: exit %d, %q %s", code, out, errOut)
	}
	code, _, errOut = do("request", "fulfil", "1", "--by", "op_1", at)
	if code != exitFailed || errOut != "lethe: request 1 is not verified: verify the requester's identity first (lethe request verify 1)\n" {
		t.Errorf("fulfil before verify: exit %d, %q", code, errOut)
	}
	for _, bad := range [][]string{
		{"request", "verify", "1", "--by", "op_1", "--method", "sms"},
		{"request", "verify", "one", "--by", "op_1", "--method", "operator"},
		{"request", "extend", "1", "--by", "sixty days", "--reason", "x"},
		{"request", "open", "--kind", "erasure", "--subject", "user:" + id, "--requester", "x"},
		{"request", "open", "--kind", "forget", "--subject", "user:" + id, "--tenant", "acme", "--requester", "x"},
		{"request", "open", "--kind", "access", "--subject", "user:" + id, "--tenant", "acme", "--requester", "x", "--due", "0"},
	} {
		if code, _, errOut := do(append(bad, at)...); code != exitInput {
			t.Errorf("%v: exit %d, want 2 (%s)", bad, code, errOut)
		}
	}
	if code, out, _ := do("request", "verify", "1", "--by", "op_1", "--method", "operator", "--at=2026-06-02T10:00:00Z"); code != 0 || out != "request 1 verified (operator, by op_1)\n" {
		t.Errorf("verify: exit %d, %q", code, out)
	}
	if code, _, errOut := do("request", "verify", "1", "--by", "op_2", "--method", "token", at); code != exitFailed || !strings.Contains(errOut, "request 1 is already verified (operator, by op_1 on 2026-06-02)") {
		t.Errorf("verify twice: exit %d, %q", code, errOut)
	}
	if code, out, _ := do("request", "extend", "1", "--by", "60d", "--reason", "awaiting documents", "--actor", "dpo", at); code != 0 || out != "request 1 is now due 2026-08-31\n" {
		t.Errorf("extend: exit %d, %q", code, out)
	}

	code, out, errOut = do("request", "fulfil", "1", "--by", "op_1", "--json", "--at=2026-06-03T00:00:00Z")
	var r requestJSON
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil {
		t.Fatalf("fulfil: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	var got []string
	for _, d := range r.Result.Datasets {
		got = append(got, fmt.Sprintf("%s %s %d", d.Dataset, d.Action, d.Rows))
	}
	want := []string{fmt.Sprintf("transactions delete %d", nTx), fmt.Sprintf("support_tickets delete %d", nTickets), fmt.Sprintf("sessions delete %d", nSessions), "user anonymize 1"}
	if r.Status != "completed" || !reflect.DeepEqual(got, want) || r.Result.Rows != nTx+nTickets+nSessions+1 || r.Result.BackupsExpireBy != "2026-07-03T00:00:00Z" {
		t.Errorf("fulfilled %+v, want datasets %v", r, want)
	}
	if n := demoQuery(t, flags, "SELECT COUNT(*) FROM transactions WHERE performed_by = ?", id)[0]; n != "0" {
		t.Errorf("%s transactions of user %s left", n, id)
	}
	if code, _, errOut := do("request", "extend", "1", "--by", "1 month", "--reason", "late", at); code != exitFailed || !strings.Contains(errOut, "request 1 is completed: its due date can no longer be extended") {
		t.Errorf("extend after completion: exit %d, %q", code, errOut)
	}

	// The erased person's email is suppressed in acme, and only there; the
	// value can come on standard input.
	for _, tc := range []struct {
		args  []string
		stdin string
		code  int
		out   string
	}{
		{[]string{"suppressed", "--tenant", "acme", email}, "", 0, "suppressed\n"},
		{[]string{"suppressed", "--tenant", "acme", "-"}, email + "\n", 0, "suppressed\n"},
		{[]string{"suppressed", "--tenant", "acme", "someone.else@example.com"}, "", exitFailed, "not suppressed\n"},
		{[]string{"suppressed", "--tenant", "globex", email}, "", exitFailed, "not suppressed\n"},
		{[]string{"suppressed", "--tenant", "acme", "--json", email}, "", 0, "{\"suppressed\":true}\n"},
		{[]string{"suppressed", email}, "", exitInput, ""},
	} {
		code, out, errOut := cliIn(t, tc.stdin, append(tc.args, flags...)...)
		if code != tc.code || out != tc.out || strings.Contains(errOut, email) {
			t.Errorf("%v: exit %d, %q, %q; want exit %d, %q", tc.args, code, out, errOut, tc.code, tc.out)
		}
	}

	if code, out, _ := do("request", "close", "1", "--by", "op_2", "--at=2026-06-04T00:00:00Z"); code != 0 || out != "request 1 closed\n" {
		t.Errorf("close: exit %d, %q", code, out)
	}
	code, out, _ = do("request", "show", "1", "--json")
	var shown struct {
		Request requestJSON
		Events  []struct{ At, Actor, Event, From, To, Note string }
	}
	if err := json.Unmarshal([]byte(out), &shown); code != 0 || err != nil {
		t.Fatalf("show: exit %d, %v, %s", code, err, out)
	}
	var events []string
	for _, ev := range shown.Events {
		events = append(events, fmt.Sprintf("%s %s %s %s->%s", ev.At, ev.Actor, ev.Event, ev.From, ev.To))
	}
	wantEvents := []string{
		"2026-06-02T09:00:00Z cli opened ->received",
		"2026-06-02T10:00:00Z op_1 verified received->verified",
		"2026-06-02T09:00:00Z dpo extended verified->verified",
		"2026-06-03T00:00:00Z op_1 started verified->in_progress",
		"2026-06-03T00:00:00Z op_1 completed in_progress->completed",
		"2026-06-04T00:00:00Z op_2 closed completed->closed",
	}
	if shown.Request.Status != "closed" || shown.Request.Requester != requester || !reflect.DeepEqual(events, wantEvents) {
		t.Errorf("show: %s %q\n%s\nwant\n%s", shown.Request.Status, shown.Request.Requester, strings.Join(events, "\n"), strings.Join(wantEvents, "\n"))
	}
	if note := shown.Events[2].Note; note != "due 2026-07-02 -> 2026-08-31 (+60 days): awaiting documents" {
		t.Errorf("extension note %q", note)
	}
	code, out, _ = do("request", "show", "1")
	for _, line := range []string{"status:     closed", "requester:  " + requester, "due:        2026-08-31\n", "2026-06-03T00:00:00Z  op_1   completed  in_progress -> completed  transactions delete"} {
		if code != 0 || !strings.Contains(out, line) {
			t.Errorf("show lacks %q:\n%s", line, out)
		}
	}
	if code, _, errOut := do("request", "show", "7"); code != exitFailed || errOut != "lethe: no request 7\n" {
		t.Errorf("show 7: exit %d, %q", code, errOut)
	}
	// The requester is kept with the request, nowhere else.
	if n := demoQuery(t, flags, "SELECT COUNT(*) FROM lethe_ledger WHERE note LIKE ? OR actor LIKE ? OR detail LIKE ?", "%req.person%", "%req.person%", "%req.person%")[0]; n != "0" {
		t.Errorf("the requester is in the ledger")
	}
	if n := demoQuery(t, flags, "SELECT COUNT(*) FROM lethe_request_events WHERE note LIKE ?", "%req.person%")[0]; n != "0" {
		t.Errorf("the requester is in the history")
	}
}

// TestRequestAccessListAndResume: an access request writes its export to
// --out; list puts the overdue first; resume finishes an erasure a crash
// left in progress.
func TestRequestAccessListAndResume(t *testing.T) {
	flags := demoDir(t)
	do := func(args ...string) (int, string, string) {
		t.Helper()
		return cli(t, append(args, flags...)...)
	}
	ids := demoQuery(t, flags, `SELECT MIN(id), MAX(id) FROM users WHERE workspace_id = 'acme' AND anonymized_at IS NULL AND email NOT LIKE 'anon-%'`)
	first, last := ids[0], ids[1]

	// 1: access, received 2026-04-01, due a month later: overdue on June 2.
	// 2: erasure, received 2026-05-20, due 2026-06-19.
	// 3: access in globex, received 2026-03-01, rejected: not owed.
	for _, args := range [][]string{
		{"request", "open", "--kind", "access", "--subject", "user:" + first, "--tenant", "acme", "--requester", "A", "--due", "1 month", "--at=2026-04-01T00:00:00Z"},
		{"request", "open", "--kind", "erasure", "--subject", "user:" + last, "--tenant", "acme", "--requester", "B", "--at=2026-05-20T00:00:00Z"},
		{"request", "open", "--kind", "access", "--subject", "user:1", "--tenant", "globex", "--requester", "C", "--at=2026-03-01T00:00:00Z"},
		{"request", "reject", "3", "--by", "op_1", "--reason", "not a customer", "--at=2026-03-02T00:00:00Z"},
	} {
		if code, out, errOut := do(args...); code != 0 {
			t.Fatalf("%v: exit %d, %s%s", args, code, out, errOut)
		}
	}
	now := "--at=2026-06-02T00:00:00Z"
	code, out, _ := do("request", "list", now)
	wantList := []string{
		"ID KIND SUBJECT TENANT STATUS RECEIVED DUE",
		"1 access user:" + first + " acme received 2026-04-01 2026-05-01 OVERDUE",
		"3 access user:1 globex rejected 2026-03-01 2026-03-31",
		"2 erasure user:" + last + " acme received 2026-05-20 2026-06-19",
	}
	var gotList []string
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		gotList = append(gotList, strings.Join(strings.Fields(line), " "))
	}
	if code != 0 || !reflect.DeepEqual(gotList, wantList) {
		t.Errorf("list: exit %d\n%s\nwant\n%s", code, out, strings.Join(wantList, "\n"))
	}
	code, out, _ = do("request", "list", "--overdue", "--json", now)
	var list []requestJSON
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 1 || list[0].ID != 1 {
		t.Errorf("list --overdue: exit %d, %v, %s", code, err, out)
	}
	if code, out, _ := do("request", "list", "--tenant", "globex", "--overdue", "--json", now); code != 0 || out != "[]\n" {
		t.Errorf("list globex overdue: exit %d, %s", code, out)
	}

	// The access request, to a file only its owner reads.
	dest := filepath.Join(t.TempDir(), "export.json")
	if code, _, errOut := do("request", "fulfil", "2", "--by", "op_1", "--out", dest, now); code != exitInput || !strings.Contains(errOut, "--out is for access requests") {
		t.Errorf("--out on an erasure: exit %d, %s", code, errOut)
	}
	do("request", "verify", "1", "--by", "portal", "--method", "token", now)
	code, out, errOut := do("request", "fulfil", "1", "--by", "op_1", "--out", dest, now)
	if code != 0 || !strings.HasPrefix(out, "request 1 completed: exported user:"+first+" in tenant acme, written to "+dest+"\nDATASET") {
		t.Fatalf("fulfil access: exit %d\n%s%s", code, out, errOut)
	}
	st, err := os.Stat(dest)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("export file: %v %v", st, err)
	}
	b, _ := os.ReadFile(dest)
	var doc struct {
		Subject  string                      `json:"subject"`
		Datasets map[string][]map[string]any `json:"datasets"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Subject != "user:"+first || len(doc.Datasets["user"]) != 1 {
		t.Errorf("export: %v %.500s", err, b)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".export.json.*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// A process that accepted the erasure died before erasing: resume
	// finishes it.
	do("request", "verify", "2", "--by", "op_1", "--method", "operator", now)
	db, err := sql.Open("sqlite", strings.TrimPrefix(flags[3], "sqlite://"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("UPDATE lethe_requests SET status = 'in_progress' WHERE id = 2"); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := do("request", "fulfil", "2", "--by", "op_1", now); code != exitFailed || !strings.Contains(errOut, "request 2 is in progress already: an interrupted erasure is finished by lethe request resume") {
		t.Errorf("fulfil in progress: exit %d, %s", code, errOut)
	}
	if code, out, errOut := do("request", "resume", "--by", "ops", now); code != 0 || out != "request 2 completed (user:"+last+" in tenant acme)\n" {
		t.Errorf("resume: exit %d, %q %s", code, out, errOut)
	}
	if code, out, _ := do("request", "resume", now); code != 0 || out != "no interrupted erasure to resume\n" {
		t.Errorf("resume again: exit %d, %q", code, out)
	}
	if n := demoQuery(t, flags, "SELECT COUNT(*) FROM lethe_ledger WHERE reason = 'dsr_erasure' AND note = 'request #2' AND actor = 'ops'")[0]; n == "0" {
		t.Errorf("the resumed erasure left no ledger entry")
	}
}
