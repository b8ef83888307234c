package lethehttp

import (
	"context"
	"strings"

	"lethe"
	"lethe/engine"
)

type addHoldInput struct {
	Body struct {
		Tenant  string `json:"tenant,omitempty" maxLength:"255" doc:"The tenant; a tenant-scoped token always holds in its own"`
		Subject string `json:"subject,omitempty" maxLength:"511" doc:"KIND:ID to hold one subject; absent to hold the whole tenant"`
		Reason  string `json:"reason" minLength:"1" maxLength:"2000" doc:"The matter or case the hold serves"`
	}
}

// HoldBody is one hold.
type HoldBody struct {
	Body engine.Hold
}

func (s *Server) addHold(ctx context.Context, in *addHoldInput) (*HoldBody, error) {
	p, err := allow(ctx, manageHolds)
	if err != nil {
		return nil, err
	}
	tenant, err := p.oneTenant(in.Body.Tenant)
	if err != nil {
		return nil, err
	}
	h := engine.Hold{Tenant: tenant, Reason: in.Body.Reason, CreatedBy: p.Name, CreatedAt: s.now()}
	if in.Body.Subject != "" {
		kind, key, ok := strings.Cut(in.Body.Subject, ":")
		if !ok || kind == "" || key == "" {
			return nil, invalid("subject %s: write KIND:ID, e.g. user:42", quote(in.Body.Subject))
		}
		h.SubjectKind, h.SubjectKey = kind, key
	}
	h, err = s.cfg.Engine.AddHold(ctx, h)
	if err != nil {
		return nil, s.fail(ctx, "add hold", err)
	}
	return &HoldBody{Body: h}, nil
}

type listHoldsInput struct {
	Tenant string `query:"tenant" maxLength:"255" doc:"Only this tenant; every tenant when absent (a tenant-scoped token sees its own)"`
}

// HoldsBody is a list of holds.
type HoldsBody struct {
	Body struct {
		Holds []engine.Hold `json:"holds"`
	}
}

func (s *Server) listHolds(ctx context.Context, in *listHoldsInput) (*HoldsBody, error) {
	p, err := allow(ctx, readHolds)
	if err != nil {
		return nil, err
	}
	tenant, err := p.tenant(in.Tenant)
	if err != nil {
		return nil, err
	}
	var list []engine.Hold
	if tenant == nil {
		list, err = s.cfg.Engine.Holds(ctx, "", true)
	} else {
		list, err = s.cfg.Engine.Holds(ctx, *tenant, false)
	}
	if err != nil {
		return nil, s.fail(ctx, "list holds", err)
	}
	out := &HoldsBody{}
	out.Body.Holds = list
	if out.Body.Holds == nil {
		out.Body.Holds = []engine.Hold{}
	}
	return out, nil
}

type holdPath struct {
	ID int64 `path:"id" minimum:"1"`
}

// A scoped token may lift only a hold of its own tenant; another
// tenant's hold is "not found", like one that does not exist.
func (s *Server) removeHold(ctx context.Context, in *holdPath) (*struct{}, error) {
	p, err := allow(ctx, manageHolds)
	if err != nil {
		return nil, err
	}
	if p.Tenant != nil {
		list, err := s.cfg.Engine.Holds(ctx, *p.Tenant, false)
		if err != nil {
			return nil, s.fail(ctx, "remove hold", err)
		}
		found := false
		for _, h := range list {
			found = found || h.ID == in.ID
		}
		if !found {
			return nil, s.fail(ctx, "remove hold", lethe.Errorf(lethe.ENOTFOUND, "no hold %d", in.ID))
		}
	}
	if err := s.cfg.Engine.RemoveHold(ctx, in.ID); err != nil {
		return nil, s.fail(ctx, "remove hold", err)
	}
	return nil, nil
}
