// Package schedule parses the schedules a policy names (daily, weekly,
// monthly, or a 5-field cron expression) and answers "next run after T".
// It wraps robfig/cron for cron expressions; it never starts timers itself.
package schedule

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule implements lethe.Schedule.
type Schedule struct {
	text string
	spec cron.Schedule
}

var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// The named schedules run at midnight: weekly on Mondays, monthly on the
// first day of the month (SPEC section 1).
var named = map[string]string{
	"daily":   "0 0 * * *",
	"weekly":  "0 0 * * 1",
	"monthly": "0 0 1 * *",
}

// Parse reads "daily", "weekly", "monthly" or a 5-field cron expression
// ("30 2 * * *" is 02:30 every day).
func Parse(text string) (*Schedule, error) {
	t := strings.TrimSpace(text)
	expr := t
	if n, ok := named[strings.ToLower(t)]; ok {
		expr, t = n, strings.ToLower(t)
	} else if len(strings.Fields(t)) != 5 {
		return nil, fmt.Errorf("cannot read %q as a schedule: write daily, weekly, monthly or a 5-field cron expression such as \"30 2 * * *\"", text)
	}
	spec, err := parser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("cannot read %q as a cron expression: %v", text, err)
	}
	return &Schedule{text: t, spec: spec}, nil
}

// Next returns the first run strictly after t, in t's location.
func (s *Schedule) Next(t time.Time) time.Time { return s.spec.Next(t) }

func (s *Schedule) String() string { return s.text }
