//! `gpt-trader dashboard`: the web dashboard over the run store.

use anyhow::{Context, Result};
use clap::Args;
use gt_runner::paths::database_url;
use gt_runner::store::redacted;
use gt_web::DashboardConfig;
use std::net::SocketAddr;

/// Options of `gpt-trader dashboard`.
#[derive(Args, Debug)]
#[command(
    after_long_help = "Pages: /runs, /runs/ID, /compare?ids=A,B, /studies, /sessions, /sessions/NAME (live).\n\
JSON: /api/v1/runs, /api/v1/runs/ID, /api/v1/studies[/NAME], /api/v1/sessions[/NAME],\n\
      /api/v1/sessions/NAME/events (server-sent events), POST /api/v1/sessions/NAME/commands.\n\
Metrics: /metrics (Prometheus).\n\n\
Examples:\n  gpt-trader dashboard                      # http://127.0.0.1:8050, this machine only\n  \
GPT_TRADER_DASHBOARD_TOKEN=$(openssl rand -hex 16) gpt-trader dashboard --bind 0.0.0.0:8050\n  \
curl -H \"Authorization: Bearer $GPT_TRADER_DASHBOARD_TOKEN\" http://HOST:8050/api/v1/runs"
)]
pub struct DashboardArgs {
    /// Address to listen on; anywhere but loopback needs a token (port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8050")]
    bind: SocketAddr,

    /// Run store URL [default: $GPT_TRADER_DB, else runs.db in the data folder].
    #[arg(long, value_name = "URL")]
    db: Option<String>,

    /// Token every request must carry (`Authorization: Bearer`, or the login
    /// form's cookie) [default: $GPT_TRADER_DASHBOARD_TOKEN]; at least 16 characters.
    #[arg(long, value_name = "T")]
    token: Option<String>,
}

/// Serves the dashboard until Ctrl-C or SIGTERM.
pub fn run(args: &DashboardArgs) -> Result<()> {
    let token = args.token.clone().or_else(|| std::env::var("GPT_TRADER_DASHBOARD_TOKEN").ok());
    let config = DashboardConfig::new(args.bind, token)?;
    let url = database_url(args.db.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    runtime.block_on(async {
        let store = gt_store::Store::open(&url)
            .await
            .with_context(|| format!("cannot open the run store {}", redacted(&url)))?;
        let listener = tokio::net::TcpListener::bind(config.bind())
            .await
            .with_context(|| format!("cannot listen on {}", config.bind()))?;
        let address = listener.local_addr()?;
        eprintln!("Dashboard on http://{address}/ (store {}); Ctrl-C stops it.", redacted(&url));
        gt_web::serve_on(listener, &config, store, stop_signal()).await?;
        eprintln!("Dashboard stopped.");
        Ok(())
    })
}

/// Completes on Ctrl-C or SIGTERM.
async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
