package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTokenCommands(t *testing.T) {
	flags := demoDir(t)
	code, secret, errOut := cli(t, append([]string{"token", "create", "--role", "operator", "--tenant", "acme", "--name", "ops-bot"}, flags...)...)
	secret = strings.TrimSpace(secret)
	if code != 0 || !strings.HasPrefix(secret, "lethe_") || strings.Contains(errOut, secret) {
		t.Fatalf("create: exit %d, stdout %q, stderr %q", code, secret, errOut)
	}
	code, out, _ := cli(t, append([]string{"token", "create", "--role", "auditor", "--json"}, flags...)...)
	var created struct {
		Name   string  `json:"name"`
		Role   string  `json:"role"`
		Tenant *string `json:"tenant"`
		Token  string  `json:"token"`
	}
	if err := json.Unmarshal([]byte(out), &created); code != 0 || err != nil || created.Role != "auditor" || created.Tenant != nil || !strings.HasPrefix(created.Name, "auditor-") || !strings.HasPrefix(created.Token, "lethe_") {
		t.Fatalf("create --json: exit %d, %s (%v)", code, out, err)
	}

	code, out, _ = cli(t, append([]string{"token", "list"}, flags...)...)
	if code != 0 || !regexp.MustCompile(`(?m)^1\s+ops-bot\s+operator\s+acme\s+\S+\s+-$`).MatchString(out) || !strings.Contains(out, created.Name) {
		t.Errorf("list: exit %d:\n%s", code, out)
	}
	if strings.Contains(out, secret) || strings.Contains(out, created.Token) {
		t.Errorf("list shows a secret:\n%s", out)
	}

	code, out, _ = cli(t, append([]string{"token", "revoke", "ops-bot"}, flags...)...)
	if code != 0 || out != "token \"ops-bot\" revoked\n" {
		t.Errorf("revoke: exit %d, %q", code, out)
	}
	code, _, errOut = cli(t, append([]string{"token", "revoke", "ops-bot"}, flags...)...)
	if code != exitFailed || !strings.Contains(errOut, "revoked already") {
		t.Errorf("revoke twice: exit %d, %q", code, errOut)
	}
	code, out, _ = cli(t, append([]string{"token", "list", "--json"}, flags...)...)
	var list []struct {
		Name      string     `json:"name"`
		RevokedAt *time.Time `json:"revoked_at"`
	}
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 2 || list[0].RevokedAt == nil || list[1].RevokedAt != nil {
		t.Errorf("list --json after revoke: exit %d, %s", code, out)
	}

	for _, args := range [][]string{
		{"token", "create"},
		{"token", "create", "--role", "root"},
		{"token", "create", "--role", "platform-admin", "--tenant", "acme"},
		{"token", "create", "--role", "admin", "--tenant", ""},
	} {
		if code, _, errOut := cli(t, append(args, flags...)...); code != exitInput || errOut == "" {
			t.Errorf("lethe %s: exit %d, stderr %q; want 2", strings.Join(args, " "), code, errOut)
		}
	}
	code, _, errOut = cli(t, append([]string{"token", "create", "--role", "admin", "--tenant", "acme", "--name", "ops-bot"}, flags...)...)
	if code != exitFailed || !strings.Contains(errOut, "exists already") {
		t.Errorf("duplicate name: exit %d, %q", code, errOut)
	}
}

// syncBuffer is written by the server's goroutine and read by the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestServe starts `lethe serve` on a free port, talks to it, and stops it
// as a signal would.
func TestServe(t *testing.T) {
	flags := demoDir(t)
	_, secret, _ := cli(t, append([]string{"token", "create", "--role", "auditor", "--tenant", "acme", "--name", "watcher"}, flags...)...)
	secret = strings.TrimSpace(secret)

	t.Setenv("LETHE_POLL", "1h")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--listen", "127.0.0.1:0", "--lease-ttl", "30s"}, flags...), strings.NewReader(""), &stdout, &stderr)
	}()
	addr := regexp.MustCompile(`listening on (http://\S+)`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addr.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d before listening:\n%s\n%s", code, stdout.String(), stderr.String())
		default:
		}
	}
	if base == "" {
		t.Fatalf("serve did not say where it listens:\n%s\n%s", stdout.String(), stderr.String())
	}

	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz", ""); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("/healthz: %d %s", code, body)
	}
	if code, body := get("/readyz", ""); code != 200 {
		t.Errorf("/readyz: %d %s", code, body)
	}
	if code, body := get("/v1/plan", secret); code != 200 || !strings.Contains(body, `"tenant":"acme"`) || strings.Contains(body, `"tenant":"globex"`) {
		t.Errorf("/v1/plan as acme's auditor: %d %.300s", code, body)
	}
	if code, _ := get("/v1/plan", ""); code != 401 {
		t.Errorf("/v1/plan without a token: %d", code)
	}
	// The admin UI is mounted: its sign-in page answers without a token.
	if code, body := get("/ui/signin", ""); code != 200 || !strings.Contains(body, "<form") {
		t.Errorf("/ui/signin: %d %.300s", code, body)
	}
	if code, body := get("/metrics", ""); code != 200 || !strings.Contains(body, "lethe_http_requests_total") || !strings.Contains(body, "lethe_ledger_verify_ok 1") {
		t.Errorf("/metrics: %d\n%.2000s", code, body)
	}

	cancel() // as SIGINT would
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	logs := stderr.String()
	for _, want := range []string{`"msg":"serving"`, `"msg":"request"`, `"msg":"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the JSON log lacks %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, secret) {
		t.Error("the log holds a token")
	}
}

func TestServeBadInput(t *testing.T) {
	flags := demoDir(t)
	for _, args := range [][]string{
		{"serve", "--timezone", "Mars/Olympus"},
		{"serve", "--log-level", "loud"},
		{"serve", "--listen", "256.0.0.1:99999"},
	} {
		if code, _, errOut := cli(t, append(args, flags...)...); code != exitInput || errOut == "" {
			t.Errorf("lethe %s: exit %d, stderr %q; want 2", strings.Join(args, " "), code, errOut)
		}
	}
	t.Setenv("LETHE_POLL", "often")
	if code, _, errOut := cli(t, append([]string{"serve"}, flags...)...); code != exitInput || !strings.Contains(errOut, "LETHE_POLL") {
		t.Errorf("bad LETHE_POLL: exit %d, %q", code, errOut)
	}
}
