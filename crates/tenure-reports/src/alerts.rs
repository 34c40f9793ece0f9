//! Alerts: what fires on a day, and the life of each alert (see
//! `tenure_core::alerts`). Evaluating a day finds every cause that holds
//! then, opens an alert for a cause without a live one, keeps the reason of
//! those still firing up to date, opens snoozed ones whose day has come,
//! and resolves those whose cause no longer holds.

use crate::health::healths_on;
use crate::{ReportError, Request, Table};
use chrono::{Days, NaiveDate};
use std::collections::{BTreeMap, BTreeSet};
use tenure_core::alerts::AlertStatus;
use tenure_core::report::{Category, Period, ReportsConfig, days_before};
use tenure_store::{Alert, Scope, Store};

/// A cause that holds on a day.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Firing {
    pub account_id: String,
    pub kind: &'static str,
    pub subject: String,
    pub reason: String,
}

fn alert_id(f: &Firing, day: NaiveDate) -> String {
    let key = format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{day}",
        f.account_id, f.kind, f.subject
    );
    format!("al-{:016x}", xxhash_rust::xxh3::xxh3_64(key.as_bytes()))
}

/// The alerts to save after `day`, given those stored and what fires.
pub(crate) fn advance(stored: &[Alert], firing: &[Firing], day: NaiveDate) -> Vec<Alert> {
    let key = |account: &str, kind: &str, subject: &str| {
        (account.to_string(), kind.to_string(), subject.to_string())
    };
    let live: BTreeMap<_, &Alert> = stored
        .iter()
        .filter(|a| a.status != AlertStatus::Resolved)
        .map(|a| (key(&a.account_id, &a.kind, &a.subject), a))
        .collect();
    let mut changed = Vec::new();
    let mut holding = BTreeSet::new();
    for f in firing {
        let k = key(&f.account_id, f.kind, &f.subject);
        holding.insert(k.clone());
        match live.get(&k) {
            Some(a) => {
                let mut next = (*a).clone();
                next.reason = f.reason.clone();
                if a.status == AlertStatus::Snoozed && a.snoozed_until.is_none_or(|u| u <= day) {
                    next.status = AlertStatus::Open;
                    next.snoozed_until = None;
                }
                if next != **a {
                    changed.push(next);
                }
            }
            None => changed.push(Alert {
                alert_id: alert_id(f, day),
                account_id: f.account_id.clone(),
                kind: f.kind.to_string(),
                subject: f.subject.clone(),
                opened_on: day,
                status: AlertStatus::Open,
                snoozed_until: None,
                resolved_on: None,
                reason: f.reason.clone(),
            }),
        }
    }
    for (k, a) in live {
        if !holding.contains(&k) {
            changed.push(Alert {
                status: AlertStatus::Resolved,
                resolved_on: Some(day),
                snoozed_until: None,
                ..a.clone()
            });
        }
    }
    changed
}

pub use tenure_core::alerts::KINDS;

/// Every cause of the `kinds` asked for that holds on `day`, per live
/// account.
pub(crate) fn firing_on(
    store: &dyn Store,
    config: &ReportsConfig,
    day: NaiveDate,
    kinds: &[&str],
) -> Result<Vec<Firing>, ReportError> {
    let request = Request::day(config, day);
    let live: BTreeSet<String> = store
        .accounts_at(day, &Scope::default())?
        .into_iter()
        .filter(|a| !a.archived)
        .map(|a| a.account_id)
        .collect();
    let mut out = Vec::new();
    if kinds.contains(&"feature_drop") {
        out.extend(feature_drops(store, config, day, &live)?);
    }
    if kinds.contains(&"error_spike") {
        out.extend(error_spikes(store, config, day, &live)?);
    }
    if kinds.contains(&"health_band_fall") {
        out.extend(band_falls(store, &request, day)?);
    }
    if kinds.contains(&"champion_lost") {
        out.extend(champions_lost(store, config, day, &live)?);
    }
    if kinds.contains(&"seats_pending") {
        out.extend(seats_pending(store, config, day, &live)?);
    }
    out.sort_by(|a, b| {
        (&a.account_id, a.kind, &a.subject).cmp(&(&b.account_id, b.kind, &b.subject))
    });
    Ok(out)
}

/// Events per account and event (or detail).
type Counts = BTreeMap<(String, String), u64>;

/// The rows of live accounts that `keep` keeps, by account and event.
fn counts_of(
    rows: Vec<tenure_store::AccountEvents>,
    live: &BTreeSet<String>,
    keep: impl Fn(&tenure_store::AccountEvents) -> bool,
) -> Counts {
    rows.into_iter()
        .filter(|e| live.contains(&e.account_id) && keep(e))
        .map(|e| ((e.account_id, e.event), e.events))
        .collect()
}

/// The 7 days to `day`, and the 4 weeks before them.
fn windows(day: NaiveDate) -> (Period, Period) {
    let week = Period::ending(day, 7);
    (week, Period::ending(days_before(day, 7), 28))
}

/// `feature_drop`: a key feature's events in the 7 days to `day` at least
/// `drop_pct` below its weekly average over the 4 weeks before, when that
/// average is at least `min_weekly_events`.
fn feature_drops(
    store: &dyn Store,
    config: &ReportsConfig,
    day: NaiveDate,
    live: &BTreeSet<String>,
) -> Result<Vec<Firing>, ReportError> {
    let key = &config.health.key_features;
    let counts = |period: Period| -> Result<Counts, ReportError> {
        let rows = store.account_events_of(period, &Scope::default(), key)?;
        Ok(counts_of(rows, live, |_| true))
    };
    let (last_week, four_weeks) = windows(day);
    let (week, before) = (counts(last_week)?, counts(four_weeks)?);
    let rules = &config.alerts;
    let mut out = Vec::new();
    for ((account, event), total) in before {
        let average = total as f64 / 4.0;
        let now = week
            .get(&(account.clone(), event.clone()))
            .copied()
            .unwrap_or(0);
        let change = (now as f64 - average) * 100.0 / average;
        if average < rules.min_weekly_events || average <= 0.0 || -change < rules.drop_pct {
            continue;
        }
        let chance = poisson_at_most(now, average);
        if chance <= rules.max_chance {
            out.push(Firing {
                reason: format!(
                    "{event}: {now} events in the 7 days to {day} against {average:.1} a week \
                     in the 4 weeks before ({change:+.0}%; as few by chance: {chance:.2e})"
                ),
                account_id: account,
                kind: "feature_drop",
                subject: event,
            });
        }
    }
    Ok(out)
}

/// `error_spike`: a feature's Error Shown events in the 7 days to `day`
/// at least `spike_ratio` times its weekly average over the 4 weeks
/// before, at least `min_weekly_errors`, and as many by chance at most
/// `max_chance` of the time (at an average of at least one error in the
/// 4 weeks).
fn error_spikes(
    store: &dyn Store,
    config: &ReportsConfig,
    day: NaiveDate,
    live: &BTreeSet<String>,
) -> Result<Vec<Firing>, ReportError> {
    let counts = |period: Period| -> Result<Counts, ReportError> {
        let rows = store.account_details(period, &Scope::default(), "Error Shown")?;
        Ok(counts_of(rows, live, |_| true))
    };
    let (last_week, four_weeks) = windows(day);
    let before = counts(four_weeks)?;
    let rules = &config.alerts;
    let mut out = Vec::new();
    for ((account, feature), now) in counts(last_week)? {
        let total = before
            .get(&(account.clone(), feature.clone()))
            .copied()
            .unwrap_or(0);
        let average = total as f64 / 4.0;
        if (now as f64) < rules.min_weekly_errors || (now as f64) < rules.spike_ratio * average {
            continue;
        }
        let chance = 1.0 - poisson_at_most(now - 1, average.max(0.25));
        if chance <= rules.max_chance {
            out.push(Firing {
                reason: format!(
                    "{feature}: {now} errors in the 7 days to {day} against {average:.1} a week \
                     in the 4 weeks before (as many by chance: {chance:.2e})"
                ),
                account_id: account,
                kind: "error_spike",
                subject: feature,
            });
        }
    }
    Ok(out)
}

/// P(X <= n) for X ~ Poisson(mean), summed in log space (no underflow
/// at large means).
pub(crate) fn poisson_at_most(n: u64, mean: f64) -> f64 {
    let mut log_term = -mean; // k = 0
    let mut log_sum = log_term;
    for k in 1..=n {
        log_term += mean.ln() - (k as f64).ln();
        let (hi, lo) = if log_sum > log_term {
            (log_sum, log_term)
        } else {
            (log_term, log_sum)
        };
        log_sum = hi + (lo - hi).exp().ln_1p();
    }
    log_sum.exp().min(1.0)
}

/// `health_band_fall`: the band is lower than 30 days before.
fn band_falls(
    store: &dyn Store,
    request: &Request,
    day: NaiveDate,
) -> Result<Vec<Firing>, ReportError> {
    let config = &request.config.health;
    let rank = |band: &str| ["red", "yellow", "green"].iter().position(|b| *b == band);
    let then = healths_on(store, request, days_before(day, 30))?;
    let mut out = Vec::new();
    for (account, now) in healths_on(store, request, day)? {
        let Some(before) = then.get(&account) else {
            continue;
        };
        if rank(now.band(config)) < rank(before.band(config)) {
            out.push(Firing {
                account_id: account,
                kind: "health_band_fall",
                subject: String::new(),
                reason: format!(
                    "health fell from {} to {}: {}",
                    before.band(config),
                    now.band(config),
                    now.explain(config, Some(before))
                ),
            });
        }
    }
    Ok(out)
}

/// `champion_lost`: a user engaging in the 30 days before the last 30 is
/// dormant in them, or no longer holds a seat in the account.
fn champions_lost(
    store: &dyn Store,
    config: &ReportsConfig,
    day: NaiveDate,
    live: &BTreeSet<String>,
) -> Result<Vec<Firing>, ReportError> {
    let now = Period::ending(day, 30);
    let before = now.previous();
    // The champions of the 30 days before and what became of them, in
    // one pass over each period.
    let champions = store.champions(
        before,
        now,
        config.engaging_min_research,
        config.engaging_min_social,
    )?;
    let mut out = Vec::new();
    for c in champions {
        let Some(account) = c.account_id.filter(|a| live.contains(a)) else {
            continue;
        };
        if config.category(&c.before) != Category::Engaging {
            continue;
        }
        let gone = if c.licensed_now && c.account_now.as_deref() == Some(account.as_str()) {
            // Without a consume or platform event every count is 0.
            let dormant = !c.active_now
                && config.category(&tenure_core::report::KindCounts::default())
                    == Category::Dormant;
            dormant.then(|| format!("is dormant in the 30 days to {day}"))
        } else {
            Some(format!("holds no seat in {account} on {day}"))
        };
        if let Some(what) = gone {
            out.push(Firing {
                reason: format!(
                    "champion {} was engaging in the 30 days to {} and {what}",
                    c.user_id, before.to
                ),
                account_id: account,
                kind: "champion_lost",
                subject: c.user_id,
            });
        }
    }
    Ok(out)
}

/// `seats_pending`: seats assigned over `pending_days` ago, never used.
fn seats_pending(
    store: &dyn Store,
    config: &ReportsConfig,
    day: NaiveDate,
    live: &BTreeSet<String>,
) -> Result<Vec<Firing>, ReportError> {
    let mut out = Vec::new();
    let mut pending: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for seat in store.pending_seats(day, config.pending_days, &Scope::default())? {
        if let Some(account) = seat.account_id.filter(|a| live.contains(a)) {
            pending.entry(account).or_default().push(seat.user_id);
        }
    }
    for (account, users) in pending {
        let shown: Vec<&str> = users.iter().take(5).map(String::as_str).collect();
        let more = if users.len() > 5 {
            format!(" and {} more", users.len() - 5)
        } else {
            String::new()
        };
        out.push(Firing {
            account_id: account,
            kind: "seats_pending",
            subject: String::new(),
            reason: format!(
                "{} seats assigned over {} days before {day} and never used: {}{more}",
                users.len(),
                config.pending_days,
                shown.join(", ")
            ),
        });
    }
    Ok(out)
}

/// Evaluates the alerts of `kinds` (all of [`KINDS`] when empty) for
/// every day from `from` to `to`, in order, and stores what changed;
/// alerts of other kinds are left as they are. Returns the alerts opened.
pub fn evaluate_days(
    store: &mut dyn Store,
    config: &ReportsConfig,
    from: NaiveDate,
    to: NaiveDate,
    kinds: &[&str],
) -> Result<usize, ReportError> {
    let kinds: Vec<&str> = if kinds.is_empty() {
        KINDS.to_vec()
    } else {
        kinds.to_vec()
    };
    let mut opened = 0;
    let mut day = from;
    while day <= to {
        let firing = firing_on(store, config, day, &kinds)?;
        let stored: Vec<Alert> = store
            .alerts(&Scope::default(), true)?
            .into_iter()
            .filter(|a| kinds.contains(&a.kind.as_str()))
            .collect();
        let changes = advance(&stored, &firing, day);
        opened += changes
            .iter()
            .filter(|a| a.opened_on == day && a.status == AlertStatus::Open)
            .count();
        store.save_alerts(&changes)?;
        day = day.succ_opt().unwrap_or(to + Days::new(1));
    }
    Ok(opened)
}

/// Snoozes (until `until`) or closes one alert; `None` when there is no
/// such alert, or it is resolved.
pub fn set_status(
    store: &mut dyn Store,
    alert_id: &str,
    status: AlertStatus,
    until: Option<NaiveDate>,
) -> Result<Option<Alert>, ReportError> {
    let Some(mut alert) = store
        .alerts(&Scope::default(), true)?
        .into_iter()
        .find(|a| a.alert_id == alert_id)
    else {
        return Ok(None);
    };
    alert.status = status;
    alert.snoozed_until = until.filter(|_| status == AlertStatus::Snoozed);
    store.save_alerts(std::slice::from_ref(&alert))?;
    Ok(Some(alert))
}

/// `alerts`: every alert of the accounts in scope opened by the period's
/// end and not resolved before its start, oldest first.
pub(crate) fn report(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let mut table = Table::new(&[
        "alert_id",
        "account_id",
        "kind",
        "feature",
        "opened_at",
        "status",
        "reason",
        "user_id",
        "snoozed_until",
        "resolved_at",
    ]);
    let period = request.period;
    for a in store.alerts(&request.scope, false)? {
        if a.opened_on > period.to || a.resolved_on.is_some_and(|r| r < period.from) {
            continue;
        }
        let day = |d: Option<NaiveDate>| d.map(|d| d.to_string());
        // The subject is a feature, or a user for champion_lost.
        let (feature, user) = match a.kind.as_str() {
            _ if a.subject.is_empty() => (None, None),
            "champion_lost" => (None, Some(a.subject)),
            _ => (Some(a.subject), None),
        };
        table.push(vec![
            a.alert_id.into(),
            a.account_id.into(),
            a.kind.into(),
            feature.into(),
            a.opened_on.to_string().into(),
            a.status.as_str().into(),
            a.reason.into(),
            user.into(),
            day(a.snoozed_until).into(),
            day(a.resolved_on).into(),
        ]);
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 9, d).unwrap()
    }

    fn fire(account: &str, reason: &str) -> Firing {
        Firing {
            account_id: account.into(),
            kind: "feature_drop",
            subject: "Search Performed".into(),
            reason: reason.into(),
        }
    }

    /// Applies one day to the stored alerts, as `evaluate_days` does.
    fn run(stored: &mut Vec<Alert>, firing: &[Firing], on: NaiveDate) -> Vec<Alert> {
        let changes = advance(stored, firing, on);
        for c in &changes {
            match stored.iter_mut().find(|a| a.alert_id == c.alert_id) {
                Some(a) => *a = c.clone(),
                None => stored.push(c.clone()),
            }
        }
        changes
    }

    #[test]
    fn poisson_tail_matches_known_values() {
        // P(X <= 3 | 6) = 0.1512, P(X <= 0 | 5) = e^-5, P(X <= 30 | 60).
        assert!((poisson_at_most(3, 6.0) - 0.151_203).abs() < 1e-5);
        assert!((poisson_at_most(0, 5.0) - (-5.0f64).exp()).abs() < 1e-12);
        assert!(poisson_at_most(30, 60.0) < 1e-4);
        assert!((poisson_at_most(2000, 2000.0) - 0.5).abs() < 0.01);
        assert!((poisson_at_most(100, 1.0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn one_live_alert_per_cause_with_the_latest_reason() {
        let mut stored = Vec::new();
        let opened = run(&mut stored, &[fire("a1", "-60%")], day(1));
        assert_eq!(opened.len(), 1);
        assert_eq!(
            (opened[0].status, opened[0].opened_on),
            (AlertStatus::Open, day(1))
        );
        // Still firing: no second alert, the reason follows.
        let next = run(
            &mut stored,
            &[fire("a1", "-70%"), fire("a2", "-55%")],
            day(2),
        );
        assert_eq!(stored.len(), 2);
        assert_eq!(next.len(), 2);
        assert_eq!(stored[0].reason, "-70%");
        assert_eq!(stored[0].opened_on, day(1));
        // Nothing changed: nothing to save.
        assert!(
            run(
                &mut stored,
                &[fire("a1", "-70%"), fire("a2", "-55%")],
                day(3)
            )
            .is_empty()
        );
        // Recovery resolves.
        run(&mut stored, &[fire("a2", "-55%")], day(4));
        assert_eq!(stored[0].status, AlertStatus::Resolved);
        assert_eq!(stored[0].resolved_on, Some(day(4)));
        // Firing again after recovery is a new alert.
        run(
            &mut stored,
            &[fire("a1", "-80%"), fire("a2", "-55%")],
            day(5),
        );
        assert_eq!(stored.len(), 3);
        assert_eq!(
            (stored[2].status, stored[2].opened_on),
            (AlertStatus::Open, day(5))
        );
        assert_ne!(stored[2].alert_id, stored[0].alert_id);
    }

    #[test]
    fn closed_alerts_stay_closed_until_recovery_and_snoozed_ones_wake_up() {
        let mut stored = Vec::new();
        run(
            &mut stored,
            &[fire("a1", "-60%"), fire("a2", "-60%")],
            day(1),
        );
        stored[0].status = AlertStatus::Closed;
        stored[1].status = AlertStatus::Snoozed;
        stored[1].snoozed_until = Some(day(4));
        let both = [fire("a1", "-60%"), fire("a2", "-60%")];
        assert!(
            run(&mut stored, &both, day(3)).is_empty(),
            "nothing reopens"
        );
        run(&mut stored, &both, day(4));
        assert_eq!(
            stored[0].status,
            AlertStatus::Closed,
            "closed while it holds"
        );
        assert_eq!(stored[1].status, AlertStatus::Open, "the snooze is over");
        assert_eq!(stored[1].snoozed_until, None);
        // The closed one recovers, then fires again: a new open alert.
        run(&mut stored, &[fire("a2", "-60%")], day(5));
        assert_eq!(stored[0].status, AlertStatus::Resolved);
        run(&mut stored, &both, day(6));
        assert_eq!(stored.len(), 3);
        assert_eq!(stored[2].status, AlertStatus::Open);
        // A snoozed alert whose cause goes away is resolved.
        stored[1].status = AlertStatus::Snoozed;
        stored[1].snoozed_until = Some(day(20));
        run(&mut stored, &[fire("a1", "-60%")], day(7));
        assert_eq!(stored[1].status, AlertStatus::Resolved);
    }
}
