use crate::LiveError;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

/// Proof that this process runs a session: an exclusive lock on its lock
/// file, which the operating system releases when the process ends, however
/// it ends (a killed session never leaves a stale lock behind).
pub struct SessionLock {
    _file: File,
    path: std::path::PathBuf,
}

impl SessionLock {
    /// Takes the lock of `session` in `dir`; `None` when another process holds it.
    pub fn try_acquire(dir: &Path, session: &str) -> Result<Option<Self>, LiveError> {
        let path = dir.join(format!("{session}.lock"));
        let error = |source| LiveError::Lock {
            session: session.to_owned(),
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(error)?;
        let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(error)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Self { _file: file, path })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(source)) => Err(error(source)),
        }
    }

    /// True when a process holds the lock of `session` in `dir` (it is
    /// running). Asking leaves no lock file where there was none.
    pub fn is_held(dir: &Path, session: &str) -> Result<bool, LiveError> {
        if !dir.join(format!("{session}.lock")).exists() {
            return Ok(false);
        }
        Ok(Self::try_acquire(dir, session)?.is_none())
    }

    /// Lets the lock go and removes its file (the session is gone).
    pub fn remove(self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_turned_away_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = SessionLock::try_acquire(dir.path(), "s").unwrap();
        assert!(first.is_some());
        assert!(SessionLock::try_acquire(dir.path(), "s").unwrap().is_none());
        assert!(SessionLock::try_acquire(dir.path(), "other").unwrap().is_some());
        drop(first);
        assert!(SessionLock::try_acquire(dir.path(), "s").unwrap().is_some());
    }

    #[test]
    fn asking_leaves_no_file_and_removing_leaves_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!SessionLock::is_held(dir.path(), "never").unwrap());
        assert!(!dir.path().join("never.lock").exists());
        let lock = SessionLock::try_acquire(dir.path(), "gone").unwrap().unwrap();
        assert!(SessionLock::is_held(dir.path(), "gone").unwrap());
        lock.remove();
        assert!(!dir.path().join("gone.lock").exists());
    }
}
