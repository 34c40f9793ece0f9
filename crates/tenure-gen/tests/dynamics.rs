//! The planted dynamics are really in the events: churn follows a decline,
//! drops remove at least their planted share, champions leave before the
//! decline, seasonality, heavy tails, onboarding, trials, NPS sentiment,
//! concentrated errors; and the mix of archetypes and the activity per user
//! stay the same from `small` to `medium` (scale independence).

use tenure_gen::activity::{Ev, account_month};
use tenure_gen::calendar::{DAY, WEEK};
use tenure_gen::catalog::{self, EVENTS, Kind};
use tenure_gen::world::{Archetype, Fate, World};
use tenure_gen::{Params, Preset};

fn events(w: &World) -> Vec<Ev> {
    let mut out = Vec::new();
    for m in 0..w.cal.month_count() {
        for a in 0..w.params.accounts {
            account_month(w, a, m, &mut out);
        }
    }
    // The window's events (month 0 also carries the state changes from
    // before it).
    out.retain(|e| (w.cal.start..w.cal.end).contains(&e.ts));
    out
}

fn platform(e: &Ev) -> bool {
    EVENTS.get(e.what as usize).is_some_and(|t| {
        matches!(
            t.kind,
            Kind::Login
                | Kind::Research
                | Kind::Maintain
                | Kind::Share
                | Kind::Message
                | Kind::Portal
        )
    })
}

fn account_of(w: &World, e: &Ev) -> usize {
    w.users[e.user as usize].account as usize
}

fn medium() -> (World, Vec<Ev>) {
    let seed = std::env::var("GEN_SEED").map_or(11, |s| s.parse().unwrap());
    let w = World::build(&Preset::Medium.params(seed));
    let e = events(&w);
    (w, e)
}

/// Platform events of account `a` in `[from, to)`.
fn activity(w: &World, evs: &[Ev], a: usize, from: i64, to: i64) -> u64 {
    evs.iter()
        .filter(|e| platform(e) && account_of(w, e) == a && (from..to).contains(&e.ts))
        .count() as u64
}

#[test]
fn churned_accounts_decline_in_their_last_eight_weeks() {
    let (w, evs) = medium();
    let (mut checked, mut lower, mut before_sum, mut last_sum) = (0, 0, 0, 0);
    for (a, acc) in w.accounts.iter().enumerate() {
        let Fate::Churns { at, .. } = acc.fate else {
            continue;
        };
        if at - 16 * WEEK < w.cal.start.max(acc.created) {
            continue;
        }
        let before = activity(&w, &evs, a, at - 16 * WEEK, at - 8 * WEEK);
        let last = activity(&w, &evs, a, at - 8 * WEEK, at);
        if before < 50 {
            continue;
        }
        checked += 1;
        before_sum += before;
        last_sum += last;
        if last < before {
            lower += 1;
        } else {
            eprintln!("acct-{a}: {before} then {last}, {:?}", acc.fate);
        }
        assert_eq!(
            activity(&w, &evs, a, at, w.cal.end),
            0,
            "acct-{a} active after churn"
        );
    }
    assert!(checked >= 15, "{checked}");
    assert_eq!(lower, checked, "every churned account declines");
    assert!(
        (last_sum as f64) < 0.6 * before_sum as f64,
        "{last_sum} vs {before_sum}"
    );
}

#[test]
fn planted_drops_remove_at_least_their_share() {
    let (w, evs) = medium();
    // The same world without its drops draws the same events, except the
    // ones the drops remove: an exact counterfactual.
    let mut unbroken = World::build(&w.params);
    for acc in &mut unbroken.accounts {
        acc.drop = None;
    }
    let evs_unbroken = events(&unbroken);
    let (mut checked, mut kept_sum, mut base_sum, mut depth_sum) = (0, 0.0, 0.0, 0.0);
    let (mut during_sum, mut before_sum) = (0.0, 0.0);
    for (a, acc) in w.accounts.iter().enumerate() {
        let Some(drop) = acc.drop else { continue };
        let count = |evs: &[Ev], from: i64, to: i64| {
            evs.iter()
                .filter(|e| {
                    e.what == drop.event && account_of(&w, e) == a && (from..to).contains(&e.ts)
                })
                .count() as f64
        };
        let kept = count(&evs, drop.start, drop.end);
        let base = count(&evs_unbroken, drop.start, drop.end);
        // Outside the drop nothing changes.
        assert_eq!(
            count(&evs, w.cal.start, drop.start),
            count(&evs_unbroken, w.cal.start, drop.start)
        );
        if base < 20.0 {
            continue;
        }
        checked += 1;
        kept_sum += kept;
        base_sum += base;
        depth_sum += drop.depth * base;
        // Each drop removes its planted share, within four standard
        // deviations of a binomial draw.
        let sd = (drop.depth * (1.0 - drop.depth) / base).sqrt();
        assert!(
            kept / base <= 1.0 - drop.depth + 4.0 * sd,
            "acct-{a}: kept {kept} of {base}, depth {:.2}",
            drop.depth
        );
        // Visible in the data alone: fewer per day than in the 8 weeks before.
        let before_from = (drop.start - 8 * WEEK).max(w.cal.start).max(acc.created);
        let rate = count(&evs, before_from, drop.start) / (drop.start - before_from) as f64;
        before_sum += rate * (drop.end - drop.start) as f64;
        during_sum += kept;
        // The broken feature shows errors while it lasts.
        let feature = u32::from(EVENTS[drop.event as usize].feature);
        let errors = evs
            .iter()
            .filter(|e| {
                e.what == catalog::ERROR_SHOWN
                    && e.a == feature
                    && account_of(&w, e) == a
                    && (drop.start..drop.end).contains(&e.ts)
            })
            .count();
        assert!(errors > 0, "acct-{a}: no errors during the drop");
    }
    assert!(checked >= 5, "{checked}");
    // Pooled: the share removed is at least the planted share (weighted), less 0.03.
    assert!(
        1.0 - kept_sum / base_sum >= depth_sum / base_sum - 0.03,
        "{kept_sum} of {base_sum}"
    );
    assert!(
        during_sum < 0.5 * before_sum,
        "{during_sum} vs {before_sum}"
    );
}

#[test]
fn champions_leave_before_the_decline_and_are_the_most_social() {
    let (w, evs) = medium();
    let mut departures = 0;
    for acc in &w.accounts {
        if let (Fate::Churns { decline, .. }, Some(&c)) = (acc.fate, acc.champions.first()) {
            let left = w.users[c as usize].left;
            if left != i64::MAX {
                departures += 1;
                assert!(left < decline, "a champion leaves before the decline");
                assert!(
                    !evs.iter()
                        .any(|e| e.user == c && e.ts >= left && e.what < 40)
                );
            }
        }
    }
    assert!(departures >= 3, "{departures}");
    // Champions share far more than other engaging users.
    let social = |e: &Ev| {
        EVENTS
            .get(e.what as usize)
            .is_some_and(|t| t.kind == Kind::Share)
            || e.what == catalog::MESSAGE_SENT
    };
    let (mut champ, mut champ_n, mut other, mut other_n) = (0u64, 0u64, 0u64, 0u64);
    let mut per_user = vec![0u64; w.users.len()];
    for e in evs.iter().filter(|e| social(e)) {
        per_user[e.user as usize] += 1;
    }
    for (u, user) in w.users.iter().enumerate() {
        if user.champion {
            champ += per_user[u];
            champ_n += 1;
        } else if (0..w.cal.month_count())
            .any(|m| w.archetype(u as u32, m) == Some(Archetype::Engaging))
        {
            other += per_user[u];
            other_n += 1;
        }
    }
    assert!(champ as f64 / champ_n as f64 > 1.5 * other as f64 / other_n as f64);
}

#[test]
fn seasonality_tails_onboarding_trials_errors_and_sentiment() {
    let (w, evs) = medium();
    // Weekly: a weekday has more than twice the platform events of a weekend day.
    let mut by_weekday = [0u64; 7];
    for e in evs.iter().filter(|e| platform(e)) {
        // 1970-01-01 was a Thursday.
        by_weekday[((e.ts / DAY + 3) % 7) as usize] += 1;
    }
    let weekday = by_weekday[..5].iter().sum::<u64>() as f64 / 5.0;
    let weekend = by_weekday[5..].iter().sum::<u64>() as f64 / 2.0;
    assert!(weekday > 2.0 * weekend, "{by_weekday:?}");

    // Heavy tail: the top 10% of users make at least 35% of the events.
    let mut per_user = vec![0u64; w.users.len()];
    for e in &evs {
        per_user[e.user as usize] += 1;
    }
    per_user.sort_unstable_by(|a, b| b.cmp(a));
    let top: u64 = per_user[..per_user.len() / 10].iter().sum();
    assert!(
        top as f64 > 0.35 * evs.len() as f64,
        "{top} of {}",
        evs.len()
    );

    // Errors: three features hold most of them.
    let mut errors = vec![0u64; catalog::FEATURES.len()];
    for e in evs.iter().filter(|e| e.what == catalog::ERROR_SHOWN) {
        errors[e.a as usize] += 1;
    }
    let total: u64 = errors.iter().sum();
    errors.sort_unstable_by(|a, b| b.cmp(a));
    assert!(
        errors[..3].iter().sum::<u64>() as f64 > 0.6 * total as f64,
        "{errors:?}"
    );

    // Trials that convert are more active per user than those that fail.
    let per_user_activity = |want: fn(&Fate) -> bool| {
        let (mut events, mut users) = (0u64, 0u64);
        for (a, acc) in w.accounts.iter().enumerate() {
            if want(&acc.fate) {
                users += u64::from(acc.user_count);
                events += activity(&w, &evs, a, acc.created, acc.created + 14 * DAY);
            }
        }
        events as f64 / users.max(1) as f64
    };
    let converts = per_user_activity(|f| matches!(f, Fate::TrialConverts { .. }));
    let fails = per_user_activity(|f| matches!(f, Fate::TrialFails { .. }));
    assert!(converts > 1.3 * fails, "{converts} vs {fails}");

    // NPS follows health: lower during a decline than elsewhere.
    let (mut low, mut low_n, mut high, mut high_n) = (0u64, 0u64, 0u64, 0u64);
    for e in evs.iter().filter(|e| e.what == catalog::NPS_SUBMITTED) {
        if w.accounts[account_of(&w, e)].health(e.ts) < 0.7 {
            low += u64::from(e.a);
            low_n += 1;
        } else {
            high += u64::from(e.a);
            high_n += 1;
        }
    }
    assert!(low_n > 0 && high_n > 0);
    assert!((low as f64 / low_n as f64) + 2.0 < high as f64 / high_n as f64);

    // Accounts without portal access never use the portal; never-activated
    // users do nothing.
    for e in &evs {
        let acc = &w.accounts[account_of(&w, e)];
        if !acc.portal {
            assert_ne!(
                EVENTS.get(e.what as usize).map(|t| t.kind),
                Some(Kind::Portal)
            );
        }
        let m = w.cal.month_of(e.ts);
        if e.what < catalog::TRIAL_STARTED {
            assert_ne!(w.archetype(e.user, m), Some(Archetype::NeverActivated));
        }
    }
    let archived = w.accounts.iter().filter(|a| a.end() < w.cal.end).count();
    let no_portal = w.accounts.iter().filter(|a| !a.portal).count();
    assert!(archived > 20 && no_portal > 20, "{archived} {no_portal}");
}

#[test]
fn onboarding_ramps_up() {
    let (w, evs) = medium();
    // Users created inside the window: their first month is quieter than
    // their third, per active day.
    let months = w.cal.month_count();
    let mut first = 0.0;
    let mut third = 0.0;
    let mut per_user_month = std::collections::HashMap::new();
    for e in evs.iter().filter(|e| platform(e)) {
        *per_user_month
            .entry((e.user, w.cal.month_of(e.ts)))
            .or_insert(0u64) += 1;
    }
    for (u, user) in w.users.iter().enumerate() {
        let m0 = usize::from(user.first_month);
        if user.created < w.cal.start || user.champion || m0 + 2 >= months {
            continue;
        }
        let engaging = |m| w.archetype(u as u32, m) == Some(Archetype::Engaging);
        if !(engaging(m0) && engaging(m0 + 2)) || user.created > w.cal.months[m0] + 3 * DAY {
            continue;
        }
        first += *per_user_month.get(&(u as u32, m0)).unwrap_or(&0) as f64;
        third += *per_user_month.get(&(u as u32, m0 + 2)).unwrap_or(&0) as f64;
    }
    assert!(third > 0.0 && first < 0.8 * third, "{first} vs {third}");
}

fn shares_and_rate(params: &Params) -> ([f64; 5], f64) {
    let w = World::build(params);
    let mut counts = [0f64; 5];
    for &c in &w.archetypes {
        if c < 5 {
            counts[c as usize] += 1.0;
        }
    }
    let total: f64 = counts.iter().sum();
    let active = counts[1] + counts[2] + counts[3];
    let events = events(&w).len() as f64;
    (counts.map(|c| c / total), events / active)
}

/// Stated tolerances: each archetype's share within 0.06, events per active
/// user-month within 25%, from `small` (three seeds pooled) to `medium`.
#[test]
fn archetype_mix_and_activity_do_not_depend_on_scale() {
    let (medium_shares, medium_rate) = shares_and_rate(&Preset::Medium.params(1));
    let mut small = ([0f64; 5], 0.0);
    for seed in 1..=3 {
        let (s, r) = shares_and_rate(&Preset::Small.params(seed));
        for (pooled, share) in small.0.iter_mut().zip(s) {
            *pooled += share / 3.0;
        }
        small.1 += r / 3.0;
    }
    for (i, (small_share, medium_share)) in small.0.iter().zip(medium_shares).enumerate() {
        assert!(
            (small_share - medium_share).abs() <= 0.06,
            "archetype {i}: small {small_share:.3} vs medium {medium_share:.3}"
        );
    }
    assert!(
        (small.1 / medium_rate - 1.0).abs() <= 0.25,
        "events per active user-month: small {:.1} vs medium {medium_rate:.1}",
        small.1
    );
}

#[test]
fn champions_email_their_insights_to_colleagues() {
    let (w, evs) = medium();
    // Per sender kind: insights emailed, and how many to a colleague.
    let (mut champ, mut champ_inside, mut other, mut other_inside) = (0u64, 0u64, 0u64, 0u64);
    let mut line = Vec::new();
    for e in evs
        .iter()
        .filter(|e| e.what == catalog::INSIGHT_SHARED && e.b & 3 == 0)
    {
        line.clear();
        tenure_gen::render::message(&w, e, 0, &mut line);
        let message: serde_json::Value = serde_json::from_slice(&line).unwrap();
        let to = message["properties"]["recipient_email"].as_str().unwrap();
        let account = w.users[e.user as usize].account;
        let inside = to.ends_with(&format!("@acct{account}.example.com"));
        assert!(
            !to.contains(&format!(".{}@", e.user)),
            "not to oneself: {to}"
        );
        if w.users[e.user as usize].champion {
            champ += 1;
            champ_inside += u64::from(inside);
        } else {
            other += 1;
            other_inside += u64::from(inside);
        }
    }
    assert!(champ > 100 && other > 1000, "{champ} {other}");
    // A champion's account always has colleagues (three users or more).
    assert_eq!(champ_inside, champ);
    let share = other_inside as f64 / other as f64;
    assert!((0.28..0.38).contains(&share), "{share}");
}
