//! A bound on how long a test may wait: a test that waits on a server, a
//! session or a stream holds a [`Watchdog`]; if the test is still running
//! when its limit passes, the whole test process fails at once with a message
//! naming the test, instead of hanging until CI's time runs out.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Armed while alive; dropping it (the test ended, passed or panicked) disarms it.
pub struct Watchdog {
    done: Arc<(Mutex<bool>, Condvar)>,
}

impl Watchdog {
    /// Arms a watchdog for the current test (named after its thread, as the
    /// test harness names it) that ends the process after `limit`.
    pub fn new(limit: Duration) -> Self {
        let name = std::thread::current().name().unwrap_or("a test").to_owned();
        let done = Arc::new((Mutex::new(false), Condvar::new()));
        let watched = Arc::clone(&done);
        std::thread::spawn(move || {
            let (lock, ended) = &*watched;
            let deadline = Instant::now() + limit;
            let mut finished = lock.lock().unwrap_or_else(|e| e.into_inner());
            while !*finished {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    // Straight to the process's stderr: the harness captures only the test's own prints.
                    let _ = writeln!(
                        std::io::stderr().lock(),
                        "\nWATCHDOG: {name} still running after {} s: it is hung (a server, session or \
                         stream never answered); failing the test process",
                        limit.as_secs()
                    );
                    std::process::exit(101);
                }
                finished = ended.wait_timeout(finished, left).unwrap_or_else(|e| e.into_inner()).0;
            }
        });
        Self { done }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let (lock, ended) = &*self.done;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        ended.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disarmed_watchdog_lets_the_process_live() {
        let watchdog = Watchdog::new(Duration::from_millis(200));
        drop(watchdog);
        std::thread::sleep(Duration::from_millis(400));
    }

    /// Hangs when run as the child of the test below; passes at once otherwise.
    #[test]
    fn hangs_when_asked_to() {
        if std::env::var_os("GT_TESTKIT_HANG").is_some() {
            let _watchdog = Watchdog::new(Duration::from_millis(100));
            std::thread::sleep(Duration::from_secs(60));
        }
    }

    #[test]
    fn an_expired_watchdog_fails_the_process_naming_the_test() {
        let started = Instant::now();
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "watchdog::tests::hangs_when_asked_to"])
            .env("GT_TESTKIT_HANG", "1")
            .output()
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(30));
        assert_eq!(output.status.code(), Some(101));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("WATCHDOG: watchdog::tests::hangs_when_asked_to still running"), "{stderr}");
    }
}
