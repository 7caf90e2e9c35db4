//! The library's top-level error: a category that decides the exit code, a message, and the cause
//! chain. Each capability keeps its own `thiserror` enum and converts into the category it
//! belongs to.
//!
//! One phrasing for every message users read: **what failed: why; what to do next**. "What
//! failed" is a lowercase fragment that reads after "failed to …" (`read the log file x.log`,
//! `talk to 00008030…`), never "could not …" or "error …" (the renderer adds `error:`); "why"
//! follows a colon or comes as the next cause in the chain (`caused by:`); the next step, when
//! there is one, follows a semicolon and names the exact option or command
//! (`…: the iPhone is locked; unlock it (enter the passcode) and run the command again`).
//! A message may span lines (a TOML error's caret excerpt): the renderer indents the
//! continuation lines instead of escaping the line breaks.

use crate::exit::Code;
use std::error::Error as StdError;

/// A boxed cause from a capability's own error type.
pub(crate) type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Why a command could not run to the end.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line is inconsistent in a way clap cannot express.
    #[error("{0}")]
    Usage(String),
    /// An input file is unreadable or malformed.
    #[error(transparent)]
    Input(BoxError),
    /// The phone or usbmuxd failed.
    #[error(transparent)]
    Device(BoxError),
    /// A network peer or service failed.
    #[error(transparent)]
    Network(BoxError),
    /// Writing our own stdout or stderr failed. A closed pipe (`voipctl … | head`) is not an
    /// error: see [`Error::is_broken_pipe`].
    #[error("write output")]
    Output(#[source] std::io::Error),
    /// Writing a file of ours failed (`watch --record`, `completions --dir`,
    /// `signal serve --write-cert`).
    #[error(transparent)]
    OutputFile(BoxError),
    /// Ctrl-C or SIGTERM arrived before the command could finish its work.
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    /// An input error from any capability error.
    pub fn input(e: impl Into<BoxError>) -> Self {
        Error::Input(e.into())
    }
    /// A device error from any capability error.
    pub fn device(e: impl Into<BoxError>) -> Self {
        Error::Device(e.into())
    }
    /// A network error from any capability error.
    pub fn network(e: impl Into<BoxError>) -> Self {
        Error::Network(e.into())
    }
    /// An error writing a file of ours.
    pub fn output_file(e: impl Into<BoxError>) -> Self {
        Error::OutputFile(e.into())
    }

    /// The exit code this error maps to.
    pub fn code(&self) -> Code {
        match self {
            Error::Usage(_) => Code::Usage,
            Error::Input(_) => Code::Input,
            Error::Output(_) | Error::OutputFile(_) => Code::Output,
            Error::Device(_) => Code::Device,
            Error::Network(_) => Code::Network,
            Error::Interrupted => Code::Interrupted,
        }
    }

    /// True when the error is a closed pipe on our own stdout (`voipctl … | head`): exit
    /// quietly. Only [`Error::Output`] qualifies: a network peer or a device socket that closes
    /// mid-write is a network or device error, whatever its `io::ErrorKind`.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// The message followed by each distinct cause, outermost first.
    pub fn chain(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut cur: Option<&(dyn StdError + 'static)> = Some(self);
        while let Some(e) = cur {
            let msg = e.to_string();
            if out.last().is_none_or(|last| !last.contains(&msg)) {
                out.push(msg);
            }
            cur = e.source();
        }
        out
    }
}

/// A bare `io::Error` reaching the top is a failed write to our own stdout or stderr: the
/// reporter's writes are the only ones propagated with `?` as they are. Every other I/O error is
/// wrapped into its category where it happens — input files ([`Error::input`]), device sockets
/// (`DeviceError`, [`Error::device`]), network peers ([`Error::network`]), files we write
/// ([`Error::output_file`]) — so that its exit code says which it was.
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Output(e)
    }
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error as IoError, ErrorKind};

    #[derive(Debug, thiserror::Error)]
    #[error("write to the peer")]
    struct Peer(#[source] IoError);

    #[test]
    fn only_our_own_closed_stdout_is_quiet() {
        let ours = Error::from(IoError::from(ErrorKind::BrokenPipe));
        assert!(ours.is_broken_pipe());
        assert_eq!(ours.code(), Code::Output);
        // A peer's broken pipe is the peer's failure, not a closed `| head`.
        let peer = Error::network(Peer(IoError::from(ErrorKind::BrokenPipe)));
        assert!(!peer.is_broken_pipe());
        assert_eq!(peer.code(), Code::Network);
        let device = Error::device(Peer(IoError::from(ErrorKind::BrokenPipe)));
        assert!(!device.is_broken_pipe());
        assert_eq!(device.code(), Code::Device);
        let file = Error::output_file(Peer(IoError::from(ErrorKind::BrokenPipe)));
        assert!(!file.is_broken_pipe());
        assert_eq!(file.code(), Code::Output);
    }

    #[test]
    fn io_errors_exit_by_where_they_happened() {
        let io = || IoError::from(ErrorKind::NotFound);
        assert_eq!(Error::input(io()).code(), Code::Input);
        assert_eq!(Error::device(io()).code(), Code::Device);
        assert_eq!(Error::network(io()).code(), Code::Network);
        assert_eq!(
            Error::from(IoError::from(ErrorKind::StorageFull)).code(),
            Code::Output
        );
    }
}
