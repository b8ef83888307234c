package dialecttest

import (
	"strings"
	"testing"

	"lethe/dialect"
)

// saasTables is the application schema examples/saas.yaml describes, in
// types all three databases accept; TS stands for the dialect's timestamp.
var saasTables = []string{
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

// CreateSaaSSchema creates, in d, the tables examples/saas.yaml names.
func CreateSaaSSchema(t testing.TB, h Harness, d dialect.Dialect) {
	t.Helper()
	for _, ddl := range saasTables {
		mustExec(t, d.DB(), strings.ReplaceAll(ddl, " TS", " "+h.Timestamp))
	}
}
