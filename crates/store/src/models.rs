//! The model registry: trained models, their status, and every change of it.

use crate::paper::now_ms;
use crate::store::json;
use crate::{Store, StoreError};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A model to register.
#[derive(Clone, Debug, PartialEq)]
pub struct NewModel {
    /// Its id (a hash of what it is: the same model registers once).
    pub id: String,
    /// `gbm` or `logistic`.
    pub kind: String,
    /// The feature set's name.
    pub feature_set: String,
    /// The feature schema's hash: the model runs only on features of this schema.
    pub schema_hash: String,
    /// The label it was trained for (`forward:5`).
    pub label: String,
    /// Fingerprint of the bars it was trained on.
    pub data_fingerprint: String,
    /// What else defines it: seed, folds, embargo, symbol, training span.
    pub definition: Value,
    /// Its walk-forward scores.
    pub metrics: Value,
    /// The model itself, as its own JSON text.
    pub model: String,
}

/// A registered model.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelRecord {
    /// As registered.
    pub model: NewModel,
    /// `candidate`, `shadow`, `live` or `retired`.
    pub status: String,
    /// When it was registered, ms since the epoch.
    pub created_at_ms: i64,
    /// When its status last changed.
    pub updated_at_ms: i64,
}

/// One change of a model's status.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelChange {
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// The status before (none when it was registered).
    pub from: Option<String>,
    /// The status after.
    pub to: String,
    /// Who: `ml train`, `ml promote`, `ml promote --force`, ...
    pub origin: String,
    /// Why, if said.
    pub reason: Option<String>,
}

/// A query of models, ending in `$rest`.
macro_rules! select_models {
    ($rest:literal) => {
        concat!(
            "SELECT id, kind, status, feature_set, schema_hash, label, data_fingerprint, definition, metrics, \
             model, created_at, updated_at FROM models ",
            $rest
        )
    };
}

fn model_record(row: &AnyRow) -> Result<ModelRecord, StoreError> {
    let id: String = row.try_get("id")?;
    Ok(ModelRecord {
        model: NewModel {
            kind: row.try_get("kind")?,
            feature_set: row.try_get("feature_set")?,
            schema_hash: row.try_get("schema_hash")?,
            label: row.try_get("label")?,
            data_fingerprint: row.try_get("data_fingerprint")?,
            definition: json(row, &id, "definition")?,
            metrics: json(row, &id, "metrics")?,
            model: row.try_get("model")?,
            id,
        },
        status: row.try_get("status")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Registers `model` as a `candidate` (recorded as a change from
    /// `origin`); a model already registered under its id is left as it is.
    /// Returns the registered record.
    pub async fn register_model(&self, model: &NewModel, origin: &str) -> Result<ModelRecord, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO models (id, kind, status, feature_set, schema_hash, label, data_fingerprint, \
             definition, metrics, model, created_at, updated_at) \
             VALUES ($1, $2, 'candidate', $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&model.id)
        .bind(&model.kind)
        .bind(&model.feature_set)
        .bind(&model.schema_hash)
        .bind(&model.label)
        .bind(&model.data_fingerprint)
        .bind(model.definition.to_string())
        .bind(model.metrics.to_string())
        .bind(&model.model)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 1 {
            sqlx::query(
                "INSERT INTO model_changes (model_id, seq, at, from_status, to_status, origin, reason) \
                 VALUES ($1, 1, $2, NULL, 'candidate', $3, NULL)",
            )
            .bind(&model.id)
            .bind(now)
            .bind(origin)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.model(&model.id).await?.ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }

    /// The model `id`, if registered.
    pub async fn model(&self, id: &str) -> Result<Option<ModelRecord>, StoreError> {
        let row = sqlx::query(select_models!("WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.map(|row| model_record(&row)).transpose()
    }

    /// Every registered model, newest first.
    pub async fn models(&self) -> Result<Vec<ModelRecord>, StoreError> {
        let rows = sqlx::query(select_models!("ORDER BY created_at DESC, id")).fetch_all(&self.pool).await?;
        rows.iter().map(model_record).collect()
    }

    /// Sets the status of model `id` to `to` if it is `from` now (in one
    /// transaction, recorded with `origin` and `reason`); false if it was not.
    pub async fn change_model_status(
        &self,
        id: &str,
        from: &str,
        to: &str,
        origin: &str,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let changed =
            sqlx::query("UPDATE models SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
                .bind(to)
                .bind(now)
                .bind(id)
                .bind(from)
                .execute(&mut *tx)
                .await?;
        if changed.rows_affected() == 0 {
            return Ok(false);
        }
        let seq: i64 = sqlx::query("SELECT COUNT(*) AS n FROM model_changes WHERE model_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        sqlx::query(
            "INSERT INTO model_changes (model_id, seq, at, from_status, to_status, origin, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(seq + 1)
        .bind(now)
        .bind(from)
        .bind(to)
        .bind(origin)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The changes of model `id`'s status, oldest first.
    pub async fn model_changes(&self, id: &str) -> Result<Vec<ModelChange>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, from_status, to_status, origin, reason FROM model_changes WHERE model_id = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ModelChange {
                    at_ms: row.try_get("at")?,
                    from: row.try_get("from_status")?,
                    to: row.try_get("to_status")?,
                    origin: row.try_get("origin")?,
                    reason: row.try_get("reason")?,
                })
            })
            .collect()
    }
}
