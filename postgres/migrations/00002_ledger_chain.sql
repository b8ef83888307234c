-- +goose Up
-- The ledger becomes a chain sealed entry by entry. An entry is opened when
-- a piece of work starts (unsealed: seq NULL, prev_hash and hash ''),
-- counts its rows in the transactions that change them, and is sealed when
-- the work ends: sealing gives it the next seq and its hash. An entry that
-- stays unsealed is a run that crashed.
ALTER TABLE lethe_ledger
    ALTER COLUMN prev_hash SET DEFAULT '',
    ALTER COLUMN hash SET DEFAULT '',
    ADD COLUMN run_id    TEXT   NOT NULL DEFAULT '',
    ADD COLUMN held      BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN seq       BIGINT,
    ADD COLUMN sealed_at TIMESTAMPTZ;
CREATE UNIQUE INDEX lethe_ledger_seq ON lethe_ledger (seq);
CREATE INDEX lethe_ledger_run ON lethe_ledger (run_id);

-- The end of the chain: one row, locked by every seal, so seals from
-- several processes take their seq one after another.
CREATE TABLE lethe_ledger_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT  NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO lethe_ledger_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- +goose Down
DROP TABLE lethe_ledger_head;
DROP INDEX lethe_ledger_run;
DROP INDEX lethe_ledger_seq;
ALTER TABLE lethe_ledger
    DROP COLUMN sealed_at,
    DROP COLUMN seq,
    DROP COLUMN held,
    DROP COLUMN run_id,
    ALTER COLUMN hash DROP DEFAULT,
    ALTER COLUMN prev_hash DROP DEFAULT;
