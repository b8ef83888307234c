package engine

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"lethe"
	"lethe/dialect/dialecttest"
	"lethe/ledger"
	"lethe/mask"
)

// entryKey is a ledger entry reduced to what the tests compare.
func entryKey(e ledger.Entry) string {
	return strings.Join([]string{e.Tenant, e.Dataset, e.Reason}, "/")
}

func summarize(entries []ledger.Entry) map[string][2]int64 {
	out := map[string][2]int64{}
	for _, e := range entries {
		v := out[entryKey(e)]
		out[entryKey(e)] = [2]int64{v[0] + e.Rows, v[1] + e.Held}
	}
	return out
}

// TestSweepSpecPolicy runs the SPEC 1a policy over the fixture at
// 2024-04-01 and checks every row left, every value written and every
// ledger entry.
func TestSweepSpecPolicy(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		f.populate()
		f.hold("acme", "user", "9")
		res := f.sweep(SweepOptions{Confirm: true, Actor: "test"})

		m := mask.New(secret)
		tok4, tok6, tokP1 := m.Token("user:4"), m.Token("user:6"), m.Token("participant:1")

		// Users: 1 and 3 (never signed in) deactivated; 2 at the cutoff
		// instant stays; 4 anonymized; 5 deleted; 7 deleted with its
		// soft-deleted organisation; 8 deactivated in globex; 9 held.
		wantUsers := []string{
			"1|Ada|Lovelace|ada@example.com|note about Ada|0|2024-04-01 00:00:00|NULL",
			"2|Bob|Byte|bob@example.com|note about Bob|1|NULL|NULL",
			"3|Cy|Never|cy@example.com|note about Cy|0|2024-04-01 00:00:00|NULL",
			"4|Anonymized " + tok4 + "|Anonymized " + tok4 + "|anon-" + tok4 + "@anonymized.invalid|NULL|0|2023-12-31 23:00:00|2024-04-01 00:00:00",
			"6|Fay|Fresh|fay@example.com|note about Fay|1|NULL|NULL",
			"8|Hal|Globex|hal@example.com|note about Hal|0|2024-04-01 00:00:00|NULL",
			"9|Ivy|Hold|ivy@example.com|note about Ivy|0|2023-06-01 00:00:00|NULL",
		}
		got := f.rows("SELECT id, first_name, last_name, email, note, active, deactivated_at, anonymized_at FROM users ORDER BY id")
		if !reflect.DeepEqual(got, wantUsers) {
			t.Errorf("users:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantUsers, "\n"))
		}
		// One person, one token everywhere; orphaned rows keep their facts.
		wantTx := []string{"1|4|Anonymized " + tok4 + "|1000", "2|NULL|Anonymized 000000000000|2000", "3|NULL|Gus Org|3000", "4|6|Fay Fresh|4000"}
		if got := f.rows("SELECT id, performed_by, performed_by_name, amount_cents FROM transactions ORDER BY id"); !reflect.DeepEqual(got, wantTx) {
			t.Errorf("transactions = %v\nwant %v", got, wantTx)
		}
		if got, want := f.rows("SELECT id FROM sessions ORDER BY id"), []string{"s3"}; !reflect.DeepEqual(got, want) {
			t.Errorf("sessions = %v, want %v", got, want)
		}
		wantTickets := []string{
			"1|[name] here, call me at [phone]|anon-" + tok4 + "@anonymized.invalid",
			"2|mail [email] please|anon-" + tok6 + "@anonymized.invalid",
		}
		if got := f.rows("SELECT id, body, requester_email FROM support_tickets ORDER BY id"); !reflect.DeepEqual(got, wantTickets) {
			t.Errorf("support_tickets = %v\nwant %v", got, wantTickets)
		}
		wantParticipants := []string{
			"1|Anonymized " + tokP1 + "|anon-" + tokP1 + "@anonymized.invalid|NULL|" + hmacOf(m, "CUST-1"),
			"3|Rex|rex@example.org|NULL|CUST-3",
		}
		if got := f.rows("SELECT id, first_name, email, phone, customer_id FROM participants ORDER BY id"); !reflect.DeepEqual(got, wantParticipants) {
			t.Errorf("participants = %v\nwant %v", got, wantParticipants)
		}
		if got, want := f.rows("SELECT id, comment FROM answers ORDER BY id"), []string{"1|reach me at [email]", "3|Rex at rex@example.org"}; !reflect.DeepEqual(got, want) {
			t.Errorf("answers = %v, want %v", got, want)
		}
		if got, want := f.rows("SELECT id FROM answer_metadata ORDER BY id"), []string{"1", "3"}; !reflect.DeepEqual(got, want) {
			t.Errorf("answer_metadata = %v, want %v", got, want)
		}
		if got, want := f.rows("SELECT id FROM identity_events ORDER BY id"), []string{"2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("identity_events = %v, want %v", got, want)
		}
		if got, want := f.rows("SELECT id FROM audit_logs ORDER BY id"), []string{"2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("audit_logs = %v, want %v", got, want)
		}
		if got, want := f.rows("SELECT id, plaintext FROM webhook_secrets ORDER BY id"), []string{"1|NULL", "2|s3cr3t-two", "3|s3cr3t-three"}; !reflect.DeepEqual(got, want) {
			t.Errorf("webhook_secrets = %v, want %v", got, want)
		}
		if got, want := f.rows("SELECT id FROM invitations ORDER BY id"), []string{"2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("invitations = %v, want %v", got, want)
		}
		if got, want := f.rows("SELECT id FROM organisations ORDER BY id"), []string{"1", "3"}; !reflect.DeepEqual(got, want) {
			t.Errorf("organisations = %v, want %v", got, want)
		}
		// Suppressed: the digests of the emails of user 4 and participants
		// 1 and 2, never the addresses.
		wantDigests := []string{"acme|" + m.Digest("dee@example.com"), "acme|" + m.Digest("pia@example.org"), "acme|" + m.Digest("quin@example.org")}
		sort.Strings(wantDigests)
		gotDigests := f.rows("SELECT tenant, digest FROM lethe_suppression")
		sort.Strings(gotDigests)
		if !reflect.DeepEqual(gotDigests, wantDigests) {
			t.Errorf("suppression = %v, want %v", gotDigests, wantDigests)
		}

		// The ledger: one sealed entry per tenant, dataset and stage the
		// run touched, zero-row runs included.
		want := map[string][2]int64{
			"acme/user/lifecycle_deactivate":             {2, 0},
			"globex/user/lifecycle_deactivate":           {1, 0},
			"acme/user/lifecycle_anonymize":              {1, 1},
			"acme/transactions/lifecycle_anonymize":      {1, 0},
			"acme/support_tickets/lifecycle_anonymize":   {1, 0},
			"globex/user/lifecycle_anonymize":            {0, 0},
			"globex/transactions/lifecycle_anonymize":    {0, 0},
			"globex/support_tickets/lifecycle_anonymize": {0, 0},
			"acme/user/lifecycle_delete":                 {1, 0},
			"acme/transactions/lifecycle_delete":         {1, 0},
			"acme/sessions/lifecycle_delete":             {1, 0},
			"acme/support_tickets/lifecycle_delete":      {0, 0},
			"globex/user/lifecycle_delete":               {0, 0},
			"globex/transactions/lifecycle_delete":       {0, 0},
			"globex/sessions/lifecycle_delete":           {0, 0},
			"globex/support_tickets/lifecycle_delete":    {0, 0},
			"acme/participant/lifecycle_anonymize":       {2, 0},
			"acme/answers/lifecycle_anonymize":           {2, 0},
			"acme/participant/lifecycle_delete":          {1, 0},
			"acme/answers/lifecycle_delete":              {1, 0},
			"acme/answer_metadata/lifecycle_delete":      {1, 0},
			"acme/identity_events/retention_sweep":       {1, 0},
			"/audit_logs/retention_sweep":                {1, 0},
			"acme/audit_logs/retention_sweep":            {1, 0},
			"acme/support_tickets/retention_anonymize":   {2, 0},
			"acme/support_tickets/retention_sweep":       {1, 0},
			"acme/webhook_secrets/retention_anonymize":   {1, 0},
			"acme/webhook_secrets/retention_sweep":       {0, 0},
			"acme/invitations/retention_sweep":           {1, 0},
			"acme/sessions/retention_sweep":              {1, 0},
			"acme/organisations/purge_soft_deleted":      {1, 0},
			"acme/user/purge_soft_deleted":               {1, 0},
			"acme/transactions/purge_soft_deleted":       {1, 0},
			"acme/sessions/purge_soft_deleted":           {0, 0},
			"acme/support_tickets/purge_soft_deleted":    {0, 0},
		}
		if got := summarize(res.Entries); !reflect.DeepEqual(got, want) {
			for k, v := range want {
				if got[k] != v {
					t.Errorf("ledger %s = %v, want %v", k, got[k], v)
				}
			}
			for k, v := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("unexpected ledger entry %s = %v", k, v)
				}
			}
		}
		if len(res.Entries) != len(want) {
			t.Errorf("%d ledger entries, want %d", len(res.Entries), len(want))
		}
		stored, err := f.e.Ledger().List(ctx, ledger.Filter{RunID: res.RunID})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(summarize(stored), want) {
			t.Errorf("stored ledger differs from the result: %v", summarize(stored))
		}
		for _, e := range stored {
			if e.Seq == 0 || e.Hash == "" || e.Actor != "test" {
				t.Errorf("entry %d not sealed or without actor: %+v", e.ID, e)
			}
		}
		rep, err := f.e.Ledger().Verify(ctx)
		if err != nil || !rep.OK || len(rep.Unsealed) != 0 {
			t.Errorf("verify = %+v, %v", rep, err)
		}

		// The archive of audit_logs holds exactly the rows deleted, and the
		// ledger holds the file's SHA-256.
		for _, e := range stored {
			if e.Dataset != "audit_logs" || e.Tenant != "acme" {
				continue
			}
			var detail struct {
				Archive string `json:"archive"`
				SHA256  string `json:"sha256"`
				Rows    int64  `json:"archived_rows"`
			}
			if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil {
				t.Fatalf("detail %q: %v", e.Detail, err)
			}
			data, err := os.ReadFile(detail.Archive)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if hex.EncodeToString(sum[:]) != detail.SHA256 || detail.Rows != 1 {
				t.Errorf("archive detail %+v does not match the file", detail)
			}
			zr, err := gzip.NewReader(strings.NewReader(string(data)))
			if err != nil {
				t.Fatal(err)
			}
			lines, _ := io.ReadAll(zr)
			var row map[string]any
			if err := json.Unmarshal(lines, &row); err != nil || row["action"] != "export" || dialecttest.Text(row["id"]) != "1" {
				t.Errorf("archived row = %s (%v)", lines, err)
			}
		}

		// A second run finds nothing left to do.
		again := f.sweep(SweepOptions{Confirm: true, At: runAt})
		for k, v := range summarize(again.Entries) {
			if v[0] != 0 {
				t.Errorf("second run changed %s: %v", k, v)
			}
		}
	})
}

func hmacOf(m *mask.Masker, v string) string {
	out, _ := m.Apply(lethe.Mask{Kind: lethe.MaskHMAC}, mask.Column{MaxLength: 80}, mask.Input{Value: v})
	return out.(string)
}

func TestPlan(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		f.populate()
		f.hold("acme", "user", "9")
		acme := "acme"
		plan, err := f.e.Plan(ctx, PlanOptions{At: runAt, Tenant: &acme, Only: "user"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range plan {
			got = append(got, strings.Join([]string{r.Tenant, r.Dataset, r.Stage, r.Period, formatTime(r.Cutoff), itoa(r.Rows), itoa(r.Held)}, " "))
		}
		want := []string{
			"acme user deactivate 6 months 2023-10-01 2 0",
			"acme user anonymize 3 months 2024-01-01 1 1",
			"acme user delete 24 months 2022-04-01 1 0",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// The plan changed nothing.
		if got := f.rows("SELECT COUNT(*) FROM users WHERE deactivated_at IS NULL"); got[0] != "6" {
			t.Errorf("users not deactivated after plan = %v, want 6", got)
		}
		// Participants have no stamp: the plan reads the rows and counts
		// those not masked yet.
		if plan, err = f.e.Plan(ctx, PlanOptions{At: runAt, Tenant: &acme, Only: "participant"}); err != nil {
			t.Fatal(err)
		}
		if plan[0].Stage != "anonymize" || plan[0].Rows != 2 {
			t.Errorf("participant anonymize plan = %+v", plan[0])
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func formatTime(t *time.Time) string {
	if t == nil {
		return "off"
	}
	return t.Format("2006-01-02")
}

func TestGuard(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		f.populate()
		_, err := f.e.Sweep(ctx, SweepOptions{At: runAt})
		var ge *GuardError
		if !errors.As(err, &ge) {
			t.Fatalf("sweep without --confirm = %v, want the guard to trip", err)
		}
		if !strings.Contains(ge.Error(), "users: 6 of 9 rows (66.7%) would change, above the guard's 10%") {
			t.Errorf("guard message:\n%s", ge.Error())
		}
		// Nothing changed and nothing was written to the ledger.
		if got := f.rows("SELECT COUNT(*) FROM users"); got[0] != "9" {
			t.Errorf("users = %v after a tripped guard", got)
		}
		if got := f.rows("SELECT COUNT(*) FROM lethe_ledger"); got[0] != "0" {
			t.Errorf("ledger rows = %v after a tripped guard", got)
		}
	})
}

func TestTenantHold(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		f.populate()
		f.hold("acme", "", "")
		res := f.sweep(SweepOptions{Confirm: true})
		got := summarize(res.Entries)
		for key, want := range map[string][2]int64{
			"acme/user/lifecycle_deactivate":        {2, 0}, // deactivation is not held
			"acme/user/lifecycle_anonymize":         {0, 2},
			"acme/user/lifecycle_delete":            {0, 1},
			"acme/identity_events/retention_sweep":  {0, 1},
			"acme/organisations/purge_soft_deleted": {0, 1},
			"/audit_logs/retention_sweep":           {1, 0}, // not the tenant's rows
		} {
			if got[key] != want {
				t.Errorf("%s = %v, want %v", key, got[key], want)
			}
		}
		if got := f.rows("SELECT COUNT(*) FROM users"); got[0] != "9" {
			t.Errorf("users = %v under a tenant hold", got)
		}
	})
}

func TestSweepNeedsSecret(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		f.populate()
		e := f.engine(nil)
		_, err := e.Sweep(ctx, SweepOptions{At: runAt, Confirm: true})
		if lethe.ErrorCode(err) != lethe.EINVALID || !strings.Contains(err.Error(), "anonymization needs a secret key") {
			t.Errorf("sweep without a secret = %v", err)
		}
		if got := f.rows("SELECT COUNT(*) FROM lethe_ledger"); got[0] != "0" {
			t.Errorf("ledger rows = %v", got)
		}
	})
}
