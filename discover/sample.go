package discover

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"lethe"
	"lethe/dialect"
	"lethe/redact"
)

// maxValueLen bounds how much of one sampled value is searched: enough for
// any note, not a whole document.
const maxValueLen = 4096

// sampleColumn reads at most n non-NULL values of one column. The query
// holds quoted identifiers and a number, nothing else. It stops at n rows,
// but the database may scan far to find them in a large table whose column
// is nearly all NULL: Options.Sample < 0 turns sampling off.
func sampleColumn(ctx context.Context, d dialect.Dialect, table, column string, n int) ([]string, error) {
	col := d.Quote(column)
	query := "SELECT " + col + " FROM " + d.Quote(table) + " WHERE " + col + " IS NOT NULL LIMIT " + strconv.Itoa(n)
	rows, err := d.DB().QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("discover: sample %s.%s: %w", table, column, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v sql.NullString
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("discover: sample %s.%s: %w", table, column, err)
		}
		s := v.String
		if len(s) > maxValueLen {
			s = s[:maxValueLen]
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("discover: sample %s.%s: %w", table, column, err)
	}
	return out, nil
}

var (
	emailRE = regexp.MustCompile(`^[A-Za-z0-9._%+'\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}$`)
	phoneRE = regexp.MustCompile(`^\+?[0-9(][0-9 ().\-/]{5,24}[0-9]$`)
	dateRE  = regexp.MustCompile(`^(\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})([ T].*)?$`)

	// finder is the redact mask's own recogniser, so that what the draft
	// calls personal is what redaction will find. The subject's names are
	// unknown here.
	finder = redact.New(redact.KindEmail, redact.KindPhone, redact.KindCard, redact.KindIBAN, redact.KindIP)
)

// isPhone recognises a whole value written as a phone number: 7 to 15
// digits, with a leading + or the separators people write, and not a date
// or a decimal number.
func isPhone(v string) bool {
	if !phoneRE.MatchString(v) || dateRE.MatchString(v) {
		return false
	}
	digits := 0
	for _, r := range v {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits < 7 || digits > 15 {
		return false
	}
	if strings.Count(v, ".") == 1 && !strings.ContainsAny(v, " ()-/+") {
		return false // 3.14159265
	}
	return strings.HasPrefix(v, "+") || strings.ContainsAny(v, " ()-./") || (v[0] == '0' && digits >= 9 && digits <= 11)
}

// valueKind says what one whole value is, if it is one personal value.
func valueKind(v string) kind {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 320 {
		return kindNone
	}
	switch {
	case emailRE.MatchString(v):
		return kindEmail
	case isIP(v):
		return kindIP
	case isPhone(v):
		return kindPhone
	}
	if ms := finder.Find(v); len(ms) == 1 && ms[0].Start == 0 && ms[0].End == len(v) {
		return redactKind(ms[0].Kind)
	}
	return kindNone
}

func isIP(v string) bool {
	_, err := netip.ParseAddr(v)
	return err == nil
}

func redactKind(k redact.Kind) kind {
	switch k {
	case redact.KindEmail:
		return kindEmail
	case redact.KindPhone:
		return kindPhone
	case redact.KindCard:
		return kindCard
	case redact.KindIBAN:
		return kindIBAN
	case redact.KindIP:
		return kindIP
	}
	return kindNone
}

// valueKinds are the kinds a sample can show, in the order comments name
// them.
var valueKinds = []kind{kindEmail, kindPhone, kindIP, kindCard, kindIBAN}

var valuePlural = map[kind]string{
	kindEmail: "email addresses",
	kindPhone: "phone numbers",
	kindIP:    "IP addresses",
	kindCard:  "payment card numbers",
	kindIBAN:  "IBANs",
}

// verdict is what a sample of one column showed.
type verdict struct {
	kind kind   // kindNone when nothing personal was seen
	why  string // counts only, never values
}

// judge reads a sample: when most values are one kind of personal value,
// the column is that kind; when some values hold personal data, the column
// is free text to redact.
func judge(values []string) verdict {
	n := len(values)
	whole := map[kind]int{}
	seen := map[kind]bool{}
	personal := 0
	for _, v := range values {
		if k := valueKind(v); k != kindNone {
			whole[k]++
			seen[k] = true
			personal++
			continue
		}
		ms := finder.Find(v)
		for _, m := range ms {
			seen[redactKind(m.Kind)] = true
		}
		if len(ms) > 0 {
			personal++
		}
	}
	best := kindNone
	for _, k := range valueKinds {
		if whole[k] > whole[best] {
			best = k
		}
	}
	if best != kindNone && whole[best]*2 > n {
		return verdict{kind: best, why: fmt.Sprintf("%d of %d sampled values are %s", whole[best], n, valuePlural[best])}
	}
	if personal == 0 {
		return verdict{}
	}
	var names []string
	for _, k := range valueKinds {
		if seen[k] {
			names = append(names, valuePlural[k])
		}
	}
	return verdict{kind: kindFreeText, why: fmt.Sprintf("%d of %d sampled values hold %s", personal, n, orList(names))}
}

// orList joins names as English does: a, b or c.
func orList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// unixUnit tells seconds from milliseconds in a sample of integer Unix
// times: no date of this century reaches 10^11 seconds.
func unixUnit(values []string) lethe.ClockUnit {
	for _, v := range values {
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n > 100_000_000_000 {
			return lethe.ClockMilliseconds
		}
	}
	return lethe.ClockSeconds
}
