-- One row per run; the large parts (trades, equity, refusals) as JSON text.
-- Types chosen to mean the same in SQLite and PostgreSQL; times are
-- milliseconds since the Unix epoch.
CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    strategy TEXT NOT NULL,
    symbols TEXT NOT NULL,
    params TEXT NOT NULL,
    config TEXT NOT NULL,
    data_fingerprint TEXT NOT NULL,
    code_version TEXT NOT NULL,
    elapsed_ms BIGINT NOT NULL,
    stats TEXT NOT NULL
);

CREATE INDEX runs_created_at ON runs (created_at);

CREATE TABLE run_details (
    run_id TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    trades TEXT NOT NULL,
    equity TEXT NOT NULL,
    refusals TEXT NOT NULL
);
