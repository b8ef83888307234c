package lethehttp_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"lethe/demo"
	"lethe/dialect"
	"lethe/dialect/dialecttest"
	"lethe/engine"
	"lethe/examples"
	lethehttp "lethe/http"
	"lethe/ledger"
	"lethe/policy"
	"lethe/requests"
	"lethe/tokens"
)

var ctx = context.Background()

// now is the time of every test: the demo data is dated relative to it,
// and the server's clock stands still there.
var now = time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)

// env is one server over a populated demo database.
type env struct {
	t      testing.TB
	url    string
	d      dialect.Dialect
	e      *engine.Engine
	tokens map[string]string // token name -> secret
	client *http.Client
}

// The tokens every test has: a role and a tenant each ("" for unscoped).
var tokenSpecs = []struct{ name, role, tenant string }{
	{"platform", "platform-admin", ""},
	{"acme-admin", "admin", "acme"},
	{"acme-operator", "operator", "acme"},
	{"acme-auditor", "auditor", "acme"},
	{"globex-admin", "admin", "globex"},
	{"globex-operator", "operator", "globex"},
	{"globex-auditor", "auditor", "globex"},
	{"all-auditor", "auditor", ""},
}

func newEnv(t testing.TB, h dialecttest.Harness, rows int) *env {
	t.Helper()
	d := h.Open(t)
	dialecttest.CreateSaaSSchema(t, h, d)
	if _, err := demo.Populate(ctx, d, demo.Options{Rows: rows, Seed: 1, Now: now}); err != nil {
		t.Fatal(err)
	}
	return serve(t, d)
}

func serve(t testing.TB, d dialect.Dialect) *env {
	t.Helper()
	p, err := policy.Load("saas.yaml", examples.SaaS)
	if err != nil {
		t.Fatal(err)
	}
	p.ArchiveDir = t.TempDir() // never the source tree
	e, err := engine.New(ctx, p, d, engine.Config{Secret: []byte("lethe-http-test-secret")})
	if err != nil {
		t.Fatal(err)
	}
	store := tokens.New(d)
	env := &env{t: t, d: d, e: e, tokens: map[string]string{}, client: &http.Client{Timeout: time.Minute}}
	for _, s := range tokenSpecs {
		var tenant *string
		if s.tenant != "" {
			tenant = &s.tenant
		}
		_, secret, err := store.Create(ctx, tokens.Role(s.role), tenant, s.name)
		if err != nil {
			t.Fatal(err)
		}
		env.tokens[s.name] = secret
	}
	srv, err := lethehttp.New(ctx, lethehttp.Config{Engine: e, Tokens: store, Requests: requests.New(e), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	env.url = ts.URL
	return env
}

// call sends a request as the named token ("" for none) and returns the
// status and body.
func (e *env) call(method, path, token string, body any) (int, []byte) {
	e.t.Helper()
	resp := e.do(method, path, token, body)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, b
}

func (e *env) do(method, path, token string, body any) *http.Response {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.url+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch token {
	case "":
	case "bogus":
		req.Header.Set("Authorization", "Bearer lethe_not-a-token")
	default:
		secret, ok := e.tokens[token]
		if !ok {
			e.t.Fatalf("no token %q", token)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// must calls and decodes a response that must have status want.
func (e *env) must(want int, method, path, token string, body, out any) {
	e.t.Helper()
	status, b := e.call(method, path, token, body)
	if status != want {
		e.t.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, token, status, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// TestAccess is the table of (token, endpoint) -> status: every endpoint,
// every role, and the tenant boundary, where another tenant is a 404.
func TestAccess(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		e := newEnv(t, h, 100)
		// What the table acts on: an acme request and a hold on one acme
		// subject (not the tenant: erasures must stay possible).
		var req requests.Request
		e.must(201, "POST", "/v1/requests", "acme-operator", map[string]any{"kind": "erasure", "subject": "contact:c_81", "tenant": "acme", "requester": "C. Eighty-One"}, &req)
		var hold engine.Hold
		e.must(201, "POST", "/v1/holds", "acme-admin", map[string]any{"subject": "user:999999", "reason": "matter 7"}, &hold)
		r, hd := fmt.Sprint(req.ID), fmt.Sprint(hold.ID)

		settings := map[string]any{"key": "identity_events.retention", "period": "12 months"}
		dry := map[string]any{"tenant": "acme", "dry_run": true}
		erase := map[string]any{"subject": "contact:c_81", "tenant": "acme", "dry_run": true}
		holdBody := map[string]any{"tenant": "acme", "reason": "audit"}
		suppressed := map[string]any{"tenant": "acme", "value": "someone@example.com"}
		extend := map[string]any{"by": "10 days", "reason": "complex"}
		tests := []struct {
			method, path string
			body         any
			want         map[string]int // token -> status
		}{
			{"GET", "/v1/tenants/acme/settings", nil, map[string]int{"": 401, "bogus": 401, "platform": 200, "acme-admin": 200, "acme-operator": 200, "acme-auditor": 200, "globex-admin": 404, "globex-auditor": 404, "all-auditor": 200}},
			{"PUT", "/v1/tenants/acme/settings", settings, map[string]int{"": 401, "platform": 200, "acme-admin": 200, "acme-operator": 403, "acme-auditor": 403, "globex-admin": 404, "all-auditor": 403}},
			{"GET", "/v1/plan?tenant=acme", nil, map[string]int{"": 401, "platform": 200, "acme-admin": 200, "acme-auditor": 200, "acme-operator": 403, "globex-auditor": 404, "globex-admin": 404, "all-auditor": 200}},
			{"GET", "/v1/plan", nil, map[string]int{"acme-auditor": 200, "acme-operator": 403}},
			{"POST", "/v1/sweeps", dry, map[string]int{"": 401, "platform": 200, "acme-admin": 200, "acme-operator": 403, "acme-auditor": 403, "globex-admin": 404, "all-auditor": 403}},
			{"GET", "/v1/subjects/contact/c_81/export?tenant=acme", nil, map[string]int{"": 401, "platform": 200, "acme-operator": 200, "acme-admin": 403, "acme-auditor": 403, "globex-operator": 404}},
			{"GET", "/v1/subjects/contact/c_81/export", nil, map[string]int{"acme-operator": 200, "globex-operator": 404}},
			{"GET", "/v1/subjects/contact/no-such/export?tenant=acme", nil, map[string]int{"acme-operator": 404}},
			{"POST", "/v1/erasures", erase, map[string]int{"": 401, "platform": 200, "acme-operator": 200, "acme-admin": 403, "acme-auditor": 403, "globex-operator": 404}},
			{"POST", "/v1/suppressed", suppressed, map[string]int{"": 401, "platform": 200, "acme-operator": 200, "acme-auditor": 403, "acme-admin": 403, "globex-operator": 404}},
			{"GET", "/v1/requests?tenant=acme", nil, map[string]int{"": 401, "platform": 200, "acme-operator": 200, "acme-admin": 200, "acme-auditor": 200, "globex-operator": 404, "globex-auditor": 404}},
			{"GET", "/v1/requests/" + r, nil, map[string]int{"platform": 200, "acme-operator": 200, "acme-auditor": 200, "globex-operator": 404, "globex-auditor": 404, "all-auditor": 200}},
			{"GET", "/v1/requests/999999", nil, map[string]int{"acme-operator": 404}},
			{"POST", "/v1/requests/" + r + "/extend", extend, map[string]int{"": 401, "acme-auditor": 403, "acme-admin": 403, "globex-operator": 404, "acme-operator": 200, "platform": 200}},
			{"POST", "/v1/requests/" + r + "/verify", map[string]any{}, map[string]int{"acme-auditor": 403, "globex-operator": 404, "acme-operator": 200}},
			{"POST", "/v1/requests/" + r + "/verify", map[string]any{}, map[string]int{"platform": 409}}, // verified already
			{"POST", "/v1/requests/" + r + "/fulfil", nil, map[string]int{"acme-admin": 403, "globex-operator": 404}},
			{"POST", "/v1/requests/" + r + "/close", nil, map[string]int{"globex-operator": 404, "acme-operator": 409}}, // not completed
			{"POST", "/v1/requests/" + r + "/reject", map[string]any{"reason": "x"}, map[string]int{"globex-operator": 404, "acme-auditor": 403}},
			{"POST", "/v1/requests", map[string]any{"kind": "access", "subject": "contact:c_81", "tenant": "acme", "requester": "x"}, map[string]int{"": 401, "acme-auditor": 403, "acme-admin": 403, "globex-operator": 404, "platform": 201}},
			{"GET", "/v1/ledger?tenant=acme", nil, map[string]int{"": 401, "platform": 200, "acme-admin": 200, "acme-auditor": 200, "acme-operator": 403, "globex-auditor": 404, "all-auditor": 200}},
			{"GET", "/v1/ledger/verify", nil, map[string]int{"": 401, "platform": 200, "acme-auditor": 200, "acme-admin": 200, "acme-operator": 403}},
			{"POST", "/v1/holds", holdBody, map[string]int{"": 401, "acme-operator": 403, "acme-auditor": 403, "globex-admin": 404}},
			{"GET", "/v1/holds?tenant=acme", nil, map[string]int{"": 401, "platform": 200, "acme-admin": 200, "acme-operator": 200, "acme-auditor": 200, "globex-admin": 404}},
			{"DELETE", "/v1/holds/" + hd, nil, map[string]int{"": 401, "globex-admin": 404, "acme-operator": 403, "acme-auditor": 403}},
			{"DELETE", "/v1/holds/" + hd, nil, map[string]int{"acme-admin": 204}},
			{"DELETE", "/v1/holds/" + hd, nil, map[string]int{"acme-admin": 404, "platform": 404}},
			{"GET", "/healthz", nil, map[string]int{"": 200}},
			{"GET", "/readyz", nil, map[string]int{"": 200}},
			{"GET", "/metrics", nil, map[string]int{"": 200}},
			{"GET", "/v1/openapi.json", nil, map[string]int{"": 200}},
		}
		for _, tt := range tests {
			for _, s := range tokenSpecs { // a stable order: map order would shuffle state changes
				checkAccess(t, e, tt.method, tt.path, s.name, tt.body, tt.want)
			}
			for _, tok := range []string{"", "bogus"} {
				checkAccess(t, e, tt.method, tt.path, tok, tt.body, tt.want)
			}
		}
	})
}

func checkAccess(t *testing.T, e *env, method, path, token string, body any, want map[string]int) {
	t.Helper()
	status, ok := want[token]
	if !ok {
		return
	}
	got, b := e.call(method, path, token, body)
	if got != status {
		t.Errorf("%s %s as %q: status %d, want %d: %s", method, path, token, got, status, b)
		return
	}
	if got >= 400 {
		var ae apiError
		if err := json.Unmarshal(b, &ae); err != nil || ae.Code == "" || ae.Message == "" {
			t.Errorf("%s %s as %q: error body %s is not {code, message}", method, path, token, b)
		}
	}
}

// TestScopedTokenSeesItsTenantOnly checks that lists a scoped token reads
// hold its tenant's rows only, even when it names no tenant.
func TestScopedTokenSeesItsTenantOnly(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		e := newEnv(t, h, 60)
		e.must(200, "POST", "/v1/sweeps", "platform", map[string]any{"confirm": true}, nil)
		var plan struct {
			Rows []engine.PlanRow `json:"rows"`
		}
		e.must(200, "GET", "/v1/plan", "globex-auditor", nil, &plan)
		var led struct {
			Entries []lethehttp.Entry `json:"entries"`
		}
		e.must(200, "GET", "/v1/ledger", "globex-auditor", nil, &led)
		if len(plan.Rows) == 0 || len(led.Entries) == 0 {
			t.Fatalf("plan %d rows, ledger %d entries: want some", len(plan.Rows), len(led.Entries))
		}
		for _, r := range plan.Rows {
			if r.Tenant != "globex" {
				t.Errorf("globex's plan shows tenant %q", r.Tenant)
			}
		}
		for _, en := range led.Entries {
			if en.Tenant != "globex" {
				t.Errorf("globex's ledger shows tenant %q", en.Tenant)
			}
		}
		var all struct {
			Entries []lethehttp.Entry `json:"entries"`
		}
		e.must(200, "GET", "/v1/ledger", "all-auditor", nil, &all)
		if len(all.Entries) <= len(led.Entries) {
			t.Errorf("an unscoped auditor sees %d entries, globex's %d", len(all.Entries), len(led.Entries))
		}
	})
}

func TestSettings(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		e := newEnv(t, h, 20)
		var ae apiError
		e.must(422, "PUT", "/v1/tenants/acme/settings", "acme-admin", map[string]any{"key": "identity_events.retention", "period": "2 months"}, &ae)
		if ae.Code != "invalid" || !strings.Contains(ae.Message, "3 months") || !strings.Contains(ae.Message, "84 months") {
			t.Errorf("below the floor: %+v, want the bounds 3 months to 84 months in the message", ae)
		}
		e.must(422, "PUT", "/v1/tenants/acme/settings", "acme-admin", map[string]any{"key": "identity_events.retention", "period": "100 months"}, &ae)
		if !strings.Contains(ae.Message, "84 months") {
			t.Errorf("above the maximum: %+v", ae)
		}
		e.must(422, "PUT", "/v1/tenants/acme/settings", "acme-admin", map[string]any{"key": "no_such.retention", "period": "1 month"}, &ae)
		e.must(400, "PUT", "/v1/tenants/acme/settings", "acme-admin", map[string]any{"key": "identity_events.retention", "period": "soon"}, &ae)
		e.must(422, "PUT", "/v1/tenants/acme/settings", "acme-admin", map[string]any{"key": "identity_events.retention"}, &ae) // huma: period is required

		var got struct {
			Tenant   string              `json:"tenant"`
			Settings []lethehttp.Setting `json:"settings"`
		}
		e.must(200, "PUT", "/v1/tenants/acme/settings", "acme-admin", map[string]any{"key": "identity_events.retention", "period": "12 months"}, &got)
		found := false
		for _, s := range got.Settings {
			if s.Key == "identity_events.retention" {
				found = true
				if s.Period != "12 months" || !s.Overridden || s.Default != "24 months" || s.Posture != "gdpr-5-1-e" || *s.Min != "3 months" || *s.Max != "84 months" {
					t.Errorf("after PUT: %+v", s)
				}
			}
		}
		if !found {
			t.Fatalf("no identity_events.retention in %+v", got.Settings)
		}
		// The change is acme's only, and globex cannot even see acme's.
		e.must(200, "GET", "/v1/tenants/globex/settings", "globex-admin", nil, &got)
		for _, s := range got.Settings {
			if s.Key == "identity_events.retention" && s.Overridden {
				t.Errorf("globex sees acme's override: %+v", s)
			}
		}
		var rows []struct{ by string }
		q := "SELECT updated_by FROM lethe_tenant_settings WHERE tenant = " + e.d.Placeholder(1)
		dbRows, err := e.d.DB().QueryContext(ctx, q, "acme")
		if err != nil {
			t.Fatal(err)
		}
		for dbRows.Next() {
			var by string
			dbRows.Scan(&by)
			rows = append(rows, struct{ by string }{by})
		}
		dbRows.Close()
		if len(rows) != 1 || rows[0].by != "acme-admin" {
			t.Errorf("stored settings of acme record %v, want one by acme-admin", rows)
		}
	})
}

func TestSweepGuard(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		e := newEnv(t, h, 60)
		// A first sweep over years of demo history trips the guard.
		var ae apiError
		e.must(409, "POST", "/v1/sweeps", "platform", map[string]any{}, &ae)
		if ae.Code != "conflict" || !strings.Contains(ae.Message, "guard") || !strings.Contains(ae.Message, `"confirm": true`) {
			t.Errorf("guard: %+v", ae)
		}
		if n := len(entries(t, e, ledger.Filter{})); n != 0 {
			t.Fatalf("the guard stopped the run, yet the ledger has %d entries", n)
		}
		var res struct {
			RunID   string            `json:"run_id"`
			Entries []lethehttp.Entry `json:"entries"`
		}
		e.must(200, "POST", "/v1/sweeps", "platform", map[string]any{"confirm": true, "batch": 7}, &res)
		var rows int64
		for _, en := range res.Entries {
			rows += en.Rows
			if en.Actor != "platform" || en.Seq == 0 {
				t.Errorf("entry %+v: want actor platform, sealed", en)
			}
		}
		if rows == 0 || len(res.Entries) == 0 {
			t.Errorf("confirmed sweep: %d entries, %d rows", len(res.Entries), rows)
		}
		// A tenant admin's sweep is its tenant's only.
		e.must(200, "POST", "/v1/sweeps", "acme-admin", map[string]any{"confirm": true}, &res)
		for _, en := range res.Entries {
			if en.Tenant != "acme" || en.Actor != "acme-admin" {
				t.Errorf("acme's sweep wrote %+v", en)
			}
		}
		var v struct {
			OK      bool `json:"ok"`
			Entries int  `json:"entries"`
		}
		e.must(200, "GET", "/v1/ledger/verify", "acme-auditor", nil, &v)
		if !v.OK || v.Entries == 0 {
			t.Errorf("verify after sweeps: %+v", v)
		}
	})
}

func entries(t testing.TB, e *env, f ledger.Filter) []ledger.Entry {
	t.Helper()
	list, err := e.e.Ledger().List(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestExportStreamed(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		e := newEnv(t, h, 100)
		resp := e.do("GET", "/v1/subjects/contact/c_81/export?tenant=acme", "acme-operator", nil)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("export: %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
		// Streamed: no length known up front, sent in chunks.
		if resp.ContentLength != -1 || len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" {
			t.Errorf("export sent with Content-Length %d, Transfer-Encoding %v: want chunked", resp.ContentLength, resp.TransferEncoding)
		}
		var doc struct {
			Subject  string                       `json:"subject"`
			Tenant   string                       `json:"tenant"`
			Datasets map[string][]json.RawMessage `json:"datasets"`
			Manifest engine.ExportManifest        `json:"manifest"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("export is not JSON: %v", err)
		}
		if doc.Subject != "contact:c_81" || doc.Tenant != "acme" || len(doc.Datasets["contact"]) != 1 {
			t.Errorf("export: subject %q tenant %q, %d contact rows", doc.Subject, doc.Tenant, len(doc.Datasets["contact"]))
		}
		var events int64
		if err := e.d.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM identity_events WHERE contact_id = "+e.d.Placeholder(1), "c_81").Scan(&events); err != nil {
			t.Fatal(err)
		}
		if int64(len(doc.Datasets["identity_events"])) != events {
			t.Errorf("export holds %d identity events, the table %d", len(doc.Datasets["identity_events"]), events)
		}

		resp = e.do("GET", "/v1/subjects/contact/c_81/export?tenant=acme&format=zip", "acme-operator", nil)
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("zip export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("zip export: %v", err)
		}
		names := map[string]bool{}
		for _, f := range zr.File {
			names[f.Name] = true
		}
		if !names["manifest.json"] || !names["contact.json"] {
			t.Errorf("zip holds %v", names)
		}
	})
}

func TestErasure(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		e := newEnv(t, h, 100)
		var events int64
		if err := e.d.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM identity_events WHERE contact_id = "+e.d.Placeholder(1), "c_81").Scan(&events); err != nil {
			t.Fatal(err)
		}
		type erasure struct {
			Subject         string                  `json:"subject"`
			Tenant          string                  `json:"tenant"`
			Datasets        []engine.DatasetErasure `json:"datasets"`
			Rows            int64                   `json:"rows"`
			BackupsExpireBy *time.Time              `json:"backups_expire_by"`
			Entries         []lethehttp.Entry       `json:"entries"`
		}
		var res erasure
		e.must(200, "POST", "/v1/erasures", "acme-operator", map[string]any{"subject": "contact:c_81", "tenant": "acme", "actor": "admin_7", "reason": "ticket 1234"}, &res)
		counts := map[string]int64{}
		for _, d := range res.Datasets {
			counts[d.Dataset] = d.Rows
		}
		if counts["contact"] != 1 || counts["identity_events"] != events || res.Rows != 1+events {
			t.Errorf("erasure counts %v (rows %d), want contact 1 and identity_events %d", counts, res.Rows, events)
		}
		if res.BackupsExpireBy == nil || !res.BackupsExpireBy.Equal(now.AddDate(0, 0, 30)) {
			t.Errorf("backups_expire_by %v, want %v", res.BackupsExpireBy, now.AddDate(0, 0, 30))
		}
		for _, en := range res.Entries {
			if en.Actor != "acme-operator" || en.Reason != "dsr_erasure" || en.Tenant != "acme" || !strings.Contains(en.Note, "ticket 1234") || !strings.Contains(en.Note, "admin_7") {
				t.Errorf("ledger entry %+v", en)
			}
		}
		var left int64
		e.d.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM identity_events WHERE contact_id = "+e.d.Placeholder(1), "c_81").Scan(&left)
		if left != 0 {
			t.Errorf("%d identity events left", left)
		}
		// Erasing again finds nothing left and says so with zero counts.
		e.must(200, "POST", "/v1/erasures", "acme-operator", map[string]any{"subject": "contact:c_81", "tenant": "acme"}, &res)
		if res.Rows != 0 {
			t.Errorf("second erasure changed %d rows", res.Rows)
		}
		// A legal hold on the tenant stops an erasure: 409.
		e.must(201, "POST", "/v1/holds", "acme-admin", map[string]any{"reason": "litigation"}, nil)
		var ae apiError
		e.must(409, "POST", "/v1/erasures", "acme-operator", map[string]any{"subject": "contact:c_80", "tenant": "acme"}, &ae)
		if !strings.Contains(ae.Message, "legal hold") {
			t.Errorf("held erasure: %+v", ae)
		}
		e.must(400, "POST", "/v1/erasures", "acme-operator", map[string]any{"subject": "c_80", "tenant": "acme"}, &ae)
	})
}

// TestRequestWorkflow takes an erasure request through the API, each step
// recorded with the token's name.
func TestRequestWorkflow(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		e := newEnv(t, h, 100)
		var r requests.Request
		e.must(201, "POST", "/v1/requests", "acme-operator", map[string]any{"kind": "erasure", "subject": "contact:c_81", "requester": "Jo Doe, jo@example.com"}, &r)
		if r.Tenant != "acme" || r.Status != requests.Received || !r.DueAt.Equal(now.AddDate(0, 0, 30)) {
			t.Fatalf("opened %+v", r)
		}
		id := fmt.Sprint(r.ID)
		var ae apiError
		e.must(409, "POST", "/v1/requests/"+id+"/fulfil", "acme-operator", nil, &ae) // not verified yet
		e.must(200, "POST", "/v1/requests/"+id+"/verify", "acme-operator", map[string]any{"method": "operator"}, &r)
		e.must(200, "POST", "/v1/requests/"+id+"/fulfil", "acme-operator", nil, &r)
		if r.Status != requests.Completed || len(r.Result) == 0 {
			t.Fatalf("fulfilled: %+v", r)
		}
		e.must(200, "POST", "/v1/requests/"+id+"/close", "platform", nil, &r)
		var hist struct {
			Request requests.Request `json:"request"`
			Events  []requests.Event `json:"events"`
		}
		e.must(200, "GET", "/v1/requests/"+id, "acme-auditor", nil, &hist)
		if hist.Request.Requester != "" {
			t.Errorf("an auditor sees the requester %q", hist.Request.Requester)
		}
		want := []string{"opened:acme-operator", "verified:acme-operator", "started:acme-operator", "completed:acme-operator", "closed:platform"}
		var got []string
		for _, ev := range hist.Events {
			got = append(got, ev.Event+":"+ev.Actor)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("history %v, want %v", got, want)
		}
		var list struct {
			Requests []requests.Request `json:"requests"`
		}
		e.must(200, "GET", "/v1/requests?status=closed", "acme-operator", nil, &list)
		if len(list.Requests) != 1 || list.Requests[0].Requester != "Jo Doe, jo@example.com" {
			t.Errorf("closed requests: %+v", list.Requests)
		}
		e.must(200, "GET", "/v1/requests", "globex-operator", nil, &list)
		if len(list.Requests) != 0 {
			t.Errorf("globex sees %d of acme's requests", len(list.Requests))
		}
	})
}

// TestOpenAPI checks the document lists every operation the server has,
// with the bearer scheme, and that huma's own checks answer {code,
// message}.
func TestOpenAPI(t *testing.T) {
	d := dialecttest.Harnesses()[0].Open(t)
	dialecttest.CreateSaaSSchema(t, dialecttest.Harnesses()[0], d)
	e := serve(t, d)
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			SecuritySchemes map[string]any `json:"securitySchemes"`
		} `json:"components"`
	}
	e.must(200, "GET", "/v1/openapi.json", "", nil, &doc)
	if doc.OpenAPI != "3.1.0" || doc.Components.SecuritySchemes["bearer"] == nil {
		t.Errorf("openapi %q, security schemes %v", doc.OpenAPI, doc.Components.SecuritySchemes)
	}
	want := map[string][]string{
		"/v1/tenants/{tenant}/settings":   {"get", "put"},
		"/v1/plan":                        {"get"},
		"/v1/sweeps":                      {"post"},
		"/v1/subjects/{kind}/{id}/export": {"get"},
		"/v1/erasures":                    {"post"},
		"/v1/suppressed":                  {"post"},
		"/v1/requests":                    {"get", "post"},
		"/v1/requests/{id}":               {"get"},
		"/v1/requests/{id}/verify":        {"post"},
		"/v1/requests/{id}/fulfil":        {"post"},
		"/v1/requests/{id}/close":         {"post"},
		"/v1/requests/{id}/extend":        {"post"},
		"/v1/requests/{id}/reject":        {"post"},
		"/v1/ledger":                      {"get"},
		"/v1/ledger/verify":               {"get"},
		"/v1/holds":                       {"get", "post"},
		"/v1/holds/{id}":                  {"delete"},
		"/healthz":                        {"get"},
		"/readyz":                         {"get"},
	}
	for path, methods := range want {
		for _, m := range methods {
			op, ok := doc.Paths[path][m]
			if !ok {
				t.Errorf("the document has no %s %s", m, path)
				continue
			}
			if strings.HasPrefix(path, "/v1/") && op["security"] == nil {
				t.Errorf("%s %s has no security requirement", m, path)
			}
		}
	}
	if len(doc.Paths) != len(want) {
		t.Errorf("the document has %d paths, want %d", len(doc.Paths), len(want))
	}
	var ae apiError
	e.must(422, "POST", "/v1/erasures", "platform", map[string]any{"subject": "contact:c_81", "unknown": 1}, &ae)
	if ae.Code != "invalid" || ae.Message == "" {
		t.Errorf("huma's validation error: %+v", ae)
	}
	e.must(422, "GET", "/v1/requests/abc", "platform", nil, &ae)
}

// TestReadyz: ready while Lethe's migrations are all applied; 503 with the
// reason once one is missing (here: its record removed, as a rollback or
// an older replica's schema would leave it).
func TestReadyz(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		e := newEnv(t, h, 20)
		if code, body := e.call("GET", "/readyz", "", nil); code != http.StatusOK {
			t.Fatalf("/readyz = %d %s", code, body)
		}
		db := e.d.DB()
		if _, err := db.Exec("DELETE FROM lethe_migrations WHERE version_id = (SELECT v FROM (SELECT MAX(version_id) AS v FROM lethe_migrations) AS latest)"); err != nil {
			t.Fatal(err)
		}
		code, body := e.call("GET", "/readyz", "", nil)
		if code != http.StatusServiceUnavailable || !strings.Contains(string(body), "migrations of the lethe_* tables are pending") {
			t.Errorf("/readyz with a pending migration = %d %s", code, body)
		}
	})
}
