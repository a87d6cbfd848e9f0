//! The run store, opened before a run so that one that cannot be written
//! fails before any work is done.

use crate::RunError;
use gt_store::{NewRun, RunDetails, Store};

/// `url` without its password, for messages.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Opens the store at `url` on a single-threaded runtime its connections
/// belong to (work that keeps both, like a paper session, takes them apart).
pub fn open_with_runtime(url: &str) -> Result<(Store, tokio::runtime::Runtime), RunError> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|source| {
        RunError::Io { what: "starting the store's runtime".to_owned(), path: url.into(), source }
    })?;
    let store = runtime.block_on(Store::open(url)).map_err(|source| RunError::Store {
        context: format!("opening the run store {}", redacted(url)),
        source,
    })?;
    Ok((store, runtime))
}

/// The id of the one run whose id is `id` or starts with it (ids are long:
/// a unique prefix names a run, as in git), or why there is none.
pub async fn resolve_run_id(store: &Store, id: &str) -> Result<String, RunError> {
    let ids: Vec<String> =
        store.list(&gt_store::RunFilter::default()).await?.into_iter().map(|r| r.id).collect();
    if ids.iter().any(|known| known == id) {
        return Ok(id.to_owned());
    }
    let matching: Vec<&String> = ids.iter().filter(|known| !id.is_empty() && known.starts_with(id)).collect();
    match matching[..] {
        [only] => Ok(only.clone()),
        [] => Err(RunError::invalid(format!("no run {id} in the store; see gpt-trader runs list"))),
        _ => Err(RunError::invalid(format!(
            "{id} is the start of {} runs' ids ({}); give more of it",
            matching.len(),
            matching.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// A store with the single-threaded runtime its connections belong to.
pub struct OpenStore {
    runtime: tokio::runtime::Runtime,
    store: Store,
}

impl OpenStore {
    /// Opens the store at `url` (creating its schema if needed).
    pub fn open(url: &str) -> Result<Self, RunError> {
        let (store, runtime) = open_with_runtime(url)?;
        Ok(Self { runtime, store })
    }

    /// Saves a run; returns its id.
    pub fn save(&self, run: &NewRun, details: &RunDetails) -> Result<String, RunError> {
        self.runtime
            .block_on(self.store.save(run, details))
            .map_err(|source| RunError::Store { context: "saving the run".to_owned(), source })
    }

    /// Runs `work` against the store on its runtime.
    pub fn block_on<T>(&self, work: impl AsyncFnOnce(&Store) -> T) -> T {
        self.runtime.block_on(work(&self.store))
    }
}

impl Drop for OpenStore {
    fn drop(&mut self) {
        // Connections are handed back on the runtime they came from.
        self.runtime.block_on(self.store.close());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redacted("postgres://trader:s3cret@db:5432/runs"), "postgres://trader:***@db:5432/runs");
        assert_eq!(redacted("sqlite:///tmp/runs.db"), "sqlite:///tmp/runs.db");
    }
}
