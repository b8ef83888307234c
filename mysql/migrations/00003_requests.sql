-- +goose Up
-- Data-subject requests (SPEC section 3): what was asked, by whom, about
-- whom, and where the request stands. requester is the requester's own
-- contact text, personal data kept only here and never written to logs or
-- the ledger. result holds the erasure counts or the export manifest (JSON).
CREATE TABLE lethe_requests (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    kind          VARCHAR(32)  NOT NULL,
    subject_kind  VARCHAR(255) NOT NULL,
    subject_key   VARCHAR(255) NOT NULL,
    tenant        VARCHAR(255) NOT NULL,
    requester     TEXT         NOT NULL,
    status        VARCHAR(32)  NOT NULL,
    received_at   DATETIME(6)  NOT NULL,
    due_at        DATETIME(6)  NOT NULL,
    verified_at   DATETIME(6),
    verified_by   VARCHAR(255),
    verify_method VARCHAR(32),
    fulfilled_at  DATETIME(6),
    closed_at     DATETIME(6),
    result        MEDIUMTEXT,
    updated_at    DATETIME(6)  NOT NULL,
    INDEX lethe_requests_tenant_status (tenant, status),
    INDEX lethe_requests_status_due (status, due_at)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- Every change of a request, written in the transaction that makes it.
CREATE TABLE lethe_request_events (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    request_id  BIGINT       NOT NULL,
    at          DATETIME(6)  NOT NULL,
    actor       VARCHAR(255) NOT NULL,
    event       VARCHAR(32)  NOT NULL,
    from_status VARCHAR(32),
    to_status   VARCHAR(32),
    note        TEXT,
    INDEX lethe_request_events_request (request_id, id),
    FOREIGN KEY (request_id) REFERENCES lethe_requests (id)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- +goose Down
DROP TABLE lethe_request_events;
DROP TABLE lethe_requests;
