package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lethe"
)

func TestLoadSpecExample(t *testing.T) {
	p, err := LoadFile(filepath.Join("..", "examples", "saas.yaml"))
	if err != nil {
		t.Fatalf("the SPEC 1a example must load unchanged: %v", err)
	}
	if len(p.Subjects) != 3 || len(p.Datasets) != 10 {
		t.Fatalf("subjects %d, datasets %d; want 3 and 10", len(p.Subjects), len(p.Datasets))
	}
	user := p.Subject("user")
	if user.Table != "users" || user.Key != "id" || len(user.Fields) != 5 || user.Suppress[0] != "email" {
		t.Errorf("user = %+v", user)
	}
	deact := user.Lifecycle.Deactivate
	if deact.After != (lethe.Period{N: 6, Unit: lethe.Months}) || len(deact.Since.Columns) != 2 ||
		deact.Since.Columns[0].Name != "last_login_at" || deact.Stamp != "deactivated_at" ||
		len(deact.Set) != 1 || deact.Set[0] != (lethe.Assignment{Column: "active", Value: false}) {
		t.Errorf("deactivate = %+v", deact)
	}
	if del := user.Lifecycle.Delete; del.Bounds.Max == nil || *del.Bounds.Max != (lethe.Period{N: 10, Unit: lethe.Years}) || *del.Bounds.Min != (lethe.Period{}) {
		t.Errorf("delete bounds = %+v", del.Bounds)
	}
	part := p.Subject("participant")
	if part.Lifecycle.Schedule.String() != "monthly" || part.Fields[4].Column != "customer_id" || part.Fields[4].Mask.Kind != lethe.MaskHMAC {
		t.Errorf("participant = %+v", part)
	}
	meta := p.Dataset("answer_metadata")
	if meta.Owner == nil || *meta.Owner != (lethe.Owner{Name: "answers", Column: "answer_id"}) || meta.OnSubjectDelete != lethe.OnDeleteDelete {
		t.Errorf("answer_metadata = %+v", meta)
	}
	tx := p.Dataset("transactions")
	if tx.OnSubjectDelete != lethe.OnDeleteOrphan || tx.OnSubjectErase != lethe.OnEraseDelete {
		t.Errorf("transactions = %+v", tx)
	}
	ev := p.Dataset("identity_events").Retention
	if ev.Keep != (lethe.Period{N: 24, Unit: lethe.Months}) || *ev.Bounds.Min != (lethe.Period{N: 3, Unit: lethe.Months}) || ev.Schedule.String() != "daily" {
		t.Errorf("identity_events retention = %+v", ev)
	}
	if !p.Dataset("audit_logs").Retention.Archive {
		t.Error("audit_logs archive not read")
	}
	tickets := p.Dataset("support_tickets").Retention
	if tickets.AnonymizeAfter != (lethe.Period{N: 6, Unit: lethe.Months}) || tickets.Keep != (lethe.Period{N: 2, Unit: lethe.Years}) {
		t.Errorf("support_tickets retention = %+v", tickets)
	}
	if w := p.Dataset("webhook_secrets").Retention; !w.Keep.Off() || w.Since.Columns[0].Name != "rotated_at" {
		t.Errorf("webhook_secrets retention = %+v", w)
	}
	sd := p.Dataset("organisations").SoftDelete
	if sd.Column != "deleted_at" || sd.PurgeAfter != (lethe.Period{N: 30, Unit: lethe.Days}) || sd.Cascade[0] != (lethe.Owner{Name: "users", Column: "organisation_id"}) {
		t.Errorf("organisations soft delete = %+v", sd)
	}
	if p.Guard != (lethe.Guard{MaxShare: 0.10, MaxRows: 1000000}) || p.BackupsKeep != (lethe.Period{N: 30, Unit: lethe.Days}) || p.LedgerKeep != (lethe.Period{N: 7, Unit: lethe.Years}) {
		t.Errorf("guard %+v backups %v ledger %v", p.Guard, p.BackupsKeep, p.LedgerKeep)
	}
	if len(p.Posture) != 3 || p.Posture[2].Label != "gdpr-5-1-e" {
		t.Errorf("posture = %+v", p.Posture)
	}
	if pos := p.PosOf("datasets.identity_events.retention.keep"); pos != (lethe.Pos{Line: 66, Col: 13}) {
		t.Errorf("position of identity_events keep = %+v", pos)
	}
}

// base is a small valid policy the error cases below change one line of.
const base = `version: 1
tenant_column: workspace_id
subjects:
  user:
    table: users
    key: id
    fields: {email: email, name: pseudonym}
    lifecycle:
      deactivate: {after: 6 months, since: [last_login_at, created_at], stamp: deactivated_at}
      anonymize: {after: 3 months, since: deactivated_at}
      delete: {after: 2 years, since: deactivated_at}
datasets:
  events:
    table: events
    owner: {user: user_id}
    retention: {keep: 24 months, since: created_at, bounds: {min: 3 months, max: 84 months}}
`

func TestLoadBase(t *testing.T) {
	if _, err := Load("base.yaml", []byte(base)); err != nil {
		t.Fatal(err)
	}
}

// TestLoadErrors checks each kind of mistake with the exact line and
// column it is reported at.
func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name      string
		old, new  string // replace old by new in base
		want      string // FILE:LINE:COL: start of the message
		wantAlso  []string
		wantCount int
	}{
		{name: "unknown top-level key", old: "tenant_column:", new: "tenant_colum:",
			want: `p.yaml:2:1: unknown key "tenant_colum" in the policy (did you mean "tenant_column"?)`},
		{name: "unknown key in a stage", old: "anonymize: {after: 3 months,", new: "anonymize: {afer: 3 months,",
			want:     `p.yaml:10:19: unknown key "afer" in subjects.user.lifecycle.anonymize (did you mean "after"?)`,
			wantAlso: []string{`p.yaml:10:18: subjects.user.lifecycle.anonymize has no period`}},
		{name: "unknown mask", old: "name: pseudonym}", new: "name: scramble}",
			want: `p.yaml:7:34: unknown mask "scramble" for subjects.user.fields.name: write clear, pseudonym, email, hmac, redact, keep or {fixed: "text"}`},
		{name: "mask of wrong type", old: "name: pseudonym}", new: "name: [a, b]}",
			want: `p.yaml:7:34: subjects.user.fields.name: a mask is`},
		{name: "unparseable period", old: "after: 3 months", new: "after: 3 fortnights",
			want: `p.yaml:10:26: subjects.user.lifecycle.anonymize.after: cannot read "3 fortnights" as a period`},
		{name: "period of wrong type", old: "after: 3 months", new: "after: [3]",
			want: `p.yaml:10:26: subjects.user.lifecycle.anonymize.after must be a period`},
		{name: "table of wrong type", old: "table: users", new: "table: {name: users}",
			want: `p.yaml:5:12: subjects.user.table must be a name (text), not a mapping`},
		{name: "wrong version", old: "version: 1", new: "version: 2",
			want: `p.yaml:1:10: version must be 1`},
		{name: "default below the floor", old: "keep: 24 months", new: "keep: 2 months",
			want: `p.yaml:16:23: datasets.events.retention.keep: 2 months is below the floor of 3 months (allowed: 3 months to 84 months)`},
		{name: "default above the maximum", old: "keep: 24 months", new: "keep: 8 years",
			want: `p.yaml:16:23: datasets.events.retention.keep: 8 years is above the maximum of 84 months (allowed: 3 months to 84 months)`},
		{name: "reversed bounds", old: "min: 3 months, max: 84 months", new: "min: 9 years, max: 84 months",
			want: `p.yaml:16:67: bounds are reversed: min 9 years is above max 84 months`},
		{name: "anonymize after delete, same clock", old: "after: 3 months, since: deactivated_at", new: "after: 3 years, since: deactivated_at",
			want: `p.yaml:10:26: anonymize after 3 years comes at or after delete after 2 years on the same clock (deactivated_at)`},
		{name: "anonymize before deactivate, same clock", old: "after: 3 months, since: deactivated_at}", new: "after: 1 month, since: [last_login_at, created_at]}",
			want: `p.yaml:10:26: anonymize after 1 month comes before deactivate after 6 months on the same clock (last_login_at, created_at): it would anonymize accounts still in use`},
		{name: "delete before deactivate, same clock", old: "delete: {after: 2 years, since: deactivated_at}", new: "delete: {after: 5 months, since: [last_login_at, created_at]}",
			want: `p.yaml:11:23: delete after 5 months comes before deactivate after 6 months on the same clock`},
		{name: "owner names nothing", old: "owner: {user: user_id}", new: "owner: {usr: user_id}",
			want: `p.yaml:15:13: owner usr names neither a subject nor a dataset (did you mean "user"?): owners are user, events`},
		{name: "stage without clock", old: "anonymize: {after: 3 months, since: deactivated_at}", new: "anonymize: {after: 3 months}",
			want: `p.yaml:10:18: anonymize after 3 months has no clock`},
		{name: "suppress of a non-field", old: "    lifecycle:\n", new: "    suppress: [phone]\n    lifecycle:\n",
			want: `p.yaml:8:15: suppress names phone, which is not among the fields`},
		{name: "on_subject_delete without owner", old: "    owner: {user: user_id}\n", new: "    on_subject_delete: orphan\n",
			want: `p.yaml:15:24: on_subject_delete needs an owner`},
		{name: "bad on_subject_delete", old: "owner: {user: user_id}", new: "owner: {user: user_id}\n    on_subject_delete: purge",
			want: `p.yaml:16:24: datasets.events.on_subject_delete must be delete or orphan, not "purge"`},
		{name: "bad schedule", old: "bounds: {min", new: "schedule: every day, bounds: {min",
			want: `p.yaml:16:63: datasets.events.retention.schedule: cannot read "every day" as a schedule`},
		{name: "YAML syntax", old: "    table: events\n", new: "    table: [events\n",
			want: `p.yaml:14:1: YAML syntax:`},
		{name: "key set twice", old: "    key: id\n", new: "    key: id\n    key: uid\n",
			want: `p.yaml:7:5: key is set twice in subjects.user`},
		{name: "unknown unit", old: "since: created_at,", new: "since: {column: created_unix, unit: hours},",
			want: `p.yaml:16:70: datasets.events.retention.since.unit: unknown unit "hours"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(base, tt.old) {
				t.Fatalf("base has no %q", tt.old)
			}
			src := strings.Replace(base, tt.old, tt.new, 1)
			_, err := Load("p.yaml", []byte(src))
			var list lethe.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Load = %v, want an ErrorList", err)
			}
			got := list.Error()
			for _, want := range append([]string{tt.want}, tt.wantAlso...) {
				if !containsLinePrefix(got, want) {
					t.Errorf("errors:\n%s\nwant a line starting %q", got, want)
				}
			}
		})
	}
}

func containsLinePrefix(text, prefix string) bool {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}

func TestLoadOwnerCycle(t *testing.T) {
	src := `version: 1
datasets:
  a:
    table: a
    owner: {b: b_id}
  b:
    table: b
    owner: {c: c_id}
  c:
    table: c
    owner: {a: a_id}
`
	_, err := Load("cycle.yaml", []byte(src))
	want := "cycle.yaml:5:13: owners form a cycle: a -> b -> c -> a; a chain of owners must end at a subject"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

func TestLoadRetentionOrder(t *testing.T) {
	src := `version: 1
datasets:
  tickets:
    table: tickets
    fields: {body: redact}
    retention: {anonymize_after: 2 years, keep: 2 years, since: created_at}
`
	_, err := Load("r.yaml", []byte(src))
	want := "r.yaml:6:34: anonymize_after 2 years comes at or after keep 2 years: the rows are deleted before they would be masked; make it shorter than keep"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

func TestLoadEmptyAndMissing(t *testing.T) {
	if _, err := Load("e.yaml", nil); err == nil || !strings.HasPrefix(err.Error(), "e.yaml:1:1: the policy is empty") {
		t.Errorf("empty: %v", err)
	}
	if _, err := Load("v.yaml", []byte("tenant_column: t\n")); err == nil || !strings.HasPrefix(err.Error(), "v.yaml:1:1: the policy has no version") {
		t.Errorf("no version: %v", err)
	}
	_, err := LoadFile(filepath.Join(t.TempDir(), "nope.yaml"))
	if lethe.ErrorCode(err) != lethe.EINVALID || !strings.Contains(err.Error(), "nope.yaml: cannot read the policy") {
		t.Errorf("missing: %v", err)
	}
}

func TestLoadExamples(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	for _, f := range files {
		if _, err := LoadFile(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(base))
	if spec, err := os.ReadFile(filepath.Join("..", "examples", "saas.yaml")); err == nil {
		f.Add(spec)
	}
	f.Add([]byte("version: 1\nsubjects: {u: {table: u, fields: {a: {fixed: 1}, b: {redact: [email]}}}}"))
	f.Add([]byte("version: 1\ndatasets: {a: {table: a, owner: {a: x}}}"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load("fuzz.yaml", data)
		if err == nil && p == nil {
			t.Fatal("nil policy without an error")
		}
		var list lethe.ErrorList
		if err != nil && errors.As(err, &list) {
			for _, e := range list {
				if !e.Pos.IsValid() {
					t.Errorf("error without a position: %v", e)
				}
			}
		}
	})
}
