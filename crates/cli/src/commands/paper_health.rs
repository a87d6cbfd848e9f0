//! `paper health`: asks a running session's `/healthz` whether it is up,
//! for a container's `HEALTHCHECK` or a Kubernetes exec probe (the image
//! has no curl, and the token must come from the environment).

use anyhow::{Context, Result, bail};
use std::net::SocketAddr;
use std::time::Duration;

/// Longest the check waits for an answer.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Prints the session's health and succeeds when it answers `ok`; fails
/// with one line when it does not answer, refuses the token, or is not ok.
pub fn check(metrics: SocketAddr, token: Option<&str>) -> Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::blocking::Client::builder().timeout(CHECK_TIMEOUT).build()?;
    let url = format!("http://{metrics}/healthz");
    let mut request = client.get(&url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let answer = request.send().with_context(|| format!("no session answers at {url}"))?;
    let status = answer.status();
    if status == reqwest::StatusCode::UNAUTHORIZED {
        bail!("{url} needs the session's token: give --metrics-token or set GPT_TRADER_METRICS_TOKEN");
    }
    if !status.is_success() {
        bail!("{url} answered HTTP {status}");
    }
    let health: serde_json::Value =
        serde_json::from_str(&answer.text()?).with_context(|| format!("{url} did not answer JSON"))?;
    println!("{health}");
    match health["status"].as_str() {
        Some("ok") => Ok(()),
        other => bail!("session {} is not healthy: {other:?}", health["session"]),
    }
}
