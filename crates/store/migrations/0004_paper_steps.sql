-- Each live step of a paper session: its time (ns since the epoch), the
-- account's equity after it, and its bars (JSON: symbol -> [open, high, low,
-- close, volume]). A session's statistics are rebuilt from these and its
-- fills, so they cover every bar since the session began, across restarts.
CREATE TABLE paper_steps (
    session TEXT NOT NULL REFERENCES paper_sessions (name) ON DELETE CASCADE,
    ts BIGINT NOT NULL,
    equity DOUBLE PRECISION NOT NULL,
    bars TEXT NOT NULL,
    PRIMARY KEY (session, ts)
);
