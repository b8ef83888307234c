package engine

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"lethe/dialect"
)

// DefaultArchiveDir is where archives go when the policy names no
// archive.dir.
const DefaultArchiveDir = "lethe-archive"

// archive is one run's append-only archive of one dataset and tenant:
// gzip-compressed JSON lines, synced to disk before the rows it holds are
// deleted.
type archive struct {
	path string
	file *os.File
	buf  *bufio.Writer
	gz   *gzip.Writer
	rows int64
}

func (e *Engine) openArchive(runID string, r PlanRow, at time.Time) (*archive, error) {
	dir := e.policy.ArchiveDir
	if dir == "" {
		dir = DefaultArchiveDir
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("archive directory: %w", err)
	}
	tenant := r.Tenant
	if tenant == "" {
		tenant = "_"
	}
	name := fmt.Sprintf("%s_%s_%s_%s.jsonl.gz", at.UTC().Format("20060102T150405Z"), r.Dataset, safeName(tenant), runID)
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	a := &archive{path: path, file: f}
	a.buf = bufio.NewWriter(f)
	a.gz = gzip.NewWriter(a.buf)
	return a, nil
}

// safeName keeps a tenant name usable in a file name.
func safeName(s string) string {
	out := []rune{}
	for _, r := range s {
		if r == '-' || r == '_' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			out = append(out, r)
		} else {
			out = append(out, '_')
		}
	}
	return string(out)
}

// write appends the full rows with the given keys and syncs the file: the
// caller deletes them only after this returns.
func (a *archive) write(ctx context.Context, e *Engine, tx *sql.Tx, n *node, keys []any) error {
	t, ok := e.schema.Table(n.table)
	if !ok {
		return fmt.Errorf("archive: no table %s", n.table)
	}
	for start := 0; start < len(keys); start += chunk {
		part := keys[start:min(start+chunk, len(keys))]
		rows, err := dialect.SelectRows(ctx, e.d, tx, n.table, n.key, t.ColumnNames(), dialect.In(n.key, part))
		if err != nil {
			return err
		}
		enc := json.NewEncoder(a.gz)
		for _, r := range rows {
			if err := enc.Encode(jsonRow(r)); err != nil {
				return fmt.Errorf("archive: %w", err)
			}
			a.rows++
		}
	}
	if err := a.gz.Flush(); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	if err := a.buf.Flush(); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	if err := a.file.Sync(); err != nil {
		return fmt.Errorf("archive: sync: %w", err)
	}
	return nil
}

func jsonRow(r dialect.Row) map[string]any {
	out := make(map[string]any, len(r))
	for k, v := range r {
		switch x := v.(type) {
		case time.Time:
			out[k] = x.UTC().Format(time.RFC3339Nano)
		default:
			out[k] = x
		}
	}
	return out
}

// close finishes the file and returns the ledger detail: path, SHA-256
// of the file and row count.
func (a *archive) close() (string, error) {
	if err := a.gz.Close(); err != nil {
		return "", fmt.Errorf("archive: %w", err)
	}
	if err := a.buf.Flush(); err != nil {
		return "", fmt.Errorf("archive: %w", err)
	}
	if err := a.file.Sync(); err != nil {
		return "", fmt.Errorf("archive: sync: %w", err)
	}
	if err := a.file.Close(); err != nil {
		return "", fmt.Errorf("archive: %w", err)
	}
	a.file = nil
	f, err := os.Open(a.path)
	if err != nil {
		return "", fmt.Errorf("archive: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("archive: %w", err)
	}
	detail, err := json.Marshal(map[string]any{"archive": a.path, "sha256": hex.EncodeToString(h.Sum(nil)), "archived_rows": a.rows})
	return string(detail), err
}

// abandon closes the file of a run that failed; what it holds stays, as
// the record of rows that may or may not have been deleted.
func (a *archive) abandon() {
	if a.file != nil {
		a.gz.Close()
		a.buf.Flush()
		a.file.Close()
	}
}
