//! Networking pieces shared by commands that talk to servers (`push`, `signal`).

pub(crate) mod tls;
