//! BG/NBD on the CDNOW sample reproduces the figures Fader, Hardie & Lee
//! (2005) publish in section 7 (see tests/data/cdnow/README.md).

use chrono::NaiveDate;
use std::collections::BTreeMap;
use tenure_models::bgnbd::{Params, Summary, fit};

/// The data, found through the package dir cargo gives at run time (a
/// test binary reused from a clone elsewhere keeps the old compile-time
/// path).
fn data(file: &str) -> String {
    let dir = std::env::var("CARGO_MANIFEST_DIR")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
    format!("{dir}/tests/data/cdnow/{file}")
}

fn day(s: &str) -> i64 {
    let date = NaiveDate::parse_from_str(s, "%Y%m%d").unwrap();
    (date - NaiveDate::from_ymd_opt(1997, 1, 1).unwrap()).num_days()
}

/// Each sample customer's purchase days.
fn purchases() -> BTreeMap<u32, Vec<i64>> {
    let text = std::fs::read_to_string(data("CDNOW_sample.txt")).unwrap();
    let mut out: BTreeMap<u32, Vec<i64>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        out.entry(fields[1].parse().unwrap())
            .or_default()
            .push(day(fields[2]));
    }
    out
}

/// Calibration ends 1997-09-30 (week 39), the holdout on 1998-06-30.
fn calibration_end() -> i64 {
    day("19970930")
}

fn summaries() -> Vec<Summary> {
    purchases()
        .values()
        .map(|days| Summary::from_days(days, calibration_end(), 7.0).unwrap())
        .collect()
}

fn round(x: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    (x * k).round() / k
}

#[test]
fn the_summary_matches_the_published_one() {
    let ours = summaries();
    assert_eq!(ours.len(), 2357);
    let text = std::fs::read_to_string(data("cdnow_customers_summary.csv")).unwrap();
    let theirs: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(theirs.len(), ours.len());
    for (s, row) in ours.iter().zip(&theirs) {
        assert_eq!(s.x, row[1], "customer {}", row[0]);
        assert_eq!(round(s.t_x, 2), row[2], "customer {}", row[0]);
        assert_eq!(round(s.t, 2), row[3], "customer {}", row[0]);
    }
    let repeats: f64 = ours.iter().map(|s| s.x).sum();
    assert_eq!(repeats, 2457.0);
    assert_eq!(ours.iter().filter(|s| s.x == 0.0).count(), 1411);
    let holdout: usize = purchases()
        .values()
        .map(|days| {
            let mut later: Vec<i64> = days
                .iter()
                .copied()
                .filter(|d| *d > calibration_end())
                .collect();
            later.sort_unstable();
            later.dedup();
            later.len()
        })
        .sum();
    assert_eq!(holdout, 1882);
}

#[test]
fn bgnbd_reproduces_the_paper() {
    let fitted = fit(&summaries()).unwrap();
    let p = fitted.params;
    assert_eq!(
        [
            round(p.r, 3),
            round(p.alpha, 3),
            round(p.a, 3),
            round(p.b, 3)
        ],
        [0.243, 4.414, 0.793, 2.426],
        "{fitted:?}"
    );
    assert_eq!(round(fitted.log_likelihood, 1), -9582.4, "{fitted:?}");
    // E[X(t)] for a new customer.
    let expected: Vec<f64> = [1.0, 3.0, 32.0]
        .iter()
        .map(|t| round(p.expected(*t), 4))
        .collect();
    assert_eq!(expected, [0.0532, 0.1506, 1.0437], "{p:?}");
    // At 78 weeks the exact optimum gives 1.85796, the paper 1.8576: the
    // value moves by ~28 per unit of `a` there (a = 0.79291 here; 0.79290
    // gives the paper's), so a fit stopped a hair short of the optimum, or
    // a 2F1 series cut at ~150 terms, prints 1.8576. Our optimum is one
    // (the log-likelihood's gradient is under 1e-3 in every parameter) and
    // our 2F1 agrees with its Euler transform to 1e-14.
    let rows = summaries();
    let ll = |q: &Params| rows.iter().map(|s| q.log_likelihood(s)).sum::<f64>();
    for i in 0..4 {
        let nudge = |h: f64| {
            let mut q = p;
            *[&mut q.r, &mut q.alpha, &mut q.a, &mut q.b][i] += h;
            q
        };
        let slope = (ll(&nudge(1e-4)) - ll(&nudge(-1e-4))) / 2e-4;
        assert!(slope.abs() < 1e-3, "parameter {i}: slope {slope}");
    }
    let e78 = p.expected(78.0);
    assert_eq!(round(e78, 3), 1.858, "{p:?}");
    assert!((e78 - 1.8576).abs() < 4e-4, "{e78}");
    // The paper's customer over the next 39 weeks.
    let customer = Summary {
        x: 2.0,
        t_x: 30.43,
        t: 38.86,
    };
    assert_eq!(round(p.conditional_expected(39.0, &customer), 3), 1.226);
    // Deterministic: the same fit twice.
    assert_eq!(fit(&summaries()).unwrap(), fitted);
}
