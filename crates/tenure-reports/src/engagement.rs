//! `engagement` (one row per user in scope) and `engagement-summary` (users
//! per account and category).

use crate::{Cell, ReportError, Request, Table};
use std::collections::BTreeMap;
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
    for u in store.user_activity(request.period, &request.scope)? {
        let c = u.counts;
        let category = Category::of(&c);
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
            category.default_advice().into(),
        ]);
    }
    Ok(table)
}

pub(crate) fn summary(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let mut counts: BTreeMap<Option<String>, [u64; 4]> = BTreeMap::new();
    for u in store.user_activity(request.period, &request.scope)? {
        let slot = counts.entry(u.account_id).or_default();
        let i = Category::ALL
            .iter()
            .position(|c| *c == Category::of(&u.counts))
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
    Ok(table)
}
