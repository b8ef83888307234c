package requests

import (
	"strings"

	"lethe"
)

// ParsePeriod reads a due period or an extension: what lethe.ParsePeriod
// reads ("30 days", "2 months"), and the shorthand operators type: 30d,
// 4w, 2m (months), 1y. A request is always due some time: 0 and off are
// refused.
func ParsePeriod(s string) (lethe.Period, error) {
	text := strings.TrimSpace(s)
	if n := len(text); n > 1 && text[n-2] >= '0' && text[n-2] <= '9' {
		if unit, ok := map[byte]string{'d': " days", 'w': " weeks", 'm': " months", 'y': " years"}[text[n-1]|0x20]; ok {
			text = text[:n-1] + unit
		}
	}
	p, err := lethe.ParsePeriod(text)
	if err != nil {
		return lethe.Period{}, lethe.Errorf(lethe.EINVALID, "cannot read %q as a period: write e.g. 30d, 8w, 2m, 1y or \"30 days\"", s)
	}
	if p.Off() {
		return lethe.Period{}, lethe.Errorf(lethe.EINVALID, "period %q is zero: a request is always due some time", s)
	}
	return p, nil
}
