//! `tenure report` on the generator's `small` preset: the engagement
//! categories agree with the planted archetypes (the stated rate: all
//! licensed users, every month of the window), exactly the licensed users
//! are listed, and the CSV header and JSON shape are the documented ones.

mod common;

use common::{small_store, tenure};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn csv_rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            // The columns compared here hold no commas.
            header
                .iter()
                .zip(l.split(','))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn engagement_agrees_with_the_planted_archetypes() {
    let dir = tempfile::tempdir().unwrap();
    let d = small_store(dir.path());
    let truth = std::fs::read_to_string(dir.path().join("gen/truth.csv")).unwrap();
    let truth = csv_rows(&truth);
    for (month, last_day) in [
        ("2026-05", 31),
        ("2026-06", 30),
        ("2026-07", 31),
        ("2026-08", 31),
        ("2026-09", 30),
        ("2026-10", 31),
    ] {
        let (from, to) = (format!("{month}-01"), format!("{month}-{last_day}"));
        let (ok, out, err) = tenure(&[
            "report",
            "engagement",
            "--data",
            &d,
            "--from",
            &from,
            "--to",
            &to,
            "--format",
            "csv",
        ]);
        assert!(ok, "{err}");
        let got: BTreeMap<String, String> = csv_rows(&out)
            .into_iter()
            .map(|r| (r["user_id"].clone(), r["category"].clone()))
            .collect();
        let planted: BTreeMap<String, String> = truth
            .iter()
            .filter(|r| r["month"] == month && r["licensed"] == "true")
            .map(|r| {
                let category = match r["archetype"].as_str() {
                    "never_activated" => "dormant".to_string(),
                    other => other.to_string(),
                };
                (r["user_id"].clone(), category)
            })
            .collect();
        assert!(planted.len() > 200, "{month}: {}", planted.len());
        assert_eq!(
            got.keys().collect::<BTreeSet<_>>(),
            planted.keys().collect::<BTreeSet<_>>(),
            "{month}: exactly the licensed users"
        );
        let wrong: Vec<_> = planted.iter().filter(|(u, c)| got[*u] != **c).collect();
        assert!(wrong.is_empty(), "{month}: {wrong:?}");
    }
}

#[test]
fn report_shapes_and_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let d = small_store(dir.path());
    let run = |args: &[&str]| {
        let mut all = vec!["report"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--data", &d, "--as-of", "2026-10-31"]);
        tenure(&all)
    };
    let (ok, out, err) = run(&["engagement", "--format", "csv"]);
    assert!(ok, "{err}");
    assert_eq!(
        out.lines().next().unwrap(),
        "user_id,account_id,groups,category,consume,login,research,maintain,share,message,portal,last_active_at,recommended_action"
    );
    let (ok, out, err) = run(&["engagement", "--format", "json", "--group", "sales"]);
    assert!(ok, "{err}");
    let rows: Value = serde_json::from_str(&out).unwrap();
    let first = &rows.as_array().unwrap()[0];
    assert!(
        first["groups"]
            .as_array()
            .unwrap()
            .contains(&Value::from("sales"))
    );
    assert!(
        first["consume"].is_u64() && first["category"].is_string(),
        "{first}"
    );
    let (ok, out, err) = run(&["engagement-summary", "--format", "csv", "--range", "7d"]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().next().unwrap(), "account_id,category,users");
    // Per-account sums equal the users listed.
    let summed: u64 = csv_rows(&out)
        .iter()
        .map(|r| r["users"].parse::<u64>().unwrap())
        .sum();
    let (_, listed, _) = run(&["engagement", "--format", "csv", "--range", "7d"]);
    assert_eq!(summed as usize, listed.lines().count() - 1);
    // A table on request; bad parameters are named.
    let (ok, out, _) = run(&["engagement-summary"]);
    assert!(ok && out.starts_with("account_id  category"), "{out}");
    for (args, param) in [
        (vec!["engagement", "--range", "2w"], "range"),
        (vec!["engagement", "--from", "2026-02-30"], "from"),
        (vec!["nonsense"], "report"),
    ] {
        let (ok, _, err) = run(&args);
        assert!(!ok && err.contains(param), "{args:?}: {err}");
    }
}

/// The API serves the same tables as the CLI, narrows account-admin keys to
/// their account, and names bad parameters.
#[test]
fn the_api_serves_the_same_reports() {
    let dir = tempfile::tempdir().unwrap();
    let d = small_store(dir.path());
    let data = Path::new(&d);
    let admin = common::create_key(data, &["--role", "admin"]);
    let tenant = common::create_key(data, &["--role", "account-admin", "--account", "acct-3"]);
    let write = common::create_key(data, &["--write"]);
    let query = "from=2026-09-01&to=2026-09-30";
    let (ok, cli_csv, err) = tenure(&[
        "report",
        "engagement",
        "--data",
        &d,
        "--from",
        "2026-09-01",
        "--to",
        "2026-09-30",
        "--format",
        "csv",
    ]);
    assert!(ok, "{err}");
    // Each account's top influencer, over HTTP as on the command line.
    let (ok, cli_top, err) = tenure(&[
        "report",
        "influence",
        "--data",
        &d,
        "--as-of",
        "2026-10-31",
        "--range",
        "90d",
        "--top",
        "1",
        "--format",
        "csv",
    ]);
    assert!(ok, "{err}");
    let server = common::Server::start(data);
    let http = common::client();
    let get = |path: &str, key: &str| {
        let r = http.get(server.url(path)).bearer_auth(key).send().unwrap();
        (r.status().as_u16(), r.text().unwrap())
    };
    let (status, api_csv) = get(
        &format!("/api/v1/reports/engagement?{query}&format=csv"),
        &admin,
    );
    assert_eq!(status, 200);
    assert_eq!(api_csv, cli_csv);
    let (status, api_top) = get(
        "/api/v1/reports/influence?as_of=2026-10-31&range=90d&top=1&format=csv",
        &admin,
    );
    assert_eq!(status, 200);
    assert_eq!(api_top, cli_top);
    let tops = csv_rows(&cli_top);
    let accounts: BTreeSet<&str> = tops.iter().map(|r| r["account_id"].as_str()).collect();
    assert_eq!(accounts.len(), tops.len());
    assert!(tops.iter().all(|r| r["rank"] == "1"));
    assert!(
        tops.iter()
            .any(|r| r["influence_inside"].parse::<f64>().unwrap() > 0.0),
        "{cli_top}"
    );
    let (status, body) = get(
        &format!("/api/v1/reports/engagement-summary?{query}"),
        &tenant,
    );
    assert_eq!(status, 200);
    let rows: Value = serde_json::from_str(&body).unwrap();
    let accounts: BTreeSet<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["account_id"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, BTreeSet::from(["acct-3"]), "{body}");
    assert_eq!(get("/api/v1/reports/engagement", &write).0, 403);
    // A tenant reads its account's usage reports only: not the vendor's
    // view of it (health, scores, alerts...) nor the models of every account.
    for name in [
        "models",
        "backtest",
        "scores",
        "health",
        "alerts",
        "account-flags",
        "accounts",
    ] {
        let (status, body) = get(&format!("/api/v1/reports/{name}?as_of=2026-10-31"), &tenant);
        assert_eq!(status, 403, "{name}: {body}");
        assert!(body.contains("usage reports only"), "{body}");
    }
    let (status, body) = get("/api/v1/reports/scores?as_of=2026-10-31", &admin);
    assert_eq!(status, 200, "{body}");
    for (path, param) in [
        ("/api/v1/reports/engagement?range=2w", "range"),
        ("/api/v1/reports/engagement?colour=red", "colour"),
        ("/api/v1/reports/nonsense", "report"),
        ("/api/v1/reports/engagement?format=xml", "format"),
        ("/api/v1/reports/influence?top=many", "top"),
    ] {
        let (status, body) = get(path, &admin);
        assert_eq!(status, 400, "{path}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"]["code"], "invalid_parameter");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(param),
            "{body}"
        );
    }
    assert!(server.stop().success());
}

/// `engagement-flow` and `champions` agree with `engagement` for the same
/// period.
#[test]
fn flow_and_champions_agree_with_engagement() {
    let dir = tempfile::tempdir().unwrap();
    let d = small_store(dir.path());
    let run = |name: &str| {
        let (ok, out, err) = tenure(&[
            "report",
            name,
            "--data",
            &d,
            "--from",
            "2026-09-01",
            "--to",
            "2026-09-30",
            "--format",
            "csv",
        ]);
        assert!(ok, "{err}");
        csv_rows(&out)
    };
    let users = run("engagement");
    let mut per_category: BTreeMap<String, u64> = BTreeMap::new();
    for u in &users {
        *per_category.entry(u["category"].clone()).or_default() += 1;
    }
    let flow = run("engagement-flow");
    assert_eq!(flow.len(), 16, "every pair of categories");
    let mut arrivals: BTreeMap<String, u64> = BTreeMap::new();
    for f in &flow {
        *arrivals.entry(f["to"].clone()).or_default() += f["users"].parse::<u64>().unwrap();
    }
    arrivals.retain(|_, n| *n > 0);
    assert_eq!(arrivals, per_category);
    let champions = run("champions");
    let engaging: BTreeSet<&str> = users
        .iter()
        .filter(|u| u["category"] == "engaging")
        .map(|u| u["user_id"].as_str())
        .collect();
    assert_eq!(
        champions
            .iter()
            .map(|c| c["user_id"].as_str())
            .collect::<BTreeSet<_>>(),
        engaging
    );
    let social: Vec<u64> = champions
        .iter()
        .map(|c| c["social_actions"].parse().unwrap())
        .collect();
    assert!(social.windows(2).all(|w| w[0] >= w[1]), "{social:?}");
    assert!(social.iter().all(|&s| s >= 2));
}

/// Every report's CSV header (a snapshot of the documented columns) and
/// JSON shape; filters only ever remove rows; per-account results add up
/// to the all-accounts ones.
#[test]
fn every_report_has_its_columns_and_filters_only_remove_rows() {
    let dir = tempfile::tempdir().unwrap();
    let d = small_store(dir.path());
    let run = |name: &str, extra: &[&str], format: &str| {
        let mut args = vec![
            "report",
            name,
            "--data",
            &d,
            "--as-of",
            "2026-10-31",
            "--format",
            format,
        ];
        args.extend_from_slice(extra);
        let (ok, out, err) = tenure(&args);
        assert!(ok, "{name} {extra:?}: {err}");
        out
    };
    let headers = [
        (
            "engagement",
            "user_id,account_id,groups,category,consume,login,research,maintain,share,message,portal,last_active_at,recommended_action",
        ),
        ("engagement-summary", "account_id,category,users"),
        ("engagement-flow", "from,to,users"),
        (
            "champions",
            "user_id,account_id,groups,social_actions,research,maintain",
        ),
        (
            "seats",
            "account_id,purchased,assigned,activated,activation_rate,utilisation,pending_over_7_days",
        ),
        ("seats-pending", "user_id,account_id,email,seat_assigned_at"),
        (
            "levels",
            "account_id,beginner,intermediate,professional,advanced,expert",
        ),
        ("user-levels", "user_id,account_id,achievements,level"),
        (
            "productivity",
            "user_id,account_id,messages_sent,messages_accepted,acceptance_rate,unique_connections,shares",
        ),
        (
            "active-rate",
            "period,activated_accounts,active_accounts,rate",
        ),
        (
            "monthly-activity",
            "account_id,name,archived,has_portal_access,portal_views,downloads,shares,active,month",
        ),
        ("activity-pivot", "account_id,month,active,change_pct"),
        ("account-flags", "account_id,month,active,change_pct,flag"),
        (
            "features",
            "event,kind,events,users,accounts,account_share,change_pct",
        ),
        ("errors", "feature,errors,users,accounts,change_pct"),
        (
            "alive",
            "user_id,account_id,active_days,recency_days,age_days,p_alive,expected_30d,expected_90d",
        ),
        (
            "health",
            "account_id,score,band,active_users,depth,breadth,trend,seat_activation,sentiment,explanation,profile",
        ),
        ("sentiment", "account_id,month,responses,sentiment,nps"),
        (
            "influence",
            "user_id,account_id,rank,influence_inside,influence_outside,colleagues_reached",
        ),
        ("scores", "account_id,user_id,model,score,method,reasons"),
        (
            "models",
            "model,method,trained_at,train_rows,test_rows,auc,brier,params",
        ),
    ];
    for (name, header) in headers {
        let csv = run(name, &[], "csv");
        assert!(
            csv.lines().count() > 1,
            "{name}: some rows on the small preset"
        );
        assert_eq!(csv.lines().next(), Some(header), "{name}");
        let json: Value = serde_json::from_str(&run(name, &[], "json")).unwrap();
        let rows = json
            .as_array()
            .unwrap_or_else(|| panic!("{name}: an array"));
        assert_eq!(rows.len(), csv.lines().count() - 1, "{name}");
        if let Some(first) = rows.first() {
            let keys: Vec<&str> = first
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let mut want: Vec<&str> = header.split(',').collect();
            want.sort_unstable();
            let mut keys = keys;
            keys.sort_unstable();
            assert_eq!(keys, want, "{name}");
        }
    }
    // One category per licensed user.
    let all = csv_rows(&run("engagement", &[], "csv"));
    let ids: BTreeSet<&str> = all.iter().map(|r| r["user_id"].as_str()).collect();
    assert_eq!(ids.len(), all.len());
    // Filters only remove rows, leaving the others as they were.
    let account = all[0]["account_id"].clone();
    let user = all[1]["user_id"].clone();
    for filter in [
        vec!["--account", account.as_str()],
        vec!["--group", "sales"],
        vec!["--group", "sales", "--group", "emea"],
        vec!["--user", user.as_str()],
        vec!["--account", account.as_str(), "--group", "na"],
    ] {
        let some = csv_rows(&run("engagement", &filter, "csv"));
        assert!(!some.is_empty() || filter.contains(&"na"), "{filter:?}");
        for row in &some {
            assert!(all.contains(row), "{filter:?}: {row:?}");
        }
        assert!(some.len() <= all.len());
    }
    // Per-account summaries add up to the totals of the whole report.
    let mut by_account: BTreeMap<String, u64> = BTreeMap::new();
    for r in csv_rows(&run("engagement-summary", &[], "csv")) {
        *by_account.entry(r["account_id"].clone()).or_default() +=
            r["users"].parse::<u64>().unwrap();
    }
    assert_eq!(by_account.values().sum::<u64>() as usize, all.len());
    for (account, n) in by_account.iter().take(3) {
        let one = csv_rows(&run("engagement", &["--account", account], "csv"));
        assert_eq!(one.len() as u64, *n, "{account}");
    }
}

/// `overview`: one JSON document whose parts agree with the reports they
/// summarise.
#[test]
fn overview_summarises_the_other_reports() {
    let dir = tempfile::tempdir().unwrap();
    let d = small_store(dir.path());
    let run = |name: &str, format: &str| {
        tenure(&[
            "report",
            name,
            "--data",
            &d,
            "--as-of",
            "2026-10-31",
            "--format",
            format,
        ])
    };
    let (ok, out, err) = run("overview", "json");
    assert!(ok, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let (_, users, _) = run("engagement", "csv");
    let licensed = users.lines().count() as u64 - 1;
    assert_eq!(doc["seats"]["assigned"], licensed);
    let sum = |v: &Value| -> u64 {
        v.as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum()
    };
    assert_eq!(sum(&doc["categories"]), licensed);
    assert_eq!(sum(&doc["levels"]), licensed);
    assert!(doc["seats"]["activated"].as_u64().unwrap() <= licensed);
    let rate = doc["active_rate"]["rate"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&rate), "{doc}");
    let (ok, _, err) = run("overview", "csv");
    assert!(!ok && err.contains("format"), "{err}");
}

/// `productivity` on the small preset: every user sends, some messages are
/// accepted, and the group and account rows add the user rows up (distinct
/// connections: at most the sum).
#[test]
fn productivity_rows_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let d = small_store(dir.path());
    let run = |by: &str| {
        let (ok, out, err) = tenure(&[
            "report",
            "productivity",
            "--data",
            &d,
            "--as-of",
            "2026-10-31",
            "--range",
            "90d",
            "--by",
            by,
            "--format",
            "csv",
        ]);
        assert!(ok, "{err}");
        csv_rows(&out)
    };
    let n = |row: &BTreeMap<String, String>, column: &str| -> u64 { row[column].parse().unwrap() };
    let users = run("user");
    let accounts = run("account");
    let sent: u64 = users.iter().map(|r| n(r, "messages_sent")).sum();
    let accepted: u64 = users.iter().map(|r| n(r, "messages_accepted")).sum();
    assert!(
        sent > 100 && accepted > 0 && accepted < sent,
        "{sent} {accepted}"
    );
    for column in ["messages_sent", "messages_accepted", "shares"] {
        let total: u64 = accounts.iter().map(|r| n(r, column)).sum();
        assert_eq!(
            total,
            users.iter().map(|r| n(r, column)).sum::<u64>(),
            "{column}"
        );
    }
    assert_eq!(
        accounts.iter().map(|r| n(r, "users")).sum::<u64>() as usize,
        users.len()
    );
    for a in &accounts {
        let mine: Vec<_> = users
            .iter()
            .filter(|u| u["account_id"] == a["account_id"])
            .collect();
        let most: u64 = mine.iter().map(|u| n(u, "unique_connections")).sum();
        let least = mine
            .iter()
            .map(|u| n(u, "unique_connections"))
            .max()
            .unwrap_or(0);
        let c = n(a, "unique_connections");
        assert!(least <= c && c <= most, "{a:?}");
    }
    // Group rows: a user in several groups counts in each.
    for g in run("group") {
        assert!(
            n(&g, "messages_accepted") <= n(&g, "messages_sent"),
            "{g:?}"
        );
    }
}

/// The generator's churning accounts (activity declining to 15% over 8-12
/// weeks, then archived) are flagged `churn_risk` by `account-flags` in a
/// month between the decline's start and the churn.
#[test]
fn churning_accounts_are_flagged_before_they_churn() {
    let dir = tempfile::tempdir().unwrap();
    let d = small_store(dir.path());
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("gen/truth.json")).unwrap())
            .unwrap();
    let mut flagged: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for month in ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"] {
        let (ok, out, err) = tenure(&[
            "report",
            "account-flags",
            "--data",
            &d,
            "--month",
            month,
            "--all",
            "--format",
            "csv",
        ]);
        assert!(ok, "{err}");
        for row in csv_rows(&out) {
            if row["flag"] == "churn_risk" {
                flagged
                    .entry(row["account_id"].clone())
                    .or_default()
                    .insert(month.to_string());
            }
        }
    }
    let churned: Vec<&Value> = truth["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["fate"] == "churned")
        .collect();
    assert!(churned.len() >= 3, "{}", churned.len());
    for a in churned {
        let id = a["account_id"].as_str().unwrap();
        let from = &a["decline_started_at"].as_str().unwrap()[..7];
        let to = &a["churned_at"].as_str().unwrap()[..7];
        let months = flagged.get(id).cloned().unwrap_or_default();
        assert!(
            months
                .iter()
                .any(|m| m.as_str() >= from && m.as_str() <= to),
            "{id}: declined from {from}, churned {to}, flagged in {months:?}"
        );
    }
}

/// `alive`: BG/NBD on active days. Users engaging in the last month are
/// far more likely alive than users dormant for the last three months who
/// were active before; every row is a sane prediction.
#[test]
fn alive_ranks_active_users_above_lapsed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = small_store(dir.path());
    let (ok, out, err) = tenure(&[
        "report",
        "alive",
        "--data",
        &d,
        "--as-of",
        "2026-10-31",
        "--all-users",
        "--format",
        "csv",
    ]);
    assert!(ok, "{err}");
    let rows = csv_rows(&out);
    let f = |r: &BTreeMap<String, String>, k: &str| r[k].parse::<f64>().unwrap();
    for r in &rows {
        assert!((0.0..=1.0).contains(&f(r, "p_alive")), "{r:?}");
        assert!(f(r, "expected_30d") <= f(r, "expected_90d"), "{r:?}");
        assert!(f(r, "active_days") >= 1.0 && f(r, "recency_days") <= f(r, "age_days"));
    }
    let truth = csv_rows(&std::fs::read_to_string(dir.path().join("gen/truth.csv")).unwrap());
    let in_month = |month: &str, archetype: &str| -> BTreeSet<String> {
        truth
            .iter()
            .filter(|r| r["month"] == month && r["archetype"] == archetype)
            .map(|r| r["user_id"].clone())
            .collect()
    };
    let engaging = in_month("2026-10", "engaging");
    let dormant: BTreeSet<String> = ["2026-08", "2026-09", "2026-10"]
        .iter()
        .map(|m| in_month(m, "dormant"))
        .reduce(|a, b| a.intersection(&b).cloned().collect())
        .unwrap();
    let mean = |users: &BTreeSet<String>| {
        let p: Vec<f64> = rows
            .iter()
            .filter(|r| users.contains(&r["user_id"]))
            .map(|r| f(r, "p_alive"))
            .collect();
        (p.iter().sum::<f64>() / p.len().max(1) as f64, p.len())
    };
    let ((alive, n_alive), (lapsed, n_lapsed)) = (mean(&engaging), mean(&dormant));
    eprintln!("engaging: {alive:.3} over {n_alive}; lapsed: {lapsed:.3} over {n_lapsed}");
    assert!(n_alive > 50 && n_lapsed >= 5, "{n_alive} {n_lapsed}");
    assert!(alive > 0.9, "{alive}");
    assert!(lapsed < alive - 0.3, "{lapsed} vs {alive}");
}

/// Without repeat activity the model cannot be fitted: the report says so.
#[test]
fn alive_says_when_the_model_cannot_be_fitted() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("one.jsonl");
    std::fs::write(
        &events,
        r#"{"type":"track","messageId":"m1","userId":"u1","event":"Signed In","timestamp":"2026-10-01T00:00:00Z"}"#,
    )
    .unwrap();
    let d = dir.path().join("data");
    let d = d.to_str().unwrap();
    let (ok, _, err) = tenure(&["import", "events", "--data", d, events.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, _, err) = tenure(&["report", "alive", "--data", d, "--as-of", "2026-10-31"]);
    assert!(!ok);
    assert!(
        err.contains("cannot fit bgnbd: no repeat transactions"),
        "{err}"
    );
}

/// `health`: each planted churning account scores below the median of the
/// accounts that stay, and out of the green band, 20 days before it churns.
#[test]
fn churning_accounts_score_low_before_they_churn() {
    let dir = tempfile::tempdir().unwrap();
    let d = small_store(dir.path());
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("gen/truth.json")).unwrap())
            .unwrap();
    let accounts = truth["accounts"].as_array().unwrap();
    let churned: BTreeSet<&str> = accounts
        .iter()
        .filter(|a| a["fate"] == "churned")
        .map(|a| a["account_id"].as_str().unwrap())
        .collect();
    assert!(churned.len() >= 3);
    for a in accounts.iter().filter(|a| a["fate"] == "churned") {
        let id = a["account_id"].as_str().unwrap();
        let churned_at: chrono::DateTime<chrono::Utc> =
            a["churned_at"].as_str().unwrap().parse().unwrap();
        let day = (churned_at - chrono::Duration::days(20))
            .date_naive()
            .to_string();
        let (ok, out, err) = tenure(&[
            "report", "health", "--data", &d, "--as-of", &day, "--format", "json",
        ]);
        assert!(ok, "{err}");
        let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
        let mut others: Vec<u64> = rows
            .iter()
            .filter(|r| !churned.contains(r["account_id"].as_str().unwrap()))
            .map(|r| r["score"].as_u64().unwrap())
            .collect();
        others.sort_unstable();
        let median = others[others.len() / 2];
        let row = rows.iter().find(|r| r["account_id"] == id).unwrap();
        let score = row["score"].as_u64().unwrap();
        assert!(
            score < median,
            "{id} on {day}: {score} against a median of {median}"
        );
        assert_ne!(row["band"], "green", "{id} on {day}: {row}");
        let explanation = row["explanation"].as_str().unwrap();
        assert!(
            explanation.starts_with(&format!("score {score} (")),
            "{row}"
        );
    }
}

/// `tenure health` keeps each day's scores; `health-history` reads them and
/// they are the scores `health` gives as of that day. The server scores
/// the finished days it has not scored yet (`health.backfill_days` back).
#[test]
fn health_history_keeps_each_days_scores() {
    let dir = tempfile::tempdir().unwrap();
    let d = small_store(dir.path());
    let health_aug31 = || {
        let (ok, out, err) = tenure(&[
            "report",
            "health",
            "--data",
            &d,
            "--as-of",
            "2026-08-31",
            "--format",
            "csv",
        ]);
        assert!(ok, "{err}");
        out
    };
    let computed = health_aug31();
    let (ok, out, err) = tenure(&[
        "health",
        "--data",
        &d,
        "--from",
        "2026-08-01",
        "--to",
        "2026-08-03",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("for 3 days"), "{out}");
    let json = |args: &[&str]| -> Vec<Value> {
        let mut all = vec!["report"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--data", &d, "--format", "json"]);
        let (ok, out, err) = tenure(&all);
        assert!(ok, "{err}");
        serde_json::from_str(&out).unwrap()
    };
    let history = json(&[
        "health-history",
        "--from",
        "2026-08-01",
        "--to",
        "2026-08-03",
    ]);
    let scored = json(&["health", "--as-of", "2026-08-02"]);
    assert!(scored.len() > 10);
    assert_eq!(history.len(), 3 * scored.len());
    for row in &scored {
        let kept = history
            .iter()
            .find(|h| h["account_id"] == row["account_id"] && h["date"] == "2026-08-02")
            .unwrap_or_else(|| panic!("{row}"));
        assert_eq!(kept["score"], row["score"], "{row}");
        assert_eq!(kept["band"], row["band"], "{row}");
    }
    // The explanation's day 30 days back now comes from the history: the
    // same report.
    assert_eq!(health_aug31(), computed);
    // Scoring a day again replaces it.
    let (ok, _, err) = tenure(&[
        "health",
        "--data",
        &d,
        "--from",
        "2026-08-02",
        "--to",
        "2026-08-02",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        json(&[
            "health-history",
            "--from",
            "2026-08-01",
            "--to",
            "2026-08-03"
        ])
        .len(),
        history.len()
    );
    let (ok, _, err) = tenure(&[
        "health",
        "--data",
        &d,
        "--from",
        "2026-08-03",
        "--to",
        "2026-08-01",
    ]);
    assert!(!ok && err.contains("from"), "{err}");

    // The server catches up on the two finished days before today.
    let config = dir.path().join("tenure.toml");
    std::fs::write(&config, "[health]\nbackfill_days = 2\n").unwrap();
    let admin = common::create_key(Path::new(&d), &["--role", "admin"]);
    let server = common::Server::start_with(Path::new(&d), &["--config", config.to_str().unwrap()]);
    let today = chrono::Utc::now().date_naive();
    let (from, to) = (today - chrono::Days::new(2), today - chrono::Days::new(1));
    let http = common::client();
    let url = server.url(&format!(
        "/api/v1/reports/health-history?from={from}&to={to}"
    ));
    let mut rows = Vec::new();
    for _ in 0..600 {
        let body = http
            .get(&url)
            .bearer_auth(&admin)
            .send()
            .unwrap()
            .text()
            .unwrap();
        rows = serde_json::from_str::<Vec<Value>>(&body).unwrap();
        let days: BTreeSet<&str> = rows.iter().map(|r| r["date"].as_str().unwrap()).collect();
        if days.len() == 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let days: BTreeSet<&str> = rows.iter().map(|r| r["date"].as_str().unwrap()).collect();
    assert_eq!(
        days,
        BTreeSet::from([from.to_string().as_str(), to.to_string().as_str()])
    );
    assert!(server.stop().success());
}

/// Alerts: evaluated day by day, one live alert per cause, listed with a
/// reason; closed and snoozed by the CLI and the API.
#[test]
fn alerts_are_evaluated_listed_closed_and_snoozed() {
    let dir = tempfile::tempdir().unwrap();
    let d = small_store(dir.path());
    let (ok, out, err) = tenure(&[
        "alerts",
        "evaluate",
        "--data",
        &d,
        "--from",
        "2026-08-01",
        "--to",
        "2026-08-10",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("over 10 days"), "{out}");
    let list = || -> Vec<Value> {
        let (ok, out, err) = tenure(&[
            "report",
            "alerts",
            "--data",
            &d,
            "--from",
            "2026-08-01",
            "--to",
            "2026-08-31",
            "--format",
            "json",
        ]);
        assert!(ok, "{err}");
        serde_json::from_str(&out).unwrap()
    };
    let alerts = list();
    assert!(alerts.len() >= 3, "{alerts:?}");
    let mut live = BTreeSet::new();
    for a in &alerts {
        let kind = a["kind"].as_str().unwrap();
        assert!(
            [
                "feature_drop",
                "error_spike",
                "health_band_fall",
                "champion_lost",
                "seats_pending"
            ]
            .contains(&kind),
            "{a}"
        );
        assert!(!a["reason"].as_str().unwrap().is_empty(), "{a}");
        if a["status"] != "resolved" {
            let key = (
                a["account_id"].to_string(),
                a["kind"].to_string(),
                a["feature"].to_string(),
                a["user_id"].to_string(),
            );
            assert!(live.insert(key), "two live alerts for one cause: {a}");
        }
    }
    let open: Vec<&str> = alerts
        .iter()
        .filter(|a| a["status"] == "open")
        .map(|a| a["alert_id"].as_str().unwrap())
        .collect();
    assert!(open.len() >= 2, "{alerts:?}");
    let (ok, out, err) = tenure(&["alerts", "close", "--data", &d, open[0]]);
    assert!(ok, "{err}");
    assert!(out.contains("closed"), "{out}");
    let (ok, _, err) = tenure(&[
        "alerts",
        "snooze",
        "--data",
        &d,
        open[1],
        "--until",
        "2026-09-30",
    ]);
    assert!(ok, "{err}");
    let status = |id: &str| -> String {
        let a = list().into_iter().find(|a| a["alert_id"] == id).unwrap();
        a["status"].as_str().unwrap().to_string()
    };
    // A closed alert stays closed while its cause holds (or resolves).
    let (ok, _, err) = tenure(&[
        "alerts",
        "evaluate",
        "--data",
        &d,
        "--from",
        "2026-08-11",
        "--to",
        "2026-08-11",
    ]);
    assert!(ok, "{err}");
    assert!(["closed", "resolved"].contains(&status(open[0]).as_str()));
    assert!(["snoozed", "resolved"].contains(&status(open[1]).as_str()));
    let (ok, _, err) = tenure(&["alerts", "close", "--data", &d, "al-nonesuch"]);
    assert!(!ok && err.contains("no such alert"), "{err}");

    // Over HTTP: an admin closes, a viewer may not, bad requests say why.
    let admin = common::create_key(Path::new(&d), &["--role", "admin"]);
    let viewer = common::create_key(Path::new(&d), &["--role", "viewer"]);
    let config = dir.path().join("tenure.toml");
    std::fs::write(&config, "[health]\nbackfill_days = 0\n").unwrap();
    let server = common::Server::start_with(Path::new(&d), &["--config", config.to_str().unwrap()]);
    let http = common::client();
    let post = |path: &str, key: &str| {
        let r = http.post(server.url(path)).bearer_auth(key).send().unwrap();
        (r.status().as_u16(), r.text().unwrap())
    };
    let target = list_open_over_http(&http, &server, &admin);
    let (status, body) = post(&format!("/api/v1/alerts/{target}/close"), &viewer);
    assert_eq!(status, 403, "{body}");
    let (status, body) = post(&format!("/api/v1/alerts/{target}/snooze"), &admin);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("until"), "{body}");
    let (status, body) = post(
        &format!("/api/v1/alerts/{target}/snooze?until=2026-12-01"),
        &admin,
    );
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (answer["status"].as_str(), answer["snoozed_until"].as_str()),
        (Some("snoozed"), Some("2026-12-01"))
    );
    let (status, _) = post("/api/v1/alerts/al-nonesuch/close", &admin);
    assert_eq!(status, 404);
    assert!(server.stop().success());
}

/// The id of an open alert, read over HTTP.
fn list_open_over_http(
    http: &reqwest::blocking::Client,
    server: &common::Server,
    key: &str,
) -> String {
    let url = server.url("/api/v1/reports/alerts?from=2026-08-01&to=2026-08-31");
    let rows: Vec<Value> = serde_json::from_str(
        &http
            .get(url)
            .bearer_auth(key)
            .send()
            .unwrap()
            .text()
            .unwrap(),
    )
    .unwrap();
    rows.iter()
        .find(|a| a["status"] == "open")
        .map(|a| a["alert_id"].as_str().unwrap().to_string())
        .expect("an open alert")
}

/// On the small preset (too few outcomes to train on) every score is its
/// heuristic and says why; `tenure backtest` gives a row per month for the
/// health score and each model.
#[test]
fn scores_say_when_they_are_heuristics_and_the_backtest_covers_each_month() {
    let dir = tempfile::tempdir().unwrap();
    let d = small_store(dir.path());
    let (ok, out, err) = tenure(&[
        "report",
        "scores",
        "--data",
        &d,
        "--as-of",
        "2026-10-31",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let rows: Vec<BTreeMap<String, String>> = serde_json::from_str::<Vec<Value>>(&out)
        .unwrap()
        .into_iter()
        .map(|r| {
            let o = r.as_object().unwrap();
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().map_or(v.to_string(), String::from)))
                .map(|(k, v)| (k, if v == "null" { String::new() } else { v }))
                .collect()
        })
        .collect();
    let models: BTreeSet<&str> = rows.iter().map(|r| r["model"].as_str()).collect();
    assert!(
        models.contains("churn") && models.contains("advocacy"),
        "{models:?}"
    );
    for r in &rows {
        let p: f64 = r["score"].parse().unwrap();
        assert!((0.0..=1.0).contains(&p), "{r:?}");
        if r["method"] == "heuristic" {
            assert!(r["reasons"].starts_with("heuristic ("), "{r:?}");
        }
        // Account models leave user_id empty; user models fill it.
        let user_model = r["model"] == "trial_success" || r["model"] == "advocacy";
        assert_eq!(r["user_id"].is_empty(), !user_model, "{r:?}");
    }
    let churn: Vec<_> = rows.iter().filter(|r| r["model"] == "churn").collect();
    assert!(churn.iter().all(|r| r["method"] == "heuristic"));
    assert!(
        churn[0]["reasons"].contains("positive labels in training"),
        "{:?}",
        churn[0]
    );
    let (ok, out, err) = tenure(&[
        "backtest",
        "--data",
        &d,
        "--as-of",
        "2026-10-31",
        "--from",
        "2026-06-01",
        "--format",
        "csv",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        out.lines().next(),
        Some(
            "model,month,auc,lift_top_decile,churn_rate_red,churn_rate_yellow,churn_rate_green,rows,positives"
        )
    );
    let rows = csv_rows(&out);
    // Month ends from June to 90 days before the as-of day: June, July.
    let months: BTreeSet<&str> = rows.iter().map(|r| r["month"].as_str()).collect();
    assert_eq!(months, BTreeSet::from(["2026-06", "2026-07"]));
    let names: BTreeSet<&str> = rows.iter().map(|r| r["model"].as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "health",
            "churn",
            "expansion",
            "trial_conversion",
            "trial_success",
            "advocacy"
        ])
    );
    let (ok, _, err) = tenure(&[
        "backtest",
        "--data",
        &d,
        "--as-of",
        "2026-01-01",
        "--from",
        "2026-06-01",
    ]);
    assert!(!ok && err.contains("from"), "{err}");
}

/// The user alerts read only the champions' rows and the pending seats;
/// on one day of the small preset they fire exactly where a full pass
/// over every user (as they once were computed) says they should.
#[test]
fn user_alerts_agree_with_a_full_pass_over_every_user() {
    use tenure_core::report::{Category, Period};
    use tenure_store::{Scope, Store};

    let dir = tempfile::tempdir().unwrap();
    let d = small_store(dir.path());
    let day: chrono::NaiveDate = "2026-09-30".parse().unwrap();
    let (ok, _, err) = tenure(&[
        "alerts",
        "evaluate",
        "--data",
        &d,
        "--from",
        "2026-09-30",
        "--to",
        "2026-09-30",
        "--kind",
        "champion_lost",
        "--kind",
        "seats_pending",
    ]);
    assert!(ok, "{err}");
    let (ok, out, err) = tenure(&[
        "report",
        "alerts",
        "--data",
        &d,
        "--from",
        "2026-09-30",
        "--to",
        "2026-09-30",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let alerts: Vec<Value> = serde_json::from_str(&out).unwrap();
    let fired = |kind: &str| -> BTreeSet<(String, String)> {
        alerts
            .iter()
            .filter(|a| a["kind"] == kind)
            .map(|a| {
                (
                    a["account_id"].as_str().unwrap().to_string(),
                    a["user_id"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };

    // The full pass: every user's 30 days now and the 30 before.
    let store = common::open(Path::new(&d));
    let config = tenure_core::config::Config::from_toml("", Default::default()).unwrap();
    let rules = &config.reports;
    let live: BTreeSet<String> = store
        .accounts_at(day, &Scope::default())
        .unwrap()
        .into_iter()
        .filter(|a| !a.archived)
        .map(|a| a.account_id)
        .collect();
    let now = Period::ending(day, 30);
    let everyone = Scope {
        all_users: true,
        ..Scope::default()
    };
    let current: BTreeMap<String, tenure_store::UserActivity> = store
        .user_activity(now, &everyone)
        .unwrap()
        .into_iter()
        .map(|u| (u.user_id.clone(), u))
        .collect();
    let mut lost = BTreeSet::new();
    for u in store
        .user_activity(now.previous(), &Scope::default())
        .unwrap()
    {
        let Some(account) = u.account_id.clone().filter(|a| live.contains(a)) else {
            continue;
        };
        if rules.category(&u.counts) != Category::Engaging {
            continue;
        }
        let gone = match current.get(&u.user_id) {
            Some(c) if c.licensed && c.account_id.as_deref() == Some(account.as_str()) => {
                rules.category(&c.counts) == Category::Dormant
            }
            _ => true,
        };
        if gone {
            lost.insert((account, u.user_id));
        }
    }
    let end = now.end().and_utc();
    let pending: BTreeSet<(String, String)> = current
        .values()
        .filter(|u| {
            u.licensed
                && u.last_active_at.is_none()
                && u.seat_assigned_at.is_some_and(|at| {
                    end - at >= chrono::Duration::days(i64::from(rules.pending_days))
                })
        })
        .filter_map(|u| u.account_id.clone().filter(|a| live.contains(a)))
        .map(|a| (a, String::new()))
        .collect();
    assert!(
        !lost.is_empty() && !pending.is_empty(),
        "{lost:?} {pending:?}"
    );
    assert_eq!(fired("champion_lost"), lost);
    assert_eq!(fired("seats_pending"), pending);
}

/// Training keeps the BG/NBD fit beside the models; `alive` scores with it
/// while it is fresh (`models.retrain_days`, 7) and fits anew after.
#[test]
fn alive_scores_with_the_kept_fit_while_it_is_fresh() {
    let dir = tempfile::tempdir().unwrap();
    let d = small_store(dir.path());
    let report = |name: &str, as_of: &str| -> String {
        let (ok, out, err) = tenure(&[
            "report",
            name,
            "--data",
            &d,
            "--as-of",
            as_of,
            "--all-users",
            "--format",
            "csv",
        ]);
        assert!(ok, "{err}");
        out
    };
    let train = |as_of: &str| -> Vec<Value> {
        let (ok, out, err) = tenure(&[
            "models", "train", "--data", &d, "--as-of", as_of, "--format", "json",
        ]);
        assert!(ok, "{err}");
        serde_json::from_str(&out).unwrap()
    };
    let (fresh_fit, later_fit) = (report("alive", "2026-10-31"), report("alive", "2026-11-02"));

    let trained = train("2026-10-25");
    let bgnbd = trained.iter().find(|m| m["model"] == "bgnbd").unwrap();
    assert_eq!(bgnbd["trained_at"], "2026-10-25");
    let params: Value = serde_json::from_str(bgnbd["params"].as_str().unwrap()).unwrap();
    assert!(params["r"].as_f64().unwrap() > 0.0, "{params}");
    let models = csv_rows(&report("models", "2026-10-31"));
    let kept = models.iter().find(|m| m["model"] == "bgnbd").unwrap();
    assert_eq!(kept["trained_at"], "2026-10-25");
    // Six days later the kept fit scores; nine days later it is stale.
    assert_ne!(report("alive", "2026-10-31"), fresh_fit);
    assert_eq!(report("alive", "2026-11-02"), later_fit);
    // Kept as of the day itself: the same fit as one made on the spot.
    train("2026-10-31");
    assert_eq!(report("alive", "2026-10-31"), fresh_fit);
}
