//! The stored runs as the runs page lists them, read from the store once and
//! again only when a run was saved or deleted, then sorted, filtered and
//! cut into pages in memory (a 10,000-run store answers in milliseconds).

use crate::error::Failure;
use gt_store::{RunFilter, RunRecord, Store};
use serde::Deserialize;
use std::sync::Arc;
use tokio::sync::RwLock;

/// Runs a page shows at most.
pub const PAGE_SIZE: usize = 100;

/// Columns the runs can be sorted by: the run's own fields, or any statistic.
const FIELDS: [&str; 3] = ["created", "strategy", "symbols"];

/// How to list runs: the runs page's and `/api/v1/runs`'s query.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RunQuery {
    /// `created` (default), `strategy`, `symbols`, or a statistic's key (`sharpe_ratio`).
    pub sort: Option<String>,
    /// `asc` or `desc` (default: newest or largest first).
    pub order: Option<String>,
    /// Words every listed run must contain (in its strategy, symbols, parameters or id).
    pub q: Option<String>,
    /// Runs skipped (for pages after the first).
    pub offset: usize,
    /// Runs listed (default [`PAGE_SIZE`], at most 1,000).
    pub limit: Option<usize>,
}

impl RunQuery {
    /// The sort column.
    pub fn sort_key(&self) -> &str {
        self.sort.as_deref().filter(|s| !s.is_empty()).unwrap_or("created")
    }

    /// Whether the order is ascending.
    pub fn ascending(&self) -> bool {
        self.order.as_deref() == Some("asc")
    }

    /// Runs per page.
    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(PAGE_SIZE).clamp(1, 1_000)
    }
}

/// One page of runs and how many matched in all.
pub struct RunPage {
    /// Runs matching the query.
    pub total: usize,
    /// The page's runs.
    pub runs: Vec<Arc<RunRecord>>,
}

/// Every stored run, as last read, with the store's version it was read at.
#[derive(Default)]
struct Snapshot {
    version: Option<(i64, i64)>,
    runs: Arc<Vec<Arc<RunRecord>>>,
}

/// The cached run list.
#[derive(Default)]
pub struct RunIndex {
    snapshot: RwLock<Snapshot>,
}

impl RunIndex {
    /// Every run, newest first, read again only if the store changed.
    pub async fn all(&self, store: &Store) -> Result<Arc<Vec<Arc<RunRecord>>>, Failure> {
        let version = store.runs_version().await?;
        {
            let snapshot = self.snapshot.read().await;
            if snapshot.version == Some(version) {
                return Ok(snapshot.runs.clone());
            }
        }
        let mut snapshot = self.snapshot.write().await;
        if snapshot.version != Some(version) {
            let runs = store.list(&RunFilter::default()).await?;
            snapshot.runs = Arc::new(runs.into_iter().map(Arc::new).collect());
            snapshot.version = Some(version);
        }
        Ok(snapshot.runs.clone())
    }

    /// The run whose id is `id` or starts with it (when only one does).
    pub async fn resolve(&self, store: &Store, id: &str) -> Result<String, Failure> {
        let runs = self.all(store).await?;
        if runs.iter().any(|r| r.id == id) {
            return Ok(id.to_owned());
        }
        let matching: Vec<&str> =
            runs.iter().filter(|r| !id.is_empty() && r.id.starts_with(id)).map(|r| r.id.as_str()).collect();
        match matching[..] {
            [only] => Ok(only.to_owned()),
            [] => Err(Failure::not_found(format!("no run {id} in the store"))),
            _ => Err(Failure::bad_request(format!(
                "{id} is the start of {} runs' ids; give more of it",
                matching.len()
            ))),
        }
    }

    /// The page of runs `query` asks for.
    pub async fn page(&self, store: &Store, query: &RunQuery) -> Result<RunPage, Failure> {
        let runs = self.all(store).await?;
        let key = query.sort_key();
        if !FIELDS.contains(&key) && !gt_analytics::Stats::keys().contains(&key) {
            return Err(Failure::bad_request(format!(
                "cannot sort by {key:?}: use created, strategy, symbols or a statistic such as sharpe_ratio"
            )));
        }
        let words: Vec<String> =
            query.q.as_deref().unwrap_or("").split_whitespace().map(str::to_lowercase).collect();
        let mut matching: Vec<Arc<RunRecord>> =
            runs.iter().filter(|run| words.is_empty() || matches_words(run, &words)).cloned().collect();
        sort(&mut matching, key, query.ascending());
        let total = matching.len();
        let runs = matching.into_iter().skip(query.offset).take(query.limit()).collect();
        Ok(RunPage { total, runs })
    }
}

/// Whether every one of `words` (lower case) appears in the run's id, strategy, symbols or parameters.
fn matches_words(run: &RunRecord, words: &[String]) -> bool {
    let text = format!("{} {} {} {}", run.id, run.run.strategy, run.run.symbols.join(" "), run.run.params)
        .to_lowercase();
    words.iter().all(|w| text.contains(w.as_str()))
}

/// Sorts `runs` by `key`; runs without a value for a statistic go last either way.
fn sort(runs: &mut [Arc<RunRecord>], key: &str, ascending: bool) {
    let direction = |o: std::cmp::Ordering| if ascending { o } else { o.reverse() };
    match key {
        "created" => runs.sort_by(|a, b| direction((a.created_at_ms, &a.id).cmp(&(b.created_at_ms, &b.id)))),
        "strategy" => runs.sort_by(|a, b| direction(a.run.strategy.cmp(&b.run.strategy))),
        "symbols" => runs.sort_by(|a, b| direction(a.run.symbols.cmp(&b.run.symbols))),
        stat => runs.sort_by(|a, b| {
            let (x, y) = (gt_runner::records::stat(a, stat), gt_runner::records::stat(b, stat));
            match (x.is_finite(), y.is_finite()) {
                (true, true) => direction(x.total_cmp(&y)),
                (a_ok, b_ok) => b_ok.cmp(&a_ok),
            }
        }),
    }
}
