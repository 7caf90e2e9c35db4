//! `voipctl analyze` (a saved log) and `voipctl watch` (the phone, live): both feed the logs
//! pipeline ([`crate::logs::Pipeline`]) and report what it returns ([`records`]).

mod analyze;
pub mod records;
mod watch;

pub(crate) use analyze::{AnalyzeOptions, Input, run_analyze};
pub(crate) use watch::{WatchOptions, run_watch};

use crate::logs::track::Check;

/// A `--fail-on` threshold: fail when the check's count is over `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailOn {
    /// The check.
    pub check: Check,
    /// Allowed count.
    pub max: u64,
}
