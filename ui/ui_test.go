package ui_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"lethe/demo"
	"lethe/dialect"
	"lethe/dialect/dialecttest"
	"lethe/engine"
	"lethe/examples"
	"lethe/policy"
	"lethe/requests"
	"lethe/tokens"
	"lethe/ui"
)

var (
	ctx = context.Background()
	// now is the clock of the demo data and of every page.
	now = time.Date(2024, 6, 3, 9, 0, 0, 0, time.UTC)
)

// site is the UI over a demo database, with a token per role.
type site struct {
	t      testing.TB
	d      dialect.Dialect
	e      *engine.Engine
	store  *requests.Store
	srv    *httptest.Server
	tokens map[string]string // name -> secret
}

func str(s string) *string { return &s }

func newSite(t testing.TB) *site {
	t.Helper()
	d := dialecttest.Harnesses()[0].Open(t)
	if err := demo.CreateSchema(ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Populate(ctx, d, demo.Options{Rows: 120, Seed: 1, Now: now}); err != nil {
		t.Fatal(err)
	}
	p, err := policy.Load("saas.yaml", examples.SaaS)
	if err != nil {
		t.Fatal(err)
	}
	p.ArchiveDir = t.TempDir()
	e, err := engine.New(ctx, p, d, engine.Config{Secret: []byte("ui-test-secret-0123456789")})
	if err != nil {
		t.Fatal(err)
	}
	// A history for the ledger, the chart and the evidence report: two
	// sweeps in the last 90 days.
	for _, at := range []time.Time{now.AddDate(0, 0, -45), now.AddDate(0, 0, -14)} {
		if _, err := e.Sweep(ctx, engine.SweepOptions{At: at, Confirm: true, Actor: "schedule"}); err != nil {
			t.Fatal(err)
		}
	}
	s := &site{t: t, d: d, e: e, store: requests.New(e), tokens: map[string]string{}}
	toks := tokens.New(d)
	for _, tk := range []struct {
		name   string
		role   tokens.Role
		tenant *string
	}{
		{"root", tokens.PlatformAdmin, nil},
		{"acme-admin", tokens.Admin, str("acme")},
		{"acme-operator", tokens.Operator, str("acme")},
		{"acme-auditor", tokens.Auditor, str("acme")},
		{"globex-admin", tokens.Admin, str("globex")},
	} {
		_, secret, err := toks.Create(ctx, tk.role, tk.tenant, tk.name)
		if err != nil {
			t.Fatal(err)
		}
		s.tokens[tk.name] = secret
	}
	s.srv = httptest.NewServer(ui.New(ui.Config{Engine: e, Requests: s.store, Auth: toks, Now: func() time.Time { return now }}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *site) url(path string) string { return s.srv.URL + path }

// client is an HTTP client with a cookie jar that does not follow
// redirects, so tests see them.
func (s *site) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func body(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func csrfOf(t testing.TB, html string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("no CSRF field in the page:\n%s", html)
	}
	return m[1]
}

// signIn signs c in with the named token and returns the CSRF token of
// its session.
func (s *site) signIn(c *http.Client, name string) string {
	s.t.Helper()
	resp, err := c.Get(s.url("/ui/signin"))
	if err != nil {
		s.t.Fatal(err)
	}
	form := url.Values{"csrf": {csrfOf(s.t, body(s.t, resp))}, "token": {s.tokens[name]}}
	resp, err = c.PostForm(s.url("/ui/signin"), form)
	if err != nil {
		s.t.Fatal(err)
	}
	body(s.t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("sign in as %s: status %d, want 303", name, resp.StatusCode)
	}
	// The start page (a scoped token's tenant) carries the session's
	// token in its sign-out form.
	path := "/ui/"
	for range 2 {
		resp, err = c.Get(s.url(path))
		if err != nil {
			s.t.Fatal(err)
		}
		if resp.StatusCode != http.StatusSeeOther {
			break
		}
		body(s.t, resp)
		path = resp.Header.Get("Location")
	}
	html := body(s.t, resp)
	return csrfOf(s.t, html)
}

func TestSignInRedirects(t *testing.T) {
	s := newSite(t)
	c := s.client()
	for _, path := range []string{"/ui/", "/ui/t/acme/settings", "/ui/ledger?reason=retention_sweep"} {
		resp, err := c.Get(s.url(path))
		if err != nil {
			t.Fatal(err)
		}
		body(t, resp)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/ui/signin") {
			t.Errorf("GET %s without a session: %d to %q, want 303 to the sign-in page", path, resp.StatusCode, loc)
		}
		if path != "/ui/" && !strings.Contains(loc, "next="+url.QueryEscape(path)) {
			t.Errorf("GET %s: sign-in address %q does not lead back to the page", path, loc)
		}
	}

	// A POST without a session is sent to sign in, and changes nothing.
	resp, err := c.PostForm(s.url("/ui/t/acme/holds"), url.Values{"reason": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	body(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("POST without a session: %d, want 303", resp.StatusCode)
	}

	// A wrong token is refused on the form, with no session.
	resp, err = c.Get(s.url("/ui/signin"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = c.PostForm(s.url("/ui/signin"), url.Values{"csrf": {csrfOf(t, body(t, resp))}, "token": {"lethe_wrong"}})
	if err != nil {
		t.Fatal(err)
	}
	if html := body(t, resp); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(html, "unknown or revoked") {
		t.Errorf("a wrong token: %d, want 401 with the reason", resp.StatusCode)
	}

	// A good one sets a strict, HttpOnly session cookie and goes where
	// the visitor was going; "next" never leaves the UI.
	resp, err = c.Get(s.url("/ui/signin?next=/ui/t/acme/holds"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err = c.PostForm(s.url("/ui/signin"), url.Values{"csrf": {csrfOf(t, body(t, resp))}, "token": {s.tokens["acme-admin"]}, "next": {"/ui/t/acme/holds"}})
	if err != nil {
		t.Fatal(err)
	}
	body(t, resp)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/ui/t/acme/holds" {
		t.Errorf("sign in: %d to %q, want 303 to /ui/t/acme/holds", resp.StatusCode, loc)
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "lethe_session" {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/ui/" {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/ui/", session)
	}

	resp, err = c.Get(s.url("/ui/signin?next=//evil.example/"))
	if err != nil {
		t.Fatal(err)
	}
	html := body(t, resp)
	if strings.Contains(html, "evil.example") {
		t.Error("the sign-in form carries a next address outside the UI")
	}

	// A scoped token's start page is its tenant.
	resp, err = c.Get(s.url("/ui/"))
	if err != nil {
		t.Fatal(err)
	}
	body(t, resp)
	if loc := resp.Header.Get("Location"); loc != "/ui/t/acme/" {
		t.Errorf("start page of an acme token: to %q, want /ui/t/acme/", loc)
	}
}

func TestSecureCookie(t *testing.T) {
	s := newSite(t)
	h := ui.New(ui.Config{Engine: s.e, Requests: s.store, Auth: tokens.New(s.d), Now: func() time.Time { return now }, Secure: true, Prefix: "/admin"})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/admin/signin", nil))
	resp := rec.Result()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin/signin: %d", resp.StatusCode)
	}
	ck := resp.Cookies()
	if len(ck) != 1 || !ck[0].Secure || !ck[0].HttpOnly || ck[0].Path != "/admin/" {
		t.Errorf("cookies %+v: want one Secure, HttpOnly cookie under /admin/", ck)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

func TestCSRF(t *testing.T) {
	s := newSite(t)
	c := s.client()
	token := s.signIn(c, "acme-admin")
	count := func() int {
		hs, err := s.e.Holds(ctx, "acme", false)
		if err != nil {
			t.Fatal(err)
		}
		return len(hs)
	}
	before := count()
	post := func(form url.Values, header http.Header) int {
		req, _ := http.NewRequest("POST", s.url("/ui/t/acme/holds"), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body(t, resp)
		return resp.StatusCode
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		header http.Header
		want   int
	}{
		{"no token", url.Values{"reason": {"matter 1"}}, nil, http.StatusForbidden},
		{"wrong token", url.Values{"reason": {"matter 1"}, "csrf": {"AAAA" + token[4:]}}, nil, http.StatusForbidden},
		{"another session's token", url.Values{"reason": {"matter 1"}, "csrf": {s.signIn(s.client(), "root")}}, nil, http.StatusForbidden},
		{"cross-site, with the token", url.Values{"reason": {"matter 1"}, "csrf": {token}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
		{"foreign origin, with the token", url.Values{"reason": {"matter 1"}, "csrf": {token}}, http.Header{"Origin": {"https://evil.example"}}, http.StatusForbidden},
	} {
		if got := post(tc.form, tc.header); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
	if n := count(); n != before {
		t.Fatalf("refused forms added %d holds", n-before)
	}
	if got := post(url.Values{"reason": {"matter 1"}, "csrf": {token}}, http.Header{"Sec-Fetch-Site": {"same-origin"}}); got != http.StatusSeeOther {
		t.Errorf("the page's own form: status %d, want 303", got)
	}
	if n := count(); n != before+1 {
		t.Errorf("the page's own form added %d holds, want 1", n-before)
	}

	// The sign-in form has its own token, bound to a cookie of its own.
	resp, err := s.client().PostForm(s.url("/ui/signin"), url.Values{"token": {s.tokens["root"]}})
	if err != nil {
		t.Fatal(err)
	}
	body(t, resp)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign in without the form's token: %d, want 403", resp.StatusCode)
	}
}

func TestRolesAndTenants(t *testing.T) {
	s := newSite(t)
	get := func(c *http.Client, path string) (int, string) {
		resp, err := c.Get(s.url(path))
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, body(t, resp)
	}
	globex := s.client()
	s.signIn(globex, "globex-admin")
	for _, path := range []string{"/ui/t/acme/", "/ui/t/acme/settings", "/ui/t/acme/requests", "/ui/t/acme/holds", "/ui/ledger?tenant=acme", "/ui/evidence?tenant=acme", "/ui/evidence.csv?tenant=acme"} {
		if code, html := get(globex, path); code != http.StatusNotFound || strings.Contains(html, "acme-admin") {
			t.Errorf("globex token, GET %s: %d, want 404", path, code)
		}
	}
	if code, _ := get(globex, "/ui/t/globex/settings"); code != http.StatusOK {
		t.Errorf("globex token on its own settings: %d", code)
	}

	auditor := s.client()
	token := s.signIn(auditor, "acme-auditor")
	if code, html := get(auditor, "/ui/t/acme/settings"); code != http.StatusOK || strings.Contains(html, `id="save-button"`) {
		t.Errorf("auditor on settings: %d; the page must read without a save button", code)
	}
	resp, err := auditor.PostForm(s.url("/ui/t/acme/settings"), url.Values{"csrf": {token}, "do": {"save"}, "n:user.deactivate": {"7"}, "u:user.deactivate": {"months"}})
	if err != nil {
		t.Fatal(err)
	}
	if html := body(t, resp); resp.StatusCode != http.StatusForbidden || !strings.Contains(html, "may not change settings") {
		t.Errorf("auditor saving settings: %d, want 403", resp.StatusCode)
	}
	resp, err = auditor.PostForm(s.url("/ui/t/acme/holds"), url.Values{"csrf": {token}, "reason": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	body(t, resp)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("auditor adding a hold: %d, want 403", resp.StatusCode)
	}

	operator := s.client()
	s.signIn(operator, "acme-operator")
	if code, _ := get(operator, "/ui/ledger"); code != http.StatusForbidden {
		t.Errorf("operator reading the ledger: %d, want 403", code)
	}

	root := s.client()
	s.signIn(root, "root")
	code, html := get(root, "/ui/")
	if code != http.StatusOK || !strings.Contains(html, `href="/ui/t/globex/"`) || !strings.Contains(html, `href="/ui/t/umbrella/"`) {
		t.Errorf("platform admin's tenant list: %d\n%s", code, html)
	}
	// Every page reads without a script: the server renders all of it.
	for _, path := range []string{"/ui/t/initech/", "/ui/t/initech/settings", "/ui/t/initech/requests", "/ui/t/initech/holds",
		"/ui/ledger", "/ui/ledger?tenant=initech&reason=retention_sweep&since=2024-01-01&until=2024-06-03", "/ui/evidence", "/ui/evidence.csv"} {
		if code, html := get(root, path); code != http.StatusOK || strings.Contains(html, "went wrong") {
			t.Errorf("platform admin, GET %s: %d", path, code)
		}
	}
	if code, html := get(root, "/ui/ledger?since=yesterday"); code != http.StatusUnprocessableEntity || !strings.Contains(html, "write a date as YYYY-MM-DD") {
		t.Errorf("a bad date: %d, want 422 with the reason", code)
	}
}
