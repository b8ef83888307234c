package engine

import (
	"strings"
	"testing"

	"lethe"
	"lethe/demo"
	"lethe/dialect/dialecttest"
)

func TestPlanWithAndCheckSettings(t *testing.T) {
	d := dialecttest.Harnesses()[0].Open(t)
	if err := demo.CreateSchema(ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Populate(ctx, d, demo.Options{Rows: 80, Seed: 1, Now: runAt}); err != nil {
		t.Fatal(err)
	}
	e, err := specEngine(d, secret, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rows := func(plan []PlanRow, dataset, stage string) int64 {
		for _, r := range plan {
			if r.Dataset == dataset && r.Stage == stage {
				return r.Rows
			}
		}
		t.Fatalf("no plan row %s %s", dataset, stage)
		return 0
	}
	cur, err := e.PlanWith(ctx, "acme", runAt, nil)
	if err != nil {
		t.Fatal(err)
	}
	acme := "acme"
	plan, err := e.Plan(ctx, PlanOptions{At: runAt, Tenant: &acme})
	if err != nil {
		t.Fatal(err)
	}
	if len(cur) != len(plan) || rows(cur, "user", "deactivate") != rows(plan, "user", "deactivate") {
		t.Fatalf("PlanWith without overrides differs from Plan")
	}
	shorter, err := e.PlanWith(ctx, "acme", runAt, map[string]lethe.Period{"user.deactivate": {N: 1, Unit: lethe.Months}})
	if err != nil {
		t.Fatal(err)
	}
	if rows(shorter, "user", "deactivate") <= rows(cur, "user", "deactivate") {
		t.Errorf("deactivating after 1 month makes %d users due, no more than after 6 months (%d)", rows(shorter, "user", "deactivate"), rows(cur, "user", "deactivate"))
	}
	if set, _ := e.Settings(ctx, "acme"); set[0].Overridden {
		t.Error("PlanWith stored an override")
	}

	problems, err := e.CheckSettings(ctx, "acme", map[string]lethe.Period{
		"identity_events.retention": {N: 100, Unit: lethe.Months}, // above 84 months
		"user.anonymize":            {N: 30, Unit: lethe.Months},  // after delete (24 months)
		"user.deactivate":           {N: 1, Unit: lethe.Months},   // fine
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 2 || !strings.Contains(problems["identity_events.retention"], "above the maximum of 84 months") ||
		!strings.Contains(problems["user.anonymize"], "make anonymize shorter than delete") {
		t.Errorf("problems %q", problems)
	}
	// Lengthening delete along with anonymize is fine together.
	if problems, _ := e.CheckSettings(ctx, "acme", map[string]lethe.Period{"user.anonymize": {N: 30, Unit: lethe.Months}, "user.delete": {N: 36, Unit: lethe.Months}}); len(problems) != 0 {
		t.Errorf("problems %q", problems)
	}
	if _, err := e.PlanWith(ctx, "acme", runAt, map[string]lethe.Period{"nope.retention": {N: 1, Unit: lethe.Days}}); lethe.ErrorCode(err) != lethe.EINVALID {
		t.Errorf("unknown key: %v", err)
	}

	tenants, err := e.Tenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tenants, ",") != "acme,globex,initech,umbrella" {
		t.Errorf("tenants %v", tenants)
	}
}
