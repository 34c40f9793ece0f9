//! `backtest`: as of each month end in the period whose horizon has
//! passed, the health score and every model (trained only on the months
//! whose labels were known by then) score the accounts and users, and are
//! compared with what happened in the horizon after: AUC, lift of the top
//! tenth, and the outcome rate per band. How a team checks its weights
//! and models on its own history.

use super::features::{History, Snapshot};
use super::train::{self, Labels, Trained};
use super::{Unit, scores_account};
use crate::{Cell, ReportError, Request, Table};
use chrono::{Datelike, NaiveDate};
use tenure_core::models::{MODELS, ModelKind};
use tenure_models::metrics;
use tenure_store::Store;

pub(crate) const COLUMNS: &[&str] = &[
    "model",
    "month",
    "auc",
    "lift_top_decile",
    "churn_rate_red",
    "churn_rate_yellow",
    "churn_rate_green",
    "rows",
    "positives",
];

/// The month ends from `from` to `to` less the horizon.
fn months(from: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut first = NaiveDate::from_ymd_opt(from.year(), from.month(), 1).unwrap_or(from);
    loop {
        let next = first
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(NaiveDate::MAX);
        let end = next.pred_opt().unwrap_or(next);
        if end > last {
            return out;
        }
        out.push(end);
        first = next;
    }
}

/// A band per row: the health score's for `health`, else the same shares
/// of rows by risk (red the riskiest), so that rates compare.
fn bands(risk: &[f64], shares: [f64; 2]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..risk.len()).collect();
    order.sort_by(|&a, &b| risk[b].total_cmp(&risk[a]).then(a.cmp(&b)));
    let n = risk.len() as f64;
    let red = (shares[0] * n).round() as usize;
    let yellow = red + (shares[1] * n).round() as usize;
    let mut out = vec![2; risk.len()];
    for (rank, &i) in order.iter().enumerate() {
        out[i] = if rank < red {
            0
        } else if rank < yellow {
            1
        } else {
            2
        };
    }
    out
}

/// One row: AUC and lift of `risk` for the outcome, and the outcome rate
/// per band.
fn row(model: &str, month: NaiveDate, risk: &[f64], labels: &[bool], band: &[usize]) -> Vec<Cell> {
    let round = |v: Option<f64>| {
        v.map_or(Cell::Empty, |v| {
            Cell::Float((v * 10_000.0).round() / 10_000.0)
        })
    };
    let mut cells = vec![
        model.into(),
        month.format("%Y-%m").to_string().into(),
        round(metrics::auc(risk, labels)),
        round(metrics::lift_top_decile(risk, labels)),
    ];
    for b in 0..3 {
        let (n, pos) = band
            .iter()
            .zip(labels)
            .filter(|(x, _)| **x == b)
            .fold((0u64, 0u64), |(n, p), (_, &l)| (n + 1, p + u64::from(l)));
        cells.push(crate::ratio(pos, n));
    }
    cells.push((labels.len() as u64).into());
    cells.push((labels.iter().filter(|&&l| l).count() as u64).into());
    cells
}

pub(crate) fn report(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let config = &request.config;
    let m = &config.models;
    let as_of = request.period.to;
    let horizon = chrono::Days::new(u64::from(m.horizon_days));
    let last = as_of.checked_sub_days(horizon).unwrap_or(NaiveDate::MIN);
    let months = months(request.period.from, last);
    let history = History::load(store, config, as_of)?;
    // Every month end a test month or its training reads.
    let first = train::first_day(store, as_of)?;
    let accounts = train::live_accounts(store, as_of)?;
    let mut days: Vec<NaiveDate> = Vec::new();
    for &month in &months {
        days.extend(train::snapshot_days(config, first, month, accounts));
        days.push(month);
    }
    days.sort();
    days.dedup();
    let (snapshots, labels) = train::snapshots_and_labels(store, config, &history, &days)?;
    let health_kind = MODELS
        .iter()
        .find(|k| k.name == "churn")
        .expect("churn is a model");
    let mut table = Table::new(COLUMNS);
    for &month in &months {
        let Some(s) = snapshots.get(&month) else {
            continue;
        };
        // The health score against churn, over paying accounts.
        let (mut risk, mut outcome, mut band) = (Vec::new(), Vec::new(), Vec::new());
        for a in &s.accounts {
            if let Some(l) = labels.account(health_kind, a, month) {
                risk.push(-a.health);
                outcome.push(l);
                band.push(health_band(config, a.health));
            }
        }
        let shares = band_shares(&band);
        table.push(row("health", month, &risk, &outcome, &band));
        let train = train::snapshot_days(config, first, month, accounts);
        for kind in &MODELS {
            let t = train::train_one(
                kind,
                config,
                &snapshots,
                &labels,
                &train,
                &[],
                &train,
                month,
            );
            let (risk, outcome) = score_month(&t, kind, s, &labels);
            let band = bands(&risk, shares);
            table.push(row(kind.name, month, &risk, &outcome, &band));
        }
    }
    Ok(table)
}

fn health_band(config: &tenure_core::report::ReportsConfig, score: f64) -> usize {
    let bands = config.health.bands;
    let score = score.round();
    if score < bands[0] {
        0
    } else if score < bands[1] {
        1
    } else {
        2
    }
}

fn band_shares(band: &[usize]) -> [f64; 2] {
    let n = band.len().max(1) as f64;
    let count = |b: usize| band.iter().filter(|&&x| x == b).count() as f64 / n;
    [count(0), count(1)]
}

/// A trained model's risk (the score; for models other than churn, one
/// less it: red is the least likely) and the outcome of each row it
/// scores in the snapshot.
fn score_month(
    t: &Trained,
    kind: &ModelKind,
    s: &Snapshot,
    labels: &Labels,
) -> (Vec<f64>, Vec<bool>) {
    let sign = |p: f64| if kind.name == "churn" { p } else { 1.0 - p };
    let (mut risk, mut outcome) = (Vec::new(), Vec::new());
    match kind.unit {
        Unit::Account => {
            for a in s.accounts.iter().filter(|a| scores_account(kind, a)) {
                if let Some(l) = labels.account(kind, a, s.day) {
                    let (p, _) = t.score(&a.x, train::heuristic_account(kind, a));
                    risk.push(sign(p));
                    outcome.push(l);
                }
            }
        }
        Unit::User => {
            for u in &s.users {
                if let Some(l) = labels.user(kind, s, u) {
                    let (p, _) = t.score(&u.x, train::heuristic_user(kind, u));
                    risk.push(sign(p));
                    outcome.push(l);
                }
            }
        }
    }
    (risk, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_ends_and_bands() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            months(d("2026-01-15"), d("2026-04-29")),
            [d("2026-01-31"), d("2026-02-28"), d("2026-03-31")]
        );
        // 2 of 10 red, 3 yellow: the two riskiest, then the next three.
        let risk: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(bands(&risk, [0.2, 0.3]), [2, 2, 2, 2, 2, 1, 1, 1, 0, 0]);
    }
}
