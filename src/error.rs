//! The library's top-level error: a category that decides the exit code, a message that reads
//! after "failed to …", and the cause chain. Each capability keeps its own `thiserror` enum and
//! converts into the category it belongs to.

use crate::exit::Code;
use std::error::Error as StdError;

/// A boxed cause from a capability's own error type.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

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
    /// Writing the report failed (other than a closed pipe, which is not an error).
    #[error("could not write output")]
    Output(#[source] std::io::Error),
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

    /// The exit code this error maps to.
    pub fn code(&self) -> Code {
        match self {
            Error::Usage(_) => Code::Usage,
            Error::Input(_) | Error::Output(_) => Code::Input,
            Error::Device(_) => Code::Device,
            Error::Network(_) => Code::Network,
            Error::Interrupted => Code::Interrupted,
        }
    }

    /// True when the error is a closed output pipe (`voipctl … | head`): exit quietly.
    pub fn is_broken_pipe(&self) -> bool {
        let mut cur: Option<&(dyn StdError + 'static)> = Some(self);
        while let Some(e) = cur {
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::BrokenPipe
            {
                return true;
            }
            cur = e.source();
        }
        false
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

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Output(e)
    }
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
