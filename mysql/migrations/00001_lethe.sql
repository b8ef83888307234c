-- +goose Up
-- The purge ledger: one row per dataset and tenant a sweep or erasure
-- touched, hash-chained through prev_hash.
CREATE TABLE lethe_ledger (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at          DATETIME(6)  NOT NULL,
    tenant      VARCHAR(255) NOT NULL,
    dataset     VARCHAR(255) NOT NULL,
    reason      VARCHAR(64)  NOT NULL,
    subject_key VARCHAR(255),
    cutoff      DATETIME(6),
    actor       VARCHAR(255) NOT NULL,
    `rows`      BIGINT       NOT NULL,
    note        TEXT,
    detail      TEXT,
    prev_hash   CHAR(64)     NOT NULL,
    hash        CHAR(64)     NOT NULL,
    INDEX lethe_ledger_tenant_at (tenant, at)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- A tenant's overrides of the policy's default periods.
CREATE TABLE lethe_tenant_settings (
    tenant     VARCHAR(255) NOT NULL,
    setting    VARCHAR(255) NOT NULL,
    period     VARCHAR(64)  NOT NULL,
    updated_at DATETIME(6)  NOT NULL,
    updated_by VARCHAR(255) NOT NULL,
    PRIMARY KEY (tenant, setting)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- Keyed HMACs of suppressed values (never the values themselves).
CREATE TABLE lethe_suppression (
    tenant     VARCHAR(255) NOT NULL,
    digest     CHAR(64)     NOT NULL,
    created_at DATETIME(6)  NOT NULL,
    PRIMARY KEY (tenant, digest)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- Legal holds on a tenant or on one subject.
CREATE TABLE lethe_holds (
    id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    tenant       VARCHAR(255) NOT NULL,
    subject_kind VARCHAR(255),
    subject_key  VARCHAR(255),
    reason       TEXT         NOT NULL,
    created_by   VARCHAR(255) NOT NULL,
    created_at   DATETIME(6)  NOT NULL,
    INDEX lethe_holds_tenant (tenant)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- +goose Down
DROP TABLE lethe_holds;
DROP TABLE lethe_suppression;
DROP TABLE lethe_tenant_settings;
DROP TABLE lethe_ledger;
