package mask

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"lethe"
)

// TestTokenIsKeyedHMAC pins the token to HMAC-SHA-256 of "token", a zero
// byte and the reference under the secret, computed here from scratch, for
// every use of the masker's reused HMACs, from several goroutines: tokens
// already written by earlier sweeps must keep matching.
func TestTokenIsKeyedHMAC(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	want := func(ref string) string {
		h := hmac.New(sha256.New, secret)
		h.Write([]byte("token\x00" + ref))
		return hex.EncodeToString(h.Sum(nil))[:tokenLen]
	}
	m := New(secret)
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				ref := "user:" + strconv.Itoa(g*1000+i)
				if got := m.Token(ref); got != want(ref) {
					errs <- fmt.Sprintf("Token(%q) = %q, want %q", ref, got, want(ref))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	// The same value from outside Go, in case both sides above change.
	if got := m.Token("user:42"); got != "2ad145306138" {
		t.Errorf("Token(user:42) = %q, want 2ad145306138", got)
	}
}

func TestApply(t *testing.T) {
	m := New([]byte("0123456789abcdef0123456789abcdef"))
	tok := m.Token("user:42")
	if len(tok) != tokenLen || tok != m.Token("user:42") || tok == m.Token("user:43") {
		t.Fatalf("token %q is not a stable per-person token", tok)
	}
	if other := New([]byte("another secret of enough length!")).Token("user:42"); other == tok {
		t.Error("the token does not depend on the secret")
	}
	in := Input{Value: "Ann Example", Token: tok}
	tests := []struct {
		mask lethe.Mask
		col  Column
		in   Input
		want any
	}{
		{lethe.Mask{Kind: lethe.MaskClear}, Column{}, in, nil},
		{lethe.Mask{Kind: lethe.MaskKeep}, Column{}, in, "Ann Example"},
		{lethe.Mask{Kind: lethe.MaskFixed, Fixed: "gone"}, Column{}, in, "gone"},
		{lethe.Mask{Kind: lethe.MaskFixed, Fixed: "gone"}, Column{MaxLength: 2}, in, "go"},
		{lethe.Mask{Kind: lethe.MaskFixed, Fixed: int64(0)}, Column{}, in, int64(0)},
		{lethe.Mask{Kind: lethe.MaskPseudonym}, Column{}, in, "Anonymized " + tok},
		{lethe.Mask{Kind: lethe.MaskPseudonym}, Column{MaxLength: 20}, in, ("Anonymized " + tok)[:20]},
		{lethe.Mask{Kind: lethe.MaskEmail}, Column{}, in, "anon-" + tok + "@anonymized.invalid"},
		{lethe.Mask{Kind: lethe.MaskEmail}, Column{MaxLength: 30}, in, "a-" + tok + "@anon.invalid"},
		{lethe.Mask{Kind: lethe.MaskEmail}, Column{MaxLength: 8}, in, tok[:8]},
		{lethe.Mask{Kind: lethe.MaskHMAC}, Column{}, Input{Value: nil}, nil},
		{lethe.Mask{Kind: lethe.MaskRedact}, Column{}, Input{Value: "write to ann@example.com or call +44 20 7946 0958"}, "write to [email] or call [phone]"},
		{lethe.Mask{Kind: lethe.MaskRedact, Redact: []string{"email"}}, Column{}, Input{Value: "ann@example.com, +44 20 7946 0958"}, "[email], +44 20 7946 0958"},
		{lethe.Mask{Kind: lethe.MaskRedact}, Column{}, Input{Value: "Ann said hi", Names: []string{"Ann"}}, "[name] said hi"},
	}
	for i, tt := range tests {
		got, err := m.Apply(tt.mask, tt.col, tt.in)
		if err != nil || got != tt.want {
			t.Errorf("%d: %s on %v = %#v, %v; want %#v", i, tt.mask.Kind, tt.in.Value, got, err, tt.want)
		}
		if err == nil && tt.mask.Kind != lethe.MaskKeep && !m.Done(tt.mask, tt.col, Input{Value: got, Token: tt.in.Token, Names: tt.in.Names}) {
			t.Errorf("%d: %s: its own output does not count as done", i, tt.mask.Kind)
		}
	}
	h, _ := m.Apply(lethe.Mask{Kind: lethe.MaskHMAC}, Column{}, Input{Value: "c_81"})
	if s := h.(string); len(s) != 64 || strings.Contains(s, "c_81") || !isHex(s) {
		t.Errorf("hmac = %q", s)
	}
	if m.Done(lethe.Mask{Kind: lethe.MaskPseudonym}, Column{}, in) {
		t.Error("a real name counts as already pseudonymised")
	}
}

func TestDigestNormalises(t *testing.T) {
	m := New([]byte("0123456789abcdef0123456789abcdef"))
	if m.Digest(" Ann@Example.com ") != m.Digest("ann@example.com") || m.Digest("ann@example.com") == m.Digest("bob@example.com") {
		t.Error("digest does not normalise, or collides")
	}
}

func TestLoadSecret(t *testing.T) {
	t.Setenv(SecretEnv, "")
	if _, err := LoadSecret(""); err == nil || !strings.Contains(err.Error(), "anonymization needs a secret key") {
		t.Errorf("no secret: %v", err)
	}
	t.Setenv(SecretEnv, "short")
	if _, err := LoadSecret(""); lethe.ErrorCode(err) != lethe.EINVALID {
		t.Errorf("short secret: %v", err)
	}
	t.Setenv(SecretEnv, "")
	path := t.TempDir() + "/key"
	if err := os.WriteFile(path, []byte("  0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := LoadSecret(path); err != nil || string(s) != "0123456789abcdef0123456789abcdef" {
		t.Errorf("from file: %q %v", s, err)
	}
}
