package ui

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"lethe"
	"lethe/engine"
	"lethe/requests"
	"lethe/tokens"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Authenticator resolves a token's secret; *tokens.Store is one.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (tokens.Token, error)
}

// Config is what the UI needs.
type Config struct {
	Engine   *engine.Engine
	Requests *requests.Store
	Auth     Authenticator
	// Now is the clock of every plan, request step and report; nil means
	// time.Now.
	Now func() time.Time
	// Secure marks the session cookie Secure: set it whenever the UI is
	// served over TLS (or behind a proxy that terminates it).
	Secure bool
	Log    *slog.Logger // nil discards
	// Prefix is the path the handler is mounted at, without a trailing
	// slash; "" means "/ui". The handler sees full paths: mount it with
	// mux.Handle(Prefix+"/", handler), without http.StripPrefix.
	Prefix string
}

type server struct {
	cfg    Config
	prefix string
	log    *slog.Logger
	pages  map[string]*template.Template
	bands  postureData
}

// New returns the UI's handler.
func New(cfg Config) http.Handler {
	s := &server{cfg: cfg, prefix: strings.TrimSuffix(cfg.Prefix, "/"), log: cfg.Log}
	if cfg.Prefix == "" {
		s.prefix = "/ui"
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.cfg.Now == nil {
		s.cfg.Now = time.Now
	}
	s.pages = parsePages(s.prefix)
	s.bands = newPostureData(cfg.Engine.Policy().Posture)

	p := s.prefix
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET "+p+"/static/", http.StripPrefix(p+"/static/", staticFiles(http.FileServerFS(static))))
	mux.HandleFunc("GET "+p+"/signin", s.signinForm)
	mux.HandleFunc("POST "+p+"/signin", s.signin)
	mux.Handle("POST "+p+"/signout", s.page("", s.signout))
	mux.Handle("GET "+p+"/{$}", s.page("", s.home))
	if p != "" {
		mux.HandleFunc("GET "+p, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, p+"/", http.StatusSeeOther)
		})
	}

	mux.Handle("GET "+p+"/t/{tenant}/{$}", s.page("", s.overview))
	mux.Handle("GET "+p+"/t/{tenant}/settings", s.page(readSettings, s.settingsPage))
	mux.Handle("POST "+p+"/t/{tenant}/settings", s.page(readSettings, s.settingsPost))
	mux.Handle("GET "+p+"/t/{tenant}/requests", s.page(readRequests, s.requestsPage))
	mux.Handle("POST "+p+"/t/{tenant}/requests", s.page(manageRequests, s.openRequest))
	mux.Handle("GET "+p+"/t/{tenant}/requests/{id}", s.page(readRequests, s.requestPage))
	mux.Handle("POST "+p+"/t/{tenant}/requests/{id}/{step}", s.page(readRequests, s.requestStep))
	mux.Handle("GET "+p+"/t/{tenant}/holds", s.page(readHolds, s.holdsPage))
	mux.Handle("POST "+p+"/t/{tenant}/holds", s.page(manageHolds, s.addHold))
	mux.Handle("POST "+p+"/t/{tenant}/holds/{id}/remove", s.page(manageHolds, s.removeHold))
	mux.Handle("GET "+p+"/ledger", s.page(readLedger, s.ledgerPage))
	mux.Handle("GET "+p+"/evidence", s.page(readLedger, s.evidencePage))
	mux.Handle("GET "+p+"/evidence.csv", s.page(readLedger, s.evidenceCSV))
	mux.HandleFunc(p+"/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, nil, http.StatusNotFound, "There is no such page.")
	})

	// Cross-origin protection refuses, by the browser's Sec-Fetch-Site
	// and Origin headers, every state-changing request another site makes;
	// the per-session CSRF token in each form (checked in page) covers
	// browsers too old to send either header.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, nil, http.StatusForbidden, "This form was sent from another site and was refused.")
	}))
	return headers(cop.Handler(mux))
}

// headers sets what every answer carries: no framing, no inline script,
// nothing cached (pages show personal data and change with every action).
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

func staticFiles(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// handlerFunc is a page's handler once the caller is known.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c *caller) error

// page resolves the session, checks the CSRF token of a POST, the role
// (before the tenant, as the API does: a refusal by role says nothing
// about any tenant) and the tenant of the path, then runs h.
func (s *server) page(a action, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.session(r)
		if err != nil {
			s.fail(w, r, nil, http.StatusInternalServerError, "")
			s.log.ErrorContext(r.Context(), "ui: authenticate", "err", err)
			return
		}
		if c == nil {
			s.toSignin(w, r)
			return
		}
		if r.Method == http.MethodPost && !c.checkCSRF(r.PostFormValue(csrfField)) {
			s.fail(w, r, c, http.StatusForbidden, "This form has expired or did not come from this page. Go back, reload the page and try again.")
			return
		}
		if a != "" && !c.may(a) {
			s.fail(w, r, c, http.StatusForbidden, fmt.Sprintf("Your token's role, %s, may not %s.", c.Role, a))
			return
		}
		if strings.Contains(r.Pattern, "{tenant}") {
			t := r.PathValue("tenant")
			if !c.sees(t) {
				s.fail(w, r, c, http.StatusNotFound, "There is no such tenant.")
				return
			}
			c.tenant = t
		}
		if err := h(w, r, c); err != nil {
			s.failErr(w, r, c, err)
		}
	})
}

// toSignin sends someone without a session to the sign-in page, and back
// to where they were going afterwards.
func (s *server) toSignin(w http.ResponseWriter, r *http.Request) {
	next := ""
	if r.Method == http.MethodGet {
		next = r.URL.RequestURI()
	}
	to := s.prefix + "/signin"
	if next != "" && next != s.prefix+"/" {
		to += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// view is what every template gets: the layout's data and the page's.
type view struct {
	Title  string
	Prefix string
	Caller *caller
	Tenant string // the tenant the page is about; "" for none
	CSRF   string
	Flash  string
	Error  string
	Nav    string // the nav entry to mark as current
	Bands  postureData
	Page   any
}

func (s *server) render(w http.ResponseWriter, r *http.Request, c *caller, status int, name string, v view) {
	t, ok := s.pages[name]
	if !ok {
		panic("ui: no template " + name)
	}
	v.Prefix = s.prefix
	v.Caller = c
	v.Bands = s.bands
	if c != nil {
		v.CSRF = c.csrf
		if v.Tenant == "" {
			v.Tenant = c.tenant
		}
		if v.Tenant == "" && c.Tenant != nil { // a scoped token's pages are its tenant's
			v.Tenant = *c.Tenant
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.ErrorContext(r.Context(), "ui: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail renders an error page; an empty message is the generic one of an
// internal error, whose details are logged, never shown.
func (s *server) fail(w http.ResponseWriter, r *http.Request, c *caller, status int, msg string) {
	if msg == "" {
		msg = "Something went wrong on the server. The server log has the details."
	}
	s.render(w, r, c, status, "error", view{Title: http.StatusText(status), Error: msg})
}

// failErr renders err as its code says: the message of a Lethe error, a
// generic text for anything else.
func (s *server) failErr(w http.ResponseWriter, r *http.Request, c *caller, err error) {
	status := statusOf(err)
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "ui", "path", r.URL.Path, "err", err)
		s.fail(w, r, c, status, "")
		return
	}
	s.fail(w, r, c, status, lethe.ErrorMessage(err))
}

func statusOf(err error) int {
	switch lethe.ErrorCode(err) {
	case lethe.EINVALID:
		return http.StatusUnprocessableEntity
	case lethe.ENOTFOUND:
		return http.StatusNotFound
	case lethe.ECONFLICT:
		return http.StatusConflict
	case lethe.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case lethe.EFORBIDDEN:
		return http.StatusForbidden
	default:
		return http.StatusInternalServerError
	}
}

// userMessage is what a person is shown of err: its message when it is a
// Lethe error meant for them, "" when it is internal (and then logged).
func (s *server) userMessage(r *http.Request, err error) string {
	if statusOf(err) == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "ui", "path", r.URL.Path, "err", err)
		return ""
	}
	return lethe.ErrorMessage(err)
}

var errNotFound = lethe.Errorf(lethe.ENOTFOUND, "There is no such page.")

// redirect answers a POST that worked with a redirect to a page showing
// its result (so reloading it does not repeat the action).
func (s *server) redirect(w http.ResponseWriter, r *http.Request, to string) error {
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// link joins path segments under the prefix, escaping each.
func link(prefix string, segments ...string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, seg := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(seg))
	}
	return b.String()
}

func (s *server) now() time.Time { return s.cfg.Now().UTC() }

func isNotFound(err error) bool {
	var e *lethe.Error
	return errors.As(err, &e) && e.Code == lethe.ENOTFOUND
}
