//! Networking pieces shared by commands that talk to servers (`push`, `signal`).

pub mod tls;
