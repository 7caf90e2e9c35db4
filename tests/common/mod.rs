//! The one way the tests run voipctl: the real binary ([`voipctl`], then [`output`] or
//! [`output_within`]) or the library in this process ([`in_process`]). Each test file adds its
//! own environment (colour, `USBMUXD_SOCKET_ADDRESS`, …) to the command it gets here.

#![allow(dead_code)] // each test binary uses a part

use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The voipctl binary of this build, with no standard input.
pub fn voipctl() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_voipctl"));
    c.stdin(Stdio::null());
    c
}

/// Run to the end and capture stdout and stderr.
pub fn output(c: &mut Command) -> Output {
    c.output()
        .unwrap_or_else(|e| panic!("could not run {c:?}: {e}"))
}

/// Run with captured output for at most `limit`; killed after it. The output, and whether it
/// had to be killed.
pub fn output_within(mut c: Command, limit: Duration) -> (Output, bool) {
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c
        .spawn()
        .unwrap_or_else(|e| panic!("could not run {c:?}: {e}"));
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let start = Instant::now();
    let mut killed = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) => {}
            Err(e) => panic!("could not wait for {c:?}: {e}"),
        }
        if start.elapsed() > limit && !killed {
            let _ = child.kill();
            killed = true;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    };
    (output, killed)
}

fn drain<R: Read + Send + 'static>(r: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut v = Vec::new();
        if let Some(mut r) = r {
            let _ = r.read_to_end(&mut v);
        }
        v
    })
}

/// An in-memory stream for [`in_process`].
#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buf {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

/// `voipctl ARGS…` through `voipctl::run` in this process, with in-memory streams (not
/// terminals): the exit code, stdout and stderr.
pub fn in_process(args: &[&str]) -> (u8, String, String) {
    let out = Buf::default();
    let err = Buf::default();
    let mut argv = vec!["voipctl"];
    argv.extend_from_slice(args);
    let code = voipctl::run(
        argv,
        voipctl::Streams {
            out: Box::new(out.clone()),
            err: Box::new(err.clone()),
            out_tty: false,
            err_tty: false,
        },
    );
    (code.as_u8(), out.text(), err.text())
}
