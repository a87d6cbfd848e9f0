-- Parameter sweeps (`optimize`): each study's definition (strategy, space,
-- method, seed, objective, data fingerprint) and each trial's parameters,
-- objective value and statistics (no equity curve), written as trials
-- finish: an interrupted study continues where it stopped, and shards of one
-- study write into it together (a trial written twice is kept once).
CREATE TABLE studies (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    best_run_id TEXT
);

CREATE TABLE trials (
    study TEXT NOT NULL REFERENCES studies (name) ON DELETE CASCADE,
    trial_index BIGINT NOT NULL,
    params TEXT NOT NULL,
    value DOUBLE PRECISION,
    stats TEXT NOT NULL,
    moments TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (study, trial_index)
);
