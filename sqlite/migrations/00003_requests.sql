-- +goose Up
-- Data-subject requests (SPEC section 3): what was asked, by whom, about
-- whom, and where the request stands. requester is the requester's own
-- contact text, personal data kept only here and never written to logs or
-- the ledger. result holds the erasure counts or the export manifest (JSON).
CREATE TABLE lethe_requests (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,
    subject_kind  TEXT NOT NULL,
    subject_key   TEXT NOT NULL,
    tenant        TEXT NOT NULL,
    requester     TEXT NOT NULL,
    status        TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    due_at        TEXT NOT NULL,
    verified_at   TEXT,
    verified_by   TEXT,
    verify_method TEXT,
    fulfilled_at  TEXT,
    closed_at     TEXT,
    result        TEXT,
    updated_at    TEXT NOT NULL
);
CREATE INDEX lethe_requests_tenant_status ON lethe_requests (tenant, status);
CREATE INDEX lethe_requests_status_due ON lethe_requests (status, due_at);

-- Every change of a request, written in the transaction that makes it.
CREATE TABLE lethe_request_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  INTEGER NOT NULL REFERENCES lethe_requests (id),
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    event       TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    note        TEXT
);
CREATE INDEX lethe_request_events_request ON lethe_request_events (request_id, id);

-- +goose Down
DROP TABLE lethe_request_events;
DROP TABLE lethe_requests;
