// Package connect opens the dialect a database URL names. It is the one
// place that knows every database package, so the rest of Lethe depends on
// the dialect interface alone.
package connect

import (
	"context"
	"strings"

	"lethe"
	"lethe/dialect"
	"lethe/mysql"
	"lethe/postgres"
	"lethe/sqlite"
)

// Open connects to the database at rawURL: sqlite://path,
// postgres://... (or postgresql://), mysql://user:pass@tcp(host:port)/db.
func Open(ctx context.Context, rawURL string) (dialect.Dialect, error) {
	scheme, _, _ := strings.Cut(rawURL, "://")
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		return sqlite.Open(ctx, "sqlite://"+strings.SplitN(rawURL, "://", 2)[1])
	case "postgres", "postgresql":
		return postgres.Open(ctx, rawURL)
	case "mysql", "mariadb":
		return mysql.Open(ctx, "mysql://"+strings.SplitN(rawURL, "://", 2)[1])
	default:
		return nil, lethe.Errorf(lethe.EINVALID, "unknown database URL scheme %q: write sqlite://path, postgres://... or mysql://user:pass@tcp(host:port)/db", scheme)
	}
}
