//! Tenure's statistical models, free of the store: they take plain rows
//! and return fitted parameters and predictions.
//!
//! - [`bgnbd`]: the BG/NBD model of repeat activity (Fader, Hardie & Lee
//!   2005): the probability a user is still alive and their expected
//!   active days ahead, fitted by maximum likelihood.
//! - [`logistic`]: L2-regularised logistic regression with per-prediction
//!   contributions, for the propensity scores.
//! - [`metrics`]: AUC, Brier score, lift and calibration of scores.

pub mod bgnbd;
pub mod logistic;
pub mod metrics;
mod special;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ModelError {
    /// The data cannot support a fit (e.g. no rows, or no repeat activity).
    #[error("cannot fit {model}: {reason}")]
    Data { model: &'static str, reason: String },
    /// The optimiser failed.
    #[error("fitting {model} failed: {reason}")]
    Fit { model: &'static str, reason: String },
}
