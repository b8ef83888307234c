package dialecttest

import (
	"context"
	"testing"

	"lethe/demo"
	"lethe/dialect"
)

// CreateSaaSSchema creates, in d, the tables examples/saas.yaml names: the
// schema of the demo application (package demo), so tests and `lethe demo`
// work on one and the same schema.
func CreateSaaSSchema(t testing.TB, h Harness, d dialect.Dialect) {
	t.Helper()
	if err := demo.CreateSchema(context.Background(), d); err != nil {
		t.Fatalf("%s: %v", h.Name, err)
	}
}
