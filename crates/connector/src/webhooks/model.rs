//! Webhook subscriptions, their deliveries and each delivery's attempts.

use std::collections::HashSet;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use kernel::{BoardId, DeliveryId, UserId, Version, WebhookId};
use uuid::Uuid;

use super::address::is_public;

/// Where a webhook's deliveries go: an absolute `http` or `https` URL without credentials or
/// fragment, given in at most [`TargetUrl::MAX_LEN`] characters. It is kept normalised (as
/// `url` serialises it: percent-encoded, the host in ASCII), which may be longer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUrl(url::Url);

impl TargetUrl {
    /// The most characters a client may send.
    pub const MAX_LEN: usize = 2000;

    /// Parses a target. Unless `allow_private`, a host that is itself a loopback, private,
    /// link-local or otherwise non-public address (or `localhost`) is refused here already;
    /// names are checked again, after resolution, on every attempt (decision 0049).
    ///
    /// # Errors
    /// What is wrong with it, for the client.
    pub fn parse(raw: &str, allow_private: bool) -> Result<Self, String> {
        if raw.chars().count() > Self::MAX_LEN {
            return Err(format!("at most {} characters", Self::MAX_LEN));
        }
        // The URL parser would drop or rewrite these (tabs and newlines removed, `\` read as `/`):
        // a target is taken as written or not at all.
        if raw.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') {
            return Err("must not contain whitespace, control characters or `\\`".into());
        }
        let url = url::Url::parse(raw).map_err(|e| format!("not an absolute URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must be an http or https URL".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry credentials".into());
        }
        if url.fragment().is_some() {
            return Err("must not carry a fragment".into());
        }
        let target = Self(url);
        let Some(host) = target.0.host() else {
            return Err("must name a host".into());
        };
        if !allow_private {
            let private = match host {
                url::Host::Ipv4(ip) => !is_public(IpAddr::V4(ip)),
                url::Host::Ipv6(ip) => !is_public(IpAddr::V6(ip)),
                url::Host::Domain(name) => name == "localhost" || name.ends_with(".localhost"),
            };
            if private {
                return Err("must not point at a loopback, private or link-local address".into());
            }
        }
        Ok(target)
    }

    /// A target as [`TargetUrl::as_str`] gave it earlier (a stored one): it was checked when it
    /// was made, and its normalised form may be longer than a client may send.
    ///
    /// # Errors
    /// When it is not a URL at all.
    pub fn stored(normalised: &str) -> Result<Self, String> {
        url::Url::parse(normalised).map(Self).map_err(|e| format!("not an absolute URL: {e}"))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The host when it is an address rather than a name.
    pub fn ip(&self) -> Option<IpAddr> {
        match self.0.host()? {
            url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            url::Host::Domain(_) => None,
        }
    }
}

/// Which events a webhook receives: `*` (all), `resource.*` (every action on a kind of
/// resource: `card.*`) or exact actions (`card.moved`). One to [`EventTypes::MAX`] entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTypes(Vec<String>);

impl EventTypes {
    /// The most entries a subscription holds.
    pub const MAX: usize = 50;

    /// Parses a list of patterns; duplicates are dropped, order kept.
    ///
    /// # Errors
    /// What is wrong with it, for the client.
    pub fn parse(raw: &[String]) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("name at least one event type (or \"*\" for all)".into());
        }
        if raw.len() > Self::MAX {
            return Err(format!("at most {} event types", Self::MAX));
        }
        let mut seen = HashSet::new();
        let mut types = Vec::with_capacity(raw.len());
        for t in raw {
            if !Self::well_formed(t) {
                return Err(format!("{t:?} is not an event type: use \"*\", \"resource.*\" or \"resource.action\""));
            }
            if seen.insert(t.as_str()) {
                types.push(t.clone());
            }
        }
        Ok(Self(types))
    }

    fn well_formed(t: &str) -> bool {
        let word = |w: &str| {
            (1..=40).contains(&w.len())
                && w.starts_with(|c: char| c.is_ascii_lowercase())
                && w.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        };
        t == "*"
            || t.split_once('.').is_some_and(|(resource, action)| word(resource) && (action == "*" || word(action)))
    }

    /// Whether an event of `action` (`card.moved`) is wanted.
    pub fn matches(&self, action: &str) -> bool {
        let resource = action.split_once('.').map_or(action, |(r, _)| r);
        self.0.iter().any(|t| t == "*" || t == action || t.strip_suffix(".*").is_some_and(|r| r == resource))
    }

    /// The patterns, as given.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// A subscription's signing secret: `whsec_` and the base64 of 32 random bytes, as Standard
/// Webhooks verifiers expect.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    const PREFIX: &'static str = "whsec_";

    /// A new random secret.
    pub fn generate() -> Self {
        use base64::Engine as _;
        use rand::RngCore as _;
        let mut key = [0_u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self(format!("{}{}", Self::PREFIX, base64::engine::general_purpose::STANDARD.encode(key)))
    }

    /// A stored secret.
    ///
    /// # Errors
    /// When it is not `whsec_` and base64.
    pub fn from_stored(raw: &str) -> Result<Self, String> {
        let secret = Self(raw.to_owned());
        secret.key().map(|_| secret)
    }

    /// The HMAC key: the bytes after the prefix.
    pub(crate) fn key(&self) -> Result<Vec<u8>, String> {
        use base64::Engine as _;
        let encoded = self.0.strip_prefix(Self::PREFIX).ok_or("no whsec_ prefix")?;
        base64::engine::general_purpose::STANDARD.decode(encoded).map_err(|e| e.to_string())
    }

    /// The secret as shown to its owner (on creation and rotation only).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

/// A webhook subscription, owned by the user who made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Its id.
    pub id: WebhookId,
    /// Who made it; it receives the events this user may see.
    pub owner_id: UserId,
    /// Where deliveries go.
    pub url: TargetUrl,
    /// What it is for (free text, may be empty).
    pub description: String,
    /// Which events it receives.
    pub event_types: EventTypes,
    /// Signs every delivery.
    pub secret: WebhookSecret,
    /// Whether deliveries are made. Off by choice, or after persistent failure.
    pub active: bool,
    /// Why it was turned off automatically; cleared when it is turned on.
    pub disabled_reason: Option<String>,
    /// Since when every attempt failed; `None` after a success.
    pub failing_since: Option<DateTime<Utc>>,
    /// Grows by one on every change.
    pub version: Version,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The longest description.
pub const DESCRIPTION_MAX_CHARS: usize = 500;

/// A subscription to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// Where deliveries go (checked against the target policy by the service).
    pub url: String,
    /// What it is for.
    pub description: String,
    /// Which events.
    pub event_types: EventTypes,
    /// Whether to deliver from the start.
    pub active: bool,
}

/// Changes to a subscription; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebhookChanges {
    /// A new target.
    pub url: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// New event types.
    pub event_types: Option<EventTypes>,
    /// Turn on or off.
    pub active: Option<bool>,
    /// Replace the secret with a new one.
    pub rotate_secret: bool,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// A 2xx answer was received.
    Succeeded,
    /// Every attempt for about a day failed; it can be re-sent.
    Failed,
}

impl DeliveryStatus {
    /// As stored and served.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    /// From its stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed].into_iter().find(|s| s.as_str() == raw)
    }
}

/// One event's delivery to one webhook. Its id is the `webhook-id` header of every attempt,
/// so a receiver recognises a repeat.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Its id.
    pub id: DeliveryId,
    /// The subscription.
    pub webhook_id: WebhookId,
    /// The event delivered.
    pub event_id: Uuid,
    /// The event's type (`card.moved`).
    pub event_type: String,
    /// The request body, exactly as sent (and signed).
    pub body: String,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made so far, over every round.
    pub attempts: u32,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When the last attempt was made.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The status code of the last answer, if one came.
    pub last_status_code: Option<u16>,
    /// When the current round of attempts began (creation, or the last re-send).
    pub round_started_at: DateTime<Utc>,
    /// When the event was queued for this webhook.
    pub created_at: DateTime<Utc>,
}

/// One HTTP attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Its id (UUIDv7).
    pub id: Uuid,
    /// The delivery.
    pub delivery_id: DeliveryId,
    /// When it was made.
    pub attempted_at: DateTime<Utc>,
    /// The answer's status code; `None` when no answer came.
    pub status_code: Option<u16>,
    /// Why it failed without an answer (timeout, refused target, …).
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: u32,
}

impl Attempt {
    /// Whether the receiver took it (a 2xx answer).
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|c| (200..300).contains(&c))
    }
}

/// An event taken from the outbox, to fan out to the webhooks that want it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    /// The event's id (as in the audit log).
    pub id: Uuid,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// What happened (`card.moved`).
    pub action: String,
    /// The kind of resource.
    pub resource_type: String,
    /// The resource.
    pub resource_id: Uuid,
    /// Its board, if any.
    pub board_id: Option<BoardId>,
    /// The user who made it; none for the system.
    pub actor_id: Option<UserId>,
    /// The changed fields, secrets redacted.
    pub changes: serde_json::Value,
    /// The W3C `traceparent` of the request that made it, if any.
    pub traceparent: Option<String>,
}

/// An active webhook as the fan-out sees it: whose it is and what its owner may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// The webhook.
    pub webhook_id: WebhookId,
    /// Its owner.
    pub owner_id: UserId,
    /// Whether the owner is an administrator (who sees every event).
    pub owner_is_admin: bool,
    /// What it wants.
    pub event_types: EventTypes,
    /// The owner's boards among those of the events at hand.
    pub boards: HashSet<BoardId>,
}

/// A delivery to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// Its id (UUIDv7).
    pub id: DeliveryId,
    /// The webhook.
    pub webhook_id: WebhookId,
    /// The event.
    pub event_id: Uuid,
    /// The event's type.
    pub event_type: String,
    /// The body to send.
    pub body: String,
    /// When it was queued; its first attempt is due then.
    pub created_at: DateTime<Utc>,
    /// The event's `traceparent`: its attempts continue that trace.
    pub traceparent: Option<String>,
}

/// A delivery claimed for an attempt, with what sending it needs.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDelivery {
    /// The delivery.
    pub delivery: Delivery,
    /// Where to send it.
    pub url: String,
    /// What to sign it with.
    pub secret: WebhookSecret,
    /// The webhook's owner (for the event when it is turned off).
    pub owner_id: UserId,
    /// Since when the webhook's attempts have all failed.
    pub failing_since: Option<DateTime<Utc>>,
    /// The `traceparent` of the request whose event it delivers, if any.
    pub traceparent: Option<String>,
}

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterAttempt {
    /// Delivered; done.
    Succeeded,
    /// Failed; the next attempt is due then.
    RetryAt(DateTime<Utc>),
    /// Failed for the last time in this round.
    GaveUp,
}

/// An attempt made, and what follows from it, written as one unit.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedAttempt {
    /// The attempt.
    pub attempt: Attempt,
    /// The delivery's webhook.
    pub webhook_id: WebhookId,
    /// What becomes of the delivery.
    pub next: AfterAttempt,
    /// When the webhook is to be turned off for persistent failure: why, and the event that
    /// records it.
    pub disable: Option<(String, kernel::DomainEvent)>,
}
