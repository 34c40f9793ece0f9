//! L2-regularised logistic regression on standardised features, fitted by
//! `linfa-logistic` (L-BFGS on the summed log-loss plus `l2 / 2 * |w|^2`),
//! with each prediction's contributions: a feature's weight times its
//! standardised value, in log-odds against an average row.

use crate::ModelError;
use linfa::DatasetBase;
use linfa::traits::Fit;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};

/// Rows of named features: `values` holds `rows x names.len()` numbers,
/// row after row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Matrix {
    pub names: Vec<String>,
    pub values: Vec<f64>,
}

impl Matrix {
    pub fn new(names: Vec<String>) -> Self {
        Self {
            names,
            values: Vec::new(),
        }
    }

    pub fn push(&mut self, row: &[f64]) {
        debug_assert_eq!(row.len(), self.names.len());
        self.values.extend_from_slice(row);
    }

    pub fn rows(&self) -> usize {
        self.values.len() / self.names.len().max(1)
    }

    pub fn row(&self, i: usize) -> &[f64] {
        let n = self.names.len();
        &self.values[i * n..(i + 1) * n]
    }
}

/// A fitted model.
#[derive(Debug, Clone, PartialEq)]
pub struct Logistic {
    pub names: Vec<String>,
    /// Each feature's training mean and standard deviation (1 when it
    /// does not vary).
    pub means: Vec<f64>,
    pub scales: Vec<f64>,
    /// Per standardised feature: its log-odds per standard deviation.
    pub weights: Vec<f64>,
    pub intercept: f64,
}

impl Logistic {
    /// Fits `labels` (true: the outcome happened) on `x`.
    pub fn fit(x: &Matrix, labels: &[bool], l2: f64) -> Result<Self, ModelError> {
        let data = |reason: String| ModelError::Data {
            model: "logistic regression",
            reason,
        };
        let (n, k) = (x.rows(), x.names.len());
        if n != labels.len() {
            return Err(data(format!("{n} rows but {} labels", labels.len())));
        }
        let positives = labels.iter().filter(|&&l| l).count();
        if positives == 0 || positives == n {
            return Err(data(format!(
                "{positives} positive labels in {n} rows: both outcomes are needed"
            )));
        }
        if let Some(i) = x.values.iter().position(|v| !v.is_finite()) {
            return Err(data(format!("feature {} is not finite", x.names[i % k])));
        }
        let mut means = vec![0.0; k];
        let mut scales = vec![0.0; k];
        for i in 0..n {
            for (j, v) in x.row(i).iter().enumerate() {
                means[j] += v / n as f64;
            }
        }
        for i in 0..n {
            for (j, v) in x.row(i).iter().enumerate() {
                scales[j] += (v - means[j]).powi(2) / n as f64;
            }
        }
        for (j, s) in scales.iter_mut().enumerate() {
            if *s > 1e-18 {
                *s = s.sqrt();
            } else {
                // A constant feature: exactly 0 once standardised.
                (*s, means[j]) = (1.0, x.row(0)[j]);
            }
        }
        let z = Array2::from_shape_fn((n, k), |(i, j)| (x.row(i)[j] - means[j]) / scales[j]);
        let y = Array1::from_iter(labels.iter().copied());
        let fitted = LogisticRegression::default()
            .alpha(l2)
            .max_iterations(500)
            .gradient_tolerance(1e-6)
            .fit(&DatasetBase::new(z, y))
            .map_err(|e| ModelError::Fit {
                model: "logistic regression",
                reason: e.to_string(),
            })?;
        // The crate predicts its larger class; turn it to "true".
        let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
        Ok(Self {
            names: x.names.clone(),
            means,
            scales,
            weights: fitted.params().iter().map(|w| sign * w).collect(),
            intercept: sign * fitted.intercept(),
        })
    }

    /// Each feature's share of the log-odds against an average row.
    pub fn contributions(&self, row: &[f64]) -> Vec<f64> {
        row.iter()
            .enumerate()
            .map(|(j, v)| self.weights[j] * (v - self.means[j]) / self.scales[j])
            .collect()
    }

    /// The probability of the outcome.
    pub fn predict(&self, row: &[f64]) -> f64 {
        let z = self.intercept + self.contributions(row).iter().sum::<f64>();
        1.0 / (1.0 + (-z).exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows drawn from a known logistic model (a fixed LCG, no rand): the
    /// fit finds its weights' signs and sizes, and predicts well.
    #[test]
    fn recovers_a_known_model() {
        let mut seed = 7u64;
        let mut uniform = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut x = Matrix::new(vec!["a".into(), "b".into(), "flat".into()]);
        let mut labels = Vec::new();
        for _ in 0..4000 {
            let (a, b) = (uniform() * 4.0 - 2.0, uniform() * 10.0);
            let z = -1.0 + 2.0 * a - 0.3 * b;
            x.push(&[a, b, 3.0]);
            labels.push(uniform() < 1.0 / (1.0 + (-z).exp()));
        }
        let m = Logistic::fit(&x, &labels, 1.0).unwrap();
        let raw = |j: usize| m.weights[j] / m.scales[j];
        assert!((raw(0) - 2.0).abs() < 0.25, "{}", raw(0));
        assert!((raw(1) + 0.3).abs() < 0.05, "{}", raw(1));
        assert_eq!(m.weights[2], 0.0);
        let p = m.predict(&[1.0, 0.0, 3.0]);
        assert!((p - 1.0 / (1.0 + (-1.0f64).exp())).abs() < 0.06, "{p}");
        let c = m.contributions(&[1.0, 0.0, 3.0]);
        assert!(c[0] > 0.0 && c[1] > 0.0 && c[2] == 0.0);
    }

    #[test]
    fn one_outcome_or_bad_values_are_refused() {
        let mut x = Matrix::new(vec!["a".into()]);
        x.push(&[1.0]);
        x.push(&[2.0]);
        let err = Logistic::fit(&x, &[false, false], 1.0).unwrap_err();
        assert!(err.to_string().contains("both outcomes"), "{err}");
        x.values[1] = f64::NAN;
        let err = Logistic::fit(&x, &[false, true], 1.0).unwrap_err();
        assert!(err.to_string().contains("feature a"), "{err}");
    }
}
