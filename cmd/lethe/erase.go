package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"lethe"
	"lethe/engine"
)

func eraseCmd(g *globals) *cobra.Command {
	var subject, tenant, actor, reason string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "erase",
		Short: "Erase one person within one tenant: delete or anonymize every row bound to them, per the policy",
		Long: `Erase removes or anonymizes, per each dataset's on_subject_erase, every row
bound to the subject within the tenant, keeps suppressed fields as keyed
digests first, and writes one ledger entry per dataset (reason dsr_erasure).
It answers with the rows per dataset and the date by which backups holding
the data expire. A legal hold on the tenant or the subject stops it (exit 1).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kind, id, err := parseSubject(subject)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("tenant") {
				return lethe.Errorf(lethe.EINVALID, "erase needs --tenant: an erasure never crosses tenants")
			}
			if actor == "" {
				return lethe.Errorf(lethe.EINVALID, "erase needs --actor: who asked for it")
			}
			return g.withEngine(cmd.Context(), func(e *engine.Engine, at time.Time) error {
				res, err := e.Erase(cmd.Context(), engine.EraseRequest{Kind: kind, ID: id, Tenant: tenant, Actor: actor, Reason: reason, DryRun: dryRun, At: at})
				if err != nil {
					var le *lethe.Error
					if errors.As(err, &le) && le.Code != lethe.EINVALID {
						fmt.Fprintln(g.stderr, "lethe:", le.Message)
						return exitError{exitFailed}
					}
					return err
				}
				if g.json {
					return g.printJSON(res)
				}
				verb := "erased"
				if res.DryRun {
					verb = "would erase (dry run, nothing changed)"
				}
				fmt.Fprintf(g.stdout, "%s %s in tenant %s:\n", verb, res.Subject, tenant)
				w := g.table()
				fmt.Fprintln(w, "DATASET\tACTION\tROWS")
				for _, d := range res.Datasets {
					fmt.Fprintf(w, "%s\t%s\t%d\n", d.Dataset, d.Action, d.Rows)
				}
				w.Flush()
				if res.BackupsExpireBy != nil {
					fmt.Fprintf(g.stdout, "backups holding this data expire by %s\n", res.BackupsExpireBy.Format("2006-01-02"))
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&subject, "subject", "", "the person, as KIND:ID (e.g. contact:c_81)")
	f.StringVar(&tenant, "tenant", "", "the tenant the erasure is scoped to")
	f.StringVar(&actor, "actor", "", "who asked for it (recorded in the ledger)")
	f.StringVar(&reason, "reason", "", "why, e.g. a ticket number (recorded in the ledger)")
	f.BoolVar(&dryRun, "dry-run", false, "count what would go; change nothing")
	return cmd
}
