//! One set of figures for every series voipctl reports — signalling round trips, probe stages,
//! keep-alive intervals, report latencies, probe's own overhead — so that a consumer reads them
//! all the same way. The unit is in the name of the field that holds the figures (`rtt_ms`,
//! `interval_s`, `overhead_us`); a figure that was not computed is `null` (the log tracker keeps
//! running aggregates, not every value, so it has no percentiles).

use schemars::JsonSchema;
use serde::Serialize;

/// Count, extremes, mean, spread and percentiles of a series.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, JsonSchema)]
pub struct Stats {
    /// How many values.
    pub count: u64,
    /// Smallest.
    pub min: Option<f64>,
    /// Largest.
    pub max: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
    /// Standard deviation (population); jitter for intervals.
    pub stddev: Option<f64>,
    /// Median (nearest rank).
    pub p50: Option<f64>,
    /// 95th percentile (nearest rank).
    pub p95: Option<f64>,
    /// 99th percentile (nearest rank).
    pub p99: Option<f64>,
}

/// Nearest-rank percentile of sorted values (`q` in 0..=1).
pub(crate) fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

impl Stats {
    /// The figures of these values (non-finite ones left out); `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Stats> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        Some(Stats {
            count: v.len() as u64,
            min: v.first().copied(),
            max: v.last().copied(),
            mean: Some(mean),
            stddev: Some(var.max(0.0).sqrt()),
            p50: percentile(&v, 0.5),
            p95: percentile(&v, 0.95),
            p99: percentile(&v, 0.99),
        })
    }

    /// The same figures rounded to `decimals` places.
    pub fn rounded(self, decimals: i32) -> Stats {
        let f = 10f64.powi(decimals);
        let r = |x: Option<f64>| x.map(|x| (x * f).round() / f);
        Stats {
            count: self.count,
            min: r(self.min),
            max: r(self.max),
            mean: r(self.mean),
            stddev: r(self.stddev),
            p50: r(self.p50),
            p95: r(self.p95),
            p99: r(self.p99),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_figures() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = Stats::of(&v).unwrap_or_else(|| panic!("stats"));
        assert_eq!(
            (s.count, s.min, s.max, s.p50, s.p95, s.p99, s.mean),
            (
                100,
                Some(1.0),
                Some(100.0),
                Some(50.0),
                Some(95.0),
                Some(99.0),
                Some(50.5)
            )
        );
        let one = Stats::of(&[3.0]).unwrap_or_else(|| panic!("stats"));
        assert_eq!(
            (one.p50, one.p95, one.stddev),
            (Some(3.0), Some(3.0), Some(0.0))
        );
        assert!(Stats::of(&[]).is_none());
        assert!(Stats::of(&[f64::NAN]).is_none());
        assert_eq!(
            Stats::of(&[1.0, 2.0]).map(|s| s.rounded(3).stddev),
            Some(Some(0.5))
        );
    }

    proptest::proptest! {
        #[test]
        fn ordered(v in proptest::collection::vec(0.0f64..1e6, 1..50)) {
            let s = Stats::of(&v).unwrap_or_else(|| panic!("stats"));
            let (min, max) = (s.min.unwrap_or(f64::NAN), s.max.unwrap_or(f64::NAN));
            let (p50, p95, p99) = (s.p50.unwrap_or(f64::NAN), s.p95.unwrap_or(f64::NAN), s.p99.unwrap_or(f64::NAN));
            proptest::prop_assert!(min <= p50 && p50 <= p95 && p95 <= p99 && p99 <= max);
            let mean = s.mean.unwrap_or(f64::NAN);
            proptest::prop_assert!(min <= mean + 1e-6 && mean <= max + 1e-6);
        }
    }
}
