//! Test servers on 127.0.0.1: a scripted HTTP/1.1 server for the market-data
//! clients (it answers each connection with the next canned response and
//! records what was asked, so tests can check both sides of the wire), a
//! webhook that keeps what it is sent ([`webhook`]), and a mock Alpaca
//! ([`alpaca_mock`]) for paper sessions; and a throw-away PostgreSQL server
//! ([`Postgres`]) for the store's second backend.

pub mod alpaca_mock;
mod postgres;
mod watchdog;
pub mod webhook;

pub use postgres::Postgres;
pub use watchdog::Watchdog;

/// A tiny fixed-seed random generator (xorshift64): tests that pick random
/// points (where to kill a process) stay repeatable.
pub struct Xorshift(u64);

impl Xorshift {
    /// A generator from a non-zero `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// Reads one HTTP/1.1 request: its request line and headers (one per line)
/// and its body (by `Content-Length`); `None` once the connection is closed.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, Vec<u8>)> {
    let mut head = String::new();
    let mut line = String::new();
    let mut body_length = 0;
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            body_length = value.trim().parse().unwrap_or(0);
        }
        head.push_str(line.trim_end());
        head.push('\n');
    }
    let mut body = vec![0; body_length];
    std::io::Read::read_exact(reader, &mut body).ok()?;
    Some((head, body))
}

/// One canned answer.
#[derive(Clone, Debug)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// Extra header lines, e.g. `Retry-After: 0`.
    pub headers: Vec<String>,
    /// Body text.
    pub body: String,
}

impl Reply {
    /// A reply with `status` and `body` and no extra header.
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Self { status, headers: Vec::new(), body: body.into() }
    }

    /// Adds a header line.
    pub fn header(mut self, line: &str) -> Self {
        self.headers.push(line.to_owned());
        self
    }
}

/// What the server saw: each request's line and headers (then a blank line
/// and the body, if it had one), one string per request.
pub type RequestLog = Arc<Mutex<Vec<String>>>;

/// Serves `replies` in order, one per connection, on a free loopback port;
/// returns the base URL and the request log. The server stops after the last reply.
pub fn serve(replies: Vec<Reply>) -> (String, RequestLog) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let url = format!("http://{}", listener.local_addr().expect("bound address"));
    let log: RequestLog = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    std::thread::spawn(move || {
        for reply in replies {
            let Ok((stream, _)) = listener.accept() else { return };
            let mut reader = BufReader::new(stream);
            let Some((mut request, body)) = read_request(&mut reader) else { continue };
            // The body, if any, follows the headers after a blank line.
            if !body.is_empty() {
                request.push('\n');
                request.push_str(&String::from_utf8_lossy(&body));
            }
            if let Ok(mut requests) = seen.lock() {
                requests.push(request);
            }
            let mut head = format!(
                "HTTP/1.1 {} Reply\r\nContent-Length: {}\r\nConnection: close\r\n",
                reply.status,
                reply.body.len()
            );
            for header in &reply.headers {
                head.push_str(header);
                head.push_str("\r\n");
            }
            head.push_str("\r\n");
            let _ = reader.get_mut().write_all((head + &reply.body).as_bytes());
        }
    });
    (url, log)
}
