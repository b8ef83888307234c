package engine

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"lethe"
	"lethe/dialect/dialecttest"
	"lethe/mask"
	"lethe/policy"
)

func erasures(res *EraseResult) []string {
	var out []string
	for _, d := range res.Datasets {
		out = append(out, d.Dataset+" "+d.Action+" "+itoa(d.Rows))
	}
	return out
}

func TestEraseUser(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		f.populate()
		req := EraseRequest{Kind: "user", ID: "4", Tenant: "acme", Actor: "admin_7", Reason: "ticket 1234", At: runAt}

		dry := req
		dry.DryRun = true
		res, err := f.e.Erase(ctx, dry)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"transactions delete 1", "support_tickets delete 1", "sessions delete 0", "user anonymize 1"}
		if got := erasures(res); !reflect.DeepEqual(got, want) {
			t.Errorf("dry run = %v, want %v", got, want)
		}
		if got := f.rows("SELECT COUNT(*) FROM transactions"); got[0] != "4" {
			t.Errorf("a dry run changed transactions: %v", got)
		}

		res, err = f.e.Erase(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if got := erasures(res); !reflect.DeepEqual(got, want) {
			t.Errorf("erasure = %v, want %v", got, want)
		}
		if res.BackupsExpireBy == nil || res.BackupsExpireBy.Format("2006-01-02") != "2024-05-01" {
			t.Errorf("backups_expire_by = %v, want 2024-05-01 (30 days)", res.BackupsExpireBy)
		}
		tok := mask.New(secret).Token("user:4")
		wantUser := []string{"4|Anonymized " + tok + "|anon-" + tok + "@anonymized.invalid|NULL|2024-04-01 00:00:00"}
		if got := f.rows("SELECT id, first_name, email, note, anonymized_at FROM users WHERE id = 4"); !reflect.DeepEqual(got, wantUser) {
			t.Errorf("user 4 = %v, want %v", got, wantUser)
		}
		if got := f.rows("SELECT id FROM transactions ORDER BY id"); !reflect.DeepEqual(got, []string{"2", "3", "4"}) {
			t.Errorf("transactions left = %v", got)
		}
		if got := f.rows("SELECT id FROM support_tickets ORDER BY id"); !reflect.DeepEqual(got, []string{"2", "3"}) {
			t.Errorf("support_tickets left = %v", got)
		}
		// Nothing bound to the subject is left in the tenant.
		if got := f.rows("SELECT COUNT(*) FROM transactions WHERE performed_by = 4"); got[0] != "0" {
			t.Errorf("transactions of user 4 left: %v", got)
		}
		// One ledger entry per dataset, with the exact count, the subject,
		// the actor and the reason given.
		var entries []string
		for _, en := range res.Entries {
			entries = append(entries, strings.Join([]string{en.Tenant, en.Dataset, en.Reason, en.SubjectKey, en.Actor, en.Note, itoa(en.Rows)}, "|"))
		}
		wantEntries := []string{
			"acme|transactions|dsr_erasure|user:4|admin_7|ticket 1234|1",
			"acme|support_tickets|dsr_erasure|user:4|admin_7|ticket 1234|1",
			"acme|sessions|dsr_erasure|user:4|admin_7|ticket 1234|0",
			"acme|user|dsr_erasure|user:4|admin_7|ticket 1234|1",
		}
		if !reflect.DeepEqual(entries, wantEntries) {
			t.Errorf("ledger:\n%s\nwant:\n%s", strings.Join(entries, "\n"), strings.Join(wantEntries, "\n"))
		}
		m := mask.New(secret)
		if ok, err := f.e.Suppressed(ctx, "acme", "dee@example.com"); err != nil || !ok {
			t.Errorf("the erased user's email is not suppressed: %v %v", ok, err)
		}
		if ok, _ := f.e.Suppressed(ctx, "globex", "dee@example.com"); ok {
			t.Error("suppression leaked to another tenant")
		}
		if got := f.rows("SELECT COUNT(*) FROM lethe_suppression WHERE digest = ?", m.Digest("dee@example.com")); got[0] != "1" {
			t.Errorf("digest rows = %v", got)
		}

		// Again: nothing left to do, nothing claimed.
		res, err = f.e.Erase(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := erasures(res), []string{"transactions delete 0", "support_tickets delete 0", "sessions delete 0", "user anonymize 0"}; !reflect.DeepEqual(got, want) {
			t.Errorf("second erasure = %v, want %v", got, want)
		}
		if rep, err := f.e.Ledger().Verify(ctx); err != nil || !rep.OK {
			t.Errorf("verify = %+v %v", rep, err)
		}
	})
}

// TestEraseStaysInTenant: an erasure in one tenant never touches another
// tenant's rows, even rows that point at the same subject id.
func TestEraseStaysInTenant(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		f.populate()
		f.exec(`INSERT INTO transactions (id, workspace_id, performed_by, performed_by_name, amount_cents, asset, created_at) VALUES (5, 'globex', 4, 'Dee Dormant', 500, 'EUR', '2024-01-01 00:00:00')`)
		res, err := f.e.Erase(ctx, EraseRequest{Kind: "user", ID: "4", Tenant: "acme", Actor: "admin_7", At: runAt})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := erasures(res), []string{"transactions delete 1", "support_tickets delete 1", "sessions delete 0", "user anonymize 1"}; !reflect.DeepEqual(got, want) {
			t.Errorf("erasure = %v, want %v", got, want)
		}
		if got := f.rows("SELECT id, workspace_id, performed_by, performed_by_name FROM transactions WHERE performed_by = 4"); !reflect.DeepEqual(got, []string{"5|globex|4|Dee Dormant"}) {
			t.Errorf("globex's transaction = %v, want it untouched", got)
		}
		// A subject without an anonymize stage is deleted, its owned rows first.
		res, err = f.e.Erase(ctx, EraseRequest{Kind: "contact", ID: "c_1", Tenant: "acme", Actor: "admin_7", At: runAt})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := erasures(res), []string{"identity_events delete 2", "contact delete 1"}; !reflect.DeepEqual(got, want) {
			t.Errorf("erasure = %v, want %v", got, want)
		}
		if got := f.rows("SELECT COUNT(*) FROM identity_events"); got[0] != "0" {
			t.Errorf("identity_events left = %v", got)
		}
	})
}

func TestEraseChainsAndOrphans(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		f.populate()
		// Participants are anonymized (their lifecycle has the stage);
		// answers are deleted with their metadata, children first.
		res, err := f.e.Erase(ctx, EraseRequest{Kind: "participant", ID: "1", Tenant: "acme", Actor: "a", At: runAt})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := erasures(res), []string{"answer_metadata delete 1", "answers delete 1", "participant anonymize 1"}; !reflect.DeepEqual(got, want) {
			t.Errorf("erasure = %v, want %v", got, want)
		}
		if got := f.rows("SELECT id FROM answer_metadata ORDER BY id"); !reflect.DeepEqual(got, []string{"2", "3"}) {
			t.Errorf("answer_metadata left = %v", got)
		}

		// With on_subject_erase: orphan, a user's transactions keep their
		// non-personal facts and lose the link.
		p, err := policy.LoadFile(filepath.Join("..", "examples", "saas.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		p.Dataset("transactions").OnSubjectErase = lethe.OnEraseOrphan
		e, err := New(ctx, p, f.d, Config{Secret: secret})
		if err != nil {
			t.Fatal(err)
		}
		res, err = e.Erase(ctx, EraseRequest{Kind: "user", ID: "6", Tenant: "acme", Actor: "a", At: runAt})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := erasures(res), []string{"transactions orphan 1", "support_tickets delete 2", "sessions delete 2", "user anonymize 1"}; !reflect.DeepEqual(got, want) {
			t.Errorf("erasure = %v, want %v", got, want)
		}
		if got := f.rows("SELECT id, performed_by, performed_by_name, amount_cents, asset FROM transactions WHERE id = 4"); !reflect.DeepEqual(got, []string{"4|NULL|Fay Fresh|4000|USD"}) {
			t.Errorf("orphaned transaction = %v", got)
		}
	})
}

func TestEraseRefusals(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		f.populate()
		before := f.dump()
		for _, id := range []string{"1'; DROP TABLE users; --", "ü", `"x"`, "4 OR 1=1", "99", "04", "+4", " 4", "c_1\x00", "\xff"} {
			_, err := f.e.Erase(ctx, EraseRequest{Kind: "contact", ID: id, Tenant: "acme", Actor: "a", At: runAt})
			if lethe.ErrorCode(err) != lethe.ENOTFOUND {
				t.Errorf("contact %q: %v, want not found", id, err)
			}
			_, err = f.e.Erase(ctx, EraseRequest{Kind: "user", ID: id, Tenant: "acme", Actor: "a", At: runAt})
			if lethe.ErrorCode(err) != lethe.ENOTFOUND {
				t.Errorf("user %q: %v, want not found", id, err)
			}
		}
		// User 8 lives in globex: from acme it does not exist.
		if _, err := f.e.Erase(ctx, EraseRequest{Kind: "user", ID: "8", Tenant: "acme", Actor: "a", At: runAt}); lethe.ErrorCode(err) != lethe.ENOTFOUND {
			t.Errorf("user 8 from acme: %v", err)
		}
		if _, err := f.e.Erase(ctx, EraseRequest{Kind: "ghost", ID: "1", Tenant: "acme", Actor: "a", At: runAt}); lethe.ErrorCode(err) != lethe.EINVALID {
			t.Errorf("unknown kind: %v", err)
		}
		f.hold("acme", "user", "6")
		_, err := f.e.Erase(ctx, EraseRequest{Kind: "user", ID: "6", Tenant: "acme", Actor: "a", At: runAt})
		if lethe.ErrorCode(err) != lethe.ECONFLICT || !strings.Contains(err.Error(), "user:6 in tenant \"acme\" is under legal hold 1 (case 7, since 2024-04-01): nothing was erased") {
			t.Errorf("held: %v", err)
		}
		if got := f.dump(); !reflect.DeepEqual(got, before) {
			t.Error("a refused erasure changed rows")
		}
	})
}
