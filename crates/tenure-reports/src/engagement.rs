//! `engagement` (one row per user in scope) and `engagement-summary` (users
//! per account and category).

use crate::{Cell, ReportError, Request, Table};
use std::sync::Arc;
use tenure_core::report::Category;
use tenure_core::time::format_timestamp;
use tenure_store::Store;

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
    // Each category's name and advice once for the whole table.
    let texts: Vec<(Arc<str>, Arc<str>)> = Category::ALL
        .iter()
        .map(|c| (c.as_str().into(), request.config.advice(*c).into()))
        .collect();
    for u in store.user_engagement(request.period, &request.scope)? {
        let c = u.counts;
        let (category, advice) = &texts[request.config.category(&c).index()];
        table.push(vec![
            u.user_id.into(),
            u.account_id.into(),
            Cell::List(u.groups),
            category.into(),
            c.consume.into(),
            c.login.into(),
            c.research.into(),
            c.maintain.into(),
            c.share.into(),
            c.message.into(),
            c.portal.into(),
            u.last_active_at.map(format_timestamp).into(),
            advice.into(),
        ]);
    }
    Ok(table)
}

pub(crate) fn summary(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let config = &request.config;
    let counts = store.category_counts(
        request.period,
        &request.scope,
        config.engaging_min_research,
        config.engaging_min_social,
    )?;
    let mut table = Table::new(&["account_id", "category", "users"]);
    for account in counts {
        for (category, n) in Category::ALL.iter().zip(account.users) {
            table.push(vec![
                account.account_id.clone().into(),
                category.as_str().into(),
                n.into(),
            ]);
        }
    }
    Ok(table)
}

/// `engagement-flow`: users by their category in the previous period of
/// equal length (`from`) and in this one (`to`), both in scope now.
pub(crate) fn flow(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let config = &request.config;
    let counts = store.category_flow(
        request.period,
        &request.scope,
        config.engaging_min_research,
        config.engaging_min_social,
    )?;
    let mut table = Table::new(&["from", "to", "users"]);
    for (from, row) in Category::ALL.iter().zip(counts) {
        for (to, n) in Category::ALL.iter().zip(row) {
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
