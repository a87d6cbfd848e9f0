//! Where GPT-Trader keeps its data, and checking that outputs can be written.

use crate::RunError;
use std::path::{Path, PathBuf};

/// `--data-dir`, when given on the command line (set once, at start-up).
static DATA_DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Makes `dir` the data folder for this process (the global `--data-dir` option).
pub fn set_data_dir(dir: PathBuf) {
    let _ = DATA_DIR.set(dir);
}

/// The folder GPT-Trader keeps its data in: `--data-dir`, else
/// `GPT_TRADER_DATA`, else `$XDG_DATA_HOME/gpt-trader`, else `~/.local/share/gpt-trader`
/// (an empty variable counts as unset, not as the current folder).
pub fn data_dir() -> Result<PathBuf, RunError> {
    if let Some(dir) = DATA_DIR.get() {
        return Ok(dir.clone());
    }
    let set = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
    if let Some(dir) = set("GPT_TRADER_DATA") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(xdg) = set("XDG_DATA_HOME") {
        return Ok(PathBuf::from(xdg).join("gpt-trader"));
    }
    let home = std::env::var_os("HOME")
        .ok_or_else(|| RunError::invalid("cannot find a data folder: set GPT_TRADER_DATA or HOME"))?;
    Ok(PathBuf::from(home).join(".local/share/gpt-trader"))
}

/// The bar cache of the data folder.
pub fn bar_cache() -> Result<gt_data::cache::BarCache, RunError> {
    Ok(gt_data::cache::BarCache::new(data_dir()?.join("bars")))
}

/// The store's URL: `cli` (`--db`), else `GPT_TRADER_DB`, else `runs.db` in the data folder.
pub fn database_url(cli: Option<&str>) -> Result<String, RunError> {
    if let Some(url) = cli.map(str::to_owned).or_else(|| std::env::var("GPT_TRADER_DB").ok()) {
        return Ok(url);
    }
    let dir = data_dir()?;
    std::fs::create_dir_all(&dir).map_err(|source| RunError::Io {
        what: "cannot create the data folder".to_owned(),
        path: dir.clone(),
        source,
    })?;
    Ok(format!("sqlite://{}", dir.join("runs.db").display()))
}

/// Fails unless a file can be written at `path`: its folder exists and takes
/// new files, and `path` is not a folder. Nothing is left behind. `what`
/// names the output in the message (`--report`).
pub fn check_writable(path: &Path, what: &str) -> Result<(), RunError> {
    let shown = path.display();
    if path.is_dir() {
        return Err(RunError::invalid(format!("{what} {shown} is a folder; give a file name")));
    }
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(RunError::invalid(format!(
            "{what} {shown}: the folder {} does not exist",
            folder.display()
        )));
    }
    let probe = folder.join(format!(".gpt-trader-write-check-{}", std::process::id()));
    std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(&probe).map_err(|e| {
        RunError::invalid(format!("{what} {shown}: cannot write in {}: {e}", folder.display()))
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}
