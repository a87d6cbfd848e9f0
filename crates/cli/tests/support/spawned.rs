//! A server process started by a test or bench, found by the address it prints.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed when dropped.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns `command` with stderr piped and waits (at most `limit`) for the
/// line starting with `prefix` (`"Dashboard on http://"`); returns the child
/// and `http://ADDRESS`. Its stderr is read to the end on a thread of its own:
/// a pipe closed early would make the server's next message fail.
pub fn spawn_serving(mut command: Command, prefix: &str, limit: Duration) -> (Running, String) {
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("the server starts");
    let pipe = BufReader::new(child.stderr.take().expect("its stderr"));
    let child = Running(child);
    let (lines, said) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in pipe.lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let started = Instant::now();
    loop {
        let left = limit.saturating_sub(started.elapsed());
        let line = said
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no line starting {prefix:?} within {limit:?}"));
        if let Some(rest) = line.strip_prefix(prefix) {
            let address = rest.split('/').next().unwrap_or_default();
            return (child, format!("http://{address}"));
        }
    }
}
