//! The window in UTC: its days and calendar months, weekly and yearly
//! seasonality, and fast timestamp text.

use chrono::{Datelike, Months, NaiveDate};

pub const DAY: i64 = 86_400;
pub const WEEK: i64 = 7 * DAY;

/// Relative activity by weekday, Monday first (mean 1 over a week).
const WEEKDAY: [f64; 7] = [1.25, 1.35, 1.35, 1.3, 1.05, 0.4, 0.3];

/// Relative activity by calendar month, January first: a spring and autumn
/// high, a summer and December low.
const SEASON: [f64; 12] = [
    1.0, 1.05, 1.08, 1.02, 1.0, 0.95, 0.85, 0.78, 1.03, 1.08, 1.05, 0.8,
];

/// The days and months of the window `[start, end)`.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// First second of the window (the first day of a month).
    pub start: i64,
    /// First second after the window.
    pub end: i64,
    /// Month starts, then `end`: month `m` is `[months[m], months[m + 1])`.
    pub months: Vec<i64>,
    /// `YYYY-MM` of each month.
    pub month_names: Vec<String>,
    /// Calendar month (0 = January) of each month.
    month_of_year: Vec<usize>,
    /// `YYYY-MM-DDT` of each day of the window.
    day_prefix: Vec<[u8; 11]>,
    /// Weekday (0 = Monday) of each day of the window.
    weekday: Vec<u8>,
}

pub fn midnight(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp()
}

impl Calendar {
    /// `months` calendar months ending just before `end`: the last month is
    /// the one holding the day before `end` (partial when `end` is not the
    /// first of a month).
    pub fn new(end: NaiveDate, months: u32) -> Self {
        let last_day = end.pred_opt().expect("a day before the end");
        let last_month = last_day.with_day(1).expect("day 1 exists");
        let first = last_month - Months::new(months - 1);
        let mut starts = Vec::new();
        let mut names = Vec::new();
        let mut of_year = Vec::new();
        let mut m = first;
        while m < end {
            starts.push(midnight(m));
            names.push(format!("{:04}-{:02}", m.year(), m.month()));
            of_year.push(m.month0() as usize);
            m = m + Months::new(1);
        }
        let end_ts = midnight(end);
        starts.push(end_ts);
        let mut day_prefix = Vec::new();
        let mut weekday = Vec::new();
        let mut d = first;
        while d < end {
            let text = format!("{:04}-{:02}-{:02}T", d.year(), d.month(), d.day());
            day_prefix.push(text.as_bytes().try_into().expect("11 bytes"));
            weekday.push(d.weekday().num_days_from_monday() as u8);
            d = d.succ_opt().expect("next day");
        }
        Calendar {
            start: midnight(first),
            end: end_ts,
            months: starts,
            month_names: names,
            month_of_year: of_year,
            day_prefix,
            weekday,
        }
    }

    pub fn month_count(&self) -> usize {
        self.months.len() - 1
    }

    /// The month holding `t` (which must be inside the window).
    pub fn month_of(&self, t: i64) -> usize {
        self.months.partition_point(|&s| s <= t) - 1
    }

    /// The yearly seasonality factor of month `m`.
    pub fn season(&self, m: usize) -> f64 {
        SEASON[self.month_of_year[m]]
    }

    /// Day index in the window of `t`.
    pub fn day_index(&self, t: i64) -> usize {
        ((t - self.start) / DAY) as usize
    }

    /// First second of day `d` of the window.
    pub fn day_start(&self, d: usize) -> i64 {
        self.start + d as i64 * DAY
    }

    /// The weekday factor of day `d`.
    pub fn weekday_weight(&self, d: usize) -> f64 {
        WEEKDAY[self.weekday[d] as usize]
    }

    /// Whether day `d` is a Monday (digests go out then).
    pub fn is_monday(&self, d: usize) -> bool {
        self.weekday[d] == 0
    }

    /// Appends `t` as `YYYY-MM-DDTHH:MM:SSZ` (fast inside the window).
    pub fn write_timestamp(&self, t: i64, out: &mut Vec<u8>) {
        if !(self.start..self.end).contains(&t) {
            out.extend_from_slice(self.timestamp(t).as_bytes());
            return;
        }
        let d = self.day_index(t);
        out.extend_from_slice(&self.day_prefix[d]);
        let s = (t - self.day_start(d)) as u32;
        let two = |n: u32, out: &mut Vec<u8>| {
            out.push(b'0' + (n / 10) as u8);
            out.push(b'0' + (n % 10) as u8);
        };
        two(s / 3600, out);
        out.push(b':');
        two(s / 60 % 60, out);
        out.push(b':');
        two(s % 60, out);
        out.push(b'Z');
    }

    /// `t` as `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn timestamp(&self, t: i64) -> String {
        if (self.start..self.end).contains(&t) {
            let mut out = Vec::with_capacity(20);
            self.write_timestamp(t, &mut out);
            String::from_utf8(out).expect("ascii")
        } else {
            chrono::DateTime::from_timestamp(t, 0)
                .expect("in range")
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        }
    }

    /// `t`'s date as `YYYY-MM-DD`.
    pub fn date(&self, t: i64) -> String {
        chrono::DateTime::from_timestamp(t, 0)
            .expect("in range")
            .format("%Y-%m-%d")
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_end_before_the_end_day() {
        let c = Calendar::new(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(), 24);
        assert_eq!(c.month_names.first().unwrap(), "2024-11");
        assert_eq!(c.month_names.last().unwrap(), "2026-10");
        assert_eq!(c.month_count(), 24);
        let partial = Calendar::new(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(), 12);
        assert_eq!(partial.month_names.first().unwrap(), "2025-12");
        assert_eq!(partial.month_names.last().unwrap(), "2026-11");
        assert_eq!(partial.end - partial.months[11], 22 * DAY);
        assert_eq!(c.timestamp(c.start + 3661), "2024-11-01T01:01:01Z");
        assert_eq!(c.month_of(c.months[5] - 1), 4);
        assert_eq!(c.month_of(c.months[5]), 5);
    }
}
