package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/spf13/cobra"

	"lethe"
	"lethe/connect"
	"lethe/dialect"
	"lethe/ledger"
	"lethe/policy"
)

// openDB connects to the database for commands that need Lethe's tables
// but not the policy's: --db, LETHE_DATABASE_URL, or the policy's database.
func (g *globals) openDB(ctx context.Context) (dialect.Dialect, error) {
	url := g.databaseURL("")
	if url == "" {
		p, err := policy.LoadFile(g.config)
		if err != nil {
			var pathErr *fs.PathError
			if errors.As(err, &pathErr) || isMissing(g.config) {
				return nil, lethe.Errorf(lethe.EINVALID, "no database: pass --db or set LETHE_DATABASE_URL")
			}
			return nil, err
		}
		url = p.Database
	}
	d, err := connect.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func isMissing(path string) bool {
	_, err := os.Stat(path)
	return errors.Is(err, fs.ErrNotExist)
}

func ledgerCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "ledger", Short: "Verify and list the purge ledger"}
	cmd.AddCommand(ledgerVerifyCmd(g), ledgerListCmd(g))
	return cmd
}

func ledgerVerifyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Recompute the ledger's hash chain; exit 1 naming the first bad entry",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := g.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer d.Close()
			rep, err := ledger.New(d).Verify(cmd.Context())
			if err != nil {
				return err
			}
			if g.json {
				if err := g.printJSON(rep); err != nil {
					return err
				}
			} else {
				if rep.OK {
					fmt.Fprintf(g.stdout, "ledger intact: %d sealed entries, chain head #%d\n", rep.Entries, rep.HeadSeq)
				} else {
					fmt.Fprintf(g.stdout, "ledger BROKEN at entry %d: %s\n", rep.BadID, rep.Problem)
				}
				for _, u := range rep.Unsealed {
					fmt.Fprintf(g.stdout, "unsealed entry %d (run %s, %s %s, %d rows recorded): its run stopped before sealing it\n", u.ID, u.RunID, u.Dataset, u.Reason, u.Rows)
				}
			}
			if !rep.OK {
				return exitError{exitFailed}
			}
			return nil
		},
	}
}

func ledgerListCmd(g *globals) *cobra.Command {
	var f ledger.Filter
	var since, until string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List ledger entries",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, t := range []struct {
				text string
				dst  *time.Time
				flag string
			}{{since, &f.Since, "--since"}, {until, &f.Until, "--until"}} {
				if t.text == "" {
					continue
				}
				v, err := time.Parse(time.RFC3339, t.text)
				if err != nil {
					return lethe.Errorf(lethe.EINVALID, "%s %q is not an RFC 3339 time", t.flag, t.text)
				}
				*t.dst = v
			}
			d, err := g.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer d.Close()
			entries, err := ledger.New(d).List(cmd.Context(), f)
			if err != nil {
				return err
			}
			if g.json {
				return printList(g, entries)
			}
			w := g.table()
			fmt.Fprintln(w, "ID\tSEQ\tAT\tTENANT\tDATASET\tREASON\tROWS\tHELD\tACTOR\tSUBJECT/CUTOFF")
			for _, e := range entries {
				what := e.SubjectKey
				if e.Cutoff != nil {
					what = e.Cutoff.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%d\t%d\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", e.ID, e.Seq, e.At.UTC().Format(time.RFC3339), e.Tenant, e.Dataset, e.Reason, e.Rows, e.Held, e.Actor, what)
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&f.Tenant, "tenant", "", "only this tenant")
	cmd.Flags().StringVar(&f.Reason, "reason", "", "only this reason (retention_sweep, lifecycle_delete, ...)")
	cmd.Flags().StringVar(&f.Dataset, "dataset", "", "only this dataset")
	cmd.Flags().StringVar(&since, "since", "", "entries at or after this time (RFC 3339)")
	cmd.Flags().StringVar(&until, "until", "", "entries before this time (RFC 3339)")
	return cmd
}
