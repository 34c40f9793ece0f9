//! `user-levels` (achievements and level per user) and `levels` (users per
//! level per account).

use crate::{ReportError, Request, Table};
use std::collections::{BTreeMap, BTreeSet};
use tenure_store::Store;

/// An achievement: the first time a user did one of these (event, and the
/// detail when it matters).
struct Achievement {
    name: &'static str,
    event: &'static str,
    details: &'static [&'static str],
}

const ACHIEVEMENTS: &[Achievement] = &[
    Achievement {
        name: "followed a company",
        event: "Company Followed",
        details: &[],
    },
    Achievement {
        name: "created a watchlist",
        event: "Watchlist Created",
        details: &[],
    },
    Achievement {
        name: "searched",
        event: "Search Performed",
        details: &[],
    },
    Achievement {
        name: "viewed a company",
        event: "Company Viewed",
        details: &[],
    },
    Achievement {
        name: "viewed a profile",
        event: "Profile Viewed",
        details: &[],
    },
    Achievement {
        name: "shared by email",
        event: "Insight Shared",
        details: &["email"],
    },
    Achievement {
        name: "shared on LinkedIn or Twitter",
        event: "Insight Shared",
        details: &["linkedin", "twitter"],
    },
    Achievement {
        name: "set a reminder",
        event: "Reminder Set",
        details: &[],
    },
    Achievement {
        name: "scheduled a meeting",
        event: "Meeting Scheduled",
        details: &[],
    },
    Achievement {
        name: "sent a message",
        event: "Message Sent",
        details: &[],
    },
    Achievement {
        name: "had a message answered yes or maybe",
        event: "Message Answered",
        details: &["yes", "maybe"],
    },
];

pub(crate) const LEVELS: [&str; 5] = [
    "beginner",
    "intermediate",
    "professional",
    "advanced",
    "expert",
];

/// 0-1 beginner, 2-3 intermediate, 4-5 professional, 6-7 advanced, 8+
/// expert.
pub(crate) fn level(achievements: usize) -> &'static str {
    LEVELS[(achievements / 2).min(4)]
}

/// Each user in scope with the achievements reached by the period's end.
fn per_user(
    store: &dyn Store,
    request: &Request,
) -> Result<Vec<(String, Option<String>, usize)>, ReportError> {
    let mut done: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    for (user, event, detail) in store.user_event_firsts(request.period.to, &request.scope)? {
        for a in ACHIEVEMENTS.iter().filter(|a| a.event == event) {
            let matches =
                a.details.is_empty() || detail.as_deref().is_some_and(|d| a.details.contains(&d));
            if matches {
                done.entry(user.clone()).or_default().insert(a.name);
            }
        }
    }
    Ok(store
        .user_activity(request.period, &request.scope)?
        .into_iter()
        .map(|u| {
            let n = done.get(&u.user_id).map_or(0, BTreeSet::len);
            (u.user_id, u.account_id, n)
        })
        .collect())
}

pub(crate) fn users(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let mut table = Table::new(&["user_id", "account_id", "achievements", "level"]);
    for (user, account, n) in per_user(store, request)? {
        table.push(vec![
            user.into(),
            account.into(),
            (n as u64).into(),
            level(n).into(),
        ]);
    }
    Ok(table)
}

pub(crate) fn accounts(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let mut per: BTreeMap<Option<String>, [u64; 5]> = BTreeMap::new();
    for (_, account, n) in per_user(store, request)? {
        per.entry(account).or_default()[(n / 2).min(4)] += 1;
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

#[cfg(test)]
mod tests {
    #[test]
    fn levels_follow_the_documented_bands() {
        let got: Vec<&str> = (0..10).map(super::level).collect();
        assert_eq!(
            got,
            [
                "beginner",
                "beginner",
                "intermediate",
                "intermediate",
                "professional",
                "professional",
                "advanced",
                "advanced",
                "expert",
                "expert"
            ]
        );
    }
}
