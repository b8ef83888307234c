package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"lethe"
	"lethe/engine"
	"lethe/requests"
)

type requestRow struct {
	requests.Request
	Overdue bool
}

type requestsData struct {
	Requests  []requestRow
	Overdue   int
	Kinds     []string // subject kinds of the policy
	Units     []string
	CanManage bool
	Form      openForm
}

type openForm struct {
	Kind, SubjectKind, SubjectKey, Requester, DueN, DueUnit string
}

func (s *server) requestsPage(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.showRequests(w, r, c, http.StatusOK, "", openForm{Kind: requests.Erasure, DueN: "30", DueUnit: "days"})
}

func (s *server) showRequests(w http.ResponseWriter, r *http.Request, c *caller, status int, msg string, form openForm) error {
	at := s.now()
	tenant := c.tenant
	list, err := s.cfg.Requests.List(r.Context(), requests.ListFilter{Tenant: &tenant, At: at})
	if err != nil {
		return err
	}
	data := requestsData{CanManage: c.may(manageRequests), Form: form}
	for _, u := range units {
		data.Units = append(data.Units, u.Name)
	}
	for _, sub := range s.cfg.Engine.Policy().Subjects {
		data.Kinds = append(data.Kinds, sub.Name)
	}
	for _, q := range list {
		row := requestRow{Request: q, Overdue: q.Overdue(at)}
		if row.Overdue {
			data.Overdue++
		}
		data.Requests = append(data.Requests, row)
	}
	s.render(w, r, c, status, "requests", view{Title: "Requests", Nav: "requests", Error: msg, Page: data})
	return nil
}

func (s *server) openRequest(w http.ResponseWriter, r *http.Request, c *caller) error {
	form := openForm{
		Kind: r.PostFormValue("kind"), SubjectKind: r.PostFormValue("subject_kind"), SubjectKey: strings.TrimSpace(r.PostFormValue("subject_key")),
		Requester: strings.TrimSpace(r.PostFormValue("requester")), DueN: strings.TrimSpace(r.PostFormValue("due_n")), DueUnit: r.PostFormValue("due_unit"),
	}
	due, msg := parseCount(form.DueN, form.DueUnit)
	if msg != "" {
		return s.showRequests(w, r, c, http.StatusUnprocessableEntity, "Due in: "+msg+".", form)
	}
	req, err := s.cfg.Requests.Open(r.Context(), requests.OpenInput{Kind: form.Kind, Subject: form.SubjectKind + ":" + form.SubjectKey,
		Tenant: c.tenant, Requester: form.Requester, Due: due, Actor: c.Name, At: s.now()})
	if err != nil {
		if msg := s.userMessage(r, err); msg != "" {
			return s.showRequests(w, r, c, statusOf(err), msg, form)
		}
		return err
	}
	return s.redirect(w, r, s.requestLink(c.tenant, req.ID)+"?done=opened")
}

func (s *server) requestLink(tenant string, id int64) string {
	return link(s.prefix, "t", tenant, "requests", strconv.FormatInt(id, 10))
}

type requestData struct {
	Request requests.Request
	Overdue bool
	Events  []requests.Event
	Erasure *requests.ErasureResult
	Export  *engine.ExportManifest
	Units   []string
	Steps   map[string]bool // the steps the caller may take now
}

// done are the messages of a step that worked, by the redirect's ?done=;
// fixed texts, so nothing from the address is echoed into the page.
var done = map[string]string{
	"opened":    "Request opened.",
	"verified":  "The requester's identity is recorded as verified.",
	"fulfilled": "Request fulfilled.",
	"closed":    "Request closed.",
	"extended":  "Due date extended.",
	"rejected":  "Request rejected.",
}

func (s *server) loadRequest(r *http.Request, c *caller) (requests.Request, []requests.Event, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return requests.Request{}, nil, errNotFound
	}
	req, events, err := s.cfg.Requests.Get(r.Context(), id)
	if isNotFound(err) || (err == nil && req.Tenant != c.tenant) {
		// Another tenant's request is not there, as far as this tenant knows.
		return requests.Request{}, nil, lethe.Errorf(lethe.ENOTFOUND, "There is no request %d in tenant %s.", id, c.tenant)
	}
	return req, events, err
}

func (s *server) requestPage(w http.ResponseWriter, r *http.Request, c *caller) error {
	req, events, err := s.loadRequest(r, c)
	if err != nil {
		return err
	}
	return s.showRequest(w, r, c, http.StatusOK, done[r.URL.Query().Get("done")], "", req, events)
}

func (s *server) showRequest(w http.ResponseWriter, r *http.Request, c *caller, status int, flash, msg string, req requests.Request, events []requests.Event) error {
	data := requestData{Request: req, Overdue: req.Overdue(s.now()), Events: events, Steps: map[string]bool{}}
	for _, u := range units {
		data.Units = append(data.Units, u.Name)
	}
	if len(req.Result) > 0 {
		if req.Kind == requests.Erasure {
			data.Erasure = &requests.ErasureResult{}
			if err := json.Unmarshal(req.Result, data.Erasure); err != nil {
				return fmt.Errorf("request %d: read its result: %w", req.ID, err)
			}
		} else {
			data.Export = &engine.ExportManifest{}
			if err := json.Unmarshal(req.Result, data.Export); err != nil {
				return fmt.Errorf("request %d: read its result: %w", req.ID, err)
			}
		}
	}
	manage := c.may(manageRequests)
	fulfil := c.may(eraseSubjects)
	if req.Kind == requests.Access {
		fulfil = c.may(exportSubjects)
	}
	switch req.Status {
	case requests.Received:
		data.Steps["verify"], data.Steps["reject"], data.Steps["extend"] = manage, manage, manage
	case requests.Verified:
		data.Steps["fulfil"], data.Steps["reject"], data.Steps["extend"] = fulfil, manage, manage
	case requests.Failed:
		data.Steps["fulfil"], data.Steps["extend"] = fulfil, manage
	case requests.InProgress:
		data.Steps["extend"] = manage
	case requests.Completed:
		data.Steps["close"] = manage
	}
	title := fmt.Sprintf("Request %d", req.ID)
	s.render(w, r, c, status, "request", view{Title: title, Nav: "requests", Flash: flash, Error: msg, Page: data})
	return nil
}

// requestStep takes one step of a request's workflow.
func (s *server) requestStep(w http.ResponseWriter, r *http.Request, c *caller) error {
	req, _, err := s.loadRequest(r, c)
	if err != nil {
		return err
	}
	step := r.PathValue("step")
	need := manageRequests
	if step == "fulfil" {
		need = eraseSubjects
		if req.Kind == requests.Access {
			need = exportSubjects
		}
	}
	if !c.may(need) {
		s.fail(w, r, c, http.StatusForbidden, fmt.Sprintf("Your token's role, %s, may not %s.", c.Role, need))
		return nil
	}
	ctx, st, at := r.Context(), s.cfg.Requests, s.now()
	var result string
	switch step {
	case "verify":
		err, result = ignore(st.Verify(ctx, req.ID, c.Name, r.PostFormValue("method"), at)), "verified"
	case "fulfil":
		if req.Kind == requests.Erasure && r.PostFormValue("confirm") != "yes" {
			err = lethe.Errorf(lethe.EINVALID, "Tick the box to confirm that you understand the erasure cannot be undone.")
			break
		}
		// An access request's export is written by the API or the CLI;
		// here only its manifest is kept.
		err, result = ignore(st.Fulfil(ctx, req.ID, c.Name, at, nil)), "fulfilled"
	case "close":
		err, result = ignore(st.Close(ctx, req.ID, c.Name, at)), "closed"
	case "reject":
		err, result = ignore(st.Reject(ctx, req.ID, c.Name, strings.TrimSpace(r.PostFormValue("reason")), at)), "rejected"
	case "extend":
		by, msg := parseCount(strings.TrimSpace(r.PostFormValue("by_n")), r.PostFormValue("by_unit"))
		if msg != "" {
			err = lethe.Errorf(lethe.EINVALID, "Extend by: %s.", msg)
			break
		}
		err, result = ignore(st.Extend(ctx, req.ID, by, strings.TrimSpace(r.PostFormValue("reason")), c.Name, at)), "extended"
	default:
		return errNotFound
	}
	if err != nil {
		msg := s.userMessage(r, err)
		if msg == "" {
			return err
		}
		// Show the request as it is now (a failed erasure is marked
		// failed), with why the step did not go through.
		req, events, gerr := s.loadRequest(r, c)
		if gerr != nil {
			return gerr
		}
		return s.showRequest(w, r, c, statusOf(err), "", msg, req, events)
	}
	s.log.InfoContext(ctx, "ui: request step", "request", req.ID, "step", step, "token", c.Name)
	return s.redirect(w, r, s.requestLink(c.tenant, req.ID)+"?done="+result)
}

// ignore drops a step's request, keeping its error.
func ignore(_ requests.Request, err error) error { return err }
