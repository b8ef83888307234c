package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"lethe"
	"lethe/dialect"
)

// Hold is a legal hold: while it stands, no anonymization or deletion
// touches the tenant, or the one subject it names.
type Hold struct {
	ID          int64     `json:"id"`
	Tenant      string    `json:"tenant"`
	SubjectKind string    `json:"subject_kind,omitempty"`
	SubjectKey  string    `json:"subject_key,omitempty"`
	Reason      string    `json:"reason"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// AddHold puts a tenant or one subject on hold.
func (e *Engine) AddHold(ctx context.Context, h Hold) (Hold, error) {
	if strings.TrimSpace(h.Reason) == "" {
		return Hold{}, lethe.Errorf(lethe.EINVALID, "a hold needs a reason (the matter or case it serves)")
	}
	if (h.SubjectKind == "") != (h.SubjectKey == "") {
		return Hold{}, lethe.Errorf(lethe.EINVALID, "a subject hold names the subject as KIND:ID, e.g. user:42")
	}
	if h.SubjectKind != "" && e.policy.Subject(h.SubjectKind) == nil {
		return Hold{}, lethe.Errorf(lethe.EINVALID, "no subject kind %q in the policy", h.SubjectKind)
	}
	d := e.d
	h.CreatedAt = h.CreatedAt.UTC().Truncate(time.Microsecond)
	query := "INSERT INTO lethe_holds (tenant, subject_kind, subject_key, reason, created_by, created_at) VALUES (" +
		d.Placeholder(1) + ", " + d.Placeholder(2) + ", " + d.Placeholder(3) + ", " + d.Placeholder(4) + ", " + d.Placeholder(5) + ", " + d.Placeholder(6) + ")"
	id, err := dialect.InsertID(ctx, e.d, e.d.DB(), query, h.Tenant, nullable(h.SubjectKind), nullable(h.SubjectKey), h.Reason, h.CreatedBy, e.timeArg(h.CreatedAt))
	if err != nil {
		return Hold{}, fmt.Errorf("add hold: %w", err)
	}
	h.ID = id
	return h, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Holds lists the holds of a tenant, or of every tenant when all is true.
func (e *Engine) Holds(ctx context.Context, tenant string, all bool) ([]Hold, error) {
	d := e.d
	query := "SELECT id, tenant, subject_kind, subject_key, reason, created_by, created_at FROM lethe_holds"
	var args []any
	if !all {
		query += " WHERE tenant = " + d.Placeholder(1)
		args = append(args, tenant)
	}
	rows, err := d.DB().QueryContext(ctx, query+" ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("list holds: %w", err)
	}
	defer rows.Close()
	var out []Hold
	for rows.Next() {
		var h Hold
		var kind, key *string
		var created any
		if err := rows.Scan(&h.ID, &h.Tenant, &kind, &key, &h.Reason, &h.CreatedBy, &created); err != nil {
			return nil, fmt.Errorf("list holds: %w", err)
		}
		if kind != nil {
			h.SubjectKind = *kind
		}
		if key != nil {
			h.SubjectKey = *key
		}
		at, err := dialect.ScanTime(created)
		if err != nil {
			return nil, err
		}
		if at != nil {
			h.CreatedAt = *at
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// RemoveHold lifts a hold.
func (e *Engine) RemoveHold(ctx context.Context, id int64) error {
	res, err := e.d.DB().ExecContext(ctx, "DELETE FROM lethe_holds WHERE id = "+e.d.Placeholder(1), id)
	if err != nil {
		return fmt.Errorf("remove hold %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lethe.Errorf(lethe.ENOTFOUND, "no hold %d", id)
	}
	return nil
}

// heldSet is the holds that matter to one tenant's run.
type heldSet struct {
	tenant     *Hold
	subjects   map[string]map[string]bool // kind -> key -> held
	subjectIDs map[string]Hold            // "kind:key" -> the hold
}

func (e *Engine) heldFor(ctx context.Context, tenant string) (heldSet, error) {
	hs, err := e.Holds(ctx, tenant, false)
	if err != nil {
		return heldSet{}, err
	}
	set := heldSet{subjects: map[string]map[string]bool{}, subjectIDs: map[string]Hold{}}
	for i, h := range hs {
		if h.SubjectKind == "" {
			set.tenant = &hs[i]
			continue
		}
		if set.subjects[h.SubjectKind] == nil {
			set.subjects[h.SubjectKind] = map[string]bool{}
		}
		set.subjects[h.SubjectKind][h.SubjectKey] = true
		set.subjectIDs[h.SubjectKind+":"+h.SubjectKey] = h
	}
	return set, nil
}

func (h heldSet) subject(kind string, key any) bool {
	return h.subjects[kind][fmt.Sprint(key)]
}

// split takes the keys of held subjects out of keys of an item's table,
// and counts them: they are skipped, and reported as held.
func (h heldSet) split(it *item, keys []any) ([]any, int64) {
	if !it.holdable || it.node.subject == nil || len(h.subjects[it.node.name]) == 0 {
		return keys, 0
	}
	work := make([]any, 0, len(keys))
	for _, k := range keys {
		if !h.subject(it.node.name, k) {
			work = append(work, k)
		}
	}
	return work, int64(len(keys) - len(work))
}
