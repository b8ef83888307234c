package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"lethe"
	"lethe/connect"
	"lethe/discover"
	"lethe/redact"
)

func discoverCmd(g *globals) *cobra.Command {
	var out string
	var sample int
	cmd := &cobra.Command{
		Use:   "discover",
		Short: "Draft a policy from a live database (reads only); every guess carries a comment",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			url := g.databaseURL("")
			if url == "" {
				return lethe.Errorf(lethe.EINVALID, "discover needs --db (or LETHE_DATABASE_URL)")
			}
			at, err := g.runTime()
			if err != nil {
				return err
			}
			d, err := connect.Open(cmd.Context(), url)
			if err != nil {
				return err
			}
			defer d.Close()
			if sample <= 0 {
				sample = -1 // discover's "no sampling"
			}
			p, err := discover.Draft(cmd.Context(), d, discover.Options{Sample: sample, Database: url, Now: at})
			if err != nil {
				return err
			}
			if out == "" || out == "-" {
				_, err := g.stdout.Write(p.YAML())
				return err
			}
			err = writeAtomically(out, func(w io.Writer) error {
				_, err := w.Write(p.YAML())
				return err
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "wrote %s: review every commented guess, then run: lethe policy check -c %s --db <url>\n", out, out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the draft here (default: standard output)")
	cmd.Flags().IntVar(&sample, "sample", discover.DefaultSample, "values sampled per text column to recognise personal data (never printed); 0 or less turns sampling off")
	return cmd
}

func redactCmd(g *globals) *cobra.Command {
	var kinds []string
	var names []string
	cmd := &cobra.Command{
		Use:   "redact",
		Short: "Redact personal data from standard input to standard output",
		Long: `Replaces email addresses, phone numbers, payment card numbers (Luhn),
IBANs (mod 97), IP addresses and the given names by labels such as [email].`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var parsed []redact.Kind
			for _, k := range kinds {
				kind, err := redact.ParseKind(k)
				if err != nil {
					return lethe.Errorf(lethe.EINVALID, "--kinds: %v", err)
				}
				parsed = append(parsed, kind)
			}
			in, err := io.ReadAll(cmd.InOrStdin())
			if err != nil {
				return err
			}
			_, err = io.WriteString(g.stdout, redact.New(parsed...).Redact(string(in), names...))
			return err
		},
	}
	cmd.Flags().StringSliceVar(&kinds, "kinds", nil, "recognisers to use: email, phone, card, iban, ip, subject_name (default all)")
	cmd.Flags().StringSliceVar(&names, "name", nil, "a name of the person to redact (repeatable)")
	return cmd
}
