package lethe

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Unit is the calendar unit of a Period.
type Unit int

const (
	Days Unit = iota + 1
	Weeks
	Months
	Years
)

var unitNames = map[Unit][2]string{
	Days:   {"day", "days"},
	Weeks:  {"week", "weeks"},
	Months: {"month", "months"},
	Years:  {"year", "years"},
}

// Period is a calendar period such as "30 days" or "6 months". The zero
// Period is "off": a stage or rule with it never runs.
type Period struct {
	N    int
	Unit Unit
}

// Off reports whether the period turns its stage or rule off.
func (p Period) Off() bool { return p.N == 0 }

func (p Period) String() string {
	if p.Off() {
		return "0"
	}
	names := unitNames[p.Unit]
	if p.N == 1 {
		return "1 " + names[0]
	}
	return strconv.Itoa(p.N) + " " + names[1]
}

// maxPeriodN keeps cutoffs inside the years time.Time handles well; nobody
// keeps data for more than a thousand years.
const maxPeriodN = 100000

// ParsePeriod parses "N day(s)|week(s)|month(s)|year(s)", "0" or "off".
// The number and unit may be written without a space ("30days").
func ParsePeriod(s string) (Period, error) {
	text := strings.TrimSpace(s)
	if text == "0" || strings.EqualFold(text, "off") {
		return Period{}, nil
	}
	i := 0
	for i < len(text) && text[i] >= '0' && text[i] <= '9' {
		i++
	}
	if i == 0 {
		return Period{}, periodError(s)
	}
	n, err := strconv.Atoi(text[:i])
	if err != nil || n > maxPeriodN {
		return Period{}, fmt.Errorf("period %q is too long: at most %d of a unit", s, maxPeriodN)
	}
	unitText := strings.ToLower(strings.TrimSpace(text[i:]))
	for unit, names := range unitNames {
		if unitText == names[0] || unitText == names[1] {
			if n == 0 {
				return Period{}, nil
			}
			return Period{N: n, Unit: unit}, nil
		}
	}
	return Period{}, periodError(s)
}

func periodError(s string) error {
	return fmt.Errorf("cannot read %q as a period: write N days, N weeks, N months, N years, 0 or off", s)
}

// Before returns the cutoff of a run at t: t minus the period in calendar
// arithmetic, in t's location. Months and years clamp to the end of the
// month, so one month before 2024-03-31 is 2024-02-29 (time.AddDate would
// normalise to 2024-03-02, a cutoff two days too late). An Off period has no
// cutoff; Before returns the zero time for it, before every clock.
func (p Period) Before(t time.Time) time.Time {
	switch p.Unit {
	case Days:
		return t.AddDate(0, 0, -p.N)
	case Weeks:
		return t.AddDate(0, 0, -7*p.N)
	case Months:
		return addMonthsClamped(t, -p.N)
	case Years:
		return addMonthsClamped(t, -12*p.N)
	default:
		return time.Time{}
	}
}

// After returns t plus the period, with the same month-end clamping as
// Before (one month after 2024-01-31 is 2024-02-29).
func (p Period) After(t time.Time) time.Time {
	switch p.Unit {
	case Days:
		return t.AddDate(0, 0, p.N)
	case Weeks:
		return t.AddDate(0, 0, 7*p.N)
	case Months:
		return addMonthsClamped(t, p.N)
	case Years:
		return addMonthsClamped(t, 12*p.N)
	default:
		return t
	}
}

func addMonthsClamped(t time.Time, months int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(months), 1, 0, 0, 0, 0, t.Location())
	if last := daysIn(first.Year(), first.Month()); d > last {
		d = last
	}
	hh, mm, ss := t.Clock()
	return time.Date(first.Year(), first.Month(), d, hh, mm, ss, t.Nanosecond(), t.Location())
}

func daysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// IsDue reports whether a row whose clock reads clock is due for a run at
// at: its clock is strictly before the cutoff. An Off period is never due.
func (p Period) IsDue(clock, at time.Time) bool {
	return !p.Off() && clock.Before(p.Before(at))
}

// Compare orders two periods: -1, 0 or +1. Periods in the same family
// (days and weeks; months and years) compare exactly. Across families no
// exact order exists (a month is 28 to 31 days), so they compare the way
// people write them: a month as 30 days and a year as 365, so that
// "365 days" meets a floor of "1 year" and "30 days" one of "1 month".
func (p Period) Compare(q Period) int {
	a, b := p.days(), q.days()
	if pm, qm := p.months(), q.months(); pm >= 0 && qm >= 0 {
		a, b = pm, qm
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	default:
		return 0
	}
}

// months returns the period in whole months, or -1 for days and weeks.
func (p Period) months() int {
	switch {
	case p.Off():
		return 0
	case p.Unit == Months:
		return p.N
	case p.Unit == Years:
		return 12 * p.N
	default:
		return -1
	}
}

// days returns the period's length in days, a month counted as 30 and a
// year as 365 (see Compare).
func (p Period) days() int {
	switch p.Unit {
	case Days:
		return p.N
	case Weeks:
		return 7 * p.N
	case Months:
		return 30 * p.N
	case Years:
		return 365 * p.N
	default:
		return 0
	}
}

// Bounds are the periods a tenant may choose between for one setting.
// A nil end is open.
type Bounds struct {
	Min *Period
	Max *Period
}

// Check returns a message when p lies outside the bounds, naming them, and
// "" when it lies within. Off (0) is checked like any other value: a floor
// above 0 forbids turning the stage off.
func (b Bounds) Check(p Period) string {
	if b.Min != nil && p.Compare(*b.Min) < 0 {
		return fmt.Sprintf("%s is below the floor of %s (allowed: %s)", p, *b.Min, b)
	}
	if b.Max != nil && p.Compare(*b.Max) > 0 {
		return fmt.Sprintf("%s is above the maximum of %s (allowed: %s)", p, *b.Max, b)
	}
	return ""
}

func (b Bounds) String() string {
	switch {
	case b.Min != nil && b.Max != nil:
		return fmt.Sprintf("%s to %s", *b.Min, *b.Max)
	case b.Min != nil:
		return fmt.Sprintf("at least %s", *b.Min)
	case b.Max != nil:
		return fmt.Sprintf("at most %s", *b.Max)
	default:
		return "any"
	}
}

// PostureBand labels every period shorter than Below.
type PostureBand struct {
	Below Period
	Label string
}

// DefaultPosture are the bands SPEC section 1 names: under 6 months
// reduced, 6 to 12 aligned, 12 to 84 gdpr-5-1-e.
var DefaultPosture = []PostureBand{
	{Below: Period{N: 6, Unit: Months}, Label: "reduced"},
	{Below: Period{N: 12, Unit: Months}, Label: "aligned"},
	{Below: Period{N: 85, Unit: Months}, Label: "gdpr-5-1-e"},
}

// Posture returns the label of the first band whose Below exceeds p, and ""
// when p is off or longer than every band.
func Posture(bands []PostureBand, p Period) string {
	if p.Off() {
		return ""
	}
	for _, b := range bands {
		if p.Compare(b.Below) < 0 {
			return b.Label
		}
	}
	return ""
}
