//! A webhook on loopback for the notification tests: it keeps every JSON
//! body it is sent and answers 200, 500, or never.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The secret part of every webhook URL: a test checks it appears nowhere.
pub const TOKEN: &str = "T0KEN-6f1d2c-never-shown";

/// How long a hanging webhook holds a request (longer than any test).
const HANG: Duration = Duration::from_secs(900);

/// How a test webhook answers.
#[derive(Clone, Copy)]
#[allow(dead_code, reason = "each test binary that includes this module uses some of the answers")]
pub enum Answer {
    /// 200.
    Ok,
    /// 500 to everything.
    ServerError,
    /// Reads the request and never answers.
    Hang,
}

/// A webhook on loopback that keeps every body it is sent.
pub struct Webhook {
    /// Its URL, with [`TOKEN`] in the path.
    pub url: String,
    bodies: Arc<Mutex<Vec<Value>>>,
}

impl Webhook {
    /// A webhook answering as `answer`, serving until the test ends.
    pub fn start(answer: Answer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks/{TOKEN}", listener.local_addr().unwrap());
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&bodies);
        std::thread::spawn(move || {
            for connection in listener.incoming() {
                let Ok(connection) = connection else { return };
                let kept = Arc::clone(&kept);
                std::thread::spawn(move || serve(connection, &kept, answer));
            }
        });
        Self { url, bodies }
    }

    /// The bodies received so far, in order.
    pub fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().unwrap().clone()
    }
}

/// Serves the requests of one connection (reqwest keeps them alive).
fn serve(connection: TcpStream, kept: &Mutex<Vec<Value>>, answer: Answer) {
    let mut writer = connection.try_clone().unwrap();
    let mut reader = BufReader::new(connection);
    loop {
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        kept.lock().unwrap().push(serde_json::from_slice(&body).unwrap());
        let status = match answer {
            Answer::Ok => "200 OK",
            Answer::ServerError => "500 Internal Server Error",
            Answer::Hang => {
                std::thread::sleep(HANG);
                return;
            }
        };
        let _ = writer.write_all(format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n").as_bytes());
    }
}
