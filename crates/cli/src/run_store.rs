//! Where runs are recorded, and how a backtest becomes a stored run.

use anyhow::{Context, Result, bail};
use gt_model::BarSeries;
use gt_store::{NewRun, RunDetails, Store};
use std::path::{Path, PathBuf};

/// `--data-dir`, when given on the command line (set once, at start-up).
static DATA_DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Makes `dir` the data folder for this run (the global `--data-dir` option).
pub fn set_data_dir(dir: PathBuf) {
    let _ = DATA_DIR.set(dir);
}

/// The folder GPT-Trader keeps its data in: `--data-dir`, else
/// `GPT_TRADER_DATA`, else `$XDG_DATA_HOME/gpt-trader`, else `~/.local/share/gpt-trader`
/// (an empty variable counts as unset).
pub fn data_dir() -> Result<PathBuf> {
    if let Some(dir) = DATA_DIR.get() {
        return Ok(dir.clone());
    }
    // An empty variable counts as unset (not as the current folder).
    let set = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(dir) = set("GPT_TRADER_DATA") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(xdg) = set("XDG_DATA_HOME") {
        return Ok(PathBuf::from(xdg).join("gpt-trader"));
    }
    let home = std::env::var_os("HOME").context("cannot find a data folder: set GPT_TRADER_DATA or HOME")?;
    Ok(PathBuf::from(home).join(".local/share/gpt-trader"))
}

/// The store's URL: `--db`, else `GPT_TRADER_DB`, else `runs.db` in the data folder.
pub fn database_url(cli: Option<&str>) -> Result<String> {
    if let Some(url) = cli.map(str::to_owned).or_else(|| std::env::var("GPT_TRADER_DB").ok()) {
        return Ok(url);
    }
    let dir = data_dir()?;
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the data folder {}", dir.display()))?;
    Ok(format!("sqlite://{}", dir.join("runs.db").display()))
}

/// Runs `work` against the store at `url` on a single-threaded runtime.
pub fn with_store<T>(url: &str, work: impl AsyncFnOnce(&Store) -> Result<T>) -> Result<T> {
    let open = OpenStore::open(url)?;
    open.runtime.block_on(work(&open.store))
}

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

/// A stable fingerprint of the bars a run used (FNV-1a 64 over every field).
pub fn fingerprint(series: &[BarSeries]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for s in series {
        feed(s.symbol().as_str().as_bytes());
        for i in 0..s.len() {
            let bar = s.bar(i);
            feed(&bar.ts.nanos().to_le_bytes());
            for value in [bar.open, bar.high, bar.low, bar.close, bar.volume] {
                feed(&value.to_bits().to_le_bytes());
            }
        }
    }
    format!("{hash:016x}")
}

/// A run store opened before a run, so that one that cannot be written is
/// found before any work is done.
pub struct OpenStore {
    runtime: tokio::runtime::Runtime,
    store: Store,
}

impl OpenStore {
    /// Opens the store at `url` (creating its schema if needed).
    pub fn open(url: &str) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let store = runtime
            .block_on(Store::open(url))
            .with_context(|| format!("opening the run store {}", redacted(url)))?;
        Ok(Self { runtime, store })
    }

    /// Saves a run; returns its id.
    pub fn save(&self, run: &NewRun, details: &RunDetails) -> Result<String> {
        Ok(self.runtime.block_on(self.store.save(run, details))?)
    }
}

impl Drop for OpenStore {
    fn drop(&mut self) {
        // Connections are handed back on the runtime they came from.
        self.runtime.block_on(self.store.close());
    }
}

/// Fails unless a file can be written at `path`: its folder exists and takes
/// new files, and `path` is not a folder. Nothing is left behind.
pub fn check_writable(path: &Path, what: &str) -> Result<()> {
    let shown = path.display();
    if path.is_dir() {
        bail!("{what} {shown} is a folder; give a file name");
    }
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        bail!("{what} {shown}: the folder {} does not exist", folder.display());
    }
    let probe = folder.join(format!(".gpt-trader-write-check-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe)
        .map_err(|e| anyhow::anyhow!("{what} {shown}: cannot write in {}: {e}", folder.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
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
