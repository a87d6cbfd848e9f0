//! A throw-away PostgreSQL 15 server for the tests: `initdb` and `pg_ctl` on a
//! temporary directory and a free loopback port, run as the `postgres` user
//! when the tests run as root (PostgreSQL refuses to run as root).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A running server; stopped and removed when dropped.
pub struct Postgres {
    dir: tempfile::TempDir,
    data: PathBuf,
    port: u16,
    as_postgres_user: bool,
}

fn run(as_postgres_user: bool, program: &str, args: &[&str]) -> std::process::Output {
    let mut command = if as_postgres_user {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", program]);
        c
    } else {
        Command::new(program)
    };
    command.args(args).output().unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Postgres {
    /// Starts a fresh server, or returns `None` (with the reason printed) when
    /// the PostgreSQL binaries are not on this machine.
    pub fn start() -> Option<Self> {
        if Command::new("initdb").arg("--version").output().is_err() {
            // CI sets this: there, a missing server is a failure, not a skip.
            assert!(
                std::env::var_os("GPT_TRADER_REQUIRE_POSTGRES").is_none(),
                "GPT_TRADER_REQUIRE_POSTGRES is set but initdb is not on the PATH"
            );
            eprintln!("PostgreSQL binaries (initdb, pg_ctl) not found; skipping the PostgreSQL backend");
            return None;
        }
        let as_postgres_user = is_root();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        if as_postgres_user {
            Command::new("chown").args(["-R", "postgres"]).arg(dir.path()).status().unwrap();
        }
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let data_text = data.to_string_lossy().into_owned();
        let init = run(as_postgres_user, "initdb", &["-D", &data_text, "-U", "postgres", "-A", "trust"]);
        assert!(init.status.success(), "initdb: {}", String::from_utf8_lossy(&init.stderr));
        let options = format!("-p {port} -h 127.0.0.1 -k {}", dir.path().display());
        let log = dir.path().join("log").to_string_lossy().into_owned();
        let start =
            run(as_postgres_user, "pg_ctl", &["-D", &data_text, "-o", &options, "-l", &log, "-w", "start"]);
        assert!(start.status.success(), "pg_ctl start: {}", String::from_utf8_lossy(&start.stderr));
        Some(Self { dir, data, port, as_postgres_user })
    }

    /// URL of the server's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The server's temporary directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data.to_string_lossy().into_owned();
        run(self.as_postgres_user, "pg_ctl", &["-D", &data, "-m", "immediate", "stop"]);
    }
}
