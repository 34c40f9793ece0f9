//! The Segment message format: parsing, validation and normalisation.
//!
//! A request body is parsed whole before anything is stored: one invalid
//! message rejects the batch, and the error names the message's index and
//! the field. This module never touches the store.
//!
//! Timestamps follow Segment's rules: `originalTimestamp` (or, when absent,
//! `timestamp`) is the client's clock at the call and `sentAt` its clock at
//! the send; when both are present the stored `timestamp` is corrected for
//! client clock skew as `receivedAt - (sentAt - originalTimestamp)`. Without
//! `sentAt` the client's time is taken as it is; without any client time,
//! `receivedAt` is used. Over HTTP `receivedAt` is the server's clock; a
//! bulk import keeps a message's own `receivedAt` when it has one, else takes
//! its `sentAt` or client time.

use crate::raw::Shallow;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tenure_core::model::Entity;
use tenure_core::time::parse_timestamp;
use tenure_core::{ActivityKind, CallType, EntityChange, Event, Taxonomy, traits};

/// Which endpoint a body came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v1/batch`: `{"batch": [...]}`, each message with its `type`.
    Batch,
    /// `/v1/track` and friends: one message, its type from the path.
    Single(CallType),
}

/// Size limits, in bytes of (decompressed) JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_message_bytes: usize,
    pub max_batch_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 32 * 1024,
            max_batch_bytes: 500 * 1024,
        }
    }
}

/// Where messages come from, which decides `receivedAt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The HTTP API: `receivedAt` is the server's clock now.
    Http { received_at: DateTime<Utc> },
    /// A bulk import: a message's own `receivedAt` is kept; without one it
    /// gets its `sentAt` or client time (the import time when it has
    /// neither) and no skew correction.
    Import { imported_at: DateTime<Utc> },
}

/// One accepted message: its event row and the trait changes it carries.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Message {
    pub event: Event,
    pub changes: Vec<EntityChange>,
}

/// A parsed request body.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// `writeKey` from the body, when the client put it there.
    pub write_key: Option<String>,
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    #[error("the body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("{} is {size} bytes, above the limit of {limit} bytes per message", location(*.index, ""))]
    MessageTooLarge {
        index: Option<usize>,
        size: usize,
        limit: usize,
    },
    #[error(
        "the body is {size} bytes or more, above the limit of {limit} bytes per request (after decompression)"
    )]
    BatchTooLarge { size: usize, limit: usize },
    #[error("{}: {reason}", location(*.index, field))]
    InvalidMessage {
        index: Option<usize>,
        field: String,
        reason: String,
    },
}

/// "batch[3].traits.mrr", "traits.mrr", "batch[3]" or "the message".
fn location(index: Option<usize>, field: &str) -> String {
    match (index, field.is_empty()) {
        (Some(i), true) => format!("batch[{i}]"),
        (Some(i), false) => format!("batch[{i}].{field}"),
        (None, true) => "the message".into(),
        (None, false) => field.to_string(),
    }
}

#[derive(Deserialize)]
struct BatchBody<'a> {
    #[serde(borrow)]
    batch: Vec<&'a RawValue>,
    #[serde(rename = "writeKey", default)]
    write_key: Option<String>,
    #[serde(rename = "sentAt", default)]
    sent_at: Option<Value>,
}

/// Parses and validates a whole (decompressed) request body.
pub fn parse_body(
    body: &[u8],
    endpoint: Endpoint,
    limits: Limits,
    taxonomy: &Taxonomy,
    source: Source,
) -> Result<Parsed, ParseError> {
    if body.len() > limits.max_batch_bytes {
        return Err(ParseError::BatchTooLarge {
            size: body.len(),
            limit: limits.max_batch_bytes,
        });
    }
    match endpoint {
        Endpoint::Batch => {
            let parsed: BatchBody<'_> = serde_json::from_slice(body).map_err(|e| {
                if serde_json::from_slice::<IgnoredAny>(body).is_err() {
                    ParseError::InvalidJson(e.to_string())
                } else {
                    invalid(
                        None,
                        "batch",
                        format!("expected {{\"batch\": [messages]}} ({e})"),
                    )
                }
            })?;
            let sent_at = match &parsed.sent_at {
                None | Some(Value::Null) => None,
                Some(v) => Some(time_value(v).map_err(|r| invalid(None, "sentAt", r))?),
            };
            let mut messages = Vec::with_capacity(parsed.batch.len());
            for (i, raw) in parsed.batch.iter().enumerate() {
                let text = raw.get();
                if text.len() > limits.max_message_bytes {
                    return Err(ParseError::MessageTooLarge {
                        index: Some(i),
                        size: text.len(),
                        limit: limits.max_message_bytes,
                    });
                }
                let ctx = MessageContext {
                    index: Some(i),
                    forced_type: None,
                    batch_sent_at: sent_at,
                    taxonomy,
                    source,
                };
                messages.push(parse_message(text, &ctx)?);
            }
            Ok(Parsed {
                write_key: parsed.write_key,
                messages,
            })
        }
        Endpoint::Single(call) => {
            if body.len() > limits.max_message_bytes {
                return Err(ParseError::MessageTooLarge {
                    index: None,
                    size: body.len(),
                    limit: limits.max_message_bytes,
                });
            }
            let text =
                std::str::from_utf8(body).map_err(|e| ParseError::InvalidJson(e.to_string()))?;
            let write_key = match Shallow::parse(text) {
                Ok(Some(fields)) => fields
                    .get("writeKey")
                    .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok()),
                _ => None,
            };
            let ctx = MessageContext {
                index: None,
                forced_type: Some(call),
                batch_sent_at: None,
                taxonomy,
                source,
            };
            Ok(Parsed {
                write_key,
                messages: vec![parse_message(text, &ctx)?],
            })
        }
    }
}

/// Parses one message of a JSONL import (one line).
pub fn parse_line(
    line: &str,
    limits: Limits,
    taxonomy: &Taxonomy,
    source: Source,
) -> Result<Message, ParseError> {
    if line.len() > limits.max_message_bytes {
        return Err(ParseError::MessageTooLarge {
            index: None,
            size: line.len(),
            limit: limits.max_message_bytes,
        });
    }
    let ctx = MessageContext {
        index: None,
        forced_type: None,
        batch_sent_at: None,
        taxonomy,
        source,
    };
    parse_message(line, &ctx)
}

struct MessageContext<'a> {
    index: Option<usize>,
    forced_type: Option<CallType>,
    batch_sent_at: Option<DateTime<Utc>>,
    taxonomy: &'a Taxonomy,
    source: Source,
}

fn invalid(index: Option<usize>, field: &str, reason: impl Into<String>) -> ParseError {
    ParseError::InvalidMessage {
        index,
        field: field.to_string(),
        reason: reason.into(),
    }
}

fn time_value(value: &Value) -> Result<DateTime<Utc>, String> {
    match value {
        Value::String(s) => {
            parse_timestamp(s).ok_or_else(|| format!("{s:?} is not an ISO 8601 timestamp"))
        }
        _ => Err("expected an ISO 8601 timestamp string".into()),
    }
}

/// Reads the message's fields, checking each one's type.
struct Fields<'s, 'a> {
    obj: &'s Shallow<'a>,
    index: Option<usize>,
}

impl<'a> Fields<'_, 'a> {
    fn err(&self, field: &str, reason: impl Into<String>) -> ParseError {
        invalid(self.index, field, reason)
    }

    fn value(&self, field: &str) -> Result<Option<Value>, ParseError> {
        match self.obj.get(field) {
            None => Ok(None),
            Some(raw) => serde_json::from_str(raw.get())
                .map(Some)
                .map_err(|e| self.err(field, format!("not valid JSON: {e}"))),
        }
    }

    /// An id: a non-empty string, or a number (taken as its text).
    fn id(&self, field: &str) -> Result<Option<String>, ParseError> {
        id_value(self.value(field)?.as_ref()).map_err(|r| self.err(field, r))
    }

    fn text(&self, field: &str) -> Result<Option<String>, ParseError> {
        match self.value(field)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.err(field, "expected a string")),
        }
    }

    /// An object field as its JSON text (see [`crate::raw`]).
    fn object(&self, field: &str) -> Result<Option<&'a RawValue>, ParseError> {
        match self.obj.get(field) {
            None => Ok(None),
            Some(raw) if raw.get() == "null" => Ok(None),
            Some(raw) if raw.get().starts_with('{') => Ok(Some(raw)),
            Some(_) => Err(self.err(field, "expected a JSON object")),
        }
    }

    /// An object field, read whole.
    fn map(&self, field: &str) -> Result<Option<Map<String, Value>>, ParseError> {
        match self.value(field)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(self.err(field, "expected a JSON object")),
        }
    }

    fn time(&self, field: &str) -> Result<Option<DateTime<Utc>>, ParseError> {
        match self.value(field)? {
            None | Some(Value::Null) => Ok(None),
            Some(v) => time_value(&v).map(Some).map_err(|r| self.err(field, r)),
        }
    }
}

fn id_value(value: Option<&Value>) -> Result<Option<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err("expected a string".into()),
    }
}

fn parse_message(text: &str, ctx: &MessageContext<'_>) -> Result<Message, ParseError> {
    let index = ctx.index;
    let obj = match Shallow::parse(text) {
        Ok(Some(obj)) => obj,
        Ok(None) => return Err(invalid(index, "", "expected a JSON object")),
        Err(e) => return Err(ParseError::InvalidJson(e.to_string())),
    };
    let f = Fields { obj: &obj, index };
    let call = match ctx.forced_type {
        Some(call) => call,
        None => match f.value("type")? {
            Some(Value::String(t)) => CallType::parse(&t).ok_or_else(|| {
                invalid(
                    index,
                    "type",
                    format!("{t:?} is not one of track, identify, group, page, screen, alias"),
                )
            })?,
            None | Some(Value::Null) => return Err(invalid(index, "type", "is required")),
            Some(_) => return Err(invalid(index, "type", "expected a string")),
        },
    };

    let user_id = f.id("userId")?;
    let anonymous_id = f.id("anonymousId")?;
    if user_id.is_none() && anonymous_id.is_none() {
        return Err(f.err("userId", "userId or anonymousId is required"));
    }
    let message_id = match f.id("messageId")? {
        Some(id) => id,
        None => {
            // Hashed as a whole (keys sorted), the type included even when
            // it came from the endpoint.
            let mut value: Value =
                serde_json::from_str(text).map_err(|e| ParseError::InvalidJson(e.to_string()))?;
            if let (Some(call), Some(obj)) = (ctx.forced_type, value.as_object_mut()) {
                obj.insert("type".into(), Value::String(call.as_str().into()));
            }
            content_id(&value)
        }
    };
    let context = f.object("context")?;
    let properties = f.object("properties")?;
    let context_fields = match context {
        Some(c) => Shallow::parse(c.get())
            .map_err(|e| f.err("context", format!("not valid JSON: {e}")))?
            .unwrap_or_default(),
        None => Shallow::default(),
    };
    let in_context = Fields {
        obj: &context_fields,
        index,
    };
    let group_in_context = in_context
        .value("groupId")
        .and_then(|v| id_value(v.as_ref()).map_err(|r| f.err("context.groupId", r)))?;

    let original = match f.time("originalTimestamp")? {
        Some(t) => Some(t),
        None => f.time("timestamp")?,
    };
    let sent_at = f.time("sentAt")?.or(ctx.batch_sent_at);
    let (received_at, trust_skew) = match ctx.source {
        Source::Http { received_at } => (received_at, true),
        // Without its own receivedAt, an imported message was received
        // about when it was sent: history stays out of the dedup window
        // (which holds the ids received in the last days).
        Source::Import { imported_at } => match f.time("receivedAt")? {
            Some(t) => (t, true),
            None => (sent_at.or(original).unwrap_or(imported_at), false),
        },
    };
    let timestamp = match (original, sent_at) {
        (Some(o), Some(s)) if trust_skew => received_at - (s - o),
        (Some(o), _) => o,
        (None, _) => received_at,
    };

    let mut event_name = None;
    let mut account_id = group_in_context.clone();
    let mut previous_id = None;
    let mut trait_map: Option<Map<String, Value>> = None;
    let mut changes = Vec::new();
    let kind = match call {
        CallType::Track => {
            let name = f.text("event")?.filter(|s| !s.trim().is_empty());
            let name = name.ok_or_else(|| f.err("event", "a track call needs an event name"))?;
            let kind = ctx.taxonomy.kind_of(&name);
            event_name = Some(name);
            kind
        }
        CallType::Page | CallType::Screen => {
            let name = f.text("name")?;
            let kind = name
                .as_deref()
                .map_or(ActivityKind::Other, |n| ctx.taxonomy.kind_of(n));
            event_name = name;
            kind
        }
        CallType::Identify => {
            let mut merged = match in_context.value("traits")? {
                Some(Value::Object(t)) => t,
                _ => Map::new(),
            };
            if let Some(t) = f.map("traits")? {
                merged.extend(t);
            }
            if let Some(user) = &user_id {
                changes.push(EntityChange::new(
                    Entity::User,
                    user,
                    "id",
                    Value::String(user.clone()),
                    timestamp,
                ));
                user_changes(&f, user, &merged, timestamp, &mut changes)?;
                if let Some(group) = &group_in_context {
                    changes.push(EntityChange::new(
                        Entity::User,
                        user,
                        "account_id",
                        Value::String(group.clone()),
                        timestamp,
                    ));
                }
            }
            trait_map = Some(merged);
            ActivityKind::Profile
        }
        CallType::Group => {
            let group = f
                .id("groupId")?
                .ok_or_else(|| f.err("groupId", "a group call needs a groupId"))?;
            let traits = f.map("traits")?.unwrap_or_default();
            // The account exists from its first group call, traits or not.
            changes.push(EntityChange::new(
                Entity::Account,
                &group,
                "id",
                Value::String(group.clone()),
                timestamp,
            ));
            for (key, value) in traits.iter().filter(|(k, _)| k.as_str() != "id") {
                let field = if key == "createdAt" {
                    "created_at"
                } else {
                    key.as_str()
                };
                let value = traits::normalise(Entity::Account, field, value)
                    .map_err(|r| f.err(&format!("traits.{key}"), r))?;
                changes.push(EntityChange::new(
                    Entity::Account,
                    &group,
                    field,
                    value,
                    timestamp,
                ));
            }
            if let Some(user) = &user_id {
                changes.push(EntityChange::new(
                    Entity::User,
                    user,
                    "id",
                    Value::String(user.clone()),
                    timestamp,
                ));
                changes.push(EntityChange::new(
                    Entity::User,
                    user,
                    "account_id",
                    Value::String(group.clone()),
                    timestamp,
                ));
            }
            account_id = Some(group);
            trait_map = Some(traits);
            ActivityKind::Profile
        }
        CallType::Alias => {
            previous_id = Some(
                f.id("previousId")?
                    .ok_or_else(|| f.err("previousId", "an alias call needs a previousId"))?,
            );
            if user_id.is_none() {
                return Err(f.err("userId", "an alias call needs a userId"));
            }
            ActivityKind::Profile
        }
    };

    let event = Event {
        message_id,
        call,
        user_id,
        anonymous_id,
        account_id,
        event: event_name,
        kind,
        properties: properties.map(|p| p.get().to_string()),
        traits: trait_map.map(|t| Value::Object(t).to_string()),
        context: context.map(|c| c.get().to_string()),
        previous_id,
        timestamp,
        original_timestamp: original,
        sent_at,
        received_at,
    };
    Ok(Message { event, changes })
}

/// Identify traits to user changes: recognised fields normalised, Segment's
/// `createdAt` read as `created_at`, and `company.id` as the user's account.
fn user_changes(
    f: &Fields<'_, '_>,
    user: &str,
    traits_in: &Map<String, Value>,
    at: DateTime<Utc>,
    out: &mut Vec<EntityChange>,
) -> Result<(), ParseError> {
    for (key, value) in traits_in.iter().filter(|(k, _)| k.as_str() != "id") {
        let field = if key == "createdAt" {
            "created_at"
        } else {
            key.as_str()
        };
        let value = traits::normalise(Entity::User, field, value)
            .map_err(|r| f.err(&format!("traits.{key}"), r))?;
        out.push(EntityChange::new(Entity::User, user, field, value, at));
    }
    if !traits_in.contains_key("account_id")
        && let Some(company) = traits_in.get("company").and_then(Value::as_object)
        && let Some(id) = id_value(company.get("id")).map_err(|r| f.err("traits.company.id", r))?
    {
        out.push(EntityChange::new(
            Entity::User,
            user,
            "account_id",
            Value::String(id),
            at,
        ));
    }
    Ok(())
}

/// A deterministic id for a message sent without `messageId`: a hash of its
/// content (keys sorted), so a re-sent or re-imported message is the same.
pub fn content_id(value: &Value) -> String {
    let canonical = value.to_string();
    let digest = Sha256::digest(canonical.as_bytes());
    format!("tnr-{}", hex::encode(&digest[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn http() -> Source {
        Source::Http {
            received_at: parse_timestamp("2026-03-01T12:00:10Z").unwrap(),
        }
    }

    fn one(body: Value) -> Result<Message, ParseError> {
        let bytes = json!({"batch": [body]}).to_string();
        parse_body(
            bytes.as_bytes(),
            Endpoint::Batch,
            Limits::default(),
            &Taxonomy::default(),
            http(),
        )
        .map(|mut p| p.messages.remove(0))
    }

    #[test]
    fn properties_and_context_are_kept_as_sent_and_checked() {
        let line = r#"{"type": "track", "userId": "u", "event": "E", "messageId": "m",
                       "properties": {"b": 1, "a": [true, "\u00e9"]}, "context": {"groupId": 42}}"#;
        let m = parse_line(line, Limits::default(), &Taxonomy::default(), http_import()).unwrap();
        assert_eq!(
            m.event.properties.as_deref(),
            Some(r#"{"b": 1, "a": [true, "\u00e9"]}"#)
        );
        assert_eq!(m.event.context.as_deref(), Some(r#"{"groupId": 42}"#));
        assert_eq!(m.event.account_id.as_deref(), Some("42"));
        // Text a JSON reader (DuckDB's) would refuse is refused here.
        for bad in [
            r#""properties": {"a": "\ud800"}"#,
            r#""context": {"n": 1e999}"#,
        ] {
            let line = format!(r#"{{"type": "track", "userId": "u", "event": "E", {bad}}}"#);
            let got = parse_line(
                &line,
                Limits::default(),
                &Taxonomy::default(),
                http_import(),
            );
            assert!(
                matches!(got, Err(ParseError::InvalidJson(_))),
                "{bad}: {got:?}"
            );
        }
        for (bad, field) in [
            (r#""properties": [1]"#, "properties"),
            (r#""context": "x""#, "context"),
        ] {
            let line = format!(r#"{{"type": "track", "userId": "u", "event": "E", {bad}}}"#);
            match parse_line(
                &line,
                Limits::default(),
                &Taxonomy::default(),
                http_import(),
            ) {
                Err(ParseError::InvalidMessage { field: f, .. }) => assert_eq!(f, field, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    fn http_import() -> Source {
        Source::Import {
            imported_at: parse_timestamp("2026-03-01T12:00:10Z").unwrap(),
        }
    }

    #[test]
    fn clock_skew_is_corrected_by_sent_at() {
        // The client's clock is 10m05s slow: it sends at 11:50:05 by its own
        // clock while the server receives at 12:00:10, so the call made at
        // 11:50:00 by the client's clock happened at 12:00:05.
        let m = one(json!({"type": "track", "userId": "u", "event": "Signed In",
                           "timestamp": "2026-03-01T11:50:00Z", "sentAt": "2026-03-01T11:50:05Z"}))
        .unwrap();
        assert_eq!(
            m.event.timestamp,
            parse_timestamp("2026-03-01T12:00:05Z").unwrap()
        );
        assert_eq!(
            m.event.original_timestamp,
            parse_timestamp("2026-03-01T11:50:00Z")
        );
        // originalTimestamp wins over timestamp as the client time.
        let m = one(json!({"type": "track", "userId": "u", "event": "Signed In",
                           "originalTimestamp": "2026-03-01T11:00:00Z", "timestamp": "2020-01-01T00:00:00Z",
                           "sentAt": "2026-03-01T11:00:10Z"}))
        .unwrap();
        assert_eq!(
            m.event.timestamp,
            parse_timestamp("2026-03-01T12:00:00Z").unwrap()
        );
        // No sentAt: the client time as it is; no client time: receivedAt.
        let m = one(json!({"type": "track", "userId": "u", "event": "E", "timestamp": "2025-01-01T00:00:00Z"})).unwrap();
        assert_eq!(
            m.event.timestamp,
            parse_timestamp("2025-01-01T00:00:00Z").unwrap()
        );
        let m = one(json!({"type": "track", "userId": "u", "event": "E"})).unwrap();
        assert_eq!(
            m.event.timestamp,
            parse_timestamp("2026-03-01T12:00:10Z").unwrap()
        );
    }

    #[test]
    fn a_batch_level_sent_at_applies_to_every_message() {
        let body = json!({"sentAt": "2026-03-01T12:00:00Z", "batch": [
            {"type": "track", "userId": "u", "event": "E", "timestamp": "2026-03-01T11:00:00Z"}
        ]});
        let parsed = parse_body(
            body.to_string().as_bytes(),
            Endpoint::Batch,
            Limits::default(),
            &Taxonomy::default(),
            http(),
        )
        .unwrap();
        assert_eq!(
            parsed.messages[0].event.timestamp,
            parse_timestamp("2026-03-01T11:00:10Z").unwrap()
        );
    }

    #[test]
    fn messages_without_an_id_get_a_stable_one() {
        let body = json!({"type": "track", "userId": "u", "event": "E", "timestamp": "2025-01-01T00:00:00Z"});
        let a = one(body.clone()).unwrap().event.message_id;
        let b = one(body).unwrap().event.message_id;
        assert_eq!(a, b);
        assert!(a.starts_with("tnr-"));
        let c = one(json!({"type": "track", "userId": "u", "event": "F", "timestamp": "2025-01-01T00:00:00Z"})).unwrap();
        assert_ne!(a, c.event.message_id);
    }

    #[test]
    fn identify_and_group_become_trait_changes() {
        let m = one(json!({"type": "identify", "userId": "u", "traits": {"email": "e@x", "createdAt": "2025-01-01"},
                           "context": {"traits": {"role": "cs"}, "groupId": "acme"}})).unwrap();
        let fields: Vec<(&str, Value)> = m
            .changes
            .iter()
            .map(|c| (c.field.as_str(), c.value.clone()))
            .collect();
        assert!(fields.contains(&("email", json!("e@x"))));
        assert!(fields.contains(&("role", json!("cs"))));
        assert!(fields.contains(&("created_at", json!("2025-01-01T00:00:00Z"))));
        assert!(fields.contains(&("account_id", json!("acme"))));
        let m = one(json!({"type": "identify", "userId": "u", "traits": {"company": {"id": 42}}}))
            .unwrap();
        assert!(
            m.changes
                .iter()
                .any(|c| c.field == "account_id" && c.value == json!("42"))
        );
        let m = one(
            json!({"type": "group", "userId": "u", "groupId": 7, "traits": {"archived": "true"}}),
        )
        .unwrap();
        assert_eq!(m.event.account_id.as_deref(), Some("7"));
        assert!(m.changes.iter().any(|c| c.entity == Entity::Account
            && c.field == "archived"
            && c.value == json!(true)));
    }

    #[test]
    fn errors_name_the_message_and_field() {
        let err = one(json!({"type": "group", "userId": "u", "groupId": "g", "traits": {"seats_purchased": -1}})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "batch[0].traits.seats_purchased: expected a whole number from 0"
        );
        let err = one(json!({"type": "track", "anonymousId": null, "event": "E"})).unwrap_err();
        assert!(err.to_string().starts_with("batch[0].userId:"), "{err}");
        let err = one(json!({"type": "alias", "userId": "u"})).unwrap_err();
        assert!(err.to_string().contains("previousId"), "{err}");
    }

    proptest! {
        #[test]
        fn any_bytes_parse_or_fail_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = parse_body(&bytes, Endpoint::Batch, Limits::default(), &Taxonomy::default(), http());
            let _ = parse_body(&bytes, Endpoint::Single(CallType::Group), Limits::default(), &Taxonomy::default(), http());
        }

        #[test]
        fn ids_and_timestamps_of_valid_tracks_round_trip(id in "[a-zA-Z0-9-]{1,40}", secs in 0i64..4_000_000_000) {
            let t = DateTime::from_timestamp(secs, 0).unwrap();
            let m = one(json!({"type": "track", "userId": "u", "event": "E", "messageId": id, "timestamp": t.to_rfc3339()})).unwrap();
            prop_assert_eq!(m.event.message_id, id);
            prop_assert_eq!(m.event.timestamp, t);
        }
    }
}
