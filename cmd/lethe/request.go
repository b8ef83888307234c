package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lethe"
	"lethe/engine"
	"lethe/requests"
)

// withRequests runs fn with the request store on the policy's database and
// the run time (--at or now).
func (g *globals) withRequests(ctx context.Context, fn func(s *requests.Store, at time.Time) error) error {
	return g.withEngine(ctx, func(e *engine.Engine, at time.Time) error { return fn(requests.New(e), at) })
}

func requestID(arg string) (int64, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil || id < 1 {
		return 0, lethe.Errorf(lethe.EINVALID, "request id %q is not a number", arg)
	}
	return id, nil
}

// requestStep is a subcommand that changes one request: it parses the id
// and the time, opens the store, runs step and prints the request.
func requestStep(g *globals, use, short string, step func(ctx context.Context, s *requests.Store, id int64, at time.Time) (requests.Request, error), done func(r requests.Request) string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := requestID(args[0])
			if err != nil {
				return err
			}
			return g.withRequests(cmd.Context(), func(s *requests.Store, at time.Time) error {
				r, err := step(cmd.Context(), s, id, at)
				if err != nil {
					return err
				}
				if g.json {
					return g.printJSON(r)
				}
				fmt.Fprintln(g.stdout, done(r))
				return nil
			})
		},
	}
}

func requestCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "request",
		Short: "Data-subject requests: intake, verification, fulfilment, closure, due dates",
		Long: `A data-subject request moves received -> verified -> in_progress ->
completed -> closed, or ends failed or rejected; nothing runs before the
requester is verified. Each request has a due date (30 days by default,
extendable with a reason) and its full history. An erasure accepted is
carried out even if the process dies midway: "lethe request resume"
finishes it.`,
	}

	var kind, subject, tenant, requester, due, actor string
	open := &cobra.Command{
		Use:   "open",
		Short: "Record a new request",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("tenant") {
				return lethe.Errorf(lethe.EINVALID, "request open needs --tenant: a request never crosses tenants")
			}
			in := requests.OpenInput{Kind: kind, Subject: subject, Tenant: tenant, Requester: requester, Actor: actor}
			if cmd.Flags().Changed("due") {
				p, err := requests.ParsePeriod(due)
				if err != nil {
					return err
				}
				in.Due = p
			}
			return g.withRequests(cmd.Context(), func(s *requests.Store, at time.Time) error {
				in.At = at
				r, err := s.Open(cmd.Context(), in)
				if err != nil {
					return err
				}
				if g.json {
					return g.printJSON(r)
				}
				fmt.Fprintf(g.stdout, "request %d opened: %s of %s in tenant %s, due %s\n", r.ID, r.Kind, r.Subject(), r.Tenant, requestDay(r.DueAt))
				return nil
			})
		},
	}
	f := open.Flags()
	f.StringVar(&kind, "kind", "", "erasure or access")
	f.StringVar(&subject, "subject", "", "the person, as KIND:ID (e.g. user:42)")
	f.StringVar(&tenant, "tenant", "", "the tenant the request is scoped to")
	f.StringVar(&requester, "requester", "", "who asked (name, address), kept with the request only")
	f.StringVar(&due, "due", "30 days", "time to answer: 30d, 4w, 1m or \"30 days\"")
	f.StringVar(&actor, "actor", "cli", "who records it")

	var verifyBy, method string
	verify := requestStep(g, "verify ID", "Record that the requester's identity was checked",
		func(ctx context.Context, s *requests.Store, id int64, at time.Time) (requests.Request, error) {
			return s.Verify(ctx, id, verifyBy, method, at)
		},
		func(r requests.Request) string {
			return fmt.Sprintf("request %d verified (%s, by %s)", r.ID, r.VerifyMethod, r.VerifiedBy)
		})
	verify.Flags().StringVar(&verifyBy, "by", "", "who verified the requester")
	verify.Flags().StringVar(&method, "method", "", "operator (checked by an operator) or token (an emailed one-time token)")

	var closeBy string
	closeCmd := requestStep(g, "close ID", "Close a completed request",
		func(ctx context.Context, s *requests.Store, id int64, at time.Time) (requests.Request, error) {
			return s.Close(ctx, id, closeBy, at)
		},
		func(r requests.Request) string { return fmt.Sprintf("request %d closed", r.ID) })
	closeCmd.Flags().StringVar(&closeBy, "by", "cli", "who closes it")

	var rejectBy, rejectReason string
	reject := requestStep(g, "reject ID", "Refuse a received or verified request, with a reason",
		func(ctx context.Context, s *requests.Store, id int64, at time.Time) (requests.Request, error) {
			return s.Reject(ctx, id, rejectBy, rejectReason, at)
		},
		func(r requests.Request) string { return fmt.Sprintf("request %d rejected", r.ID) })
	reject.Flags().StringVar(&rejectBy, "by", "", "who rejects it")
	reject.Flags().StringVar(&rejectReason, "reason", "", "why")

	var extendBy, extendReason, extendActor string
	extend := requestStep(g, "extend ID", "Move a request's due date, with a reason",
		func(ctx context.Context, s *requests.Store, id int64, at time.Time) (requests.Request, error) {
			p, err := requests.ParsePeriod(extendBy)
			if err != nil {
				return requests.Request{}, err
			}
			return s.Extend(ctx, id, p, extendReason, extendActor, at)
		},
		func(r requests.Request) string {
			return fmt.Sprintf("request %d is now due %s", r.ID, requestDay(r.DueAt))
		})
	extend.Flags().StringVar(&extendBy, "by", "", "how much longer: 60d, 2m or \"60 days\"")
	extend.Flags().StringVar(&extendReason, "reason", "", "why more time is needed")
	extend.Flags().StringVar(&extendActor, "actor", "cli", "who extends it")

	cmd.AddCommand(open, verify, requestFulfilCmd(g), requestResumeCmd(g), closeCmd, reject, extend, requestShowCmd(g), requestListCmd(g))
	return cmd
}

func requestFulfilCmd(g *globals) *cobra.Command {
	var by, out string
	cmd := &cobra.Command{
		Use:   "fulfil ID",
		Short: "Carry out a verified request: the export, or the erasure",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := requestID(args[0])
			if err != nil {
				return err
			}
			if by == "" {
				return lethe.Errorf(lethe.EINVALID, "request fulfil needs --by: who carries it out")
			}
			return g.withRequests(cmd.Context(), func(s *requests.Store, at time.Time) error {
				r, _, err := s.Get(cmd.Context(), id)
				if err != nil {
					return err
				}
				if out != "" && r.Kind != requests.Access {
					return lethe.Errorf(lethe.EINVALID, "--out is for access requests; request %d is an %s", id, r.Kind)
				}
				var file *requestExportFile
				var w io.Writer
				if out != "" {
					if file, err = createRequestExport(out); err != nil {
						return err
					}
					defer file.discard()
					w = file
				}
				r, err = s.Fulfil(cmd.Context(), id, by, at, w)
				if err != nil {
					if r.Status == requests.Failed {
						fmt.Fprintf(g.stderr, "lethe: request %d failed: %s\n", id, lethe.ErrorMessage(err))
						return exitError{exitFailed}
					}
					return err
				}
				if file != nil {
					if err := file.keep(); err != nil {
						return err
					}
				}
				if g.json {
					return g.printJSON(r)
				}
				printRequestFulfilled(g, r, out)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&by, "by", "", "who carries it out (recorded in the ledger)")
	cmd.Flags().StringVar(&out, "out", "", "access requests: write the export (JSON) to this file")
	return cmd
}

func printRequestFulfilled(g *globals, r requests.Request, out string) {
	w := g.table()
	if r.Kind == requests.Erasure {
		var res requests.ErasureResult
		json.Unmarshal(r.Result, &res)
		fmt.Fprintf(g.stdout, "request %d completed: erased %s in tenant %s\n", r.ID, r.Subject(), r.Tenant)
		fmt.Fprintln(w, "DATASET\tACTION\tROWS")
		for _, d := range res.Datasets {
			fmt.Fprintf(w, "%s\t%s\t%d\n", d.Dataset, d.Action, d.Rows)
		}
		w.Flush()
		if res.BackupsExpireBy != nil {
			fmt.Fprintf(g.stdout, "backups holding this data expire by %s\n", requestDay(*res.BackupsExpireBy))
		}
		return
	}
	var m engine.ExportManifest
	json.Unmarshal(r.Result, &m)
	to := "manifest kept, no file written (pass --out FILE for the data)"
	if out != "" {
		to = "written to " + out
	}
	fmt.Fprintf(g.stdout, "request %d completed: exported %s in tenant %s, %s\n", r.ID, r.Subject(), r.Tenant, to)
	fmt.Fprintln(w, "DATASET\tROWS")
	for _, d := range m.Datasets {
		fmt.Fprintf(w, "%s\t%d\n", d.Dataset, d.Rows)
	}
	w.Flush()
}

// requestExportFile is an export being written: a temporary file beside its
// destination, renamed into place only when the export is complete, and
// readable by its owner alone (it holds a person's data).
type requestExportFile struct {
	*os.File
	dest string
	kept bool
}

func createRequestExport(dest string) (*requestExportFile, error) {
	f, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*")
	if err != nil {
		return nil, lethe.Errorf(lethe.EINVALID, "cannot write the export to %s: %v", dest, err)
	}
	return &requestExportFile{File: f, dest: dest}, nil
}

func (f *requestExportFile) keep() error {
	if err := f.Close(); err != nil {
		return fmt.Errorf("write the export: %w", err)
	}
	if err := os.Rename(f.Name(), f.dest); err != nil {
		return fmt.Errorf("write the export: %w", err)
	}
	f.kept = true
	return nil
}

func (f *requestExportFile) discard() {
	if !f.kept {
		f.Close()
		os.Remove(f.Name())
	}
}

func requestResumeCmd(g *globals) *cobra.Command {
	var by string
	cmd := &cobra.Command{
		Use:   "resume",
		Short: "Finish every erasure a crashed process left in progress",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withRequests(cmd.Context(), func(s *requests.Store, at time.Time) error {
				done, err := s.Resume(cmd.Context(), by, at)
				if err != nil {
					return err
				}
				failed := false
				for _, r := range done {
					failed = failed || r.Status == requests.Failed
				}
				if g.json {
					if done == nil {
						done = []requests.Request{}
					}
					if err := g.printJSON(done); err != nil {
						return err
					}
				} else if len(done) == 0 {
					fmt.Fprintln(g.stdout, "no interrupted erasure to resume")
				}
				for _, r := range done {
					if !g.json {
						fmt.Fprintf(g.stdout, "request %d %s (%s in tenant %s)\n", r.ID, strings.ReplaceAll(r.Status, "_", " "), r.Subject(), r.Tenant)
					}
				}
				if failed {
					return exitError{exitFailed} // each failure's reason is in its history
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&by, "by", "cli", "who resumes them (recorded in the ledger)")
	return cmd
}

func requestShowCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a request and its history",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := requestID(args[0])
			if err != nil {
				return err
			}
			return g.withRequests(cmd.Context(), func(s *requests.Store, at time.Time) error {
				r, events, err := s.Get(cmd.Context(), id)
				if err != nil {
					return err
				}
				if g.json {
					if events == nil {
						events = []requests.Event{}
					}
					return g.printJSON(struct {
						Request requests.Request `json:"request"`
						Overdue bool             `json:"overdue"`
						Events  []requests.Event `json:"events"`
					}{r, r.Overdue(at), events})
				}
				w := g.table()
				due := requestDay(r.DueAt)
				if r.Overdue(at) {
					due += " (OVERDUE)"
				}
				for _, kv := range [][2]string{
					{"request", strconv.FormatInt(r.ID, 10)},
					{"kind", r.Kind},
					{"subject", r.Subject()},
					{"tenant", r.Tenant},
					{"requester", r.Requester},
					{"status", r.Status},
					{"received", r.ReceivedAt.Format(time.RFC3339)},
					{"due", due},
				} {
					fmt.Fprintf(w, "%s:\t%s\n", kv[0], kv[1])
				}
				if r.VerifiedAt != nil {
					fmt.Fprintf(w, "verified:\t%s by %s (%s)\n", r.VerifiedAt.Format(time.RFC3339), r.VerifiedBy, r.VerifyMethod)
				}
				if r.FulfilledAt != nil {
					fmt.Fprintf(w, "fulfilled:\t%s\n", r.FulfilledAt.Format(time.RFC3339))
				}
				if r.ClosedAt != nil {
					fmt.Fprintf(w, "closed:\t%s\n", r.ClosedAt.Format(time.RFC3339))
				}
				if len(r.Result) > 0 {
					fmt.Fprintf(w, "result:\t%s\n", r.Result)
				}
				w.Flush()
				fmt.Fprintln(g.stdout)
				w = g.table()
				fmt.Fprintln(w, "AT\tACTOR\tEVENT\tSTATUS\tNOTE")
				for _, ev := range events {
					status := ev.To
					if ev.From != ev.To && ev.From != "" {
						status = ev.From + " -> " + ev.To
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", ev.At.Format(time.RFC3339), ev.Actor, ev.Event, status, ev.Note)
				}
				return w.Flush()
			})
		},
	}
}

func requestListCmd(g *globals) *cobra.Command {
	var tenant, status string
	var overdue bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List requests: the overdue first, then by due date",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withRequests(cmd.Context(), func(s *requests.Store, at time.Time) error {
				list, err := s.List(cmd.Context(), requests.ListFilter{Tenant: tenantFlag(cmd.Flags().Changed("tenant"), tenant), Overdue: overdue, Status: status, At: at})
				if err != nil {
					return err
				}
				if g.json {
					return printList(g, list)
				}
				w := g.table()
				fmt.Fprintln(w, "ID\tKIND\tSUBJECT\tTENANT\tSTATUS\tRECEIVED\tDUE")
				for _, r := range list {
					due := requestDay(r.DueAt)
					if r.Overdue(at) {
						due += " OVERDUE"
					}
					fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.Subject(), r.Tenant, r.Status, requestDay(r.ReceivedAt), due)
				}
				return w.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "only this tenant")
	cmd.Flags().StringVar(&status, "status", "", "only this status")
	cmd.Flags().BoolVar(&overdue, "overdue", false, "only requests past their due date and still owed")
	return cmd
}

func suppressedCmd(g *globals) *cobra.Command {
	var tenant string
	cmd := &cobra.Command{
		Use:   "suppressed VALUE",
		Short: "Answer whether VALUE (e.g. an email) is on a tenant's suppression list: exit 0 yes, 1 no",
		Long: `Looks VALUE up by its keyed digest in the tenant's suppression list, which
erasures and anonymizations fill with the digests of suppressed fields.
The value is never stored or logged. Pass - to read it from standard input,
which keeps it out of the process list and the shell history.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("tenant") {
				return lethe.Errorf(lethe.EINVALID, "suppressed needs --tenant: each tenant has its own list")
			}
			value := args[0]
			if value == "-" {
				b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1<<16))
				if err != nil {
					return fmt.Errorf("read the value: %w", err)
				}
				value = strings.TrimRight(string(b), "\r\n")
			}
			if value == "" {
				return lethe.Errorf(lethe.EINVALID, "no value to look up")
			}
			e, closeDB, err := g.openEngine(cmd.Context())
			if err != nil {
				return err
			}
			defer closeDB()
			ok, err := e.Suppressed(cmd.Context(), tenant, value)
			if err != nil {
				return err
			}
			if g.json {
				if err := g.printJSON(map[string]bool{"suppressed": ok}); err != nil {
					return err
				}
			} else if ok {
				fmt.Fprintln(g.stdout, "suppressed")
			} else {
				fmt.Fprintln(g.stdout, "not suppressed")
			}
			if !ok {
				return exitError{exitFailed}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "the tenant whose list to search")
	return cmd
}

func requestDay(t time.Time) string { return t.UTC().Format("2006-01-02") }
