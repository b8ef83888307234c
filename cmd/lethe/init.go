package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"lethe"
	"lethe/policy"
)

func initCmd(g *globals) *cobra.Command {
	force := false
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented starter policy (to -c, default lethe.yaml)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
			if force {
				flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
			}
			f, err := os.OpenFile(g.config, flags, 0o644)
			if errors.Is(err, fs.ErrExist) {
				return lethe.Errorf(lethe.EINVALID, "%s exists already: pass --force to overwrite it, or -c to write elsewhere", g.config)
			}
			if err != nil {
				return fmt.Errorf("write %s: %w", g.config, err)
			}
			if _, err := f.Write(policy.Starter); err != nil {
				f.Close()
				return fmt.Errorf("write %s: %w", g.config, err)
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("write %s: %w", g.config, err)
			}
			fmt.Fprintf(g.stdout, "wrote %s: edit it, then run: lethe policy check -c %s --db <url>\n", g.config, g.config)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return cmd
}
