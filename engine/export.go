package engine

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"lethe"
	"lethe/dialect"
)

// Export formats.
const (
	ExportJSON = "json" // one JSON document
	ExportZip  = "zip"  // a zip of one JSON array per dataset, and manifest.json
)

// ExportManifestVersion is the version of the export's layout, written
// into every export.
const ExportManifestVersion = 1

// exportPage is how many rows one query of an export reads: the most rows
// an export holds in memory at once.
const exportPage = 1000

// ExportRequest names the person whose data to export, within one tenant.
type ExportRequest struct {
	Kind   string    // subject kind, e.g. "user"
	ID     string    // subject key, as text
	Tenant string    // the tenant; "" means rows whose tenant is NULL
	At     time.Time // the time the export is generated at
	Format string    // ExportJSON (the default) or ExportZip
}

// ExportManifest is what an export holds: the row count of every dataset,
// in owner-graph order (the subject first, then each dataset it owns
// followed by what that dataset owns in turn).
type ExportManifest struct {
	Subject     string            `json:"subject"` // KIND:ID
	Tenant      string            `json:"tenant"`
	GeneratedAt time.Time         `json:"generated_at"`
	Datasets    []ExportedDataset `json:"datasets"`
}

// ExportedDataset is one dataset of an export.
type ExportedDataset struct {
	Dataset string `json:"dataset"`
	Table   string `json:"table"`
	Rows    int64  `json:"rows"`
}

// Export writes every row about one subject to w (GDPR Art. 15 and 20): the
// subject's own row in the tenant, and the rows of every dataset it owns,
// directly or through chains, grouped by dataset, with values as stored
// (times as RFC 3339 in UTC, bytes as text).
//
// The JSON format is one document:
//
//	{"manifest_version":1,"subject":"user:42","tenant":"acme","generated_at":"...",
//	 "datasets":{"user":[{...}],"transactions":[...],...},
//	 "manifest":{"subject":...,"datasets":[{"dataset":"user","table":"users","rows":1},...]}}
//
// The row counts are known only once every row is written, so the
// manifest comes last. The zip format holds DATASET.json per dataset (a
// JSON array) and manifest.json last.
//
// Rows are streamed: each dataset is read in pages of exportPage rows in
// key order (keyset pagination) and written before the next page is read.
// What an export keeps in memory is one page of rows, plus the keys (never
// the rows) of the datasets on the current chain of owners that own
// datasets themselves: their children are found by those keys. The bound
// is therefore one page plus, per level of a chain, the keys of the
// level's rows (answers' ids while answer_metadata is read, some 30 bytes
// a key), not the subject's data. Each page query finds its rows through
// the link column's index and, unless an index on (link, key) serves the
// order, sorts the owner's rows again: for a subject owning 100,000 rows
// of one table, time grows faster than the row count.
//
// An export reads outside any transaction, so it never holds locks for its
// whole length; rows that change while it runs may appear in their old or
// new state. The subject's key is bound as a parameter and compared in the
// key column's type, so no text of the request reaches SQL. Rows are never
// logged.
func (e *Engine) Export(ctx context.Context, req ExportRequest, w io.Writer) (*ExportManifest, error) {
	s := e.policy.Subject(req.Kind)
	if s == nil {
		return nil, lethe.Errorf(lethe.EINVALID, "no subject kind %q in the policy: subjects are %s", req.Kind, strings.Join(e.subjectNames(), ", "))
	}
	var out exportSink
	switch req.Format {
	case "", ExportJSON:
		out = &jsonSink{w: bufio.NewWriterSize(w, 64<<10)}
	case ExportZip:
		out = &zipSink{zw: zip.NewWriter(w), at: req.At, names: map[string]bool{}}
	default:
		return nil, lethe.Errorf(lethe.EINVALID, "export format %q: write json or zip", req.Format)
	}
	root := e.subjectNode(s)
	x := &exporter{e: e, out: out}

	// Find the subject before writing anything, so a subject that is not
	// there leaves w untouched.
	subject, err := x.subjectRows(ctx, root, req)
	if err != nil {
		return nil, err
	}
	if len(subject.rows) == 0 || keyText(subject.rows[0][subject.key]) != req.ID {
		// The key must read exactly as the ID, as holds compare keys: "04"
		// is not user 4, and MySQL's collations would otherwise find c_1
		// for "C_1 ".
		return nil, exportNotFound(root, req)
	}
	m := &ExportManifest{Subject: req.Kind + ":" + req.ID, Tenant: req.Tenant, GeneratedAt: req.At.UTC()}
	if err := out.begin(m); err != nil {
		return nil, err
	}
	if err := out.openDataset(root.name); err != nil {
		return nil, err
	}
	keys := make([]any, 0, len(subject.rows))
	for _, r := range subject.rows {
		if err := out.row(subject.encode(r)); err != nil {
			return nil, err
		}
		keys = append(keys, r[subject.key])
	}
	if err := out.closeDataset(); err != nil {
		return nil, err
	}
	m.Datasets = append(m.Datasets, ExportedDataset{Dataset: root.name, Table: root.table, Rows: int64(len(subject.rows))})
	if err := x.owned(ctx, root, keys, m); err != nil {
		return nil, err
	}
	if err := out.finish(m); err != nil {
		return nil, err
	}
	var total int64
	for _, ds := range m.Datasets {
		total += ds.Rows
	}
	e.log.InfoContext(ctx, "export", "tenant", req.Tenant, "datasets", len(m.Datasets), "rows", total) // never the subject: its key may be personal (an email)
	return m, nil
}

func (e *Engine) subjectNames() []string {
	names := make([]string, len(e.policy.Subjects))
	for i, s := range e.policy.Subjects {
		names[i] = s.Name
	}
	return names
}

func exportNotFound(n *node, req ExportRequest) error {
	switch {
	case n.tenant == "":
		return lethe.Errorf(lethe.ENOTFOUND, "no %s %s", req.Kind, req.ID)
	case req.Tenant == "":
		return lethe.Errorf(lethe.ENOTFOUND, "no %s %s without a tenant", req.Kind, req.ID)
	default:
		return lethe.Errorf(lethe.ENOTFOUND, "no %s %s in tenant %s", req.Kind, req.ID, req.Tenant)
	}
}

// exporter walks the owner graph of one export.
type exporter struct {
	e   *Engine
	out exportSink
}

// rowPage is rows of one table, each in the order of its columns.
type rowPage struct {
	columns []string
	key     int // index of the key column
	rows    [][]any
}

// subjectRows reads the subject's row: its key equals the request's ID
// and, where the table has a tenant column, its tenant is the request's.
func (x *exporter) subjectRows(ctx context.Context, n *node, req ExportRequest) (*rowPage, error) {
	// Compared in the key column's type: bound as text, MySQL would read
	// "1'; DROP TABLE users; --" as the integer 1. Text that is not UTF-8
	// or holds NUL is no database's key (and PostgreSQL refuses to
	// compare it).
	id, ok := x.e.keyValue(n, req.ID)
	if !ok || !utf8.ValidString(req.ID) || strings.ContainsRune(req.ID, 0) {
		return x.e.emptyPage(n), nil // no row can hold a key of that form
	}
	b := &exportArgs{d: x.e.d}
	where := []string{x.e.d.Quote(n.key) + " = " + b.add(id)}
	if n.tenant != "" {
		if req.Tenant == "" {
			where = append(where, x.e.d.Quote(n.tenant)+" IS NULL")
		} else {
			where = append(where, x.e.d.Quote(n.tenant)+" = "+b.add(req.Tenant))
		}
	}
	return x.e.selectPage(ctx, n, where, b, nil, exportPage)
}

// owned exports the datasets owned by the rows of owner with the given
// keys, each followed by what it owns in turn. Rows found through their
// owner belong to the owner's tenant, whatever their own tenant column
// says (as in selectIn), so no tenant condition applies.
func (x *exporter) owned(ctx context.Context, owner *node, ownerKeys []any, m *ExportManifest) error {
	for _, child := range x.e.children(owner.name) {
		keep := len(x.e.children(child.name)) > 0
		keys, n, err := x.dataset(ctx, child, ownerKeys, keep)
		if err != nil {
			return err
		}
		m.Datasets = append(m.Datasets, ExportedDataset{Dataset: child.name, Table: child.table, Rows: n})
		if err := x.owned(ctx, child, keys, m); err != nil {
			return err
		}
	}
	return nil
}

// dataset writes the rows of n whose owner link holds one of ownerKeys,
// page by page, and returns how many it wrote and, when keep is set, their
// keys.
func (x *exporter) dataset(ctx context.Context, n *node, ownerKeys []any, keep bool) ([]any, int64, error) {
	if err := x.out.openDataset(n.name); err != nil {
		return nil, 0, err
	}
	var keys []any
	var count int64
	for start := 0; start < len(ownerKeys); start += chunk {
		part := ownerKeys[start:min(start+chunk, len(ownerKeys))]
		var after any
		for {
			b := &exportArgs{d: x.e.d}
			ph := make([]string, len(part))
			for i, k := range part {
				ph[i] = b.add(k)
			}
			where := []string{x.e.d.Quote(n.owner.Column) + " IN (" + strings.Join(ph, ", ") + ")"}
			p, err := x.e.selectPage(ctx, n, where, b, after, exportPage)
			if err != nil {
				return nil, 0, err
			}
			for _, r := range p.rows {
				if err := x.out.row(p.encode(r)); err != nil {
					return nil, 0, err
				}
				if keep {
					keys = append(keys, r[p.key])
				}
			}
			count += int64(len(p.rows))
			if len(p.rows) < exportPage {
				break
			}
			after = p.rows[len(p.rows)-1][p.key]
		}
	}
	return keys, count, x.out.closeDataset()
}

// exportArgs collects bind parameters and hands out their placeholders.
type exportArgs struct {
	d    dialect.Dialect
	args []any
}

func (b *exportArgs) add(v any) string {
	b.args = append(b.args, v)
	return b.d.Placeholder(len(b.args))
}

func (e *Engine) emptyPage(n *node) *rowPage {
	p := &rowPage{columns: []string{n.key}}
	if t, ok := e.schema.Table(n.table); ok {
		p.columns = t.ColumnNames()
	}
	return p
}

// selectPage reads every column of up to limit rows of n matching where,
// with keys after after (nil: from the first), in key order: one page of
// a keyset scan. dialect.SelectRows reads a whole selection; an export
// must not.
func (e *Engine) selectPage(ctx context.Context, n *node, where []string, b *exportArgs, after any, limit int) (*rowPage, error) {
	p := e.emptyPage(n)
	p.key = -1
	quoted := make([]string, len(p.columns))
	for i, c := range p.columns {
		quoted[i] = e.d.Quote(c)
		if c == n.key {
			p.key = i
		}
	}
	if p.key < 0 { // a bound key is one of the table's columns; stay safe if not
		p.columns = append(p.columns, n.key)
		quoted = append(quoted, e.d.Quote(n.key))
		p.key = len(p.columns) - 1
	}
	key := e.d.Quote(n.key)
	if after != nil {
		where = append(where, key+" > "+b.add(after))
	}
	query := "SELECT " + strings.Join(quoted, ", ") + " FROM " + e.d.Quote(n.table) +
		" WHERE " + strings.Join(where, " AND ") + " ORDER BY " + key + " LIMIT " + strconv.Itoa(limit)
	rows, err := e.d.DB().QueryContext(ctx, query, b.args...)
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", n.name, err)
	}
	defer rows.Close()
	for rows.Next() {
		vals := make([]any, len(p.columns))
		ptrs := make([]any, len(vals))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("export %s: %w", n.name, err)
		}
		for i, v := range vals {
			vals[i] = dialect.NormalizeKey(v)
		}
		p.rows = append(p.rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("export %s: %w", n.name, err)
	}
	return p, nil
}

// encode writes one row as a JSON object with its columns in table order.
func (p *rowPage) encode(r []any) []byte {
	buf := make([]byte, 0, 256)
	buf = append(buf, '{')
	for i, c := range p.columns {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSON(buf, c)
		buf = append(buf, ':')
		buf = appendJSON(buf, exportValue(r[i]))
	}
	return append(buf, '}')
}

// exportValue is a value as stored, in a form JSON holds: times as RFC
// 3339 in UTC (as archives write them).
func exportValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return string(x)
	default:
		return x
	}
}

func appendJSON(buf []byte, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// A value JSON cannot hold (a NaN float): its text, rather than
		// failing the person's export.
		b, _ = json.Marshal(fmt.Sprint(v))
	}
	return append(buf, b...)
}

// exportSink is a format of export: datasets open, take rows and close in
// turn, and the manifest closes the export.
type exportSink interface {
	begin(m *ExportManifest) error
	openDataset(name string) error
	row(obj []byte) error
	closeDataset() error
	finish(m *ExportManifest) error
}

// manifestFile is the manifest with the layout's version, as the zip's
// manifest.json holds it.
type manifestFile struct {
	ManifestVersion int `json:"manifest_version"`
	*ExportManifest
}

// jsonSink writes one JSON document as rows come.
type jsonSink struct {
	w        *bufio.Writer
	datasets int
	rows     int
}

func (s *jsonSink) begin(m *ExportManifest) error {
	s.w.WriteString(`{"manifest_version":` + strconv.Itoa(ExportManifestVersion) + `,"subject":`)
	s.w.Write(appendJSON(nil, m.Subject))
	s.w.WriteString(`,"tenant":`)
	s.w.Write(appendJSON(nil, m.Tenant))
	s.w.WriteString(`,"generated_at":`)
	s.w.Write(appendJSON(nil, m.GeneratedAt))
	_, err := s.w.WriteString(`,"datasets":{`)
	return err
}

func (s *jsonSink) openDataset(name string) error {
	if s.datasets > 0 {
		s.w.WriteByte(',')
	}
	s.datasets++
	s.rows = 0
	s.w.WriteString("\n")
	s.w.Write(appendJSON(nil, name))
	_, err := s.w.WriteString(":[")
	return err
}

func (s *jsonSink) row(obj []byte) error {
	if s.rows > 0 {
		s.w.WriteByte(',')
	}
	s.rows++
	s.w.WriteByte('\n')
	_, err := s.w.Write(obj)
	return err
}

func (s *jsonSink) closeDataset() error {
	_, err := s.w.WriteString("]")
	return err
}

func (s *jsonSink) finish(m *ExportManifest) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	s.w.WriteString("},\n\"manifest\":")
	s.w.Write(b)
	s.w.WriteString("}\n")
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// zipSink writes a zip of DATASET.json files, then manifest.json.
type zipSink struct {
	zw    *zip.Writer
	at    time.Time
	names map[string]bool
	file  io.Writer
	rows  int
}

func (s *zipSink) begin(*ExportManifest) error { return nil }

// create starts the next file of the archive, its name kept to a safe
// form: a dataset's name is the policy's, never a path.
func (s *zipSink) create(base string) error {
	name := safeName(base)
	for i := 2; s.names[name] || name == "manifest"; i++ {
		name = safeName(base) + "-" + strconv.Itoa(i)
	}
	s.names[name] = true
	f, err := s.zw.CreateHeader(&zip.FileHeader{Name: name + ".json", Method: zip.Deflate, Modified: s.at})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	s.file = f
	return nil
}

func (s *zipSink) openDataset(name string) error {
	if err := s.create(name); err != nil {
		return err
	}
	s.rows = 0
	_, err := io.WriteString(s.file, "[")
	return err
}

func (s *zipSink) row(obj []byte) error {
	sep := ",\n"
	if s.rows == 0 {
		sep = "\n"
	}
	s.rows++
	if _, err := io.WriteString(s.file, sep); err != nil {
		return err
	}
	_, err := s.file.Write(obj)
	return err
}

func (s *zipSink) closeDataset() error {
	_, err := io.WriteString(s.file, "\n]\n")
	return err
}

func (s *zipSink) finish(m *ExportManifest) error {
	b, err := json.MarshalIndent(manifestFile{ManifestVersion: ExportManifestVersion, ExportManifest: m}, "", "  ")
	if err != nil {
		return err
	}
	f, err := s.zw.CreateHeader(&zip.FileHeader{Name: "manifest.json", Method: zip.Deflate, Modified: s.at})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return err
	}
	if err := s.zw.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
