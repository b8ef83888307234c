package lethehttp

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"lethe"
	"lethe/engine"
)

type exportInput struct {
	Kind   string `path:"kind" maxLength:"255" doc:"The subject kind, e.g. user"`
	ID     string `path:"id" maxLength:"255" doc:"The subject's key"`
	Tenant string `query:"tenant" maxLength:"255" doc:"The tenant; a tenant-scoped token always exports from its own"`
	Format string `query:"format" enum:"json,zip" default:"json"`
}

// The export is written to the client as it is read. Headers and status
// wait for the first byte, so a subject that is not found is still a 404;
// an error after that can only cut the response off, which the client sees
// as a broken transfer rather than a short document.
func (s *Server) exportSubject(ctx context.Context, in *exportInput) (*huma.StreamResponse, error) {
	p, err := allow(ctx, exportSubjects)
	if err != nil {
		return nil, err
	}
	tenant, err := p.oneTenant(in.Tenant)
	if err != nil {
		return nil, err
	}
	req := engine.ExportRequest{Kind: in.Kind, ID: in.ID, Tenant: tenant, At: s.now(), Format: in.Format}
	return &huma.StreamResponse{Body: func(hc huma.Context) {
		w := &lazyWriter{hc: hc, contentType: "application/json"}
		if in.Format == engine.ExportZip {
			w.contentType = "application/zip"
			w.filename = "export.zip"
		}
		if _, err := s.cfg.Engine.Export(ctx, req, w); err != nil {
			if w.started {
				s.log.ErrorContext(ctx, "export failed after it started streaming", "err", err)
				panic(http.ErrAbortHandler)
			}
			e := s.fail(ctx, "export", err).(*Error)
			hc.SetHeader("Content-Type", "application/json")
			hc.SetStatus(e.status)
			json.NewEncoder(hc.BodyWriter()).Encode(e)
			return
		}
		if !w.started { // an empty export still answers 200
			w.start()
		}
	}}, nil
}

// lazyWriter sends the status and headers with the first write.
type lazyWriter struct {
	hc          huma.Context
	contentType string
	filename    string
	started     bool
}

func (w *lazyWriter) start() {
	w.started = true
	w.hc.SetHeader("Content-Type", w.contentType)
	if w.filename != "" {
		w.hc.SetHeader("Content-Disposition", `attachment; filename="`+w.filename+`"`)
	}
	w.hc.SetStatus(http.StatusOK)
}

func (w *lazyWriter) Write(b []byte) (int, error) {
	if !w.started {
		w.start()
	}
	n, err := w.hc.BodyWriter().Write(b)
	// The engine writes in large buffered pieces: each goes to the client
	// as it comes, instead of collecting in the server's buffer.
	if f, ok := w.hc.BodyWriter().(http.Flusher); ok && err == nil {
		f.Flush()
	}
	return n, err
}

type erasureInput struct {
	Body struct {
		Subject string `json:"subject" minLength:"3" maxLength:"511" doc:"KIND:ID, e.g. user:42"`
		Tenant  string `json:"tenant,omitempty" maxLength:"255" doc:"The tenant; a tenant-scoped token always erases in its own. Absent for an unscoped token: the rows without a tenant"`
		Actor   string `json:"actor,omitempty" maxLength:"200" doc:"On whose behalf, recorded in the ledger's note; the actor recorded is the token's name"`
		Reason  string `json:"reason,omitempty" maxLength:"2000" doc:"Free text (a ticket), recorded in the ledger"`
		DryRun  bool   `json:"dry_run,omitempty" doc:"Count, change nothing"`
	}
}

// ErasureBody is what an erasure did.
type ErasureBody struct {
	Body struct {
		Subject         string                  `json:"subject"`
		Tenant          string                  `json:"tenant"`
		DryRun          bool                    `json:"dry_run"`
		Datasets        []engine.DatasetErasure `json:"datasets" doc:"Rows deleted, anonymized or orphaned per dataset"`
		Rows            int64                   `json:"rows"`
		BackupsExpireBy *time.Time              `json:"backups_expire_by" doc:"When backups holding the erased data expire (the policy's backups.keep); null when the policy sets none"`
		Entries         []Entry                 `json:"entries"`
	}
}

func (s *Server) postErasure(ctx context.Context, in *erasureInput) (*ErasureBody, error) {
	p, err := allow(ctx, eraseSubjects)
	if err != nil {
		return nil, err
	}
	tenant, err := p.oneTenant(in.Body.Tenant)
	if err != nil {
		return nil, err
	}
	kind, id, ok := strings.Cut(in.Body.Subject, ":")
	if !ok || kind == "" || id == "" {
		return nil, invalid("subject %s: write KIND:ID, e.g. user:42", quote(in.Body.Subject))
	}
	note := in.Body.Reason
	if a := strings.TrimSpace(in.Body.Actor); a != "" && a != p.Name {
		note = strings.TrimSpace(note + " (on behalf of " + a + ")")
	}
	start := time.Now()
	res, err := s.cfg.Engine.Erase(ctx, engine.EraseRequest{Kind: kind, ID: id, Tenant: tenant, Actor: p.Name, Reason: note, DryRun: in.Body.DryRun, At: s.now()})
	if err != nil {
		return nil, s.fail(ctx, "erase", err)
	}
	if !res.DryRun {
		s.cfg.Metrics.entries(res.Entries)
	}
	s.log.InfoContext(ctx, "erasure", "tenant", tenant, "datasets", len(res.Datasets), "took", time.Since(start))
	out := &ErasureBody{}
	b := &out.Body
	b.Subject, b.Tenant, b.DryRun, b.BackupsExpireBy = res.Subject, res.Tenant, res.DryRun, res.BackupsExpireBy
	b.Datasets = res.Datasets
	if b.Datasets == nil {
		b.Datasets = []engine.DatasetErasure{}
	}
	for _, d := range b.Datasets {
		b.Rows += d.Rows
	}
	b.Entries = entriesOf(res.Entries)
	return out, nil
}

type suppressedInput struct {
	Body struct {
		Tenant string `json:"tenant,omitempty" maxLength:"255" doc:"The tenant; a tenant-scoped token always checks its own"`
		Value  string `json:"value" maxLength:"4096" doc:"The value to look for, e.g. an email address; compared by its keyed digest, never stored or logged"`
	}
}

// SuppressedBody answers a suppression check.
type SuppressedBody struct {
	Body struct {
		Suppressed bool `json:"suppressed"`
	}
}

func (s *Server) checkSuppressed(ctx context.Context, in *suppressedInput) (*SuppressedBody, error) {
	p, err := allow(ctx, checkSuppress)
	if err != nil {
		return nil, err
	}
	tenant, err := p.oneTenant(in.Body.Tenant)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Body.Value) == "" {
		return nil, invalid("value is empty: send the value to look for")
	}
	yes, err := s.cfg.Engine.Suppressed(ctx, tenant, in.Body.Value)
	if err != nil {
		if lethe.ErrorCode(err) == lethe.EINVALID { // no secret configured: the server's, not the caller's
			return nil, &Error{status: http.StatusConflict, Code: lethe.ECONFLICT, Message: lethe.ErrorMessage(err)}
		}
		return nil, s.fail(ctx, "suppressed", err)
	}
	out := &SuppressedBody{}
	out.Body.Suppressed = yes
	return out, nil
}
