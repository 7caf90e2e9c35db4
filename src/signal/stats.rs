//! Round-trip statistics: the one stats shape ([`crate::stats::Stats`]), in milliseconds rounded
//! to the microsecond.

use crate::stats::Stats;

/// RTT figures in milliseconds.
pub(crate) type RttStats = Stats;

/// Figures of these round trips (ms), rounded to 3 decimals; `None` when there are none.
pub(crate) fn rtt_stats(samples: &[f64]) -> Option<RttStats> {
    Stats::of(samples).map(|s| s.rounded(3))
}

/// A figure for people (the figures of a non-empty series are all there).
pub(crate) fn fig(x: Option<f64>) -> f64 {
    x.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_rounded() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = rtt_stats(&v).unwrap_or_else(|| panic!("stats"));
        assert_eq!(
            (s.min, s.max, s.p50, s.p95, s.mean),
            (Some(1.0), Some(100.0), Some(50.0), Some(95.0), Some(50.5))
        );
        let s = rtt_stats(&[1.00049, 2.0]).unwrap_or_else(|| panic!("stats"));
        assert_eq!(s.min, Some(1.0));
        assert!(rtt_stats(&[]).is_none());
    }
}
