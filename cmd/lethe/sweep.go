package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"lethe/engine"
)

func planCmd(g *globals) *cobra.Command {
	var tenant, only string
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show, per tenant and stage, the cutoff and the rows due now; changes nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withEngine(cmd.Context(), func(e *engine.Engine, at time.Time) error {
				plan, err := e.Plan(cmd.Context(), engine.PlanOptions{At: at, Tenant: tenantFlag(cmd.Flags().Changed("tenant"), tenant), Only: only})
				if err != nil {
					return err
				}
				if g.json {
					return printList(g, plan)
				}
				printPlan(g, plan)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "only this tenant (\"\" is rows with no tenant)")
	cmd.Flags().StringVar(&only, "only", "", "only this subject or dataset")
	return cmd
}

func sweepCmd(g *globals) *cobra.Command {
	var tenant string
	var opts engine.SweepOptions
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Run every stage and rule that is due, in batches, recording each in the ledger",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Tenant = tenantFlag(cmd.Flags().Changed("tenant"), tenant)
			return g.withEngine(cmd.Context(), func(e *engine.Engine, at time.Time) error {
				opts.At = at
				res, err := e.Sweep(cmd.Context(), opts)
				if err != nil {
					return guardExit(g, err)
				}
				if g.json {
					return g.printJSON(res)
				}
				if res.DryRun {
					fmt.Fprintln(g.stdout, "dry run: nothing changed; this is what a sweep would do now")
					printPlan(g, res.Plan)
					return nil
				}
				w := g.table()
				fmt.Fprintln(w, "TENANT\tDATASET\tREASON\tROWS\tHELD\tLEDGER")
				for _, en := range res.Entries {
					tenant := en.Tenant
					if tenant == "" {
						tenant = `""`
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t#%d\n", tenant, en.Dataset, en.Reason, en.Rows, en.Held, en.ID)
				}
				w.Flush()
				fmt.Fprintf(g.stdout, "run %s: %d ledger entries", res.RunID, len(res.Entries))
				if res.Pruned > 0 {
					fmt.Fprintf(g.stdout, ", %d ledger entries past ledger.keep pruned", res.Pruned)
				}
				fmt.Fprintln(g.stdout)
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&tenant, "tenant", "", "only this tenant")
	f.StringVar(&opts.Only, "only", "", "only this subject or dataset")
	f.BoolVar(&opts.DryRun, "dry-run", false, "show what would happen; change nothing")
	f.BoolVar(&opts.Confirm, "confirm", false, "run even when the blast-radius guard trips")
	f.StringVar(&opts.Actor, "actor", "cli", "who runs the sweep, for the ledger")
	f.IntVar(&opts.Batch, "batch", 0, fmt.Sprintf("rows per batch transaction (0: batches sized to keep each transaction near %v)", engine.TargetTx))
	f.IntVar(&opts.Walkers, "walkers", 0, fmt.Sprintf("batches at once when a table is walked in stored order (0: %d)", engine.DefaultWalkers))
	f.Float64Var(&opts.MaxRate, "max-rate", 0, "at most this many rows per second (0: no limit)")
	return cmd
}
