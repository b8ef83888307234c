-- +goose Up
-- The purge ledger: one row per dataset and tenant a sweep or erasure
-- touched, hash-chained through prev_hash.
CREATE TABLE lethe_ledger (
    id          BIGSERIAL   PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    tenant      TEXT        NOT NULL,
    dataset     TEXT        NOT NULL,
    reason      TEXT        NOT NULL,
    subject_key TEXT,
    cutoff      TIMESTAMPTZ,
    actor       TEXT        NOT NULL,
    rows        BIGINT      NOT NULL,
    note        TEXT,
    detail      TEXT,
    prev_hash   TEXT        NOT NULL,
    hash        TEXT        NOT NULL
);
CREATE INDEX lethe_ledger_tenant_at ON lethe_ledger (tenant, at);

-- A tenant's overrides of the policy's default periods.
CREATE TABLE lethe_tenant_settings (
    tenant     TEXT        NOT NULL,
    setting    TEXT        NOT NULL,
    period     TEXT        NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT        NOT NULL,
    PRIMARY KEY (tenant, setting)
);

-- Keyed HMACs of suppressed values (never the values themselves).
CREATE TABLE lethe_suppression (
    tenant     TEXT        NOT NULL,
    digest     TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant, digest)
);

-- Legal holds on a tenant or on one subject.
CREATE TABLE lethe_holds (
    id           BIGSERIAL   PRIMARY KEY,
    tenant       TEXT        NOT NULL,
    subject_kind TEXT,
    subject_key  TEXT,
    reason       TEXT        NOT NULL,
    created_by   TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX lethe_holds_tenant ON lethe_holds (tenant);

-- +goose Down
DROP TABLE lethe_holds;
DROP TABLE lethe_suppression;
DROP TABLE lethe_tenant_settings;
DROP TABLE lethe_ledger;
