-- The model registry (`ml train`, `ml promote`): each trained model with
-- what it was trained on (feature schema hash, data fingerprint, label,
-- parameters), its walk-forward scores, its own bytes (text: the models
-- serialise to JSON), and its status; every change of status is kept with
-- when, from where and why.
CREATE TABLE models (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    feature_set TEXT NOT NULL,
    schema_hash TEXT NOT NULL,
    label TEXT NOT NULL,
    data_fingerprint TEXT NOT NULL,
    definition TEXT NOT NULL,
    metrics TEXT NOT NULL,
    model TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE model_changes (
    model_id TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    origin TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (model_id, seq)
);
