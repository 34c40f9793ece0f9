//! Fuzzes the Segment message parser: any bytes, as a batch body or as a
//! single call, must give a result or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenure_core::{CallType, Taxonomy};
use tenure_ingest::segment::{Endpoint, Limits, Source, parse_body, parse_line};

fuzz_target!(|data: &[u8]| {
    let taxonomy = Taxonomy::default();
    let source = Source::Http {
        received_at: chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap(),
    };
    let limits = Limits::default();
    let _ = parse_body(data, Endpoint::Batch, limits, &taxonomy, source);
    let _ = parse_body(data, Endpoint::Single(CallType::Identify), limits, &taxonomy, source);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_line(text, limits, &taxonomy, source);
    }
});
