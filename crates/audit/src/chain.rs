//! The hashes that make the log tamper-evident (decision 0045).
//!
//! Every event gets a digest of its stored contents; events are sealed in batches, and each
//! seal's hash covers its number, the previous seal's hash, when it was sealed and the ids and
//! digests of its events in order. Changing, adding or removing a sealed event, or editing a
//! seal, changes a hash that a later check recomputes. Writers never touch the chain: sealing
//! runs behind them, so tamper evidence does not serialise the system's writes.
//!
//! The encodings below are the format of logs already written: changing them needs a new
//! version tag and verification of both.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::model::AuditEvent;

/// A SHA-256 hash, shown and stored as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest([u8; 32]);

impl Digest {
    /// The previous hash of the first seal.
    pub const GENESIS: Self = Self([0; 32]);

    /// The digest from its hex form; `None` unless 64 hex digits.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let mut bytes = [0; 32];
        hex::decode_to_slice(hex, &mut bytes).ok()?;
        Some(Self(bytes))
    }

    /// The 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Feeds a hasher unambiguous fields: each one length-prefixed, absent ones told apart from
/// empty ones.
struct Fields(Sha256);

impl Fields {
    fn new(tag: &[u8]) -> Self {
        let mut fields = Self(Sha256::new());
        fields.bytes(tag);
        fields
    }

    fn bytes(&mut self, value: &[u8]) {
        self.0.update((value.len() as u64).to_be_bytes());
        self.0.update(value);
    }

    fn optional(&mut self, value: Option<&[u8]>) {
        match value {
            None => self.0.update([0]),
            Some(v) => {
                self.0.update([1]);
                self.bytes(v);
            }
        }
    }

    fn optional_id(&mut self, id: Option<Uuid>) {
        self.optional(id.as_ref().map(|id| id.as_bytes().as_slice()));
    }

    fn instant(&mut self, at: DateTime<Utc>) {
        self.bytes(at.to_rfc3339_opts(SecondsFormat::AutoSi, true).as_bytes());
    }

    fn finish(self) -> Digest {
        Digest(self.0.finalize().into())
    }
}

/// The digest of an event as stored: every field, the changes in canonical JSON (object keys
/// sorted), so that a database that reorders a JSON document's keys does not change it.
pub fn event_digest(event: &AuditEvent) -> Digest {
    let mut f = Fields::new(b"corkboard.audit.event.v1");
    f.bytes(event.id.as_bytes());
    f.instant(event.occurred_at);
    f.bytes(event.actor_type.as_bytes());
    f.optional_id(event.actor_id.map(|u| u.as_uuid()));
    f.optional_id(event.token_id.map(|t| t.as_uuid()));
    f.bytes(event.action.as_bytes());
    f.bytes(event.resource_type.as_bytes());
    f.bytes(event.resource_id.as_bytes());
    f.optional_id(event.board_id.map(|b| b.as_uuid()));
    let mut changes = String::new();
    canonical_json(&event.changes, &mut changes);
    f.bytes(changes.as_bytes());
    for text in [&event.request_id, &event.trace_id, &event.client_ip, &event.user_agent] {
        f.optional(text.as_deref().map(str::as_bytes));
    }
    f.finish()
}

/// What a seal's hash covers, besides its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealHeader {
    /// The seal's number: 1, 2, 3, … without gaps.
    pub seq: i64,
    /// The previous seal's hash ([`Digest::GENESIS`] for the first).
    pub prev_hash: Digest,
    /// When it was sealed.
    pub sealed_at: DateTime<Utc>,
}

/// The hash of a seal over `events` (id and digest of each, in the seal's order).
pub fn seal_hash(header: &SealHeader, events: &[(Uuid, Digest)]) -> Digest {
    let mut f = Fields::new(b"corkboard.audit.seal.v1");
    f.bytes(&header.seq.to_be_bytes());
    f.bytes(&header.prev_hash.0);
    f.instant(header.sealed_at);
    f.bytes(&(events.len() as u64).to_be_bytes());
    for (id, digest) in events {
        f.0.update(id.as_bytes());
        f.0.update(digest.0);
    }
    f.finish()
}

/// `value` as JSON with every object's keys in byte order and no insignificant whitespace.
fn canonical_json(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical_json(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use kernel::{BoardId, UserId};
    use serde_json::json;

    use super::*;

    fn event() -> AuditEvent {
        AuditEvent {
            id: Uuid::from_u128(1),
            occurred_at: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap() + chrono::Duration::microseconds(678),
            actor_type: "user".into(),
            actor_id: Some(UserId::from_uuid(Uuid::from_u128(2))),
            token_id: None,
            action: "card.moved".into(),
            resource_type: "card".into(),
            resource_id: Uuid::from_u128(3),
            board_id: Some(BoardId::from_uuid(Uuid::from_u128(4))),
            changes: json!({"column_id": {"before": "a", "after": "b"}, "position": {"before": 1, "after": [2.5, null]}}),
            request_id: Some("req".into()),
            trace_id: None,
            client_ip: Some("10.0.0.1".into()),
            user_agent: Some("curl/8".into()),
        }
    }

    #[test]
    fn the_event_encoding_is_pinned() {
        // Logs already sealed are verified with this encoding; a change here breaks them. The value
        // was computed apart from this code, from the encoding as decision 0045 describes it.
        assert_eq!(event_digest(&event()).to_hex(), "26cb04f19b7b91707e5c8e6ae7a2315ba9b7b77ef797a281c8e3201497757d3d");
    }

    #[test]
    fn every_field_counts() {
        let base = event_digest(&event());
        let edits: Vec<fn(&mut AuditEvent)> = vec![
            |e| e.id = Uuid::from_u128(9),
            |e| e.occurred_at += chrono::Duration::microseconds(1),
            |e| e.actor_type = "token".into(),
            |e| e.actor_id = None,
            |e| e.token_id = Some(kernel::TokenId::from_uuid(Uuid::from_u128(5))),
            |e| e.action = "card.created".into(),
            |e| e.resource_type = "note".into(),
            |e| e.resource_id = Uuid::from_u128(8),
            |e| e.board_id = None,
            |e| e.changes = json!({}),
            |e| e.request_id = Some(String::new()),
            |e| e.trace_id = Some("t".into()),
            |e| e.client_ip = None,
            |e| e.user_agent = Some("curl/9".into()),
        ];
        for (i, edit) in edits.into_iter().enumerate() {
            let mut changed = event();
            edit(&mut changed);
            assert_ne!(event_digest(&changed), base, "edit {i} went unnoticed");
        }
    }

    #[test]
    fn an_absent_field_differs_from_an_empty_one_and_fields_do_not_run_together() {
        let mut absent = event();
        absent.trace_id = None;
        let mut empty = event();
        empty.trace_id = Some(String::new());
        assert_ne!(event_digest(&absent), event_digest(&empty));
        let mut shifted = event();
        shifted.action = "card.moved card".into();
        shifted.resource_type = String::new();
        let mut plain = event();
        plain.action = "card.moved".into();
        plain.resource_type = " card".into();
        assert_ne!(event_digest(&shifted), event_digest(&plain));
    }

    #[test]
    fn the_order_of_json_keys_does_not_count() {
        let mut reordered = event();
        let text = r#"{"position": {"after": [2.5, null], "before": 1}, "column_id": {"after": "b", "before": "a"}}"#;
        reordered.changes = serde_json::from_str(text).unwrap();
        assert_eq!(event_digest(&reordered), event_digest(&event()));
        let mut out = String::new();
        canonical_json(&json!({"b": [1, {"z": "\"", "a": true}], "a": null}), &mut out);
        assert_eq!(out, r#"{"a":null,"b":[1,{"a":true,"z":"\""}]}"#);
    }

    #[test]
    fn a_seal_covers_its_header_and_its_events_in_order() {
        let header = SealHeader {
            seq: 3,
            prev_hash: Digest::from_hex(&"ab".repeat(32)).unwrap(),
            sealed_at: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        };
        let a = (Uuid::from_u128(1), event_digest(&event()));
        let b = (Uuid::from_u128(2), Digest::GENESIS);
        let base = seal_hash(&header, &[a, b]);
        assert_ne!(seal_hash(&header, &[b, a]), base, "order");
        assert_ne!(seal_hash(&header, &[a]), base, "a missing event");
        assert_ne!(seal_hash(&SealHeader { seq: 4, ..header }, &[a, b]), base, "number");
        assert_ne!(seal_hash(&SealHeader { prev_hash: Digest::GENESIS, ..header }, &[a, b]), base, "previous");
        let later = header.sealed_at + chrono::Duration::seconds(1);
        assert_ne!(seal_hash(&SealHeader { sealed_at: later, ..header }, &[a, b]), base, "time");
    }

    #[test]
    fn hex_round_trips_and_refuses_anything_else() {
        let d = event_digest(&event());
        assert_eq!(Digest::from_hex(&d.to_hex()), Some(d));
        assert_eq!(Digest::from_hex("abc"), None);
        assert_eq!(Digest::from_hex(&"zz".repeat(32)), None);
    }
}
