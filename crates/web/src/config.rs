//! Where the dashboard listens and who may use it, checked before it starts.

use crate::WebError;
use std::net::SocketAddr;

/// The shortest token accepted: long enough that guessing it over HTTP is hopeless.
pub const MIN_TOKEN_LEN: usize = 16;

/// The dashboard's listening address and access token, validated.
#[derive(Clone)]
pub struct DashboardConfig {
    bind: SocketAddr,
    token: Option<String>,
}

impl std::fmt::Debug for DashboardConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a secret: never printed.
        f.debug_struct("DashboardConfig")
            .field("bind", &self.bind)
            .field("token", &self.token.as_ref().map(|_| "…"))
            .finish()
    }
}

impl DashboardConfig {
    /// A dashboard on `bind`. Anywhere but loopback it must have a token (of
    /// at least [`MIN_TOKEN_LEN`] characters), or every page, trade and
    /// kill switch would be open to the network.
    pub fn new(bind: SocketAddr, token: Option<String>) -> Result<Self, WebError> {
        let token = token.filter(|t| !t.is_empty());
        if let Some(token) = &token
            && token.chars().count() < MIN_TOKEN_LEN
        {
            return Err(WebError::WeakToken { len: token.chars().count() });
        }
        if token.is_none() && !bind.ip().is_loopback() {
            return Err(WebError::TokenRequired { bind });
        }
        Ok(Self { bind, token })
    }

    /// Where it listens.
    pub fn bind(&self) -> SocketAddr {
        self.bind
    }

    /// The token every request must carry, if one is set.
    pub(crate) fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_goes_without_a_token_and_short_tokens_are_refused() {
        let loopback: SocketAddr = "127.0.0.1:8050".parse().unwrap();
        let everywhere: SocketAddr = "0.0.0.0:8050".parse().unwrap();
        assert!(DashboardConfig::new(loopback, None).is_ok());
        assert!(DashboardConfig::new("[::1]:8050".parse().unwrap(), None).is_ok());
        assert!(matches!(DashboardConfig::new(everywhere, None), Err(WebError::TokenRequired { .. })));
        assert!(matches!(
            DashboardConfig::new(everywhere, Some(String::new())),
            Err(WebError::TokenRequired { .. })
        ));
        assert!(matches!(
            DashboardConfig::new(everywhere, Some("short".into())),
            Err(WebError::WeakToken { len: 5 })
        ));
        let config = DashboardConfig::new(everywhere, Some("0123456789abcdef".into())).unwrap();
        assert!(!format!("{config:?}").contains("0123"), "the token is never printed");
    }
}
