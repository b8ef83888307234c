package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"lethe"
	"lethe/connect"
	"lethe/engine"
	"lethe/mask"
	"lethe/policy"
)

// openEngine loads the policy, connects to its database and binds them.
// The secret is optional here: the engine refuses to anonymize without one.
func (g *globals) openEngine(ctx context.Context) (*engine.Engine, func(), error) {
	p, err := policy.LoadFile(g.config)
	if err != nil {
		return nil, nil, err
	}
	url := g.databaseURL(p.Database)
	if url == "" {
		return nil, nil, lethe.Errorf(lethe.EINVALID, "no database: pass --db, set LETHE_DATABASE_URL or add \"database:\" to %s", g.config)
	}
	d, err := connect.Open(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	secret, err := mask.LoadSecret(p.SecretFile)
	if err != nil && os.Getenv(mask.SecretEnv) != "" {
		d.Close()
		return nil, nil, err // a secret was given but is unusable
	}
	e, err := engine.New(ctx, p, d, engine.Config{Secret: secret, Log: g.log})
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return e, func() { d.Close() }, nil
}

// tenantFlag turns --tenant into the engine's "nil means every tenant".
func tenantFlag(set bool, value string) *string {
	if !set {
		return nil
	}
	return &value
}

func formatCutoff(t *time.Time) string {
	if t == nil {
		return "off"
	}
	return t.UTC().Format(time.RFC3339)
}

func printPlan(g *globals, plan []engine.PlanRow) {
	w := g.table()
	fmt.Fprintln(w, "TENANT\tDATASET\tSTAGE\tPERIOD\tCUTOFF\tROWS\tHELD")
	for _, r := range plan {
		tenant := r.Tenant
		if tenant == "" {
			tenant = `""`
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%d\n", tenant, r.Dataset, r.Stage, r.Period, formatCutoff(r.Cutoff), r.Rows, r.Held)
	}
	w.Flush()
}

// guardExit prints a tripped guard and exits 1, as the operation failed
// safely.
func guardExit(g *globals, err error) error {
	var ge *engine.GuardError
	if errors.As(err, &ge) {
		fmt.Fprintln(g.stderr, "lethe:", strings.TrimSpace(ge.Error()))
		return exitError{exitFailed}
	}
	return err
}

// withEngine runs fn with the engine and the run time (--at or now), and
// closes the database after.
func (g *globals) withEngine(ctx context.Context, fn func(e *engine.Engine, at time.Time) error) error {
	at, err := g.runTime()
	if err != nil {
		return err
	}
	e, closeDB, err := g.openEngine(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	return fn(e, at)
}
