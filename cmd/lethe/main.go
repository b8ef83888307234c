// Command lethe is Lethe's CLI: it wires flags to the packages that do the
// work and maps their errors to exit statuses (0 ok, 1 a failed operation,
// 2 bad input). It holds no logic of its own.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"text/tabwriter"
	"time"
	_ "time/tzdata" // policies name IANA zones; a bare container may have no zone files

	"github.com/spf13/cobra"

	"lethe"
)

// Exit statuses scripts rely on (SPEC section 1a).
const (
	exitOK     = 0
	exitFailed = 1
	exitInput  = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// globals are the flags every command takes.
type globals struct {
	config string
	db     string
	at     string
	json   bool
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger // the engine's log; nil discards (serve sets it)
}

// runTime returns --at, or now: the time dates are computed from.
func (g *globals) runTime() (time.Time, error) {
	if g.at == "" {
		return time.Now().UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, g.at)
	if err != nil {
		return time.Time{}, lethe.Errorf(lethe.EINVALID, "--at %q is not an RFC 3339 time: write e.g. 2024-04-01T00:00:00Z", g.at)
	}
	return t, nil
}

// databaseURL returns --db, else LETHE_DATABASE_URL, else the policy's.
func (g *globals) databaseURL(fromPolicy string) string {
	switch {
	case g.db != "":
		return g.db
	case os.Getenv("LETHE_DATABASE_URL") != "":
		return os.Getenv("LETHE_DATABASE_URL")
	default:
		return fromPolicy
	}
}

// exitError carries an exit status chosen by a command that already
// printed what went wrong.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "lethe",
		Short:         "Data retention and erasure for your application's database",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVarP(&g.config, "config", "c", "lethe.yaml", "policy file")
	pf.StringVar(&g.db, "db", "", "database URL (overrides LETHE_DATABASE_URL and the policy's database)")
	pf.StringVar(&g.at, "at", "", "run as if it were this time (RFC 3339)")
	pf.BoolVar(&g.json, "json", false, "print machine-readable JSON")
	// A bad --at is bad input for every command, found before any work.
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		_, err := g.runTime()
		return err
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return lethe.Errorf(lethe.EINVALID, "%v", err)
	})

	root.AddCommand(versionCmd(g), initCmd(g), policyCmd(g), planCmd(g), sweepCmd(g), ledgerCmd(g), holdCmd(g), settingsCmd(g), demoCmd(g), exportCmd(g), eraseCmd(g), discoverCmd(g), redactCmd(g), requestCmd(g), suppressedCmd(g), serveCmd(g), tokenCmd(g))

	err := root.ExecuteContext(ctx)
	var exit exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &exit):
		return exit.code
	case lethe.ErrorCode(err) == lethe.EINVALID:
		fmt.Fprintln(stderr, "lethe:", err)
		return exitInput
	case isUsageError(err):
		fmt.Fprintf(stderr, "lethe: %v\nRun 'lethe --help' for usage.\n", err)
		return exitInput
	default:
		fmt.Fprintln(stderr, "lethe:", err)
		return exitFailed
	}
}

// isUsageError recognises cobra's own complaints about arguments and
// commands, which are bad input like any other.
func isUsageError(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "accepts ", "requires ", "unknown flag", "unknown shorthand", "invalid argument"} {
		if len(msg) >= len(prefix) && msg[:len(prefix)] == prefix {
			return true
		}
	}
	return false
}

// printJSON writes v to standard output as JSON (--json).
func (g *globals) printJSON(v any) error { return json.NewEncoder(g.stdout).Encode(v) }

// printList writes a list as JSON; an empty one prints as [], so scripts
// always get an array.
func printList[T any](g *globals, list []T) error {
	if list == nil {
		list = []T{}
	}
	return g.printJSON(list)
}

// table starts the aligned text table every listing prints.
func (g *globals) table() *tabwriter.Writer { return tabwriter.NewWriter(g.stdout, 2, 4, 2, ' ', 0) }
