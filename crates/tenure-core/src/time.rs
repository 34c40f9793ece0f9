//! Time: an injectable clock, and the timestamp formats Tenure accepts.
//!
//! All times are UTC; they are stored as microseconds since the Unix epoch
//! (DuckDB `TIMESTAMP`), never with a time zone.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use std::sync::atomic::{AtomicI64, Ordering};

/// Where "now" comes from, so tests and reports can pin it.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug)]
pub struct FixedClock(AtomicI64);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(AtomicI64::new(at.timestamp_micros()))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        self.0.store(at.timestamp_micros(), Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        from_micros(self.0.load(Ordering::SeqCst))
    }
}

/// A clock that starts at a given moment and runs at the wall clock's
/// pace (`tenure serve --clock-start`: replaying a dataset's past as if it
/// were now, in demos and tests).
#[derive(Debug, Clone, Copy)]
pub struct StartedClock {
    start: DateTime<Utc>,
    at: std::time::Instant,
}

impl StartedClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            start,
            at: std::time::Instant::now(),
        }
    }
}

impl Clock for StartedClock {
    fn now(&self) -> DateTime<Utc> {
        self.start + chrono::Duration::from_std(self.at.elapsed()).unwrap_or_default()
    }
}

/// Microseconds since the epoch to a UTC time (saturating at the ends of
/// chrono's range, which no valid input reaches).
pub fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Parses the timestamp forms seen in Segment payloads and CSV files:
/// RFC 3339 with an offset (`2024-05-01T12:00:00.123Z`, `...+02:00`), the
/// same without an offset (taken as UTC), with a space instead of `T`, or a
/// bare date (midnight UTC).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    // Python's isoformat() and others sometimes use a space separator.
    if let Ok(t) = DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    None
}

/// Parses a date (`YYYY-MM-DD`), or the date part of a timestamp.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .or_else(|| parse_timestamp(text).map(|t| t.date_naive()))
}

/// Formats a time the way Tenure prints and returns it (RFC 3339, UTC, `Z`).
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        let want = parse_timestamp("2024-05-01T12:00:00Z").unwrap();
        for text in [
            "2024-05-01T12:00:00.000Z",
            "2024-05-01T14:00:00+02:00",
            "2024-05-01T12:00:00+00:00",
            "2024-05-01 12:00:00+00:00",
            "2024-05-01T12:00:00",
            "2024-05-01 12:00:00",
        ] {
            assert_eq!(parse_timestamp(text), Some(want), "{text}");
        }
        assert_eq!(
            parse_timestamp("2024-05-01").unwrap().timestamp(),
            want.timestamp() - 12 * 3600
        );
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp("2024-13-01T00:00:00Z"), None);
    }

    #[test]
    fn fixed_clock_moves_when_told() {
        let t = parse_timestamp("2024-05-01T12:00:00Z").unwrap();
        let clock = FixedClock::new(t);
        assert_eq!(clock.now(), t);
        let later = t + chrono::Duration::days(1);
        clock.set(later);
        assert_eq!(clock.now(), later);
    }
}
