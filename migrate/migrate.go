// Package migrate applies Lethe's own schema (the lethe_* tables) with
// pressly/goose. Each database package embeds its SQL files and calls Up;
// this package never touches the application's tables.
package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// VersionTable records which of Lethe's migrations ran. It is named like
// Lethe's other tables so one prefix finds everything Lethe owns.
const VersionTable = "lethe_migrations"

// Dialects goose knows, by the name of Lethe's dialects.
var dialects = map[string]goose.Dialect{
	"sqlite":   goose.DialectSQLite3,
	"postgres": goose.DialectPostgres,
	"mysql":    goose.DialectMySQL,
}

// Dir is the directory of each database package's embedded file system
// that holds its migrations.
const Dir = "migrations"

func provider(db *sql.DB, dialect string, fsys fs.FS) (*goose.Provider, error) {
	d, ok := dialects[dialect]
	if !ok {
		return nil, fmt.Errorf("migrate: no dialect %q", dialect)
	}
	sub, err := fs.Sub(fsys, Dir)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return goose.NewProvider(d, db, sub,
		goose.WithTableName(VersionTable),
		goose.WithDisableGlobalRegistry(true),
	)
}

// Up applies every migration in fsys (under Dir) that has not run yet.
func Up(ctx context.Context, db *sql.DB, dialect string, fsys fs.FS) error {
	p, err := provider(db, dialect, fsys)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate lethe tables: %w", err)
	}
	return nil
}

// Pending reports whether migrations in fsys (under Dir) have not run yet.
func Pending(ctx context.Context, db *sql.DB, dialect string, fsys fs.FS) (bool, error) {
	p, err := provider(db, dialect, fsys)
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("check lethe migrations: %w", err)
	}
	return pending, nil
}
