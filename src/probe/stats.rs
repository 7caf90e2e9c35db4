//! Per-stage latency statistics over the rounds: the one stats shape ([`crate::stats::Stats`]),
//! in milliseconds from sending.

pub(crate) use crate::stats::Stats as StageStats;
