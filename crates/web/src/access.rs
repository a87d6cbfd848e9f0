//! Who may use the dashboard: a bearer token or the cookie its login form
//! sets (when a token is configured), requests addressed to this machine
//! only (when none is), and a CSRF token on every state-changing request.

use crate::App;
use axum::extract::{Form, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

/// The cookie the login form sets.
pub const COOKIE: &str = "gt_dashboard";

/// The header a state-changing request carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The dashboard's secrets: the configured token, and the login cookie's
/// value and the CSRF token, both drawn at start (a restart logs everyone out).
pub struct Access {
    token: Option<String>,
    cookie: String,
    csrf: String,
}

/// How a request proved who it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Caller {
    /// No token is configured: a loopback dashboard, open to this machine.
    Local,
    /// `Authorization: Bearer` with the token: a script, which a browser
    /// cannot forge across sites, so it needs no CSRF token.
    Bearer,
    /// The login cookie: a browser, whose POSTs must carry the CSRF token.
    Cookie,
}

/// 32 random bytes as hex.
fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    // The OS's generator; without it no secret can be made and starting must fail loudly.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator is unavailable");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equality that takes as long whatever the first differing byte (for secrets).
fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given.bytes().zip(expected.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

impl Access {
    /// Access with `token` (none: open to loopback only).
    pub fn new(token: Option<&str>) -> Self {
        Self { token: token.map(str::to_owned), cookie: random_secret(), csrf: random_secret() }
    }

    /// Whether a token is configured (otherwise only loopback callers are served).
    pub(crate) fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// The CSRF token pages embed.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Who `headers` say the caller is, `None` if they prove nothing.
    pub(crate) fn caller(&self, headers: &HeaderMap) -> Option<Caller> {
        let Some(token) = &self.token else { return Some(Caller::Local) };
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if bearer.is_some_and(|given| same_secret(given.trim(), token)) {
            return Some(Caller::Bearer);
        }
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE);
        cookie.filter(|(_, value)| same_secret(value, &self.cookie)).map(|_| Caller::Cookie)
    }

    /// Whether a state-changing request from `caller` proved it came from
    /// one of our pages (the CSRF token in its [`CSRF_HEADER`]).
    fn csrf_ok(&self, caller: Caller, headers: &HeaderMap) -> bool {
        caller == Caller::Bearer
            || headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| same_secret(t, &self.csrf))
    }
}

/// Whether `host` (a Host header) names this machine: without a token the
/// dashboard answers only those, so a web page on another site cannot reach
/// it by pointing its own name at 127.0.0.1 (DNS rebinding).
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks every request but the login form's; refused API, SSE and metrics
/// requests get 401 with `WWW-Authenticate`, refused pages the login form; a
/// state-changing request from a browser without the CSRF token gets 403.
pub async fn guard(State(app): State<App>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let headers = request.headers();
    if app.access.token.is_none() {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !is_loopback_host(host) {
            return (StatusCode::FORBIDDEN, "this dashboard answers requests addressed to this machine only")
                .into_response();
        }
    }
    if path == "/login" {
        return next.run(request).await;
    }
    let Some(caller) = app.access.caller(headers) else {
        return refused(&path);
    };
    if changes_state(request.method()) && !app.access.csrf_ok(caller, headers) {
        return (
            StatusCode::FORBIDDEN,
            axum::Json(serde_json::json!({"error": "missing or wrong CSRF token"})),
        )
            .into_response();
    }
    next.run(request).await
}

/// The answer to a request without a valid token.
fn refused(path: &str) -> Response {
    let machine = path.starts_with("/api/") || path == "/metrics";
    let mut response = if machine {
        (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({"error": "a valid token is required"})))
            .into_response()
    } else {
        (StatusCode::UNAUTHORIZED, Html(login_page(None).into_string())).into_response()
    };
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

fn login_page(error: Option<&str>) -> maud::Markup {
    crate::pages::layout(
        "Sign in",
        None,
        maud::html! {
            @if let Some(error) = error { p.error { (error) } }
            form.login method="post" action="/login" {
                label for="token" { "Dashboard token" }
                input #token type="password" name="token" autocomplete="current-password" autofocus;
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// The login form's fields.
#[derive(Deserialize)]
pub struct Login {
    token: String,
}

/// `GET /login`: the form (or the runs, when no token is needed).
pub async fn login_form(State(app): State<App>) -> Response {
    if app.access.token.is_none() {
        return Redirect::to("/runs").into_response();
    }
    Html(login_page(None).into_string()).into_response()
}

/// `POST /login`: sets the session cookie when the token is right.
pub async fn login(State(app): State<App>, Form(form): Form<Login>) -> Response {
    match &app.access.token {
        Some(token) if same_secret(form.token.trim(), token) => {
            let cookie = format!("{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/", app.access.cookie);
            let mut response = Redirect::to("/runs").into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Some(_) => {
            (StatusCode::UNAUTHORIZED, Html(login_page(Some("That token is not right.")).into_string()))
                .into_response()
        }
        None => Redirect::to("/runs").into_response(),
    }
}

/// Whether `method` changes state (and so needs the CSRF token).
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_this_machine_and_others_are_not() {
        for host in ["127.0.0.1:8050", "localhost:8050", "LOCALHOST", "[::1]:8050", "127.0.0.2"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["evil.example:8050", "evil.example", "10.0.0.1:8050", "", "[fe80::1]:80"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abd", "abc") && !same_secret("ab", "abc") && !same_secret("", "abc"));
        let access = Access::new(Some("0123456789abcdef"));
        assert_eq!(access.csrf.len(), 64);
        assert_ne!(access.csrf, access.cookie);
    }
}
