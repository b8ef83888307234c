package lethehttp

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"lethe"
	"lethe/tokens"
)

// action is something a role may be allowed to do.
type action = tokens.Action

// The actions of package tokens, by shorter names.
const (
	readSettings   = tokens.ReadSettings
	changeSettings = tokens.ChangeSettings
	readPlan       = tokens.ReadPlan
	runSweeps      = tokens.RunSweeps
	exportSubjects = tokens.ExportSubjects
	eraseSubjects  = tokens.EraseSubjects
	manageRequests = tokens.ManageRequests
	readRequests   = tokens.ReadRequests
	readLedger     = tokens.ReadLedger
	manageHolds    = tokens.ManageHolds
	readHolds      = tokens.ReadHolds
	checkSuppress  = tokens.CheckSuppress
)

// principal is who is calling: the token's name is the actor of every
// change it makes.
type principal struct {
	tokens.Token
}

type principalKey struct{}

func principalOf(ctx context.Context) (principal, bool) {
	p, ok := ctx.Value(principalKey{}).(principal)
	return p, ok
}

func (p principal) may(a action) bool { return p.Token.May(a) }

// allow returns the caller when its role may do a, else a 403. The role
// is checked before the tenant: a refusal by role says nothing about any
// tenant.
func allow(ctx context.Context, a action) (principal, error) {
	p, ok := principalOf(ctx)
	if !ok { // authenticate runs before every /v1 operation
		return principal{}, &Error{status: http.StatusUnauthorized, Code: lethe.EUNAUTHORIZED, Message: "a bearer token is required"}
	}
	if !p.may(a) {
		return p, &Error{status: http.StatusForbidden, Code: lethe.EFORBIDDEN, Message: "role " + string(p.Role) + " may not " + string(a)}
	}
	return p, nil
}

// tenant returns the tenant an operation acts in. A scoped token acts in
// its own, whether named or not; naming another is a 404, worded as for a
// tenant that does not exist. An unscoped token acts where asked; nil
// means every tenant.
func (p principal) tenant(asked string) (*string, error) {
	if p.Tenant == nil {
		if asked == "" {
			return nil, nil
		}
		return &asked, nil
	}
	if asked != "" && asked != *p.Tenant {
		return nil, noTenant(asked)
	}
	own := *p.Tenant
	return &own, nil
}

// oneTenant is tenant for operations on one tenant's rows: an unscoped
// token naming none means the rows without a tenant ("").
func (p principal) oneTenant(asked string) (string, error) {
	t, err := p.tenant(asked)
	if err != nil || t == nil {
		return "", err
	}
	return *t, nil
}

// sees reports whether the caller may see something of tenant.
func (p principal) sees(tenant string) bool {
	return p.Tenant == nil || *p.Tenant == tenant
}

func noTenant(name string) error {
	return &Error{status: http.StatusNotFound, Code: lethe.ENOTFOUND, Message: "no tenant " + quote(name)}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// authenticate resolves the bearer token of every request under /v1 but
// the OpenAPI document, and answers 401 itself when there is none.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/") || strings.HasPrefix(r.URL.Path, "/v1/openapi") {
			next.ServeHTTP(w, r)
			return
		}
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || strings.TrimSpace(secret) == "" {
			unauthorized(w, "a bearer token is required: send Authorization: Bearer <token> (lethe token create makes one)")
			return
		}
		t, err := s.cfg.Tokens.Authenticate(r.Context(), strings.TrimSpace(secret))
		if err != nil {
			if lethe.ErrorCode(err) == lethe.EUNAUTHORIZED {
				unauthorized(w, lethe.ErrorMessage(err))
				return
			}
			s.log.ErrorContext(r.Context(), "authenticate", "err", err)
			writeJSON(w, http.StatusInternalServerError, &Error{Code: lethe.EINTERNAL, Message: "internal error; the server log has the details"})
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, principal{t})))
	})
}

func unauthorized(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="lethe"`)
	writeJSON(w, http.StatusUnauthorized, &Error{Code: lethe.EUNAUTHORIZED, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
