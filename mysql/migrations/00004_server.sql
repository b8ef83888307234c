-- +goose Up
-- API tokens of `lethe serve`. Only the SHA-256 of a token is kept: the
-- token itself is shown once, when it is created. tenant is NULL for a
-- token that is not scoped to one tenant. A revoked token stays, so the
-- names that appear as actors in the ledger can still be traced.
CREATE TABLE lethe_tokens (
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name       VARCHAR(255) NOT NULL,
    role       VARCHAR(32)  NOT NULL,
    tenant     VARCHAR(255),
    hash       CHAR(64)     NOT NULL,
    created_at DATETIME(6)  NOT NULL,
    revoked_at DATETIME(6),
    UNIQUE INDEX lethe_tokens_hash (hash),
    UNIQUE INDEX lethe_tokens_name (name)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- Leases of the scheduler: one row per rule and scheduled period, so that
-- among several replicas each scheduled run happens once. A replica claims
-- the row by inserting it (or, once expires_at has passed with the run not
-- done, by taking it over), renews expires_at while it runs and sets
-- done_at when the run is over.
CREATE TABLE lethe_leases (
    rule       VARCHAR(255) NOT NULL,
    period     DATETIME(6)  NOT NULL,
    holder     VARCHAR(255) NOT NULL,
    attempts   INT          NOT NULL,
    claimed_at DATETIME(6)  NOT NULL,
    expires_at DATETIME(6)  NOT NULL,
    done_at    DATETIME(6),
    status     VARCHAR(32)  NOT NULL,
    PRIMARY KEY (rule, period)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- +goose Down
DROP TABLE lethe_leases;
DROP TABLE lethe_tokens;
