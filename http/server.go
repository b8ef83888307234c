package lethehttp

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"lethe/engine"
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

// ready reports whether the server can do its work: the database answers
// and none of Lethe's migrations is pending.
func (s *Server) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	d := s.cfg.Engine.Dialect()
	if err := d.DB().PingContext(ctx); err != nil {
		s.log.WarnContext(ctx, "readiness: database unreachable", "err", err)
		return errors.New("the database does not answer")
	}
	pending, err := d.Pending(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "readiness: migrations", "err", err)
		return errors.New("cannot read the version of Lethe's tables")
	}
	if pending {
		return errors.New("migrations of the lethe_* tables are pending: restart lethe serve (it applies them) or run any lethe command")
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
