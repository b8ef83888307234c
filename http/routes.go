package lethehttp

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

var bearer = []map[string][]string{{"bearer": {}}}

// op declares one authenticated /v1 operation. Its possible error
// statuses are listed so the document shows them.
func op(id, method, path, summary, tag string, status int, errs ...int) huma.Operation {
	return huma.Operation{
		OperationID:   id,
		Method:        method,
		Path:          path,
		Summary:       summary,
		Tags:          []string{tag},
		Security:      bearer,
		DefaultStatus: status,
		Errors:        append([]int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}, errs...),
	}
}

func (s *Server) routes() {
	a := s.api
	huma.Register(a, op("get-settings", http.MethodGet, "/v1/tenants/{tenant}/settings",
		"A tenant's effective retention periods, with bounds and posture labels", "settings", 200), s.getSettings)
	huma.Register(a, op("put-settings", http.MethodPut, "/v1/tenants/{tenant}/settings",
		"Override one of a tenant's periods within its bounds (422 with the bounds when outside)", "settings", 200, http.StatusUnprocessableEntity), s.putSettings)

	huma.Register(a, op("get-plan", http.MethodGet, "/v1/plan",
		"What each stage and rule would do now, per tenant; changes nothing", "sweeps", 200), s.getPlan)
	huma.Register(a, op("post-sweep", http.MethodPost, "/v1/sweeps",
		"Run a sweep now (409 when the blast-radius guard trips, unless confirm)", "sweeps", 200, http.StatusConflict), s.postSweep)

	export := op("export-subject", http.MethodGet, "/v1/subjects/{kind}/{id}/export",
		"Every row about one subject in one tenant, streamed as JSON or a zip", "subjects", 200)
	export.Responses = map[string]*huma.Response{"200": {
		Description: "The export: one JSON document (format=json) or a zip of JSON files (format=zip), written as it is read.",
		Content: map[string]*huma.MediaType{
			"application/json": {Schema: &huma.Schema{Type: "object"}},
			"application/zip":  {Schema: &huma.Schema{Type: "string", ContentEncoding: "binary"}},
		},
	}}
	huma.Register(a, export, s.exportSubject)
	huma.Register(a, op("post-erasure", http.MethodPost, "/v1/erasures",
		"Erase one subject within one tenant: counts per dataset and when backups expire", "subjects", 200, http.StatusConflict), s.postErasure)
	huma.Register(a, op("check-suppressed", http.MethodPost, "/v1/suppressed",
		"Whether a value is on a tenant's suppression list (sent in the body, so it stays out of access logs)", "subjects", 200), s.checkSuppressed)

	huma.Register(a, op("open-request", http.MethodPost, "/v1/requests",
		"Open a data-subject request (access or erasure)", "requests", http.StatusCreated), s.openRequest)
	huma.Register(a, op("list-requests", http.MethodGet, "/v1/requests",
		"Requests, overdue first, then by due date", "requests", 200), s.listRequests)
	huma.Register(a, op("get-request", http.MethodGet, "/v1/requests/{id}",
		"One request and its history", "requests", 200), s.getRequest)
	huma.Register(a, op("verify-request", http.MethodPost, "/v1/requests/{id}/verify",
		"Record that the requester's identity was checked", "requests", 200, http.StatusConflict), s.verifyRequest)
	huma.Register(a, op("fulfil-request", http.MethodPost, "/v1/requests/{id}/fulfil",
		"Carry out a verified request (an erasure, or an access request's export manifest)", "requests", 200, http.StatusConflict), s.fulfilRequest)
	huma.Register(a, op("close-request", http.MethodPost, "/v1/requests/{id}/close",
		"Close a completed request", "requests", 200, http.StatusConflict), s.closeRequest)
	huma.Register(a, op("extend-request", http.MethodPost, "/v1/requests/{id}/extend",
		"Move a request's due date, with a reason", "requests", 200, http.StatusConflict), s.extendRequest)
	huma.Register(a, op("reject-request", http.MethodPost, "/v1/requests/{id}/reject",
		"Refuse a request before any work, with a reason", "requests", 200, http.StatusConflict), s.rejectRequest)

	huma.Register(a, op("list-ledger", http.MethodGet, "/v1/ledger",
		"Purge ledger entries", "ledger", 200), s.listLedger)
	huma.Register(a, op("verify-ledger", http.MethodGet, "/v1/ledger/verify",
		"Recompute the ledger's hash chain and report the first broken entry", "ledger", 200), s.verifyLedger)

	huma.Register(a, op("add-hold", http.MethodPost, "/v1/holds",
		"Put a tenant or one subject on legal hold", "holds", http.StatusCreated), s.addHold)
	huma.Register(a, op("list-holds", http.MethodGet, "/v1/holds",
		"Legal holds", "holds", 200), s.listHolds)
	huma.Register(a, op("remove-hold", http.MethodDelete, "/v1/holds/{id}",
		"Lift a legal hold", "holds", http.StatusNoContent), s.removeHold)

	huma.Register(a, huma.Operation{OperationID: "healthz", Method: http.MethodGet, Path: "/healthz",
		Summary: "The process is up", Tags: []string{"operations"}}, s.healthz)
	huma.Register(a, huma.Operation{OperationID: "readyz", Method: http.MethodGet, Path: "/readyz",
		Summary: "The database answers and Lethe's tables are migrated", Tags: []string{"operations"},
		Errors: []int{http.StatusServiceUnavailable}}, s.readyz)
}

// StatusBody answers /healthz and /readyz.
type StatusBody struct {
	Body struct {
		Status string `json:"status" enum:"ok,ready"`
	}
}

func (s *Server) healthz(context.Context, *struct{}) (*StatusBody, error) {
	out := &StatusBody{}
	out.Body.Status = "ok"
	return out, nil
}

func (s *Server) readyz(ctx context.Context, _ *struct{}) (*StatusBody, error) {
	if err := s.ready(ctx); err != nil {
		return nil, &Error{status: http.StatusServiceUnavailable, Code: "internal", Message: err.Error()}
	}
	out := &StatusBody{}
	out.Body.Status = "ready"
	return out, nil
}
