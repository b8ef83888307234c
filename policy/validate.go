package policy

import (
	"fmt"
	"strings"

	"lethe"
)

// Validate checks the rules that hold across settings: bounds, the order of
// lifecycle stages, owners and their chains, what refers to what. It needs
// no database. Load calls it; it is exported for policies built in code.
func Validate(p *lethe.Policy) lethe.ErrorList {
	v := &validator{p: p}
	v.names()
	for _, s := range p.Subjects {
		v.subject(s)
	}
	for _, ds := range p.Datasets {
		v.dataset(ds)
	}
	v.ownerCycles()
	v.posture()
	sortErrors(v.errs)
	return v.errs
}

type validator struct {
	p    *lethe.Policy
	errs lethe.ErrorList
}

func (v *validator) errorAt(path, format string, args ...any) {
	v.errs = append(v.errs, v.p.ErrorAt(path, format, args...))
}

// names checks that subjects and datasets, which owners name alike, do not
// share a name.
func (v *validator) names() {
	for _, ds := range v.p.Datasets {
		if v.p.Subject(ds.Name) != nil {
			v.errorAt("datasets."+ds.Name, "%s names both a subject and a dataset: owners could not tell them apart; rename one", ds.Name)
		}
	}
}

func (v *validator) subject(s *lethe.Subject) {
	path := "subjects." + s.Name
	v.suppress(path, s.Fields, s.Suppress)
	l := s.Lifecycle
	for _, st := range l.Stages() {
		v.stage(path, s, st)
	}
	v.stageOrder(path, l)
	if s.SoftDelete != nil {
		v.softDelete(path+".soft_delete", s.SoftDelete)
	}
}

func (v *validator) stage(subjectPath string, s *lethe.Subject, st *lethe.Stage) {
	path := subjectPath + ".lifecycle." + string(st.Kind)
	v.bounds(path, "after", st.After, st.Bounds)
	if st.After.Off() {
		return
	}
	if st.Since.IsZero() {
		v.errorAt(path, "%s after %s has no clock: add \"since: <column>\" (e.g. since: created_at)", st.Kind, st.After)
	}
	if st.Kind == lethe.StageDeactivate && len(st.Set) == 0 && st.Stamp == "" {
		v.errorAt(path, "deactivate writes nothing: add \"set: {active: false}\" or \"stamp: deactivated_at\" so a deactivated account cannot sign in")
	}
	if st.Kind == lethe.StageAnonymize && len(s.Fields) == 0 && !v.ownsFields(s.Name) {
		v.errorAt(path, "anonymize has nothing to mask: subject %s and the datasets it owns declare no fields", s.Name)
	}
}

// ownsFields reports whether any dataset owned by name, directly or through
// a chain, declares personal fields.
func (v *validator) ownsFields(name string) bool {
	seen := map[string]bool{}
	var walk func(owner string) bool
	walk = func(owner string) bool {
		for _, ds := range v.p.Datasets {
			if ds.Owner == nil || ds.Owner.Name != owner || seen[ds.Name] {
				continue
			}
			seen[ds.Name] = true
			if len(ds.Fields) > 0 || walk(ds.Name) {
				return true
			}
		}
		return false
	}
	return walk(name)
}

// stageOrder checks that the stages of one subject run in a possible order:
// nothing can be anonymized once it is deleted, and anonymizing or deleting
// on the clock that deactivation uses, but sooner, would hit accounts still
// in use.
func (v *validator) stageOrder(path string, l lethe.Lifecycle) {
	on := func(st *lethe.Stage) bool { return st != nil && !st.After.Off() && !st.Since.IsZero() }
	deact, anon, del := l.Deactivate, l.Anonymize, l.Delete
	if on(anon) && on(del) {
		switch {
		case sameClock(anon.Since, del.Since) && anon.After.Compare(del.After) >= 0:
			v.errorAt(path+".lifecycle.anonymize.after",
				"anonymize after %s comes at or after delete after %s on the same clock (%s): nothing is left to anonymize once it is deleted; make anonymize shorter than delete",
				anon.After, del.After, clockText(anon.Since))
		case del.Stamp != "" && firstColumn(anon.Since) == del.Stamp:
			v.errorAt(path+".lifecycle.anonymize.since",
				"anonymize counts from %s, which delete writes: nothing is left to anonymize once it is deleted", del.Stamp)
		}
	}
	if on(deact) {
		for _, st := range []*lethe.Stage{anon, del} {
			if on(st) && sameClock(st.Since, deact.Since) && st.After.Compare(deact.After) < 0 {
				v.errorAt(fmt.Sprintf("%s.lifecycle.%s.after", path, st.Kind),
					"%s after %s comes before deactivate after %s on the same clock (%s): it would %s accounts still in use; make it at least %s, or count it from %s",
					st.Kind, st.After, deact.After, clockText(st.Since), st.Kind, deact.After, stampOr(deact.Stamp, "the deactivation stamp"))
			}
		}
	}
}

func stampOr(stamp, fallback string) string {
	if stamp != "" {
		return stamp
	}
	return fallback
}

func sameClock(a, b lethe.Clock) bool {
	if len(a.Columns) != len(b.Columns) {
		return false
	}
	for i := range a.Columns {
		if a.Columns[i] != b.Columns[i] {
			return false
		}
	}
	return true
}

func firstColumn(c lethe.Clock) string {
	if len(c.Columns) == 0 {
		return ""
	}
	return c.Columns[0].Name
}

func clockText(c lethe.Clock) string {
	names := make([]string, len(c.Columns))
	for i, col := range c.Columns {
		names[i] = col.Name
	}
	return strings.Join(names, ", ")
}

func (v *validator) dataset(ds *lethe.Dataset) {
	path := "datasets." + ds.Name
	v.suppress(path, ds.Fields, ds.Suppress)
	if ds.Owner != nil {
		switch {
		case ds.Owner.Name == ds.Name:
			v.errorAt(path+".owner."+ds.Owner.Name, "dataset %s cannot own itself", ds.Name)
		case v.p.Subject(ds.Owner.Name) == nil && v.p.Dataset(ds.Owner.Name) == nil:
			v.errorAt(path+".owner."+ds.Owner.Name, "owner %s names neither a subject nor a dataset%s: owners are %s",
				ds.Owner.Name, suggest(ds.Owner.Name, v.ownerNames()), strings.Join(v.ownerNames(), ", "))
		}
		if ds.OnSubjectDelete == "" {
			ds.OnSubjectDelete = lethe.OnDeleteDelete
		}
		if ds.OnSubjectErase == "" {
			ds.OnSubjectErase = lethe.OnEraseDelete
		}
	} else {
		if ds.OnSubjectDelete != "" {
			v.errorAt(path+".on_subject_delete", "on_subject_delete needs an owner: add \"owner: {<subject>: <column>}\"")
		}
		if ds.OnSubjectErase != "" {
			v.errorAt(path+".on_subject_erase", "on_subject_erase needs an owner: add \"owner: {<subject>: <column>}\"")
		}
	}
	if ds.OnSubjectErase == lethe.OnEraseAnonymize && len(ds.Fields) == 0 {
		v.errorAt(path+".on_subject_erase", "on_subject_erase: anonymize, but %s declares no fields to mask", ds.Name)
	}
	if r := ds.Retention; r != nil {
		v.retention(path+".retention", ds, r)
	}
	if ds.SoftDelete != nil {
		v.softDelete(path+".soft_delete", ds.SoftDelete)
	}
}

func (v *validator) retention(path string, ds *lethe.Dataset, r *lethe.Retention) {
	v.bounds(path, "keep", r.Keep, r.Bounds)
	if r.Since.IsZero() {
		v.errorAt(path, "retention has no clock: add \"since: <column>\" (e.g. since: created_at)")
	}
	if r.AnonymizeAfter.Off() {
		return
	}
	if len(ds.Fields) == 0 {
		v.errorAt(path+".anonymize_after", "anonymize_after %s has nothing to mask: %s declares no fields", r.AnonymizeAfter, ds.Name)
	}
	if !r.Keep.Off() && r.AnonymizeAfter.Compare(r.Keep) >= 0 {
		v.errorAt(path+".anonymize_after", "anonymize_after %s comes at or after keep %s: the rows are deleted before they would be masked; make it shorter than keep",
			r.AnonymizeAfter, r.Keep)
	}
}

func (v *validator) softDelete(path string, s *lethe.SoftDelete) {
	v.bounds(path, "purge_after", s.PurgeAfter, s.Bounds)
	for _, link := range s.Cascade {
		if v.resolveLink(link.Name) == "" {
			v.errorAt(path+".cascade."+link.Name, "cascade %s names no subject, dataset or table of this policy: write one of %s",
				link.Name, strings.Join(v.ownerNames(), ", "))
		}
	}
}

// resolveLink finds what a cascade names: a subject or dataset by name, or
// by its table (SPEC 1a writes `cascade: {users: organisation_id}`).
// It returns the subject or dataset name, or "".
func (v *validator) resolveLink(name string) string {
	if v.p.Subject(name) != nil || v.p.Dataset(name) != nil {
		return name
	}
	for _, s := range v.p.Subjects {
		if s.Table == name {
			return s.Name
		}
	}
	for _, ds := range v.p.Datasets {
		if ds.Table == name {
			return ds.Name
		}
	}
	return ""
}

func (v *validator) ownerNames() []string {
	var names []string
	for _, s := range v.p.Subjects {
		names = append(names, s.Name)
	}
	for _, ds := range v.p.Datasets {
		names = append(names, ds.Name)
	}
	return names
}

// bounds checks that a default lies within its bounds and that the bounds
// are in order. path is the setting's parent (a stage, a retention rule).
func (v *validator) bounds(path, setting string, value lethe.Period, b lethe.Bounds) {
	if b.Min != nil && b.Max != nil && b.Min.Compare(*b.Max) > 0 {
		v.errorAt(path+".bounds.min", "bounds are reversed: min %s is above max %s", *b.Min, *b.Max)
		return
	}
	if msg := b.Check(value); msg != "" {
		v.errorAt(path+"."+setting, "%s.%s: %s", path, setting, msg)
	}
}

func (v *validator) suppress(path string, fields []lethe.Field, suppress []string) {
	for _, col := range suppress {
		found := false
		for _, f := range fields {
			found = found || f.Column == col
		}
		if !found {
			v.errorAt(path+".suppress", "suppress names %s, which is not among the fields: list it under fields with its mask", col)
		}
	}
}

// ownerCycles reports chains of owners that come back to where they
// started: their rows could never be reached from a subject.
func (v *validator) ownerCycles() {
	reported := map[string]bool{}
	for _, start := range v.p.Datasets {
		seen := map[string]bool{}
		var chain []string
		for ds := start; ds != nil && ds.Owner != nil; ds = v.p.Dataset(ds.Owner.Name) {
			if seen[ds.Name] {
				if ds.Name == start.Name && !reported[start.Name] {
					for _, n := range chain {
						reported[n] = true
					}
					v.errorAt("datasets."+start.Name+".owner."+start.Owner.Name, "owners form a cycle: %s -> %s; a chain of owners must end at a subject",
						strings.Join(chain, " -> "), start.Name)
				}
				break
			}
			seen[ds.Name] = true
			chain = append(chain, ds.Name)
		}
	}
}

func (v *validator) posture() {
	for i := 1; i < len(v.p.Posture); i++ {
		if v.p.Posture[i].Below.Compare(v.p.Posture[i-1].Below) <= 0 {
			v.errorAt(fmt.Sprintf("posture[%d]", i), "posture bands must grow: below %s follows below %s", v.p.Posture[i].Below, v.p.Posture[i-1].Below)
		}
	}
}
