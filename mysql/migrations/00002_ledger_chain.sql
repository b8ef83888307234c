-- +goose Up
-- The ledger becomes a chain sealed entry by entry. An entry is opened when
-- a piece of work starts (unsealed: seq NULL, prev_hash and hash ''),
-- counts its rows in the transactions that change them, and is sealed when
-- the work ends: sealing gives it the next seq and its hash. An entry that
-- stays unsealed is a run that crashed.
ALTER TABLE lethe_ledger
    MODIFY prev_hash CHAR(64) NOT NULL DEFAULT '',
    MODIFY hash      CHAR(64) NOT NULL DEFAULT '',
    ADD COLUMN run_id    VARCHAR(64) NOT NULL DEFAULT '',
    ADD COLUMN held      BIGINT      NOT NULL DEFAULT 0,
    ADD COLUMN seq       BIGINT      NULL,
    ADD COLUMN sealed_at DATETIME(6) NULL,
    ADD UNIQUE INDEX lethe_ledger_seq (seq),
    ADD INDEX lethe_ledger_run (run_id);

-- The end of the chain: one row, locked by every seal, so seals from
-- several processes take their seq one after another.
CREATE TABLE lethe_ledger_head (
    id   INT      NOT NULL PRIMARY KEY CHECK (id = 1),
    seq  BIGINT   NOT NULL,
    hash CHAR(64) NOT NULL
) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
INSERT INTO lethe_ledger_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- +goose Down
DROP TABLE lethe_ledger_head;
ALTER TABLE lethe_ledger
    DROP INDEX lethe_ledger_run,
    DROP INDEX lethe_ledger_seq,
    DROP COLUMN sealed_at,
    DROP COLUMN seq,
    DROP COLUMN held,
    DROP COLUMN run_id,
    MODIFY prev_hash CHAR(64) NOT NULL,
    MODIFY hash      CHAR(64) NOT NULL;
