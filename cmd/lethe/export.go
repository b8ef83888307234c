package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lethe"
	"lethe/engine"
)

func exportCmd(g *globals) *cobra.Command {
	var subject, tenant, out, format string
	cmd := &cobra.Command{
		Use:   "export --subject KIND:ID [--tenant X] [--out FILE] [--format json|zip]",
		Short: "Export every row about one subject, within one tenant (access and portability requests)",
		Long: `Writes every row about one subject, the subject's own and those of every
dataset it owns (directly or through chains), as one JSON document, or as a
zip of one JSON file per dataset with --format zip. The manifest with the row
count of each dataset comes last. Without --out the export goes to stdout;
with --out it is written to a file only this user can read, which appears
only once complete.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kind, id, err := parseSubject(subject)
			if err != nil {
				return err
			}
			if format != engine.ExportJSON && format != engine.ExportZip {
				return lethe.Errorf(lethe.EINVALID, "--format %q: write json or zip", format)
			}
			return g.withEngine(cmd.Context(), func(e *engine.Engine, at time.Time) error {
				req := engine.ExportRequest{Kind: kind, ID: id, Tenant: tenant, At: at, Format: format}
				if out == "" {
					_, err := e.Export(cmd.Context(), req, g.stdout)
					return err
				}
				var m *engine.ExportManifest
				err := writeAtomically(out, func(w io.Writer) (err error) {
					m, err = e.Export(cmd.Context(), req, w)
					return err
				})
				if err != nil {
					return err
				}
				if g.json {
					return g.printJSON(m)
				}
				fmt.Fprintf(g.stderr, "exported %s of tenant %s: %s to %s\n", m.Subject, exportTenant(m.Tenant), exportCounts(m), out)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&subject, "subject", "", "the subject, as KIND:ID (e.g. user:42)")
	cmd.Flags().StringVar(&tenant, "tenant", "", `the subject's tenant ("" for rows without one)`)
	cmd.Flags().StringVarP(&out, "out", "o", "", "write to this file (mode 0600) instead of stdout")
	cmd.Flags().StringVar(&format, "format", engine.ExportJSON, "json or zip")
	return cmd
}

// writeAtomically writes path through a temporary file beside it (mode
// 0600, as os.CreateTemp makes it: an export is personal data), renamed into place once write succeeds: a failed or
// interrupted export leaves no partial file.
func writeAtomically(path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return lethe.Errorf(lethe.EINVALID, "--out %s: %v", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	return nil
}

func exportTenant(t string) string {
	if t == "" {
		return `""`
	}
	return t
}

// exportCounts reads "user 1, transactions 3, ...".
func exportCounts(m *engine.ExportManifest) string {
	parts := make([]string, len(m.Datasets))
	for i, ds := range m.Datasets {
		parts[i] = fmt.Sprintf("%s %d", ds.Dataset, ds.Rows)
	}
	return strings.Join(parts, ", ")
}
