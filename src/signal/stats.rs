//! Round-trip statistics: min, average, max, median and 95th percentile, plus loss.

use serde::Serialize;

/// RTT figures in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RttStats {
    /// Fastest.
    pub min: f64,
    /// Mean.
    pub avg: f64,
    /// Slowest.
    pub max: f64,
    /// Median (nearest rank).
    pub p50: f64,
    /// 95th percentile (nearest rank).
    pub p95: f64,
}

impl RttStats {
    /// Statistics of these samples, `None` when there are none.
    pub fn of(samples: &[f64]) -> Option<RttStats> {
        if samples.is_empty() {
            return None;
        }
        let mut s: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
        if s.is_empty() {
            return None;
        }
        s.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let idx = ((p / 100.0) * s.len() as f64).ceil() as usize;
            s[idx.clamp(1, s.len()) - 1]
        };
        let round = |x: f64| (x * 1000.0).round() / 1000.0;
        Some(RttStats {
            min: round(s[0]),
            avg: round(s.iter().sum::<f64>() / s.len() as f64),
            max: round(s[s.len() - 1]),
            p50: round(rank(50.0)),
            p95: round(rank(95.0)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = RttStats::of(&v).unwrap_or_else(|| panic!("stats"));
        assert_eq!(
            (s.min, s.max, s.p50, s.p95, s.avg),
            (1.0, 100.0, 50.0, 95.0, 50.5)
        );
        let one = RttStats::of(&[3.0]).unwrap_or_else(|| panic!("stats"));
        assert_eq!((one.p50, one.p95), (3.0, 3.0));
        assert!(RttStats::of(&[]).is_none());
    }

    proptest::proptest! {
        #[test]
        fn ordered(v in proptest::collection::vec(0.0f64..1e6, 1..50)) {
            let s = RttStats::of(&v).unwrap_or_else(|| panic!("stats"));
            proptest::prop_assert!(s.min <= s.p50 && s.p50 <= s.p95 && s.p95 <= s.max);
            proptest::prop_assert!(s.min <= s.avg && s.avg <= s.max);
        }
    }
}
