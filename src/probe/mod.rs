//! The probe engine: what `voipctl probe` measures, as data. A round's stages ([`stage`]), the
//! round's state and verdict ([`round`]), the phone's clock put on the host's ([`clock`]), per
//! stage statistics ([`stats`]), the cause chain of a round that did not pass ([`diagnose`]) and
//! the triggers (a push through APNs, a wake on the app's VoIP socket: `trigger`). The runner
//! and its records are in [`crate::commands::probe`].

pub(crate) mod clock;
pub(crate) mod diagnose;
pub(crate) mod round;
pub(crate) mod stage;
pub(crate) mod stats;
pub(crate) mod trigger;

pub(crate) use stage::{End, Stage};
