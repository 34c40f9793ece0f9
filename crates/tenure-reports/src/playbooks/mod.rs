//! Evaluating the playbooks: what each trigger finds on a day
//! ([`triggers`]), whether the filters admit the subject, whether the
//! subject is in its cooldown, and for each occurrence that fires, one
//! outbox item per action ([`actions`]). [`evaluate`] only reads (it is
//! also the dry run); [`record`] keeps the decisions in the audit log and
//! enqueues the items in one transaction.
//!
//! A day is evaluated while it runs (after each rollup refresh) and once
//! more when it is finished (after its health and alerts are kept). An
//! occurrence already decided is not decided again, so the runs of a day
//! and a restart never act twice on the same cause.

mod actions;
mod triggers;

pub use triggers::Occurrence;

use crate::ReportError;
use chrono::{DateTime, Days, NaiveDate, Utc};
use std::collections::{HashMap, HashSet};
use tenure_core::messages::Templates;
use tenure_core::playbooks::{Filters, Playbook, Trigger};
use tenure_core::report::{Period, ReportsConfig};
use tenure_store::{
    AccountAt, AchievementMove, ActivityMove, Alert, AuditEntry, OutboxItem, Scope, Store,
    UserActivity,
};

/// What an evaluation needs from the config.
#[derive(Clone, Copy)]
pub struct Settings<'a> {
    pub playbooks: &'a [Playbook],
    pub templates: &'a Templates,
    pub reports: &'a ReportsConfig,
}

impl<'a> Settings<'a> {
    /// The playbooks, templates and report rules of a config.
    pub fn of(config: &'a tenure_core::Config) -> Self {
        Self {
            playbooks: &config.playbooks,
            templates: &config.templates,
            reports: &config.reports,
        }
    }
}

/// What was decided about one occurrence.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// It fires: its actions are enqueued.
    Fire,
    /// A filter turned it away (which, in words).
    Filtered(String),
    /// The subject was acted on for this playbook at this time, within
    /// the cooldown.
    Cooldown(DateTime<Utc>),
    /// An earlier run decided it already.
    Decided,
}

impl Decision {
    pub fn event(&self) -> &'static str {
        match self {
            Self::Fire => "fired",
            Self::Filtered(_) => "filtered",
            Self::Cooldown(_) => "cooldown",
            Self::Decided => "decided",
        }
    }

    pub fn detail(&self) -> String {
        match self {
            Self::Fire | Self::Decided => String::new(),
            Self::Filtered(why) => why.clone(),
            Self::Cooldown(last) => format!("acted on at {} (in its cooldown)", last.to_rfc3339()),
        }
    }
}

/// One occurrence of one playbook's trigger, and what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    pub playbook: String,
    pub trigger: &'static str,
    pub occurrence: Occurrence,
    pub decision: Decision,
    /// The outbox items, when it fires.
    pub items: Vec<OutboxItem>,
}

/// One evaluation of every playbook for a day.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub day: NaiveDate,
    pub at: DateTime<Utc>,
    /// A finished day (its last evaluation) rather than the running one.
    pub finished: bool,
    pub decided: Vec<Decided>,
}

impl Evaluation {
    /// How many occurrences got each decision: fired, filtered, cooldown,
    /// already decided.
    pub fn counts(&self) -> [usize; 4] {
        let mut n = [0; 4];
        for d in &self.decided {
            n[match d.decision {
                Decision::Fire => 0,
                Decision::Filtered(_) => 1,
                Decision::Cooldown(_) => 2,
                Decision::Decided => 3,
            }] += 1;
        }
        n
    }

    pub fn items(&self) -> impl Iterator<Item = &OutboxItem> {
        self.decided.iter().flat_map(|d| &d.items)
    }

    /// The audit lines: one per new decision, and one for the evaluation
    /// when it decided anything or finished a day.
    pub fn audit(&self) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = self
            .decided
            .iter()
            .filter(|d| d.decision != Decision::Decided)
            .map(|d| AuditEntry {
                at: self.at,
                playbook: d.playbook.clone(),
                account_id: d.occurrence.account_id.clone(),
                user_id: d.occurrence.user_id.clone(),
                occurrence: d.occurrence.id.clone(),
                action: None,
                event: d.decision.event().into(),
                detail: match &d.decision {
                    Decision::Fire => d.occurrence.summary.clone(),
                    other => other.detail(),
                },
            })
            .collect();
        if !out.is_empty() || self.finished {
            let [fired, filtered, cooldown, decided] = self.counts();
            out.insert(
                0,
                AuditEntry {
                    at: self.at,
                    playbook: String::new(),
                    account_id: None,
                    user_id: None,
                    occurrence: self.day.to_string(),
                    action: None,
                    event: "evaluated".into(),
                    detail: format!(
                        "{} day {}: {fired} fired, {filtered} filtered, {cooldown} in cooldown, {decided} decided before",
                        if self.finished { "finished" } else { "running" },
                        self.day
                    ),
                },
            );
        }
        out
    }
}

/// Each (account, user) score of one model.
type Scores = HashMap<(String, Option<String>), f64>;

/// What the triggers and filters read, each loaded once per evaluation
/// and only when a playbook needs it.
pub(crate) struct Inputs<'a> {
    store: &'a dyn Store,
    config: &'a ReportsConfig,
    /// The licensed users looked up so far, by day (see [`Inputs::load_users`]).
    users: HashMap<NaiveDate, HashMap<String, UserActivity>>,
    /// The ids looked up and not found licensed, by day.
    unlicensed: HashMap<NaiveDate, HashSet<String>>,
    activity_moves: HashMap<NaiveDate, Vec<ActivityMove>>,
    achievement_moves: HashMap<NaiveDate, Vec<AchievementMove>>,
    accounts: HashMap<NaiveDate, HashMap<String, AccountAt>>,
    health: HashMap<NaiveDate, HashMap<String, (f64, String)>>,
    scores: HashMap<(NaiveDate, String), Scores>,
    alerts: Option<Vec<Alert>>,
}

/// The days of the window a user's category covers.
const WINDOW_DAYS: u32 = 30;

impl<'a> Inputs<'a> {
    fn new(store: &'a dyn Store, config: &'a ReportsConfig) -> Self {
        Self {
            store,
            config,
            users: HashMap::new(),
            unlicensed: HashMap::new(),
            activity_moves: HashMap::new(),
            achievement_moves: HashMap::new(),
            accounts: HashMap::new(),
            health: HashMap::new(),
            scores: HashMap::new(),
            alerts: None,
        }
    }

    /// Looks up the users `ids` (those not looked up yet) as they were at
    /// the end of `day` (account, email, role, groups, seat, last
    /// activity: what the filters, the actions and the seat trigger read)
    /// in one query; the licensed ones are then in `users[day]`. Their
    /// counts are of `day` alone: reading only that day of the activity is
    /// what keeps the lookup cheap, and nothing here reads the counts.
    fn load_users<'i>(
        &mut self,
        day: NaiveDate,
        ids: impl IntoIterator<Item = &'i String>,
    ) -> Result<(), ReportError> {
        let known = self.users.entry(day).or_default();
        let unlicensed = self.unlicensed.entry(day).or_default();
        let mut wanted: Vec<String> = ids
            .into_iter()
            .filter(|id| !known.contains_key(*id) && !unlicensed.contains(*id))
            .cloned()
            .collect();
        wanted.sort();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(());
        }
        unlicensed.extend(wanted.iter().cloned());
        let only_day = Period { from: day, to: day };
        for u in self.store.user_activity_of(only_day, &wanted)? {
            if u.licensed {
                unlicensed.remove(&u.user_id);
                known.insert(u.user_id.clone(), u);
            }
        }
        Ok(())
    }

    /// When the playbooks watch both categories and levels, reads both
    /// kinds of movers side by side, the levels on a second connection:
    /// each query leaves a core idle part of the time.
    fn prefetch_moves(
        &mut self,
        day: NaiveDate,
        playbooks: &[Playbook],
    ) -> Result<(), ReportError> {
        let watches = |f: fn(&Trigger) -> bool| playbooks.iter().any(|p| f(&p.trigger));
        if !watches(|t| matches!(t, Trigger::CategoryEntered(_)))
            || !watches(|t| matches!(t, Trigger::LevelReached { .. }))
            || self.activity_moves.contains_key(&day)
            || self.achievement_moves.contains_key(&day)
        {
            return Ok(());
        }
        let other = self.store.reader()?;
        let achievements = &self.config.achievements;
        let store = self.store;
        let (activity, levels) = std::thread::scope(|scope| {
            let levels = scope.spawn(move || other.achievement_moves(day, achievements));
            let activity = store.activity_moves(day, WINDOW_DAYS);
            let levels = levels
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (activity, levels)
        });
        self.activity_moves.insert(day, activity?);
        self.achievement_moves.insert(day, levels?);
        Ok(())
    }

    /// The users whose 30-day window may have changed on `day`, with both
    /// windows' counts.
    fn activity_moves(&mut self, day: NaiveDate) -> Result<&[ActivityMove], ReportError> {
        if !self.activity_moves.contains_key(&day) {
            let moves = self.store.activity_moves(day, WINDOW_DAYS)?;
            self.activity_moves.insert(day, moves);
        }
        Ok(&self.activity_moves[&day])
    }

    /// The users whose achievements may have grown on `day`, with both
    /// days' counts.
    fn achievement_moves(&mut self, day: NaiveDate) -> Result<&[AchievementMove], ReportError> {
        if !self.achievement_moves.contains_key(&day) {
            let moves = self
                .store
                .achievement_moves(day, &self.config.achievements)?;
            self.achievement_moves.insert(day, moves);
        }
        Ok(&self.achievement_moves[&day])
    }

    fn accounts(&mut self, day: NaiveDate) -> Result<&HashMap<String, AccountAt>, ReportError> {
        if !self.accounts.contains_key(&day) {
            let rows = self.store.accounts_at(day, &Scope::default())?;
            self.accounts.insert(
                day,
                rows.into_iter()
                    .map(|a| (a.account_id.clone(), a))
                    .collect(),
            );
        }
        Ok(&self.accounts[&day])
    }

    /// Each account's kept health score and band on `day`.
    fn health(&mut self, day: NaiveDate) -> Result<&HashMap<String, (f64, String)>, ReportError> {
        if !self.health.contains_key(&day) {
            let rows = self.store.health_history(
                Period { from: day, to: day },
                &Scope {
                    all_users: true,
                    ..Scope::default()
                },
            )?;
            self.health.insert(
                day,
                rows.into_iter()
                    .map(|h| (h.account_id, (h.score, h.band)))
                    .collect(),
            );
        }
        Ok(&self.health[&day])
    }

    /// Each (account, user) score of `model` as of `day`: the kept ones
    /// when the daily work kept that day, else computed now.
    fn scores(&mut self, day: NaiveDate, model: &str) -> Result<&Scores, ReportError> {
        let key = (day, model.to_string());
        if !self.scores.contains_key(&key) {
            let mut rows = self.store.scores_on(day, Some(model))?;
            if rows.is_empty() {
                let models = [model.to_string()];
                rows = crate::propensity::scores_of_day(self.store, self.config, &models, day)?;
            }
            let map = rows
                .into_iter()
                .map(|r| ((r.account_id, r.user_id), r.score))
                .collect();
            self.scores.insert(key.clone(), map);
        }
        Ok(&self.scores[&key])
    }

    fn alerts(&mut self) -> Result<&[Alert], ReportError> {
        if self.alerts.is_none() {
            self.alerts = Some(self.store.alerts(&Scope::default(), false)?);
        }
        Ok(self.alerts.as_deref().unwrap_or_default())
    }
}

/// Why the filters turn the subject away, if they do.
fn filtered(
    filters: &Filters,
    account: Option<&AccountAt>,
    user: Option<&UserActivity>,
    day: NaiveDate,
) -> Option<String> {
    let account_filters = !filters.plans.is_empty()
        || !filters.owners.is_empty()
        || filters.mrr_min.is_some()
        || filters.mrr_max.is_some()
        || filters.renewal_within_days.is_some();
    let Some(a) = account else {
        return account_filters.then(|| "no account to filter on".into());
    };
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    if !filters.plans.is_empty() && !a.plan.as_ref().is_some_and(|p| filters.plans.contains(p)) {
        return Some(format!(
            "plan {} is not one of {}",
            shown(&a.plan),
            filters.plans.join(", ")
        ));
    }
    if !filters.owners.is_empty()
        && !a
            .csm_owner
            .as_ref()
            .is_some_and(|o| filters.owners.contains(o))
    {
        return Some(format!(
            "owner {} is not one of {}",
            shown(&a.csm_owner),
            filters.owners.join(", ")
        ));
    }
    let mrr = a.mrr.unwrap_or(0.0);
    if let Some(min) = filters.mrr_min
        && mrr < min
    {
        return Some(format!("mrr {mrr} is below {min}"));
    }
    if let Some(max) = filters.mrr_max
        && mrr > max
    {
        return Some(format!("mrr {mrr} is above {max}"));
    }
    if let Some(days) = filters.renewal_within_days {
        let within = a
            .renewal_date
            .is_some_and(|r| r >= day && (r - day).num_days() <= i64::from(days));
        if !within {
            return Some(format!(
                "renewal {} is not within {days} days",
                a.renewal_date.map_or("none".into(), |r| r.to_string())
            ));
        }
    }
    if !filters.groups.is_empty()
        && !user.is_some_and(|u| u.groups.iter().any(|g| filters.groups.contains(g)))
    {
        return Some(format!("not in a group of {}", filters.groups.join(", ")));
    }
    if !filters.roles.is_empty()
        && !user
            .and_then(|u| u.role.as_ref())
            .is_some_and(|r| filters.roles.contains(r))
    {
        return Some(format!(
            "role {} is not one of {}",
            shown(&user.and_then(|u| u.role.clone())),
            filters.roles.join(", ")
        ));
    }
    None
}

type Subject = (String, Option<String>, Option<String>);

/// Evaluates every playbook for `day` as of `at` (reads only).
pub fn evaluate(
    store: &dyn Store,
    settings: Settings,
    day: NaiveDate,
    at: DateTime<Utc>,
    finished: bool,
) -> Result<Evaluation, ReportError> {
    let mut inputs = Inputs::new(store, settings.reports);
    // What was decided before: the occurrences of this day (and the day
    // before, for a run just after midnight), and what fired within the
    // longest cooldown.
    let longest = settings
        .playbooks
        .iter()
        .map(|p| p.cooldown_days)
        .max()
        .unwrap_or(0);
    let since = (day - Days::new(1))
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .min(at - chrono::Duration::days(i64::from(longest)));
    let mut seen: HashSet<(Subject, String)> = HashSet::new();
    let mut last_fired: HashMap<Subject, DateTime<Utc>> = HashMap::new();
    for e in store.playbook_audit(since, None, true)? {
        let subject = (e.playbook, e.account_id, e.user_id);
        if e.event == "fired" {
            let t = last_fired.entry(subject.clone()).or_insert(e.at);
            *t = (*t).max(e.at);
        }
        seen.insert((subject, e.occurrence));
    }
    let occurred_at = if finished {
        tenure_core::report::end_of_day(day).and_utc() - chrono::Duration::seconds(1)
    } else {
        at
    };
    let mut decided = Vec::new();
    inputs.prefetch_moves(day, settings.playbooks)?;
    let mut found = Vec::with_capacity(settings.playbooks.len());
    for playbook in settings.playbooks {
        found.push(triggers::occurrences(
            &mut inputs,
            &playbook.trigger,
            day,
            finished,
        )?);
    }
    // Every subject's account and user, looked up together.
    inputs.accounts(day)?;
    inputs.load_users(
        day,
        found.iter().flatten().filter_map(|o| o.user_id.as_ref()),
    )?;
    for (playbook, occurrences) in settings.playbooks.iter().zip(found) {
        for occurrence in occurrences {
            let subject: Subject = (
                playbook.name.clone(),
                occurrence.account_id.clone(),
                occurrence.user_id.clone(),
            );
            if seen.contains(&(subject.clone(), occurrence.id.clone())) {
                decided.push(Decided {
                    playbook: playbook.name.clone(),
                    trigger: playbook.trigger.name(),
                    occurrence,
                    decision: Decision::Decided,
                    items: Vec::new(),
                });
                continue;
            }
            let account = occurrence
                .account_id
                .as_ref()
                .and_then(|id| inputs.accounts[&day].get(id));
            let user = occurrence
                .user_id
                .as_ref()
                .and_then(|id| inputs.users.get(&day).and_then(|u| u.get(id)));
            let cooldown = chrono::Duration::days(i64::from(playbook.cooldown_days));
            let decision = match filtered(&playbook.filters, account, user, day) {
                Some(why) => Decision::Filtered(why),
                None => match last_fired.get(&subject) {
                    Some(&last) if playbook.cooldown_days > 0 && at - last < cooldown => {
                        Decision::Cooldown(last)
                    }
                    _ => {
                        last_fired.insert(subject.clone(), at);
                        Decision::Fire
                    }
                },
            };
            let items = if decision == Decision::Fire {
                actions::items(
                    settings.templates,
                    playbook,
                    &occurrence,
                    account,
                    user,
                    occurred_at,
                    at,
                )
            } else {
                Vec::new()
            };
            seen.insert((subject, occurrence.id.clone()));
            decided.push(Decided {
                playbook: playbook.name.clone(),
                trigger: playbook.trigger.name(),
                occurrence,
                decision,
                items,
            });
        }
    }
    Ok(Evaluation {
        day,
        at,
        finished,
        decided,
    })
}

/// Keeps an evaluation: its audit lines, its outbox items, and a finished
/// day as done, in one transaction. Returns the items added.
pub fn record(store: &mut dyn Store, evaluation: &Evaluation) -> Result<u64, ReportError> {
    let items: Vec<OutboxItem> = evaluation.items().cloned().collect();
    Ok(store.playbooks_evaluated(
        &evaluation.audit(),
        &items,
        evaluation.finished.then_some(evaluation.day),
    )?)
}

/// Evaluates and keeps every finished day not evaluated yet, up to
/// `last_finished` (the first time: that day alone), then the running
/// day `now` is in. Returns the evaluations.
pub fn catch_up(
    store: &mut dyn Store,
    settings: Settings,
    now: DateTime<Utc>,
    last_finished: NaiveDate,
) -> Result<Vec<Evaluation>, ReportError> {
    let mut out = Vec::new();
    if settings.playbooks.is_empty() {
        return Ok(out);
    }
    let mut day = match store.playbooks_last_day()? {
        Some(done) => done + Days::new(1),
        None => last_finished,
    };
    while day <= last_finished {
        let e = evaluate(&*store, settings, day, now, true)?;
        record(store, &e)?;
        out.push(e);
        day = day + Days::new(1);
    }
    let today = now.date_naive();
    if today > last_finished {
        let e = evaluate(&*store, settings, today, now, false)?;
        record(store, &e)?;
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::filtered;
    use chrono::NaiveDate;
    use tenure_core::playbooks::Filters;
    use tenure_store::{AccountAt, UserActivity};

    fn account() -> AccountAt {
        AccountAt {
            account_id: "a1".into(),
            name: Some("Acme".into()),
            seats_purchased: Some(10),
            archived: false,
            has_portal_access: false,
            created_at: None,
            plan: Some("pro".into()),
            mrr: Some(500.0),
            csm_owner: Some("cs@vendor.test".into()),
            renewal_date: NaiveDate::from_ymd_opt(2026, 12, 1),
        }
    }

    fn user() -> UserActivity {
        UserActivity {
            user_id: "u1".into(),
            account_id: Some("a1".into()),
            groups: vec!["emea".into()],
            email: None,
            role: Some("analyst".into()),
            seat_assigned_at: None,
            counts: Default::default(),
            last_active_at: None,
            licensed: true,
        }
    }

    #[test]
    fn each_filter_admits_or_names_why_not() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let check = |f: Filters| filtered(&f, Some(&account()), Some(&user()), day);
        assert_eq!(check(Filters::default()), None);
        let cases = [
            (
                Filters {
                    owners: vec!["other@vendor.test".into()],
                    ..Filters::default()
                },
                Some("owner cs@vendor.test is not one of other@vendor.test"),
            ),
            (
                Filters {
                    mrr_min: Some(1000.0),
                    ..Filters::default()
                },
                Some("mrr 500 is below 1000"),
            ),
            (
                Filters {
                    mrr_max: Some(100.0),
                    ..Filters::default()
                },
                Some("mrr 500 is above 100"),
            ),
            (
                Filters {
                    renewal_within_days: Some(30),
                    ..Filters::default()
                },
                None,
            ),
            (
                Filters {
                    renewal_within_days: Some(20),
                    ..Filters::default()
                },
                Some("renewal 2026-12-01 is not within 20 days"),
            ),
            (
                Filters {
                    groups: vec!["apac".into()],
                    ..Filters::default()
                },
                Some("not in a group of apac"),
            ),
            (
                Filters {
                    groups: vec!["apac".into(), "emea".into()],
                    roles: vec!["analyst".into()],
                    plans: vec!["pro".into()],
                    owners: vec!["cs@vendor.test".into()],
                    ..Filters::default()
                },
                None,
            ),
        ];
        for (f, want) in cases {
            assert_eq!(check(f.clone()).as_deref(), want, "{f:?}");
        }
        // Past renewals do not count as within.
        let later = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let f = Filters {
            renewal_within_days: Some(365),
            ..Filters::default()
        };
        assert!(filtered(&f, Some(&account()), None, later).is_some());
        // No account: any account filter turns it away; none admits.
        assert_eq!(
            filtered(
                &Filters {
                    plans: vec!["pro".into()],
                    ..Filters::default()
                },
                None,
                None,
                day
            )
            .as_deref(),
            Some("no account to filter on")
        );
        assert_eq!(filtered(&Filters::default(), None, None, day), None);
    }
}
