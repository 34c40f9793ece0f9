//! The BG/NBD model (Fader, Hardie & Lee 2005, "Counting Your Customers
//! the Easy Way"). While alive, a user transacts (here: is active on a
//! day) as a Poisson process whose rate varies across users as
//! Gamma(r, alpha); after each transaction they drop out with a
//! probability that varies across users as Beta(a, b). From a user's
//! repeat count `x`, the time of their last transaction `t_x` and their
//! age `T` (both from their first transaction), the model gives the
//! probability they are still alive and the transactions to expect.
//!
//! Times are in one unit chosen by the caller (weeks for CDNOW, days in
//! Tenure); `alpha` is in that unit.

use crate::ModelError;
use crate::special::{hyp2f1, ln_beta, ln_gamma};
use argmin::core::{CostFunction, Executor, State};
use argmin::solver::neldermead::NelderMead;
use std::collections::HashMap;

/// One user's history: `x` repeat transactions (all but the first),
/// `t_x` the time from the first to the last, `t` (the paper's `T`) the
/// time from the first to the end of observation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub x: f64,
    pub t_x: f64,
    pub t: f64,
}

impl Summary {
    /// The summary of transactions on `days` (day numbers, any order,
    /// repeats counted once) observed up to day `end`, in units of `unit`
    /// days (7 for weeks). `None` without a transaction on or before `end`.
    pub fn from_days(days: &[i64], end: i64, unit: f64) -> Option<Self> {
        let mut seen: Vec<i64> = days.iter().copied().filter(|d| *d <= end).collect();
        seen.sort_unstable();
        seen.dedup();
        let (first, last) = (*seen.first()?, *seen.last()?);
        Some(Self {
            x: (seen.len() - 1) as f64,
            t_x: (last - first) as f64 / unit,
            t: (end - first) as f64 / unit,
        })
    }
}

/// The model's four parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

impl Params {
    /// The log-likelihood of one user's history (the paper's equation 6).
    pub fn log_likelihood(&self, s: &Summary) -> f64 {
        self.log_likelihood_with(self.count_term(s.x), s)
    }

    /// The part of the log-likelihood that depends on `x` only (the
    /// gamma functions: a fit computes it once per distinct `x`).
    fn count_term(&self, x: f64) -> f64 {
        let Params { r, alpha, a, b } = *self;
        ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln() + ln_beta(a, b + x) - ln_beta(a, b)
    }

    fn log_likelihood_with(&self, count_term: f64, s: &Summary) -> f64 {
        let Params { r, alpha, a, b } = *self;
        let x = s.x;
        let gone_never = -(r + x) * (alpha + s.t).ln();
        if x > 0.0 {
            let gone_after_last = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + s.t_x).ln();
            count_term + log_add_exp(gone_never, gone_after_last)
        } else {
            count_term + gone_never
        }
    }

    /// The probability a user with this history is still alive at its end.
    pub fn p_alive(&self, s: &Summary) -> f64 {
        if s.x == 0.0 {
            return 1.0;
        }
        1.0 / (1.0 + self.odds_gone(s))
    }

    /// Odds that the user dropped out after their last transaction.
    fn odds_gone(&self, s: &Summary) -> f64 {
        let Params { r, alpha, a, b } = *self;
        a / (b + s.x - 1.0) * ((alpha + s.t) / (alpha + s.t_x)).powf(r + s.x)
    }

    /// E[X(t)]: the repeat transactions a new user makes in their first
    /// `t` units (the paper's equation 7).
    pub fn expected(&self, t: f64) -> f64 {
        let Params { r, alpha, a, b } = *self;
        let z = t / (alpha + t);
        (a + b - 1.0) / (a - 1.0)
            * (1.0 - (alpha / (alpha + t)).powf(r) * hyp2f1(r, b, a + b - 1.0, z))
    }

    /// E[Y(t) | history]: the transactions a user with this history makes
    /// in the next `t` units (the paper's equation 10).
    pub fn conditional_expected(&self, t: f64, s: &Summary) -> f64 {
        let Params { r, alpha, a, b } = *self;
        let x = s.x;
        let ahead = alpha + s.t + t;
        let z = t / ahead;
        let alive_part = (a + b + x - 1.0) / (a - 1.0)
            * (1.0
                - ((alpha + s.t) / ahead).powf(r + x) * hyp2f1(r + x, b + x, a + b + x - 1.0, z));
        let gone = if x > 0.0 { self.odds_gone(s) } else { 0.0 };
        alive_part / (1.0 + gone)
    }
}

fn log_add_exp(p: f64, q: f64) -> f64 {
    let m = p.max(q);
    m + ((p - m).exp() + (q - m).exp()).ln()
}

/// A maximum-likelihood fit.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    pub params: Params,
    /// The log-likelihood of every row at `params`.
    pub log_likelihood: f64,
    pub rows: usize,
    /// Optimiser iterations.
    pub iterations: u64,
}

/// Fits the model to `rows` by maximum likelihood (Nelder-Mead on the
/// parameters' logarithms, from r = alpha = a = b = 1). Rows with the same
/// history are weighed once, so a fit over a million users costs about as
/// much as one over their distinct histories.
pub fn fit(rows: &[Summary]) -> Result<Fit, ModelError> {
    let data = Weighted::of(rows);
    if data.rows.is_empty() {
        return Err(ModelError::Data {
            model: "bgnbd",
            reason: "no users with a transaction".into(),
        });
    }
    if !rows.iter().any(|s| s.x > 0.0) {
        return Err(ModelError::Data {
            model: "bgnbd",
            reason: "no repeat transactions".into(),
        });
    }
    // Nelder-Mead from r = alpha = a = b = 1, restarted from its best
    // point with ever smaller simplices: one run stops short of the
    // optimum in flat directions, and the expectations are sensitive to
    // `a` (E[X(t)] moves by ~28 per unit of `a` on CDNOW).
    let mut best = vec![0.0; 4];
    let mut iterations = 0;
    for step in [1.0, 0.1, 0.01, 0.001, 0.0001] {
        let (point, n) = nelder_mead(&data, &best, step)?;
        best = point;
        iterations += n;
    }
    let params = Weighted::params(&best);
    Ok(Fit {
        params,
        log_likelihood: data.log_likelihood(&params),
        rows: rows.len(),
        iterations,
    })
}

/// One Nelder-Mead run on the log-parameters from `start`, with a simplex
/// of `step` along each axis: the best point and the iterations.
fn nelder_mead(data: &Weighted, start: &[f64], step: f64) -> Result<(Vec<f64>, u64), ModelError> {
    let simplex: Vec<Vec<f64>> = std::iter::once(start.to_vec())
        .chain((0..start.len()).map(|i| {
            let mut v = start.to_vec();
            v[i] += step;
            v
        }))
        .collect();
    let failed = |e: argmin::core::Error| ModelError::Fit {
        model: "bgnbd",
        reason: e.to_string(),
    };
    let solver = NelderMead::new(simplex)
        .with_sd_tolerance(1e-14)
        .map_err(failed)?;
    let result = Executor::new(data, solver)
        .configure(|state| state.max_iters(20_000))
        .run()
        .map_err(failed)?;
    let state = result.state();
    let best = state.get_best_param().ok_or_else(|| ModelError::Fit {
        model: "bgnbd",
        reason: "no parameters".into(),
    })?;
    Ok((best.clone(), state.get_iter()))
}

/// Distinct histories and how many users have each.
struct Weighted {
    rows: Vec<(Summary, f64)>,
    total: f64,
}

impl Weighted {
    fn of(rows: &[Summary]) -> Self {
        let mut counts: HashMap<[u64; 3], (Summary, f64)> = HashMap::new();
        for s in rows {
            let key = [s.x.to_bits(), s.t_x.to_bits(), s.t.to_bits()];
            counts.entry(key).or_insert((*s, 0.0)).1 += 1.0;
        }
        let mut rows: Vec<(Summary, f64)> = counts.into_values().collect();
        // A fixed order: sums come out the same on every run.
        rows.sort_by(|p, q| {
            (p.0.x, p.0.t_x, p.0.t)
                .partial_cmp(&(q.0.x, q.0.t_x, q.0.t))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let total = rows.iter().map(|(_, n)| n).sum();
        Self { rows, total }
    }

    fn params(log: &[f64]) -> Params {
        Params {
            r: log[0].exp(),
            alpha: log[1].exp(),
            a: log[2].exp(),
            b: log[3].exp(),
        }
    }

    /// The rows are sorted by `x`: the count term changes only with it.
    fn log_likelihood(&self, params: &Params) -> f64 {
        let mut last = (f64::NAN, 0.0);
        self.rows
            .iter()
            .map(|(s, n)| {
                if s.x != last.0 {
                    last = (s.x, params.count_term(s.x));
                }
                n * params.log_likelihood_with(last.1, s)
            })
            .sum()
    }
}

impl CostFunction for &Weighted {
    type Param = Vec<f64>;
    type Output = f64;

    /// The mean negative log-likelihood (infinite where it is undefined,
    /// which the simplex then leaves).
    fn cost(&self, log: &Self::Param) -> Result<f64, argmin::core::Error> {
        let ll = self.log_likelihood(&Weighted::params(log)) / self.total;
        Ok(if ll.is_finite() { -ll } else { f64::INFINITY })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_count_distinct_days_up_to_the_end() {
        let s = Summary::from_days(&[10, 3, 10, 24, 40], 31, 7.0).unwrap();
        assert_eq!(
            s,
            Summary {
                x: 2.0,
                t_x: 3.0,
                t: 4.0
            }
        );
        assert_eq!(Summary::from_days(&[40], 31, 1.0), None);
        assert_eq!(Summary::from_days(&[], 31, 1.0), None);
    }

    #[test]
    fn a_user_without_repeats_is_alive_and_long_silence_lowers_it() {
        let p = Params {
            r: 0.25,
            alpha: 4.0,
            a: 0.8,
            b: 2.4,
        };
        let none = Summary {
            x: 0.0,
            t_x: 0.0,
            t: 30.0,
        };
        assert_eq!(p.p_alive(&none), 1.0);
        let recent = Summary {
            x: 5.0,
            t_x: 29.0,
            t: 30.0,
        };
        let silent = Summary { t_x: 5.0, ..recent };
        assert!(p.p_alive(&recent) > 0.85);
        assert!(p.p_alive(&silent) < p.p_alive(&recent) / 2.0);
        assert!(p.conditional_expected(10.0, &silent) < p.conditional_expected(10.0, &recent));
    }

    #[test]
    fn fitting_needs_repeat_transactions() {
        let once = Summary {
            x: 0.0,
            t_x: 0.0,
            t: 3.0,
        };
        assert!(matches!(fit(&[once]), Err(ModelError::Data { .. })));
        assert!(matches!(fit(&[]), Err(ModelError::Data { .. })));
    }
}
