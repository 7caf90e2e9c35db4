//! The commands layer: one module per `voipctl` command, each a runner that takes the resolved
//! options and the [`Ctx`](crate::Ctx), drives the print-free core, turns what the core returns
//! into output records and hands them to the `Reporter` (`crate::report`).
//!
//! Why a layer of its own: the core (`bundle`, `preflight`, `crash`, `sip`, `logs`, `device`,
//! `push`, `signal`, `probe`, `sim`, `net`) returns plain data — events, outcomes, findings —
//! and never knows where its output goes; everything a user reads (records, tables, JUnit,
//! `--fail-on`, exit outcomes) is decided here. `tests/layers.rs` checks that no core module
//! imports this layer, the reporter, the CLI or the runner.

pub(crate) mod check;
pub(crate) mod completions;
pub(crate) mod device;
pub(crate) mod farm;
pub mod logs;
pub(crate) mod probe;
pub(crate) mod push;
pub(crate) mod signal;
pub(crate) mod sim;
