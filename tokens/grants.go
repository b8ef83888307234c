package tokens

// Action is something a role may be allowed to do. The API and the admin
// UI check the same grants, so a token may do the same in both.
type Action string

// The actions roles are granted (SPEC section 5).
const (
	ReadSettings   Action = "read settings"
	ChangeSettings Action = "change settings"
	ReadPlan       Action = "read the plan"
	RunSweeps      Action = "run sweeps"
	ExportSubjects Action = "export subjects"
	EraseSubjects  Action = "erase subjects"
	ManageRequests Action = "manage requests"
	ReadRequests   Action = "read requests"
	ReadLedger     Action = "read the ledger"
	ManageHolds    Action = "manage holds"
	ReadHolds      Action = "read holds"
	CheckSuppress  Action = "check the suppression list"
)

// grants is what each role may do, within its tenant when the token is
// scoped to one: admin a tenant's settings, holds and sweeps; operator its
// requests, erasures and exports; auditor reads. platform-admin may do
// everything, everywhere.
var grants = map[Role][]Action{
	Admin:    {ReadSettings, ChangeSettings, ReadPlan, RunSweeps, ReadLedger, ManageHolds, ReadHolds, ReadRequests},
	Operator: {ReadSettings, ExportSubjects, EraseSubjects, ManageRequests, ReadRequests, ReadHolds, CheckSuppress},
	Auditor:  {ReadSettings, ReadPlan, ReadLedger, ReadHolds, ReadRequests},
}

// May reports whether the token's role may do a (tenant scope aside).
func (t Token) May(a Action) bool {
	if t.Role == PlatformAdmin {
		return true
	}
	for _, g := range grants[t.Role] {
		if g == a {
			return true
		}
	}
	return false
}
