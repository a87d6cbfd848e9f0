-- Paper-trading sessions: what defines each, its journal of orders and fills,
-- the operator's commands, and the last state it reached (for `paper status`).
-- Decimal quantities and prices are TEXT (exact); times are ms since the epoch.
CREATE TABLE paper_sessions (
    name TEXT PRIMARY KEY,
    broker TEXT NOT NULL,
    definition TEXT NOT NULL,
    state TEXT NOT NULL,
    steps_done BIGINT NOT NULL,
    snapshot TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE paper_orders (
    session TEXT NOT NULL REFERENCES paper_sessions (name) ON DELETE CASCADE,
    client_order_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    qty TEXT NOT NULL,
    order_type TEXT NOT NULL,
    status TEXT NOT NULL,
    filled_qty TEXT NOT NULL,
    decided_step BIGINT NOT NULL,
    broker_order_id TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session, client_order_id)
);

CREATE TABLE paper_fills (
    session TEXT NOT NULL REFERENCES paper_sessions (name) ON DELETE CASCADE,
    fill_id TEXT NOT NULL,
    client_order_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    qty TEXT NOT NULL,
    price TEXT NOT NULL,
    ts BIGINT NOT NULL,
    PRIMARY KEY (session, fill_id)
);

CREATE TABLE paper_commands (
    session TEXT NOT NULL REFERENCES paper_sessions (name) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    command TEXT NOT NULL,
    reason TEXT,
    created_at BIGINT NOT NULL,
    applied_step BIGINT,
    PRIMARY KEY (session, seq)
);
