//! Paper-trading sessions in the store: each session's definition, its
//! journal of orders and fills, the operator's commands and its last state.

use crate::{Store, StoreError};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use std::time::{SystemTime, UNIX_EPOCH};

/// A session as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionRecord {
    /// Its name (`--session`).
    pub name: String,
    /// `sim` or `alpaca`.
    pub broker: String,
    /// What defines it (strategy, parameters, data, risk): a restart must match.
    pub definition: Value,
    /// `running`, `stopped` or `finished`.
    pub state: String,
    /// Time steps processed and journaled.
    pub steps_done: i64,
    /// The state after the last journaled step (positions, orders, equity, halt).
    pub snapshot: Value,
    /// When it was created, ms since the epoch.
    pub created_at_ms: i64,
    /// When it last changed, ms since the epoch.
    pub updated_at_ms: i64,
}

/// One order of a session, as journaled.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderRecord {
    /// Deterministic id: the same decision always gets the same id.
    pub client_order_id: String,
    /// Instrument.
    pub symbol: String,
    /// `buy` or `sell`.
    pub side: String,
    /// Quantity asked, exact decimal text.
    pub qty: String,
    /// `market`, `limit`, `stop`, `stop_limit` or `trailing_stop`.
    pub order_type: String,
    /// `new`, `accepted`, `partially_filled`, `filled`, `canceled`, `rejected`, …
    pub status: String,
    /// Quantity filled so far, exact decimal text.
    pub filled_qty: String,
    /// Time step the order was decided on.
    pub decided_step: i64,
    /// The broker's id for it, once acknowledged.
    pub broker_order_id: Option<String>,
}

/// One fill of a session.
#[derive(Clone, Debug, PartialEq)]
pub struct FillRecord {
    /// Unique per session (the broker's execution id, or the step and order).
    pub fill_id: String,
    /// The order filled.
    pub client_order_id: String,
    /// Instrument.
    pub symbol: String,
    /// `buy` or `sell`.
    pub side: String,
    /// Units, exact decimal text.
    pub qty: String,
    /// Price, exact decimal text.
    pub price: String,
    /// When, ms since the epoch.
    pub ts_ms: i64,
}

/// An operator's command to a session.
#[derive(Clone, Debug, PartialEq)]
pub struct CommandRecord {
    /// Order of arrival within the session, from 1.
    pub seq: i64,
    /// `stop`, `flatten`, `kill` or `resume`.
    pub command: String,
    /// Why (for `kill`).
    pub reason: Option<String>,
    /// The step after which it took effect; `None` while pending.
    pub applied_step: Option<i64>,
    /// Who sent it: `cli`, `signal` or `dashboard`.
    pub origin: String,
    /// When it was queued, ms since the epoch.
    pub created_at_ms: i64,
}

/// Everything one step changed, written in one transaction.
#[derive(Clone, Debug, Default)]
pub struct StepJournal {
    /// Steps processed after this one.
    pub steps_done: i64,
    /// The session's state after it.
    pub snapshot: Value,
    /// Orders new or changed (inserted, or their status and fill updated).
    pub orders: Vec<OrderRecord>,
    /// New fills (ones already journaled are ignored).
    pub fills: Vec<FillRecord>,
    /// Commands applied at this step: `(seq, step)`.
    pub applied_commands: Vec<(i64, i64)>,
    /// The step itself (its time, bars and equity), for a live step.
    pub step: Option<StepRecord>,
}

/// One live step of a session, as its statistics need it.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRecord {
    /// The step's time, ns since the epoch.
    pub ts: i64,
    /// The account's equity after the step.
    pub equity: f64,
    /// The step's bars: symbol -> `[open, high, low, close, volume]`.
    pub bars: Value,
}

/// Now, in ms since the epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

impl Store {
    /// The session `name`, if there is one.
    pub async fn session(&self, name: &str) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT name, broker, definition, state, steps_done, snapshot, created_at, updated_at \
             FROM paper_sessions WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| session_record(&row)).transpose()
    }

    /// Every session, by name.
    pub async fn sessions(&self) -> Result<Vec<SessionRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT name, broker, definition, state, steps_done, snapshot, created_at, updated_at \
             FROM paper_sessions ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(session_record).collect()
    }

    /// Creates the session `name` with nothing done yet.
    pub async fn create_session(
        &self,
        name: &str,
        broker: &str,
        definition: &Value,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO paper_sessions (name, broker, definition, state, steps_done, snapshot, created_at, \
             updated_at) VALUES ($1, $2, $3, 'stopped', 0, '{}', $4, $5)",
        )
        .bind(name)
        .bind(broker)
        .bind(definition.to_string())
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sets the session's state (`running`, `stopped`, `finished`).
    pub async fn set_session_state(&self, name: &str, state: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE paper_sessions SET state = $1, updated_at = $2 WHERE name = $3")
            .bind(state)
            .bind(now_ms())
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes a session and (by cascade) its journal; false if there was none.
    pub async fn delete_session(&self, name: &str) -> Result<bool, StoreError> {
        let deleted =
            sqlx::query("DELETE FROM paper_sessions WHERE name = $1").bind(name).execute(&self.pool).await?;
        Ok(deleted.rows_affected() > 0)
    }

    /// Writes what one step of `session` changed, all or nothing.
    pub async fn journal_step(&self, session: &str, step: &StepJournal) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        for order in &step.orders {
            upsert_order(&mut tx, session, order, now).await?;
        }
        for fill in &step.fills {
            insert_fill(&mut tx, session, fill).await?;
        }
        for &(seq, applied) in &step.applied_commands {
            sqlx::query("UPDATE paper_commands SET applied_step = $1 WHERE session = $2 AND seq = $3")
                .bind(applied)
                .bind(session)
                .bind(seq)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(record) = &step.step {
            sqlx::query(
                "INSERT INTO paper_steps (session, ts, equity, bars) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (session, ts) DO UPDATE SET equity = excluded.equity, bars = excluded.bars",
            )
            .bind(session)
            .bind(record.ts)
            .bind(record.equity)
            .bind(record.bars.to_string())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE paper_sessions SET steps_done = $1, snapshot = $2, updated_at = $3 WHERE name = $4",
        )
        .bind(step.steps_done)
        .bind(step.snapshot.to_string())
        .bind(now)
        .bind(session)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes one order of `session` (new, or its status and fill changed).
    pub async fn record_order(&self, session: &str, order: &OrderRecord) -> Result<(), StoreError> {
        // One statement commits on its own: no round trips for BEGIN and COMMIT
        // (this write stands between a decision and its order leaving).
        let mut connection = self.pool.acquire().await?;
        upsert_order(&mut connection, session, order, now_ms()).await
    }

    /// Writes one fill of `session` (ignored if its id is already there).
    pub async fn record_fill(&self, session: &str, fill: &FillRecord) -> Result<(), StoreError> {
        let mut connection = self.pool.acquire().await?;
        insert_fill(&mut connection, session, fill).await
    }

    /// Queues `command` for `session`, sent from `origin` (`cli`, `signal`,
    /// `dashboard`); returns its sequence number.
    pub async fn queue_command(
        &self,
        session: &str,
        command: &str,
        reason: Option<&str>,
        origin: &str,
    ) -> Result<i64, StoreError> {
        let mut attempt = 0;
        loop {
            // One statement, so SQLite takes the write lock at once (waiting
            // for it rather than failing an upgrade); two PostgreSQL writers
            // may still pick the same number, and the primary key turns one away.
            let result = sqlx::query(
                "INSERT INTO paper_commands (session, seq, command, reason, created_at, origin) \
                 SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 FROM paper_commands WHERE session = $6 \
                 RETURNING seq",
            )
            .bind(session)
            .bind(command)
            .bind(reason.map(str::to_owned))
            .bind(now_ms())
            .bind(origin)
            .bind(session)
            .fetch_one(&self.pool)
            .await
            .and_then(|row| row.try_get::<i64, _>("seq"));
            match result {
                Ok(seq) => return Ok(seq),
                Err(_) if attempt < 5 => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(10 * attempt)).await;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// The time (ns) of the session's latest journaled live step, if any.
    pub async fn last_step_time(&self, session: &str) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT MAX(ts) AS last FROM paper_steps WHERE session = $1")
            .bind(session)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<Option<i64>, _>("last")?)
    }

    /// The session's equity after each live step later than `after_ns` and
    /// no later than `through_ns` (unbounded when `None`), as (time in ns,
    /// equity), in time order: its curve without the bars, for a chart that
    /// grows as the session runs.
    pub async fn equity_curve(
        &self,
        session: &str,
        after_ns: Option<i64>,
        through_ns: Option<i64>,
    ) -> Result<Vec<(i64, f64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT ts, equity FROM paper_steps WHERE session = $1 AND ts > $2 AND ts <= $3 ORDER BY ts",
        )
        .bind(session)
        .bind(after_ns.unwrap_or(i64::MIN))
        .bind(through_ns.unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((row.try_get("ts")?, row.try_get("equity")?))).collect()
    }

    /// The session's live steps in time order, from every run of it.
    pub async fn steps(&self, session: &str) -> Result<Vec<StepRecord>, StoreError> {
        let rows = sqlx::query("SELECT ts, equity, bars FROM paper_steps WHERE session = $1 ORDER BY ts")
            .bind(session)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let bars: String = row.try_get("bars")?;
                Ok(StepRecord {
                    ts: row.try_get("ts")?,
                    equity: row.try_get("equity")?,
                    bars: serde_json::from_str(&bars).unwrap_or(Value::Null),
                })
            })
            .collect()
    }

    /// The session's commands in arrival order, applied and pending.
    pub async fn commands(&self, session: &str) -> Result<Vec<CommandRecord>, StoreError> {
        self.commands_where(session, false).await
    }

    /// The session's commands not applied yet, in arrival order (what a
    /// running session polls for: it does not grow with the session's history).
    pub async fn pending_commands(&self, session: &str) -> Result<Vec<CommandRecord>, StoreError> {
        self.commands_where(session, true).await
    }

    async fn commands_where(
        &self,
        session: &str,
        pending_only: bool,
    ) -> Result<Vec<CommandRecord>, StoreError> {
        let sql = if pending_only {
            "SELECT seq, command, reason, applied_step, origin, created_at FROM paper_commands \
             WHERE session = $1 AND applied_step IS NULL ORDER BY seq"
        } else {
            "SELECT seq, command, reason, applied_step, origin, created_at FROM paper_commands \
             WHERE session = $1 ORDER BY seq"
        };
        let rows = sqlx::query(sql).bind(session).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(CommandRecord {
                    seq: row.try_get("seq")?,
                    command: row.try_get("command")?,
                    reason: row.try_get("reason")?,
                    applied_step: row.try_get("applied_step")?,
                    origin: row.try_get("origin")?,
                    created_at_ms: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// The session's journaled orders, oldest decision first.
    pub async fn orders(&self, session: &str) -> Result<Vec<OrderRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT client_order_id, symbol, side, qty, order_type, status, filled_qty, decided_step, \
             broker_order_id FROM paper_orders WHERE session = $1 ORDER BY decided_step, client_order_id",
        )
        .bind(session)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(OrderRecord {
                    client_order_id: row.try_get("client_order_id")?,
                    symbol: row.try_get("symbol")?,
                    side: row.try_get("side")?,
                    qty: row.try_get("qty")?,
                    order_type: row.try_get("order_type")?,
                    status: row.try_get("status")?,
                    filled_qty: row.try_get("filled_qty")?,
                    decided_step: row.try_get("decided_step")?,
                    broker_order_id: row.try_get("broker_order_id")?,
                })
            })
            .collect()
    }

    /// The session's fills in time order, and within a time in the order
    /// their orders were placed (client ids number them at each bar).
    pub async fn fills(&self, session: &str) -> Result<Vec<FillRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT fill_id, client_order_id, symbol, side, qty, price, ts FROM paper_fills \
             WHERE session = $1 ORDER BY ts, client_order_id, fill_id",
        )
        .bind(session)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(FillRecord {
                    fill_id: row.try_get("fill_id")?,
                    client_order_id: row.try_get("client_order_id")?,
                    symbol: row.try_get("symbol")?,
                    side: row.try_get("side")?,
                    qty: row.try_get("qty")?,
                    price: row.try_get("price")?,
                    ts_ms: row.try_get("ts")?,
                })
            })
            .collect()
    }
}

/// Inserts `order`, or updates its status, fill and broker id.
async fn upsert_order(
    connection: &mut sqlx::AnyConnection,
    session: &str,
    order: &OrderRecord,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO paper_orders (session, client_order_id, symbol, side, qty, order_type, status, \
         filled_qty, decided_step, broker_order_id, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (session, client_order_id) DO UPDATE SET status = excluded.status, \
         filled_qty = excluded.filled_qty, \
         broker_order_id = COALESCE(excluded.broker_order_id, paper_orders.broker_order_id), \
         updated_at = excluded.updated_at",
    )
    .bind(session)
    .bind(&order.client_order_id)
    .bind(&order.symbol)
    .bind(&order.side)
    .bind(&order.qty)
    .bind(&order.order_type)
    .bind(&order.status)
    .bind(&order.filled_qty)
    .bind(order.decided_step)
    .bind(order.broker_order_id.clone())
    .bind(now)
    .execute(connection)
    .await?;
    Ok(())
}

/// Inserts `fill` unless its id is already journaled.
async fn insert_fill(
    connection: &mut sqlx::AnyConnection,
    session: &str,
    fill: &FillRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO paper_fills (session, fill_id, client_order_id, symbol, side, qty, price, ts) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (session, fill_id) DO NOTHING",
    )
    .bind(session)
    .bind(&fill.fill_id)
    .bind(&fill.client_order_id)
    .bind(&fill.symbol)
    .bind(&fill.side)
    .bind(&fill.qty)
    .bind(&fill.price)
    .bind(fill.ts_ms)
    .execute(connection)
    .await?;
    Ok(())
}

fn session_record(row: &AnyRow) -> Result<SessionRecord, StoreError> {
    let name: String = row.try_get("name")?;
    let parse = |column: &'static str| crate::store::json(row, &name, column);
    Ok(SessionRecord {
        broker: row.try_get("broker")?,
        definition: parse("definition")?,
        state: row.try_get("state")?,
        steps_done: row.try_get("steps_done")?,
        snapshot: parse("snapshot")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
        name,
    })
}
