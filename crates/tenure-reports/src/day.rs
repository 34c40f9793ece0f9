//! One finished day's scoring, as the server's daily work keeps it: every
//! live account's health in the history and the propensity scores of the
//! models asked for, from one read of the day's rollups (the accounts, the
//! licensed users' 30 days and the account totals, which the health score
//! and the models' features share).

use crate::health::{self, DayInputs};
use crate::{ReportError, Request, propensity};
use chrono::NaiveDate;
use tenure_core::report::ReportsConfig;
use tenure_store::Store;

/// What [`keep_day`] kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeptDay {
    /// Health history rows (one per live account).
    pub health: usize,
    /// Score rows; 0 when no model was asked for or the models are not
    /// trained within `models.retrain_days` (scoring would train first).
    pub scores: usize,
}

/// Keeps `day`'s health (replacing that day's) and the scores of `models`
/// (see [`crate::keep_score_days`]).
pub fn keep_day(
    store: &mut dyn Store,
    config: &ReportsConfig,
    day: NaiveDate,
    models: &[String],
) -> Result<KeptDay, ReportError> {
    let inputs = DayInputs::take(&*store, &Request::day(config, day), day)?;
    let rows = health::rows_of(&config.health, day, &inputs.inputs);
    store.save_health(day, &rows)?;
    let mut kept = KeptDay {
        health: rows.len(),
        scores: 0,
    };
    if !models.is_empty() && !propensity::needs_training(&*store, config, day)? {
        let scores = propensity::day_scores(&*store, config, models, day, &inputs)?;
        store.save_scores(day, &scores, propensity::SCORE_DAYS_KEPT)?;
        kept.scores = scores.len();
    }
    Ok(kept)
}
