-- +goose Up
-- Erasures look up whether a subject was erased before, and auditors ask
-- what happened to one person: both by tenant and subject key.
CREATE INDEX lethe_ledger_tenant_subject ON lethe_ledger (tenant, subject_key);

-- +goose Down
DROP INDEX lethe_ledger_tenant_subject;
