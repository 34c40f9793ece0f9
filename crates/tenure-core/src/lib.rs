//! Tenure's domain: the shapes of events, accounts, users and keys, the
//! activity taxonomy, the configuration and the clock.
//!
//! This crate does no I/O beyond reading a config file; every other crate
//! depends on it and it depends on none of them.

pub mod alerts;
pub mod config;
pub mod delivery;
pub mod health;
pub mod influence;
pub mod messages;
pub mod model;
pub mod models;
pub mod playbooks;
pub mod report;
pub mod rules;
pub mod taxonomy;
pub mod time;
pub mod traits;
pub mod web;

pub use config::{Config, ConfigError};
pub use model::{CallType, Entity, EntityChange, Event, KeyInfo, KeyKind, Role};
pub use taxonomy::{ActivityKind, Taxonomy};
pub use time::{Clock, FixedClock, SystemClock};
