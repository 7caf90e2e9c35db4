//! Colour and verbosity for human output. Colour is decided once (flag, `NO_COLOR`, `TERM=dumb`,
//! terminal or not) and carried here, so rendering code never looks at the environment.

use colored::Colorize;

/// How human output looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Emit ANSI colour.
    pub color: bool,
    /// `-v` count.
    pub verbose: u8,
    /// `-q`: only what matters (failures and the summary).
    pub quiet: bool,
}

impl Style {
    /// No colour, default verbosity.
    pub fn plain() -> Self {
        Style {
            color: false,
            verbose: 0,
            quiet: false,
        }
    }

    fn paint(&self, s: &str, f: impl FnOnce(&str) -> colored::ColoredString) -> String {
        if self.color {
            f(s).to_string()
        } else {
            s.to_string()
        }
    }
    /// Failure, error severity.
    pub fn error(&self, s: &str) -> String {
        self.paint(s, |s| s.red().bold())
    }
    /// Warning severity.
    pub fn warn(&self, s: &str) -> String {
        self.paint(s, |s| s.yellow().bold())
    }
    /// Success.
    pub fn ok(&self, s: &str) -> String {
        self.paint(s, |s| s.green().bold())
    }
    /// Informational.
    pub fn info(&self, s: &str) -> String {
        self.paint(s, |s| s.cyan())
    }
    /// De-emphasised (timestamps, hints).
    pub fn dim(&self, s: &str) -> String {
        self.paint(s, |s| s.dimmed())
    }
    /// Emphasised (names, IDs).
    pub fn bold(&self, s: &str) -> String {
        self.paint(s, |s| s.bold())
    }
}
