//! Medians and ratios, the only arithmetic the report needs.

use std::time::Duration;

/// The median of `values` (the mean of the two middle ones for an even count); `None` when
/// empty.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    })
}

pub fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `measured / baseline`, `None` when the baseline is zero.
pub fn ratio(measured: f64, baseline: f64) -> Option<f64> {
    (baseline > 0.0).then(|| measured / baseline)
}

/// "1.23x (target <= 1.5, met)" for the report.
pub fn verdict(ratio: Option<f64>, target: f64) -> String {
    match ratio {
        Some(r) => format!(
            "{r:.2}x (target <= {target}, {})",
            if r <= target { "met" } else { "MISSED" }
        ),
        None => "n/a (baseline is zero)".to_string(),
    }
}

pub fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn ratio_and_verdict() {
        assert_eq!(ratio(300.0, 200.0), Some(1.5));
        assert_eq!(ratio(1.0, 0.0), None);
        assert_eq!(verdict(Some(1.5), 1.5), "1.50x (target <= 1.5, met)");
        assert_eq!(verdict(Some(1.51), 1.5), "1.51x (target <= 1.5, MISSED)");
        assert_eq!(verdict(None, 1.3), "n/a (baseline is zero)");
    }

    #[test]
    fn min_and_max() {
        assert_eq!(min_max(&[2.0, 5.0, 1.0]), (1.0, 5.0));
    }
}
