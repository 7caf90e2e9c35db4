//! `voipctl signal send` and `voipctl signal serve`: the runners and records over the signalling
//! engine in [`crate::signal`].

pub(crate) mod send;
pub(crate) mod serve;

pub(crate) use send::{Expect, Payload, SendOptions, run_send};
pub(crate) use serve::{Listen, ServeOptions, run_serve};
