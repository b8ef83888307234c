package engine

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"lethe"
	"lethe/policy"
)

// Setting is one period a tenant may override, with its effective value.
type Setting struct {
	Key        string       `json:"key"` // user.deactivate, identity_events.retention, ...
	Period     lethe.Period `json:"-"`
	Default    lethe.Period `json:"-"`
	Bounds     lethe.Bounds `json:"-"`
	Overridden bool         `json:"overridden"`
	Posture    string       `json:"posture"`
}

// setting is where one key lives in a policy, so an override can be
// applied to a copy of it.
type setting struct {
	key string
	get func(p *lethe.Policy) (lethe.Period, lethe.Bounds)
	set func(p *lethe.Policy, v lethe.Period)
}

// settings lists every overridable period of the policy, in file order:
// <subject>.<stage>, <dataset>.retention, <dataset>.anonymize_after,
// <name>.purge_after.
func settings(p *lethe.Policy) []setting {
	var out []setting
	for _, s := range p.Subjects {
		name := s.Name
		for _, st := range s.Lifecycle.Stages() {
			kind := st.Kind
			stage := func(p *lethe.Policy) *lethe.Stage {
				l := p.Subject(name).Lifecycle
				return map[lethe.StageKind]*lethe.Stage{lethe.StageDeactivate: l.Deactivate, lethe.StageAnonymize: l.Anonymize, lethe.StageDelete: l.Delete}[kind]
			}
			out = append(out, setting{
				key: name + "." + string(kind),
				get: func(p *lethe.Policy) (lethe.Period, lethe.Bounds) { st := stage(p); return st.After, st.Bounds },
				set: func(p *lethe.Policy, v lethe.Period) { stage(p).After = v },
			})
		}
		if s.SoftDelete != nil {
			out = append(out, purgeSetting(name, func(p *lethe.Policy) *lethe.SoftDelete { return p.Subject(name).SoftDelete }))
		}
	}
	for _, ds := range p.Datasets {
		name := ds.Name
		if ds.Retention != nil {
			r := func(p *lethe.Policy) *lethe.Retention { return p.Dataset(name).Retention }
			out = append(out, setting{
				key: name + ".retention",
				get: func(p *lethe.Policy) (lethe.Period, lethe.Bounds) { return r(p).Keep, r(p).Bounds },
				set: func(p *lethe.Policy, v lethe.Period) { r(p).Keep = v },
			})
			if !ds.Retention.AnonymizeAfter.Off() {
				out = append(out, setting{
					key: name + ".anonymize_after",
					get: func(p *lethe.Policy) (lethe.Period, lethe.Bounds) { return r(p).AnonymizeAfter, lethe.Bounds{} },
					set: func(p *lethe.Policy, v lethe.Period) { r(p).AnonymizeAfter = v },
				})
			}
		}
		if ds.SoftDelete != nil {
			out = append(out, purgeSetting(name, func(p *lethe.Policy) *lethe.SoftDelete { return p.Dataset(name).SoftDelete }))
		}
	}
	return out
}

func purgeSetting(name string, sd func(p *lethe.Policy) *lethe.SoftDelete) setting {
	return setting{
		key: name + ".purge_after",
		get: func(p *lethe.Policy) (lethe.Period, lethe.Bounds) { return sd(p).PurgeAfter, sd(p).Bounds },
		set: func(p *lethe.Policy, v lethe.Period) { sd(p).PurgeAfter = v },
	}
}

// copyPolicy copies the parts of a policy overrides change, so a tenant's
// view can differ from the defaults without touching them.
func copyPolicy(p *lethe.Policy) *lethe.Policy {
	c := *p
	c.Subjects = make([]*lethe.Subject, len(p.Subjects))
	for i, s := range p.Subjects {
		s2 := *s
		for _, st := range []**lethe.Stage{&s2.Lifecycle.Deactivate, &s2.Lifecycle.Anonymize, &s2.Lifecycle.Delete} {
			if *st != nil {
				cp := **st
				*st = &cp
			}
		}
		if s.SoftDelete != nil {
			sd := *s.SoftDelete
			s2.SoftDelete = &sd
		}
		c.Subjects[i] = &s2
	}
	c.Datasets = make([]*lethe.Dataset, len(p.Datasets))
	for i, ds := range p.Datasets {
		d2 := *ds
		if ds.Retention != nil {
			r := *ds.Retention
			d2.Retention = &r
		}
		if ds.SoftDelete != nil {
			sd := *ds.SoftDelete
			d2.SoftDelete = &sd
		}
		c.Datasets[i] = &d2
	}
	return &c
}

// overrides reads a tenant's stored periods.
func (e *Engine) overrides(ctx context.Context, tenant string) (map[string]lethe.Period, error) {
	rows, err := e.d.DB().QueryContext(ctx, "SELECT "+e.d.Quote("setting")+", "+e.d.Quote("period")+" FROM lethe_tenant_settings WHERE tenant = "+e.d.Placeholder(1), tenant)
	if err != nil {
		return nil, fmt.Errorf("read settings of tenant %q: %w", tenant, err)
	}
	defer rows.Close()
	out := map[string]lethe.Period{}
	for rows.Next() {
		var key, text string
		if err := rows.Scan(&key, &text); err != nil {
			return nil, err
		}
		p, err := lethe.ParsePeriod(text)
		if err != nil {
			return nil, fmt.Errorf("stored setting %s of tenant %q: %w", key, tenant, err)
		}
		out[key] = p
	}
	return out, rows.Err()
}

// policyFor returns the policy as the tenant sees it: the defaults with
// the tenant's overrides applied.
func (e *Engine) policyFor(ctx context.Context, tenant string) (*lethe.Policy, error) {
	ov, err := e.overrides(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if len(ov) == 0 {
		return e.policy, nil
	}
	p := copyPolicy(e.policy)
	for _, s := range settings(p) {
		if v, ok := ov[s.key]; ok {
			s.set(p, v)
		}
	}
	return p, nil
}

// Settings lists a tenant's effective periods with their posture labels.
func (e *Engine) Settings(ctx context.Context, tenant string) ([]Setting, error) {
	ov, err := e.overrides(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var out []Setting
	for _, s := range settings(e.policy) {
		def, bounds := s.get(e.policy)
		v, overridden := ov[s.key]
		if !overridden {
			v = def
		}
		out = append(out, Setting{Key: s.key, Period: v, Default: def, Bounds: bounds, Overridden: overridden, Posture: lethe.Posture(e.policy.Posture, v)})
	}
	return out, nil
}

// SetSetting stores a tenant's override of one period after checking it
// against its bounds and against the order of the tenant's other stages.
func (e *Engine) SetSetting(ctx context.Context, tenant, key string, v lethe.Period, actor string, at time.Time) error {
	all := settings(e.policy)
	var found *setting
	keys := make([]string, len(all))
	for i := range all {
		keys[i] = all[i].key
		if all[i].key == key {
			found = &all[i]
		}
	}
	if found == nil {
		sort.Strings(keys)
		return lethe.Errorf(lethe.EINVALID, "unknown setting %q: settings are %s", key, strings.Join(keys, ", "))
	}
	_, bounds := found.get(e.policy)
	if msg := bounds.Check(v); msg != "" {
		return lethe.Errorf(lethe.EINVALID, "%s: %s", key, msg)
	}
	ov, err := e.overrides(ctx, tenant)
	if err != nil {
		return err
	}
	ov[key] = v
	p := copyPolicy(e.policy)
	for _, s := range settings(p) {
		if val, ok := ov[s.key]; ok {
			s.set(p, val)
		}
	}
	if errs := policy.Validate(p); len(errs) > 0 {
		return lethe.Errorf(lethe.EINVALID, "%s %s for tenant %q: %s", key, v, tenant, errs[0].Message)
	}
	return e.inTx(ctx, func(tx *sql.Tx) error {
		d := e.d
		if _, err := tx.ExecContext(ctx, "DELETE FROM lethe_tenant_settings WHERE tenant = "+d.Placeholder(1)+" AND "+d.Quote("setting")+" = "+d.Placeholder(2), tenant, key); err != nil {
			return fmt.Errorf("store setting: %w", err)
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO lethe_tenant_settings (tenant, "+d.Quote("setting")+", "+d.Quote("period")+", updated_at, updated_by) VALUES ("+
			d.Placeholder(1)+", "+d.Placeholder(2)+", "+d.Placeholder(3)+", "+d.Placeholder(4)+", "+d.Placeholder(5)+")",
			tenant, key, v.String(), e.timeArg(at), actor)
		if err != nil {
			return fmt.Errorf("store setting: %w", err)
		}
		return nil
	})
}
