//! Getting events in: the Segment message parser and validator, the dedup
//! window, the journal and the group-commit writer that acknowledges only
//! what is durably journaled, and bulk imports of JSONL and CSV files.
//!
//! Nothing here speaks HTTP; the server hands request bodies to
//! [`segment::parse_body`] and the parsed messages to the [`Writer`].

pub mod dedup;
#[cfg(feature = "store")]
pub mod import;
pub mod journal;
mod raw;
#[cfg(feature = "store")]
pub mod resolve;
pub mod segment;
#[cfg(feature = "store")]
pub mod writer;

pub use segment::{Endpoint, Limits, Message, ParseError, Parsed, Source};
#[cfg(feature = "store")]
pub use writer::{Ack, Writer, WriterError};
