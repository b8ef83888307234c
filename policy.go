package lethe

import (
	"strings"
	"time"
)

// Policy is a loaded policy file: where personal data lives and how long
// each kind may live. Every setting is a default; tenants may override
// periods within their bounds.
type Policy struct {
	File         string // path the policy was loaded from, for messages
	Version      int
	Database     string
	TenantColumn string
	Timezone     *time.Location // how zone-less clock values are read; UTC by default
	SecretFile   string         // file holding the HMAC key, when LETHE_SECRET is not used
	LedgerKeep   Period
	BackupsKeep  Period
	Guard        Guard
	ArchiveDir   string
	Subjects     []*Subject // in file order
	Datasets     []*Dataset // in file order
	Posture      []PostureBand

	// positions maps a path such as "datasets.answers.owner" to where its
	// value stands in the file, so later checks (against a live schema, at
	// run time) can still name the line and column.
	positions map[string]Pos
}

// Guard is the blast-radius guard: a run that would touch more than
// MaxShare of a table, or more than MaxRows rows, stops and asks for
// confirmation.
type Guard struct {
	MaxShare float64 // fraction 0..1
	MaxRows  int64   // 0 means no cap
}

// DefaultGuard is the guard when the policy sets none (SPEC section 4).
var DefaultGuard = Guard{MaxShare: 0.10}

// Subject is a kind of person whose data is held: a user, a contact.
type Subject struct {
	Name         string
	Table        string
	Key          string // key column; empty until resolved from the schema
	TenantColumn string // overrides the policy's tenant_column
	Fields       []Field
	Suppress     []string
	Lifecycle    Lifecycle
	SoftDelete   *SoftDelete
}

// Lifecycle are a subject's stages, each nil when not declared.
type Lifecycle struct {
	Deactivate *Stage
	Anonymize  *Stage
	Delete     *Stage
	Schedule   Schedule
}

// Stages returns the declared stages in the order a sweep runs them.
func (l Lifecycle) Stages() []*Stage {
	var out []*Stage
	for _, s := range []*Stage{l.Deactivate, l.Anonymize, l.Delete} {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

// StageKind names a lifecycle stage.
type StageKind string

const (
	StageDeactivate StageKind = "deactivate"
	StageAnonymize  StageKind = "anonymize"
	StageDelete     StageKind = "delete"
)

// Stage is one lifecycle stage: it runs on rows whose clock is older than
// After.
type Stage struct {
	Kind     StageKind
	After    Period
	Since    Clock
	Set      []Assignment // columns written when the stage runs (deactivate)
	Stamp    string       // column recording when the stage ran
	Bounds   Bounds
	Schedule Schedule // overrides the lifecycle's schedule
}

// Assignment is one column = value written by a stage.
type Assignment struct {
	Column string
	Value  any // string, int64, float64, bool or nil, as written in the policy
}

// Clock says which column dates a row. With several columns the first
// non-NULL one counts (a user who never signed in counts from creation).
type Clock struct {
	Columns []ClockColumn
}

// IsZero reports whether no clock was declared.
func (c Clock) IsZero() bool { return len(c.Columns) == 0 }

// ClockUnit says how a clock column stores time.
type ClockUnit string

const (
	ClockNative       ClockUnit = ""             // a timestamp type, or ISO-8601 text on SQLite
	ClockSeconds      ClockUnit = "seconds"      // integer Unix seconds
	ClockMilliseconds ClockUnit = "milliseconds" // integer Unix milliseconds
)

// ClockColumn is one column of a Clock.
type ClockColumn struct {
	Name string
	Unit ClockUnit
}

// Dataset is one table holding data, possibly owned by a subject (directly
// or through another dataset) and possibly under a retention rule.
type Dataset struct {
	Name            string
	Table           string
	Key             string
	TenantColumn    string
	Owner           *Owner
	OnSubjectDelete OnDelete
	OnSubjectErase  OnErase
	Fields          []Field
	Suppress        []string
	Retention       *Retention
	SoftDelete      *SoftDelete
}

// Owner links a dataset to the subject or dataset its rows belong to.
type Owner struct {
	Name   string // a subject or dataset name
	Column string // the column of this dataset that holds the owner's key
}

// OnDelete says what happens to a dataset's rows when their owner is deleted.
type OnDelete string

const (
	OnDeleteDelete OnDelete = "delete"
	OnDeleteOrphan OnDelete = "orphan"
)

// OnErase says what an erasure request does to a dataset's rows.
type OnErase string

const (
	OnEraseDelete    OnErase = "delete"
	OnEraseAnonymize OnErase = "anonymize"
	OnEraseOrphan    OnErase = "orphan"
)

// Retention keeps a dataset's rows for Keep since their clock, optionally
// masking their fields earlier (AnonymizeAfter) and archiving before
// deleting.
type Retention struct {
	Keep           Period // 0: the row itself is kept
	Since          Clock
	AnonymizeAfter Period
	Archive        bool
	Bounds         Bounds
	Schedule       Schedule
}

// SoftDelete purges rows marked deleted once the mark is older than
// PurgeAfter, taking the rows that point at them along (Cascade).
type SoftDelete struct {
	Column     string
	PurgeAfter Period
	Cascade    []Owner // a subject or dataset name, and its column pointing here
	Bounds     Bounds
}

// Field is one personal column and how anonymization masks it.
type Field struct {
	Column string
	Mask   Mask
}

// MaskKind names what anonymization writes into a field.
type MaskKind string

const (
	MaskClear     MaskKind = "clear"     // NULL
	MaskFixed     MaskKind = "fixed"     // a constant
	MaskPseudonym MaskKind = "pseudonym" // "Anonymized 7f3a9c", keyed by the subject
	MaskEmail     MaskKind = "email"     // anon-7f3a9c@anonymized.invalid
	MaskHMAC      MaskKind = "hmac"      // keyed HMAC of the value
	MaskRedact    MaskKind = "redact"    // free text with personal data replaced by labels
	MaskKeep      MaskKind = "keep"      // left as it is
)

// MaskKinds are the masks written by name in a policy.
var MaskKinds = []MaskKind{MaskClear, MaskPseudonym, MaskEmail, MaskHMAC, MaskRedact, MaskKeep}

// RedactKinds are the recognisers a redact mask may name.
var RedactKinds = []string{"email", "phone", "card", "iban", "ip", "subject_name"}

// Mask is what anonymization writes into one field.
type Mask struct {
	Kind   MaskKind
	Fixed  any      // the constant of a fixed mask
	Redact []string // recognisers of a redact mask; empty means all
}

// Schedule says when a rule runs: daily, weekly, monthly or a cron
// expression. Package schedule parses them.
type Schedule interface {
	Next(after time.Time) time.Time
	String() string
}

// Subject returns the subject of that name, or nil.
func (p *Policy) Subject(name string) *Subject {
	for _, s := range p.Subjects {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Dataset returns the dataset of that name, or nil.
func (p *Policy) Dataset(name string) *Dataset {
	for _, d := range p.Datasets {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// KeySuffix marks the position of a name the user chose (a field's column,
// a subject's name) rather than of its value: "datasets.a.fields.email#key".
const KeySuffix = "#key"

// SetPos records where the value at path stands in the policy file.
func (p *Policy) SetPos(path string, pos Pos) {
	if p.positions == nil {
		p.positions = make(map[string]Pos)
	}
	p.positions[path] = pos
}

// PosOf returns where the value at path stands, falling back to its nearest
// recorded parent ("datasets.a.retention.keep" -> "datasets.a.retention"),
// so an error always points somewhere useful.
func (p *Policy) PosOf(path string) Pos {
	if name, ok := strings.CutSuffix(path, KeySuffix); ok {
		if pos, ok := p.positions[path]; ok {
			return pos
		}
		path = name
	}
	for {
		if pos, ok := p.positions[path]; ok {
			return pos
		}
		i := lastDot(path)
		if i < 0 {
			return Pos{}
		}
		path = path[:i]
	}
}

func lastDot(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}

// ErrorAt returns an EINVALID error located at path in the policy file.
func (p *Policy) ErrorAt(path, format string, args ...any) *Error {
	e := Errorf(EINVALID, format, args...)
	e.File, e.Pos = p.File, p.PosOf(path)
	return e
}

// TenantColumnOf returns the tenant column a table's rows carry, the
// dataset's own or the policy's default.
func (p *Policy) TenantColumnOf(own string) string {
	if own != "" {
		return own
	}
	return p.TenantColumn
}
