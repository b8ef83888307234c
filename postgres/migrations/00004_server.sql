-- +goose Up
-- API tokens of `lethe serve`. Only the SHA-256 of a token is kept: the
-- token itself is shown once, when it is created. tenant is NULL for a
-- token that is not scoped to one tenant. A revoked token stays, so the
-- names that appear as actors in the ledger can still be traced.
CREATE TABLE lethe_tokens (
    id         BIGSERIAL   PRIMARY KEY,
    name       TEXT        NOT NULL,
    role       TEXT        NOT NULL,
    tenant     TEXT,
    hash       TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX lethe_tokens_hash ON lethe_tokens (hash);
CREATE UNIQUE INDEX lethe_tokens_name ON lethe_tokens (name);

-- Leases of the scheduler: one row per rule and scheduled period, so that
-- among several replicas each scheduled run happens once. A replica claims
-- the row by inserting it (or, once expires_at has passed with the run not
-- done, by taking it over), renews expires_at while it runs and sets
-- done_at when the run is over.
CREATE TABLE lethe_leases (
    rule       TEXT        NOT NULL,
    period     TIMESTAMPTZ NOT NULL,
    holder     TEXT        NOT NULL,
    attempts   INTEGER     NOT NULL,
    claimed_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    done_at    TIMESTAMPTZ,
    status     TEXT        NOT NULL,
    PRIMARY KEY (rule, period)
);

-- +goose Down
DROP TABLE lethe_leases;
DROP TABLE lethe_tokens;
