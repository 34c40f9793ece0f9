//! `engagement` (one row per user in scope) and `engagement-summary` (users
//! per account and category).

use crate::{Cell, ReportError, Request, Table};
use std::collections::{BTreeMap, HashMap};
use tenure_core::report::Category;
use tenure_core::time::format_timestamp;
use tenure_store::{Store, UserActivity};

pub(crate) const USER_COLUMNS: &[&str] = &[
    "user_id",
    "account_id",
    "groups",
    "category",
    "consume",
    "login",
    "research",
    "maintain",
    "share",
    "message",
    "portal",
    "last_active_at",
    "recommended_action",
];

pub(crate) fn users(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let mut table = Table::new(USER_COLUMNS);
    for u in store.user_engagement(request.period, &request.scope)? {
        let c = u.counts;
        let category = request.config.category(&c);
        table.push(vec![
            u.user_id.into(),
            u.account_id.into(),
            Cell::List(u.groups),
            category.as_str().into(),
            c.consume.into(),
            c.login.into(),
            c.research.into(),
            c.maintain.into(),
            c.share.into(),
            c.message.into(),
            c.portal.into(),
            u.last_active_at.map(format_timestamp).into(),
            request.config.advice(category).into(),
        ]);
    }
    Ok(table)
}

pub(crate) fn summary(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    Ok(summary_of(
        request,
        &store.user_counts(request.period, &request.scope)?,
    ))
}

/// `engagement-summary` from the users in scope.
pub(crate) fn summary_of<'a>(
    request: &Request,
    users: impl IntoIterator<Item = &'a UserActivity>,
) -> Table {
    let mut counts: BTreeMap<Option<String>, [u64; 4]> = BTreeMap::new();
    for u in users {
        let slot = counts.entry(u.account_id.clone()).or_default();
        let i = Category::ALL
            .iter()
            .position(|c| *c == request.config.category(&u.counts))
            .expect("every category is listed");
        slot[i] += 1;
    }
    let mut table = Table::new(&["account_id", "category", "users"]);
    for (account, per) in counts {
        for (category, n) in Category::ALL.iter().zip(per) {
            table.push(vec![
                account.clone().into(),
                category.as_str().into(),
                n.into(),
            ]);
        }
    }
    table
}

/// `engagement-flow`: users by their category in the previous period of
/// equal length (`from`) and in this one (`to`), both in scope now.
pub(crate) fn flow(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let now = store.user_counts(request.period, &request.scope)?;
    // Looked up by user in no order: a hash map, not a tree.
    let before: HashMap<String, Category> = store
        .user_counts(request.period.previous(), &request.scope)?
        .into_iter()
        .map(|u| (u.user_id, request.config.category(&u.counts)))
        .collect();
    let mut counts: BTreeMap<(Category, Category), u64> = BTreeMap::new();
    for u in now {
        // A user not in scope before (no seat then) counts as dormant then.
        let from = before.get(&u.user_id).copied().unwrap_or(Category::Dormant);
        *counts
            .entry((from, request.config.category(&u.counts)))
            .or_default() += 1;
    }
    let mut table = Table::new(&["from", "to", "users"]);
    for from in Category::ALL {
        for to in Category::ALL {
            let n = counts.get(&(from, to)).copied().unwrap_or(0);
            table.push(vec![from.as_str().into(), to.as_str().into(), n.into()]);
        }
    }
    Ok(table)
}

/// `champions`: engaging users, most social actions first — the users to
/// ask to become internal champions.
pub(crate) fn champions(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let config = &request.config;
    let mut engaging: Vec<_> = store
        .engaging_users(
            request.period,
            &request.scope,
            config.engaging_min_research,
            config.engaging_min_social,
        )?
        .into_iter()
        .filter(|u| request.config.category(&u.counts) == Category::Engaging)
        .collect();
    engaging.sort_by(|a, b| {
        b.counts
            .social()
            .cmp(&a.counts.social())
            .then_with(|| a.user_id.cmp(&b.user_id))
    });
    let mut table = Table::new(&[
        "user_id",
        "account_id",
        "groups",
        "social_actions",
        "research",
        "maintain",
    ]);
    for u in engaging {
        table.push(vec![
            u.user_id.into(),
            u.account_id.into(),
            Cell::List(u.groups),
            u.counts.social().into(),
            u.counts.research.into(),
            u.counts.maintain.into(),
        ]);
    }
    Ok(table)
}
