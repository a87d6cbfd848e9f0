-- Shadow models' journals (`paper run --shadow`, `backtest --shadow`): for
-- every bar a shadow follows, what the model predicted and what its own
-- hypothetical book did (position, equity, closed trades, the orders it
-- would have sent). The owner is `session:NAME` or `run:ID`. One row per
-- owner, model, symbol and bar time: a restarted session that follows the
-- same bars again writes nothing twice.
CREATE TABLE shadow_predictions (
    owner TEXT NOT NULL,
    model_id TEXT NOT NULL,
    symbol TEXT NOT NULL,
    ts BIGINT NOT NULL,
    close DOUBLE PRECISION NOT NULL,
    probability DOUBLE PRECISION,
    position DOUBLE PRECISION NOT NULL,
    equity DOUBLE PRECISION NOT NULL,
    trades BIGINT NOT NULL,
    orders TEXT NOT NULL,
    PRIMARY KEY (owner, model_id, symbol, ts)
);
