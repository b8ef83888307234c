package policy

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"lethe"
	"lethe/dialect/dialecttest"
)

// TestBindSpecExample binds the SPEC 1a policy to its schema in every
// dialect: it must check clean, and keys left out come from primary keys.
func TestBindSpecExample(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		d := h.Open(t)
		dialecttest.CreateSaaSSchema(t, h, d)
		s, err := d.Introspect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		p, err := LoadFile(filepath.Join("..", "examples", "saas.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		errs, warnings := Bind(p, s)
		if len(errs) > 0 || len(warnings) > 0 {
			t.Fatalf("errors:\n%v\nwarnings:\n%v", errs, warnings)
		}
		if key := p.Dataset("answers").Key; key != "id" {
			t.Errorf("answers key from the primary key = %q, want id", key)
		}
	})
}

const broken = `version: 1
tenant_column: workspace_id
subjects:
  user:
    table: Users
    key: id
    fields: {email: email, nickname: pseudonym, created_at: pseudonym, active: pseudonym}
    lifecycle:
      deactivate: {after: 6 months, since: [last_seen_at, created_at], stamp: deactivated_at, set: {enabled: false}}
datasets:
  events:
    table: evnts
    retention: {keep: 1 year, since: created_at}
  logs:
    table: audit_logs
    retention: {keep: 1 year, since: action}
  orders:
    table: transactions
    owner: {user: user_id}
  pings:
    table: pings
    retention: {keep: 30 days, since: at_unix}
  nokey:
    table: nokey
    retention: {keep: 30 days, since: {column: at_unix, unit: seconds}}
  notes:
    table: notes
    fields: {body: clear}
`

// TestBindErrors checks each kind of mismatch with the live schema, with
// its exact position, in every dialect.
func TestBindErrors(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		d := h.Open(t)
		dialecttest.CreateSaaSSchema(t, h, d)
		for _, ddl := range []string{
			"CREATE TABLE pings (id BIGINT NOT NULL PRIMARY KEY, at_unix BIGINT)",
			"CREATE TABLE nokey (at_unix BIGINT, note VARCHAR(10))",
			"CREATE TABLE notes (id BIGINT NOT NULL PRIMARY KEY, body TEXT NOT NULL)",
		} {
			if _, err := d.DB().Exec(ddl); err != nil {
				t.Fatal(err)
			}
		}
		s, err := d.Introspect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		p, err := Load("b.yaml", []byte(broken))
		if err != nil {
			t.Fatal(err)
		}
		errs, _ := Bind(p, s)
		// Users resolves to users everywhere: SQLite folds case, PostgreSQL
		// folds unquoted names; MariaDB on Linux compares table names
		// exactly, and says so.
		var want []string
		if h.Name == "mysql" {
			want = append(want, `b.yaml:5:12: table Users does not exist in the database: the database has "users", which differs in case; write it exactly`)
		} else {
			want = append(want,
				`b.yaml:7:28: column nickname does not exist in table users`,
				`b.yaml:7:61: mask pseudonym writes text, but column created_at is `,
				`b.yaml:7:80: mask pseudonym writes text, but column active is `,
				`b.yaml:9:44: column last_seen_at does not exist in table users`,
				`b.yaml:9:101: column enabled does not exist in table users`,
			)
		}
		want = append(want,
			`b.yaml:12:12: table evnts does not exist in the database`,
			`b.yaml:19:13: column user_id does not exist in table transactions`,
			`b.yaml:22:39: clock at_unix holds integers: write {column: at_unix, unit: seconds} (or milliseconds) so Lethe reads it as Unix time`,
			`b.yaml:23:3: table nokey has no primary key, and Lethe erases and purges rows by key: add "key: <unique column>"`,
			`b.yaml:28:20: mask clear writes NULL, but column body is NOT NULL`,
		)
		if h.Name != "sqlite" {
			// SQLite applications keep clocks as text; elsewhere a clock
			// needs a time type.
			want = append(want, `b.yaml:16:38: clock action is `)
		}
		got := strings.Split(errs.Error(), "\n")
		if len(got) != len(want) {
			t.Errorf("got %d errors, want %d:\n%s", len(got), len(want), errs.Error())
		}
		for _, w := range want {
			if !containsLinePrefix(errs.Error(), w) {
				t.Errorf("errors:\n%s\nwant a line starting %q", errs.Error(), w)
			}
		}
	})
}

func TestBindWarnsAboutTenantless(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		d := h.Open(t)
		if _, err := d.DB().Exec("CREATE TABLE metrics (id BIGINT NOT NULL PRIMARY KEY, created_at " + h.Timestamp + ")"); err != nil {
			t.Fatal(err)
		}
		s, err := d.Introspect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		p, err := Load("w.yaml", []byte("version: 1\ntenant_column: workspace_id\ndatasets:\n  metrics:\n    table: metrics\n    retention: {keep: 30 days, since: created_at}\n"))
		if err != nil {
			t.Fatal(err)
		}
		errs, warnings := Bind(p, s)
		want := "w.yaml:5:12: warning: table metrics has no tenant column workspace_id and no owner"
		if len(errs) != 0 || len(warnings) != 1 || !strings.HasPrefix(warnings[0].Error(), want) {
			t.Errorf("errors %v, warnings %v; want one warning %q", errs, warnings, want)
		}
		if lethe.ErrorCode(warnings) != lethe.EINVALID {
			t.Error("warning has no code")
		}
	})
}
