//! What occurred on a day, per trigger: each occurrence names its subject
//! (an account, or a user and their account), an id that stays the same
//! however often the day is evaluated, the details, and a summary in
//! words. A change is found by comparing the day with the day before, so
//! an evaluation needs no state of its own and a day can be evaluated
//! again (later that day, after a restart) with the same result.

use super::Inputs;
use crate::ReportError;
use chrono::{Datelike, Days, NaiveDate};
use serde_json::{Value, json};
use std::collections::HashMap;
use tenure_core::playbooks::Trigger;
use tenure_core::rules::LEVELS;

/// One occurrence of a trigger.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    pub account_id: Option<String>,
    pub user_id: Option<String>,
    /// Stable per (subject, cause): e.g. `2026-11-02:dormant`, an alert's
    /// id, `level:expert`.
    pub id: String,
    /// What occurred, in words.
    pub summary: String,
    /// The trigger's details (the webhook's `data`).
    pub data: Value,
}

fn before(day: NaiveDate) -> NaiveDate {
    day - Days::new(1)
}

/// The occurrences of `trigger` on `day`. Band, score, alert and schedule
/// triggers read what the daily work keeps, so they only fire for a
/// finished day (`finished`).
pub(super) fn occurrences(
    inputs: &mut Inputs,
    trigger: &Trigger,
    day: NaiveDate,
    finished: bool,
) -> Result<Vec<Occurrence>, ReportError> {
    let mut out = Vec::new();
    match trigger {
        Trigger::CategoryEntered(category) => {
            let config = inputs.config;
            for m in inputs.activity_moves(day)? {
                let (now, previous) = (config.category(&m.now), config.category(&m.before));
                if now == *category && previous != *category {
                    out.push(Occurrence {
                        account_id: m.account_id.clone(),
                        user_id: Some(m.user_id.clone()),
                        id: format!("{day}:{}", category.as_str()),
                        summary: format!(
                            "{} became {} (was {}) over the 30 days to {day}",
                            m.user_id,
                            category.as_str(),
                            previous.as_str()
                        ),
                        data: json!({"category": category.as_str(), "previous": previous.as_str()}),
                    });
                }
            }
        }
        Trigger::LevelReached { level } => {
            let target = LEVELS.iter().position(|l| l == level).unwrap_or(0);
            let config = inputs.config;
            for m in inputs.achievement_moves(day)? {
                let n = m.now;
                if config.level_index(n) >= target && config.level_index(m.before) < target {
                    out.push(Occurrence {
                        account_id: m.account_id.clone(),
                        user_id: Some(m.user_id.clone()),
                        id: format!("level:{level}"),
                        summary: format!(
                            "{} reached {level} ({n} achievements) on {day}",
                            m.user_id
                        ),
                        data: json!({"level": level, "achievements": n}),
                    });
                }
            }
        }
        Trigger::SeatsPending { days } => {
            let assigned_on = day - Days::new(u64::from(*days));
            let ids = inputs.store.seats_assigned_on(assigned_on)?;
            inputs.load_users(day, &ids)?;
            let users = &inputs.users[&day];
            for u in ids.iter().filter_map(|id| users.get(id)) {
                let Some(assigned) = u.seat_assigned_at.map(|t| t.date_naive()) else {
                    continue;
                };
                if u.last_active_at.is_none() && assigned == assigned_on {
                    out.push(Occurrence {
                        account_id: u.account_id.clone(),
                        user_id: Some(u.user_id.clone()),
                        id: format!("seat:{assigned}"),
                        summary: format!(
                            "{}'s seat has been assigned {days} days (since {assigned}) and never used",
                            u.user_id
                        ),
                        data: json!({"seat_assigned_at": assigned.to_string(), "days": days}),
                    });
                }
            }
        }
        Trigger::BandChanged { from, to } if finished => {
            inputs.health(day)?;
            inputs.health(before(day))?;
            let (now, was) = (&inputs.health[&day], &inputs.health[&before(day)]);
            for (account, (score, band)) in now {
                let Some((_, previous)) = was.get(account) else {
                    continue;
                };
                let wanted =
                    |want: &Option<String>, got: &str| want.as_deref().is_none_or(|w| w == got);
                if previous != band && wanted(from, previous) && wanted(to, band) {
                    out.push(Occurrence {
                        account_id: Some(account.clone()),
                        user_id: None,
                        id: format!("{day}:{previous}>{band}"),
                        summary: format!(
                            "{account}'s health band changed from {previous} to {band} (score {score:.0}) on {day}"
                        ),
                        data: json!({"from": previous, "to": band, "score": score}),
                    });
                }
            }
        }
        Trigger::ScoreCrossed {
            model,
            threshold,
            upwards,
        } if finished => {
            // The kept scores of both days, compared in the store; else
            // both days scored here and compared.
            let crossings = match inputs
                .store
                .score_crossings(day, model, *threshold, *upwards)?
            {
                Some(rows) => rows
                    .into_iter()
                    .map(|(was, now)| ((now.account_id, now.user_id), was.score, now.score))
                    .collect(),
                None => {
                    inputs.scores(day, model)?;
                    inputs.scores(before(day), model)?;
                    let now = &inputs.scores[&(day, model.clone())];
                    let was = &inputs.scores[&(before(day), model.clone())];
                    let mut found = Vec::new();
                    for (key, score) in now {
                        let Some(previous) = was.get(key) else {
                            continue;
                        };
                        let crossed = if *upwards {
                            *previous < *threshold && *score >= *threshold
                        } else {
                            *previous > *threshold && *score <= *threshold
                        };
                        if crossed {
                            found.push((key.clone(), *previous, *score));
                        }
                    }
                    found
                }
            };
            for ((account, user), previous, score) in crossings {
                let who = user.as_deref().unwrap_or(&account);
                let way = if *upwards { "above" } else { "below" };
                out.push(Occurrence {
                    account_id: Some(account.clone()),
                    user_id: user.clone(),
                    id: format!("{day}:{model}:{way}"),
                    summary: format!(
                        "{who}'s {model} score went {way} {threshold} ({previous:.2} to {score:.2}) on {day}"
                    ),
                    data: json!({"model": model, "score": score, "previous": previous, "threshold": threshold}),
                });
            }
        }
        Trigger::AlertOpened { kind } => {
            for a in inputs.alerts()? {
                if a.opened_on == day && kind.as_deref().is_none_or(|k| k == a.kind) {
                    out.push(Occurrence {
                        account_id: Some(a.account_id.clone()),
                        user_id: None,
                        id: a.alert_id.clone(),
                        summary: format!("{}: {}", a.account_id, a.reason),
                        data: json!({
                            "alert_id": a.alert_id, "kind": a.kind, "feature": a.subject,
                            "reason": a.reason,
                        }),
                    });
                }
            }
        }
        Trigger::Schedule { weekday } if finished => {
            if weekday.is_none_or(|w| w == day.weekday().num_days_from_monday()) {
                let mut open: HashMap<String, u64> = HashMap::new();
                for a in inputs.alerts()? {
                    if a.status == tenure_core::alerts::AlertStatus::Open {
                        *open.entry(a.account_id.clone()).or_default() += 1;
                    }
                }
                inputs.health(day)?;
                inputs.accounts(day)?;
                let health = &inputs.health[&day];
                let every = if weekday.is_some() { "Weekly" } else { "Daily" };
                for a in inputs.accounts[&day].values().filter(|a| !a.archived) {
                    let id = &a.account_id;
                    let alerts = open.get(id).copied().unwrap_or(0);
                    let (score, band) = health
                        .get(id)
                        .map_or((Value::Null, Value::Null), |(s, b)| (json!(s), json!(b)));
                    let health_text = match health.get(id) {
                        Some((s, b)) => format!("health {s:.0} ({b})"),
                        None => "no health score yet".into(),
                    };
                    out.push(Occurrence {
                        account_id: Some(id.clone()),
                        user_id: None,
                        id: day.to_string(),
                        summary: format!(
                            "{every} digest for {id} on {day}: {health_text}, {alerts} open alerts"
                        ),
                        data: json!({"score": score, "band": band, "open_alerts": alerts}),
                    });
                }
            }
        }
        Trigger::BandChanged { .. } | Trigger::ScoreCrossed { .. } | Trigger::Schedule { .. } => {}
    }
    out.sort_by(|a, b| (&a.account_id, &a.user_id, &a.id).cmp(&(&b.account_id, &b.user_id, &b.id)));
    Ok(out)
}
