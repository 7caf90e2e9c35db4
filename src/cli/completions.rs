//! `voipctl completions`.

use crate::commands::completions::{Options, Target};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Arguments of `voipctl completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// Shell (or `man` for the man page) to print.
    #[arg(value_enum, required_unless_present = "dir")]
    pub shell: Option<TargetArg>,
    /// Write every shell's completions and the man page into DIR (this is how `completions/` is refreshed).
    #[arg(long, value_name = "DIR", conflicts_with = "shell")]
    pub dir: Option<PathBuf>,
}

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TargetArg {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// PowerShell.
    Powershell,
    /// Elvish.
    Elvish,
    /// The man page (roff).
    Man,
}

impl CompletionsArgs {
    /// Plain options for the command module.
    pub(crate) fn resolve(self) -> Options {
        let target = self.shell.map(|s| match s {
            TargetArg::Bash => Target::Bash,
            TargetArg::Zsh => Target::Zsh,
            TargetArg::Fish => Target::Fish,
            TargetArg::Powershell => Target::PowerShell,
            TargetArg::Elvish => Target::Elvish,
            TargetArg::Man => Target::Man,
        });
        Options {
            target,
            dir: self.dir,
        }
    }
}
