-- +goose Up
-- The ledger becomes a chain sealed entry by entry. An entry is opened when
-- a piece of work starts (unsealed: seq NULL, prev_hash and hash ''),
-- counts its rows in the transactions that change them, and is sealed when
-- the work ends: sealing gives it the next seq and its hash. An entry that
-- stays unsealed is a run that crashed.
--
-- SQLite cannot change a column's default in place, so the table is
-- rebuilt with its columns in the order the other databases end up with.
CREATE TABLE lethe_ledger_chain (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT    NOT NULL,
    tenant      TEXT    NOT NULL,
    dataset     TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    subject_key TEXT,
    cutoff      TEXT,
    actor       TEXT    NOT NULL,
    rows        INTEGER NOT NULL,
    note        TEXT,
    detail      TEXT,
    prev_hash   TEXT    NOT NULL DEFAULT '',
    hash        TEXT    NOT NULL DEFAULT '',
    run_id      TEXT    NOT NULL DEFAULT '',
    held        INTEGER NOT NULL DEFAULT 0,
    seq         INTEGER,
    sealed_at   TEXT
);
INSERT INTO lethe_ledger_chain (id, at, tenant, dataset, reason, subject_key, cutoff, actor, rows, note, detail, prev_hash, hash)
    SELECT id, at, tenant, dataset, reason, subject_key, cutoff, actor, rows, note, detail, prev_hash, hash FROM lethe_ledger;
-- Carry the AUTOINCREMENT counter over, so no id is ever handed out twice.
DELETE FROM sqlite_sequence WHERE name = 'lethe_ledger_chain';
UPDATE sqlite_sequence SET name = 'lethe_ledger_chain' WHERE name = 'lethe_ledger';
DROP TABLE lethe_ledger;
ALTER TABLE lethe_ledger_chain RENAME TO lethe_ledger;
CREATE INDEX lethe_ledger_tenant_at ON lethe_ledger (tenant, at);
CREATE UNIQUE INDEX lethe_ledger_seq ON lethe_ledger (seq);
CREATE INDEX lethe_ledger_run ON lethe_ledger (run_id);

-- The end of the chain: one row, locked by every seal, so seals from
-- several processes take their seq one after another.
CREATE TABLE lethe_ledger_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO lethe_ledger_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- +goose Down
DROP TABLE lethe_ledger_head;
CREATE TABLE lethe_ledger_old (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT    NOT NULL,
    tenant      TEXT    NOT NULL,
    dataset     TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    subject_key TEXT,
    cutoff      TEXT,
    actor       TEXT    NOT NULL,
    rows        INTEGER NOT NULL,
    note        TEXT,
    detail      TEXT,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);
INSERT INTO lethe_ledger_old (id, at, tenant, dataset, reason, subject_key, cutoff, actor, rows, note, detail, prev_hash, hash)
    SELECT id, at, tenant, dataset, reason, subject_key, cutoff, actor, rows, note, detail, prev_hash, hash FROM lethe_ledger;
DELETE FROM sqlite_sequence WHERE name = 'lethe_ledger_old';
UPDATE sqlite_sequence SET name = 'lethe_ledger_old' WHERE name = 'lethe_ledger';
DROP TABLE lethe_ledger;
ALTER TABLE lethe_ledger_old RENAME TO lethe_ledger;
CREATE INDEX lethe_ledger_tenant_at ON lethe_ledger (tenant, at);
