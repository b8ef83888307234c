-- +goose Up
-- Data-subject requests (SPEC section 3): what was asked, by whom, about
-- whom, and where the request stands. requester is the requester's own
-- contact text, personal data kept only here and never written to logs or
-- the ledger. result holds the erasure counts or the export manifest (JSON).
CREATE TABLE lethe_requests (
    id            BIGSERIAL   PRIMARY KEY,
    kind          TEXT        NOT NULL,
    subject_kind  TEXT        NOT NULL,
    subject_key   TEXT        NOT NULL,
    tenant        TEXT        NOT NULL,
    requester     TEXT        NOT NULL,
    status        TEXT        NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL,
    due_at        TIMESTAMPTZ NOT NULL,
    verified_at   TIMESTAMPTZ,
    verified_by   TEXT,
    verify_method TEXT,
    fulfilled_at  TIMESTAMPTZ,
    closed_at     TIMESTAMPTZ,
    result        TEXT,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX lethe_requests_tenant_status ON lethe_requests (tenant, status);
CREATE INDEX lethe_requests_status_due ON lethe_requests (status, due_at);

-- Every change of a request, written in the transaction that makes it.
CREATE TABLE lethe_request_events (
    id          BIGSERIAL   PRIMARY KEY,
    request_id  BIGINT      NOT NULL REFERENCES lethe_requests (id),
    at          TIMESTAMPTZ NOT NULL,
    actor       TEXT        NOT NULL,
    event       TEXT        NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    note        TEXT
);
CREATE INDEX lethe_request_events_request ON lethe_request_events (request_id, id);

-- +goose Down
DROP TABLE lethe_request_events;
DROP TABLE lethe_requests;
