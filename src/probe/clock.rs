//! The offset between the phone's clock and the host's, from the lines themselves.
//!
//! Every phone line was stamped before the host received it, so `offset ≥ stamp − received`.
//! A line that a trigger caused was stamped after the host sent that trigger, so
//! `offset ≤ stamp + resolution − sent` (the resolution of the stamp: 1 µs for os_trace_relay,
//! 1 s for syslog_relay). The estimate is the middle of the tightest interval all lines allow,
//! and its uncertainty is half that interval's width: no assumption about network symmetry, and
//! an interval that closes up (lines that contradict each other, a clock that jumped) is
//! reported as such rather than hidden.

use serde::Serialize;

/// Bounds gathered so far.
#[derive(Debug, Clone, Default)]
pub(crate) struct OffsetBounds {
    lower: Option<f64>,
    upper: Option<f64>,
    lines: u64,
}

/// The estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Offset {
    /// Phone clock minus host clock, milliseconds.
    pub offset_ms: f64,
    /// Half the width of the interval the lines allow, milliseconds (the true offset is within
    /// `offset_ms ± uncertainty_ms`).
    pub uncertainty_ms: f64,
    /// Lines used.
    pub lines: u64,
}

impl OffsetBounds {
    /// A line stamped `stamp` (phone, Unix seconds, resolution `res` seconds) received at
    /// `received` (host); `sent`: when the trigger that caused it was sent (host), if it is a
    /// line of a round.
    pub(crate) fn add(&mut self, stamp: f64, res: f64, received: f64, sent: Option<f64>) {
        if !(stamp.is_finite() && received.is_finite()) {
            return;
        }
        self.lines += 1;
        let lo = stamp - received;
        self.lower = Some(self.lower.map_or(lo, |l| l.max(lo)));
        if let Some(s) = sent.filter(|s| s.is_finite()) {
            let hi = stamp + res - s;
            self.upper = Some(self.upper.map_or(hi, |u| u.min(hi)));
        }
    }

    /// The estimate, when the lines bound it on both sides consistently.
    pub(crate) fn estimate(&self) -> Result<Offset, &'static str> {
        match (self.lower, self.upper) {
            (None, _) => Err("no phone line was seen"),
            (Some(_), None) => Err("no line of a round was seen (only an upper bound is missing)"),
            (Some(l), Some(u)) if l > u => Err(
                "the lines contradict each other (the phone's clock jumped, or a line was joined to the wrong round)",
            ),
            (Some(l), Some(u)) => Ok(Offset {
                offset_ms: (l + u) / 2.0 * 1000.0,
                uncertainty_ms: (u - l) / 2.0 * 1000.0,
                lines: self.lines,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bounds_meet_around_the_true_offset() {
        let mut b = OffsetBounds::default();
        // Phone 2.5 s ahead; sent at 100, stamped 40 ms later (phone: 102.54), received 5 ms after.
        b.add(102.54, 1e-6, 100.045, Some(100.0));
        let o = b.estimate().unwrap_or_else(|e| panic!("{e}"));
        assert!((o.offset_ms - 2500.0).abs() <= o.uncertainty_ms + 1e-6);
        assert!(o.uncertainty_ms <= 23.0);
        assert_eq!(b.estimate().map(|o| o.lines), Ok(1));
        assert!(OffsetBounds::default().estimate().is_err());
    }

    proptest! {
        /// Whatever the delays, the true offset is inside the reported interval.
        #[test]
        fn the_true_offset_is_always_inside(
            offset in -5000.0f64..5000.0,
            rounds in proptest::collection::vec((0.0f64..2.0, 0.0f64..0.5), 1..20),
        ) {
            let mut b = OffsetBounds::default();
            let mut t = 1000.0;
            for (to_phone, to_host) in rounds {
                let stamp_host = t + to_phone;
                b.add(stamp_host + offset, 1e-6, stamp_host + to_host, Some(t));
                t += 3.0;
            }
            let o = b.estimate().unwrap_or_else(|e| panic!("{e}"));
            prop_assert!((o.offset_ms - offset * 1000.0).abs() <= o.uncertainty_ms + 1e-3);
        }
    }
}
