package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"lethe"
	"lethe/demo"
	"lethe/engine"
	"lethe/examples"
	"lethe/ledger"
	"lethe/mask"
	"lethe/policy"
	"lethe/sqlite"
)

// demoSecret keys the demo's pseudonyms when LETHE_SECRET is unset. It is
// public: fine for made-up people, never for real ones.
const demoSecret = "lethe-demo-key-do-not-use-for-real-data"

func demoCmd(g *globals) *cobra.Command {
	var dir string
	var rows int
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Build a demo SaaS database (SQLite), write its policy, show the plan and run a sweep",
		Long: `Creates DIR/app.db, an SQLite database of a multi-tenant application
(workspaces, users with and without recent sign-ins, transactions, survey
participants and answers, identity events, audit logs, sessions,
invitations, support tickets, soft-deleted organisations), writes the policy
of examples/saas.yaml beside it as DIR/lethe.yaml, prints the plan, runs a
sweep and verifies the ledger. Nothing else has to be installed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			at, err := g.runTime()
			if err != nil {
				return err
			}
			if rows < 1 {
				return lethe.Errorf(lethe.EINVALID, "--rows must be at least 1")
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("demo directory: %w", err)
			}
			dbPath := filepath.Join(dir, "app.db")
			for _, suffix := range []string{"", "-wal", "-shm"} { // a fresh demo each time
				if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("remove the previous demo: %w", err)
				}
			}
			policyPath := filepath.Join(dir, "lethe.yaml")
			if err := os.WriteFile(policyPath, examples.SaaS, 0o644); err != nil {
				return fmt.Errorf("write the demo policy: %w", err)
			}
			d, err := sqlite.OpenFile(ctx, dbPath)
			if err != nil {
				return err
			}
			defer d.Close()
			if err := demo.CreateSchema(ctx, d); err != nil {
				return err
			}
			counts, err := demo.Populate(ctx, d, demo.Options{Rows: rows, Seed: 1, Now: at})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "demo database %s: %s\n", dbPath, counts)
			fmt.Fprintf(g.stdout, "policy %s (examples/saas.yaml)\n\n", policyPath)

			p, err := policy.LoadFile(policyPath)
			if err != nil {
				return err
			}
			p.ArchiveDir = filepath.Join(dir, "archive")
			secret, err := mask.LoadSecret(p.SecretFile)
			if err != nil {
				fmt.Fprintf(g.stdout, "%s is not set: the demo uses a fixed, public key for its made-up people; never do that with real data.\n\n", mask.SecretEnv)
				secret = []byte(demoSecret)
			}
			e, err := engine.New(ctx, p, d, engine.Config{Secret: secret})
			if err != nil {
				return err
			}
			plan, err := e.Plan(ctx, engine.PlanOptions{At: at})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "The plan at %s: what each stage would do now\n", at.Format("2006-01-02 15:04 MST"))
			printPlan(g, plan)
			// A first sweep over years of history trips the blast-radius
			// guard by design; the demo confirms, as an operator would
			// after reading the plan.
			res, err := e.Sweep(ctx, engine.SweepOptions{At: at, Confirm: true, Actor: "demo"})
			if err != nil {
				return err
			}
			var changed, held int64
			for _, en := range res.Entries {
				changed += en.Rows
				held += en.Held
			}
			fmt.Fprintf(g.stdout, "\nSwept (run %s): %d rows changed, %d held, %d ledger entries.\n", res.RunID, changed, held, len(res.Entries))
			rep, err := ledger.New(d).Verify(ctx)
			if err != nil {
				return err
			}
			if !rep.OK {
				return fmt.Errorf("ledger broken at entry %d: %s", rep.BadID, rep.Problem)
			}
			fmt.Fprintf(g.stdout, "Ledger intact: %d sealed entries.\n\nTry next:\n  cd %s\n  lethe plan\n  lethe ledger list\n  lethe settings show --tenant acme\n", rep.Entries, dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "lethe-demo", "directory for the demo database, policy and archives")
	cmd.Flags().IntVar(&rows, "rows", demo.DefaultRows, "scale: about how many users")
	return cmd
}
