//! Hand-made stores for the report tests.
#![allow(dead_code)] // each test file uses some of these

use serde_json::Value;
use tenure_core::time::parse_timestamp;
use tenure_core::{ActivityKind, Entity, EntityChange, Event};

pub fn change(entity: Entity, id: &str, field: &str, value: Value, at: &str) -> EntityChange {
    EntityChange::new(entity, id, field, value, parse_timestamp(at).unwrap())
}

/// Track call number `n` (message id `m{n}`).
pub fn track(n: usize, name: &str, kind: ActivityKind, at: &str) -> Event {
    Event::track(&format!("m{n}"), name, kind, parse_timestamp(at).unwrap())
}
