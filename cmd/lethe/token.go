package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"lethe"
	"lethe/connect"
	"lethe/policy"
	"lethe/tokens"
)

func tokenCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke the bearer tokens of the HTTP API",
	}
	cmd.AddCommand(tokenCreateCmd(g), tokenListCmd(g), tokenRevokeCmd(g))
	return cmd
}

// openTokens connects to the database for token commands. They need no
// policy that matches the schema, only the database: --db,
// LETHE_DATABASE_URL, or the policy's database: line.
func (g *globals) openTokens(ctx context.Context) (*tokens.Store, func(), error) {
	url := g.databaseURL("")
	if url == "" {
		p, err := policy.LoadFile(g.config)
		if err != nil {
			return nil, nil, err
		}
		if url = p.Database; url == "" {
			return nil, nil, lethe.Errorf(lethe.EINVALID, "no database: pass --db, set LETHE_DATABASE_URL or add \"database:\" to %s", g.config)
		}
	}
	d, err := connect.Open(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	if err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, nil, err
	}
	return tokens.New(d), func() { d.Close() }, nil
}

func tokenCreateCmd(g *globals) *cobra.Command {
	var role, tenant, name string
	cmd := &cobra.Command{
		Use:   "create --role platform-admin|admin|operator|auditor [--tenant T] [--name N]",
		Short: "Create a token and print it once; only its SHA-256 is stored",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if role == "" {
				return lethe.Errorf(lethe.EINVALID, "--role is required: platform-admin, admin, operator or auditor")
			}
			r, err := tokens.ParseRole(role)
			if err != nil {
				return err
			}
			store, closeDB, err := g.openTokens(cmd.Context())
			if err != nil {
				return err
			}
			defer closeDB()
			t, secret, err := store.Create(cmd.Context(), r, tenantFlag(cmd.Flags().Changed("tenant"), tenant), name)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(struct {
					tokens.Token
					Secret string `json:"token"`
				}{t, secret})
			}
			fmt.Fprintln(g.stdout, secret)
			fmt.Fprintf(g.stderr, "token %q (%s, %s) created; it is shown this once: store it now\n", t.Name, t.Role, scopeText(t.Tenant))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&role, "role", "", "platform-admin, admin, operator or auditor")
	f.StringVar(&tenant, "tenant", "", "the one tenant the token may act in (every tenant when absent)")
	f.StringVar(&name, "name", "", "the token's name, recorded as the actor of its changes (ROLE-xxxxxxxx by default)")
	return cmd
}

func scopeText(tenant *string) string {
	if tenant == nil {
		return "every tenant"
	}
	return "tenant " + *tenant
}

func tokenListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets), revoked ones too",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, closeDB, err := g.openTokens(cmd.Context())
			if err != nil {
				return err
			}
			defer closeDB()
			list, err := store.List(cmd.Context())
			if err != nil {
				return err
			}
			if g.json {
				return printList(g, list)
			}
			w := g.table()
			fmt.Fprintln(w, "ID\tNAME\tROLE\tTENANT\tCREATED\tREVOKED")
			for _, t := range list {
				tenant, revoked := "*", "-"
				if t.Tenant != nil {
					tenant = *t.Tenant
				}
				if t.RevokedAt != nil {
					revoked = t.RevokedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, tenant, t.CreatedAt.Format(time.RFC3339), revoked)
			}
			return w.Flush()
		},
	}
}

func tokenRevokeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke NAME|ID",
		Short: "Revoke a token: it stops working at once; its name stays on record",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, closeDB, err := g.openTokens(cmd.Context())
			if err != nil {
				return err
			}
			defer closeDB()
			t, err := store.Revoke(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(t)
			}
			fmt.Fprintf(g.stdout, "token %q revoked\n", t.Name)
			return nil
		},
	}
}
