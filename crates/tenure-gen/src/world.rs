//! The customers: accounts with their plans and fates, users with their
//! seats, teams and monthly archetypes, champions and planted drops. Built
//! once from the seed, before any event; events are drawn from it month by
//! month (see `activity`).

use crate::calendar::{Calendar, DAY, WEEK};
use crate::catalog::DROP_EVENTS;
use crate::params::Params;
use crate::rng::{stream, tag};
use rand::Rng;
use rand_distr::{Distribution, Exp, LogNormal};

const MONTH: i64 = 30 * DAY;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Plan {
    Trial,
    Basic,
    Pro,
    Enterprise,
}

impl Plan {
    pub const ALL: [Plan; 4] = [Plan::Trial, Plan::Basic, Plan::Pro, Plan::Enterprise];

    pub fn name(self) -> &'static str {
        match self {
            Plan::Trial => "trial",
            Plan::Basic => "basic",
            Plan::Pro => "pro",
            Plan::Enterprise => "enterprise",
        }
    }

    /// Monthly price of a seat.
    pub fn seat_price(self) -> u32 {
        match self {
            Plan::Trial => 0,
            Plan::Basic => 35,
            Plan::Pro => 65,
            Plan::Enterprise => 95,
        }
    }

    pub fn code(self) -> u32 {
        self as u32
    }
}

/// What a user does in a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Archetype {
    NeverActivated = 0,
    Engaging = 1,
    Interacting = 2,
    Consuming = 3,
    Dormant = 4,
}

/// A month in which the user does not exist (not yet created, gone, or the
/// account is closed).
pub const ABSENT: u8 = 255;

impl Archetype {
    pub fn from_code(code: u8) -> Option<Archetype> {
        Some(match code {
            0 => Archetype::NeverActivated,
            1 => Archetype::Engaging,
            2 => Archetype::Interacting,
            3 => Archetype::Consuming,
            4 => Archetype::Dormant,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Archetype::NeverActivated => "never_activated",
            Archetype::Engaging => "engaging",
            Archetype::Interacting => "interacting",
            Archetype::Consuming => "consuming",
            Archetype::Dormant => "dormant",
        }
    }
}

/// How an account's story goes inside the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fate {
    /// Nothing remarkable.
    Stays,
    /// Activity declines from `decline` and the account churns at `at`
    /// (archived); some downgrade half-way.
    Churns {
        decline: i64,
        at: i64,
        downgrade: Option<i64>,
    },
    /// Activity and users grow from `growth`; the plan goes up at `at`.
    Upgrades { growth: i64, at: i64 },
    /// A trial that converts to a paid plan at `at`.
    TrialConverts { at: i64, plan: Plan },
    /// A trial that ends unconverted at `at` (the account is archived).
    TrialFails { at: i64 },
    /// Archived by its admin at `at` (merged, duplicate), with no churn
    /// event.
    Archived { at: i64 },
}

/// A feature that breaks for an account for some weeks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drop {
    /// Event code (see `catalog`).
    pub event: u8,
    pub start: i64,
    pub end: i64,
    /// Share of that event's use lost while it lasts.
    pub depth: f64,
}

#[derive(Debug, Clone)]
pub struct Account {
    pub created: i64,
    pub plan: Plan,
    pub seats: u32,
    /// 0 na, 1 emea, 2 apac.
    pub region: u8,
    pub industry: u8,
    pub csm: u8,
    pub portal: bool,
    pub fate: Fate,
    /// Heavy-tailed activity multiplier of the whole account.
    pub mult: f64,
    /// Global indexes of its users.
    pub first_user: u32,
    pub user_count: u32,
    /// Its champions (global user indexes); the first may leave.
    pub champions: Vec<u32>,
    pub drop: Option<Drop>,
    pub trial_days: u32,
}

impl Account {
    /// When the account stops (churned, archived, failed trial), or never.
    pub fn end(&self) -> i64 {
        match self.fate {
            Fate::Churns { at, .. } | Fate::TrialFails { at } | Fate::Archived { at } => at,
            _ => i64::MAX,
        }
    }

    /// Relative activity of the account at `t`: declines to 0.15 before a
    /// churn, grows to 1.6 before an upgrade, higher for trials that convert.
    pub fn health(&self, t: i64) -> f64 {
        match self.fate {
            Fate::Churns { decline, at, .. } if t >= decline => {
                1.0 - 0.85 * ((t - decline) as f64 / (at - decline) as f64).min(1.0)
            }
            Fate::Upgrades { growth, at } if t >= growth => {
                if t >= at {
                    1.5
                } else {
                    1.0 + 0.6 * (t - growth) as f64 / (at - growth) as f64
                }
            }
            Fate::TrialConverts { at, .. } if t < at => 1.25,
            Fate::TrialFails { .. } => 0.55,
            _ => 1.0,
        }
    }

    /// The plan in force at `t`, with its seats.
    pub fn plan_at(&self, t: i64) -> (Plan, u32) {
        match self.fate {
            Fate::TrialConverts { at, plan } if t >= at => (plan, self.seats),
            Fate::Upgrades { at, .. } if t >= at => (upgrade(self.plan), self.seats * 3 / 2 + 1),
            Fate::Churns {
                downgrade: Some(d), ..
            } if t >= d => (downgrade(self.plan), self.seats.div_ceil(2)),
            _ => (self.plan, self.seats),
        }
    }
}

pub fn upgrade(plan: Plan) -> Plan {
    match plan {
        Plan::Trial | Plan::Basic => Plan::Pro,
        _ => Plan::Enterprise,
    }
}

pub fn downgrade(plan: Plan) -> Plan {
    match plan {
        Plan::Enterprise => Plan::Pro,
        _ => Plan::Basic,
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub account: u32,
    pub created: i64,
    /// When the user left (seat unassigned), or `i64::MAX`.
    pub left: i64,
    /// When a seat was assigned, or `None` (an unlicensed user).
    pub seat: Option<i64>,
    pub mult: f64,
    /// 0 admin, 1 manager, 2 analyst, 3 sales rep.
    pub role: u8,
    pub region: u8,
    /// Team: 0 sales, 1 marketing, 2 research, 3 leadership.
    pub team: u8,
    /// A change of team: (when, new team).
    pub moved: Option<(i64, u8)>,
    pub champion: bool,
    /// First month (window index) with activity: where the onboarding ramp
    /// starts.
    pub first_month: u16,
}

impl User {
    /// When the user's activity stops: left, or the account closed.
    pub fn stop(&self, account: &Account) -> i64 {
        self.left.min(account.end())
    }

    pub fn team_at(&self, t: i64) -> u8 {
        match self.moved {
            Some((at, team)) if t >= at => team,
            _ => self.team,
        }
    }
}

pub struct World {
    pub params: Params,
    pub cal: Calendar,
    pub accounts: Vec<Account>,
    pub users: Vec<User>,
    /// Archetype code (or [`ABSENT`]) of user `u` in month `m` at
    /// `u * months + m`.
    pub archetypes: Vec<u8>,
}

impl World {
    pub fn build(params: &Params) -> World {
        let cal = Calendar::new(params.end, params.months);
        let mut accounts = Vec::with_capacity(params.accounts as usize);
        let mut users = Vec::new();
        for a in 0..params.accounts {
            let mut account = new_account(params, &cal, a, users.len() as u32);
            add_users(params, &cal, a, &mut account, &mut users);
            account.drop = plan_drop(params, &cal, a, &account);
            accounts.push(account);
        }
        let months = cal.month_count();
        let mut archetypes = vec![ABSENT; users.len() * months];
        for (u, user) in users.iter_mut().enumerate() {
            let account = &accounts[user.account as usize];
            let row = &mut archetypes[u * months..(u + 1) * months];
            user.first_month = chain(params, &cal, u as u32, user, account, row);
        }
        World {
            params: params.clone(),
            cal,
            accounts,
            users,
            archetypes,
        }
    }

    pub fn archetype(&self, user: u32, month: usize) -> Option<Archetype> {
        Archetype::from_code(self.archetypes[user as usize * self.cal.month_count() + month])
    }

    pub fn users_of(&self, a: u32) -> std::ops::Range<u32> {
        let acc = &self.accounts[a as usize];
        acc.first_user..acc.first_user + acc.user_count
    }
}

fn uniform(rng: &mut impl Rng, lo: i64, hi: i64) -> i64 {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..hi)
    }
}

fn new_account(p: &Params, cal: &Calendar, a: u32, first_user: u32) -> Account {
    let mut r = stream(p.seed, tag::ACCOUNT, u64::from(a), 0);
    let mean = f64::from(p.users_per_account);
    let sigma: f64 = 0.9;
    let size = LogNormal::new(mean.ln() - sigma * sigma / 2.0, sigma)
        .expect("valid")
        .sample(&mut r)
        .round()
        .clamp(1.0, mean * 30.0) as u32;
    let window = cal.end - cal.start;
    let existing = r.random_bool(0.6);
    let created = if existing {
        cal.start - uniform(&mut r, MONTH, 36 * MONTH)
    } else {
        cal.start + uniform(&mut r, 0, (window - 21 * DAY).max(DAY))
    };
    let trial = !existing && r.random_bool(0.45);
    let plan = if trial {
        Plan::Trial
    } else if size >= 60 && r.random_bool(0.7) {
        Plan::Enterprise
    } else if size >= 12 && r.random_bool(0.6) {
        Plan::Pro
    } else {
        Plan::Basic
    };
    let seats = if trial {
        size
    } else {
        (f64::from(size) * r.random_range(1.0..1.35)).ceil() as u32
    };
    let region = match r.random_range(0..100) {
        0..45 => 0,
        45..80 => 1,
        _ => 2,
    };
    let trial_days = if r.random_bool(0.5) { 14 } else { 30 };
    let alive_from = created.max(cal.start);
    let months_in = (cal.end - alive_from) as f64 / MONTH as f64;
    let u: f64 = r.random();
    let p_churn = 1.0 - 0.985f64.powf(months_in);
    let p_upgrade = 1.0 - 0.992f64.powf(months_in);
    let fate = if trial {
        let at = created + i64::from(trial_days) * DAY;
        if r.random_bool(0.5) {
            let plan = if size >= 12 { Plan::Pro } else { Plan::Basic };
            Fate::TrialConverts { at, plan }
        } else {
            Fate::TrialFails { at }
        }
    } else if u < p_churn {
        let lo = (created + 120 * DAY).max(cal.start + 10 * WEEK);
        if lo < cal.end - DAY {
            let at = uniform(&mut r, lo, cal.end - DAY);
            let decline = at - uniform(&mut r, 8 * WEEK, 12 * WEEK);
            let downgrade = (plan != Plan::Basic && r.random_bool(0.3)).then(|| (decline + at) / 2);
            Fate::Churns {
                decline,
                at,
                downgrade,
            }
        } else {
            Fate::Stays
        }
    } else if u < p_churn + p_upgrade && plan != Plan::Enterprise {
        let lo = alive_from + 12 * WEEK;
        if lo < cal.end - WEEK {
            let at = uniform(&mut r, lo, cal.end - WEEK);
            Fate::Upgrades {
                growth: at - uniform(&mut r, 8 * WEEK, 12 * WEEK),
                at,
            }
        } else {
            Fate::Stays
        }
    } else if u > 0.98 && alive_from + 8 * WEEK < cal.end - DAY {
        Fate::Archived {
            at: uniform(&mut r, alive_from + 8 * WEEK, cal.end - DAY),
        }
    } else {
        Fate::Stays
    };
    Account {
        created,
        plan,
        seats,
        region,
        industry: r.random_range(0..6),
        csm: r.random_range(0..8),
        portal: r.random_bool(0.85),
        fate,
        mult: LogNormal::new(-0.06, 0.35).expect("valid").sample(&mut r),
        first_user,
        user_count: size,
        champions: Vec::new(),
        drop: None,
        trial_days,
    }
}

fn add_users(p: &Params, cal: &Calendar, a: u32, account: &mut Account, users: &mut Vec<User>) {
    let size = account.user_count;
    let stop = account.end().min(cal.end);
    let growth = match account.fate {
        Fate::Upgrades { growth, at } => Some((growth, at)),
        _ => None,
    };
    let mut r = stream(p.seed, tag::USER, u64::from(a), 0);
    let leave = Exp::new(1.0 / (100.0 * MONTH as f64)).expect("valid");
    let activity = LogNormal::<f64>::new(-0.32, 0.8).expect("valid");
    for k in 0..size {
        let created = if k == 0 {
            account.created + uniform(&mut r, 0, DAY)
        } else if f64::from(k) < 0.7 * f64::from(size) || stop < account.created + 15 * DAY {
            account.created + uniform(&mut r, 0, (14 * DAY).min(stop - account.created))
        } else if let Some((g, at)) = growth.filter(|_| f64::from(k) >= 0.85 * f64::from(size)) {
            uniform(&mut r, g, at)
        } else {
            uniform(&mut r, account.created + 14 * DAY, stop)
        };
        let seat = r
            .random_bool(0.94)
            .then(|| created + uniform(&mut r, 0, 2 * DAY));
        let left = created + leave.sample(&mut r) as i64;
        let left = if left >= cal.end { i64::MAX } else { left };
        let team = pick_team(&mut r);
        let moved = r
            .random_bool(0.05)
            .then(|| {
                (
                    uniform(&mut r, created + DAY, cal.end.max(created + 2 * DAY)),
                    (team + 1) % 4,
                )
            })
            .filter(|(at, _)| *at < cal.end && *at < left);
        users.push(User {
            account: a,
            created,
            left,
            seat,
            mult: activity.sample(&mut r).clamp(0.05, 8.0),
            role: if k == 0 {
                0
            } else {
                match r.random_range(0..100) {
                    0..15 => 1,
                    15..50 => 2,
                    _ => 3,
                }
            },
            region: if r.random_bool(0.8) {
                account.region
            } else {
                r.random_range(0..3)
            },
            team,
            moved,
            champion: false,
            first_month: 0,
        });
    }
    // Champions: among the first users, with a seat; the first of a churning
    // account often leaves some weeks before the decline starts.
    let wanted = if size < 3 {
        0
    } else {
        ((f64::from(size) * 0.06).round() as usize).max(1)
    };
    let first = account.first_user as usize;
    let mut champions = Vec::new();
    for k in 1..size {
        if champions.len() == wanted {
            break;
        }
        let u = &mut users[first + k as usize];
        if u.seat.is_some() {
            u.champion = true;
            u.left = i64::MAX;
            u.moved = None;
            u.mult = u.mult.max(1.0) * 2.0;
            champions.push(first as u32 + k);
        }
    }
    if let (Fate::Churns { decline, .. }, Some(&c)) = (account.fate, champions.first()) {
        let departure = decline - uniform(&mut r, WEEK, 4 * WEEK);
        let u = &mut users[c as usize];
        if departure > u.created + 8 * WEEK && r.random_bool(0.6) {
            u.left = departure;
        }
    }
    account.champions = champions;
}

fn pick_team(r: &mut impl Rng) -> u8 {
    match r.random_range(0..100) {
        0..50 => 0,
        50..70 => 1,
        70..90 => 2,
        _ => 3,
    }
}

/// Drops are planted in accounts at least this large: there the broken
/// feature is used tens of times a week, so its drop shows in a week of
/// data (in a small account a feature used twice a week cannot drop
/// visibly).
pub const DROP_MIN_USERS: u32 = 80;

fn plan_drop(p: &Params, cal: &Calendar, a: u32, account: &Account) -> Option<Drop> {
    let mut r = stream(p.seed, tag::ACCOUNT, u64::from(a), 1);
    if account.user_count < DROP_MIN_USERS || !r.random_bool(0.5) {
        return None;
    }
    let event = DROP_EVENTS[r.random_range(0..DROP_EVENTS.len())];
    let lo = account.created.max(cal.start) + 6 * WEEK;
    let quiet_until = match account.fate {
        Fate::Churns { decline, .. } => decline,
        Fate::Upgrades { growth, .. } => growth,
        other => match other {
            Fate::TrialFails { at } | Fate::Archived { at } => at,
            _ => cal.end,
        },
    };
    let length = uniform(&mut r, 3 * WEEK, 6 * WEEK + 1);
    let hi = quiet_until.min(cal.end) - length;
    if hi <= lo {
        return None;
    }
    let start = uniform(&mut r, lo, hi) / DAY * DAY;
    Some(Drop {
        event,
        start,
        end: start + length / DAY * DAY,
        depth: r.random_range(0.6..0.95),
    })
}

/// Monthly archetypes: a Markov chain pushed down by a declining account
/// and up by a growing one. Returns the first month with activity.
fn chain(
    p: &Params,
    cal: &Calendar,
    u: u32,
    user: &User,
    account: &Account,
    row: &mut [u8],
) -> u16 {
    use Archetype::*;
    let mut r = stream(p.seed, tag::CHAIN, u64::from(u), 0);
    let never = user.seat.is_some() && !user.champion && r.random_bool(0.10);
    let stop = user.stop(account);
    let mut state: Option<Archetype> = None;
    let mut first = None;
    for (m, slot) in row.iter_mut().enumerate() {
        let (lo, hi) = (cal.months[m], cal.months[m + 1]);
        if lo.max(user.created) >= hi.min(stop) {
            continue;
        }
        let health = account.health(((lo.max(user.created) + hi.min(stop)) / 2).max(lo));
        let next = if never {
            NeverActivated
        } else if user.champion {
            Engaging
        } else {
            match state {
                None if user.created < cal.start => {
                    let a = pick(
                        &mut r,
                        &[
                            (Engaging, 0.17),
                            (Interacting, 0.32),
                            (Consuming, 0.29),
                            (Dormant, 0.22),
                        ],
                    );
                    push(&mut r, a, health)
                }
                None => {
                    let a = pick(
                        &mut r,
                        &[(Engaging, 0.2), (Interacting, 0.5), (Consuming, 0.3)],
                    );
                    push(&mut r, a, health)
                }
                Some(s) => {
                    let a = step(&mut r, s);
                    push(&mut r, a, health)
                }
            }
        };
        if first.is_none() && next != NeverActivated {
            first = Some(m as u16);
        }
        state = Some(next);
        *slot = next as u8;
    }
    first.unwrap_or(0)
}

fn pick(r: &mut impl Rng, choices: &[(Archetype, f64)]) -> Archetype {
    let mut x: f64 = r.random();
    for &(a, w) in choices {
        if x < w {
            return a;
        }
        x -= w;
    }
    choices.last().expect("choices").0
}

/// The monthly transition of an archetype, at full health.
fn step(r: &mut impl Rng, s: Archetype) -> Archetype {
    use Archetype::*;
    let row: &[(Archetype, f64)] = match s {
        Engaging => &[
            (Engaging, 0.82),
            (Interacting, 0.12),
            (Consuming, 0.04),
            (Dormant, 0.02),
        ],
        Interacting => &[
            (Engaging, 0.08),
            (Interacting, 0.74),
            (Consuming, 0.10),
            (Dormant, 0.08),
        ],
        Consuming => &[
            (Engaging, 0.02),
            (Interacting, 0.10),
            (Consuming, 0.72),
            (Dormant, 0.16),
        ],
        _ => &[
            (Engaging, 0.01),
            (Interacting, 0.06),
            (Consuming, 0.08),
            (Dormant, 0.85),
        ],
    };
    pick(r, row)
}

/// A declining account pushes its users' archetypes down a step, a growing
/// one pushes them up.
fn push(r: &mut impl Rng, next: Archetype, health: f64) -> Archetype {
    use Archetype::*;

    let down = |a| match a {
        Engaging => Interacting,
        Interacting => Consuming,
        _ => Dormant,
    };
    let up = |a| match a {
        Dormant => Consuming,
        Consuming => Interacting,
        _ => Engaging,
    };
    if health < 1.0 && r.random_bool(((1.0 - health) * 1.2).min(1.0)) {
        down(next)
    } else if health > 1.0 && r.random_bool(((health - 1.0) * 0.8).min(1.0)) {
        up(next)
    } else {
        next
    }
}
