//! The sentiment of NPS comments and feedback text, by VADER (a lexicon
//! and rule model that runs offline: Hutto & Gilbert 2014, through the
//! `vader_sentiment` crate): `sentiment` per account and month, and the
//! health score's sentiment component.

use crate::{Cell, ReportError, Request, Table};
use chrono::Datelike;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use tenure_store::{Feedback, Store};
use vader_sentiment::SentimentIntensityAnalyzer;

/// VADER's compound score of `text`: -1 (most negative) to 1.
pub(crate) fn compound(text: &str) -> f64 {
    static ANALYZER: OnceLock<SentimentIntensityAnalyzer<'static>> = OnceLock::new();
    let analyzer = ANALYZER.get_or_init(SentimentIntensityAnalyzer::new);
    analyzer
        .polarity_scores(text)
        .get("compound")
        .copied()
        .unwrap_or(0.0)
}

/// Responses, the sum of their texts' compound scores and how many had a
/// text, promoters (9-10), detractors (0-6) and NPS answers.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Tally {
    pub responses: u64,
    pub compound_sum: f64,
    pub texts: u64,
    pub promoters: u64,
    pub detractors: u64,
    pub scored: u64,
}

impl Tally {
    pub(crate) fn add(&mut self, f: &Feedback) {
        self.responses += 1;
        if let Some(text) = f.text.as_deref().filter(|t| !t.trim().is_empty()) {
            self.compound_sum += compound(text);
            self.texts += 1;
        }
        if let Some(score) = f.score {
            self.scored += 1;
            self.promoters += u64::from(score >= 9.0);
            self.detractors += u64::from(score <= 6.0);
        }
    }

    /// The mean compound score of the texts.
    pub(crate) fn sentiment(&self) -> Option<f64> {
        (self.texts > 0).then(|| self.compound_sum / self.texts as f64)
    }

    /// Net promoter score: % promoters - % detractors.
    fn nps(&self) -> Option<f64> {
        (self.scored > 0)
            .then(|| (self.promoters as f64 - self.detractors as f64) * 100.0 / self.scored as f64)
    }
}

/// `sentiment`: per account and calendar month of the period, the NPS
/// answers and feedback (`responses`), the mean sentiment of their texts
/// and the NPS.
pub(crate) fn report(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let mut per: BTreeMap<(String, String), Tally> = BTreeMap::new();
    for f in store.feedback(request.period, &request.scope)? {
        let Some(account) = f.account_id.clone() else {
            continue;
        };
        let month = format!("{:04}-{:02}", f.day.year(), f.day.month());
        per.entry((account, month)).or_default().add(&f);
    }
    let mut table = Table::new(&["account_id", "month", "responses", "sentiment", "nps"]);
    for ((account, month), t) in per {
        let round = |x: f64, k: f64| Cell::Float((x * k).round() / k);
        table.push(vec![
            account.into(),
            month.into(),
            t.responses.into(),
            t.sentiment().map_or(Cell::Empty, |s| round(s, 1000.0)),
            t.nps().map_or(Cell::Empty, |n| round(n, 1.0)),
        ]);
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn praise_scores_above_complaints() {
        let good = compound("Love the alerts, they save me hours every week");
        let bad = compound("Search keeps failing and support is slow");
        assert!(good > 0.5, "{good}");
        assert!(bad < 0.0, "{bad}");
        assert_eq!(compound(""), 0.0);
    }

    #[test]
    fn tallies_count_texts_and_nps() {
        let day = "2026-03-01".parse().unwrap();
        let f = |score: Option<f64>, text: Option<&str>| Feedback {
            account_id: Some("a1".into()),
            user_id: None,
            day,
            event: "NPS Submitted".into(),
            score,
            text: text.map(String::from),
        };
        let mut t = Tally::default();
        t.add(&f(Some(10.0), Some("Great product")));
        t.add(&f(Some(3.0), None));
        t.add(&f(None, Some("  ")));
        assert_eq!((t.responses, t.texts, t.scored), (3, 1, 2));
        assert_eq!(t.nps(), Some(0.0));
        assert!(t.sentiment().unwrap() > 0.5);
    }
}
