package lethehttp

import (
	"context"
	"strconv"

	"lethe"
	"lethe/requests"
	"lethe/tokens"
)

type openRequestInput struct {
	Body struct {
		Kind      string `json:"kind" enum:"access,erasure"`
		Subject   string `json:"subject" minLength:"3" maxLength:"511" doc:"KIND:ID, e.g. user:42"`
		Tenant    string `json:"tenant,omitempty" maxLength:"255" doc:"The tenant; a tenant-scoped token always opens in its own"`
		Requester string `json:"requester" minLength:"1" maxLength:"2000" doc:"Who asked (name, address): personal data, kept with the request only"`
		Due       string `json:"due,omitempty" maxLength:"64" doc:"Time to answer, e.g. 30 days (the default)"`
	}
}

// RequestBody is one request.
type RequestBody struct {
	Body requests.Request
}

func (s *Server) openRequest(ctx context.Context, in *openRequestInput) (*RequestBody, error) {
	p, err := allow(ctx, manageRequests)
	if err != nil {
		return nil, err
	}
	tenant, err := p.oneTenant(in.Body.Tenant)
	if err != nil {
		return nil, err
	}
	var due lethe.Period
	if in.Body.Due != "" {
		if due, err = lethe.ParsePeriod(in.Body.Due); err != nil {
			return nil, invalid("due: %s", err.Error())
		}
	}
	r, err := s.cfg.Requests.Open(ctx, requests.OpenInput{Kind: in.Body.Kind, Subject: in.Body.Subject, Tenant: tenant,
		Requester: in.Body.Requester, Due: due, Actor: p.Name, At: s.now()})
	if err != nil {
		return nil, s.fail(ctx, "open request", err)
	}
	return &RequestBody{Body: p.shown(r)}, nil
}

// shown is a request as the caller may see it: auditors check how
// requests are handled, not who made them.
func (p principal) shown(r requests.Request) requests.Request {
	if p.Role == tokens.Auditor {
		r.Requester = ""
	}
	return r
}

type listRequestsInput struct {
	Tenant  string `query:"tenant" maxLength:"255" doc:"Only this tenant; a tenant-scoped token always sees its own"`
	Status  string `query:"status" enum:"received,verified,in_progress,completed,failed,rejected,closed,"`
	Overdue bool   `query:"overdue" doc:"Only requests still owed whose due date has passed"`
}

// RequestsBody is a list of requests.
type RequestsBody struct {
	Body struct {
		Requests []requests.Request `json:"requests"`
	}
}

func (s *Server) listRequests(ctx context.Context, in *listRequestsInput) (*RequestsBody, error) {
	p, err := allow(ctx, readRequests)
	if err != nil {
		return nil, err
	}
	tenant, err := p.tenant(in.Tenant)
	if err != nil {
		return nil, err
	}
	list, err := s.cfg.Requests.List(ctx, requests.ListFilter{Tenant: tenant, Status: in.Status, Overdue: in.Overdue, At: s.now()})
	if err != nil {
		return nil, s.fail(ctx, "list requests", err)
	}
	out := &RequestsBody{}
	out.Body.Requests = make([]requests.Request, 0, len(list))
	for _, r := range list {
		out.Body.Requests = append(out.Body.Requests, p.shown(r))
	}
	return out, nil
}

type requestPath struct {
	ID int64 `path:"id" minimum:"1"`
}

// RequestHistoryBody is a request with its history.
type RequestHistoryBody struct {
	Body struct {
		Request requests.Request `json:"request"`
		Events  []requests.Event `json:"events"`
	}
}

// find reads a request the caller may see; another tenant's is "not found"
// like one that does not exist.
func (s *Server) find(ctx context.Context, p principal, id int64) (requests.Request, []requests.Event, error) {
	r, events, err := s.cfg.Requests.Get(ctx, id)
	if err == nil && !p.sees(r.Tenant) {
		err = lethe.Errorf(lethe.ENOTFOUND, "no request %d", id)
	}
	if err != nil {
		return requests.Request{}, nil, s.fail(ctx, "get request", err)
	}
	return r, events, nil
}

func (s *Server) getRequest(ctx context.Context, in *requestPath) (*RequestHistoryBody, error) {
	p, err := allow(ctx, readRequests)
	if err != nil {
		return nil, err
	}
	r, events, err := s.find(ctx, p, in.ID)
	if err != nil {
		return nil, err
	}
	out := &RequestHistoryBody{}
	out.Body.Request = p.shown(r)
	out.Body.Events = events
	if out.Body.Events == nil {
		out.Body.Events = []requests.Event{}
	}
	return out, nil
}

// step checks the caller may manage request id, then applies fn.
func (s *Server) step(ctx context.Context, id int64, name string, fn func(p principal) (requests.Request, error)) (*RequestBody, error) {
	p, err := allow(ctx, manageRequests)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.find(ctx, p, id); err != nil {
		return nil, err
	}
	r, err := fn(p)
	if err != nil {
		return nil, s.fail(ctx, name+" request "+strconv.FormatInt(id, 10), err)
	}
	return &RequestBody{Body: p.shown(r)}, nil
}

type verifyRequestInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body *struct {
		Method string `json:"method,omitempty" enum:"operator,token" doc:"operator (the default): an operator checked the requester's identity; token: the requester confirmed an emailed one-time token"`
	}
}

func (s *Server) verifyRequest(ctx context.Context, in *verifyRequestInput) (*RequestBody, error) {
	method := requests.ByOperator
	if in.Body != nil && in.Body.Method != "" {
		method = in.Body.Method
	}
	return s.step(ctx, in.ID, "verify", func(p principal) (requests.Request, error) {
		return s.cfg.Requests.Verify(ctx, in.ID, p.Name, method, s.now())
	})
}

// Fulfilling an access request through the API keeps the export's
// manifest with the request; the data itself is read with
// GET /v1/subjects/{kind}/{id}/export.
func (s *Server) fulfilRequest(ctx context.Context, in *requestPath) (*RequestBody, error) {
	return s.step(ctx, in.ID, "fulfil", func(p principal) (requests.Request, error) {
		return s.cfg.Requests.Fulfil(ctx, in.ID, p.Name, s.now(), nil)
	})
}

func (s *Server) closeRequest(ctx context.Context, in *requestPath) (*RequestBody, error) {
	return s.step(ctx, in.ID, "close", func(p principal) (requests.Request, error) {
		return s.cfg.Requests.Close(ctx, in.ID, p.Name, s.now())
	})
}

type extendRequestInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		By     string `json:"by" minLength:"1" maxLength:"64" doc:"How much longer, e.g. 60 days"`
		Reason string `json:"reason" minLength:"1" maxLength:"2000"`
	}
}

func (s *Server) extendRequest(ctx context.Context, in *extendRequestInput) (*RequestBody, error) {
	by, err := lethe.ParsePeriod(in.Body.By)
	if err != nil {
		return nil, invalid("by: %s", err.Error())
	}
	return s.step(ctx, in.ID, "extend", func(p principal) (requests.Request, error) {
		return s.cfg.Requests.Extend(ctx, in.ID, by, in.Body.Reason, p.Name, s.now())
	})
}

type rejectRequestInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"2000"`
	}
}

func (s *Server) rejectRequest(ctx context.Context, in *rejectRequestInput) (*RequestBody, error) {
	return s.step(ctx, in.ID, "reject", func(p principal) (requests.Request, error) {
		return s.cfg.Requests.Reject(ctx, in.ID, p.Name, in.Body.Reason, s.now())
	})
}
