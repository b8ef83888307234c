package ui_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"lethe"
	"lethe/engine"
	"lethe/ledger"
	"lethe/requests"
)

const chromium = "/usr/bin/chromium"

// screenshotsEnv names a directory that keeps the screenshots after the
// tests (they go to the test's temp dir otherwise).
const screenshotsEnv = "LETHE_UI_SCREENSHOTS"

// browser is a headless Chromium on one tab, driving the site.
type browser struct {
	t   *testing.T
	s   *site
	ctx context.Context
	dir string
}

func newBrowser(t *testing.T, s *site) *browser {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("the browser tests need %s (apt-get install chromium; CI installs it): %v", chromium, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	bctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(bctx); err != nil { // start the browser, with no timeout
		t.Fatalf("start %s: %v", chromium, err)
	}
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "screenshots")
	}
	dir = filepath.Join(dir, t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return &browser{t: t, s: s, ctx: bctx, dir: dir}
}

func (b *browser) timeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, 30*time.Second)
}

// open loads a page of the site and returns its status.
func (b *browser) open(path string) int64 {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.s.url(path)))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	return resp.Status
}

// submit clicks a form's button and returns the status of the page it
// leads to (after any redirect).
func (b *browser) submit(sel string) int64 {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
	return resp.Status
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// text is the text an element shows.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.Join(strings.Fields(s), " ")
}

func (b *browser) eval(js string) string {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return s
}

func (b *browser) count(sel string) int {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
	if err != nil {
		b.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

// typeInto replaces a field's value by typing, as a person would, so the
// page's scripts see each key.
func (b *browser) typeInto(sel, value string) {
	b.t.Helper()
	b.do("type into "+sel,
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf("document.querySelector(%q).value = ''", sel)),
		chromedp.SendKeys(chromedp.CSS(sel), value))
}

func (b *browser) choose(sel, value string) {
	b.t.Helper()
	b.do("choose "+value+" in "+sel, chromedp.SetValue(chromedp.CSS(sel), value))
}

func (b *browser) wantText(sel, want string) {
	b.t.Helper()
	if got := b.text(sel); !strings.Contains(got, want) {
		b.t.Errorf("%s shows %q, want it to contain %q", sel, got, want)
	}
}

// shot saves a screenshot of the whole page.
func (b *browser) shot(name string) {
	b.t.Helper()
	ctx, cancel := b.timeout()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// signIn signs in through the form, with the named token.
func (b *browser) signIn(name string) {
	b.t.Helper()
	if got := b.open("/ui/"); got != http.StatusOK {
		b.t.Fatalf("the sign-in page: status %d", got)
	}
	b.wantText("h1", "Sign in")
	b.shot("signin")
	b.typeInto("#token", b.s.tokens[name])
	if got := b.submit("#signin-button"); got != http.StatusOK {
		b.t.Fatalf("sign in as %s: status %d", name, got)
	}
	b.wantText("#who-name", name)
}

func TestBrowserSettings(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t, s)
	b.signIn("acme-admin")
	b.wantText("#tenant-name", "acme")
	b.wantText("h1", "Overview")
	b.shot("overview")

	b.open("/ui/t/acme/settings")
	b.wantText("h1", "Retention settings")
	b.wantText("#irreversible", "Anonymization and deletion cannot be undone.")
	b.wantText("#p-user-deactivate-posture", "aligned") // 6 months
	b.wantText("#row-p-identity_events-retention .bounds", "3 months to 84 months")
	b.wantText("#p-participant-delete-posture", "gdpr-5-1-e") // 1 year
	b.shot("settings")

	// Preview with the current values, then with a shorter deactivation.
	if got := b.submit("#preview-button"); got != http.StatusOK {
		t.Fatalf("preview: status %d", got)
	}
	before := b.text("#preview-sentence")
	if !strings.HasPrefix(before, "No value changed") {
		t.Errorf("preview of unchanged values says %q", before)
	}

	b.typeInto("#p-user-deactivate", "2")
	b.wantText("#p-user-deactivate-posture", "reduced") // by the page's script, before any request
	b.choose("#p-user-deactivate-unit", "years")
	b.do("change event", chromedp.Evaluate[chromedp.Void](`document.querySelector("#p-user-deactivate-unit").dispatchEvent(new Event("change"))`))
	b.wantText("#p-user-deactivate-posture", "gdpr-5-1-e")
	b.choose("#p-user-deactivate-unit", "months")
	b.do("change event", chromedp.Evaluate[chromedp.Void](`document.querySelector("#p-user-deactivate-unit").dispatchEvent(new Event("change"))`))
	b.wantText("#p-user-deactivate-posture", "reduced")
	b.typeInto("#p-user-deactivate", "0")
	b.wantText("#p-user-deactivate-posture", "off")
	b.typeInto("#p-user-deactivate", "2")

	if got := b.submit("#preview-button"); got != http.StatusOK {
		t.Fatalf("preview: status %d", got)
	}
	after := b.text("#preview-sentence")
	plan, err := s.e.PlanWith(ctx, "acme", now, map[string]lethe.Period{"user.deactivate": {N: 2, Unit: lethe.Months}})
	if err != nil {
		t.Fatal(err)
	}
	var deactivate int64
	for _, r := range plan {
		if r.Dataset == "user" && r.Stage == "deactivate" {
			deactivate = r.Rows
		}
	}
	if want := fmt.Sprintf("Saving this would deactivate %d users", deactivate); deactivate < 2 || !strings.HasPrefix(after, want) || after == before {
		t.Errorf("preview of deactivation after 2 months says %q, want it to start %q (before: %q)", after, want, before)
	}
	b.wantText("#preview-current", "With the current values, the next sweep would")
	b.wantText("#p-user-deactivate-posture", "reduced") // as the server labels it
	if v := b.eval(`document.querySelector("#p-user-deactivate").value`); v != "2" {
		t.Errorf("the preview kept the deactivation at %q, want the proposed 2", v)
	}
	b.shot("settings-preview")

	// Out of bounds: refused, with the reason beside the field, and
	// nothing saved.
	b.typeInto("#p-identity_events-retention", "100")
	if got := b.submit("#save-button"); got != http.StatusUnprocessableEntity {
		t.Errorf("saving 100 months of identity events: status %d, want 422", got)
	}
	b.wantText("#p-identity_events-retention-err", "100 months is above the maximum of 84 months")
	b.wantText("#error", "1 value cannot be saved")
	b.shot("settings-out-of-bounds")
	if set, _ := s.e.Settings(ctx, "acme"); overridden(set) != 0 {
		t.Errorf("a refused form saved %d settings", overridden(set))
	}

	// Within bounds, both values are saved.
	b.typeInto("#p-identity_events-retention", "36")
	if got := b.submit("#save-button"); got != http.StatusOK {
		t.Errorf("save: status %d", got)
	}
	b.wantText("#flash", "2 values saved.")
	b.wantText("#row-p-user-deactivate .meta", "this tenant has its own value")
	if v := b.eval(`document.querySelector("#p-identity_events-retention").value`); v != "36" {
		t.Errorf("identity events retention shows %q after saving 36", v)
	}
	if set, _ := s.e.Settings(ctx, "acme"); overridden(set) != 2 {
		t.Errorf("%d settings overridden after saving two", overridden(set))
	}

	// Holds: add one on a subject, see it, remove it.
	b.open("/ui/t/acme/holds")
	b.wantText("#no-holds", "No holds stand")
	b.choose("#h-kind", "user")
	b.typeInto("#h-key", "42")
	b.typeInto("#h-reason", "Matter 7: Doe v. Acme")
	if got := b.submit("#hold-button"); got != http.StatusOK {
		t.Errorf("add a hold: status %d", got)
	}
	b.wantText("#flash", "Hold added")
	b.wantText("#holds tbody tr", "user:42")
	b.wantText("#holds tbody tr", "Matter 7: Doe v. Acme")
	b.shot("holds")
	if got := b.submit("#holds tbody tr button"); got != http.StatusOK {
		t.Errorf("remove a hold: status %d", got)
	}
	b.wantText("#flash", "Hold removed.")
	b.wantText("#no-holds", "No holds stand")
}

func overridden(set []engine.Setting) int {
	n := 0
	for _, s := range set {
		if s.Overridden {
			n++
		}
	}
	return n
}

func TestBrowserErasure(t *testing.T) {
	s := newSite(t)
	// An old request, overdue now, that must head the queue.
	old, err := s.store.Open(ctx, requests.OpenInput{Kind: requests.Access, Subject: "user:1", Tenant: "acme", Requester: "R. Old", Actor: "intake", At: now.AddDate(0, 0, -40)})
	if err != nil {
		t.Fatal(err)
	}
	var user string
	if err := s.d.DB().QueryRowContext(ctx, "SELECT CAST(id AS TEXT) FROM users WHERE workspace_id = 'acme' AND active AND anonymized_at IS NULL ORDER BY id LIMIT 1").Scan(&user); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, s)
	b.signIn("acme-operator")
	b.open("/ui/t/acme/requests")
	b.choose("#kind", "erasure")
	b.choose("#subject_kind", "user")
	b.typeInto("#subject_key", user)
	b.typeInto("#requester", "Jane Doe, jane@example.com")
	if got := b.submit("#open-button"); got != http.StatusOK {
		t.Fatalf("open a request: status %d", got)
	}
	b.wantText("#flash", "Request opened.")
	b.wantText("#request-status", "received")
	b.wantText("#request-due", "2024-07-03") // 30 days

	b.open("/ui/t/acme/requests")
	b.wantText("#queue-summary", "1 overdue")
	b.wantText("#queue tbody tr:first-child", fmt.Sprintf("%d", old.ID))
	b.wantText("#queue tbody tr:first-child", "overdue")
	b.wantText("#queue tbody tr:nth-child(2)", "user:"+user)
	b.shot("requests")

	b.do("open the request", chromedp.Click(chromedp.CSS("#queue tbody tr:nth-child(2) a")), chromedp.WaitVisible(chromedp.CSS("#verify-form")))
	b.choose("#method", "operator")
	if got := b.submit("#verify-button"); got != http.StatusOK {
		t.Fatalf("verify: status %d", got)
	}
	b.wantText("#request-status", "verified")

	// The erasure needs its box ticked; the server refuses it without.
	b.do("drop the browser's check", chromedp.Evaluate[chromedp.Void](`document.querySelector("#confirm").required = false`))
	if got := b.submit("#fulfil-button"); got != http.StatusUnprocessableEntity {
		t.Errorf("fulfil without confirming: status %d, want 422", got)
	}
	b.wantText("#error", "cannot be undone")
	b.do("confirm", chromedp.Click(chromedp.CSS("#confirm")))
	if got := b.submit("#fulfil-button"); got != http.StatusOK {
		t.Fatalf("fulfil: status %d", got)
	}
	b.wantText("#flash", "Request fulfilled.")
	b.wantText("#request-status", "completed")

	// The page shows what the request recorded: rows per dataset and the
	// backups' expiry (30 days after the erasure).
	var id int64
	fmt.Sscan(strings.TrimPrefix(b.text("h1"), "Request "), &id)
	req, events, err := s.store.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	res := erasureResult(t, req)
	if res.Rows == 0 {
		t.Fatalf("the erasure of user:%s erased nothing", user)
	}
	b.wantText("#erasure-total", fmt.Sprintf("%d rows erased in tenant acme", res.Rows))
	for _, d := range res.Datasets {
		b.wantText(fmt.Sprintf("#erasure-datasets tr[data-dataset=%q]", d.Dataset), fmt.Sprintf("%s %s %d", d.Dataset, d.Action, d.Rows))
	}
	if n := b.count("#erasure-datasets tbody tr"); n != len(res.Datasets) {
		t.Errorf("the page lists %d datasets, the result %d", n, len(res.Datasets))
	}
	b.wantText("#backup-expiry", "expire by 2024-07-03")
	if n := b.count("#history tbody tr"); n != len(events) || n != 4 {
		t.Errorf("history shows %d events, the store has %d, want 4 (opened, verified, started, completed)", n, len(events))
	}
	b.wantText("#history tbody tr:last-child", "completed")
	b.shot("request-fulfilled")

	if got := b.submit("#close-button"); got != http.StatusOK {
		t.Errorf("close: status %d", got)
	}
	b.wantText("#request-status", "closed")

	// Extend the old one, with a reason.
	b.open(fmt.Sprintf("/ui/t/acme/requests/%d", old.ID))
	b.typeInto("#extend-reason", "several systems to search")
	if got := b.submit("#extend-button"); got != http.StatusOK {
		t.Errorf("extend: status %d", got)
	}
	b.wantText("#flash", "Due date extended.")
	b.wantText("#request-due", "2024-07-24") // due 2024-05-24, + 2 months
}

func TestBrowserLedger(t *testing.T) {
	s := newSite(t)
	// A request fulfilled within its deadline, for the evidence report.
	var contact string
	if err := s.d.DB().QueryRowContext(ctx, "SELECT id FROM contacts WHERE workspace_id = 'acme' ORDER BY id LIMIT 1").Scan(&contact); err != nil {
		t.Fatal(err)
	}
	r, err := s.store.Open(ctx, requests.OpenInput{Kind: requests.Erasure, Subject: "contact:" + contact, Tenant: "acme", Requester: "C. Missing", Actor: "intake", At: now.AddDate(0, 0, -10)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.Verify(ctx, r.ID, "op", requests.ByOperator, now.AddDate(0, 0, -9)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.Fulfil(ctx, r.ID, "op", now.AddDate(0, 0, -8), nil); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, s)
	b.signIn("acme-auditor")
	if got := b.open("/ui/ledger?tenant=acme"); got != http.StatusOK {
		t.Fatalf("ledger: status %d", got)
	}
	b.wantText("#chain-status", "Intact")
	all, err := s.e.Ledger().List(ctx, ledgerFilter("acme", ""))
	if err != nil {
		t.Fatal(err)
	}
	b.wantText("#ledger-count", fmt.Sprintf("%d entries", len(all)))
	if n := b.count("#chart rect"); n == 0 {
		t.Error("the chart draws no bar")
	}
	var removed int64
	for _, e := range all {
		switch e.Reason {
		case "lifecycle_delete", "retention_sweep", "purge_soft_deleted", "dsr_erasure":
			removed += e.Rows
		}
	}
	b.wantText("#chart-removed", fmt.Sprint(removed))
	b.shot("ledger")

	b.choose("#f-reason", "retention_sweep")
	b.choose("#f-dataset", "audit_logs")
	if got := b.submit("#filter-button"); got != http.StatusOK {
		t.Fatalf("filter: status %d", got)
	}
	sweeps, err := s.e.Ledger().List(ctx, ledgerFilter("acme", "retention_sweep"))
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, e := range sweeps {
		if e.Dataset == "audit_logs" {
			want++
		}
	}
	if n := b.count("#ledger-entries tbody tr"); n != want || n == 0 {
		t.Errorf("filtered ledger lists %d entries, want %d", n, want)
	}
	if got := b.eval(`[...document.querySelectorAll("#ledger-entries tbody tr td:nth-child(5)")].every(td => td.textContent === "retention_sweep") ? "yes" : "no"`); got != "yes" {
		t.Error("the filtered ledger lists entries of other reasons")
	}
	b.shot("ledger-filtered")

	// The evidence report of the last 90 days.
	if got := b.open("/ui/evidence?tenant=acme"); got != http.StatusOK {
		t.Fatalf("evidence: status %d", got)
	}
	b.wantText("#evidence-scope", "tenant acme, from 2024-03-06 to 2024-06-03")
	b.wantText("#chain-status", "Yes. Intact")
	b.wantText("#evidence-requests-summary", "1 request was fulfilled, 1 of them within their deadline")
	b.wantText("#evidence-requests tbody tr", "contact:"+contact)
	b.wantText("#evidence-requests tbody tr .in-time", "yes")
	if n := b.count("#evidence-runs tbody tr"); n != 3 { // two sweeps and the erasure
		t.Errorf("the report lists %d runs, want 3", n)
	}
	if n := b.count("#evidence-datasets tbody tr"); n == 0 {
		t.Error("the report lists no rows per dataset")
	}
	b.shot("evidence")

	// Printed, the page drops the navigation and the forms.
	b.do("print media", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return chromedp.Void{}, err
	})
	for _, sel := range []string{"header.top", "#evidence-filter"} {
		if d := b.eval(fmt.Sprintf(`getComputedStyle(document.querySelector(%q)).display`, sel)); d != "none" {
			t.Errorf("printed, %s is displayed as %q", sel, d)
		}
	}
	b.shot("evidence-print")
	b.do("screen media", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
		return chromedp.Void{}, err
	})

	// The CSV the page links to, fetched as a download would be.
	href := b.eval(`document.querySelector("#csv-link").href`)
	c := s.client()
	s.signIn(c, "acme-auditor")
	resp, err := c.Get(href)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "lethe-evidence-2024-03-06-to-2024-06-03-acme.csv") {
		t.Fatalf("CSV: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	records, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := "record,tenant,at,run_id,reason,dataset,rows,held,actor,request,subject,due_at,fulfilled_at,within_deadline,note"
	if len(records) == 0 || strings.Join(records[0], ",") != wantHeader {
		t.Fatalf("CSV header %v, want %s", records[0], wantHeader)
	}
	kinds := map[string]int{}
	var rows int64
	for _, rec := range records[1:] {
		kinds[rec[0]]++
		if rec[1] != "acme" {
			t.Errorf("CSV row of tenant %q in acme's report: %v", rec[1], rec)
		}
		if rec[0] == "entry" {
			var n int64
			fmt.Sscan(rec[6], &n)
			rows += n
		}
		if rec[0] == "request" && (rec[10] != "contact:"+contact || rec[13] != "yes") {
			t.Errorf("CSV request row %v: want contact:%s, within deadline", rec, contact)
		}
		if rec[0] == "chain" && rec[4] != "intact" {
			t.Errorf("CSV chain row %v: want intact", rec)
		}
	}
	var ledgerRows int64
	for _, e := range all {
		ledgerRows += e.Rows
	}
	if kinds["entry"] != len(all) || rows != ledgerRows || kinds["request"] != 1 || kinds["chain"] != 1 {
		t.Errorf("CSV has %v records and %d rows; the ledger %d entries and %d rows", kinds, rows, len(all), ledgerRows)
	}
}

func TestBrowserTenantScope(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t, s)
	b.signIn("globex-admin")
	b.wantText("#tenant-name", "globex")
	for _, path := range []string{"/ui/t/acme/settings", "/ui/t/acme/requests", "/ui/ledger?tenant=acme"} {
		if got := b.open(path); got != http.StatusNotFound {
			t.Errorf("globex admin opening %s: status %d, want 404", path, got)
		}
		b.wantText("h1", "Not Found")
		b.wantText("#error", "There is no such tenant.")
	}
	b.shot("other-tenant")
	if strings.Contains(b.text("body"), "acme") && !strings.Contains(b.text("body"), "There is no such tenant") {
		t.Error("the refusal shows acme's data")
	}

	// The platform admin picks any tenant.
	if got := b.submit(".who button"); got != http.StatusOK {
		t.Fatalf("sign out: status %d", got)
	}
	b.wantText("h1", "Sign in")
	b.signIn("root")
	b.wantText("#tenant-list", "acme")
	b.wantText("#tenant-list", "globex")
	b.shot("tenants")
	b.do("open acme", chromedp.Click(chromedp.CSS(`#tenant-list a[href="/ui/t/acme/"]`)), chromedp.WaitVisible(chromedp.CSS("#tenant-name")))
	b.wantText("#tenant-name", "acme")
}

func erasureResult(t *testing.T, r requests.Request) requests.ErasureResult {
	t.Helper()
	var res requests.ErasureResult
	if err := json.Unmarshal(r.Result, &res); err != nil {
		t.Fatalf("request %d result %s: %v", r.ID, r.Result, err)
	}
	return res
}

func ledgerFilter(tenant, reason string) ledger.Filter {
	return ledger.Filter{Tenant: tenant, Reason: reason}
}
