package discover

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"lethe"
)

// YAML returns the drafted policy as a policy file: a header saying it is
// a draft, then the policy with a comment on every guess. The YAML library
// quotes every name that needs it, so any table or column name survives.
func (p *Proposal) YAML() []byte {
	root := mapNode(false)
	kv(root, "version", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"})
	root.Content[0].HeadComment = p.header()
	if p.Database != "" {
		v := kv(root, "database", str(p.Database))
		if p.passwordCut {
			v.LineComment = "password left out: give it with --db or LETHE_DATABASE_URL"
		}
	}
	if p.TenantColumn != "" {
		kv(root, "tenant_column", str(p.TenantColumn)).LineComment = p.TenantWhy
	}
	if len(p.Subjects) > 0 {
		subjects := mapNode(false)
		for _, s := range p.Subjects {
			kv(subjects, s.Name, subjectNode(s))
			subjects.Content[len(subjects.Content)-2].HeadComment = wrap(s.Notes)
		}
		kv(root, "subjects", subjects)
	}
	if len(p.Datasets) > 0 {
		datasets := mapNode(false)
		for _, ds := range p.Datasets {
			kv(datasets, ds.Name, datasetNode(ds))
			datasets.Content[len(datasets.Content)-2].HeadComment = wrap(ds.Notes)
		}
		kv(root, "datasets", datasets)
	}
	if len(p.Skipped) > 0 {
		names := make([]string, len(p.Skipped))
		for i, s := range p.Skipped {
			names[i] = s.Table
		}
		root.Content[len(root.Content)-2].FootComment = wrap([]string{
			"Left out, with nothing found to declare (no owner, personal column, retention clock or soft-delete column):",
			"  " + strings.Join(names, ", ") + "."})
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
	if err := enc.Encode(doc); err != nil {
		// Every node is built here from strings and numbers; the encoder
		// has nothing it could refuse.
		panic(fmt.Sprintf("discover: encode the draft: %v", err))
	}
	enc.Close()
	return b.Bytes()
}

func (p *Proposal) header() string {
	from := "from a " + p.Dialect + " database"
	if !p.Now.IsZero() {
		from += " on " + p.Now.Format("2006-01-02")
	}
	sample := "; no values were read"
	if p.Sample > 0 {
		sample = fmt.Sprintf(", and from a sample of at most %d values per text column (values are only counted: none is copied here)", p.Sample)
	}
	lines := []string{
		"DRAFT policy written by lethe discover " + from + ".",
		"It is a draft to review, not a finished policy. Its subjects, owners, masks, periods and rules are guesses from table and column names and foreign keys" + sample + ". Each guess says why in a comment.",
		"Review every line, then run `lethe policy check` and `lethe plan` before any sweep.",
	}
	if p.TenantColumn == "" {
		lines = append(lines, "No tenant_column: no column such as workspace_id or tenant_id is shared by most tables.")
	}
	return wrap(lines)
}

// wrap joins notes into comment lines of a readable width.
func wrap(notes []string) string {
	const width = 96
	var out []string
	for _, n := range notes {
		line := ""
		for _, w := range strings.Fields(n) {
			if line != "" && len(line)+1+len(w) > width {
				out = append(out, line)
				line = "  " + w
				continue
			}
			if line != "" {
				line += " "
			}
			line += w
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func subjectNode(s *Subject) *yaml.Node {
	m := mapNode(false)
	kv(m, "table", str(s.Table)).LineComment = s.Why
	kv(m, "key", str(s.Key))
	if len(s.Fields) > 0 {
		kv(m, "fields", fieldsNode(s.Fields))
	}
	if len(s.Lifecycle) > 0 {
		lc := mapNode(false)
		for _, st := range s.Lifecycle {
			kv(lc, string(st.Kind), stageNode(st)).LineComment = st.Why
		}
		kv(m, "lifecycle", lc)
	}
	if s.SoftDelete != nil {
		kv(m, "soft_delete", softDeleteNode(s.SoftDelete)).LineComment = s.SoftDelete.Why
	}
	return m
}

func datasetNode(ds *Dataset) *yaml.Node {
	m := mapNode(false)
	kv(m, "table", str(ds.Table))
	if ds.Key != "" {
		kv(m, "key", str(ds.Key)).LineComment = ds.KeyWhy
	}
	if ds.Owner != nil {
		owner := mapNode(true)
		kv(owner, ds.Owner.Name, str(ds.Owner.Column))
		kv(m, "owner", owner).LineComment = ds.Owner.Why
		kv(m, "on_subject_delete", str(string(ds.OnSubjectDelete))).LineComment = ds.OnDeleteWhy
	}
	if len(ds.Fields) > 0 {
		kv(m, "fields", fieldsNode(ds.Fields))
	}
	if r := ds.Retention; r != nil {
		n := mapNode(true)
		kv(n, "keep", str(r.Keep.String()))
		if !r.AnonymizeAfter.Off() {
			kv(n, "anonymize_after", str(r.AnonymizeAfter.String()))
		}
		kv(n, "since", clockNode(r.Since))
		if r.Schedule != "" {
			kv(n, "schedule", str(r.Schedule))
		}
		kv(m, "retention", n).LineComment = r.Why
	}
	if ds.SoftDelete != nil {
		kv(m, "soft_delete", softDeleteNode(ds.SoftDelete)).LineComment = ds.SoftDelete.Why
	}
	return m
}

func fieldsNode(fields []Field) *yaml.Node {
	m := mapNode(false)
	for _, f := range fields {
		kv(m, f.Column, maskNode(f.Mask)).LineComment = f.Why
	}
	return m
}

func maskNode(mask lethe.Mask) *yaml.Node {
	if mask.Kind == lethe.MaskFixed {
		m := mapNode(true)
		kv(m, "fixed", scalar(mask.Fixed))
		return m
	}
	return str(string(mask.Kind))
}

func stageNode(st Stage) *yaml.Node {
	m := mapNode(true)
	kv(m, "after", str(st.After.String()))
	kv(m, "since", clockNode(st.Since))
	if len(st.Set) > 0 {
		set := mapNode(true)
		for _, a := range st.Set {
			kv(set, a.Column, scalar(a.Value))
		}
		kv(m, "set", set)
	}
	if st.Stamp != "" {
		kv(m, "stamp", str(st.Stamp))
	}
	return m
}

func softDeleteNode(sd *SoftDelete) *yaml.Node {
	m := mapNode(true)
	kv(m, "column", str(sd.Column))
	kv(m, "purge_after", str(sd.PurgeAfter.String()))
	return m
}

func clockNode(cs []lethe.ClockColumn) *yaml.Node {
	item := func(c lethe.ClockColumn) *yaml.Node {
		if c.Unit == lethe.ClockNative {
			return str(c.Name)
		}
		m := mapNode(true)
		kv(m, "column", str(c.Name))
		kv(m, "unit", str(string(c.Unit)))
		return m
	}
	if len(cs) == 1 {
		return item(cs[0])
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, c := range cs {
		seq.Content = append(seq.Content, item(c))
	}
	return seq
}

func mapNode(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

// kv appends key: value to a mapping and returns the value, for its
// comment.
func kv(m *yaml.Node, key string, value *yaml.Node) *yaml.Node {
	m.Content = append(m.Content, str(key), value)
	return value
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

// scalar writes a constant of a mask or an assignment with its own tag.
func scalar(v any) *yaml.Node {
	switch x := v.(type) {
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(x)}
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(x, 10)}
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	default:
		return str(fmt.Sprint(x))
	}
}
