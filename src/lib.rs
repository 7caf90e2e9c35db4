//! voipctl: will this iOS VoIP app wake, ring and recover on a real iPhone — and if not, why?
//!
//! The library holds every capability; the binary is a thin shell around [`run`]. Data flows one
//! way: source → decode → classify → track → report. The library never prints: everything a
//! command says goes through the [`report::Reporter`] handed to it, onto the streams that the
//! caller passed to [`run`] (tests pass in-memory buffers and call `run` many times).

#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod bundle;
pub mod check;
pub mod cli;
mod completions;
mod context;
pub mod crash;
pub mod device;
pub mod duration;
pub mod error;
pub mod exit;
pub mod farm;
pub mod logs;
pub mod net;
pub mod preflight;
pub mod probe;
pub mod push;
pub mod report;
mod run;
pub mod sanitize;
pub mod severity;
pub mod signal;
pub mod sim;
pub mod sip;
pub mod stats;
mod timestamp;

pub use context::{Cancel, Ctx, Outcome};
pub use error::{Error, Result};
pub use exit::Code;
pub use run::{Streams, run};
