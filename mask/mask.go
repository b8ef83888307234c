// Package mask computes what anonymization writes into a field: NULL, a
// constant, a pseudonym or address derived from a keyed hash of the subject,
// a keyed HMAC of the value, or free text with personal data redacted.
//
// Everything derived from a person uses HMAC-SHA-256 under the operator's
// secret, never a bare hash: an unkeyed hash of an email address is undone
// by hashing a dictionary of addresses. The package never logs values.
package mask

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"strings"
	"sync"
	"unicode/utf8"

	"lethe"
	"lethe/redact"
)

// SecretEnv names the environment variable holding the HMAC key.
const SecretEnv = "LETHE_SECRET"

// minSecret is the shortest key accepted: 16 bytes of text is already weak.
const minSecret = 16

// LoadSecret reads the HMAC key from LETHE_SECRET, or else from the file the
// policy names. Without one, anonymization must not run: a pseudonym made
// without a key could be recomputed by anyone.
func LoadSecret(file string) ([]byte, error) {
	secret := os.Getenv(SecretEnv)
	source := SecretEnv
	if secret == "" && file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, lethe.Errorf(lethe.EINVALID, "cannot read the secret file %s named by secret_file: %v", file, err)
		}
		secret, source = strings.TrimSpace(string(data)), file
	}
	if secret == "" {
		return nil, lethe.Errorf(lethe.EINVALID, "anonymization needs a secret key: set %s (e.g. export %s=$(openssl rand -hex 32)) or name a key file with secret_file in the policy; keep it, or pseudonyms change", SecretEnv, SecretEnv)
	}
	if len(secret) < minSecret {
		return nil, lethe.Errorf(lethe.EINVALID, "the secret key from %s is %d bytes; use at least %d (e.g. openssl rand -hex 32)", source, len(secret), minSecret)
	}
	return []byte(secret), nil
}

// Masker applies masks under one secret. It is safe for concurrent use.
type Masker struct {
	secret    []byte
	redactors sync.Map // recognisers joined by "," -> *redact.Redactor
	// macs holds keyed HMACs for reuse: Reset returns one to its keyed
	// state without hashing the key again, which halves the cost of a
	// token (860 ns to key a new one each time, for every person of an
	// anonymization).
	macs sync.Pool
}

// New returns a Masker keyed by secret.
func New(secret []byte) *Masker {
	m := &Masker{secret: append([]byte(nil), secret...)}
	m.macs.New = func() any { return hmac.New(sha256.New, m.secret) }
	return m
}

func (m *Masker) mac(purpose, value string) []byte {
	h := m.macs.Get().(hash.Hash)
	defer m.macs.Put(h)
	h.Reset()
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write([]byte(value))
	return h.Sum(make([]byte, 0, sha256.Size))
}

// tokenLen is the length of a subject token in hex digits: 48 bits keep
// collisions between a million people's addresses unlikely, short enough to
// read.
const tokenLen = 12

// Token returns the token of one person: the same subject gets the same
// token in every table, so anonymized history stays coherent. ref names the
// subject, e.g. "user:42".
func (m *Masker) Token(ref string) string {
	return hex.EncodeToString(m.mac("token", ref))[:tokenLen]
}

// Digest is the keyed HMAC kept in the suppression list. Values are
// normalised (trimmed, lower case) so " Ann@Example.com" matches
// "ann@example.com".
func (m *Masker) Digest(value string) string {
	return hex.EncodeToString(m.mac("suppress", strings.ToLower(strings.TrimSpace(value))))
}

// Column is what a mask must respect about the column it writes.
type Column struct {
	MaxLength int // characters; 0 means unbounded
}

// Input is one field of one row to mask.
type Input struct {
	Value any      // as scanned; nil for NULL
	Token string   // the owning subject's token
	Names []string // the subject's own name values, for redact's subject_name
}

// Apply returns the value the mask writes. keep returns the value as it is.
func (m *Masker) Apply(mk lethe.Mask, col Column, in Input) (any, error) {
	switch mk.Kind {
	case lethe.MaskKeep:
		return in.Value, nil
	case lethe.MaskClear:
		return nil, nil
	case lethe.MaskFixed:
		if s, ok := mk.Fixed.(string); ok {
			return fit(s, col.MaxLength), nil
		}
		return mk.Fixed, nil
	case lethe.MaskPseudonym:
		return fit("Anonymized "+in.Token, col.MaxLength), nil
	case lethe.MaskEmail:
		return email(in.Token, col.MaxLength), nil
	}
	text, isNull := asText(in.Value)
	if isNull {
		return nil, nil // nothing personal in a NULL
	}
	switch mk.Kind {
	case lethe.MaskHMAC:
		return fit(hex.EncodeToString(m.mac("hmac", text)), col.MaxLength), nil
	case lethe.MaskRedact:
		r, err := m.redactor(mk.Redact)
		if err != nil {
			return nil, err
		}
		return fit(r.Redact(text, in.Names...), col.MaxLength), nil
	default:
		return nil, fmt.Errorf("unknown mask %q", mk.Kind)
	}
}

// Done reports whether a value already holds what the mask writes, so a
// sweep without a stamp column does not anonymize a row twice. HMAC and
// redact cannot tell from the value alone; they count as done when the
// value already looks like their output.
func (m *Masker) Done(mk lethe.Mask, col Column, in Input) bool {
	switch mk.Kind {
	case lethe.MaskKeep:
		return true
	case lethe.MaskHMAC:
		text, isNull := asText(in.Value)
		return isNull || isHex(text)
	}
	want, err := m.Apply(mk, col, in)
	if err != nil {
		return false
	}
	got, gotNull := asText(in.Value)
	w, wantNull := asText(want)
	return gotNull == wantNull && got == w
}

func (m *Masker) redactor(kinds []string) (*redact.Redactor, error) {
	key := strings.Join(kinds, ",")
	if r, ok := m.redactors.Load(key); ok {
		return r.(*redact.Redactor), nil
	}
	parsed := make([]redact.Kind, 0, len(kinds))
	for _, k := range kinds {
		kind, err := redact.ParseKind(k)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, kind)
	}
	r, _ := m.redactors.LoadOrStore(key, redact.New(parsed...))
	return r.(*redact.Redactor), nil
}

func email(token string, max int) string {
	for _, form := range []string{"anon-%s@anonymized.invalid", "a-%s@anon.invalid"} {
		if s := fmt.Sprintf(form, token); max == 0 || utf8.RuneCountInString(s) <= max {
			return s
		}
	}
	// Too short for an address of any shape: a token is still unique-ish
	// and says nothing about the person.
	return fit(token, max)
}

// fit cuts s to at most max characters (0: no limit).
func fit(s string, max int) string {
	if max <= 0 || utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max])
}

func asText(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, false
	case []byte:
		return string(x), false
	default:
		return fmt.Sprint(x), false
	}
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
