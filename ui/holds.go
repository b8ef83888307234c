package ui

import (
	"net/http"
	"strconv"
	"strings"

	"lethe"
	"lethe/engine"
	"lethe/requests"
)

type holdsData struct {
	Holds     []engine.Hold
	Kinds     []string
	CanManage bool
	Form      holdForm
}

type holdForm struct {
	SubjectKind, SubjectKey, Reason string
}

var holdDone = map[string]string{"added": "Hold added: no anonymization or deletion touches it while it stands.", "removed": "Hold removed."}

func (s *server) holdsPage(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.showHolds(w, r, c, http.StatusOK, holdDone[r.URL.Query().Get("done")], "", holdForm{})
}

func (s *server) showHolds(w http.ResponseWriter, r *http.Request, c *caller, status int, flash, msg string, form holdForm) error {
	holds, err := s.cfg.Engine.Holds(r.Context(), c.tenant, false)
	if err != nil {
		return err
	}
	data := holdsData{Holds: holds, CanManage: c.may(manageHolds), Form: form}
	for _, sub := range s.cfg.Engine.Policy().Subjects {
		data.Kinds = append(data.Kinds, sub.Name)
	}
	s.render(w, r, c, status, "holds", view{Title: "Legal holds", Nav: "holds", Flash: flash, Error: msg, Page: data})
	return nil
}

func (s *server) addHold(w http.ResponseWriter, r *http.Request, c *caller) error {
	form := holdForm{SubjectKind: r.PostFormValue("subject_kind"), SubjectKey: strings.TrimSpace(r.PostFormValue("subject_key")),
		Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	h := engine.Hold{Tenant: c.tenant, SubjectKind: form.SubjectKind, SubjectKey: form.SubjectKey, Reason: form.Reason, CreatedBy: c.Name, CreatedAt: s.now()}
	if h.SubjectKind == "" && h.SubjectKey != "" {
		return s.showHolds(w, r, c, http.StatusUnprocessableEntity, "", "Choose the kind of the subject, or leave the key empty to hold the whole tenant.", form)
	}
	if _, err := s.cfg.Engine.AddHold(r.Context(), h); err != nil {
		if msg := s.userMessage(r, err); msg != "" {
			return s.showHolds(w, r, c, statusOf(err), "", msg, form)
		}
		return err
	}
	s.log.InfoContext(r.Context(), "ui: hold added", "tenant", c.tenant, "token", c.Name)
	return s.redirect(w, r, link(s.prefix, "t", c.tenant, "holds")+"?done=added")
}

func (s *server) removeHold(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errNotFound
	}
	holds, err := s.cfg.Engine.Holds(r.Context(), c.tenant, false)
	if err != nil {
		return err
	}
	found := false
	for _, h := range holds {
		found = found || h.ID == id
	}
	if !found { // another tenant's hold is not there, as far as this one knows
		return lethe.Errorf(lethe.ENOTFOUND, "There is no hold %d in tenant %s.", id, c.tenant)
	}
	if err := s.cfg.Engine.RemoveHold(r.Context(), id); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "ui: hold removed", "tenant", c.tenant, "hold", id, "token", c.Name)
	return s.redirect(w, r, link(s.prefix, "t", c.tenant, "holds")+"?done=removed")
}

type overviewData struct {
	Plan     []engine.PlanRow
	Due      int64
	Held     int64
	Open     int
	Overdue  int
	Holds    int
	Chart    *chart
	ShowPlan bool
	ShowReqs bool
	ShowHold bool
}

// overview is a tenant's front page: what is due now, the request queue
// and the holds at a glance, and the chart; each as far as the role reads
// it.
func (s *server) overview(w http.ResponseWriter, r *http.Request, c *caller) error {
	ctx := r.Context()
	data := overviewData{}
	if c.may(readPlan) {
		plan, err := s.cfg.Engine.PlanWith(ctx, c.tenant, s.now(), nil)
		if err != nil {
			return err
		}
		data.ShowPlan = true
		for _, row := range plan {
			data.Due += row.Rows
			data.Held += row.Held
			if row.Rows > 0 || row.Held > 0 {
				data.Plan = append(data.Plan, row)
			}
		}
	}
	if c.may(readRequests) {
		data.ShowReqs = true
		list, err := s.cfg.Requests.List(ctx, requests.ListFilter{Tenant: &c.tenant, At: s.now()})
		if err != nil {
			return err
		}
		for _, q := range list {
			if q.Overdue(s.now()) {
				data.Overdue++
			}
			if q.Status != requests.Completed && q.Status != requests.Closed && q.Status != requests.Rejected {
				data.Open++
			}
		}
	}
	if c.may(readHolds) {
		data.ShowHold = true
		holds, err := s.cfg.Engine.Holds(ctx, c.tenant, false)
		if err != nil {
			return err
		}
		data.Holds = len(holds)
	}
	if c.may(readLedger) {
		ch, err := s.chart(ctx, c.tenant)
		if err != nil {
			return err
		}
		data.Chart = &ch
	}
	s.render(w, r, c, http.StatusOK, "overview", view{Title: "Overview", Nav: "overview", Page: data})
	return nil
}
