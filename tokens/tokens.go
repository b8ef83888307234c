package tokens

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"lethe"
	"lethe/dialect"
)

// Role is what a token may do.
type Role string

// Roles (SPEC section 5).
const (
	PlatformAdmin Role = "platform-admin" // everything, in every tenant
	Admin         Role = "admin"          // a tenant's settings, holds and sweeps
	Operator      Role = "operator"       // a tenant's requests, erasures and exports
	Auditor       Role = "auditor"        // reads a tenant's plan and ledger
)

// Roles lists every role, for messages.
var Roles = []Role{PlatformAdmin, Admin, Operator, Auditor}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", lethe.Errorf(lethe.EINVALID, "unknown role %q: write platform-admin, admin, operator or auditor", s)
}

// Token is a token as stored: everything but the secret.
type Token struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	Role      Role       `json:"role"`
	Tenant    *string    `json:"tenant"` // nil: every tenant
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Prefix starts every token, so a leaked one is recognised by scanners and
// people alike.
const Prefix = "lethe_"

// Store reads and writes lethe_tokens. The database must be migrated.
type Store struct {
	d dialect.Dialect
	// Now stamps creation and revocation; nil means time.Now.
	Now func() time.Time
}

// New returns the token store of d's database.
func New(d dialect.Dialect) *Store { return &Store{d: d} }

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Digest is what is stored of a token.
func Digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

const maxName = 255

// Create makes a token and returns it with its secret, which is not kept:
// the caller shows it once. An empty name becomes ROLE-<8 hex digits>. A platform-admin
// token is never scoped to a tenant: it is everywhere by definition.
func (s *Store) Create(ctx context.Context, role Role, tenant *string, name string) (Token, string, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return Token{}, "", err
	}
	if role == PlatformAdmin && tenant != nil {
		return Token{}, "", lethe.Errorf(lethe.EINVALID, "a platform-admin token acts in every tenant: drop --tenant, or choose admin, operator or auditor")
	}
	if tenant != nil && strings.TrimSpace(*tenant) == "" {
		return Token{}, "", lethe.Errorf(lethe.EINVALID, "--tenant is empty: name the tenant the token is scoped to, or leave the flag out for every tenant")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		suffix := make([]byte, 4)
		rand.Read(suffix)
		name = string(role) + "-" + hex.EncodeToString(suffix)
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxName || strings.ContainsAny(name, "\x00\n\r") {
		return Token{}, "", lethe.Errorf(lethe.EINVALID, "token name %q: use at most %d characters of one-line text", name, maxName)
	}
	if _, err := s.byName(ctx, name); err == nil {
		return Token{}, "", lethe.Errorf(lethe.ECONFLICT, "a token named %q exists already: choose another --name", name)
	} else if lethe.ErrorCode(err) != lethe.ENOTFOUND {
		return Token{}, "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Token{}, "", fmt.Errorf("make a token: %w", err)
	}
	secret := Prefix + base64.RawURLEncoding.EncodeToString(raw)
	t := Token{Name: name, Role: role, Tenant: tenant, CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	b := s.build()
	query := "INSERT INTO " + b.q(table) + " (" + b.q("name") + ", " + b.q("role") + ", " + b.q("tenant") + ", " + b.q("hash") + ", " + b.q("created_at") + ") VALUES (" +
		b.arg(name) + ", " + b.arg(string(role)) + ", " + b.arg(nullable(tenant)) + ", " + b.arg(Digest(secret)) + ", " + b.arg(b.timeArg(t.CreatedAt)) + ")"
	var err error
	if s.d.Name() == "postgres" {
		err = s.d.DB().QueryRowContext(ctx, query+" RETURNING "+b.q("id"), b.args...).Scan(&t.ID)
	} else {
		var res sql.Result
		if res, err = s.d.DB().ExecContext(ctx, query, b.args...); err == nil {
			t.ID, err = res.LastInsertId()
		}
	}
	if err != nil {
		return Token{}, "", fmt.Errorf("store token %q: %w", name, err)
	}
	return t, secret, nil
}

const (
	table   = "lethe_tokens"
	columns = "id, name, role, tenant, created_at, revoked_at"
)

// List returns every token, revoked ones too, by id.
func (s *Store) List(ctx context.Context) ([]Token, error) {
	return s.query(ctx, "SELECT "+columns+" FROM "+s.d.Quote(table)+" ORDER BY id")
}

// Authenticate returns the live token whose secret this is. Anything else
// (unknown, revoked, malformed) is EUNAUTHORIZED with one message, so a
// caller learns nothing about which it was.
func (s *Store) Authenticate(ctx context.Context, secret string) (Token, error) {
	if !strings.HasPrefix(secret, Prefix) || len(secret) > 128 {
		return Token{}, errUnauthorized
	}
	b := s.build()
	list, err := s.query(ctx, "SELECT "+columns+" FROM "+b.q(table)+" WHERE "+b.q("hash")+" = "+b.arg(Digest(secret))+" AND revoked_at IS NULL", b.args...)
	if err != nil {
		return Token{}, err
	}
	if len(list) != 1 {
		return Token{}, errUnauthorized
	}
	return list[0], nil
}

var errUnauthorized = lethe.Errorf(lethe.EUNAUTHORIZED, "the bearer token is unknown or revoked")

// Revoke revokes the token with this name (or, for a number, this id).
// Revoking twice is ECONFLICT; the row stays, so past actors stay known.
func (s *Store) Revoke(ctx context.Context, nameOrID string) (Token, error) {
	t, err := s.byName(ctx, nameOrID)
	if lethe.ErrorCode(err) == lethe.ENOTFOUND {
		if id, perr := strconv.ParseInt(nameOrID, 10, 64); perr == nil {
			t, err = s.byID(ctx, id)
		}
	}
	if err != nil {
		return Token{}, err
	}
	if t.RevokedAt != nil {
		return t, lethe.Errorf(lethe.ECONFLICT, "token %q was revoked already on %s", t.Name, t.RevokedAt.Format(time.RFC3339))
	}
	at := s.now().UTC().Truncate(time.Microsecond)
	b := s.build()
	query := "UPDATE " + b.q(table) + " SET revoked_at = " + b.arg(b.timeArg(at)) + " WHERE id = " + b.arg(t.ID) + " AND revoked_at IS NULL"
	if _, err := s.d.DB().ExecContext(ctx, query, b.args...); err != nil {
		return Token{}, fmt.Errorf("revoke token %q: %w", t.Name, err)
	}
	t.RevokedAt = &at
	return t, nil
}

func (s *Store) byName(ctx context.Context, name string) (Token, error) {
	b := s.build()
	return s.one(ctx, "token "+strconv.Quote(name), "SELECT "+columns+" FROM "+b.q(table)+" WHERE "+b.q("name")+" = "+b.arg(name), b.args...)
}

func (s *Store) byID(ctx context.Context, id int64) (Token, error) {
	b := s.build()
	return s.one(ctx, "token "+strconv.FormatInt(id, 10), "SELECT "+columns+" FROM "+b.q(table)+" WHERE id = "+b.arg(id), b.args...)
}

func (s *Store) one(ctx context.Context, what, query string, args ...any) (Token, error) {
	list, err := s.query(ctx, query, args...)
	if err != nil {
		return Token{}, err
	}
	if len(list) == 0 {
		return Token{}, lethe.Errorf(lethe.ENOTFOUND, "no %s: `lethe token list` shows the tokens", what)
	}
	return list[0], nil
}

func (s *Store) query(ctx context.Context, query string, args ...any) ([]Token, error) {
	rows, err := s.d.DB().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read tokens: %w", err)
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var role string
		var tenant sql.NullString
		var created, revoked any
		if err := rows.Scan(&t.ID, &t.Name, &role, &tenant, &created, &revoked); err != nil {
			return nil, fmt.Errorf("read tokens: %w", err)
		}
		t.Role = Role(role)
		if tenant.Valid {
			t.Tenant = &tenant.String
		}
		c, err := dialect.ScanTime(created)
		if err != nil || c == nil {
			return nil, fmt.Errorf("read token %d: created_at: %v", t.ID, err)
		}
		t.CreatedAt = *c
		if t.RevokedAt, err = dialect.ScanTime(revoked); err != nil {
			return nil, fmt.Errorf("read token %d: revoked_at: %w", t.ID, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// builder collects the arguments of one statement in the store's dialect.
type builder struct {
	d    dialect.Dialect
	args []any
}

func (s *Store) build() *builder { return &builder{d: s.d} }

func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return b.d.Placeholder(len(b.args))
}

func (b *builder) q(ident string) string { return b.d.Quote(ident) }

func (b *builder) timeArg(t time.Time) any { return dialect.StoredTime(b.d, t) }

func nullable(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
