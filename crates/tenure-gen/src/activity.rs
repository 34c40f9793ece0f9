//! Events of one account in one month: its users' activity drawn from their
//! archetype, then the account's lifecycle, NPS, feedback and trait
//! changes. Pure: the same world, account and month give the same events.

use crate::calendar::DAY;
use crate::catalog::*;
use crate::rng::{mix, stream, tag};
use crate::world::{Account, Archetype, Fate, Plan, User, World};
use rand::Rng;
use rand_distr::{Distribution, Exp, Normal, Poisson};
use rand_pcg::Pcg64Mcg;

/// One event, compact: rendered to a Segment message only when written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ev {
    pub ts: i64,
    pub user: u32,
    /// Event code (see `catalog`).
    pub what: u8,
    /// Payload, by event (ids, codes).
    pub a: u32,
    pub b: u32,
}

/// Local business hours: relative activity by hour of the day.
const HOURS: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.2, 0.6, 1.5, 3.0, 3.5, 3.2, 2.0, 2.6, 3.2, 3.0, 2.5, 1.8, 1.0,
    0.6, 0.5, 0.4, 0.2, 0.1,
];
/// UTC offset of each region (na, emea, apac), in hours.
const OFFSET: [i64; 3] = [-5, 1, 8];

/// All events of account `a` in month `m`, appended to `out`. Some (message
/// answers) fall in later months; the writer holds them until then.
pub fn account_month(w: &World, a: u32, m: usize, out: &mut Vec<Ev>) {
    let acc = &w.accounts[a as usize];
    let (lo, hi) = (w.cal.months[m], w.cal.months[m + 1]);
    if m == 0 {
        before_window(w, a, acc, lo, out);
    }
    if acc.created >= hi || acc.end() <= lo {
        return;
    }
    let mut r = stream(w.params.seed, tag::ACCOUNT_MONTH, u64::from(a), m as u64);
    lifecycle(w, a, acc, lo, hi, &mut r, out);
    let mut social = Vec::new();
    for u in w.users_of(a) {
        let user = &w.users[u as usize];
        if user.seat.is_some() && (lo..hi).contains(&user.left) && user.left < acc.end() {
            out.push(ev(user.left, u, IDENTIFY_SEAT_OFF, 0, 0));
        }
        if let Some((at, team)) = user.moved
            && (lo..hi).contains(&at)
            && at < user.stop(acc)
        {
            out.push(ev(at, u, IDENTIFY_GROUPS, u32::from(team), 0));
        }
        if matches!(
            w.archetype(u, m),
            Some(Archetype::Engaging | Archetype::Interacting)
        ) {
            social.push(u);
        }
        UserMonth::new(w, u, m).generate(out);
    }
    voices(w, acc, m, &social, &mut r, out);
}

/// The state changes that happened before the window, sent with month 0:
/// accounts.csv and users.csv describe each account and user as created, so
/// a plan change, an archiving (churn, failed trial), a departure or a team
/// move before the window is the same `group` / `identify` call at its time
/// (no track events), and the state at the window's start is right.
fn before_window(w: &World, a: u32, acc: &Account, lo: i64, out: &mut Vec<Ev>) {
    let admin = acc.first_user;
    let plan = |t: i64, out: &mut Vec<Ev>| {
        let (plan, seats) = acc.plan_at(t);
        out.push(ev(t, admin, GROUP_PLAN, plan.code(), seats));
    };
    match acc.fate {
        Fate::TrialConverts { at, .. } | Fate::Upgrades { at, .. } if at < lo => plan(at, out),
        Fate::TrialFails { at } | Fate::Archived { at } if at < lo => {
            out.push(ev(at, admin, GROUP_ARCHIVED, 0, 0));
        }
        Fate::Churns { at, downgrade, .. } => {
            if let Some(d) = downgrade.filter(|&d| d < lo) {
                plan(d, out);
            }
            if at < lo {
                out.push(ev(at, admin, GROUP_ARCHIVED, 0, 0));
            }
        }
        _ => {}
    }
    for u in w.users_of(a) {
        let user = &w.users[u as usize];
        if user.seat.is_some() && user.left < lo && user.left < acc.end() {
            out.push(ev(user.left, u, IDENTIFY_SEAT_OFF, 0, 0));
        }
        if let Some((at, team)) = user.moved
            && at < lo
            && at < user.stop(acc)
        {
            out.push(ev(at, u, IDENTIFY_GROUPS, u32::from(team), 0));
        }
    }
}

fn ev(ts: i64, user: u32, what: u8, a: u32, b: u32) -> Ev {
    Ev {
        ts,
        user,
        what,
        a,
        b,
    }
}

/// Trial start and outcome, plan changes, churn and archiving, each with the
/// `group` call that records the new traits.
fn lifecycle(
    w: &World,
    a: u32,
    acc: &Account,
    lo: i64,
    hi: i64,
    r: &mut Pcg64Mcg,
    out: &mut Vec<Ev>,
) {
    let admin = acc.first_user;
    let inside = |t: i64| (lo..hi).contains(&t) && t < w.cal.end;
    let plan_change = |t: i64, what: u8, before: Plan, out: &mut Vec<Ev>| {
        let (plan, seats) = acc.plan_at(t);
        out.push(ev(t, admin, what, plan.code(), before.code()));
        out.push(ev(t, admin, GROUP_PLAN, plan.code(), seats));
    };
    if acc.plan == Plan::Trial && inside(acc.created + 3600) {
        out.push(ev(
            acc.created + 3600,
            admin,
            TRIAL_STARTED,
            acc.trial_days,
            0,
        ));
    }
    match acc.fate {
        Fate::TrialConverts { at, .. } if inside(at) => {
            plan_change(at, TRIAL_CONVERTED, acc.plan, out)
        }
        Fate::TrialFails { at } | Fate::Archived { at } if inside(at) => {
            out.push(ev(at, admin, GROUP_ARCHIVED, 0, 0));
        }
        Fate::Upgrades { at, .. } if inside(at) => plan_change(at, PLAN_UPGRADED, acc.plan, out),
        Fate::Churns { at, downgrade, .. } => {
            if let Some(d) = downgrade.filter(|&d| inside(d)) {
                plan_change(d, PLAN_DOWNGRADED, acc.plan, out);
            }
            if inside(at) {
                let champion_left = acc
                    .champions
                    .first()
                    .is_some_and(|&c| w.users[c as usize].left < at);
                let reason = if champion_left {
                    3
                } else {
                    r.random_range(0..3)
                };
                out.push(ev(
                    at,
                    admin,
                    ACCOUNT_CHURNED,
                    acc.plan_at(at).0.code(),
                    reason,
                ));
                out.push(ev(at, admin, GROUP_ARCHIVED, 0, 0));
            }
        }
        _ => {}
    }
    let _ = a;
}

/// NPS once a quarter and occasional feedback, from active users, with a
/// sentiment that follows the account's health.
fn voices(w: &World, acc: &Account, m: usize, active: &[u32], r: &mut Pcg64Mcg, out: &mut Vec<Ev>) {
    if active.is_empty() {
        return;
    }
    let quarter_month = (acc.first_user as usize + m).is_multiple_of(3);
    let respondents = if quarter_month {
        1 + active.len() / 15
    } else {
        0
    };
    for _ in 0..respondents.min(3) {
        let u = active[r.random_range(0..active.len())];
        let Some(t) = moment(w, u, m, r) else {
            continue;
        };
        let health = acc.health(t);
        let (mean, sd) = if health < 0.7 {
            (4.0, 2.0)
        } else if health > 1.2 {
            (9.0, 0.8)
        } else {
            (8.0, 1.5)
        };
        let score = Normal::<f64>::new(mean, sd)
            .expect("valid")
            .sample(r)
            .round()
            .clamp(0.0, 10.0) as u32;
        let sentiment = match score {
            9.. => 0,
            7..=8 => 1,
            _ => 2,
        };
        let texts = sentiment_range(sentiment);
        out.push(ev(t, u, NPS_SUBMITTED, score, r.random_range(texts) as u32));
    }
    if r.random_bool(0.25) {
        let u = active[r.random_range(0..active.len())];
        if let Some(t) = moment(w, u, m, r) {
            let health = acc.health(t);
            let sentiment = if health < 0.7 {
                2
            } else if health > 1.1 {
                0
            } else {
                r.random_range(0..2)
            };
            out.push(ev(
                t,
                u,
                FEEDBACK_SUBMITTED,
                0,
                r.random_range(sentiment_range(sentiment)) as u32,
            ));
        }
    }
}

/// A random time of user `u` inside month `m` (where the user is active).
fn moment(w: &World, u: u32, m: usize, r: &mut Pcg64Mcg) -> Option<i64> {
    let um = UserMonth::new(w, u, m);
    (um.hi > um.lo).then(|| r.random_range(um.lo..um.hi))
}

/// One user's month: the span the user is there, and the draws.
struct UserMonth<'w> {
    w: &'w World,
    u: u32,
    m: usize,
    user: &'w User,
    acc: &'w Account,
    lo: i64,
    hi: i64,
}

/// What the category rules count, to plant the archetype exactly.
#[derive(Default)]
struct Tally {
    research_maintain: u32,
    social: u32,
    platform: u32,
    consume: u32,
}

impl Tally {
    fn add(&mut self, what: u8) {
        let Some(e) = EVENTS.get(what as usize) else {
            return;
        };
        match e.kind {
            Kind::Research | Kind::Maintain => self.research_maintain += 1,
            Kind::Consume => self.consume += 1,
            _ => {}
        }
        if matches!(e.kind, Kind::Share) || what == MESSAGE_SENT {
            self.social += 1;
        }
        if matches!(
            e.kind,
            Kind::Login
                | Kind::Research
                | Kind::Maintain
                | Kind::Share
                | Kind::Message
                | Kind::Portal
        ) {
            self.platform += 1;
        }
    }
}

impl<'w> UserMonth<'w> {
    fn new(w: &'w World, u: u32, m: usize) -> Self {
        let user = &w.users[u as usize];
        let acc = &w.accounts[user.account as usize];
        let lo = w.cal.months[m].max(user.created);
        let hi = w.cal.months[m + 1].min(user.stop(acc)).min(w.cal.end);
        UserMonth {
            w,
            u,
            m,
            user,
            acc,
            lo,
            hi,
        }
    }

    fn generate(&self, out: &mut Vec<Ev>) {
        let arche = match self.w.archetype(self.u, self.m) {
            Some(a @ (Archetype::Engaging | Archetype::Interacting | Archetype::Consuming)) => a,
            _ => return,
        };
        if self.hi <= self.lo {
            return;
        }
        let col = arche as usize - 1;
        let seed = self.w.params.seed;
        let mut r = stream(seed, tag::USER_MONTH, u64::from(self.u), self.m as u64);
        let cal = &self.w.cal;
        // Day weights over the span: weekday x account health x overlap.
        let (d0, d1) = (cal.day_index(self.lo), cal.day_index(self.hi - 1));
        let mut cum = Vec::with_capacity(d1 - d0 + 1);
        let mut total = 0.0;
        for d in d0..=d1 {
            let (s, e) = (
                cal.day_start(d).max(self.lo),
                (cal.day_start(d) + DAY).min(self.hi),
            );
            let overlap = (e - s) as f64 / DAY as f64;
            total += cal.weekday_weight(d) * self.acc.health((s + e) / 2) * overlap;
            cum.push(total);
        }
        let ramp = match self.m.saturating_sub(usize::from(self.user.first_month)) {
            0 => 0.5,
            1 => 0.8,
            _ => 1.0,
        };
        let scale = self.user.mult * self.acc.mult * cal.season(self.m) * ramp * total / 30.44;
        let rates: Vec<(u8, f64)> = RATES
            .iter()
            .filter(|(e, _)| self.acc.portal || EVENTS[*e as usize].kind != Kind::Portal)
            .map(|&(e, r)| (e, r[col] * scale))
            .filter(|&(_, l)| l > 0.0)
            .collect();
        let lambda: f64 = rates.iter().map(|(_, l)| l).sum();
        let n = if lambda > 0.0 {
            Poisson::new(lambda).expect("positive").sample(&mut r) as u32
        } else {
            0
        };
        let start = out.len();
        let mut tally = Tally::default();
        let mut messages = 0u32;
        let mut drawn_social = 0;
        for _ in 0..n {
            let mut x = r.random::<f64>() * lambda;
            let mut what = rates[rates.len() - 1].0;
            for &(e, l) in &rates {
                if x < l {
                    what = e;
                    break;
                }
                x -= l;
            }
            let social = EVENTS[what as usize].kind == Kind::Share || what == MESSAGE_SENT;
            if arche == Archetype::Interacting && social {
                if drawn_social >= 1 {
                    continue;
                }
                drawn_social += 1;
            }
            let t = self.time(&cum, d0, &mut r, false);
            // A planted drop removes the event after it is drawn, so the
            // draws (and every other event) are the same with or without
            // the drop: only the removed events differ.
            let fate: f64 = r.random();
            let mark = out.len();
            self.push(what, t, &mut messages, &mut r, col, out);
            if let Some(drop) = self.acc.drop
                && drop.event == what
                && (drop.start..drop.end).contains(&t)
                && fate < drop.depth
            {
                out.truncate(mark);
                if fate < drop.depth * 0.5 {
                    let feature = u32::from(EVENTS[what as usize].feature);
                    out.push(ev(t, self.u, ERROR_SHOWN, feature, (fate * 1e6) as u32 % 4));
                }
                continue;
            }
            tally.add(what);
        }
        // Weekly digests, Monday morning, for the half of users subscribed.
        let subscribed = mix(seed ^ u64::from(self.u)).is_multiple_of(2);
        for d in d0..=d1 {
            if subscribed && cal.is_monday(d) && r.random_bool(0.95) {
                let hour = (6 - OFFSET[self.user.region as usize]).rem_euclid(24);
                let t = cal.day_start(d) + hour * 3600 + r.random_range(0..600);
                if (self.lo..self.hi).contains(&t) {
                    out.push(ev(t, self.u, DIGEST, 0, r.random_range(3..25)));
                    tally.consume += 1;
                }
            }
        }
        self.plant(arche, tally, &cum, d0, &mut messages, &mut r, col, out);
        let _ = start;
    }

    /// Adds what the archetype's definition needs and chance left out.
    #[allow(clippy::too_many_arguments)]
    fn plant(
        &self,
        arche: Archetype,
        tally: Tally,
        cum: &[f64],
        d0: usize,
        messages: &mut u32,
        r: &mut Pcg64Mcg,
        col: usize,
        out: &mut Vec<Ev>,
    ) {
        let mut add = |what: u8, r: &mut Pcg64Mcg, out: &mut Vec<Ev>| {
            let t = self.time(cum, d0, r, true);
            self.push(what, t, messages, r, col, out);
        };
        match arche {
            Archetype::Engaging => {
                // (Fillers are events no drop removes.)
                if tally.research_maintain == 0 {
                    add(ARTICLE, r, out);
                }
                for _ in tally.social..2 {
                    add(MESSAGE_SENT, r, out);
                }
            }
            Archetype::Interacting if tally.platform == 0 => add(SIGNED_IN, r, out),
            Archetype::Consuming if tally.consume == 0 => add(ALERT_RECEIVED, r, out),
            _ => {}
        }
    }

    /// A time in the span: a day by weight, an hour of local business.
    fn time(&self, cum: &[f64], d0: usize, r: &mut Pcg64Mcg, any_day: bool) -> i64 {
        let total = *cum.last().expect("at least one day");
        let i = if any_day || total <= 0.0 {
            r.random_range(0..cum.len())
        } else {
            let x = r.random::<f64>() * total;
            cum.partition_point(|&c| c <= x).min(cum.len() - 1)
        };
        let mut x = r.random::<f64>() * 38.0;
        let mut hour = 23;
        for (h, w) in HOURS.iter().enumerate() {
            if x < *w {
                hour = h as i64;
                break;
            }
            x -= w;
        }
        let utc_hour = (hour - OFFSET[self.user.region as usize]).rem_euclid(24);
        let t = self.w.cal.day_start(d0 + i) + utc_hour * 3600 + r.random_range(0..3600);
        self.lo + (t - self.lo).rem_euclid(self.hi - self.lo)
    }

    /// Pushes one sampled event with its payload (and what follows from it:
    /// alert opens, message answers).
    fn push(
        &self,
        what: u8,
        t: i64,
        messages: &mut u32,
        r: &mut Pcg64Mcg,
        col: usize,
        out: &mut Vec<Ev>,
    ) {
        let u = self.u;
        let company = |r: &mut Pcg64Mcg| (r.random::<f64>().powi(3) * 200_000.0) as u32;
        let contact = |r: &mut Pcg64Mcg| {
            let k = (r.random::<f64>().powi(2) * 40.0) as u64;
            (mix(u64::from(u) << 8 | k) % 5_000_000) as u32
        };
        let e = match what {
            ALERT_RECEIVED => {
                let alert = r.random::<u32>();
                let c = company(r);
                if r.random_bool(OPEN_RATE[col]) {
                    let opened = t + r.random_range(300..7200);
                    if opened < self.hi {
                        out.push(ev(opened, u, ALERT_OPENED, alert, c));
                    }
                }
                ev(t, u, what, alert, c)
            }
            SIGNED_IN => ev(t, u, what, 0, u32::from(r.random_bool(0.6))),
            COMPANY_VIEWED | ARTICLE => ev(t, u, what, company(r), r.random_range(0..4)),
            SEARCH => ev(t, u, what, r.random_range(0..5), r.random_range(0..200)),
            PROFILE => ev(t, u, what, contact(r), 0),
            WATCHLIST_CREATED | LIST_UPDATED => {
                ev(t, u, what, r.random_range(0..12), r.random_range(0..2))
            }
            COMPANY_FOLLOWED | REMINDER_SET => ev(t, u, what, company(r), r.random_range(1..30)),
            INSIGHT_SHARED => {
                let channel = r.random_range(0..4u32);
                ev(t, u, what, company(r), channel | contact(r) << 2)
            }
            MEETING_SCHEDULED => ev(t, u, what, company(r), contact(r)),
            MESSAGE_SENT => {
                let id = (self.m as u32) << 16 | *messages;
                *messages += 1;
                self.answer(t, id, r, out);
                ev(t, u, what, id, contact(r))
            }
            PORTAL_VIEWED => ev(t, u, what, 0, r.random_range(0..PORTAL_PAGES.len() as u32)),
            DOCUMENT_DOWNLOADED => ev(t, u, what, r.random_range(0..5000), 0),
            ERROR_SHOWN => {
                let mut x: f64 = r.random();
                let mut feature = ERROR_FEATURES[0].0;
                for &(f, w) in ERROR_FEATURES {
                    if x < w {
                        feature = f;
                        break;
                    }
                    x -= w;
                }
                ev(t, u, what, u32::from(feature), r.random_range(0..4))
            }
            _ => ev(t, u, what, 0, 0),
        };
        out.push(e);
    }

    /// Most messages are answered (yes, maybe or no), usually within days,
    /// a few after more than 30 days. An answer is only recorded in a month
    /// where the sender is still engaging or interacting, so it never
    /// changes a planted archetype.
    fn answer(&self, sent: i64, id: u32, r: &mut Pcg64Mcg, out: &mut Vec<Ev>) {
        if !r.random_bool(0.65) {
            return;
        }
        let answer = match r.random_range(0..100) {
            0..45 => 0,
            45..70 => 1,
            _ => 2,
        };
        let lag = if r.random_bool(0.07) {
            r.random_range(31 * DAY..45 * DAY)
        } else {
            600 + Exp::new(1.0 / (2.5 * DAY as f64)).expect("valid").sample(r) as i64
        };
        let at = sent + lag;
        if at >= self.user.stop(self.acc).min(self.w.cal.end) {
            return;
        }
        let later = self.w.cal.month_of(at);
        if matches!(
            self.w.archetype(self.u, later),
            Some(Archetype::Engaging | Archetype::Interacting)
        ) && at >= self.user.created
        {
            out.push(ev(at, self.u, MESSAGE_ANSWERED, id, answer));
        }
    }
}
