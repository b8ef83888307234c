package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"lethe"
	"lethe/connect"
	"lethe/policy"
)

func policyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Check a policy, print its JSON Schema",
	}
	cmd.AddCommand(policyCheckCmd(g), policySchemaCmd(g))
	return cmd
}

func policySchemaCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the policy file, for editors",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := g.stdout.Write(policy.Schema)
			return err
		},
	}
}

// problem is one error or warning in --json output.
type problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Message string `json:"message"`
}

type checkResult struct {
	File     string    `json:"file"`
	Database bool      `json:"database_checked"`
	OK       bool      `json:"ok"`
	Errors   []problem `json:"errors"`
	Warnings []problem `json:"warnings"`
}

func problems(list lethe.ErrorList) []problem {
	out := []problem{}
	for _, e := range list {
		out = append(out, problem{File: e.File, Line: e.Pos.Line, Col: e.Pos.Col, Message: e.Message})
	}
	return out
}

func policyCheckCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Check the policy (-c), and with --db every table and column it names",
		Long: `Check the policy file: its shape, its periods and bounds, the order of
lifecycle stages and its owners. With --db (or LETHE_DATABASE_URL), also
check every table and column against the live schema. Each problem is
printed as FILE:LINE:COL: message; the exit status is 2 when there is any.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res := checkResult{File: g.config}
			p, err := policy.LoadFile(g.config)
			var list lethe.ErrorList
			if err != nil && !errors.As(err, &list) {
				return err
			}
			var warnings lethe.ErrorList
			if url := g.databaseURL(""); url != "" && len(list) == 0 {
				d, err := connect.Open(cmd.Context(), url)
				if err != nil {
					return err
				}
				defer d.Close()
				schema, err := d.Introspect(cmd.Context())
				if err != nil {
					return err
				}
				res.Database = true
				list, warnings = policy.Bind(p, schema)
				if len(list) == 0 {
					warnings = append(warnings, policy.IndexWarnings(p, schema)...)
				}
			}
			res.OK = len(list) == 0
			res.Errors, res.Warnings = problems(list), problems(warnings)
			if g.json {
				if err := g.printJSON(res); err != nil {
					return err
				}
			} else {
				for _, e := range list {
					fmt.Fprintln(g.stdout, e.Error())
				}
				for _, w := range warnings {
					fmt.Fprintln(g.stdout, w.Error())
				}
				if res.OK {
					summary := fmt.Sprintf("%s: ok, %d subjects and %d datasets", g.config, len(p.Subjects), len(p.Datasets))
					if res.Database {
						summary += ", every table and column found in the database"
					}
					fmt.Fprintln(g.stdout, summary)
				}
			}
			if !res.OK {
				return exitError{exitInput}
			}
			return nil
		},
	}
}
