package schedule

import (
	"testing"
	"time"
)

func TestNext(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		spec, after, want string
	}{
		{"daily", "2024-02-28T13:00:00Z", "2024-02-29T00:00:00Z"},
		{"daily", "2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z"},
		{"weekly", "2024-03-06T10:00:00Z", "2024-03-11T00:00:00Z"}, // Wednesday -> Monday
		{"monthly", "2024-01-31T23:59:00Z", "2024-02-01T00:00:00Z"},
		{"monthly", "2024-12-15T00:00:00Z", "2025-01-01T00:00:00Z"},
		{"Monthly", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"},
		{"30 2 * * *", "2024-03-01T02:30:00Z", "2024-03-02T02:30:00Z"},
		{"0 3 29 2 *", "2023-03-01T00:00:00Z", "2024-02-29T03:00:00Z"},
		{"*/15 * * * 1-5", "2024-03-08T23:50:00Z", "2024-03-11T00:00:00Z"},
	}
	for _, tt := range tests {
		s, err := Parse(tt.spec)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.spec, err)
		}
		if got := s.Next(at(tt.after)); !got.Equal(at(tt.want)) {
			t.Errorf("%q.Next(%s) = %s, want %s", tt.spec, tt.after, got.Format(time.RFC3339), tt.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, spec := range []string{"", "hourly", "every day", "* * * *", "61 * * * *", "0 0 * * * *", "0 0 32 * *"} {
		if _, err := Parse(spec); err == nil {
			t.Errorf("Parse(%q) accepted it", spec)
		}
	}
}
