//! The `voipctl` binary: everything lives in the library; this file only wires the process's
//! arguments and standard streams to [`voipctl::run`] and turns the outcome into an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = voipctl::run(std::env::args_os(), voipctl::Streams::stdio());
    ExitCode::from(code.as_u8())
}
