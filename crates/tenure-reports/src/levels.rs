//! `user-levels` (achievements and level per user) and `levels` (users per
//! level per account).

use crate::{ReportError, Request, Table};
use std::collections::BTreeMap;
use std::sync::Arc;
use tenure_core::rules::LEVELS;
use tenure_store::Store;

/// Each user in scope with the achievements reached by the period's end.
fn per_user(
    store: &dyn Store,
    request: &Request,
) -> Result<Vec<(String, Option<String>, u64)>, ReportError> {
    Ok(store.user_achievements(
        request.period.to,
        &request.scope,
        &request.config.achievements,
    )?)
}

pub(crate) fn users(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let mut table = Table::new(&["user_id", "account_id", "achievements", "level"]);
    // Each level's name once for the whole table.
    let names: Vec<Arc<str>> = LEVELS.iter().map(|l| Arc::from(*l)).collect();
    for (user, account, n) in per_user(store, request)? {
        table.push(vec![
            user.into(),
            account.into(),
            n.into(),
            (&names[request.config.level_index(n)]).into(),
        ]);
    }
    Ok(table)
}

pub(crate) fn accounts(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    // Users per account and number of achievements, counted in the store.
    let counts = store.achievement_counts(
        request.period.to,
        &request.scope,
        &request.config.achievements,
    )?;
    let mut per: BTreeMap<Option<String>, [u64; 5]> = BTreeMap::new();
    for (account, n, users) in counts {
        per.entry(account).or_default()[request.config.level_index(n)] += users;
    }
    let mut columns = vec!["account_id"];
    columns.extend(LEVELS);
    let mut table = Table::new(&columns);
    for (account, counts) in per {
        let mut row = vec![account.into()];
        row.extend(counts.map(Into::into));
        table.push(row);
    }
    Ok(table)
}
