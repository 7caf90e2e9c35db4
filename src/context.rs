//! What every command receives: the reporter, the diagnostics stream, whether progress bars may be
//! drawn, and the cancellation signal (Ctrl-C / SIGTERM).

use crate::exit::Code;
use crate::report::{Progress, Reporter, Style};
use std::io::Write;
use tokio::sync::watch;

/// How a command that ran ended (the `outcome` of every `summary` record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Nothing failed.
    Ok,
    /// Findings, thresholds or requests failed.
    Failed,
    /// Stopped by Ctrl-C / SIGTERM after reporting what it had.
    Interrupted,
}

impl Outcome {
    /// The exit code for this outcome.
    pub fn code(self) -> Code {
        match self {
            Outcome::Ok => Code::Ok,
            Outcome::Failed => Code::ChecksFailed,
            Outcome::Interrupted => Code::Interrupted,
        }
    }
    /// `Failed` when `failed`, else `Ok`.
    pub fn from_failed(failed: bool) -> Self {
        if failed { Outcome::Failed } else { Outcome::Ok }
    }
}

/// Fires once when the user asks the program to stop.
#[derive(Debug, Clone)]
pub struct Cancel(watch::Receiver<bool>);

impl Cancel {
    /// A token and the sender that fires it.
    pub fn new() -> (watch::Sender<bool>, Cancel) {
        let (tx, rx) = watch::channel(false);
        (tx, Cancel(rx))
    }
    /// A token that never fires.
    pub fn never() -> Cancel {
        let (tx, rx) = watch::channel(false);
        std::mem::forget(tx);
        Cancel(rx)
    }
    /// True once cancellation was requested.
    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }
    /// Resolves when cancellation is requested (immediately if it already was).
    pub async fn cancelled(&self) {
        let mut rx = self.0.clone();
        // An Err means the sender is gone: nobody can cancel any more.
        if rx.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Shared context of one command run.
pub struct Ctx {
    /// Data output (stdout).
    pub reporter: Reporter,
    /// Diagnostics (stderr): warnings and notes for people.
    pub diag: Box<dyn Write + Send>,
    /// Style for the diagnostics stream.
    pub diag_style: Style,
    /// Progress bars allowed (stderr is a terminal and the output is for people, not `-q`).
    pub progress: bool,
    /// Ctrl-C / SIGTERM.
    pub cancel: Cancel,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("reporter", &self.reporter)
            .finish_non_exhaustive()
    }
}

impl Ctx {
    /// A warning for people on stderr (never on stdout, so JSON stays clean). Silenced by `-q`.
    pub fn warn(&mut self, msg: &str) {
        if self.diag_style.quiet {
            return;
        }
        let label = self.diag_style.warn("warning:");
        // A failing stderr is not worth failing the command for.
        let _ = writeln!(self.diag, "{label} {}", crate::sanitize::terminal(msg));
    }

    /// An informational note for people on stderr, shown with `-v`.
    pub fn note(&mut self, msg: &str) {
        if self.diag_style.verbose == 0 {
            return;
        }
        let label = self.diag_style.dim("note:");
        let _ = writeln!(self.diag, "{label} {}", crate::sanitize::terminal(msg));
    }

    /// A progress bar of `len` steps (hidden when not allowed).
    pub fn progress(&self, len: u64, what: &str) -> Progress {
        Progress::new(self.progress, len, what)
    }
}
