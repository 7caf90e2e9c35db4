//! The `voipctl` binary: everything lives in the library; this file only wires the process's
//! arguments and standard streams to [`voipctl::run`] and turns the outcome into an exit code.

use std::process::ExitCode;

// mimalloc instead of the system allocator: `push` allocates a few KiB-sized futures per
// request, which glibc serves from its slow bins (measured: ~15% of push's CPU time). Its v2
// line: v3 faulted in fresh (huge) pages for them all run long, with a larger resident set.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let code = voipctl::run(std::env::args_os(), voipctl::Streams::stdio());
    ExitCode::from(code.as_u8())
}
