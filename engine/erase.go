package engine

import (
	"context"
	"time"

	"lethe"
	"lethe/ledger"
)

// ReasonErasure is the ledger reason of a data-subject erasure.
const ReasonErasure = "dsr_erasure"

// EraseRequest names the person to erase, within one tenant.
type EraseRequest struct {
	Kind   string    // subject kind, e.g. "user"
	ID     string    // subject key, as text
	Tenant string    // erasure never leaves this tenant
	Actor  string    // who asked for it, recorded in the ledger
	Reason string    // free text (ticket 1234), recorded in the ledger
	DryRun bool      // count, change nothing
	At     time.Time // the time of the erasure
}

// DatasetErasure is what an erasure did to one dataset.
type DatasetErasure struct {
	Dataset string `json:"dataset"`
	Action  string `json:"action"` // delete, anonymize or orphan
	Rows    int64  `json:"rows"`
}

// EraseResult answers an erasure.
type EraseResult struct {
	Subject         string           `json:"subject"` // KIND:ID
	Tenant          string           `json:"tenant"`
	DryRun          bool             `json:"dry_run"`
	Datasets        []DatasetErasure `json:"datasets"`
	BackupsExpireBy *time.Time       `json:"backups_expire_by"` // At + backups.keep; nil when the policy sets none
	Entries         []ledger.Entry   `json:"entries"`
}

// Erase removes or anonymizes every row bound to the subject within the
// tenant, per each dataset's policy; see erase_impl.go.
func (e *Engine) Erase(ctx context.Context, req EraseRequest) (*EraseResult, error) {
	return e.erase(ctx, req)
}

// Suppressed reports whether value is on the tenant's suppression list. The
// value is compared by its keyed digest and is never stored or logged.
func (e *Engine) Suppressed(ctx context.Context, tenant, value string) (bool, error) {
	if e.masker == nil {
		return false, lethe.Errorf(lethe.EINVALID, "suppression lookups need the secret key the list was written with: set LETHE_SECRET")
	}
	var n int
	err := e.d.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM lethe_suppression WHERE tenant = "+e.d.Placeholder(1)+" AND digest = "+e.d.Placeholder(2),
		tenant, e.masker.Digest(value)).Scan(&n)
	return n > 0, err
}
