//! `--noise`: lines a real pipeline sees now and then. After a chosen
//! message comes either a malformed message (which Tenure must reject) or a
//! verbatim copy of it (a client retry, which Tenure must store once).
//! Real messages are never altered, so the truth holds with or without
//! noise.

use crate::rng::{tag, unit};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Noise {
    /// No `userId` nor `anonymousId`.
    NoUser,
    /// A `timestamp` that is not a time.
    BadTimestamp,
    /// `properties` that is not an object.
    BadProperties,
    /// The first half of a message: not JSON.
    Truncated,
    /// The same message again, byte for byte.
    Duplicate,
}

impl Noise {
    pub fn name(self) -> &'static str {
        match self {
            Noise::NoUser => "no_user",
            Noise::BadTimestamp => "bad_timestamp",
            Noise::BadProperties => "bad_properties",
            Noise::Truncated => "truncated",
            Noise::Duplicate => "duplicate",
        }
    }
}

/// The noise after message `n`, if any.
pub fn after(seed: u64, rate: f64, n: u64) -> Option<Noise> {
    if rate <= 0.0 || unit(seed, tag::NOISE, n) >= rate {
        return None;
    }
    Some(match (unit(seed, tag::NOISE + 1, n) * 8.0) as u32 {
        0 => Noise::NoUser,
        1 => Noise::BadTimestamp,
        2 => Noise::BadProperties,
        3 => Noise::Truncated,
        _ => Noise::Duplicate,
    })
}

/// Writes the noise line that follows `original` (a whole line, newline
/// included) and returns the messageId it carries, if any.
pub fn write(kind: Noise, seed: u64, n: u64, original: &[u8], out: &mut Vec<u8>) -> Option<String> {
    let id = format!("g{seed}-x{n}");
    let line = match kind {
        Noise::Duplicate => {
            out.extend_from_slice(original);
            return Some(format!("g{seed}-{n}"));
        }
        Noise::Truncated => {
            out.extend_from_slice(&original[..original.len() / 2]);
            out.push(b'\n');
            return None;
        }
        Noise::NoUser => format!(
            r#"{{"type":"track","messageId":"{id}","event":"Signed In","timestamp":"2026-01-01T00:00:00Z"}}"#
        ),
        Noise::BadTimestamp => format!(
            r#"{{"type":"track","messageId":"{id}","userId":"usr-0","event":"Signed In","timestamp":"last tuesday"}}"#
        ),
        Noise::BadProperties => format!(
            r#"{{"type":"track","messageId":"{id}","userId":"usr-0","event":"Signed In","properties":"oops","timestamp":"2026-01-01T00:00:00Z"}}"#
        ),
    };
    out.extend_from_slice(line.as_bytes());
    out.push(b'\n');
    Some(id)
}
