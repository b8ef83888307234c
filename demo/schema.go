package demo

import (
	"context"
	"fmt"
	"strings"

	"lethe/dialect"
)

// tables is the application's schema, in types all three databases accept;
// TS stands for the dialect's zone-less timestamp type. Parents come before
// the tables that point to them.
var tables = []string{
	`CREATE TABLE organisations (id BIGINT NOT NULL PRIMARY KEY, workspace_id VARCHAR(64), name VARCHAR(200) NOT NULL, deleted_at TS)`,
	`CREATE TABLE users (id BIGINT NOT NULL PRIMARY KEY, workspace_id VARCHAR(64), organisation_id BIGINT,
		first_name VARCHAR(100), last_name VARCHAR(100), email VARCHAR(254), account VARCHAR(64), note TEXT,
		active BOOLEAN NOT NULL DEFAULT TRUE, last_login_at TS, created_at TS NOT NULL, deactivated_at TS, anonymized_at TS,
		FOREIGN KEY (organisation_id) REFERENCES organisations (id))`,
	`CREATE TABLE participants (id BIGINT NOT NULL PRIMARY KEY, workspace_id VARCHAR(64), first_name VARCHAR(100), last_name VARCHAR(100),
		email VARCHAR(254), phone VARCHAR(40), customer_id VARCHAR(80), created_at TS NOT NULL)`,
	`CREATE TABLE contacts (id VARCHAR(40) NOT NULL PRIMARY KEY, workspace_id VARCHAR(64), created_at TS NOT NULL)`,
	`CREATE TABLE transactions (id BIGINT NOT NULL PRIMARY KEY, workspace_id VARCHAR(64), performed_by BIGINT, performed_by_name VARCHAR(200),
		amount_cents BIGINT NOT NULL, asset VARCHAR(40), created_at TS NOT NULL, FOREIGN KEY (performed_by) REFERENCES users (id))`,
	`CREATE TABLE answers (id BIGINT NOT NULL PRIMARY KEY, workspace_id VARCHAR(64), participant_id BIGINT NOT NULL, comment TEXT,
		created_at TS NOT NULL, FOREIGN KEY (participant_id) REFERENCES participants (id))`,
	`CREATE TABLE answer_metadata (id BIGINT NOT NULL PRIMARY KEY, answer_id BIGINT NOT NULL, name VARCHAR(64), value VARCHAR(200),
		FOREIGN KEY (answer_id) REFERENCES answers (id))`,
	`CREATE TABLE identity_events (id BIGINT NOT NULL PRIMARY KEY, workspace_id VARCHAR(64), contact_id VARCHAR(40), kind VARCHAR(40),
		created_at TS NOT NULL, FOREIGN KEY (contact_id) REFERENCES contacts (id))`,
	`CREATE TABLE audit_logs (id BIGINT NOT NULL PRIMARY KEY, workspace_id VARCHAR(64), action VARCHAR(80), created_at TS NOT NULL)`,
	`CREATE TABLE support_tickets (id BIGINT NOT NULL PRIMARY KEY, workspace_id VARCHAR(64), requester_id BIGINT, body TEXT,
		requester_email VARCHAR(254), created_at TS NOT NULL, FOREIGN KEY (requester_id) REFERENCES users (id))`,
	`CREATE TABLE webhook_secrets (id BIGINT NOT NULL PRIMARY KEY, workspace_id VARCHAR(64), plaintext VARCHAR(200), rotated_at TS)`,
	`CREATE TABLE invitations (id BIGINT NOT NULL PRIMARY KEY, workspace_id VARCHAR(64), email VARCHAR(254), expires_at TS NOT NULL)`,
	`CREATE TABLE sessions (id VARCHAR(64) NOT NULL PRIMARY KEY, workspace_id VARCHAR(64), user_id BIGINT, expires_at TS NOT NULL,
		FOREIGN KEY (user_id) REFERENCES users (id))`,
}

// indexes are the ones a well-kept application has and the engine relies
// on: each clock a policy rule compares against a cutoff, and each column
// that links a row to its owner, which erasure and cascades follow.
var indexes = []struct{ table, column string }{
	{"organisations", "deleted_at"},
	{"users", "organisation_id"},
	{"users", "last_login_at"},
	{"users", "created_at"},
	{"users", "deactivated_at"},
	{"participants", "created_at"},
	{"contacts", "created_at"},
	{"transactions", "performed_by"},
	{"answers", "participant_id"},
	{"answer_metadata", "answer_id"},
	{"identity_events", "contact_id"},
	{"identity_events", "created_at"},
	{"audit_logs", "created_at"},
	{"support_tickets", "requester_id"},
	{"support_tickets", "created_at"},
	{"webhook_secrets", "rotated_at"},
	{"invitations", "expires_at"},
	{"sessions", "user_id"},
	{"sessions", "expires_at"},
}

// Tables returns the names of the application's tables, parents first:
// the order they are created and filled in.
func Tables() []string {
	return []string{
		"organisations", "users", "participants", "contacts", "transactions", "answers", "answer_metadata",
		"identity_events", "audit_logs", "support_tickets", "webhook_secrets", "invitations", "sessions",
	}
}

// Schema returns the statements that create the application's tables and
// indexes in d's database, with the timestamp type its applications use:
// DATETIME(6) on MySQL, TIMESTAMP (without time zone) elsewhere.
func Schema(d dialect.Dialect) []string {
	ts := "TIMESTAMP"
	if d.Name() == "mysql" {
		ts = "DATETIME(6)"
	}
	stmts := make([]string, 0, len(tables)+len(indexes))
	for _, ddl := range tables {
		stmts = append(stmts, strings.ReplaceAll(ddl, " TS", " "+ts))
	}
	for _, ix := range indexes {
		stmts = append(stmts, "CREATE INDEX "+d.Quote(ix.table+"_"+ix.column+"_idx")+
			" ON "+d.Quote(ix.table)+" ("+d.Quote(ix.column)+")")
	}
	return stmts
}

// CreateSchema creates the application's tables and indexes in d. The
// tables must not exist yet.
func CreateSchema(ctx context.Context, d dialect.Dialect) error {
	for _, stmt := range Schema(d) {
		if _, err := d.DB().ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("demo: create schema: %w", err)
		}
	}
	return nil
}
