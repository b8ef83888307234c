package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lethe"
	"lethe/engine"
)

// parseSubject reads KIND:ID.
func parseSubject(s string) (kind, id string, err error) {
	kind, id, ok := strings.Cut(s, ":")
	if !ok || kind == "" || id == "" {
		return "", "", lethe.Errorf(lethe.EINVALID, "--subject %q: write KIND:ID, e.g. user:42", s)
	}
	return kind, id, nil
}

func holdCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "hold", Short: "Legal holds: nothing held is anonymized or deleted"}
	var tenant, subject, reason, actor string
	add := &cobra.Command{
		Use:   "add",
		Short: "Put a tenant, or one subject in it, on hold",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("tenant") {
				return lethe.Errorf(lethe.EINVALID, "hold add needs --tenant")
			}
			h := engine.Hold{Tenant: tenant, Reason: reason, CreatedBy: actor}
			if subject != "" {
				var err error
				if h.SubjectKind, h.SubjectKey, err = parseSubject(subject); err != nil {
					return err
				}
			}
			return g.withEngine(cmd.Context(), func(e *engine.Engine, at time.Time) error {
				h.CreatedAt = at
				h, err := e.AddHold(cmd.Context(), h)
				if err != nil {
					return err
				}
				if g.json {
					return g.printJSON(h)
				}
				fmt.Fprintf(g.stdout, "hold %d added\n", h.ID)
				return nil
			})
		},
	}
	add.Flags().StringVar(&tenant, "tenant", "", "the tenant")
	add.Flags().StringVar(&subject, "subject", "", "one subject, as KIND:ID (default: the whole tenant)")
	add.Flags().StringVar(&reason, "reason", "", "the matter the hold serves")
	add.Flags().StringVar(&actor, "actor", "cli", "who adds it")

	var listTenant string
	list := &cobra.Command{
		Use:   "list",
		Short: "List holds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withEngine(cmd.Context(), func(e *engine.Engine, _ time.Time) error {
				holds, err := e.Holds(cmd.Context(), listTenant, !cmd.Flags().Changed("tenant"))
				if err != nil {
					return err
				}
				if g.json {
					return printList(g, holds)
				}
				w := g.table()
				fmt.Fprintln(w, "ID\tTENANT\tSUBJECT\tREASON\tBY\tSINCE")
				for _, h := range holds {
					subject := "(whole tenant)"
					if h.SubjectKind != "" {
						subject = h.SubjectKind + ":" + h.SubjectKey
					}
					fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", h.ID, h.Tenant, subject, h.Reason, h.CreatedBy, h.CreatedAt.Format(time.RFC3339))
				}
				return w.Flush()
			})
		},
	}
	list.Flags().StringVar(&listTenant, "tenant", "", "only this tenant")

	remove := &cobra.Command{
		Use:   "remove ID",
		Short: "Lift a hold",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return lethe.Errorf(lethe.EINVALID, "hold id %q is not a number", args[0])
			}
			return g.withEngine(cmd.Context(), func(e *engine.Engine, _ time.Time) error {
				if err := e.RemoveHold(cmd.Context(), id); err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "hold %d removed\n", id)
				return nil
			})
		},
	}
	cmd.AddCommand(add, list, remove)
	return cmd
}

func settingsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "settings", Short: "A tenant's retention periods, within the policy's bounds"}
	var tenant, actor string
	set := &cobra.Command{
		Use:   "set KEY PERIOD",
		Short: "Override one period for a tenant (e.g. identity_events.retention \"12 months\", user.deactivate 0)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("tenant") {
				return lethe.Errorf(lethe.EINVALID, "settings set needs --tenant")
			}
			p, err := lethe.ParsePeriod(args[1])
			if err != nil {
				return lethe.Errorf(lethe.EINVALID, "%v", err)
			}
			return g.withEngine(cmd.Context(), func(e *engine.Engine, at time.Time) error {
				if err := e.SetSetting(cmd.Context(), tenant, args[0], p, actor, at); err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "%s for tenant %s is now %s (%s)\n", args[0], tenant, p, postureOr(lethe.Posture(e.Policy().Posture, p)))
				return nil
			})
		},
	}
	set.Flags().StringVar(&tenant, "tenant", "", "the tenant")
	set.Flags().StringVar(&actor, "actor", "cli", "who changes it")
	show := &cobra.Command{
		Use:   "show",
		Short: "List every effective period of a tenant with its posture label",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withEngine(cmd.Context(), func(e *engine.Engine, _ time.Time) error {
				all, err := e.Settings(cmd.Context(), tenant)
				if err != nil {
					return err
				}
				if g.json {
					type row struct {
						engine.Setting
						Period  string `json:"period"`
						Default string `json:"default"`
						Bounds  string `json:"bounds"`
					}
					out := make([]row, len(all))
					for i, s := range all {
						out[i] = row{Setting: s, Period: s.Period.String(), Default: s.Default.String(), Bounds: s.Bounds.String()}
					}
					return g.printJSON(out)
				}
				w := g.table()
				fmt.Fprintln(w, "SETTING\tPERIOD\tPOSTURE\tDEFAULT\tBOUNDS\tSOURCE")
				for _, s := range all {
					source := "policy"
					if s.Overridden {
						source = "tenant"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Key, s.Period, postureOr(s.Posture), s.Default, s.Bounds, source)
				}
				return w.Flush()
			})
		},
	}
	show.Flags().StringVar(&tenant, "tenant", "", "the tenant")
	cmd.AddCommand(set, show)
	return cmd
}

func postureOr(label string) string {
	if label == "" {
		return "-"
	}
	return label
}
