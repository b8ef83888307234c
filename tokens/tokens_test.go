package tokens_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"lethe"
	"lethe/dialect/dialecttest"
	"lethe/tokens"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		d := h.Open(t)
		if err := d.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		s := tokens.New(d)
		at := time.Date(2024, 4, 1, 12, 0, 0, 123456000, time.UTC)
		s.Now = func() time.Time { return at }
		acme := "acme"
		tok, secret, err := s.Create(ctx, tokens.Operator, &acme, "ops")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, tokens.Prefix) || len(secret) != len(tokens.Prefix)+43 || tok.ID == 0 || !tok.CreatedAt.Equal(at) {
			t.Fatalf("created %+v, secret %q", tok, secret)
		}
		// Only the digest is stored.
		var stored string
		if err := d.DB().QueryRowContext(ctx, "SELECT hash FROM lethe_tokens WHERE id = "+d.Placeholder(1), tok.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored != tokens.Digest(secret) || strings.Contains(stored, secret[len(tokens.Prefix):]) {
			t.Errorf("stored %q", stored)
		}
		got, err := s.Authenticate(ctx, secret)
		if err != nil || got.Name != "ops" || got.Role != tokens.Operator || got.Tenant == nil || *got.Tenant != "acme" || !got.CreatedAt.Equal(at) {
			t.Fatalf("authenticate: %+v, %v", got, err)
		}
		for _, bad := range []string{"", "ops", secret + "x", tokens.Prefix + strings.Repeat("A", 43), strings.Repeat("x", 500)} {
			if _, err := s.Authenticate(ctx, bad); lethe.ErrorCode(err) != lethe.EUNAUTHORIZED {
				t.Errorf("authenticate %q: %v", bad, err)
			}
		}
		if _, _, err := s.Create(ctx, tokens.Admin, nil, "ops"); lethe.ErrorCode(err) != lethe.ECONFLICT {
			t.Errorf("duplicate name: %v", err)
		}
		if _, _, err := s.Create(ctx, tokens.PlatformAdmin, &acme, ""); lethe.ErrorCode(err) != lethe.EINVALID {
			t.Errorf("scoped platform-admin: %v", err)
		}
		if _, _, err := s.Create(ctx, "root", nil, ""); lethe.ErrorCode(err) != lethe.EINVALID {
			t.Errorf("unknown role: %v", err)
		}
		admin, _, err := s.Create(ctx, tokens.PlatformAdmin, nil, "")
		if err != nil || !strings.HasPrefix(admin.Name, "platform-admin-") || admin.Tenant != nil {
			t.Fatalf("unnamed platform-admin: %+v, %v", admin, err)
		}
		if _, err := s.Revoke(ctx, "ops"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, secret); lethe.ErrorCode(err) != lethe.EUNAUTHORIZED {
			t.Errorf("a revoked token authenticates: %v", err)
		}
		if _, err := s.Revoke(ctx, "ops"); lethe.ErrorCode(err) != lethe.ECONFLICT {
			t.Errorf("revoke twice: %v", err)
		}
		if _, err := s.Revoke(ctx, "nobody"); lethe.ErrorCode(err) != lethe.ENOTFOUND {
			t.Errorf("revoke unknown: %v", err)
		}
		list, err := s.List(ctx)
		if err != nil || len(list) != 2 || list[0].RevokedAt == nil || !list[0].RevokedAt.Equal(at) || list[1].RevokedAt != nil {
			t.Errorf("list: %+v, %v", list, err)
		}
		if _, err := s.Revoke(ctx, "2"); err != nil { // by id
			t.Errorf("revoke by id: %v", err)
		}
	})
}
