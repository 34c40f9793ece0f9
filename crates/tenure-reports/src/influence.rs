//! `influence`: who spreads what they find. Inside the company, each user's
//! standing on the account's internal share graph (PageRank over who
//! reached which colleague with a share or a message); outside, the shares
//! that left the company (public channels, people elsewhere).

use crate::{Cell, ReportError, Request, Table};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use tenure_core::influence::InfluenceConfig;
use tenure_store::{Reach, Scope, Store, UserActivity};

/// Whom a message or share reached.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A colleague: a user of the sender's account (by id or email), or
    /// an address on one of the account's email domains.
    Colleague(String),
    Outside,
    /// Nobody the report counts: a note to oneself, a watchlist, a sales
    /// message to a prospect (`productivity` counts those).
    Neither,
}

fn domain(email: &str) -> Option<&str> {
    email
        .rsplit_once('@')
        .map(|(_, d)| d)
        .filter(|d| !d.is_empty())
}

/// An account's people: whom a recipient may be.
#[derive(Debug, Default)]
struct Directory {
    /// Its users, sorted: the graph's first nodes.
    users: BTreeSet<String>,
    /// Lower-case email to user.
    emails: HashMap<String, String>,
    /// The domains of its users' emails, public ones left out.
    domains: HashSet<String>,
}

/// The users with an account, by account, in the order given
/// ([`Store::users_at`] sorts them by account and user).
fn by_account(users: &[UserActivity]) -> BTreeMap<&str, Vec<&UserActivity>> {
    let mut per: BTreeMap<&str, Vec<&UserActivity>> = BTreeMap::new();
    for u in users {
        if let Some(account) = u.account_id.as_deref() {
            per.entry(account).or_default().push(u);
        }
    }
    per
}

impl Directory {
    /// One per account of `users` (their state at the period's end).
    #[cfg(test)]
    fn of(users: &[UserActivity], config: &InfluenceConfig) -> BTreeMap<String, Directory> {
        Self::of_grouped(&by_account(users), config)
    }

    /// One per account of [`by_account`]'s groups.
    fn of_grouped(
        accounts: &BTreeMap<&str, Vec<&UserActivity>>,
        config: &InfluenceConfig,
    ) -> BTreeMap<String, Directory> {
        let mut out = BTreeMap::new();
        for (account, members) in accounts {
            let mut d = Directory {
                users: members.iter().map(|u| u.user_id.clone()).collect(),
                ..Directory::default()
            };
            for u in members {
                let Some(email) = &u.email else {
                    continue;
                };
                let email = email.trim().to_lowercase();
                if let Some(dom) = domain(&email)
                    && !config.public_email_domains.iter().any(|p| p == dom)
                {
                    d.domains.insert(dom.to_string());
                }
                d.emails.insert(email, u.user_id.clone());
            }
            out.insert(account.to_string(), d);
        }
        out
    }

    fn target(&self, r: &Reach, config: &InfluenceConfig) -> Target {
        let colleague = |id: &str| {
            if id == r.user_id {
                Target::Neither
            } else {
                Target::Colleague(id.to_string())
            }
        };
        if let Some(id) = r
            .recipient_id
            .as_deref()
            .filter(|id| self.users.contains(*id))
        {
            return colleague(id);
        }
        if let Some(email) = r.recipient_email.as_deref() {
            if let Some(user) = self.emails.get(email) {
                return colleague(user);
            }
            if domain(email).is_some_and(|d| self.domains.contains(d)) {
                return Target::Colleague(email.to_string());
            }
        }
        if r.event == "Message Sent" {
            return Target::Neither;
        }
        let named = r.recipient_id.is_some() || r.recipient_email.is_some();
        let public = r.channel.as_deref().is_some_and(|c| {
            let c = c.trim().to_lowercase();
            config.outside_channels.contains(&c)
        });
        if named || public {
            Target::Outside
        } else {
            Target::Neither
        }
    }
}

/// PageRank with `damping` over `n` nodes and weighted `edges` (from,
/// to, weight): per node, the rank its in-edges pass it, times `n`. That
/// is the node's rank above the floor every node gets (0 for a node no
/// edge points to), in units of an average node's rank.
fn passed_rank(n: usize, edges: &[(usize, usize, f64)], damping: f64) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    let mut out_weight = vec![0.0; n];
    for &(from, _, w) in edges {
        out_weight[from] += w;
    }
    let mut rank = vec![1.0 / n as f64; n];
    let passed = |rank: &[f64]| {
        let mut got = vec![0.0; n];
        for &(from, to, w) in edges {
            got[to] += damping * rank[from] * w / out_weight[from];
        }
        got
    };
    for _ in 0..500 {
        let dangling: f64 = (0..n)
            .filter(|&i| out_weight[i] == 0.0)
            .map(|i| rank[i])
            .sum();
        let floor = (1.0 - damping + damping * dangling) / n as f64;
        let next: Vec<f64> = passed(&rank).into_iter().map(|g| floor + g).collect();
        let change: f64 = next.iter().zip(&rank).map(|(a, b)| (a - b).abs()).sum();
        rank = next;
        if change < 1e-12 {
            break;
        }
    }
    passed(&rank).into_iter().map(|g| g * n as f64).collect()
}

/// One user's influence in the period.
#[derive(Debug, Clone, Default, PartialEq)]
struct Influence {
    inside: f64,
    outside: u64,
    /// Distinct colleagues reached.
    colleagues: u64,
}

/// Per account, then per user (looked up in no order: a map by user), the
/// influence over `reach`. A user's shares to a
/// colleague pass rank from that colleague to the user, so a user ranks
/// high by reaching many colleagues who themselves reach others.
fn influence(
    directories: &BTreeMap<String, Directory>,
    reach: &[Reach],
    config: &InfluenceConfig,
) -> BTreeMap<String, HashMap<String, Influence>> {
    let empty = Directory::default();
    let mut per: BTreeMap<&str, Vec<&Reach>> = BTreeMap::new();
    for r in reach {
        if let Some(account) = &r.account_id {
            per.entry(account).or_default().push(r);
        }
    }
    let mut out: BTreeMap<String, HashMap<String, Influence>> = BTreeMap::new();
    for (account, rows) in per {
        let dir = directories.get(account).unwrap_or(&empty);
        let mut nodes: Vec<String> = dir.users.iter().cloned().collect();
        let mut index: HashMap<String, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, u)| (u.clone(), i))
            .collect();
        let mut node = |key: &str, nodes: &mut Vec<String>| {
            *index.entry(key.to_string()).or_insert_with(|| {
                nodes.push(key.to_string());
                nodes.len() - 1
            })
        };
        let mut weights: BTreeMap<(usize, usize), f64> = BTreeMap::new();
        let mut reached: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        for r in rows {
            let sender = node(&r.user_id, &mut nodes);
            match dir.target(r, config) {
                Target::Colleague(key) => {
                    let colleague = node(&key, &mut nodes);
                    *weights.entry((colleague, sender)).or_default() += r.count as f64;
                    reached.entry(sender).or_default().insert(colleague);
                }
                Target::Outside => {
                    out.entry(account.to_string())
                        .or_default()
                        .entry(r.user_id.clone())
                        .or_default()
                        .outside += r.count;
                }
                Target::Neither => {}
            }
        }
        let edges: Vec<(usize, usize, f64)> =
            weights.into_iter().map(|((a, b), w)| (a, b, w)).collect();
        let passed = passed_rank(nodes.len(), &edges, config.damping);
        for (sender, colleagues) in reached {
            let entry = out
                .entry(account.to_string())
                .or_default()
                .entry(nodes[sender].clone())
                .or_default();
            entry.inside = passed[sender];
            entry.colleagues = colleagues.len() as u64;
        }
    }
    out
}

/// `influence`: per user in scope (state at the period's end), how far
/// what they share travels in the period, ranked within the account;
/// `top` keeps each account's first rows.
pub(crate) fn report(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let config = &request.config.influence;
    // Every user of the accounts in scope is a colleague a recipient may
    // be, whatever the user filters.
    let everyone = Scope {
        accounts: request.scope.accounts.clone(),
        all_users: true,
        ..Scope::default()
    };
    let users = store.users_at(request.period, &everyone)?;
    let reach = store.reach(request.period, &everyone)?;
    let accounts = by_account(&users);
    let found = influence(&Directory::of_grouped(&accounts, config), &reach, config);
    let mut per: Vec<(&str, Vec<(&str, Influence)>)> = Vec::new();
    for (account, members) in &accounts {
        let found = found.get(*account);
        let rows = members
            .iter()
            .filter(|u| {
                request
                    .scope
                    .admits(&u.user_id, Some(account), &u.groups, u.licensed)
            })
            .map(|u| {
                let value = found.and_then(|f| f.get(&u.user_id)).cloned();
                (u.user_id.as_str(), value.unwrap_or_default())
            })
            .collect();
        per.push((account, rows));
    }
    let mut table = Table::new(&[
        "user_id",
        "account_id",
        "rank",
        "influence_inside",
        "influence_outside",
        "colleagues_reached",
    ]);
    let top = request.top.map_or(usize::MAX, |n| n as usize);
    for (account, mut rows) in per {
        rows.sort_by(|(ua, a), (ub, b)| {
            b.inside
                .total_cmp(&a.inside)
                .then(b.outside.cmp(&a.outside))
                .then(ua.cmp(ub))
        });
        for (i, (user, v)) in rows.into_iter().take(top).enumerate() {
            table.push(vec![
                user.into(),
                account.into(),
                (i as u64 + 1).into(),
                Cell::Float((v.inside * 10_000.0).round() / 10_000.0),
                v.outside.into(),
                v.colleagues.into(),
            ]);
        }
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, account: &str, email: Option<&str>) -> UserActivity {
        UserActivity {
            role: None,
            user_id: id.into(),
            account_id: Some(account.into()),
            groups: Vec::new(),
            email: email.map(String::from),
            seat_assigned_at: None,
            counts: Default::default(),
            last_active_at: None,
            licensed: true,
        }
    }

    fn reach(
        user: &str,
        event: &str,
        channel: Option<&str>,
        id: Option<&str>,
        email: Option<&str>,
    ) -> Reach {
        Reach {
            account_id: Some("a1".into()),
            user_id: user.into(),
            event: event.into(),
            channel: channel.map(String::from),
            recipient_id: id.map(String::from),
            recipient_email: email.map(String::from),
            count: 1,
        }
    }

    #[test]
    fn recipients_are_colleagues_outsiders_or_neither() {
        let config = InfluenceConfig::default();
        let users = [
            user("u1", "a1", Some("Ann@Acme.example")),
            user("u2", "a1", Some("bob@acme.example")),
            user("u3", "a1", Some("cy@gmail.com")),
            user("v1", "a2", Some("vi@other.example")),
        ];
        let dirs = Directory::of(&users, &config);
        let a1 = &dirs["a1"];
        let share = "Insight Shared";
        let to = |r: Reach| a1.target(&r, &config);
        let colleague = |k: &str| Target::Colleague(k.into());
        assert_eq!(
            to(reach("u1", share, Some("email"), Some("u2"), None)),
            colleague("u2")
        );
        assert_eq!(
            to(reach("u2", share, None, None, Some("ann@acme.example"))),
            colleague("u1")
        );
        // Someone at the account's domain without a user: still a colleague.
        assert_eq!(
            to(reach(
                "u1",
                share,
                Some("email"),
                None,
                Some("dee@acme.example")
            )),
            colleague("dee@acme.example")
        );
        // A colleague on a public domain does not make its users colleagues.
        assert_eq!(
            to(reach("u3", share, None, None, Some("zed@gmail.com"))),
            Target::Outside
        );
        assert_eq!(
            to(reach("u1", share, Some("email"), Some("v1"), None)),
            Target::Outside
        );
        assert_eq!(
            to(reach("u1", share, Some("LinkedIn"), None, None)),
            Target::Outside
        );
        assert_eq!(
            to(reach("u1", share, Some("watchlist"), None, None)),
            Target::Neither
        );
        assert_eq!(
            to(reach("u1", share, Some("email"), Some("u1"), None)),
            Target::Neither
        );
        // A sales message to a prospect is productivity, not influence; to
        // a colleague it reaches inside.
        assert_eq!(
            to(reach("u1", "Message Sent", None, Some("p9"), None)),
            Target::Neither
        );
        assert_eq!(
            to(reach("u1", "Message Sent", None, Some("u2"), None)),
            colleague("u2")
        );
    }

    #[test]
    fn rank_passes_from_the_reached_to_who_reached_them() {
        // Two nodes, 1 reached 0: 0 gets the rank 1 passes, times 2. At the
        // fixed point r1 = 0.075 + 0.425 r0 and r0 + r1 = 1, so r1 = 0.5 /
        // 1.425 and node 0 scores 2 * 0.85 * r1.
        let got = passed_rank(2, &[(1, 0, 1.0)], 0.85);
        assert!((got[0] - 2.0 * 0.85 * 0.5 / 1.425).abs() < 1e-9, "{got:?}");
        assert_eq!(got[1], 0.0);
        // a (0) reached b (1), who reached c (2); d (3) reached e (4), who
        // reached nobody: a's one colleague passes more than d's.
        let got = passed_rank(5, &[(1, 0, 1.0), (2, 1, 1.0), (4, 3, 1.0)], 0.85);
        assert!(got[0] > got[3] && got[3] > 0.0, "{got:?}");
        assert_eq!((got[2], got[4]), (0.0, 0.0));
        assert!(passed_rank(0, &[], 0.85).is_empty());
    }

    #[test]
    fn a_user_ranks_by_the_colleagues_reached_and_counts_what_went_out() {
        let config = InfluenceConfig::default();
        let users = [
            user("u1", "a1", Some("u1@acme.example")),
            user("u2", "a1", Some("u2@acme.example")),
            user("u3", "a1", Some("u3@acme.example")),
            user("u4", "a1", None),
        ];
        let share = "Insight Shared";
        let rows = [
            reach("u1", share, Some("email"), Some("u2"), None),
            reach("u1", share, Some("email"), None, Some("u3@acme.example")),
            reach("u2", share, Some("email"), Some("u3"), None),
            reach("u3", share, Some("twitter"), None, None),
            reach(
                "u3",
                share,
                Some("email"),
                None,
                Some("x@elsewhere.example"),
            ),
        ];
        let found = influence(&Directory::of(&users, &config), &rows, &config);
        let get = |u: &str| found.get("a1").and_then(|users| users.get(u)).cloned();
        let (u1, u2, u3) = (get("u1").unwrap(), get("u2").unwrap(), get("u3").unwrap());
        assert!(u1.inside > u2.inside && u2.inside > 0.0, "{found:?}");
        assert_eq!((u1.colleagues, u2.colleagues, u3.colleagues), (2, 1, 0));
        assert_eq!((u1.outside, u3.outside, u3.inside), (0, 2, 0.0));
        assert_eq!(get("u4"), None);
    }
}
