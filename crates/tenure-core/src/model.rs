//! The shapes that flow from ingestion to the store.

use crate::taxonomy::ActivityKind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The Segment call types Tenure accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallType {
    Track,
    Identify,
    Group,
    Page,
    Screen,
    Alias,
}

impl CallType {
    pub const ALL: [CallType; 6] = [
        Self::Track,
        Self::Identify,
        Self::Group,
        Self::Page,
        Self::Screen,
        Self::Alias,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Track => "track",
            Self::Identify => "identify",
            Self::Group => "group",
            Self::Page => "page",
            Self::Screen => "screen",
            Self::Alias => "alias",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

impl fmt::Display for CallType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One validated, normalised message: a row of the `events` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The client's `messageId`, or a content hash when it sent none.
    pub message_id: String,
    pub call: CallType,
    pub user_id: Option<String>,
    pub anonymous_id: Option<String>,
    /// From `context.groupId` or a group call's `groupId`; when `None` the
    /// writer fills in the user's current account.
    pub account_id: Option<String>,
    /// The track event name, or the page / screen name.
    pub event: Option<String>,
    pub kind: ActivityKind,
    /// `properties` as JSON text (track, page, screen).
    pub properties: Option<String>,
    /// `traits` as JSON text (identify, group).
    pub traits: Option<String>,
    /// `context` as JSON text.
    pub context: Option<String>,
    /// An alias call's `previousId`.
    pub previous_id: Option<String>,
    /// When it happened, corrected for client clock skew.
    pub timestamp: DateTime<Utc>,
    pub original_timestamp: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
}

/// Which entity a trait change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Entity {
    Account,
    User,
}

/// One trait of one account or user set to a value at a time. The store
/// keeps every change, so any past state can be rebuilt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityChange {
    pub entity: Entity,
    pub id: String,
    /// A recognised field name (see [`crate::traits`]) or a free-form trait.
    pub field: String,
    /// The normalised value; JSON `null` unsets the field.
    pub value: serde_json::Value,
    pub at: DateTime<Utc>,
}

impl EntityChange {
    pub fn new(
        entity: Entity,
        id: &str,
        field: &str,
        value: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            entity,
            id: id.to_string(),
            field: field.to_string(),
            value,
            at,
        }
    }
}

impl Event {
    /// A `track` call named `name` at `at` (received then too), with no
    /// user, account, properties or context: fill those in with struct
    /// update syntax.
    pub fn track(message_id: &str, name: &str, kind: ActivityKind, at: DateTime<Utc>) -> Self {
        Self {
            message_id: message_id.to_string(),
            call: CallType::Track,
            user_id: None,
            anonymous_id: None,
            account_id: None,
            event: Some(name.to_string()),
            kind,
            properties: None,
            traits: None,
            context: None,
            previous_id: None,
            timestamp: at,
            original_timestamp: None,
            sent_at: None,
            received_at: at,
        }
    }
}

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Sends events through the Segment API; nothing else.
    Write,
    /// Everything, including keys.
    Admin,
    /// Reads everything.
    Viewer,
    /// Reads one account's usage reports.
    AccountAdmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Write => "write",
            Self::Admin => "admin",
            Self::Viewer => "viewer",
            Self::AccountAdmin => "account-admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Write, Self::Admin, Self::Viewer, Self::AccountAdmin]
            .into_iter()
            .find(|r| r.as_str() == text)
    }

    /// Whether this role may read the store-wide API (stats, reports).
    pub fn can_read_all(self) -> bool {
        matches!(self, Self::Admin | Self::Viewer)
    }

    /// Whether this role may read reports and open the dashboard (every
    /// role but write; an account admin its own account's only).
    pub fn reads_reports(self) -> bool {
        self.can_read_all() || self == Self::AccountAdmin
    }
}

/// Whether a key is a Segment write key or an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Write,
    Api,
}

impl Role {
    pub fn key_kind(self) -> KeyKind {
        match self {
            Self::Write => KeyKind::Write,
            _ => KeyKind::Api,
        }
    }
}

/// A stored key, without its secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyInfo {
    pub id: String,
    pub role: Role,
    pub account_id: Option<String>,
    pub label: Option<String>,
    /// The first characters of the secret, to tell keys apart in lists.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}
