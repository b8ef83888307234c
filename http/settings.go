package lethehttp

import (
	"context"
	"net/http"
	"strings"
	"time"

	"lethe"
	"lethe/engine"
)

// Setting is one of a tenant's periods.
type Setting struct {
	Key        string  `json:"key" doc:"subject.stage or dataset.rule, e.g. user.delete, identity_events.retention"`
	Period     string  `json:"period" doc:"The effective period: the tenant's override, else the policy's default; 0 is off"`
	Default    string  `json:"default" doc:"The policy's default"`
	Min        *string `json:"min" doc:"The shortest period allowed; null when open"`
	Max        *string `json:"max" doc:"The longest period allowed; null when open"`
	Bounds     string  `json:"bounds" doc:"The bounds as text, e.g. 3 months to 84 months"`
	Overridden bool    `json:"overridden" doc:"Whether the tenant chose the period"`
	Posture    string  `json:"posture" doc:"Compliance posture label of the period (reduced, aligned, gdpr-5-1-e); empty when off"`
}

// SettingsBody is a tenant's settings.
type SettingsBody struct {
	Body struct {
		Tenant   string    `json:"tenant"`
		Settings []Setting `json:"settings"`
	}
}

type tenantPath struct {
	Tenant string `path:"tenant" maxLength:"255" doc:"The tenant (workspace)"`
}

func (s *Server) getSettings(ctx context.Context, in *tenantPath) (*SettingsBody, error) {
	p, err := allow(ctx, readSettings)
	if err != nil {
		return nil, err
	}
	if !p.sees(in.Tenant) {
		return nil, noTenant(in.Tenant)
	}
	return s.settings(ctx, in.Tenant)
}

func (s *Server) settings(ctx context.Context, tenant string) (*SettingsBody, error) {
	list, err := s.cfg.Engine.Settings(ctx, tenant)
	if err != nil {
		return nil, s.fail(ctx, "settings", err)
	}
	out := &SettingsBody{}
	out.Body.Tenant = tenant
	out.Body.Settings = make([]Setting, 0, len(list))
	for _, st := range list {
		out.Body.Settings = append(out.Body.Settings, settingOf(st))
	}
	return out, nil
}

func settingOf(st engine.Setting) Setting {
	v := Setting{Key: st.Key, Period: st.Period.String(), Default: st.Default.String(), Bounds: st.Bounds.String(), Overridden: st.Overridden, Posture: st.Posture}
	if st.Bounds.Min != nil {
		m := st.Bounds.Min.String()
		v.Min = &m
	}
	if st.Bounds.Max != nil {
		m := st.Bounds.Max.String()
		v.Max = &m
	}
	return v
}

type putSettingsInput struct {
	Tenant string `path:"tenant" maxLength:"255"`
	Body   struct {
		Key    string `json:"key" minLength:"1" maxLength:"255" doc:"The setting, as GET lists it"`
		Period string `json:"period" minLength:"1" maxLength:"64" doc:"N days|weeks|months|years, or 0 (off)"`
	}
}

func (s *Server) putSettings(ctx context.Context, in *putSettingsInput) (*SettingsBody, error) {
	p, err := allow(ctx, changeSettings)
	if err != nil {
		return nil, err
	}
	if !p.sees(in.Tenant) {
		return nil, noTenant(in.Tenant)
	}
	period, err := lethe.ParsePeriod(in.Body.Period)
	if err != nil {
		return nil, invalid("%s", err.Error())
	}
	if err := s.cfg.Engine.SetSetting(ctx, in.Tenant, strings.TrimSpace(in.Body.Key), period, p.Name, s.now()); err != nil {
		return nil, s.unprocessable(ctx, "put settings", err)
	}
	return s.settings(ctx, in.Tenant)
}

// parseTime reads an RFC 3339 parameter; "" is the zero time.
func parseTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, &Error{status: http.StatusBadRequest, Code: lethe.EINVALID, Message: name + " " + quote(v) + " is not an RFC 3339 time: write e.g. 2024-04-01T00:00:00Z"}
	}
	return t.UTC(), nil
}
