//! voipctl: will this iOS VoIP app wake, ring and recover on a real iPhone — and if not, why?
//!
//! The library holds every capability; the binary is a thin shell around [`run`]. Data flows one
//! way: source → decode → classify → track → report. The library never prints: everything a
//! command says goes through the `report::Reporter` handed to it, onto the streams that the
//! caller passed to [`run`] (tests pass in-memory buffers and call `run` many times).
//!
//! Two layers:
//!
//! - **The core** returns plain data and knows nothing of output: [`bundle`] (reading `.ipa`s,
//!   Mach-O, profiles), [`preflight`] (the check rules over the facts), [`crash`] (crash and
//!   Jetsam reports), [`sip`], [`logs`] (the log pipeline up to verdicts), [`device`] (the
//!   device protocols), [`push`] and `signal` (the APNs and signalling engines), `probe`
//!   (stages, rounds, clock, cause chains), [`sim`] (the simulated iPhone), `net`, and the
//!   small shared modules (`duration`, `error`, `exit`, [`sanitize`]).
//! - **The commands layer** turns that data into what users read: `cli` (clap types,
//!   resolved into options), [`commands`] (one runner per command with its records), `report`
//!   (the reporter: human, JSON Lines, JUnit, HTML), the [`Ctx`] every runner receives and
//!   [`run`] (argv to exit code).
//!
//! No core module imports the commands layer: `tests/layers.rs` checks it over the source.

#![warn(clippy::print_stdout, clippy::print_stderr)]
#![warn(unreachable_pub)]

pub mod bundle;
pub(crate) mod cli;
pub mod commands;
mod context;
pub mod crash;
pub mod device;
pub(crate) mod diagnosis;
pub(crate) mod duration;
pub(crate) mod error;
pub(crate) mod exit;
pub mod logs;
pub(crate) mod net;
pub mod preflight;
pub(crate) mod probe;
pub mod push;
pub(crate) mod report;
mod run;
pub mod sanitize;
pub(crate) mod severity;
pub(crate) mod signal;
pub mod sim;
pub mod sip;
pub(crate) mod stats;
mod timestamp;

pub use context::{Cancel, Ctx, Outcome};
pub use error::{Error, Result};
pub use exit::Code;
pub use run::{Streams, run};
