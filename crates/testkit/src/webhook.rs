//! A webhook on loopback for the notification tests: it keeps every JSON
//! body it is sent, on connections kept alive, and answers 200, 500, or
//! never.

use crate::read_request;
use serde_json::Value;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The secret part of every webhook's URL: tests check it appears nowhere.
pub const WEBHOOK_TOKEN: &str = "T0KEN-6f1d2c-never-shown";

/// How long a hanging webhook holds a request (longer than any test).
const HANG: Duration = Duration::from_secs(900);

/// How a webhook answers.
#[derive(Clone, Copy, Debug)]
pub enum WebhookAnswer {
    /// 200 to everything.
    Ok,
    /// 500 to everything.
    ServerError,
    /// Reads each request and never answers it.
    Hang,
}

/// A webhook on a free loopback port, serving until the process ends.
pub struct Webhook {
    /// Its URL, with [`WEBHOOK_TOKEN`] in the path.
    pub url: String,
    bodies: Arc<Mutex<Vec<Value>>>,
}

impl Webhook {
    /// A webhook answering as `answer`.
    pub fn start(answer: WebhookAnswer) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        let url = format!("http://{}/hooks/{WEBHOOK_TOKEN}", listener.local_addr().expect("bound address"));
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

    /// The bodies received so far, in order (a body that is not JSON is kept as a string).
    pub fn bodies(&self) -> Vec<Value> {
        self.bodies.lock().map(|b| b.clone()).unwrap_or_default()
    }
}

/// Answers the requests of one connection (clients keep them alive).
fn serve(connection: TcpStream, kept: &Mutex<Vec<Value>>, answer: WebhookAnswer) {
    let Ok(mut writer) = connection.try_clone() else { return };
    let mut reader = BufReader::new(connection);
    while let Some((_, body)) = read_request(&mut reader) {
        let body = serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
        if let Ok(mut bodies) = kept.lock() {
            bodies.push(body);
        }
        let status = match answer {
            WebhookAnswer::Ok => "200 OK",
            WebhookAnswer::ServerError => "500 Internal Server Error",
            WebhookAnswer::Hang => {
                std::thread::sleep(HANG);
                return;
            }
        };
        if writer.write_all(format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n").as_bytes()).is_err() {
            return;
        }
    }
}
