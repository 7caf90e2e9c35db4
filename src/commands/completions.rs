//! Shell completions and the man page, generated from the clap definition. The committed copies
//! under `completions/` are compared with freshly generated ones by a test, so they never go
//! stale: refresh them with `cargo run -- completions --dir completions`.

use crate::context::{Ctx, Outcome};
use crate::error::Error;
use clap::CommandFactory;
use clap_complete::Shell;
use std::path::PathBuf;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Bash completions.
    Bash,
    /// Zsh completions.
    Zsh,
    /// Fish completions.
    Fish,
    /// PowerShell completions.
    PowerShell,
    /// Elvish completions.
    Elvish,
    /// The man page.
    Man,
}

impl Target {
    const ALL: [Target; 6] = [
        Target::Bash,
        Target::Zsh,
        Target::Fish,
        Target::PowerShell,
        Target::Elvish,
        Target::Man,
    ];

    /// File name under `completions/`.
    pub(crate) fn file_name(self) -> &'static str {
        match self {
            Target::Bash => "voipctl.bash",
            Target::Zsh => "_voipctl",
            Target::Fish => "voipctl.fish",
            Target::PowerShell => "_voipctl.ps1",
            Target::Elvish => "voipctl.elv",
            Target::Man => "voipctl.1",
        }
    }
}

/// Resolved options of `voipctl completions`.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// Print this one to stdout.
    pub target: Option<Target>,
    /// Or write them all here.
    pub dir: Option<PathBuf>,
}

/// Generate one target's text.
pub(crate) fn generate(target: Target) -> Vec<u8> {
    let mut cmd = crate::cli::Cli::command();
    let mut buf = Vec::new();
    let shell = match target {
        Target::Bash => Shell::Bash,
        Target::Zsh => Shell::Zsh,
        Target::Fish => Shell::Fish,
        Target::PowerShell => Shell::PowerShell,
        Target::Elvish => Shell::Elvish,
        Target::Man => {
            // Writing into a Vec cannot fail.
            let _ = clap_mangen::Man::new(cmd).render(&mut buf);
            return buf;
        }
    };
    clap_complete::generate(shell, &mut cmd, "voipctl", &mut buf);
    buf
}

pub(crate) fn run(ctx: &mut Ctx, opts: Options) -> crate::Result<Outcome> {
    if let Some(dir) = opts.dir {
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::output_file(WriteError(dir.clone(), e)))?;
        for t in Target::ALL {
            let path = dir.join(t.file_name());
            std::fs::write(&path, generate(t))
                .map_err(|e| Error::output_file(WriteError(path, e)))?;
        }
        return Ok(Outcome::Ok);
    }
    if let Some(t) = opts.target {
        let out = ctx.reporter.raw();
        out.write_all(&generate(t))?;
        out.flush()?;
    }
    Ok(Outcome::Ok)
}

#[derive(Debug, thiserror::Error)]
#[error("write {}", .0.display())]
struct WriteError(PathBuf, #[source] std::io::Error);

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed files under `completions/` match the CLI. If this fails, run
    /// `cargo run -- completions --dir completions` and commit the result.
    #[test]
    fn committed_completions_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
        for t in Target::ALL {
            let committed = std::fs::read(dir.join(t.file_name())).unwrap_or_default();
            assert!(
                committed == generate(t),
                "completions/{} is stale: run `cargo run -- completions --dir completions`",
                t.file_name()
            );
        }
    }
}
