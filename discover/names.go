package discover

import (
	"strings"
	"unicode"

	"lethe/dialect"
)

// words splits a table or column name into lower-case words, so that
// first_name, firstName and FirstName all read as [first name].
func words(name string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]) ||
			(unicode.IsUpper(rs[i-1]) && i+1 < len(rs) && unicode.IsLower(rs[i+1]))):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return out
}

// norm is a name in snake case: createdAt and created_at both give
// created_at, so the lists below are written once.
func norm(name string) string { return strings.Join(words(name), "_") }

func set(items ...string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, s := range items {
		m[s] = true
	}
	return m
}

func hasAny(ws []string, in map[string]bool) bool {
	for _, w := range ws {
		if in[w] {
			return true
		}
	}
	return false
}

func last(ws []string) string {
	if len(ws) == 0 {
		return ""
	}
	return ws[len(ws)-1]
}

var irregular = map[string]string{
	"people": "person", "persons": "person", "children": "child", "men": "man", "women": "woman",
	"data": "data", "metadata": "metadata", "media": "media", "staff": "staff", "news": "news",
}

// singularWord returns the singular of one lower-case English word, well
// enough for table names.
func singularWord(w string) string {
	if s, ok := irregular[w]; ok {
		return s
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"), strings.HasSuffix(w, "zzes"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"), !strings.HasSuffix(w, "s"), len(w) < 3:
		return w
	default:
		return w[:len(w)-1]
	}
}

// singular returns the singular of a table name, changing its last word
// only and keeping the rest as written: users -> user, UserAccounts ->
// UserAccount, survey_participants -> survey_participant, people -> person.
func singular(table string) string {
	ws := words(table)
	if len(ws) == 0 {
		return table
	}
	lw := last(ws)
	s := singularWord(lw)
	lower := strings.ToLower(table)
	i := strings.LastIndex(lower, lw)
	if s == lw || i < 0 || len(lower) != len(table) {
		return table // unchanged, or a spelling whose case changes its length
	}
	k := 0 // what the singular shares with the plural keeps its case
	for k < len(s) && k < len(lw) && s[k] == lw[k] {
		k++
	}
	return table[:i] + table[i:i+k] + s[k:] + table[i+len(lw):]
}

func isBool(c *dialect.Column) bool {
	return strings.Contains(c.Type, "bool") || c.Type == "bit" || c.Type == "tinyint"
}

// sampleable says a column may hold text worth reading: plain text types,
// not JSON documents, not codes too short for an address or a number.
func sampleable(c *dialect.Column) bool {
	if !c.IsText() || c.Type == "json" || c.Type == "jsonb" {
		return false
	}
	return c.MaxLength == 0 || c.MaxLength >= 7
}

// sameFamily says a column could hold another's key: both integers or both
// text, or the same type (uuid).
func sameFamily(a, b *dialect.Column) bool {
	return a.Type == b.Type || (a.IsInteger() && b.IsInteger()) || (a.IsText() && b.IsText())
}
