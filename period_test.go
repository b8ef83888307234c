package lethe

import (
	"testing"
	"time"
)

func date(t *testing.T, s string) time.Time {
	t.Helper()
	layout := time.RFC3339
	if len(s) == len("2006-01-02") {
		layout = "2006-01-02"
	}
	v, err := time.Parse(layout, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in   string
		want Period
	}{
		{"0", Period{}},
		{"off", Period{}},
		{"OFF", Period{}},
		{"0 days", Period{}},
		{"1 day", Period{1, Days}},
		{"30 days", Period{30, Days}},
		{"30days", Period{30, Days}},
		{" 2 weeks ", Period{2, Weeks}},
		{"1 week", Period{1, Weeks}},
		{"6 months", Period{6, Months}},
		{"1 Month", Period{1, Months}},
		{"10 years", Period{10, Years}},
		{"1 year", Period{1, Years}},
	}
	for _, tt := range tests {
		got, err := ParsePeriod(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "days", "3 fortnights", "-1 day", "1.5 months", "1 monthly", "6", "1 d", "99999999999999999999 days", "200000 days"} {
		if p, err := ParsePeriod(bad); err == nil {
			t.Errorf("ParsePeriod(%q) = %v, want an error", bad, p)
		}
	}
}

func TestPeriodString(t *testing.T) {
	for in, want := range map[Period]string{{}: "0", {1, Days}: "1 day", {3, Months}: "3 months", {1, Years}: "1 year", {2, Weeks}: "2 weeks"} {
		if got := in.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", in, got, want)
		}
	}
}

func TestPeriodBefore(t *testing.T) {
	tests := []struct {
		period, at, want string
	}{
		{"1 month", "2024-03-31", "2024-02-29"}, // clamps to the leap day
		{"1 month", "2023-03-31", "2023-02-28"},
		{"1 month", "2024-03-30", "2024-02-29"},
		{"1 month", "2024-03-29", "2024-02-29"},
		{"1 month", "2024-03-28", "2024-02-28"},
		{"1 month", "2024-05-31", "2024-04-30"},
		{"1 month", "2024-01-15", "2023-12-15"},
		{"2 months", "2024-04-30", "2024-02-29"},
		{"3 months", "2024-05-31", "2024-02-29"},
		{"13 months", "2025-03-31", "2024-02-29"},
		{"1 year", "2024-02-29", "2023-02-28"},
		{"4 years", "2024-02-29", "2020-02-29"},
		{"1 year", "2025-02-28", "2024-02-28"},
		{"1 year", "2024-04-01", "2023-04-01"},
		{"1 day", "2024-03-01", "2024-02-29"},
		{"30 days", "2024-03-31", "2024-03-01"},
		{"365 days", "2024-12-31", "2024-01-01"},
		{"1 week", "2024-03-03", "2024-02-25"},
		{"0", "2024-03-03", "0001-01-01"},
		{"1 month", "2024-03-31T15:04:05Z", "2024-02-29T15:04:05Z"},
	}
	for _, tt := range tests {
		p, err := ParsePeriod(tt.period)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Before(date(t, tt.at)); !got.Equal(date(t, tt.want)) {
			t.Errorf("%s before %s = %s, want %s", tt.period, tt.at, got.Format(time.RFC3339), tt.want)
		}
	}
}

func TestPeriodAfter(t *testing.T) {
	p := Period{1, Months}
	if got := p.After(date(t, "2024-01-31")); !got.Equal(date(t, "2024-02-29")) {
		t.Errorf("1 month after 2024-01-31 = %s", got)
	}
	if got := (Period{1, Years}).After(date(t, "2024-02-29")); !got.Equal(date(t, "2025-02-28")) {
		t.Errorf("1 year after 2024-02-29 = %s", got)
	}
}

// The example SPEC section 1 says must hold: with anonymization 1 month and
// retention 1 year, a run on 2024-04-01 anonymizes everything created up to
// 2024-02-29 and deletes everything created up to 2023-03-31.
func TestSpecCutoffExample(t *testing.T) {
	run := date(t, "2024-04-01")
	anonymize, keep := Period{1, Months}, Period{1, Years}
	tests := []struct {
		p       Period
		created string
		due     bool
	}{
		{anonymize, "2024-02-29T23:59:59Z", true},
		{anonymize, "2024-03-01T00:00:00Z", false}, // at the cutoff: not strictly before
		{keep, "2023-03-31T23:59:59Z", true},
		{keep, "2023-04-01T00:00:00Z", false},
	}
	for _, tt := range tests {
		if got := tt.p.IsDue(date(t, tt.created), run); got != tt.due {
			t.Errorf("%s, created %s, run %s: due = %v, want %v", tt.p, tt.created, run.Format(time.DateOnly), got, tt.due)
		}
	}
	if (Period{}).IsDue(date(t, "1990-01-01"), run) {
		t.Error("an off period made a row due")
	}
}

func TestPeriodCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2 months", "3 months", -1},
		{"84 months", "7 years", 0},
		{"85 months", "7 years", 1},
		{"2 weeks", "14 days", 0},
		{"29 days", "1 month", -1},
		{"30 days", "1 month", 0},
		{"31 days", "1 month", 1},
		{"0", "1 day", -1},
		{"0", "off", 0},
		{"364 days", "1 year", -1},
		{"365 days", "1 year", 0},
		{"366 days", "1 year", 1},
		{"12 months", "1 year", 0},
		{"52 weeks", "1 year", -1},
	}
	for _, tt := range tests {
		a, _ := ParsePeriod(tt.a)
		b, _ := ParsePeriod(tt.b)
		if got := a.Compare(b); got != tt.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestBoundsCheck(t *testing.T) {
	three, seven := Period{3, Months}, Period{84, Months}
	b := Bounds{Min: &three, Max: &seven}
	if msg := b.Check(Period{2, Months}); msg != "2 months is below the floor of 3 months (allowed: 3 months to 84 months)" {
		t.Errorf("below: %q", msg)
	}
	if msg := b.Check(Period{8, Years}); msg != "8 years is above the maximum of 84 months (allowed: 3 months to 84 months)" {
		t.Errorf("above: %q", msg)
	}
	if msg := b.Check(Period{24, Months}); msg != "" {
		t.Errorf("within: %q", msg)
	}
	if msg := b.Check(Period{}); msg == "" {
		t.Error("off accepted under a floor of 3 months")
	}
}

func TestPosture(t *testing.T) {
	tests := map[string]string{
		"0": "", "1 month": "reduced", "5 months": "reduced", "6 months": "aligned",
		"11 months": "aligned", "12 months": "gdpr-5-1-e", "1 year": "gdpr-5-1-e",
		"84 months": "gdpr-5-1-e", "7 years": "gdpr-5-1-e", "85 months": "", "179 days": "reduced", "180 days": "aligned", "183 days": "aligned",
	}
	for in, want := range tests {
		p, _ := ParsePeriod(in)
		if got := Posture(DefaultPosture, p); got != want {
			t.Errorf("Posture(%s) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"0", "off", "30 days", "6 months", "2 years", "1 week", "3 fortnights", "99999999999999 days", ""} {
		f.Add(s)
	}
	at := time.Date(2024, 3, 31, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s)
		if err != nil {
			return
		}
		cut := p.Before(at)
		if !p.Off() && !cut.Before(at) {
			t.Errorf("%q: cutoff %s not before %s", s, cut, at)
		}
		back, err := ParsePeriod(p.String())
		if err != nil || back != p {
			t.Errorf("%q: String %q does not parse back: %v %v", s, p.String(), back, err)
		}
	})
}
