//! What reports share: the period they cover and the engagement categories.

use chrono::{Days, Months, NaiveDate, NaiveDateTime, NaiveTime};

/// A bad report parameter: which one, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{param}: {reason}")]
pub struct ParamError {
    pub param: String,
    pub reason: String,
}

impl ParamError {
    pub fn new(param: &str, reason: impl Into<String>) -> Self {
        Self {
            param: param.into(),
            reason: reason.into(),
        }
    }
}

fn bad(param: &str, reason: impl Into<String>) -> ParamError {
    ParamError::new(param, reason)
}

/// Midnight after `day` (UTC): the exclusive end of a period ending on it.
pub fn end_of_day(day: NaiveDate) -> NaiveDateTime {
    day.checked_add_days(Days::new(1))
        .unwrap_or(day)
        .and_time(NaiveTime::MIN)
}

/// Days `from` to `to`, both included, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// From the request: `to` (default `today`), then `from`, or `range`
    /// (`7d`, `30d`, `90d`, `12m`) counting back from `to` (default `30d`).
    pub fn resolve(
        from: Option<&str>,
        to: Option<&str>,
        range: Option<&str>,
        today: NaiveDate,
    ) -> Result<Self, ParamError> {
        let date = |param: &str, text: &str| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| bad(param, format!("{text:?} is not a date like 2026-03-31")))
        };
        let to = to.map(|t| date("to", t)).transpose()?.unwrap_or(today);
        let from = match (from, range) {
            (Some(_), Some(_)) => return Err(bad("range", "give either from or range, not both")),
            (Some(f), None) => date("from", f)?,
            (None, range) => {
                let range = range.unwrap_or("30d");
                let back = match range {
                    "7d" => to.checked_sub_days(Days::new(6)),
                    "30d" => to.checked_sub_days(Days::new(29)),
                    "90d" => to.checked_sub_days(Days::new(89)),
                    "12m" => to
                        .checked_sub_months(Months::new(12))
                        .and_then(|d| d.checked_add_days(Days::new(1))),
                    other => {
                        return Err(bad(
                            "range",
                            format!("{other:?} is not one of 7d, 30d, 90d, 12m"),
                        ));
                    }
                };
                back.ok_or_else(|| bad("range", "reaches before the calendar's start"))?
            }
        };
        if from > to {
            return Err(bad("from", format!("{from} is after to ({to})")));
        }
        Ok(Self { from, to })
    }

    /// Midnight after `to`: the exclusive end of the period.
    pub fn end(&self) -> NaiveDateTime {
        end_of_day(self.to)
    }

    pub fn days(&self) -> u64 {
        (self.to - self.from).num_days() as u64 + 1
    }

    /// The period of equal length just before this one.
    /// The `n` days (at least 1) ending on `to`.
    pub fn ending(to: NaiveDate, n: u64) -> Self {
        Self {
            from: days_before(to, n.max(1) - 1),
            to,
        }
    }

    pub fn previous(&self) -> Self {
        let to = self.from.pred_opt().unwrap_or(self.from);
        let from = to
            .checked_sub_days(Days::new(self.days() - 1))
            .unwrap_or(NaiveDate::MIN);
        Self { from, to }
    }
}

/// The day `n` days before `day` (the earliest date there is, if none).
pub fn days_before(day: NaiveDate, n: u64) -> NaiveDate {
    day.checked_sub_days(Days::new(n)).unwrap_or(NaiveDate::MIN)
}

pub use crate::rules::{Achievement, ReportsConfig};

/// A user's activity in a period, by kind (`messages_sent` also counts in
/// `message`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindCounts {
    pub consume: u64,
    pub login: u64,
    pub research: u64,
    pub maintain: u64,
    pub share: u64,
    pub message: u64,
    pub portal: u64,
    pub messages_sent: u64,
}

impl KindCounts {
    /// Share events plus Message Sent.
    pub fn social(&self) -> u64 {
        self.share + self.messages_sent
    }

    pub fn platform(&self) -> u64 {
        self.login + self.research + self.maintain + self.share + self.message + self.portal
    }
}

/// A user's engagement category over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// At least 1 research or maintain event and at least 2 social actions.
    Engaging,
    /// Otherwise, at least 1 platform event.
    Interacting,
    /// Otherwise, at least 1 consume event.
    Consuming,
    /// None of these.
    Dormant,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Self::Engaging,
        Self::Interacting,
        Self::Consuming,
        Self::Dormant,
    ];

    /// The category under the default thresholds (1 research or maintain
    /// event, 2 social actions); [`ReportsConfig::category`] applies the
    /// configured ones.
    pub fn of(c: &KindCounts) -> Self {
        use crate::rules::{ENGAGING_MIN_RESEARCH, ENGAGING_MIN_SOCIAL};
        Self::with_thresholds(c, ENGAGING_MIN_RESEARCH, ENGAGING_MIN_SOCIAL)
    }

    /// Engaging needs `min_research` research or maintain events and
    /// `min_social` social actions.
    pub fn with_thresholds(c: &KindCounts, min_research: u64, min_social: u64) -> Self {
        if c.research + c.maintain >= min_research && c.social() >= min_social {
            Self::Engaging
        } else if c.platform() >= 1 {
            Self::Interacting
        } else if c.consume >= 1 {
            Self::Consuming
        } else {
            Self::Dormant
        }
    }

    /// Its place in [`Category::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Engaging => "engaging",
            Self::Interacting => "interacting",
            Self::Consuming => "consuming",
            Self::Dormant => "dormant",
        }
    }

    /// The default advice for a user in this category.
    pub fn default_advice(self) -> &'static str {
        match self {
            Self::Engaging => {
                "Ask them to become an internal champion and to share their best practice with the team."
            }
            Self::Interacting => {
                "Show them how to share insights and send messages from the platform, and introduce them to your champions."
            }
            Self::Consuming => {
                "Offer a refresher training and show them how to act straight from the alert email."
            }
            Self::Dormant => {
                "Check whether they know they have a licence, have left the company, or need onboarding."
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_count_back_from_to_with_both_ends_included() {
        let today = d("2026-03-31");
        let p = Period::resolve(None, None, None, today).unwrap();
        assert_eq!((p.from, p.to, p.days()), (d("2026-03-02"), today, 30));
        let p = Period::resolve(None, Some("2026-03-07"), Some("7d"), today).unwrap();
        assert_eq!(p.from, d("2026-03-01"));
        let p = Period::resolve(None, Some("2026-02-28"), Some("12m"), today).unwrap();
        assert_eq!(p.from, d("2025-03-01"));
        let p = Period::resolve(Some("2026-02-01"), Some("2026-02-28"), None, today).unwrap();
        assert_eq!(
            p.previous(),
            Period {
                from: d("2026-01-04"),
                to: d("2026-01-31")
            }
        );
        let err = |f, t, r| Period::resolve(f, t, r, today).unwrap_err().param;
        assert_eq!(err(None, None, Some("2w")), "range");
        assert_eq!(err(Some("2026-13-01"), None, None), "from");
        assert_eq!(err(None, Some("31/03/2026"), None), "to");
        assert_eq!(err(Some("2026-04-01"), None, None), "from");
        assert_eq!(err(Some("2026-03-01"), None, Some("7d")), "range");
    }

    #[test]
    fn categories_follow_the_documented_definitions() {
        let c = |research, maintain, share, messages_sent, login, consume| KindCounts {
            research,
            maintain,
            share,
            messages_sent,
            message: messages_sent,
            login,
            consume,
            ..KindCounts::default()
        };
        use Category::*;
        assert_eq!(Category::of(&c(1, 0, 2, 0, 0, 0)), Engaging);
        assert_eq!(Category::of(&c(0, 1, 1, 1, 0, 0)), Engaging);
        // Two social actions but no research or maintain: interacting.
        assert_eq!(Category::of(&c(0, 0, 1, 1, 0, 0)), Interacting);
        // Research with one social action only: interacting.
        assert_eq!(Category::of(&c(3, 0, 1, 0, 0, 5)), Interacting);
        assert_eq!(Category::of(&c(0, 0, 0, 0, 1, 9)), Interacting);
        assert_eq!(Category::of(&c(0, 0, 0, 0, 0, 1)), Consuming);
        assert_eq!(Category::of(&KindCounts::default()), Dormant);
        // Portal and Message Answered are platform events too.
        let portal = KindCounts {
            portal: 1,
            ..KindCounts::default()
        };
        assert_eq!(Category::of(&portal), Interacting);
    }
}
