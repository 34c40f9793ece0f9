//! The product's events: names (the default taxonomy of Tenure's core),
//! activity kinds, the feature each belongs to, how often each archetype
//! does it, and the fixed texts the messages carry.

/// Activity kind of an event, as Tenure's default taxonomy has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Consume,
    Login,
    Research,
    Maintain,
    Share,
    Message,
    Portal,
    Error,
    Lifecycle,
}

pub struct EventType {
    pub name: &'static str,
    pub kind: Kind,
    /// Index into [`FEATURES`].
    pub feature: u8,
}

pub const ALERT_RECEIVED: u8 = 0;
pub const ALERT_OPENED: u8 = 1;
pub const DIGEST: u8 = 2;
pub const SIGNED_IN: u8 = 3;
pub const COMPANY_VIEWED: u8 = 4;
pub const SEARCH: u8 = 5;
pub const PROFILE: u8 = 6;
pub const ARTICLE: u8 = 7;
pub const WATCHLIST_CREATED: u8 = 8;
pub const COMPANY_FOLLOWED: u8 = 9;
pub const LIST_UPDATED: u8 = 10;
pub const INSIGHT_SHARED: u8 = 11;
pub const REMINDER_SET: u8 = 12;
pub const MEETING_SCHEDULED: u8 = 13;
pub const MESSAGE_SENT: u8 = 14;
pub const MESSAGE_ANSWERED: u8 = 15;
pub const PORTAL_VIEWED: u8 = 16;
pub const DOCUMENT_DOWNLOADED: u8 = 17;
pub const ERROR_SHOWN: u8 = 18;
pub const TRIAL_STARTED: u8 = 19;
pub const TRIAL_CONVERTED: u8 = 20;
pub const PLAN_UPGRADED: u8 = 21;
pub const PLAN_DOWNGRADED: u8 = 22;
pub const ACCOUNT_CHURNED: u8 = 23;
pub const NPS_SUBMITTED: u8 = 24;
pub const FEEDBACK_SUBMITTED: u8 = 25;
/// `identify` with `seat_assigned_at: null` (the user left).
pub const IDENTIFY_SEAT_OFF: u8 = 40;
/// `identify` with new `groups` (the user changed team).
pub const IDENTIFY_GROUPS: u8 = 41;
/// `group` with a new plan, seats and MRR.
pub const GROUP_PLAN: u8 = 42;
/// `group` with `archived: true`.
pub const GROUP_ARCHIVED: u8 = 43;

pub const FEATURES: &[&str] = &[
    "alerts",
    "login",
    "company_page",
    "search",
    "people",
    "watchlists",
    "sharing",
    "calendar",
    "messaging",
    "portal",
    "billing",
];

const fn e(name: &'static str, kind: Kind, feature: u8) -> EventType {
    EventType {
        name,
        kind,
        feature,
    }
}

/// Track events by code (the constants above).
pub const EVENTS: &[EventType] = &[
    e("Alert Email Received", Kind::Consume, 0),
    e("Alert Email Opened", Kind::Consume, 0),
    e("Digest Received", Kind::Consume, 0),
    e("Signed In", Kind::Login, 1),
    e("Company Viewed", Kind::Research, 2),
    e("Search Performed", Kind::Research, 3),
    e("Profile Viewed", Kind::Research, 4),
    e("Article Opened", Kind::Research, 2),
    e("Watchlist Created", Kind::Maintain, 5),
    e("Company Followed", Kind::Maintain, 5),
    e("List Updated", Kind::Maintain, 5),
    e("Insight Shared", Kind::Share, 6),
    e("Reminder Set", Kind::Share, 7),
    e("Meeting Scheduled", Kind::Share, 7),
    e("Message Sent", Kind::Message, 8),
    e("Message Answered", Kind::Message, 8),
    e("Portal Viewed", Kind::Portal, 9),
    e("Document Downloaded", Kind::Portal, 9),
    e("Error Shown", Kind::Error, 10),
    e("Trial Started", Kind::Lifecycle, 10),
    e("Trial Converted", Kind::Lifecycle, 10),
    e("Plan Upgraded", Kind::Lifecycle, 10),
    e("Plan Downgraded", Kind::Lifecycle, 10),
    e("Account Churned", Kind::Lifecycle, 10),
    e("NPS Submitted", Kind::Lifecycle, 10),
    e("Feedback Submitted", Kind::Lifecycle, 10),
];

/// Expected events per full month at multiplier 1, for engaging,
/// interacting and consuming users. Alert opens, digests and message answers
/// follow from these; dormant and never-activated users do nothing.
pub const RATES: &[(u8, [f64; 3])] = &[
    (ALERT_RECEIVED, [2.5, 2.2, 2.0]),
    (SIGNED_IN, [3.5, 1.75, 0.0]),
    (COMPANY_VIEWED, [3.5, 1.3, 0.0]),
    (SEARCH, [2.5, 1.1, 0.0]),
    (PROFILE, [1.25, 0.45, 0.0]),
    (ARTICLE, [0.8, 0.35, 0.0]),
    (WATCHLIST_CREATED, [0.15, 0.05, 0.0]),
    (COMPANY_FOLLOWED, [0.55, 0.22, 0.0]),
    (LIST_UPDATED, [0.35, 0.12, 0.0]),
    (INSIGHT_SHARED, [2.3, 0.3, 0.0]),
    (REMINDER_SET, [0.6, 0.15, 0.0]),
    (MEETING_SCHEDULED, [0.4, 0.05, 0.0]),
    (MESSAGE_SENT, [1.7, 0.3, 0.0]),
    (PORTAL_VIEWED, [0.55, 0.35, 0.0]),
    (DOCUMENT_DOWNLOADED, [0.25, 0.12, 0.0]),
    (ERROR_SHOWN, [0.1, 0.04, 0.0]),
];

/// Share of received alerts each archetype opens.
pub const OPEN_RATE: [f64; 3] = [0.6, 0.45, 0.35];

/// Everyday errors by feature (index into [`FEATURES`]): most in a few.
pub const ERROR_FEATURES: &[(u8, f64)] = &[
    (3, 0.40),
    (6, 0.22),
    (8, 0.14),
    (9, 0.08),
    (2, 0.06),
    (5, 0.05),
    (4, 0.03),
    (7, 0.02),
];

/// Events a planted drop can hit (a feature that breaks for an account):
/// the key features used most.
pub const DROP_EVENTS: &[u8] = &[SEARCH, COMPANY_VIEWED, PROFILE, INSIGHT_SHARED];

pub const ERROR_CODES: &[&str] = &["timeout", "server_error", "not_found", "rate_limited"];
pub const CHANNELS: &[&str] = &["email", "linkedin", "twitter", "watchlist"];
pub const ANSWERS: &[&str] = &["yes", "maybe", "no"];
pub const PORTAL_PAGES: &[&str] = &["home", "reports", "documents", "billing", "team"];
pub const SOURCES: &[&str] = &["search", "alert", "watchlist", "direct"];
pub const CHURN_REASONS: &[&str] = &["budget", "low_usage", "switched_vendor", "champion_left"];

/// NPS comments and feedback texts, positive first, then neutral, then
/// negative (see [`sentiment_range`]).
pub const COMMENTS: &[&str] = &[
    "Love the alerts, they save me hours every week",
    "Great product, the team relies on it daily",
    "Excellent data quality and very easy to share insights",
    "The watchlists are exactly what we needed",
    "Solid tool, does what we need",
    "Useful but the search could be faster",
    "Fine overall, some features are hard to find",
    "Too expensive for how little we use it",
    "Search keeps failing and support is slow",
    "We are not getting value anymore, considering other options",
    "Nobody on the team logs in since our lead left",
];

/// The range of [`COMMENTS`] for a sentiment: 0 positive, 1 neutral, 2
/// negative.
pub fn sentiment_range(sentiment: usize) -> std::ops::Range<usize> {
    match sentiment {
        0 => 0..4,
        1 => 4..7,
        _ => 7..COMMENTS.len(),
    }
}
