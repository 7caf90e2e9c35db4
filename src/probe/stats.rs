//! Per-stage latency statistics over the rounds.

use serde::Serialize;

/// p50 / p95 / max of one stage, milliseconds from sending.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StageStats {
    /// Rounds that reached the stage.
    pub count: usize,
    /// Median (nearest rank).
    pub p50_ms: f64,
    /// 95th percentile (nearest rank).
    pub p95_ms: f64,
    /// Largest.
    pub max_ms: f64,
}

/// Nearest-rank percentile of sorted values (`q` in 0..=1).
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

impl StageStats {
    /// Statistics of these values (`None` when there are none).
    pub fn of(values: &[f64]) -> Option<StageStats> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        Some(StageStats {
            count: v.len(),
            p50_ms: percentile(&v, 0.5)?,
            p95_ms: percentile(&v, 0.95)?,
            max_ms: *v.last()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        let s = StageStats::of(&v).unwrap_or_else(|| panic!("none"));
        assert_eq!(
            (s.count, s.p50_ms, s.p95_ms, s.max_ms),
            (100, 50.0, 95.0, 100.0)
        );
        assert_eq!(StageStats::of(&[]), None);
        assert_eq!(StageStats::of(&[7.0]).map(|s| s.p95_ms), Some(7.0));
    }
}
