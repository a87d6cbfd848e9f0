//! Parameter-sweep studies in the store: each study's definition and its
//! trials, written in batches as they finish.

use crate::paper::now_ms;
use crate::store::json;
use crate::{Store, StoreError};
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A study as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct StudyRecord {
    /// Its name (`--study`).
    pub name: String,
    /// What defines it: a resumed study or a shard must match it.
    pub definition: Value,
    /// When it was created, ms since the epoch.
    pub created_at_ms: i64,
    /// When a trial was last written, ms since the epoch.
    pub updated_at_ms: i64,
    /// The run saved for its best trial, once there is one.
    pub best_run_id: Option<String>,
    /// Trials written so far.
    pub trials: i64,
    /// The work those trials were: work counted by [`Store::record_trials`].
    pub work: StudyWork,
}

/// Work done for a study: with several shards, the sum of theirs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StudyWork {
    /// Bars evaluated: each trial run counts the bars it read.
    pub bar_evaluations: i64,
    /// Wall time spent running those trials, in ms (each shard its own).
    pub busy_ms: i64,
}

impl StudyWork {
    /// Bar evaluations per second of one shard's wall time; `None` before any was timed.
    pub fn per_second(&self) -> Option<f64> {
        (self.busy_ms > 0).then(|| self.bar_evaluations as f64 * 1000.0 / self.busy_ms as f64)
    }
}

/// One finished trial of a study.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialRecord {
    /// Its index in the study (stable across resumes and shards).
    pub index: i64,
    /// Its parameters (`{"fast": 10, "slow": 30}`).
    pub params: Value,
    /// The objective's value; `None` when undefined.
    pub value: Option<f64>,
    /// Its statistics by key.
    pub stats: Value,
    /// The moments of its periodic returns.
    pub moments: Value,
}

/// A query of studies with their trial counts, ending in `$rest`.
macro_rules! select_studies {
    ($rest:literal) => {
        concat!(
            "SELECT name, definition, created_at, updated_at, best_run_id, bar_evaluations, busy_ms, \
             (SELECT COUNT(*) FROM trials WHERE trials.study = studies.name) AS trial_count FROM studies ",
            $rest
        )
    };
}

fn study_record(row: &AnyRow) -> Result<StudyRecord, StoreError> {
    let name: String = row.try_get("name")?;
    Ok(StudyRecord {
        definition: json(row, &name, "definition")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
        best_run_id: row.try_get("best_run_id")?,
        trials: row.try_get("trial_count")?,
        work: StudyWork {
            bar_evaluations: row.try_get("bar_evaluations")?,
            busy_ms: row.try_get("busy_ms")?,
        },
        name,
    })
}

impl Store {
    /// The study `name`, created with `definition` if it does not exist
    /// (two shards starting together create it once).
    pub async fn open_study(&self, name: &str, definition: &Value) -> Result<StudyRecord, StoreError> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO studies (name, definition, created_at, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(definition.to_string())
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        self.study(name).await?.ok_or(StoreError::Database(sqlx::Error::RowNotFound))
    }

    /// The study `name`, if there is one.
    pub async fn study(&self, name: &str) -> Result<Option<StudyRecord>, StoreError> {
        let row =
            sqlx::query(select_studies!("WHERE name = $1")).bind(name).fetch_optional(&self.pool).await?;
        row.map(|row| study_record(&row)).transpose()
    }

    /// Every study, newest first.
    pub async fn studies(&self) -> Result<Vec<StudyRecord>, StoreError> {
        let rows =
            sqlx::query(select_studies!("ORDER BY created_at DESC, name")).fetch_all(&self.pool).await?;
        rows.iter().map(study_record).collect()
    }

    /// Writes finished trials of `study` in one transaction, with the work
    /// it took to run them (added to the study's); a trial already there
    /// (from another shard, or before a crash) is kept as it was.
    pub async fn record_trials(
        &self,
        study: &str,
        trials: &[TrialRecord],
        work: StudyWork,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        for trial in trials {
            sqlx::query(
                "INSERT INTO trials (study, trial_index, params, value, stats, moments, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (study, trial_index) DO NOTHING",
            )
            .bind(study)
            .bind(trial.index)
            .bind(trial.params.to_string())
            .bind(trial.value.filter(|v| v.is_finite()))
            .bind(trial.stats.to_string())
            .bind(trial.moments.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE studies SET updated_at = $1, bar_evaluations = bar_evaluations + $2, \
             busy_ms = busy_ms + $3 WHERE name = $4",
        )
        .bind(now)
        .bind(work.bar_evaluations)
        .bind(work.busy_ms)
        .bind(study)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The trials of `study`, by index.
    pub async fn trials(&self, study: &str) -> Result<Vec<TrialRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT trial_index, params, value, stats, moments FROM trials WHERE study = $1 ORDER BY trial_index",
        )
        .bind(study)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let id = format!("{study} trial {}", row.try_get::<i64, _>("trial_index")?);
                Ok(TrialRecord {
                    index: row.try_get("trial_index")?,
                    params: json(row, &id, "params")?,
                    value: row.try_get("value")?,
                    stats: json(row, &id, "stats")?,
                    moments: json(row, &id, "moments")?,
                })
            })
            .collect()
    }

    /// Records `run_id` as the saved run of `study`'s best trial.
    pub async fn set_study_best_run(&self, study: &str, run_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE studies SET best_run_id = $1 WHERE name = $2")
            .bind(run_id)
            .bind(study)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes the study `name` and its trials; false if there was none.
    pub async fn delete_study(&self, name: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM trials WHERE study = $1").bind(name).execute(&mut *tx).await?;
        let deleted = sqlx::query("DELETE FROM studies WHERE name = $1").bind(name).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(deleted.rows_affected() > 0)
    }
}
