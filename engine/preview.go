package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"lethe"
	"lethe/policy"
)

// PlanWith is Plan for one tenant as if its settings were changed by
// overrides (setting key -> period), changing nothing: the preview of a
// settings page. The overrides are checked as CheckSettings checks them;
// the first problem is an EINVALID error that names its key.
func (e *Engine) PlanWith(ctx context.Context, tenant string, at time.Time, overrides map[string]lethe.Period) ([]PlanRow, error) {
	problems, err := e.CheckSettings(ctx, tenant, overrides)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		keys := sortedKeys(problems)
		return nil, lethe.Errorf(lethe.EINVALID, "%s: %s", keys[0], problems[keys[0]])
	}
	view, err := e.policyFor(ctx, tenant)
	if err != nil {
		return nil, err
	}
	if len(overrides) > 0 {
		view = copyPolicy(view)
		known := settingsByKey(e.policy)
		for k, v := range overrides {
			known[k].set(view, v)
		}
	}
	held, err := e.heldFor(ctx, tenant)
	if err != nil {
		return nil, err
	}
	only := tenant
	var out []PlanRow
	for _, it := range e.items() {
		tenants, err := e.tenants(ctx, it.node, &only)
		if err != nil {
			return nil, err
		}
		for _, t := range tenants {
			row, err := e.planRow(ctx, it, t, view, held, at, nil)
			if err != nil {
				return nil, err
			}
			out = append(out, row)
		}
	}
	return out, nil
}

// CheckSettings checks a tenant's proposed periods together, as
// SetSetting checks one: each against its bounds, and each subject's or
// dataset's changed periods against the order of its stages with the
// tenant's other periods. It returns why, per key, the values cannot be
// saved; an empty map means they can.
func (e *Engine) CheckSettings(ctx context.Context, tenant string, overrides map[string]lethe.Period) (map[string]string, error) {
	problems := map[string]string{}
	if len(overrides) == 0 {
		return problems, nil
	}
	view, err := e.policyFor(ctx, tenant)
	if err != nil {
		return nil, err
	}
	known := settingsByKey(e.policy)
	byOwner := map[string][]string{} // subject or dataset -> its changed keys
	for _, k := range sortedKeys(overrides) {
		s, ok := known[k]
		if !ok {
			problems[k] = fmt.Sprintf("unknown setting %q", k)
			continue
		}
		if _, bounds := s.get(e.policy); bounds.Check(overrides[k]) != "" {
			problems[k] = bounds.Check(overrides[k])
			continue
		}
		owner := k[:strings.LastIndex(k, ".")]
		byOwner[owner] = append(byOwner[owner], k)
	}
	// Stage order is a rule within one subject or dataset: each one's
	// changes are checked together, and a problem is laid at the changes
	// that cause it alone, or at all of them when only their combination
	// does.
	apply := func(keys ...string) lethe.ErrorList {
		p := copyPolicy(view)
		for _, k := range keys {
			known[k].set(p, overrides[k])
		}
		return policy.Validate(p)
	}
	for _, keys := range byOwner {
		errs := apply(keys...)
		if len(errs) == 0 {
			continue
		}
		var culprits []string
		for _, k := range keys {
			if len(apply(k)) > 0 {
				culprits = append(culprits, k)
			}
		}
		if len(culprits) == 0 {
			culprits = keys
		}
		for _, k := range culprits {
			problems[k] = errs[0].Message
		}
	}
	return problems, nil
}

func settingsByKey(p *lethe.Policy) map[string]setting {
	out := map[string]setting{}
	for _, s := range settings(p) {
		out[s.key] = s
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Tenants lists the tenants the database knows: every value of a tenant
// column in the policy's tables, and every tenant with stored settings or
// holds, sorted. Rows without a tenant are not one.
func (e *Engine) Tenants(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	tables := map[string]bool{}
	var nodes []*node
	for _, s := range e.policy.Subjects {
		nodes = append(nodes, e.subjectNode(s))
	}
	for _, ds := range e.policy.Datasets {
		nodes = append(nodes, e.datasetNode(ds))
	}
	for _, n := range nodes {
		if n.tenant == "" || tables[n.table] {
			continue
		}
		tables[n.table] = true
		values, err := e.tenants(ctx, n, nil)
		if err != nil {
			return nil, err
		}
		for _, v := range values {
			seen[v] = true
		}
	}
	for _, table := range []string{"lethe_tenant_settings", "lethe_holds"} {
		rows, err := e.d.DB().QueryContext(ctx, "SELECT DISTINCT tenant FROM "+table)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				rows.Close()
				return nil, err
			}
			seen[t] = true
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return nil, err
		}
		rows.Close()
	}
	delete(seen, "")
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out, nil
}
