package engine

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"lethe"
	"lethe/dialect"
	"lethe/dialect/dialecttest"
)

// exportDoc is the JSON format of an export, as a reader sees it.
type exportDoc struct {
	ManifestVersion int                         `json:"manifest_version"`
	Subject         string                      `json:"subject"`
	Tenant          string                      `json:"tenant"`
	GeneratedAt     string                      `json:"generated_at"`
	Datasets        map[string][]map[string]any `json:"datasets"`
	Manifest        ExportManifest              `json:"manifest"`
}

func (f *fixture) export(req ExportRequest) (*ExportManifest, []byte, error) {
	f.t.Helper()
	if req.At.IsZero() {
		req.At = runAt
	}
	var buf bytes.Buffer
	m, err := f.e.Export(ctx, req, &buf)
	return m, buf.Bytes(), err
}

func parseExport(t *testing.T, b []byte) exportDoc {
	t.Helper()
	var doc exportDoc
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("the export is not one JSON document: %v\n%.2000s", err, b)
	}
	if dec.More() {
		t.Fatalf("the export holds more than one JSON document")
	}
	return doc
}

// exportIDs returns the "id" of each row, as text.
func exportIDs(rows []map[string]any) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, fmt.Sprint(r["id"]))
	}
	return out
}

func exportCounts(m *ExportManifest) []string {
	var out []string
	for _, ds := range m.Datasets {
		out = append(out, fmt.Sprintf("%s(%s)=%d", ds.Dataset, ds.Table, ds.Rows))
	}
	return out
}

func TestExportSubject(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		f.populate()

		m, b, err := f.export(ExportRequest{Kind: "user", ID: "4", Tenant: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"user(users)=1", "transactions(transactions)=1", "support_tickets(support_tickets)=1", "sessions(sessions)=0"}
		if got := exportCounts(m); !reflect.DeepEqual(got, want) {
			t.Errorf("manifest %v, want %v", got, want)
		}
		if m.Subject != "user:4" || m.Tenant != "acme" || !m.GeneratedAt.Equal(runAt) {
			t.Errorf("manifest %+v", m)
		}
		doc := parseExport(t, b)
		if doc.ManifestVersion != 1 || doc.Subject != "user:4" || doc.Tenant != "acme" || doc.GeneratedAt != "2024-04-01T00:00:00Z" {
			t.Errorf("header %d %q %q %q", doc.ManifestVersion, doc.Subject, doc.Tenant, doc.GeneratedAt)
		}
		if !reflect.DeepEqual(doc.Manifest, *m) {
			t.Errorf("manifest in the document %+v, returned %+v", doc.Manifest, *m)
		}
		for name, want := range map[string][]string{"user": {"4"}, "transactions": {"1"}, "support_tickets": {"1"}, "sessions": {}} {
			if got := exportIDs(doc.Datasets[name]); !reflect.DeepEqual(got, want) {
				t.Errorf("%s ids %v, want %v", name, got, want)
			}
		}
		if len(doc.Datasets) != 4 {
			t.Errorf("datasets %v", doc.Datasets)
		}
		// Values as stored: text, numbers, NULL, times in RFC 3339 UTC.
		u := doc.Datasets["user"][0]
		for col, want := range map[string]any{
			"email": "Dee@Example.com", "first_name": "Dee", "workspace_id": "acme", "account": "acct4", "note": "note about Dee",
			"anonymized_at": nil, "created_at": "2020-01-01T00:00:00Z", "deactivated_at": "2023-12-31T23:00:00Z", "last_login_at": "2023-01-01T00:00:00Z",
		} {
			if u[col] != want {
				t.Errorf("user.%s = %#v, want %#v", col, u[col], want)
			}
		}
		if fmt.Sprint(u["organisation_id"]) != "1" || len(u) != 13 {
			t.Errorf("user row %v", u)
		}
		tx := doc.Datasets["transactions"][0]
		if tx["performed_by_name"] != "Dee Dormant" || fmt.Sprint(tx["amount_cents"]) != "1000" || tx["created_at"] != "2023-05-01T00:00:00Z" {
			t.Errorf("transaction %v", tx)
		}
		if st := doc.Datasets["support_tickets"][0]; st["body"] != "Dee here, call me at +44 20 7946 0958" {
			t.Errorf("ticket %v", st)
		}

		// A chain: participant 1, its answer, the answer's metadata.
		m, b, err = f.export(ExportRequest{Kind: "participant", ID: "1", Tenant: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		want = []string{"participant(participants)=1", "answers(answers)=1", "answer_metadata(answer_metadata)=1"}
		if got := exportCounts(m); !reflect.DeepEqual(got, want) {
			t.Errorf("participant manifest %v, want %v", got, want)
		}
		doc = parseExport(t, b)
		if got := exportIDs(doc.Datasets["answer_metadata"]); !reflect.DeepEqual(got, []string{"1"}) || doc.Datasets["answer_metadata"][0]["value"] != "ios" {
			t.Errorf("answer_metadata %v", doc.Datasets["answer_metadata"])
		}
		if got := exportIDs(doc.Datasets["answers"]); !reflect.DeepEqual(got, []string{"1"}) {
			t.Errorf("answers %v", got)
		}

		// A text key: contact c_1 and its identity events.
		m, _, err = f.export(ExportRequest{Kind: "contact", ID: "c_1", Tenant: "acme"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := exportCounts(m), []string{"contact(contacts)=1", "identity_events(identity_events)=2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("contact manifest %v, want %v", got, want)
		}
	})
}

func TestExportTenantAndErrors(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		f.populate()
		// User 10 has no tenant (NULL): only the tenant "" reaches it.
		f.exec(`INSERT INTO users (id, workspace_id, first_name, active, created_at) VALUES (10, NULL, 'Noa', TRUE, '2020-01-01 00:00:00')`)
		f.exec(`INSERT INTO sessions (id, workspace_id, user_id, expires_at) VALUES ('s10', NULL, 10, '2024-05-01 00:00:00'), ('s8', 'globex', 8, '2024-05-01 00:00:00')`)

		for _, tc := range []struct {
			kind, id, tenant string
			code, msg        string
		}{
			{"user", "8", "acme", lethe.ENOTFOUND, "no user 8 in tenant acme"},
			{"user", "4", "globex", lethe.ENOTFOUND, "no user 4 in tenant globex"},
			{"user", "4", "", lethe.ENOTFOUND, "no user 4 without a tenant"},
			{"user", "10", "acme", lethe.ENOTFOUND, "no user 10 in tenant acme"},
			{"user", "42", "acme", lethe.ENOTFOUND, "no user 42 in tenant acme"},
			{"contact", "c_1", "globex", lethe.ENOTFOUND, "no contact c_1 in tenant globex"},
			{"ghost", "1", "acme", lethe.EINVALID, `no subject kind "ghost" in the policy: subjects are user, participant, contact`},
		} {
			var buf bytes.Buffer
			_, err := f.e.Export(ctx, ExportRequest{Kind: tc.kind, ID: tc.id, Tenant: tc.tenant, At: runAt}, &buf)
			if lethe.ErrorCode(err) != tc.code || lethe.ErrorMessage(err) != tc.msg {
				t.Errorf("%s:%s in %q: %v (%s), want %s %q", tc.kind, tc.id, tc.tenant, err, lethe.ErrorCode(err), tc.code, tc.msg)
			}
			if buf.Len() != 0 {
				t.Errorf("%s:%s in %q: a failed export wrote %q", tc.kind, tc.id, tc.tenant, buf.String())
			}
		}
		if _, err := f.e.Export(ctx, ExportRequest{Kind: "user", ID: "4", Tenant: "acme", Format: "xml"}, io.Discard); lethe.ErrorCode(err) != lethe.EINVALID {
			t.Errorf("format xml: %v", err)
		}

		m, b, err := f.export(ExportRequest{Kind: "user", ID: "8", Tenant: "globex"})
		if err != nil {
			t.Fatal(err)
		}
		doc := parseExport(t, b)
		if got := exportIDs(doc.Datasets["sessions"]); !reflect.DeepEqual(got, []string{"s8"}) || m.Datasets[0].Rows != 1 {
			t.Errorf("user 8 of globex: sessions %v, manifest %v", got, exportCounts(m))
		}
		m, b, err = f.export(ExportRequest{Kind: "user", ID: "10", Tenant: ""})
		if err != nil {
			t.Fatal(err)
		}
		doc = parseExport(t, b)
		if got := exportIDs(doc.Datasets["sessions"]); !reflect.DeepEqual(got, []string{"s10"}) || doc.Tenant != "" || doc.Datasets["user"][0]["workspace_id"] != nil {
			t.Errorf("user 10 without a tenant: %v, manifest %v", doc.Datasets, exportCounts(m))
		}
	})
}

// TestExportHostileIDs: a subject id is data, whatever it holds.
func TestExportHostileIDs(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		f.populate()
		before := f.dump()
		for _, kind := range []string{"user", "contact"} {
			for _, id := range []string{
				`1'; DROP TABLE users; --`, `4'; DROP TABLE users; --`, `c_1'; DROP TABLE contacts; --`, `4 OR 1=1`, `c_1' OR '1'='1`,
				`ü`, `"x"`, `4"`, `' OR ''='`, `4; DELETE FROM users`, `+4`, `04`, ` 4`, `4.0`, `0x4`, `c_1 `, `C_1%`, `c\_1`,
				"4\x00", "c_1\x00", "c_1\xff", "\xff", strings.Repeat("9", 40), "C_1", "c_1 ",
			} {
				var buf bytes.Buffer
				_, err := f.e.Export(ctx, ExportRequest{Kind: kind, ID: id, Tenant: "acme", At: runAt}, &buf)
				if lethe.ErrorCode(err) != lethe.ENOTFOUND || buf.Len() != 0 {
					t.Errorf("%s:%q: %v (%s), %d bytes written; want not found", kind, id, err, lethe.ErrorCode(err), buf.Len())
				}
			}
		}
		if after := f.dump(); !reflect.DeepEqual(before, after) {
			t.Errorf("the tables changed:\n%s\nwant:\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
		}
	})
}

func TestExportZip(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		f.populate()
		m, b, err := f.export(ExportRequest{Kind: "user", ID: "4", Tenant: "acme", Format: ExportZip})
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		files := map[string][]byte{}
		for _, zf := range zr.File {
			names = append(names, zf.Name)
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			files[zf.Name], _ = io.ReadAll(rc)
			rc.Close()
		}
		if want := []string{"user.json", "transactions.json", "support_tickets.json", "sessions.json", "manifest.json"}; !reflect.DeepEqual(names, want) {
			t.Fatalf("files %v, want %v", names, want)
		}
		var man struct {
			ManifestVersion int `json:"manifest_version"`
			ExportManifest
		}
		if err := json.Unmarshal(files["manifest.json"], &man); err != nil || man.ManifestVersion != 1 || !reflect.DeepEqual(man.ExportManifest, *m) {
			t.Errorf("manifest.json %s: %v", files["manifest.json"], err)
		}
		for _, ds := range m.Datasets {
			var rows []map[string]any
			if err := json.Unmarshal(files[ds.Dataset+".json"], &rows); err != nil || int64(len(rows)) != ds.Rows || rows == nil {
				t.Errorf("%s.json: %v, %d rows, manifest says %d:\n%s", ds.Dataset, err, len(rows), ds.Rows, files[ds.Dataset+".json"])
			}
		}
		var user []map[string]any
		json.Unmarshal(files["user.json"], &user)
		if len(user) != 1 || user[0]["email"] != "Dee@Example.com" {
			t.Errorf("user.json %v", user)
		}
	})
}

// insertManyAnswers adds n answers of one participant, with ids from first
// on, and metadata for every seventh, in multi-row INSERTs in one
// transaction.
func insertManyAnswers(tb testing.TB, d dialect.Dialect, participant int64, first, n int) (metadata int) {
	tb.Helper()
	tx, err := d.DB().BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	insert := func(table string, cols []string, rows [][]any) {
		const per = 500
		for start := 0; start < len(rows); start += per {
			part := rows[start:min(start+per, len(rows))]
			var sb strings.Builder
			sb.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
			var args []any
			for i, r := range part {
				if i > 0 {
					sb.WriteString(", ")
				}
				sb.WriteString("(")
				for j, v := range r {
					if j > 0 {
						sb.WriteString(", ")
					}
					args = append(args, v)
					sb.WriteString(d.Placeholder(len(args)))
				}
				sb.WriteString(")")
			}
			if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
				tb.Fatalf("insert into %s: %v", table, err)
			}
		}
	}
	answers := make([][]any, 0, n)
	var meta [][]any
	for i := range n {
		id := int64(first + i)
		answers = append(answers, []any{id, "acme", participant, fmt.Sprintf("answer %d, with \"quotes\", ü and a newline\n", id), "2024-02-15 00:00:00"})
		if i%7 == 0 {
			meta = append(meta, []any{id, id, "device", "web"})
		}
	}
	insert("answers", []string{"id", "workspace_id", "participant_id", "comment", "created_at"}, answers)
	insert("answer_metadata", []string{"id", "answer_id", "name", "value"}, meta)
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	return len(meta)
}

// exportWriter counts the writes an export makes, to see it stream.
type exportWriter struct {
	w      io.Writer
	writes int
	bytes  int64
}

func (c *exportWriter) Write(p []byte) (int, error) {
	c.writes++
	c.bytes += int64(len(p))
	return c.w.Write(p)
}

func TestExportStreams(t *testing.T) {
	dialecttest.ForEach(t, func(t *testing.T, h dialecttest.Harness) {
		f := newFixture(t, h)
		f.populate()
		const n = 20000
		meta := insertManyAnswers(t, f.d, 3, 1000, n)
		var buf bytes.Buffer
		cw := &exportWriter{w: &buf}
		start := time.Now()
		m, err := f.e.Export(ctx, ExportRequest{Kind: "participant", ID: "3", Tenant: "acme", At: runAt}, cw)
		if err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(start)
		// The fixture's answer 3 and its metadata, plus the new ones; the
		// metadata's owners span 21 IN chunks.
		want := []string{"participant(participants)=1", fmt.Sprintf("answers(answers)=%d", n+1), fmt.Sprintf("answer_metadata(answer_metadata)=%d", meta+1)}
		if got := exportCounts(m); !reflect.DeepEqual(got, want) {
			t.Errorf("manifest %v, want %v", got, want)
		}
		doc := parseExport(t, buf.Bytes())
		answers := doc.Datasets["answers"]
		if len(answers) != n+1 || len(doc.Datasets["answer_metadata"]) != meta+1 {
			t.Fatalf("document holds %d answers, %d metadata", len(answers), len(doc.Datasets["answer_metadata"]))
		}
		seen := map[string]bool{}
		for _, a := range answers {
			id := fmt.Sprint(a["id"])
			if seen[id] || fmt.Sprint(a["participant_id"]) != "3" {
				t.Fatalf("answer %v twice or of another participant", a)
			}
			seen[id] = true
		}
		if got := answers[len(answers)-1]["comment"]; got != fmt.Sprintf("answer %d, with \"quotes\", ü and a newline\n", 1000+n-1) {
			t.Errorf("last comment %q", got)
		}
		if cw.writes < 10 {
			t.Errorf("%d bytes in %d writes: the export is not written as it goes", cw.bytes, cw.writes)
		}
		t.Logf("%s: exported %d rows (%d bytes) in %v: %.0f rows/s", h.Name, n+meta+3, cw.bytes, elapsed.Round(time.Millisecond), float64(n+meta+3)/elapsed.Seconds())
	})
}

// BenchmarkExport exports a participant owning 100,000 answers (and
// their metadata, every seventh) from SQLite and reports rows/s.
//
//	go test -run XXX -bench Export -benchtime 5x ./engine
func BenchmarkExport(b *testing.B) {
	f := newFixture(b, dialecttest.Harnesses()[0]) // SQLite, always there
	f.exec(`INSERT INTO participants (id, workspace_id, first_name, created_at) VALUES (1, 'acme', 'Pia', '2024-02-15 00:00:00')`)
	const n = 100000
	rows := int64(1 + n + insertManyAnswers(b, f.d, 1, 1, n))
	iterations := 0
	for b.Loop() {
		iterations++
		m, err := f.e.Export(ctx, ExportRequest{Kind: "participant", ID: "1", Tenant: "acme", At: runAt}, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		if m.Datasets[1].Rows != n {
			b.Fatalf("exported %v", m.Datasets)
		}
	}
	b.ReportMetric(float64(rows)*float64(iterations)/b.Elapsed().Seconds(), "rows/s")
}
