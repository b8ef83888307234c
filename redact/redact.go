package redact

import (
	"fmt"
	"slices"
	"strings"
)

// Kind names a recogniser. The values are the names a policy file uses.
type Kind string

// The recognisers, in the order AllKinds returns them.
const (
	KindEmail       Kind = "email"
	KindPhone       Kind = "phone"
	KindCard        Kind = "card"
	KindIBAN        Kind = "iban"
	KindIP          Kind = "ip"
	KindSubjectName Kind = "subject_name"
)

var allKinds = []Kind{KindEmail, KindPhone, KindCard, KindIBAN, KindIP, KindSubjectName}

// AllKinds returns every recogniser, in a fixed order.
func AllKinds() []Kind { return slices.Clone(allKinds) }

// ParseKind accepts a kind name as written in a policy file.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(allKinds, k) {
		return k, nil
	}
	names := make([]string, len(allKinds))
	for i, k := range allKinds {
		names[i] = string(k)
	}
	return "", fmt.Errorf("redact: unknown kind %q (want one of %s)", s, strings.Join(names, ", "))
}

// label is what replaces a finding of kind k. The subject's name becomes
// "[name]" rather than "[subject_name]": the label is read by people.
func (k Kind) label() string {
	if k == KindSubjectName {
		return "[name]"
	}
	return "[" + string(k) + "]"
}

// Match is one finding: text[Start:End] (byte offsets) is of kind Kind.
type Match struct {
	Kind       Kind
	Start, End int
}

// Redactor replaces personal data in text with labels. It holds only the
// set of kinds it reports, is never modified after New, and so is safe for
// concurrent use.
type Redactor struct {
	enabled map[Kind]bool
}

// New returns a Redactor that reports the given kinds, or every kind when
// none is given. It panics on a kind that is not one of AllKinds, as
// regexp.MustCompile does on a bad pattern: kinds come from constants or
// from ParseKind, so an unknown one is a programming error.
func New(kinds ...Kind) *Redactor {
	if len(kinds) == 0 {
		kinds = allKinds
	}
	r := &Redactor{enabled: make(map[Kind]bool, len(kinds))}
	for _, k := range kinds {
		if !slices.Contains(allKinds, k) {
			panic(fmt.Sprintf("redact.New: unknown kind %q", k))
		}
		r.enabled[k] = true
	}
	return r
}

// Redact returns text with every finding replaced by its label. names are
// the subject's own name values (first name, last name, ...), matched only
// when KindSubjectName is enabled.
func (r *Redactor) Redact(text string, names ...string) string {
	ms := r.Find(text, names...)
	if len(ms) == 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for _, m := range ms {
		b.WriteString(text[last:m.Start])
		b.WriteString(m.Kind.label())
		last = m.End
	}
	b.WriteString(text[last:])
	return b.String()
}

// Find returns the findings in text, ordered by position and never
// overlapping.
func (r *Redactor) Find(text string, names ...string) []Match {
	// Every structural recogniser runs whatever is enabled: a disabled
	// kind's findings still shield their characters, so that switching
	// off IBANs does not turn the digits of an IBAN into a phone number.
	var cs []candidate
	cs = findLabels(text, cs)
	cs = findEmails(text, cs)
	cs = findIBANs(text, cs)
	cs = findCards(text, cs)
	cs = findIPs(text, cs)
	cs = findPhones(text, cs)
	if r.enabled[KindSubjectName] {
		cs = findNames(text, names, cs)
	}
	return r.resolve(text, cs)
}

// candidate is a finding before overlaps are resolved. A shield (kind "")
// is text that is not personal data but looks enough like a card or an
// IBAN that no other recogniser may claim part of it.
type candidate struct {
	start, end int
	kind       Kind
	rank       int // breaks ties between equally long candidates; higher wins
}

// Ranks: more specific recognisers win ties, and existing labels win all.
const (
	rankName = iota
	rankPhone
	rankIP
	rankEmail
	rankCard
	rankIBAN
	rankLabel
)

// resolve keeps the longest candidates (then the highest ranked, then the
// leftmost) that do not overlap one already kept. Each recogniser emits
// non-overlapping candidates, so marking claimed bytes costs at most a few
// passes over the text.
func (r *Redactor) resolve(text string, cs []candidate) []Match {
	if len(cs) == 0 {
		return nil
	}
	slices.SortFunc(cs, func(a, b candidate) int {
		if d := (b.end - b.start) - (a.end - a.start); d != 0 {
			return d
		}
		if d := b.rank - a.rank; d != 0 {
			return d
		}
		return a.start - b.start
	})
	claimed := make([]bool, len(text))
	var ms []Match
	for _, c := range cs {
		if slices.Contains(claimed[c.start:c.end], true) {
			continue
		}
		for i := c.start; i < c.end; i++ {
			claimed[i] = true
		}
		if c.kind != "" && r.enabled[c.kind] {
			ms = append(ms, Match{Kind: c.kind, Start: c.start, End: c.end})
		}
	}
	slices.SortFunc(ms, func(a, b Match) int { return a.Start - b.Start })
	return ms
}

// findLabels shields labels already in the text, so that redacting twice
// changes nothing and a subject called "Phone" does not turn "[phone]"
// into "[[name]]".
func findLabels(s string, cs []candidate) []candidate {
	for i := 0; ; {
		j := strings.IndexByte(s[i:], '[')
		if j < 0 {
			return cs
		}
		i += j
		for _, k := range allKinds {
			if l := k.label(); strings.HasPrefix(s[i:], l) {
				cs = append(cs, candidate{start: i, end: i + len(l), rank: rankLabel})
				break
			}
		}
		i++
	}
}
