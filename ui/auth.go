package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"lethe"
	"lethe/tokens"
)

// action is something a role may be allowed to do: the grants of package
// tokens, which the API checks too.
type action = tokens.Action

const (
	readSettings   = tokens.ReadSettings
	changeSettings = tokens.ChangeSettings
	readPlan       = tokens.ReadPlan
	exportSubjects = tokens.ExportSubjects
	eraseSubjects  = tokens.EraseSubjects
	manageRequests = tokens.ManageRequests
	readRequests   = tokens.ReadRequests
	readLedger     = tokens.ReadLedger
	manageHolds    = tokens.ManageHolds
	readHolds      = tokens.ReadHolds
)

// caller is the signed-in token on one request.
type caller struct {
	tokens.Token
	csrf   string // the session's CSRF token, for forms
	tenant string // the tenant of the page's path, once checked
}

func (c *caller) may(a action) bool { return c.Token.May(a) }

// May is may for templates: {{if .Caller.May "change settings"}}.
func (c *caller) May(a string) bool { return c.may(action(a)) }

// sees reports whether the caller may see tenant's pages.
func (c *caller) sees(tenant string) bool {
	return c.Tenant == nil || *c.Tenant == tenant
}

// Scoped reports whether the token acts in one tenant only.
func (c *caller) Scoped() bool { return c.Tenant != nil }

const (
	sessionCookie = "lethe_session"
	signinCookie  = "lethe_signin"
	csrfField     = "csrf"
)

// The session cookie holds the token itself, HttpOnly and SameSite=Strict
// (and Secure behind TLS): every request authenticates it again, so a
// revoked token signs its sessions out at once, and any replica of the
// server accepts it, with no session table to share. It has no expiry: it
// ends when the browser closes, or at sign-out.
func (s *server) session(r *http.Request) (*caller, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	t, err := s.cfg.Auth.Authenticate(r.Context(), ck.Value)
	if lethe.ErrorCode(err) == lethe.EUNAUTHORIZED {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &caller{Token: t, csrf: csrfToken(ck.Value)}, nil
}

// csrfToken is a form's CSRF token: an HMAC keyed by the session's secret,
// so it is bound to the session, needs no server state and reveals
// nothing of the secret.
func csrfToken(secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("lethe-ui-csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (c *caller) checkCSRF(got string) bool {
	return got != "" && hmac.Equal([]byte(got), []byte(c.csrf))
}

func (s *server) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: s.prefix + "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.cfg.Secure, SameSite: http.SameSiteStrictMode}
}

type signinData struct {
	Next string
}

// signinForm shows the sign-in form. Before a session exists, its CSRF
// token is keyed by a random value in a short-lived cookie of its own.
func (s *server) signinForm(w http.ResponseWriter, r *http.Request) {
	s.showSignin(w, r, http.StatusOK, "")
}

func (s *server) showSignin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	raw := make([]byte, 32)
	rand.Read(raw)
	pre := base64.RawURLEncoding.EncodeToString(raw)
	http.SetCookie(w, s.cookie(signinCookie, pre, 3600))
	s.render(w, r, nil, status, "signin", view{Title: "Sign in", CSRF: csrfToken(pre), Error: msg,
		Page: signinData{Next: s.localNext(r.FormValue("next"))}})
}

func (s *server) signin(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie(signinCookie)
	if err != nil || !hmac.Equal([]byte(r.PostFormValue(csrfField)), []byte(csrfToken(ck.Value))) {
		s.showSignin(w, r, http.StatusForbidden, "The sign-in form expired or your browser did not keep its cookie. Sign in again (cookies must be enabled).")
		return
	}
	secret := strings.TrimSpace(r.PostFormValue("token"))
	t, err := s.cfg.Auth.Authenticate(r.Context(), secret)
	if err != nil {
		if lethe.ErrorCode(err) != lethe.EUNAUTHORIZED {
			s.log.ErrorContext(r.Context(), "ui: sign in", "err", err)
			s.showSignin(w, r, http.StatusInternalServerError, "The server could not check the token. The server log has the details.")
			return
		}
		s.showSignin(w, r, http.StatusUnauthorized, "That token is unknown or revoked. Paste the whole token, starting with "+tokens.Prefix+".")
		return
	}
	http.SetCookie(w, s.cookie(sessionCookie, secret, 0))
	http.SetCookie(w, s.cookie(signinCookie, "", -1))
	s.log.InfoContext(r.Context(), "ui: signed in", "token", t.Name, "role", t.Role)
	to := s.localNext(r.PostFormValue("next"))
	if to == "" {
		to = s.prefix + "/"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// localNext keeps a "next" address only when it is a page of the UI, so
// the sign-in form cannot send anyone elsewhere.
func (s *server) localNext(next string) string {
	if !strings.HasPrefix(next, s.prefix+"/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return ""
	}
	return next
}

func (s *server) signout(w http.ResponseWriter, r *http.Request, c *caller) error {
	http.SetCookie(w, s.cookie(sessionCookie, "", -1))
	return s.redirect(w, r, s.prefix+"/signin")
}

type homeData struct {
	Tenants []string
}

// home sends a scoped token to its tenant and lets a platform admin pick
// one.
func (s *server) home(w http.ResponseWriter, r *http.Request, c *caller) error {
	if c.Tenant != nil {
		return s.redirect(w, r, link(s.prefix, "t", *c.Tenant)+"/")
	}
	tenants, err := s.cfg.Engine.Tenants(r.Context())
	if err != nil {
		return err
	}
	s.render(w, r, c, http.StatusOK, "home", view{Title: "Tenants", Nav: "tenants", Page: homeData{Tenants: tenants}})
	return nil
}
