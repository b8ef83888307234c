package lethehttp

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"lethe/engine"
	"lethe/migrate"
	"lethe/requests"
	"lethe/tokens"
)

// Config is what a Server needs.
type Config struct {
	Engine   *engine.Engine
	Tokens   *tokens.Store
	Requests *requests.Store
	Metrics  *Metrics         // nil: a new set
	Now      func() time.Time // the clock of every operation; time.Now when nil
	Log      *slog.Logger     // nil discards
	Version  string           // of the API, in the OpenAPI document
	// UI is the admin web UI (package ui), served under /ui/ with its own
	// cookie sign-in; nil serves the API alone.
	UI http.Handler
}

// Server is the HTTP API. It is an http.Handler.
type Server struct {
	cfg     Config
	log     *slog.Logger
	api     huma.API
	handler http.Handler
	// schema is the newest of Lethe's migrations applied when the server
	// started (engine.New applies them all), for /readyz.
	schema int64
}

// New builds the API. The engine has migrated the database.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Engine == nil || cfg.Tokens == nil || cfg.Requests == nil {
		return nil, errors.New("lethehttp: Config needs an Engine, Tokens and Requests")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	if cfg.Version == "" {
		cfg.Version = "1"
	}
	s := &Server{cfg: cfg, log: cfg.Log}
	var err error
	if s.schema, err = schemaVersion(ctx, cfg.Engine.Dialect().DB()); err != nil {
		return nil, err
	}
	cfg.Metrics.watch(cfg.Requests, cfg.Engine.Ledger(), cfg.Now)

	mux := http.NewServeMux()
	hc := huma.DefaultConfig("Lethe", cfg.Version)
	// The document at /v1/openapi.json, and nothing that loads scripts
	// from elsewhere or adds $schema links to every response.
	hc.OpenAPIPath = "/v1/openapi"
	hc.DocsPath = ""
	hc.SchemasPath = ""
	hc.CreateHooks = nil
	hc.Info.Description = "Lethe's API: retention settings, plans, sweeps, data-subject exports, erasures and requests, the purge ledger and legal holds. " +
		"Every /v1 operation takes a bearer token (lethe token create); a token scoped to a tenant sees that tenant only, and other tenants answer 404."
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", Description: "A token from `lethe token create`, sent as Authorization: Bearer lethe_..."},
	}
	s.api = humago.New(mux, hc)
	s.api.UseMiddleware(s.observe)
	s.routes()
	mux.Handle("GET /metrics", cfg.Metrics.Handler())
	if cfg.UI != nil {
		mux.Handle("/ui/", cfg.UI)
		mux.Handle("/ui", cfg.UI)
		mux.Handle("GET /{$}", http.RedirectHandler("/ui/", http.StatusSeeOther))
	}
	s.handler = s.authenticate(mux)
	return s, nil
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// OpenAPI returns the API's description.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

// observe logs and measures every operation. It logs the operation's
// route, never the URL: query strings may hold what must not be logged.
func (s *Server) observe(ctx huma.Context, next func(huma.Context)) {
	start := time.Now()
	next(ctx)
	took := time.Since(start)
	status := ctx.Status()
	if status == 0 {
		status = http.StatusOK
	}
	op := ctx.Operation().OperationID
	s.cfg.Metrics.request(op, status, took)
	attrs := []any{"op", op, "method", ctx.Method(), "route", ctx.Operation().Path, "status", status, "took", took}
	if p, ok := principalOf(ctx.Context()); ok {
		attrs = append(attrs, "token", p.Name)
	}
	s.log.InfoContext(ctx.Context(), "request", attrs...)
}

// now is the time of an operation, in UTC.
func (s *Server) now() time.Time { return s.cfg.Now().UTC() }

// schemaVersion reads the newest applied migration.
func schemaVersion(ctx context.Context, db *sql.DB) (int64, error) {
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT MAX(version_id) FROM "+migrate.VersionTable).Scan(&v); err != nil {
		return 0, fmt.Errorf("read the schema version: %w", err)
	}
	return v.Int64, nil
}

// ready reports whether the server can do its work: the database answers
// and its schema is not older than the one the server started with (the
// tables were not dropped or rolled back under it).
func (s *Server) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	db := s.cfg.Engine.Dialect().DB()
	if err := db.PingContext(ctx); err != nil {
		s.log.WarnContext(ctx, "readiness: database unreachable", "err", err)
		return errors.New("the database does not answer")
	}
	v, err := schemaVersion(ctx, db)
	if err != nil {
		s.log.WarnContext(ctx, "readiness: schema version", "err", err)
		return errors.New("cannot read the version of Lethe's tables")
	}
	if v < s.schema {
		return fmt.Errorf("the lethe_* tables are at migration %d, older than %d: migrations are pending", v, s.schema)
	}
	return nil
}

// Run serves on ln until ctx is done, then stops taking connections and
// waits up to grace for the requests in flight.
func Run(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
