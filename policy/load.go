package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"lethe"
	"lethe/schedule"
)

// LoadFile reads and checks the policy at path. The error, when not nil, is
// a lethe.ErrorList naming every problem found, or an error opening the file.
func LoadFile(path string) (*lethe.Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &lethe.Error{Code: lethe.EINVALID, File: path, Message: fmt.Sprintf("cannot read the policy: %v", errors.Unwrap(err))}
	}
	return Load(path, data)
}

// Load parses and checks a policy. name is used in messages only.
func Load(name string, data []byte) (*lethe.Policy, error) {
	d := &decoder{p: &lethe.Policy{File: name}}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, lethe.ErrorList{{Code: lethe.EINVALID, File: name, Pos: lethe.Pos{Line: 1, Col: 1}, Message: "the policy is empty: start with \"version: 1\" (lethe init writes a starter policy)"}}
		}
		return nil, lethe.ErrorList{yamlError(name, err)}
	}
	d.document(&doc)
	if len(d.errs) == 0 {
		d.errs = append(d.errs, Validate(d.p)...)
	}
	sortErrors(d.errs)
	if len(d.errs) > 0 {
		return d.p, d.errs
	}
	return d.p, nil
}

// yamlError turns a syntax error of the YAML library ("yaml: line 3: ...")
// into a located error.
func yamlError(file string, err error) *lethe.Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	pos := lethe.Pos{Line: 1, Col: 1}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.Index(rest, ":"); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil {
				pos.Line = n
				msg = strings.TrimSpace(rest[i+1:])
				// The YAML library reports parser errors (unlike scanner
				// errors) with a 0-based line: the line the construct began.
				if strings.HasPrefix(msg, "did not find expected") {
					pos.Line++
				}
			}
		}
	}
	return &lethe.Error{Code: lethe.EINVALID, File: file, Pos: pos, Message: "YAML syntax: " + msg}
}

func sortErrors(errs lethe.ErrorList) {
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i].Pos, errs[j].Pos
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

type decoder struct {
	p    *lethe.Policy
	errs lethe.ErrorList
}

func posOf(n *yaml.Node) lethe.Pos { return lethe.Pos{Line: n.Line, Col: n.Column} }

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, &lethe.Error{Code: lethe.EINVALID, File: d.p.File, Pos: posOf(n), Message: fmt.Sprintf(format, args...)})
}

// field is one allowed key of a mapping and how to read its value.
type field struct {
	name string
	read func(path string, key, val *yaml.Node)
}

// mapping reads a YAML mapping whose keys must be among fields, records the
// position of every value and reports unknown and repeated keys.
func (d *decoder) mapping(n *yaml.Node, path string, fields ...field) {
	if !d.isMapping(n, path) {
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		name := key.Value
		f := findField(fields, name)
		switch {
		case f == nil:
			names := make([]string, len(fields))
			for i, f := range fields {
				names[i] = f.name
			}
			d.errorf(key, "unknown key %q in %s%s: allowed keys are %s", name, where(path), suggest(name, names), strings.Join(names, ", "))
		case seen[name]:
			d.errorf(key, "%s is set twice in %s", name, where(path))
		default:
			seen[name] = true
			child := join(path, name)
			d.p.SetPos(child, valuePos(key, val))
			f.read(child, key, val)
		}
	}
}

// entries reads a mapping of names the user chooses (subjects, fields).
func (d *decoder) entries(n *yaml.Node, path string, read func(path, name string, key, val *yaml.Node)) {
	if !d.isMapping(n, path) {
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if key.Kind != yaml.ScalarNode || key.Value == "" {
			d.errorf(key, "%s: expected a name here", where(path))
			continue
		}
		if seen[key.Value] {
			d.errorf(key, "%s is declared twice in %s", key.Value, where(path))
			continue
		}
		seen[key.Value] = true
		child := join(path, key.Value)
		d.p.SetPos(child, valuePos(key, val))
		d.p.SetPos(child+lethe.KeySuffix, posOf(key))
		read(child, key.Value, key, val)
	}
}

// valuePos is where errors about a value point: at a scalar or flow value
// itself, at the key of a block (whose content starts on the next line).
func valuePos(key, val *yaml.Node) lethe.Pos {
	if (val.Kind == yaml.MappingNode || val.Kind == yaml.SequenceNode) && val.Style&yaml.FlowStyle == 0 {
		return posOf(key)
	}
	return posOf(val)
}

func (d *decoder) isMapping(n *yaml.Node, path string) bool {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping (key: value), not %s", where(path), describe(n))
		return false
	}
	return true
}

func findField(fields []field, name string) *field {
	for i := range fields {
		if fields[i].name == name {
			return &fields[i]
		}
	}
	return nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func where(path string) string {
	if path == "" {
		return "the policy"
	}
	return path
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	default:
		return "that"
	}
}

// suggest returns ` (did you mean "x"?)` for a near miss of a known name.
func suggest(name string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := editDistance(name, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// Scalars.

func (d *decoder) str(path string, n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" || n.Value == "" {
		d.errorf(n, "%s must be a name (text), not %s", path, describe(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) strList(path string, n *yaml.Node) []string {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list of column names, not %s", path, describe(n))
		return nil
	}
	var out []string
	for _, item := range n.Content {
		if s, ok := d.str(path, item); ok {
			out = append(out, s)
		}
	}
	return out
}

func (d *decoder) period(path string, n *yaml.Node) lethe.Period {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(n, "%s must be a period such as \"30 days\", \"6 months\", \"2 years\" or 0, not %s", path, describe(n))
		return lethe.Period{}
	}
	p, err := lethe.ParsePeriod(n.Value)
	if err != nil {
		d.errorf(n, "%s: %v", path, err)
	}
	return p
}

func (d *decoder) optionalPeriod(path string, n *yaml.Node) *lethe.Period {
	p := d.period(path, n)
	return &p
}

func (d *decoder) schedule(path string, n *yaml.Node) lethe.Schedule {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		d.errorf(n, "%s must be daily, weekly, monthly or a cron expression, not %s", path, describe(n))
		return nil
	}
	s, err := schedule.Parse(n.Value)
	if err != nil {
		d.errorf(n, "%s: %v", path, err)
		return nil
	}
	return s
}

func (d *decoder) boolean(path string, n *yaml.Node) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		d.errorf(n, "%s must be true or false, not %s", path, describe(n))
		return false
	}
	return n.Value == "true" || n.Value == "True" || n.Value == "TRUE"
}

// scalar returns the value of a scalar as the Go type its YAML tag names.
func (d *decoder) scalar(path string, n *yaml.Node) any {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s must be a single value (text, number, true/false or null), not %s", path, describe(n))
		return nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		d.errorf(n, "%s: %v", path, err)
		return nil
	}
	if t, ok := v.(time.Time); ok { // a bare date: keep what was written
		return t.Format(time.RFC3339)
	}
	if i, ok := v.(int); ok {
		return int64(i)
	}
	return v
}

// The document.

func (d *decoder) document(doc *yaml.Node) {
	root := doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	p := d.p
	p.Version = 0
	p.Timezone = time.UTC
	p.Guard = lethe.DefaultGuard
	p.LedgerKeep = lethe.Period{N: 7, Unit: lethe.Years}
	p.Posture = lethe.DefaultPosture
	sawVersion := false
	d.mapping(root, "",
		field{"version", func(path string, _, n *yaml.Node) {
			sawVersion = true
			if n.Tag != "!!int" || n.Value != "1" {
				d.errorf(n, "version must be 1, the only policy format this Lethe reads")
			}
			p.Version = 1
		}},
		field{"database", func(path string, _, n *yaml.Node) { p.Database, _ = d.str(path, n) }},
		field{"tenant_column", func(path string, _, n *yaml.Node) { p.TenantColumn, _ = d.str(path, n) }},
		field{"timezone", func(path string, _, n *yaml.Node) {
			name, ok := d.str(path, n)
			if !ok {
				return
			}
			loc, err := time.LoadLocation(name)
			if err != nil {
				d.errorf(n, "timezone %q is not a known time zone: write an IANA name such as UTC or Europe/Paris", name)
				return
			}
			p.Timezone = loc
		}},
		field{"secret_file", func(path string, _, n *yaml.Node) { p.SecretFile, _ = d.str(path, n) }},
		field{"ledger", func(path string, _, n *yaml.Node) {
			d.mapping(n, path, field{"keep", func(path string, _, n *yaml.Node) { p.LedgerKeep = d.period(path, n) }})
		}},
		field{"backups", func(path string, _, n *yaml.Node) {
			d.mapping(n, path, field{"keep", func(path string, _, n *yaml.Node) { p.BackupsKeep = d.period(path, n) }})
		}},
		field{"guard", func(path string, _, n *yaml.Node) {
			d.mapping(n, path,
				field{"max_share", func(path string, _, n *yaml.Node) { p.Guard.MaxShare = d.share(path, n) }},
				field{"max_rows", func(path string, _, n *yaml.Node) { p.Guard.MaxRows = d.count(path, n) }},
			)
		}},
		field{"archive", func(path string, _, n *yaml.Node) {
			d.mapping(n, path, field{"dir", func(path string, _, n *yaml.Node) { p.ArchiveDir, _ = d.str(path, n) }})
		}},
		field{"subjects", func(path string, _, n *yaml.Node) {
			d.entries(n, path, func(path, name string, _, n *yaml.Node) {
				p.Subjects = append(p.Subjects, d.subject(path, name, n))
			})
		}},
		field{"datasets", func(path string, _, n *yaml.Node) {
			d.entries(n, path, func(path, name string, _, n *yaml.Node) {
				p.Datasets = append(p.Datasets, d.dataset(path, name, n))
			})
		}},
		field{"posture", func(path string, _, n *yaml.Node) { p.Posture = d.posture(path, n) }},
	)
	if !sawVersion && root.Kind == yaml.MappingNode {
		d.errorf(root, "the policy has no version: add \"version: 1\" as its first line")
	}
}

func (d *decoder) share(path string, n *yaml.Node) float64 {
	text := strings.TrimSpace(n.Value)
	percent := strings.HasSuffix(text, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(text, "%"), 64)
	if n.Kind != yaml.ScalarNode || err != nil || v < 0 || v > 100 {
		d.errorf(n, "%s must be a share of the table such as 10%%, not %s", path, describe(n))
		return 0
	}
	if !percent && v <= 1 && strings.Contains(text, ".") {
		return v // 0.1 written as a fraction
	}
	return v / 100
}

func (d *decoder) count(path string, n *yaml.Node) int64 {
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil || v < 0 {
		d.errorf(n, "%s must be a whole number of rows (0 for no cap), not %s", path, describe(n))
		return 0
	}
	return v
}

func (d *decoder) subject(path, name string, n *yaml.Node) *lethe.Subject {
	s := &lethe.Subject{Name: name}
	sawTable := false
	d.mapping(n, path,
		field{"table", func(path string, _, n *yaml.Node) { s.Table, sawTable = d.str(path, n) }},
		field{"key", func(path string, _, n *yaml.Node) { s.Key, _ = d.str(path, n) }},
		field{"tenant_column", func(path string, _, n *yaml.Node) { s.TenantColumn, _ = d.str(path, n) }},
		field{"fields", func(path string, _, n *yaml.Node) { s.Fields = d.fields(path, n) }},
		field{"suppress", func(path string, _, n *yaml.Node) { s.Suppress = d.strList(path, n) }},
		field{"lifecycle", func(path string, _, n *yaml.Node) { s.Lifecycle = d.lifecycle(path, n) }},
		field{"soft_delete", func(path string, _, n *yaml.Node) { s.SoftDelete = d.softDelete(path, n) }},
	)
	if !sawTable && n.Kind == yaml.MappingNode {
		d.errorf(n, "subject %s has no table: add \"table: <name>\"", name)
	}
	return s
}

func (d *decoder) lifecycle(path string, n *yaml.Node) lethe.Lifecycle {
	var l lethe.Lifecycle
	stage := func(kind lethe.StageKind, dst **lethe.Stage) field {
		return field{string(kind), func(path string, _, n *yaml.Node) { *dst = d.stage(path, kind, n) }}
	}
	d.mapping(n, path,
		stage(lethe.StageDeactivate, &l.Deactivate),
		stage(lethe.StageAnonymize, &l.Anonymize),
		stage(lethe.StageDelete, &l.Delete),
		field{"schedule", func(path string, _, n *yaml.Node) { l.Schedule = d.schedule(path, n) }},
	)
	return l
}

func (d *decoder) stage(path string, kind lethe.StageKind, n *yaml.Node) *lethe.Stage {
	s := &lethe.Stage{Kind: kind}
	sawAfter := false
	fields := []field{
		{"after", func(path string, _, n *yaml.Node) { s.After, sawAfter = d.period(path, n), true }},
		{"since", func(path string, _, n *yaml.Node) { s.Since = d.clock(path, n) }},
		{"stamp", func(path string, _, n *yaml.Node) { s.Stamp, _ = d.str(path, n) }},
		{"bounds", func(path string, _, n *yaml.Node) { s.Bounds = d.bounds(path, n) }},
		{"schedule", func(path string, _, n *yaml.Node) { s.Schedule = d.schedule(path, n) }},
	}
	if kind == lethe.StageDeactivate {
		fields = append(fields, field{"set", func(path string, _, n *yaml.Node) {
			d.entries(n, path, func(path, column string, _, n *yaml.Node) {
				s.Set = append(s.Set, lethe.Assignment{Column: column, Value: d.scalar(path, n)})
			})
		}})
	}
	d.mapping(n, path, fields...)
	if !sawAfter && n.Kind == yaml.MappingNode {
		d.errorf(n, "%s has no period: add \"after: <period>\" (0 turns the stage off)", path)
	}
	return s
}

func (d *decoder) bounds(path string, n *yaml.Node) lethe.Bounds {
	var b lethe.Bounds
	d.mapping(n, path,
		field{"min", func(path string, _, n *yaml.Node) { b.Min = d.optionalPeriod(path, n) }},
		field{"max", func(path string, _, n *yaml.Node) { b.Max = d.optionalPeriod(path, n) }},
	)
	return b
}

// clock reads `since`: a column, a list of columns (first non-NULL wins),
// or {column, unit} for integer Unix time, also as list items.
func (d *decoder) clock(path string, n *yaml.Node) lethe.Clock {
	var c lethe.Clock
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
		if len(items) == 0 {
			d.errorf(n, "%s names no column", path)
		}
	}
	for _, item := range items {
		switch item.Kind {
		case yaml.MappingNode:
			col := lethe.ClockColumn{}
			d.mapping(item, path,
				field{"column", func(path string, _, n *yaml.Node) { col.Name, _ = d.str(path, n) }},
				field{"unit", func(path string, _, n *yaml.Node) {
					switch unit := lethe.ClockUnit(n.Value); unit {
					case lethe.ClockSeconds, lethe.ClockMilliseconds:
						col.Unit = unit
					default:
						d.errorf(n, "%s: unknown unit %s: write seconds or milliseconds (integer Unix time), or leave it out for a timestamp column", path, describe(n))
					}
				}},
			)
			if col.Name == "" {
				d.errorf(item, "%s: add \"column: <name>\"", path)
				continue
			}
			c.Columns = append(c.Columns, col)
		default:
			if name, ok := d.str(path, item); ok {
				c.Columns = append(c.Columns, lethe.ClockColumn{Name: name})
			}
		}
	}
	return c
}

func (d *decoder) fields(path string, n *yaml.Node) []lethe.Field {
	var out []lethe.Field
	d.entries(n, path, func(path, column string, _, n *yaml.Node) {
		if m, ok := d.mask(path, n); ok {
			out = append(out, lethe.Field{Column: column, Mask: m})
		}
	})
	return out
}

func maskNames() string {
	names := make([]string, len(lethe.MaskKinds))
	for i, k := range lethe.MaskKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ") + ` or {fixed: "text"}`
}

func (d *decoder) mask(path string, n *yaml.Node) (lethe.Mask, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		for _, k := range lethe.MaskKinds {
			if n.Value == string(k) && n.Tag == "!!str" {
				return lethe.Mask{Kind: k}, true
			}
		}
		names := make([]string, len(lethe.MaskKinds))
		for i, k := range lethe.MaskKinds {
			names[i] = string(k)
		}
		d.errorf(n, "unknown mask %s for %s%s: write %s", describe(n), path, suggest(n.Value, names), maskNames())
	case yaml.MappingNode:
		var m lethe.Mask
		d.mapping(n, path,
			field{"fixed", func(path string, _, n *yaml.Node) { m = lethe.Mask{Kind: lethe.MaskFixed, Fixed: d.scalar(path, n)} }},
			field{"redact", func(path string, _, n *yaml.Node) {
				m = lethe.Mask{Kind: lethe.MaskRedact}
				for _, kind := range d.strList(path, n) {
					if !contains(lethe.RedactKinds, kind) {
						d.errorf(n, "%s: unknown recogniser %q: write some of %s", path, kind, strings.Join(lethe.RedactKinds, ", "))
						continue
					}
					m.Redact = append(m.Redact, kind)
				}
			}},
		)
		if len(n.Content) != 2 {
			d.errorf(n, "%s: a mask object has exactly one key, fixed or redact", path)
			return m, false
		}
		return m, m.Kind != ""
	default:
		d.errorf(n, "%s: a mask is %s, not %s", path, maskNames(), describe(n))
	}
	return lethe.Mask{}, false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (d *decoder) dataset(path, name string, n *yaml.Node) *lethe.Dataset {
	ds := &lethe.Dataset{Name: name}
	sawTable := false
	d.mapping(n, path,
		field{"table", func(path string, _, n *yaml.Node) { ds.Table, sawTable = d.str(path, n) }},
		field{"key", func(path string, _, n *yaml.Node) { ds.Key, _ = d.str(path, n) }},
		field{"tenant_column", func(path string, _, n *yaml.Node) { ds.TenantColumn, _ = d.str(path, n) }},
		field{"owner", func(path string, _, n *yaml.Node) {
			links := d.links(path, n)
			if len(links) != 1 {
				if len(links) > 1 {
					d.errorf(n, "%s names %d owners: a dataset belongs to one subject or dataset", path, len(links))
				}
				return
			}
			ds.Owner = &links[0]
		}},
		field{"on_subject_delete", func(path string, _, n *yaml.Node) {
			ds.OnSubjectDelete = lethe.OnDelete(d.oneOf(path, n, string(lethe.OnDeleteDelete), string(lethe.OnDeleteOrphan)))
		}},
		field{"on_subject_erase", func(path string, _, n *yaml.Node) {
			ds.OnSubjectErase = lethe.OnErase(d.oneOf(path, n, string(lethe.OnEraseDelete), string(lethe.OnEraseAnonymize), string(lethe.OnEraseOrphan)))
		}},
		field{"fields", func(path string, _, n *yaml.Node) { ds.Fields = d.fields(path, n) }},
		field{"suppress", func(path string, _, n *yaml.Node) { ds.Suppress = d.strList(path, n) }},
		field{"retention", func(path string, _, n *yaml.Node) { ds.Retention = d.retention(path, n) }},
		field{"soft_delete", func(path string, _, n *yaml.Node) { ds.SoftDelete = d.softDelete(path, n) }},
	)
	if !sawTable && n.Kind == yaml.MappingNode {
		d.errorf(n, "dataset %s has no table: add \"table: <name>\"", name)
	}
	return ds
}

// links reads {name: column} mappings (owner, cascade). The position of
// each link is recorded under path.<name>.
func (d *decoder) links(path string, n *yaml.Node) []lethe.Owner {
	var out []lethe.Owner
	d.entries(n, path, func(child, name string, key, val *yaml.Node) {
		d.p.SetPos(child, posOf(key))
		if column, ok := d.str(child, val); ok {
			out = append(out, lethe.Owner{Name: name, Column: column})
		}
	})
	if n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		d.errorf(n, "%s is empty: write {<subject or dataset>: <column>}", path)
	}
	return out
}

func (d *decoder) oneOf(path string, n *yaml.Node, allowed ...string) string {
	if n.Kind == yaml.ScalarNode && contains(allowed, n.Value) {
		return n.Value
	}
	d.errorf(n, "%s must be %s, not %s", path, strings.Join(allowed, " or "), describe(n))
	return ""
}

func (d *decoder) retention(path string, n *yaml.Node) *lethe.Retention {
	r := &lethe.Retention{}
	sawKeep, sawAnonymize := false, false
	d.mapping(n, path,
		field{"keep", func(path string, _, n *yaml.Node) { r.Keep, sawKeep = d.period(path, n), true }},
		field{"since", func(path string, _, n *yaml.Node) { r.Since = d.clock(path, n) }},
		field{"anonymize_after", func(path string, _, n *yaml.Node) { r.AnonymizeAfter, sawAnonymize = d.period(path, n), true }},
		field{"archive", func(path string, _, n *yaml.Node) { r.Archive = d.boolean(path, n) }},
		field{"bounds", func(path string, _, n *yaml.Node) { r.Bounds = d.bounds(path, n) }},
		field{"schedule", func(path string, _, n *yaml.Node) { r.Schedule = d.schedule(path, n) }},
	)
	if n.Kind == yaml.MappingNode {
		if !sawKeep && !sawAnonymize {
			d.errorf(n, "%s has no period: add \"keep: <period>\" (0 keeps the rows)", path)
		}
	}
	return r
}

func (d *decoder) softDelete(path string, n *yaml.Node) *lethe.SoftDelete {
	s := &lethe.SoftDelete{}
	sawColumn, sawPurge := false, false
	d.mapping(n, path,
		field{"column", func(path string, _, n *yaml.Node) { s.Column, sawColumn = d.str(path, n) }},
		field{"purge_after", func(path string, _, n *yaml.Node) { s.PurgeAfter, sawPurge = d.period(path, n), true }},
		field{"cascade", func(path string, _, n *yaml.Node) { s.Cascade = d.links(path, n) }},
		field{"bounds", func(path string, _, n *yaml.Node) { s.Bounds = d.bounds(path, n) }},
	)
	if n.Kind == yaml.MappingNode {
		if !sawColumn {
			d.errorf(n, "%s has no column: add \"column: deleted_at\" (the column marking a row deleted)", path)
		}
		if !sawPurge {
			d.errorf(n, "%s has no period: add \"purge_after: <period>\"", path)
		}
	}
	return s
}

func (d *decoder) posture(path string, n *yaml.Node) []lethe.PostureBand {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list of {below: <period>, label: <text>}, not %s", path, describe(n))
		return nil
	}
	var out []lethe.PostureBand
	for i, item := range n.Content {
		var b lethe.PostureBand
		itemPath := fmt.Sprintf("%s[%d]", path, i)
		d.p.SetPos(itemPath, posOf(item))
		d.mapping(item, itemPath,
			field{"below", func(path string, _, n *yaml.Node) { b.Below = d.period(path, n) }},
			field{"label", func(path string, _, n *yaml.Node) { b.Label, _ = d.str(path, n) }},
		)
		out = append(out, b)
	}
	return out
}
