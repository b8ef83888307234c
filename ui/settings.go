package ui

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"lethe"
	"lethe/engine"
)

// units are the units a period is written in, in the order of the select.
var units = []struct {
	Name string
	Unit lethe.Unit
}{{"days", lethe.Days}, {"weeks", lethe.Weeks}, {"months", lethe.Months}, {"years", lethe.Years}}

func unitName(u lethe.Unit) string {
	for _, x := range units {
		if x.Unit == u {
			return x.Name
		}
	}
	return "months"
}

// postureData is the policy's posture bands as the settings page's script
// needs them: per unit, the count from which each band no longer applies.
// The counts come from lethe.Period.Compare, so the script labels a value
// exactly as the server does without knowing how periods compare.
type postureData struct {
	Labels     []string         `json:"labels"`
	Thresholds map[string][]int `json:"thresholds"`
}

const maxCount = 100000 // lethe.ParsePeriod's limit

func newPostureData(bands []lethe.PostureBand) postureData {
	d := postureData{Thresholds: map[string][]int{}}
	for _, b := range bands {
		d.Labels = append(d.Labels, b.Label)
	}
	for _, u := range units {
		for _, b := range bands {
			// The smallest n with n units >= Below: Compare is monotone in n.
			n := sort.Search(maxCount+1, func(n int) bool {
				return n > 0 && lethe.Period{N: n, Unit: u.Unit}.Compare(b.Below) >= 0
			})
			d.Thresholds[u.Name] = append(d.Thresholds[u.Name], n)
		}
	}
	return d
}

// postureText is a period's posture label as the page shows it.
func postureText(bands []lethe.PostureBand, p lethe.Period) string {
	if p.Off() {
		return "off"
	}
	if l := lethe.Posture(bands, p); l != "" {
		return l
	}
	return "beyond every band"
}

// field is one period on the settings form.
type field struct {
	Key          string
	ID           string // of the number input; the unit select is ID+"-unit"
	Label        string
	Help         string
	N            string // as shown (or as typed, when re-rendered)
	Unit         string
	Bounds       string
	Default      string
	Overridden   bool
	Posture      string
	Error        string
	Irreversible bool
	Changed      bool
}

type group struct {
	Title  string
	Fields []*field
}

type settingsData struct {
	Groups     []*group
	Units      []string
	Preview    *preview
	Saved      string
	CanSave    bool
	CanPreview bool
}

func (s *server) settingsPage(w http.ResponseWriter, r *http.Request, c *caller) error {
	data, _, err := s.settingsForm(r, c)
	if err != nil {
		return err
	}
	if n := r.URL.Query().Get("saved"); n != "" {
		if k, err := strconv.Atoi(n); err == nil {
			data.Saved = plural(int64(k), "value", "values") + " saved."
		}
	}
	s.render(w, r, c, http.StatusOK, "settings", view{Title: "Retention settings", Nav: "settings", Page: data})
	return nil
}

// settingsForm builds the form from the tenant's effective settings, and
// returns them by key.
func (s *server) settingsForm(r *http.Request, c *caller) (*settingsData, map[string]engine.Setting, error) {
	e := s.cfg.Engine
	list, err := e.Settings(r.Context(), c.tenant)
	if err != nil {
		return nil, nil, err
	}
	p := e.Policy()
	data := &settingsData{CanSave: c.may(changeSettings), CanPreview: c.may(readPlan)}
	for _, u := range units {
		data.Units = append(data.Units, u.Name)
	}
	byKey := map[string]engine.Setting{}
	groups := map[string]*group{}
	for _, st := range list {
		byKey[st.Key] = st
		owner, what, _ := strings.Cut(st.Key, ".")
		title, label, help := describe(p, owner, what)
		g := groups[title]
		if g == nil {
			g = &group{Title: title}
			groups[title] = g
			data.Groups = append(data.Groups, g)
		}
		unit := unitName(st.Period.Unit)
		if st.Period.Off() {
			unit = unitName(st.Default.Unit)
		}
		g.Fields = append(g.Fields, &field{
			Key: st.Key, ID: "p-" + strings.ReplaceAll(st.Key, ".", "-"), Label: label, Help: help,
			N: strconv.Itoa(st.Period.N), Unit: unit,
			Bounds: st.Bounds.String(), Default: st.Default.String(), Overridden: st.Overridden,
			Posture: postureText(p.Posture, st.Period), Irreversible: what != string(lethe.StageDeactivate),
		})
	}
	return data, byKey, nil
}

// describe names a setting for people: its group, its label and how its
// clock counts.
func describe(p *lethe.Policy, owner, what string) (title, label, help string) {
	if sub := p.Subject(owner); sub != nil {
		title = "Lifecycle of " + sub.Name + " (" + sub.Table + ")"
		l := sub.Lifecycle
		var st *lethe.Stage
		switch lethe.StageKind(what) {
		case lethe.StageDeactivate:
			return title, "Deactivate after inactivity", "counted from " + clockText(l.Deactivate.Since) + "; a deactivated account can no longer sign in"
		case lethe.StageAnonymize:
			st, label = l.Anonymize, "Anonymize after "
		case lethe.StageDelete:
			st, label = l.Delete, "Delete after "
		default: // purge_after
			return title, "Purge soft-deleted rows after", "counted from " + sub.SoftDelete.Column
		}
		if d := l.Deactivate; d != nil && d.Stamp != "" && len(st.Since.Columns) == 1 && st.Since.Columns[0].Name == d.Stamp {
			return title, label + "deactivation", "counted from " + d.Stamp
		}
		if len(st.Since.Columns) == 1 && st.Since.Columns[0].Name == "created_at" {
			return title, label + "creation", "counted from created_at"
		}
		return title, label + clockText(st.Since), "counted from " + clockText(st.Since)
	}
	ds := p.Dataset(owner)
	title = "Datasets"
	switch {
	case ds == nil:
		return title, owner + " " + what, ""
	case what == "retention":
		help = "counted from " + clockText(ds.Retention.Since) + "; 0 keeps the rows"
		if ds.Retention.Archive {
			help += "; archived before they are deleted"
		}
		return title, "Delete " + ds.Name + " after", help
	case what == "anonymize_after":
		return title, "Anonymize " + ds.Name + " after", "counted from " + clockText(ds.Retention.Since) + "; masks the personal fields, keeps the rows"
	default:
		return title, "Purge soft-deleted " + ds.Name + " after", "counted from " + ds.SoftDelete.Column
	}
}

func clockText(c lethe.Clock) string {
	names := make([]string, len(c.Columns))
	for i, col := range c.Columns {
		names[i] = col.Name
	}
	return strings.Join(names, ", else ")
}

// settingsPost previews or saves the form's values.
func (s *server) settingsPost(w http.ResponseWriter, r *http.Request, c *caller) error {
	save := r.PostFormValue("do") == "save"
	if save && !c.may(changeSettings) {
		s.fail(w, r, c, http.StatusForbidden, fmt.Sprintf("Your token's role, %s, may not %s.", c.Role, changeSettings))
		return nil
	}
	if !save && !c.may(readPlan) {
		s.fail(w, r, c, http.StatusForbidden, fmt.Sprintf("Your token's role, %s, may not %s.", c.Role, readPlan))
		return nil
	}
	data, current, err := s.settingsForm(r, c)
	if err != nil {
		return err
	}
	e := s.cfg.Engine
	bands := e.Policy().Posture
	changed := map[string]lethe.Period{}
	fields := map[string]*field{}
	bad := 0
	for _, g := range data.Groups {
		for _, f := range g.Fields {
			fields[f.Key] = f
			f.N = strings.TrimSpace(r.PostFormValue("n:" + f.Key))
			f.Unit = r.PostFormValue("u:" + f.Key)
			v, msg := parseCount(f.N, f.Unit)
			if msg != "" {
				f.Error, f.Posture = msg, ""
				bad++
				continue
			}
			f.Posture = postureText(bands, v)
			if v != current[f.Key].Period {
				changed[f.Key] = v
				f.Changed = true
			}
		}
	}
	problems, err := e.CheckSettings(r.Context(), c.tenant, changed)
	if err != nil {
		return err
	}
	for k, msg := range problems {
		fields[k].Error = msg
		bad++
	}
	if bad > 0 {
		msg := plural(int64(bad), "value", "values") + " cannot be saved: see the message beside each."
		s.render(w, r, c, http.StatusUnprocessableEntity, "settings", view{Title: "Retention settings", Nav: "settings", Error: msg, Page: data})
		return nil
	}
	if !save {
		if data.Preview, err = s.preview(r, c, changed); err != nil {
			return err
		}
		s.render(w, r, c, http.StatusOK, "settings", view{Title: "Retention settings", Nav: "settings", Page: data})
		return nil
	}
	if err := s.saveSettings(r, c, changed); err != nil {
		if msg := s.userMessage(r, err); msg != "" {
			s.render(w, r, c, http.StatusUnprocessableEntity, "settings", view{Title: "Retention settings", Nav: "settings", Error: msg, Page: data})
			return nil
		}
		return err
	}
	s.log.InfoContext(r.Context(), "ui: settings saved", "tenant", c.tenant, "token", c.Name, "changed", len(changed))
	return s.redirect(w, r, link(s.prefix, "t", c.tenant, "settings")+"?saved="+strconv.Itoa(len(changed)))
}

// saveSettings stores the changed periods. SetSetting checks each against
// the tenant's stored others, so an order that passes through no invalid
// state is needed (lengthening delete before anonymize): the values are
// tried until none is left or none goes in. CheckSettings has checked the
// final state already.
func (s *server) saveSettings(r *http.Request, c *caller, changed map[string]lethe.Period) error {
	left := make([]string, 0, len(changed))
	for k := range changed {
		left = append(left, k)
	}
	sort.Strings(left)
	at := s.now()
	for len(left) > 0 {
		var next []string
		var last error
		for _, k := range left {
			if err := s.cfg.Engine.SetSetting(r.Context(), c.tenant, k, changed[k], c.Name, at); err != nil {
				if lethe.ErrorCode(err) != lethe.EINVALID {
					return err
				}
				next, last = append(next, k), err
			}
		}
		if len(next) == len(left) {
			return last
		}
		left = next
	}
	return nil
}

// parseCount reads a number and a unit from the form; 0 is off.
func parseCount(n, unit string) (lethe.Period, string) {
	v, err := strconv.Atoi(n)
	if err != nil || v < 0 || v > maxCount {
		return lethe.Period{}, fmt.Sprintf("write a whole number from 0 (off) to %d", maxCount)
	}
	for _, u := range units {
		if u.Name == unit {
			if v == 0 {
				return lethe.Period{}, ""
			}
			return lethe.Period{N: v, Unit: u.Unit}, ""
		}
	}
	return lethe.Period{}, "choose days, weeks, months or years"
}

// preview is what the plan says the proposed values would do now, beside
// what the current ones do.
type preview struct {
	Sentence string
	Current  string
	Rows     []previewRow
	Held     int64
}

type previewRow struct {
	What             string
	Period, Proposed string
	Now, Then        int64
	Changed          bool
}

func (s *server) preview(r *http.Request, c *caller, changed map[string]lethe.Period) (*preview, error) {
	e := s.cfg.Engine
	at := s.now()
	now, err := e.PlanWith(r.Context(), c.tenant, at, nil)
	if err != nil {
		return nil, err
	}
	then, err := e.PlanWith(r.Context(), c.tenant, at, changed)
	if err != nil {
		return nil, err
	}
	p := e.Policy()
	pv := &preview{}
	var did, does []string
	for i, row := range then {
		cur := now[i] // the same items in the same order: only periods differ
		what := stageVerb(row.Stage) + " " + noun(p, row.Dataset, 2)
		pv.Rows = append(pv.Rows, previewRow{What: what, Period: cur.Period, Proposed: row.Period, Now: cur.Rows, Then: row.Rows,
			Changed: cur.Period != row.Period || cur.Rows != row.Rows})
		pv.Held += row.Held
		if row.Rows > 0 {
			does = append(does, stageVerb(row.Stage)+" "+strconv.FormatInt(row.Rows, 10)+" "+noun(p, row.Dataset, row.Rows))
		}
		if cur.Rows > 0 {
			did = append(did, stageVerb(cur.Stage)+" "+strconv.FormatInt(cur.Rows, 10)+" "+noun(p, cur.Dataset, cur.Rows))
		}
	}
	pv.Sentence = "Saving this would " + orNothing(does) + " now."
	if len(changed) == 0 {
		pv.Sentence = "No value changed: the next sweep would " + orNothing(does) + "."
	}
	pv.Current = "With the current values, the next sweep would " + orNothing(did) + "."
	return pv, nil
}

func orNothing(parts []string) string {
	switch len(parts) {
	case 0:
		return "change nothing"
	case 1:
		return parts[0]
	default:
		return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
}

func stageVerb(stage string) string {
	switch stage {
	case "deactivate", "anonymize", "delete", "purge":
		return stage
	case "anonymize_after":
		return "anonymize"
	default: // retention
		return "delete"
	}
}

// noun names n rows of a subject or dataset: "users" (the subject's
// table) or "user", "rows of audit_logs".
func noun(p *lethe.Policy, name string, n int64) string {
	if sub := p.Subject(name); sub != nil {
		if n == 1 {
			return sub.Name
		}
		return sub.Table
	}
	if n == 1 {
		return "row of " + name
	}
	return "rows of " + name
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}
