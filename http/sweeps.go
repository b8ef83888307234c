package lethehttp

import (
	"context"
	"time"

	"lethe/engine"
	"lethe/ledger"
)

// Entry is one ledger entry.
type Entry struct {
	ID         int64      `json:"id"`
	Seq        int64      `json:"seq" doc:"Position in the hash chain; 0 while the entry is unsealed (its run is running, or crashed)"`
	RunID      string     `json:"run_id,omitempty"`
	At         time.Time  `json:"at"`
	Tenant     string     `json:"tenant"`
	Dataset    string     `json:"dataset"`
	Reason     string     `json:"reason" doc:"retention_sweep, lifecycle_deactivate, lifecycle_anonymize, lifecycle_delete, purge_soft_deleted, dsr_erasure, ledger_pruned, ..."`
	SubjectKey string     `json:"subject_key,omitempty"`
	Cutoff     *time.Time `json:"cutoff,omitempty"`
	Actor      string     `json:"actor"`
	Rows       int64      `json:"rows"`
	Held       int64      `json:"held"`
	Note       string     `json:"note,omitempty"`
	Detail     string     `json:"detail,omitempty"`
	PrevHash   string     `json:"prev_hash,omitempty"`
	Hash       string     `json:"hash,omitempty"`
	SealedAt   *time.Time `json:"sealed_at,omitempty"`
}

func entryOf(e ledger.Entry) Entry {
	return Entry{ID: e.ID, Seq: e.Seq, RunID: e.RunID, At: e.At, Tenant: e.Tenant, Dataset: e.Dataset, Reason: e.Reason,
		SubjectKey: e.SubjectKey, Cutoff: e.Cutoff, Actor: e.Actor, Rows: e.Rows, Held: e.Held, Note: e.Note, Detail: e.Detail,
		PrevHash: e.PrevHash, Hash: e.Hash, SealedAt: e.SealedAt}
}

func entriesOf(list []ledger.Entry) []Entry {
	out := make([]Entry, 0, len(list))
	for _, e := range list {
		out = append(out, entryOf(e))
	}
	return out
}

type planInput struct {
	Tenant string `query:"tenant" maxLength:"255" doc:"Only this tenant; a tenant-scoped token always sees its own"`
	At     string `query:"at" doc:"Plan as if it were this time (RFC 3339); now by default"`
	Only   string `query:"only" maxLength:"255" doc:"Only this subject or dataset"`
}

// PlanBody is a plan.
type PlanBody struct {
	Body struct {
		At   time.Time        `json:"at"`
		Rows []engine.PlanRow `json:"rows"`
	}
}

func (s *Server) getPlan(ctx context.Context, in *planInput) (*PlanBody, error) {
	p, err := allow(ctx, readPlan)
	if err != nil {
		return nil, err
	}
	tenant, err := p.tenant(in.Tenant)
	if err != nil {
		return nil, err
	}
	at, err := parseTime("at", in.At)
	if err != nil {
		return nil, err
	}
	if at.IsZero() {
		at = s.now()
	}
	rows, err := s.cfg.Engine.Plan(ctx, engine.PlanOptions{At: at, Tenant: tenant, Only: in.Only})
	if err != nil {
		return nil, s.fail(ctx, "plan", err)
	}
	out := &PlanBody{}
	out.Body.At = at
	out.Body.Rows = rows
	if out.Body.Rows == nil {
		out.Body.Rows = []engine.PlanRow{}
	}
	return out, nil
}

type sweepInput struct {
	Body struct {
		Tenant  string  `json:"tenant,omitempty" maxLength:"255" doc:"Only this tenant; every tenant when absent (a tenant-scoped token sweeps its own)"`
		Only    string  `json:"only,omitempty" maxLength:"255" doc:"Only this subject or dataset"`
		DryRun  bool    `json:"dry_run,omitempty" doc:"Plan only; change nothing"`
		Confirm bool    `json:"confirm,omitempty" doc:"Run even when the blast-radius guard trips"`
		Batch   int     `json:"batch,omitempty" minimum:"0" maximum:"100000" doc:"Rows per batch transaction; by default batches are sized to keep each transaction near 80 ms"`
		MaxRate float64 `json:"max_rate,omitempty" minimum:"0" doc:"At most this many rows per second; 0 for no limit"`
	}
}

// SweepBody is what a sweep did.
type SweepBody struct {
	Body struct {
		RunID   string           `json:"run_id"`
		DryRun  bool             `json:"dry_run"`
		Plan    []engine.PlanRow `json:"plan"`
		Entries []Entry          `json:"entries" doc:"The sealed ledger entries the run wrote"`
		Pruned  int64            `json:"ledger_pruned"`
	}
}

// The sweep runs inside the request: a client that gives up cancels it
// between committed batches, and a later sweep finishes the work.
func (s *Server) postSweep(ctx context.Context, in *sweepInput) (*SweepBody, error) {
	p, err := allow(ctx, runSweeps)
	if err != nil {
		return nil, err
	}
	tenant, err := p.tenant(in.Body.Tenant)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	res, err := s.cfg.Engine.Sweep(ctx, engine.SweepOptions{At: s.now(), Tenant: tenant, Only: in.Body.Only, DryRun: in.Body.DryRun,
		Confirm: in.Body.Confirm, Actor: p.Name, Batch: in.Body.Batch, MaxRate: in.Body.MaxRate})
	s.cfg.Metrics.sweep("api", time.Since(start), res, err)
	if err != nil {
		return nil, s.fail(ctx, "sweep", err)
	}
	out := &SweepBody{}
	out.Body.RunID, out.Body.DryRun, out.Body.Plan, out.Body.Pruned = res.RunID, res.DryRun, res.Plan, res.Pruned
	if out.Body.Plan == nil {
		out.Body.Plan = []engine.PlanRow{}
	}
	out.Body.Entries = entriesOf(res.Entries)
	return out, nil
}

type ledgerInput struct {
	Tenant  string `query:"tenant" maxLength:"255" doc:"Only this tenant; a tenant-scoped token always sees its own"`
	Since   string `query:"since" doc:"Entries at or after this time (RFC 3339)"`
	Until   string `query:"until" doc:"Entries before this time (RFC 3339)"`
	Reason  string `query:"reason" maxLength:"64"`
	Dataset string `query:"dataset" maxLength:"255"`
	RunID   string `query:"run_id" maxLength:"64"`
	Limit   int    `query:"limit" minimum:"0" maximum:"10000" doc:"At most this many entries (1000 when 0)"`
}

// LedgerBody is a list of ledger entries.
type LedgerBody struct {
	Body struct {
		Entries []Entry `json:"entries"`
	}
}

func (s *Server) listLedger(ctx context.Context, in *ledgerInput) (*LedgerBody, error) {
	p, err := allow(ctx, readLedger)
	if err != nil {
		return nil, err
	}
	tenant, err := p.tenant(in.Tenant)
	if err != nil {
		return nil, err
	}
	f := ledger.Filter{Reason: in.Reason, Dataset: in.Dataset, RunID: in.RunID, Limit: in.Limit}
	if f.Limit == 0 {
		f.Limit = 1000
	}
	if tenant != nil {
		f.Tenant = *tenant
	}
	if f.Since, err = parseTime("since", in.Since); err != nil {
		return nil, err
	}
	if f.Until, err = parseTime("until", in.Until); err != nil {
		return nil, err
	}
	list, err := s.cfg.Engine.Ledger().List(ctx, f)
	if err != nil {
		return nil, s.fail(ctx, "ledger list", err)
	}
	// The ledger's own entries (pruning) belong to no tenant: a scoped
	// token sees only its tenant's, which List has selected.
	out := &LedgerBody{}
	out.Body.Entries = entriesOf(list)
	return out, nil
}

// VerifyBody is what verifying the ledger found.
type VerifyBody struct {
	Body struct {
		OK       bool    `json:"ok"`
		Entries  int     `json:"entries" doc:"Sealed entries checked"`
		HeadSeq  int64   `json:"head_seq"`
		BadID    int64   `json:"bad_id,omitempty" doc:"The first entry whose hash or link does not match"`
		Problem  string  `json:"problem,omitempty"`
		Unsealed []Entry `json:"unsealed" doc:"Entries of runs still running or crashed (of the caller's tenant, for a scoped token)"`
	}
}

// The chain spans every tenant, so verifying it is the same for all; a
// scoped token sees the unsealed entries of its own tenant only.
func (s *Server) verifyLedger(ctx context.Context, _ *struct{}) (*VerifyBody, error) {
	p, err := allow(ctx, readLedger)
	if err != nil {
		return nil, err
	}
	rep, err := s.cfg.Engine.Ledger().Verify(ctx)
	if err != nil {
		return nil, s.fail(ctx, "ledger verify", err)
	}
	out := &VerifyBody{}
	out.Body.OK, out.Body.Entries, out.Body.HeadSeq, out.Body.BadID, out.Body.Problem = rep.OK, rep.Entries, rep.HeadSeq, rep.BadID, rep.Problem
	out.Body.Unsealed = []Entry{}
	for _, e := range rep.Unsealed {
		if p.sees(e.Tenant) {
			out.Body.Unsealed = append(out.Body.Unsealed, entryOf(e))
		}
	}
	return out, nil
}
