//! Shadow models' journals: each bar's prediction and the hypothetical book
//! beside it, written once per bar however often it is followed again.

use crate::{Store, StoreError};
use sqlx::Row;

/// One bar of a shadow model, as journaled.
#[derive(Clone, Debug, PartialEq)]
pub struct ShadowRow {
    /// The model.
    pub model_id: String,
    /// The bar's instrument.
    pub symbol: String,
    /// The bar's time, ns since the epoch.
    pub ts: i64,
    /// The bar's close.
    pub close: f64,
    /// The model's probability of a rise (none while its features warm up).
    pub probability: Option<f64>,
    /// Signed units the hypothetical book holds in the symbol after the bar.
    pub position: f64,
    /// The hypothetical book's equity after the bar.
    pub equity: f64,
    /// Trades the hypothetical book has closed so far.
    pub trades: i64,
    /// The orders it would have sent on this bar (JSON text: a list).
    pub orders: String,
}

/// A journal row's insert, with `$values` after `($1, ..., $5, `.
macro_rules! insert_shadow_row {
    ($values:literal) => {
        concat!(
            "INSERT INTO shadow_predictions (owner, model_id, symbol, ts, close, probability, position, equity, \
             trades, orders) VALUES ($1, $2, $3, $4, $5, ",
            $values,
            ") ON CONFLICT (owner, model_id, symbol, ts) DO NOTHING"
        )
    };
}

/// Journals a row with a probability.
const INSERT_PREDICTED: &str = insert_shadow_row!("$6, $7, $8, $9, $10");

/// Journals a row without one: sqlx's Any driver gives a bound NULL no type
/// PostgreSQL takes for a DOUBLE PRECISION, so the NULL is in the SQL.
const INSERT_UNPREDICTED: &str = insert_shadow_row!("NULL, $6, $7, $8, $9");

impl Store {
    /// Journals `rows` for `owner` (`session:NAME`, `run:ID`) in one
    /// transaction; a row already journaled (same model, symbol and time) is
    /// left as it is. Returns how many were new.
    pub async fn journal_shadow(&self, owner: &str, rows: &[ShadowRow]) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut inserted = 0;
        for row in rows {
            let sql = if row.probability.is_some() { INSERT_PREDICTED } else { INSERT_UNPREDICTED };
            let query = sqlx::query(sql)
                .bind(owner)
                .bind(&row.model_id)
                .bind(&row.symbol)
                .bind(row.ts)
                .bind(row.close);
            let query = match row.probability {
                Some(p) => query.bind(p),
                None => query,
            };
            inserted += query
                .bind(row.position)
                .bind(row.equity)
                .bind(row.trades)
                .bind(&row.orders)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.commit().await?;
        Ok(inserted)
    }

    /// The journal of `owner`, every model's, in model, time and symbol order.
    pub async fn shadow_rows(&self, owner: &str) -> Result<Vec<ShadowRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT model_id, symbol, ts, close, probability, position, equity, trades, orders \
             FROM shadow_predictions WHERE owner = $1 ORDER BY model_id, ts, symbol",
        )
        .bind(owner)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ShadowRow {
                    model_id: row.try_get("model_id")?,
                    symbol: row.try_get("symbol")?,
                    ts: row.try_get("ts")?,
                    close: row.try_get("close")?,
                    probability: row.try_get("probability")?,
                    position: row.try_get("position")?,
                    equity: row.try_get("equity")?,
                    trades: row.try_get("trades")?,
                    orders: row.try_get("orders")?,
                })
            })
            .collect()
    }

    /// The owners whose journals hold model `model_id`, with how many bars
    /// each, most bars first.
    pub async fn shadow_owners(&self, model_id: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT owner, COUNT(*) AS bars FROM shadow_predictions WHERE model_id = $1 \
             GROUP BY owner ORDER BY bars DESC, owner",
        )
        .bind(model_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((row.try_get("owner")?, row.try_get("bars")?))).collect()
    }
}
