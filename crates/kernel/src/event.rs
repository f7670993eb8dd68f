//! Domain events: what changed, by whom, as the audit log and the outbox record it.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::{Actor, BoardId, RequestMeta};

/// One state change, recorded in the same transaction as the change itself.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainEvent {
    /// The event's id (UUIDv7).
    pub id: Uuid,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
    /// Who made it.
    pub actor: Actor,
    /// What happened, `resource.verb` (`card.moved`).
    pub action: &'static str,
    /// The kind of resource changed (`card`).
    pub resource_type: &'static str,
    /// The resource changed.
    pub resource_id: Uuid,
    /// The board the resource belongs to, which scopes who may see the event.
    pub board_id: Option<BoardId>,
    /// The changed fields.
    pub changes: Changes,
    /// Where the request came from.
    pub meta: RequestMeta,
}

/// The fields a change touched, as `{field: {before, after}}`. Secrets are redacted when a
/// field is added, so a secret can never reach the log by mistake.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes(Map<String, Value>);

/// Field names whose values are never recorded.
const SECRET_MARKERS: [&str; 5] = ["password", "secret", "token", "hash", "csrf"];

fn is_secret(field: &str) -> bool {
    let field = field.to_ascii_lowercase();
    SECRET_MARKERS.iter().any(|m| field.contains(m))
}

impl Changes {
    /// No changes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a field that changed from `before` to `after`; unchanged fields are skipped.
    #[must_use]
    pub fn diff(mut self, field: &str, before: impl Into<Value>, after: impl Into<Value>) -> Self {
        let (before, after) = (before.into(), after.into());
        if before != after {
            self.insert(field, before, after);
        }
        self
    }

    /// Records a field set on creation.
    #[must_use]
    pub fn set(mut self, field: &str, value: impl Into<Value>) -> Self {
        self.insert(field, Value::Null, value.into());
        self
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The changes as a JSON object.
    pub fn into_json(self) -> Value {
        Value::Object(self.0)
    }

    /// The changes as a JSON object, borrowed.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    fn insert(&mut self, field: &str, before: Value, after: Value) {
        let redact = |v: Value| if v.is_null() { v } else { Value::from("[REDACTED]") };
        let (before, after) = if is_secret(field) { (redact(before), redact(after)) } else { (before, after) };
        let mut entry = Map::new();
        entry.insert("before".into(), before);
        entry.insert("after".into(), after);
        self.0.insert(field.to_owned(), Value::Object(entry));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_fields_are_redacted_but_their_presence_is_kept() {
        let c = Changes::new().set("password_hash", "$argon2id$...").set("name", "Ann");
        let json = c.into_json();
        assert_eq!(json["password_hash"]["after"], "[REDACTED]");
        assert_eq!(json["name"]["after"], "Ann");
    }

    #[test]
    fn unchanged_fields_are_not_recorded() {
        let c = Changes::new().diff("name", "a", "a").diff("wip", 1, 2);
        assert_eq!(c.as_map().len(), 1);
        assert!(c.as_map().contains_key("wip"));
    }
}
