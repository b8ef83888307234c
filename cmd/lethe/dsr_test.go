package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEraseCommand(t *testing.T) {
	flags := demoDir(t)
	at := "--at=2026-06-01T00:00:00Z"
	code, out, errOut := cli(t, append([]string{"erase", "--subject", "contact:c_81", "--tenant", "acme", "--actor", "admin_7", "--reason", "ticket 1234", "--dry-run", at}, flags...)...)
	if code != 0 || !strings.Contains(out, "would erase (dry run, nothing changed) contact:c_81 in tenant acme:") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = cli(t, append([]string{"erase", "--subject", "contact:c_81", "--tenant", "acme", "--actor", "admin_7", "--reason", "ticket 1234", "--json", at}, flags...)...)
	var res struct {
		Subject  string
		Datasets []struct {
			Dataset, Action string
			Rows            int64
		}
		BackupsExpireBy string `json:"backups_expire_by"`
	}
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil {
		t.Fatalf("erase: exit %d, %v\n%s", code, err, out)
	}
	if res.Subject != "contact:c_81" || res.BackupsExpireBy != "2026-07-01T00:00:00Z" || len(res.Datasets) != 2 ||
		res.Datasets[1].Dataset != "contact" || res.Datasets[1].Action != "delete" || res.Datasets[1].Rows != 1 {
		t.Errorf("erase result = %+v", res)
	}
	code, out, _ = cli(t, append([]string{"ledger", "list", "--json", "--reason", "dsr_erasure"}, flags...)...)
	if code != 0 || !strings.Contains(out, `"SubjectKey":"contact:c_81"`) && !strings.Contains(out, `"subject_key":"contact:c_81"`) {
		t.Errorf("ledger after erase: %s", out)
	}
	// Not there (any more): exit 1 with the reason.
	code, _, errOut = cli(t, append([]string{"erase", "--subject", "contact:nobody", "--tenant", "acme", "--actor", "a", at}, flags...)...)
	if code != exitFailed || !strings.Contains(errOut, `no contact nobody in tenant "acme"`) {
		t.Errorf("missing subject: exit %d, %s", code, errOut)
	}
	// A hold blocks it, naming the hold.
	cli(t, append([]string{"hold", "add", "--tenant", "acme", "--subject", "user:3", "--reason", "litigation 42"}, flags...)...)
	code, _, errOut = cli(t, append([]string{"erase", "--subject", "user:3", "--tenant", "acme", "--actor", "a", at}, flags...)...)
	if code != exitFailed || !strings.Contains(errOut, "under legal hold 1 (litigation 42") {
		t.Errorf("held: exit %d, %s", code, errOut)
	}
	for _, bad := range [][]string{
		{"erase", "--subject", "c_81", "--tenant", "acme", "--actor", "a"},
		{"erase", "--subject", "contact:c_81", "--actor", "a"},
		{"erase", "--subject", "contact:c_81", "--tenant", "acme"},
	} {
		if code, _, _ := cli(t, append(bad, flags...)...); code != exitInput {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}

func TestDiscoverCommand(t *testing.T) {
	flags := demoDir(t)
	out := filepath.Join(t.TempDir(), "draft.yaml")
	code, stdout, errOut := cli(t, "discover", flags[2], flags[3], "-o", out)
	if code != 0 {
		t.Fatalf("discover: exit %d\n%s%s", code, stdout, errOut)
	}
	draft, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(draft), "users") || strings.Contains(string(draft), "@example.com") {
		t.Errorf("draft does not name users, or leaks a sampled value:\n%s", draft)
	}
	code, stdout, _ = cli(t, "policy", "check", "-c", out, flags[2], flags[3])
	if code != 0 {
		t.Errorf("the draft does not check against its own database: %s", stdout)
	}
}

func TestRedactCommand(t *testing.T) {
	code, out, _ := cliIn(t, "Mail zoe@example.com or call +44 20 7946 0958; card 4111 1111 1111 1111; Zoë says hi\n", "redact", "--name", "Zoë")
	if want := "Mail [email] or call [phone]; card [card]; [name] says hi\n"; code != 0 || out != want {
		t.Errorf("redact: exit %d, %q, want %q", code, out, want)
	}
	code, out, _ = cliIn(t, "zoe@example.com +44 20 7946 0958", "redact", "--kinds", "email")
	if code != 0 || out != "[email] +44 20 7946 0958" {
		t.Errorf("redact --kinds email: %q", out)
	}
	if code, _, _ := cliIn(t, "", "redact", "--kinds", "dna"); code != exitInput {
		t.Errorf("unknown kind: exit %d", code)
	}
}
