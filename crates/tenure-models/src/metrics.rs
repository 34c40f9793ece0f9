//! How well scores predict outcomes: AUC, Brier score, lift and a
//! calibration table.

/// The area under the ROC curve: the chance that a random positive scores
/// above a random negative (ties count half). `None` without both.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Mann-Whitney U from the positives' mid-ranks.
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mid = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += mid * order[i..=j].iter().filter(|&&k| labels[k]).count() as f64;
        i = j + 1;
    }
    let pos = labels.iter().filter(|&&l| l).count() as f64;
    let neg = labels.len() as f64 - pos;
    (pos > 0.0 && neg > 0.0).then(|| (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// The mean squared difference between the probability and the outcome.
pub fn brier(probabilities: &[f64], labels: &[bool]) -> Option<f64> {
    (!labels.is_empty()).then(|| {
        probabilities
            .iter()
            .zip(labels)
            .map(|(p, &l)| (p - f64::from(u8::from(l))).powi(2))
            .sum::<f64>()
            / labels.len() as f64
    })
}

/// The outcome rate among the top tenth by score over the rate of all.
pub fn lift_top_decile(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let rate = |idx: &[usize]| idx.iter().filter(|&&i| labels[i]).count() as f64 / idx.len() as f64;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let top = order.len().div_ceil(10);
    let base = rate(&order);
    (top > 0 && base > 0.0).then(|| rate(&order[..top]) / base)
}

/// One bin of a calibration table.
#[derive(Debug, Clone, PartialEq)]
pub struct Bin {
    /// The lowest and highest probability in the bin.
    pub low: f64,
    pub high: f64,
    pub rows: usize,
    pub mean_predicted: f64,
    pub observed_rate: f64,
}

/// Predicted against observed, in up to `bins` bins of equal counts
/// (ordered by probability; rows of one probability stay together).
pub fn calibration(probabilities: &[f64], labels: &[bool], bins: usize) -> Vec<Bin> {
    let mut order: Vec<usize> = (0..probabilities.len()).collect();
    order.sort_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b]));
    let per_bin = order.len().div_ceil(bins.max(1)).max(1);
    let mut out = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = (start + per_bin).min(order.len());
        while end < order.len() && probabilities[order[end]] == probabilities[order[end - 1]] {
            end += 1;
        }
        let part = &order[start..end];
        let n = part.len() as f64;
        out.push(Bin {
            low: probabilities[part[0]],
            high: probabilities[part[part.len() - 1]],
            rows: part.len(),
            mean_predicted: part.iter().map(|&i| probabilities[i]).sum::<f64>() / n,
            observed_rate: part.iter().filter(|&&i| labels[i]).count() as f64 / n,
        });
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_pairs_and_ties() {
        let labels = [false, true, false, true];
        assert_eq!(auc(&[0.1, 0.9, 0.2, 0.8], &labels), Some(1.0));
        assert_eq!(auc(&[0.9, 0.1, 0.8, 0.2], &labels), Some(0.0));
        // Positives 0.5 and 0.7; negatives 0.5 and 0.1: pairs won 1 + 1 +
        // 1 and one tie: 3.5 of 4.
        assert_eq!(
            auc(&[0.5, 0.5, 0.1, 0.7], &[false, true, false, true]),
            Some(0.875)
        );
        assert_eq!(auc(&[0.5, 0.6], &[true, true]), None);
    }

    #[test]
    fn brier_lift_and_calibration_on_hand_rows() {
        assert_eq!(
            brier(&[1.0, 0.0, 0.5], &[true, false, true]),
            Some(0.25 / 3.0)
        );
        assert_eq!(brier(&[], &[]), None);
        // 20 rows, 4 positives; the 2 highest scores are both positive:
        // top-decile rate 1 over a base of 0.2.
        let scores: Vec<f64> = (0..20).map(f64::from).collect();
        let labels: Vec<bool> = (0..20).map(|i| i >= 18 || i == 3 || i == 7).collect();
        assert_eq!(lift_top_decile(&scores, &labels), Some(5.0));
        let p: Vec<f64> = (0..20).map(|i| f64::from(i) / 20.0).collect();
        let table = calibration(&p, &labels, 4);
        assert_eq!(table.len(), 4);
        assert_eq!(table.iter().map(|b| b.rows).sum::<usize>(), 20);
        assert_eq!((table[0].low, table[0].high), (0.0, 0.2));
        assert_eq!(table[0].observed_rate, 0.2);
        assert_eq!(table[3].observed_rate, 0.4);
        assert!((table[3].mean_predicted - 0.85).abs() < 1e-12);
        // Ties stay in one bin.
        let table = calibration(&[0.1, 0.1, 0.1, 0.2], &[false, true, false, true], 4);
        assert_eq!(table.iter().map(|b| b.rows).collect::<Vec<_>>(), [3, 1]);
    }
}
