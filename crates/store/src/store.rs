use crate::StoreError;
use serde_json::Value;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Longest [`Store::open`] waits for the first connection.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Connects once to `url` and reads from it, within `timeout`: the real cause
/// of a store that cannot be used (refused, unknown host, authentication,
/// not a database, permission denied).
async fn probe(url: &str, sqlite: bool, timeout: std::time::Duration) -> Result<(), StoreError> {
    use sqlx::Connection;
    let attempt = async {
        let mut connection = sqlx::AnyConnection::connect(url).await?;
        if sqlite {
            // Another process may hold the write lock: wait for it as the pool does.
            sqlx::query(SQLITE_BUSY_TIMEOUT).execute(&mut connection).await?;
        }
        // SQLite opens files lazily: reading the schema is what finds a file that is no database.
        let check = if sqlite { "PRAGMA schema_version" } else { "SELECT 1" };
        sqlx::query(check).execute(&mut connection).await?;
        connection.close().await?;
        Ok::<(), sqlx::Error>(())
    };
    if sqlite {
        // A local file: nothing to time out on but a lock, which is waited for.
        return attempt.await.map_err(StoreError::from);
    }
    match tokio::time::timeout(timeout, attempt).await {
        Ok(result) => result.map_err(StoreError::from),
        Err(_) => Err(StoreError::Unreachable { seconds: timeout.as_secs() }),
    }
}

/// How long an SQLite connection waits for another process's write lock.
const SQLITE_BUSY_TIMEOUT: &str = "PRAGMA busy_timeout = 30000";

/// What a run is, before it has an id.
#[derive(Clone, Debug, PartialEq)]
pub struct NewRun {
    /// `backtest`, later `optimize`, `paper`, `ml`.
    pub kind: String,
    /// Strategy (or strategies, joined with ` + `).
    pub strategy: String,
    /// Symbols traded.
    pub symbols: Vec<String>,
    /// Strategy parameters.
    pub params: Value,
    /// The whole run configuration (costs, risk, allocation, …).
    pub config: Value,
    /// Hash of the bars used, so a rerun can tell whether the data changed.
    pub data_fingerprint: String,
    /// Version of the program that ran it.
    pub code_version: String,
    /// Wall time the run took.
    pub elapsed_ms: i64,
    /// Bars the run read, summed over its symbols (0 in runs stored before
    /// it was kept): with `elapsed_ms`, its throughput.
    pub bars: i64,
    /// Statistics by name.
    pub stats: Value,
}

/// The large parts of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunDetails {
    /// Closed trades.
    pub trades: Value,
    /// Equity curve.
    pub equity: Value,
    /// Orders the risk engine refused.
    pub refusals: Value,
    /// What the HTML report is drawn from.
    pub chart: Value,
}

/// A stored run's summary.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    /// Run id.
    pub id: String,
    /// When it was stored, milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// The run as described when saved.
    pub run: NewRun,
}

/// Which runs to list.
#[derive(Clone, Debug, Default)]
pub struct RunFilter {
    /// Only runs of this strategy.
    pub strategy: Option<String>,
    /// Only runs trading this symbol.
    pub symbol: Option<String>,
    /// Only runs stored at or after this time (ms since the epoch).
    pub since_ms: Option<i64>,
}

/// A connection pool to the run store (cheap to clone: clones share the pool).
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
}

/// Runs saved by this process, to keep ids unique within a millisecond.
static SAVED: AtomicU64 = AtomicU64::new(0);

/// The creation time in ms and a run id: the time to the nanosecond (so ids
/// sort by time), then the process and a per-process counter (so they are unique).
fn new_id() -> (i64, String) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let count = SAVED.fetch_add(1, Ordering::Relaxed);
    let id = format!(
        "{:012x}{:05x}-{:06x}{:03x}",
        now.as_millis(),
        now.subsec_nanos() % 1_000_000,
        std::process::id() & 0xff_ffff,
        count & 0xfff
    );
    (now.as_millis() as i64, id)
}

impl Store {
    /// Opens (creating if needed) the store at `url` and brings its schema up
    /// to date; a server that does not answer within [`CONNECT_TIMEOUT`] is
    /// reported then (an SQLite file locked by another process is waited for).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_within(url, CONNECT_TIMEOUT).await
    }

    /// [`Store::open`], waiting at most `connect_timeout` for the first connection.
    pub async fn open_within(url: &str, connect_timeout: std::time::Duration) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        if !sqlite && !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        }
        let url = if sqlite && !url.contains('?') { format!("{url}?mode=rwc") } else { url.to_owned() };
        // One connection first, alone: the pool would retry a refused
        // connection or a file that is no database until its acquire timeout,
        // then say only that it timed out. This says why, at once.
        probe(&url, sqlite, connect_timeout).await?;
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 1 } else { 4 })
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if sqlite {
                        // Several processes may write at once: wait for the lock, don't fail.
                        sqlx::query(SQLITE_BUSY_TIMEOUT).execute(&mut *connection).await?;
                        // With WAL, NORMAL commits survive a killed process (what the
                        // paper journal must survive) without an fsync per commit; only
                        // an OS crash or power loss can take back the last commits.
                        sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *connection).await?;
                        sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *connection).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        // PostgreSQL serialises concurrent migrations with an advisory lock;
        // SQLite does not, so a process opening a new store while another
        // creates it may find the tables made under it, or the file locked
        // while the other switches it to WAL (which waits for no lock). Each
        // migration runs in a transaction, so it is rolled back and the retry
        // sees it applied.
        let mut attempt = 0;
        loop {
            let prepared = async {
                if sqlite {
                    sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
                }
                sqlx::migrate!("./migrations").run(&pool).await.map_err(StoreError::from)
            };
            match prepared.await {
                Ok(()) => break,
                Err(_) if sqlite && attempt < 10 => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
                }
                Err(error) => return Err(error),
            }
        }
        Ok(Self { pool })
    }

    /// Closes the pool: waits for connections in use to come back, then
    /// closes them all (a short-lived user should, so that no connection
    /// outlives its runtime holding a lock).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Stores a run and its details in one transaction; returns its id.
    pub async fn save(&self, run: &NewRun, details: &RunDetails) -> Result<String, StoreError> {
        let (created_at_ms, id) = new_id();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO runs (id, created_at, kind, strategy, symbols, params, config, data_fingerprint, \
             code_version, elapsed_ms, bars, stats) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&id)
        .bind(created_at_ms)
        .bind(&run.kind)
        .bind(&run.strategy)
        .bind(run.symbols.join(","))
        .bind(run.params.to_string())
        .bind(run.config.to_string())
        .bind(&run.data_fingerprint)
        .bind(&run.code_version)
        .bind(run.elapsed_ms)
        .bind(run.bars)
        .bind(run.stats.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO run_details (run_id, trades, equity, refusals, chart) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(details.trades.to_string())
        .bind(details.equity.to_string())
        .bind(details.refusals.to_string())
        .bind(details.chart.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Runs matching `filter`, newest first.
    pub async fn list(&self, filter: &RunFilter) -> Result<Vec<RunRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, created_at, kind, strategy, symbols, params, config, data_fingerprint, code_version, \
             elapsed_ms, bars, stats FROM runs WHERE created_at >= $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(filter.since_ms.unwrap_or(i64::MIN))
        .fetch_all(&self.pool)
        .await?;
        let records = rows.iter().map(record).collect::<Result<Vec<_>, _>>()?;
        Ok(records
            .into_iter()
            .filter(|r| filter.strategy.as_ref().is_none_or(|s| &r.run.strategy == s))
            .filter(|r| {
                filter.symbol.as_ref().is_none_or(|s| r.run.symbols.iter().any(|x| x.eq_ignore_ascii_case(s)))
            })
            .collect())
    }

    /// A value that changes whenever a run is saved or deleted (the number
    /// of runs and the newest one's time): a reader caching the list asks
    /// this instead of reading every run again.
    pub async fn runs_version(&self) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n, COALESCE(MAX(created_at), 0) AS newest FROM runs")
            .fetch_one(&self.pool)
            .await?;
        Ok((row.try_get("n")?, row.try_get("newest")?))
    }

    /// The bars and wall time of the newest stored backtest that recorded
    /// its bars: how fast the last backtest went, end to end.
    pub async fn latest_backtest_pace(&self) -> Result<Option<(i64, i64)>, StoreError> {
        let row = sqlx::query(
            "SELECT bars, elapsed_ms FROM runs WHERE kind = 'backtest' AND bars > 0 \
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((row.try_get("bars")?, row.try_get("elapsed_ms")?))).transpose()
    }

    /// One run with its details, `None` if there is no such run.
    pub async fn get(&self, id: &str) -> Result<Option<(RunRecord, RunDetails)>, StoreError> {
        let row = sqlx::query(
            "SELECT r.id, r.created_at, r.kind, r.strategy, r.symbols, r.params, r.config, r.data_fingerprint, \
             r.code_version, r.elapsed_ms, r.bars, r.stats, d.trades, d.equity, d.refusals, d.chart \
             FROM runs r JOIN run_details d ON d.run_id = r.id WHERE r.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let details = RunDetails {
            trades: json(&row, id, "trades")?,
            equity: json(&row, id, "equity")?,
            refusals: json(&row, id, "refusals")?,
            chart: json(&row, id, "chart")?,
        };
        Ok(Some((record(&row)?, details)))
    }

    /// Deletes a run; false if there was none.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM run_details WHERE run_id = $1").bind(id).execute(&mut *tx).await?;
        let deleted = sqlx::query("DELETE FROM runs WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(deleted.rows_affected() > 0)
    }
}

/// The JSON text in `column` of `row` (of the run, session or study `id`), parsed.
pub(crate) fn json(row: &AnyRow, id: &str, column: &'static str) -> Result<Value, StoreError> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|source| StoreError::CorruptJson {
        id: id.to_owned(),
        column,
        source,
    })
}

fn record(row: &AnyRow) -> Result<RunRecord, StoreError> {
    let id: String = row.try_get("id")?;
    let symbols: String = row.try_get("symbols")?;
    Ok(RunRecord {
        created_at_ms: row.try_get("created_at")?,
        run: NewRun {
            kind: row.try_get("kind")?,
            strategy: row.try_get("strategy")?,
            symbols: symbols.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            params: json(row, &id, "params")?,
            config: json(row, &id, "config")?,
            data_fingerprint: row.try_get("data_fingerprint")?,
            code_version: row.try_get("code_version")?,
            elapsed_ms: row.try_get("elapsed_ms")?,
            bars: row.try_get("bars")?,
            stats: json(row, &id, "stats")?,
        },
        id,
    })
}
