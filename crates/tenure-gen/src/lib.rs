//! `tenure-gen`: usage data of a sales-intelligence SaaS, at any scale, with
//! the answers a correct analysis must find (see `docs/generator.md`).
//!
//! Deterministic: the same [`Params`] give the same bytes, on any machine
//! and with any number of threads (every draw comes from a stream seeded by
//! the seed and the indexes of what it is for). Streams month by month, so
//! memory is bounded by the customer list plus one month of events.
//!
//! Never reads the clock or the network; writes only into the output dir.

pub mod activity;
pub mod calendar;
pub mod catalog;
mod files;
mod noise;
pub mod params;
pub mod render;
pub mod rng;
mod truth;
pub mod world;

pub use files::{GenError, Summary, generate};
pub use params::{Params, Preset};
