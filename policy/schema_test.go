package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

const schemaID = "https://lethe.dev/schema/policy-v1.json"

// compileSchema compiles schema.json as draft 2020-12. Compiling also
// validates the schema against the draft's meta-schema.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc := readSchemaDoc(t)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(schemaID, doc); err != nil {
		t.Fatalf("add schema resource: %v", err)
	}
	sch, err := c.Compile(schemaID)
	if err != nil {
		t.Fatalf("compile schema.json: %v", err)
	}
	return sch
}

func readSchemaDoc(t *testing.T) any {
	t.Helper()
	data, err := os.ReadFile("schema.json")
	if err != nil {
		t.Fatalf("read schema.json: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("parse schema.json: %v", err)
	}
	return doc
}

// yamlInstance decodes a policy YAML document and converts it to the
// JSON-compatible values jsonschema expects (json.Number for numbers) by
// round-tripping through encoding/json.
func yamlInstance(t *testing.T, src string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(src), &v); err != nil {
		t.Fatalf("decode YAML: %v", err)
	}
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("YAML document is not JSON-compatible: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("re-read JSON: %v", err)
	}
	return inst
}

func TestSchemaHeader(t *testing.T) {
	compileSchema(t)
	root, ok := readSchemaDoc(t).(map[string]any)
	if !ok {
		t.Fatal("schema.json is not an object")
	}
	want := map[string]string{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"$id":     schemaID,
	}
	for k, v := range want {
		if root[k] != v {
			t.Errorf("%s = %v, want %q", k, root[k], v)
		}
	}
	for _, k := range []string{"title", "description"} {
		if s, _ := root[k].(string); s == "" {
			t.Errorf("schema has no %s", k)
		}
	}
}

// TestSchemaDescribedAndClosed checks that every declared property carries a
// description (editors show it on hover) and that every object schema that
// declares properties also closes itself with additionalProperties: false.
func TestSchemaDescribedAndClosed(t *testing.T) {
	var walk func(ptr string, v any)
	walk = func(ptr string, v any) {
		switch v := v.(type) {
		case []any:
			for i, x := range v {
				walk(ptr+"/"+strconv.Itoa(i), x)
			}
		case map[string]any:
			if props, ok := v["properties"].(map[string]any); ok {
				if v["additionalProperties"] != false {
					t.Errorf("%s: declares properties without additionalProperties: false", ptr)
				}
				names := make([]string, 0, len(props))
				for name := range props {
					names = append(names, name)
				}
				sort.Strings(names)
				for _, name := range names {
					p, _ := props[name].(map[string]any)
					if d, _ := p["description"].(string); strings.TrimSpace(d) == "" {
						t.Errorf("%s/properties/%s: no description", ptr, name)
					}
				}
			}
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if k == "examples" || k == "default" || k == "const" || k == "enum" {
					continue // values, not schemas
				}
				walk(ptr+"/"+k, v[k])
			}
		}
	}
	walk("#", readSchemaDoc(t))
}

// TestSchemaSpecExample validates the SPEC section 1a policy, which is the
// contract and must validate unchanged.
func TestSchemaSpecExample(t *testing.T) {
	sch := compileSchema(t)
	files, err := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example policies: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(yamlInstance(t, string(src))); err != nil {
				t.Fatalf("%s does not validate:\n%v", f, err)
			}
		})
	}
}

// TestSchemaValid covers accepted forms the SPEC example does not show.
func TestSchemaValid(t *testing.T) {
	sch := compileSchema(t)
	cases := map[string]string{
		"minimal": `version: 1`,
		"top-level extras": `
version: 1
database: postgres://lethe@localhost/app
timezone: Europe/Paris
secret_file: /etc/lethe/secret.key
archive: {dir: /var/lib/lethe/archive}
guard: {max_share: 2.5, max_rows: 0}
ledger: {keep: off}
backups: {keep: 0}
`,
		"guard share forms": `
version: 1
guard: {max_share: 100%}
`,
		"periods": `
version: 1
posture:
  - {below: 1 day, label: a}
  - {below: 2 weeks, label: b}
  - {below: 1week, label: c}
  - {below: 3 years, label: d}
  - {below: "0", label: e}
`,
		"unix clocks and cron": `
version: 1
subjects:
  member:
    table: members
    tenant_column: org_id
    fields:
      name: {fixed: "Former member"}
      age: {fixed: 0}
      vip: {fixed: false}
      nick: {fixed: null}
      bio: {redact: [email, phone, card, iban, ip, subject_name]}
      id_hash: keep
    lifecycle:
      deactivate:
        after: 1 year
        since: [{column: last_seen_ms, unit: milliseconds}, created_at]
        set: {active: false, status: closed, level: 0, closed_by: null}
        stamp: deactivated_at
        schedule: "30 3 * * MON-FRI"
      anonymize: {after: off, since: {column: created_unix, unit: seconds}}
      delete: {after: 0}
      schedule: "0 */6 1,15 * ?"
    soft_delete: {column: deleted_at, purge_after: 30 days, bounds: {max: 1 year}}
datasets:
  events:
    table: events
    key: event_id
    tenant_column: org_id
    owner: {member: member_id}
    on_subject_delete: orphan
    on_subject_erase: anonymize
    suppress: [email]
    retention:
      keep: 2 years
      since: {column: ts, unit: seconds}
      anonymize_after: 30 days
      archive: false
      bounds: {min: 1 month, max: 7 years}
      schedule: weekly
`,
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			if err := sch.Validate(yamlInstance(t, src)); err != nil {
				t.Fatalf("valid document rejected:\n%v", err)
			}
		})
	}
}

// TestSchemaInvalid checks that each malformed document is rejected, and
// that the error points at the offending value.
func TestSchemaInvalid(t *testing.T) {
	sch := compileSchema(t)
	cases := []struct {
		name string
		src  string
		at   string // instance location the error must name
	}{
		{"unknown top-level key", "version: 1\nretention_days: 30\n", ""},
		{"version 2", "version: 2\n", "/version"},
		{"missing version", "database: sqlite://app.db\n", ""},
		{"unknown mask", `
version: 1
subjects:
  user: {table: users, fields: {name: scramble}}
`, "/subjects/user/fields/name"},
		{"unknown redact kind", `
version: 1
datasets:
  t: {table: t, fields: {body: {redact: [ssn]}}}
`, "/datasets/t/fields/body"},
		{"mask object with two keys", `
version: 1
datasets:
  t: {table: t, fields: {body: {fixed: x, redact: [email]}}}
`, "/datasets/t/fields/body"},
		{"bad period", `
version: 1
ledger: {keep: 3 fortnights}
`, "/ledger/keep"},
		{"non-zero integer period", `
version: 1
backups: {keep: 30}
`, "/backups/keep"},
		{"owner with two keys", `
version: 1
datasets:
  t: {table: t, owner: {user: user_id, contact: contact_id}}
`, "/datasets/t/owner"},
		{"empty owner", `
version: 1
datasets:
  t: {table: t, owner: {}}
`, "/datasets/t/owner"},
		{"schedule in words", `
version: 1
datasets:
  t: {table: t, retention: {keep: 1 year, since: created_at, schedule: every day}}
`, "/datasets/t/retention/schedule"},
		{"cron with four fields", `
version: 1
subjects:
  user: {table: users, lifecycle: {schedule: "0 3 * *"}}
`, "/subjects/user/lifecycle/schedule"},
		{"on_subject_delete purge", `
version: 1
datasets:
  t: {table: t, owner: {user: user_id}, on_subject_delete: purge}
`, "/datasets/t/on_subject_delete"},
		{"on_subject_erase keep", `
version: 1
datasets:
  t: {table: t, owner: {user: user_id}, on_subject_erase: keep}
`, "/datasets/t/on_subject_erase"},
		{"retention without since", `
version: 1
datasets:
  t: {table: t, retention: {keep: 1 year}}
`, "/datasets/t/retention"},
		{"retention without keep", `
version: 1
datasets:
  t: {table: t, retention: {since: created_at}}
`, "/datasets/t/retention"},
		{"stage without after", `
version: 1
subjects:
  user: {table: users, lifecycle: {delete: {since: created_at}}}
`, "/subjects/user/lifecycle/delete"},
		{"unknown lifecycle stage", `
version: 1
subjects:
  user: {table: users, lifecycle: {archive: {after: 1 year}}}
`, "/subjects/user/lifecycle"},
		{"subject without table", `
version: 1
subjects:
  user: {key: id}
`, "/subjects/user"},
		{"unknown dataset key", `
version: 1
datasets:
  t: {table: t, keep: 1 year}
`, "/datasets/t"},
		{"clock unit hours", `
version: 1
datasets:
  t: {table: t, retention: {keep: 1 year, since: {column: ts, unit: hours}}}
`, "/datasets/t/retention/since"},
		{"empty clock list", `
version: 1
datasets:
  t: {table: t, retention: {keep: 1 year, since: []}}
`, "/datasets/t/retention/since"},
		{"max_share over 100", `
version: 1
guard: {max_share: 150%}
`, "/guard/max_share"},
		{"negative max_rows", `
version: 1
guard: {max_rows: -1}
`, "/guard/max_rows"},
		{"unknown bounds key", `
version: 1
datasets:
  t: {table: t, retention: {keep: 1 year, since: created_at, bounds: {default: 2 years}}}
`, "/datasets/t/retention/bounds"},
		{"posture band without label", `
version: 1
posture: [{below: 6 months}]
`, "/posture/0"},
		{"soft_delete cascade to a list", `
version: 1
datasets:
  t: {table: t, soft_delete: {column: deleted_at, purge_after: 30 days, cascade: {users: [a, b]}}}
`, "/datasets/t/soft_delete/cascade/users"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := sch.Validate(yamlInstance(t, tc.src))
			if err == nil {
				t.Fatal("invalid document accepted")
			}
			var ve *jsonschema.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error is %T, want *jsonschema.ValidationError: %v", err, err)
			}
			if tc.at != "" && !mentionsLocation(ve, tc.at) {
				t.Errorf("error does not point at %s:\n%v", tc.at, err)
			}
		})
	}
}

// mentionsLocation reports whether the error tree names the given instance
// location (as a JSON pointer).
func mentionsLocation(ve *jsonschema.ValidationError, ptr string) bool {
	if "/"+strings.Join(ve.InstanceLocation, "/") == ptr {
		return true
	}
	for _, c := range ve.Causes {
		if mentionsLocation(c, ptr) {
			return true
		}
	}
	return false
}
