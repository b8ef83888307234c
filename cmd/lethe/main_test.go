package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lethe/connect"
	"lethe/dialect/dialecttest"
	"lethe/policy"
)

// cli runs the CLI in-process and returns its exit status and output.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return cliIn(t, "", args...)
}

// cliIn is cli with text on standard input.
func cliIn(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

const spec = "../../examples/saas.yaml"

func TestPolicyCheckSpecExample(t *testing.T) {
	code, out, errOut := cli(t, "policy", "check", "-c", spec)
	if code != 0 || out != spec+": ok, 3 subjects and 10 datasets\n" || errOut != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestPolicyCheckErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.yaml")
	src := `version: 1
datasets:
  identity_events:
    table: identity_events
    retention: {keep: 2 months, since: created_at, bounds: {min: 3 months, max: 84 months}}
  answers:
    table: answers
    owner: {participant: participant_id}
    fields: {comment: scramble}
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := cli(t, "policy", "check", "-c", path)
	want := path + `:5:23: datasets.identity_events.retention.keep: 2 months is below the floor of 3 months (allowed: 3 months to 84 months)
` + path + `:8:13: owner participant names neither a subject nor a dataset: owners are identity_events, answers
` + path + `:9:23: unknown mask "scramble" for datasets.answers.fields.comment: write clear, pseudonym, email, hmac, redact, keep or {fixed: "text"}
`
	if code != exitInput {
		t.Errorf("exit %d, want %d", code, exitInput)
	}
	// Shape errors are reported first; the cross-setting rules run once
	// the shape is right, so the unknown mask stands alone here.
	if out != path+`:9:23: unknown mask "scramble" for datasets.answers.fields.comment: write clear, pseudonym, email, hmac, redact, keep or {fixed: "text"}`+"\n" {
		t.Errorf("stdout:\n%s", out)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(src, "scramble", "redact", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = cli(t, "policy", "check", "-c", path)
	want = strings.Join(strings.Split(want, "\n")[:2], "\n") + "\n"
	if code != exitInput || out != want {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s", code, out, want)
	}
	code, out, _ = cli(t, "policy", "check", "-c", path, "--json")
	var res checkResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if code != exitInput || res.OK || len(res.Errors) != 2 || res.Errors[0].Line != 5 || res.Errors[0].Col != 23 || res.Errors[1].Line != 8 {
		t.Errorf("exit %d, json %+v", code, res)
	}
}

func TestPolicyCheckAgainstDatabase(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		url := h.URL(t)
		d, err := connect.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		code, out, _ := cli(t, "policy", "check", "-c", spec, "--db", url)
		if code != exitInput || !strings.Contains(out, spec+":10:12: table users does not exist in the database") {
			t.Errorf("empty database: exit %d, stdout:\n%s", code, out)
		}
		dialecttest.CreateSaaSSchema(t, h, d)
		code, out, errOut := cli(t, "policy", "check", "-c", spec, "--db", url)
		if code != 0 || out != spec+": ok, 3 subjects and 10 datasets, every table and column found in the database\n" {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
}

func TestBadInputExitsTwo(t *testing.T) {
	tests := [][]string{
		{"policy", "check", "-c", filepath.Join(t.TempDir(), "missing.yaml")},
		{"policy", "check", "-c", spec, "--db", "oracle://x"},
		{"policy", "check", "-c", spec, "--db", "sqlite://" + filepath.Join(t.TempDir(), "missing.db")},
		{"nonsense"},
		{"policy", "check", "--no-such-flag"},
		{"version", "extra"},
	}
	for _, args := range tests {
		if code, _, errOut := cli(t, args...); code != exitInput || errOut == "" {
			t.Errorf("lethe %s: exit %d, stderr %q; want 2 and a message", strings.Join(args, " "), code, errOut)
		}
	}
}

func TestInit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lethe.yaml")
	if code, _, errOut := cli(t, "init", "-c", path); code != 0 {
		t.Fatalf("init: exit %d, %s", code, errOut)
	}
	if code, out, _ := cli(t, "policy", "check", "-c", path); code != 0 {
		t.Errorf("the starter policy does not check: %s", out)
	}
	if code, _, errOut := cli(t, "init", "-c", path); code != exitInput || !strings.Contains(errOut, "exists already") {
		t.Errorf("init over an existing file: exit %d, %s", code, errOut)
	}
	if code, _, _ := cli(t, "init", "-c", path, "--force"); code != 0 {
		t.Errorf("init --force: exit %d", code)
	}
}

func TestPolicySchema(t *testing.T) {
	code, out, _ := cli(t, "policy", "schema")
	if code != 0 || out != string(policy.Schema) {
		t.Fatalf("exit %d; output differs from the embedded schema", code)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc["$id"] == nil {
		t.Errorf("schema is not a JSON Schema document: %v", err)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := cli(t, "version")
	if code != 0 || !strings.HasPrefix(out, "lethe ") {
		t.Errorf("exit %d, %q", code, out)
	}
}

func TestBadAt(t *testing.T) {
	code, _, errOut := cli(t, "policy", "check", "-c", spec, "--at", "yesterday")
	if code != exitInput || !strings.Contains(errOut, `--at "yesterday" is not an RFC 3339 time`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if code, _, _ := cli(t, "policy", "check", "-c", spec, "--at", "2024-04-01T00:00:00Z"); code != 0 {
		t.Errorf("a good --at: exit %d", code)
	}
}
