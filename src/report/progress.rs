//! Progress bars for long work (bulk pushes, probe rounds, watch with a duration). Shown on stderr
//! only when stderr is a terminal and the output is for people; otherwise every call is a no-op.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar, or nothing.
#[derive(Debug, Clone)]
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar of `len` steps when `enabled`, else a no-op handle.
    pub fn new(enabled: bool, len: u64, what: &str) -> Self {
        if !enabled {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {pos}/{len} {per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        Progress(Some(bar))
    }

    /// A no-op handle.
    pub fn hidden() -> Self {
        Progress(None)
    }

    /// Advance by `n`.
    pub fn inc(&self, n: u64) {
        if let Some(b) = &self.0 {
            b.inc(n);
        }
    }

    /// Remove the bar from the terminal.
    pub fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}
