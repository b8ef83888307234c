package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"lethe"
	lethehttp "lethe/http"
	"lethe/requests"
	"lethe/scheduler"
	"lethe/tokens"
	"lethe/ui"
)

// serveEnv maps serve's flags to the LETHE_* variables that set them when
// the flag is not given (the database is LETHE_DATABASE_URL, through
// --db; the secret is LETHE_SECRET).
var serveEnv = map[string]string{
	"config":         "LETHE_CONFIG",
	"listen":         "LETHE_LISTEN",
	"timezone":       "LETHE_TIMEZONE",
	"scheduler":      "LETHE_SCHEDULER",
	"poll":           "LETHE_POLL",
	"lease-ttl":      "LETHE_LEASE_TTL",
	"batch":          "LETHE_BATCH",
	"max-rate":       "LETHE_MAX_RATE",
	"shutdown-grace": "LETHE_SHUTDOWN_GRACE",
	"replica":        "LETHE_REPLICA",
	"log-level":      "LETHE_LOG_LEVEL",
	"db-max-conns":   "LETHE_DB_MAX_CONNS",
	"secure-cookies": "LETHE_SECURE_COOKIES",
}

func serveCmd(g *globals) *cobra.Command {
	var (
		listen, timezone, replica, logLevel string
		runScheduler, secureCookies         bool
		poll, leaseTTL, grace               time.Duration
		batch, maxConns                     int
		maxRate                             float64
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the HTTP API and run the policy's schedules",
		Long: `Serves the HTTP API under /v1 (OpenAPI at /v1/openapi.json), the admin
web UI under /ui/ (sign in with a token), /healthz, /readyz and /metrics,
and runs every rule of the policy on its schedule.
Several replicas may share one database: each scheduled run happens once.
Every flag may also be set by its LETHE_* variable (LETHE_LISTEN,
LETHE_TIMEZONE, ...; the database by LETHE_DATABASE_URL, the key by
LETHE_SECRET). Logs are JSON on standard error.`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			return flagsFromEnv(cmd, serveEnv)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(g, logLevel)
			if err != nil {
				return err
			}
			loc, err := time.LoadLocation(timezone)
			if err != nil {
				return lethe.Errorf(lethe.EINVALID, "--timezone %q is not an IANA time zone: write e.g. UTC or Europe/Berlin", timezone)
			}
			// SIGTERM is how orchestrators ask a replica to stop.
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM)
			defer stop()

			g.log = log
			e, closeDB, err := g.openEngine(ctx)
			if err != nil {
				return err
			}
			defer closeDB()
			// database/sql keeps 2 idle connections by default: under
			// concurrent requests every other query would open a new one
			// (a new backend process on PostgreSQL).
			if maxConns < 1 {
				return lethe.Errorf(lethe.EINVALID, "--db-max-conns must be at least 1")
			}
			e.Dialect().DB().SetMaxOpenConns(maxConns)
			e.Dialect().DB().SetMaxIdleConns(maxConns)
			if _, err := os.Stat(g.config); err == nil && os.Getenv("LETHE_SECRET") == "" && e.Policy().SecretFile == "" {
				log.Warn("no secret key: anonymizing stages and erasures fail until LETHE_SECRET is set")
			}
			metrics := lethehttp.NewMetrics()
			store := requests.New(e)
			tokenStore := tokens.New(e.Dialect())
			admin := ui.New(ui.Config{Engine: e, Requests: store, Auth: tokenStore, Now: time.Now, Secure: secureCookies, Log: log})
			srv, err := lethehttp.New(ctx, lethehttp.Config{Engine: e, Tokens: tokenStore, Requests: store, Metrics: metrics, Log: log, UI: admin})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return lethe.Errorf(lethe.EINVALID, "cannot listen on %s: %v", listen, err)
			}
			fmt.Fprintf(g.stdout, "lethe serve: listening on http://%s\n", ln.Addr())
			log.Info("serving", "addr", ln.Addr().String(), "scheduler", runScheduler)

			var wg sync.WaitGroup
			if runScheduler {
				s := scheduler.New(scheduler.Config{Engine: e, Resumer: store, Observe: metrics, Log: log, Location: loc, Holder: replica,
					LeaseTTL: leaseTTL, Poll: poll, Grace: grace, Batch: batch, MaxRate: maxRate})
				wg.Add(1)
				go func() {
					defer wg.Done()
					s.Run(ctx)
				}()
			}
			err = lethehttp.Run(ctx, ln, srv, grace)
			wg.Wait() // the scheduler ends its current batch within grace
			log.Info("stopped")
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "127.0.0.1:8080", "address to serve on")
	f.StringVar(&timezone, "timezone", "UTC", "time zone schedules are read in (daily means midnight there)")
	f.BoolVar(&runScheduler, "scheduler", true, "run the policy's schedules (false: serve the API only)")
	f.DurationVar(&poll, "poll", scheduler.DefaultPoll, "how often to look for due runs")
	f.DurationVar(&leaseTTL, "lease-ttl", scheduler.DefaultLeaseTTL, "how long a run's lease lasts without renewal: how soon another replica takes over a dead one's run")
	f.IntVar(&batch, "batch", 0, "rows per batch transaction of scheduled sweeps (0: the engine's default)")
	f.Float64Var(&maxRate, "max-rate", 0, "at most this many rows per second in scheduled sweeps (0: no limit)")
	f.DurationVar(&grace, "shutdown-grace", scheduler.DefaultGrace, "on shutdown, how long requests and the running batch may take to finish")
	f.StringVar(&replica, "replica", "", "this replica's name in lease rows (host-pid-random by default)")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.IntVar(&maxConns, "db-max-conns", 25, "database connections this replica opens at most (and keeps open)")
	f.BoolVar(&secureCookies, "secure-cookies", false, "mark the admin UI's session cookie Secure (set it when clients reach Lethe over HTTPS)")
	return cmd
}

// flagsFromEnv sets each flag not given on the command line from its
// variable, so flags win over the environment. -c/--config is a global
// flag, set the same way.
func flagsFromEnv(cmd *cobra.Command, env map[string]string) error {
	for name, variable := range env {
		v, ok := os.LookupEnv(variable)
		if !ok || v == "" {
			continue
		}
		f := cmd.Flags().Lookup(name)
		if f == nil || f.Changed {
			continue
		}
		if err := f.Value.Set(v); err != nil {
			return lethe.Errorf(lethe.EINVALID, "%s=%q: %v", variable, v, err)
		}
		f.Changed = true
	}
	return nil
}

func newLogger(g *globals, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, lethe.Errorf(lethe.EINVALID, "--log-level %q: write debug, info, warn or error", level)
	}
	return slog.New(slog.NewJSONHandler(g.stderr, &slog.HandlerOptions{Level: l})), nil
}
