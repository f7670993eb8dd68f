//! Outbound adapter: webhook requests over reqwest, connector's [`WebhookSender`] port.
//!
//! Guarded against server-side request forgery (decision 0049): every name is resolved by
//! [`GuardedResolver`], which drops loopback, private, link-local and other non-public
//! addresses (so a public name re-pointed inside the network is refused at the next attempt),
//! and a URL whose host is an address literal is checked before any connection. Proxies from
//! the environment are ignored (a proxy would resolve names itself), redirects are not
//! followed (a 3xx answer is a failed attempt), and every request has a timeout.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use connector::webhooks::{Outgoing, Sent, WebhookSender, is_public};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Sends webhook requests. Its HTTP client (a connection pool and the TLS roots) is built on
/// the first request, so a server whose users have no webhooks never holds it.
#[derive(Debug)]
pub struct HttpWebhookSender {
    settings: SenderSettings,
    client: OnceLock<Result<reqwest::Client, String>>,
}

/// How a sender behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderSettings {
    /// How long a request may take, connection included.
    pub timeout: Duration,
    /// Whether loopback, private and link-local targets are allowed (tests, trusted networks).
    pub allow_private: bool,
}

impl HttpWebhookSender {
    /// A sender; nothing is built until the first request.
    pub fn new(settings: SenderSettings) -> Self {
        Self { settings, client: OnceLock::new() }
    }

    fn client(&self) -> Result<&reqwest::Client, String> {
        let settings = self.settings;
        let built = self.client.get_or_init(|| {
            reqwest::Client::builder()
                .user_agent(concat!("Corkboard-Webhooks/", env!("CARGO_PKG_VERSION")))
                .timeout(settings.timeout)
                .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .pool_idle_timeout(Duration::from_secs(30))
                .dns_resolver(Arc::new(GuardedResolver { allow_private: settings.allow_private }))
                .build()
                .map_err(|e| format!("the HTTP client cannot be built: {}", describe(&e)))
        });
        built.as_ref().map_err(Clone::clone)
    }
}

#[async_trait::async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn send(&self, request: &Outgoing) -> Sent {
        let url = match url::Url::parse(&request.url) {
            Ok(url) => url,
            Err(e) => return Sent::Failed(format!("the target URL does not parse: {e}")),
        };
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal
            && !self.settings.allow_private
            && !is_public(ip)
        {
            return Sent::Failed(format!("the target address {ip} is not public"));
        }
        let client = match self.client() {
            Ok(client) => client,
            Err(why) => return Sent::Failed(why),
        };
        let mut builder =
            client.post(url).header(reqwest::header::CONTENT_TYPE, "application/json").body(request.body.clone());
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        match builder.send().await {
            Ok(response) => Sent::Answered(response.status().as_u16()),
            Err(e) if e.is_timeout() => Sent::Failed(format!("no answer within {} s", self.settings.timeout.as_secs())),
            Err(e) => Sent::Failed(describe(&e)),
        }
    }
}

/// An error and its causes, one line (reqwest's own message names only the outermost).
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

/// Resolves names with the system resolver and keeps only the addresses a webhook may reach.
#[derive(Debug, Clone, Copy)]
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                found.iter().copied().filter(|a| allow_private || is_public(a.ip())).collect();
            if allowed.is_empty() {
                let why = if found.is_empty() {
                    format!("{host} has no address")
                } else {
                    format!("{host} resolves only to addresses that are not public")
                };
                return Err(why.into());
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}
