//! `voipctl signal`: the real binary against real SIP software (sipsak, kamailio) and against a
//! hand-played app on a raw socket. Every test is bounded: ports are picked by the OS, waits have
//! deadlines, and every child process is killed when its guard drops.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "support/schema.rs"]
mod schema;

use serde::Deserialize;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(15);

fn voipctl() -> Command {
    let mut c = common::voipctl();
    c.env("NO_COLOR", "1");
    c
}

fn run(args: &[&str]) -> Output {
    common::output(voipctl().args(args))
}

fn lines(out: &Output) -> Vec<Value> {
    schema::validate(&String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn of_type<'a>(v: &'a [Value], t: &str) -> Vec<&'a Value> {
    v.iter().filter(|r| r["type"] == t).collect()
}

/// Decode a record into a test-side struct that denies unknown fields.
fn pin<T: for<'de> Deserialize<'de>>(v: &Value) -> T {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("type");
        o.remove("schema_version");
    }
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{e}: {v}"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Connected {
    target: String,
    transport: String,
    local: String,
    peer: String,
    connect_ms: f64,
    tls: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Provisional {
    status: u16,
    reason: String,
    ms: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Round {
    seq: u32,
    request: String,
    bytes: usize,
    result: String,
    status: Option<u16>,
    reason: Option<String>,
    rtt_ms: Option<f64>,
    #[serde(default)]
    provisional: Vec<Provisional>,
    server: Option<String>,
    reply: Option<String>,
    reply_bytes: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Rtt {
    count: u64,
    min: f64,
    max: f64,
    mean: f64,
    stddev: f64,
    p50: f64,
    p95: f64,
    p99: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SendSummary {
    command: String,
    target: String,
    transport: String,
    sent: u32,
    received: u32,
    lost: u32,
    loss_pct: f64,
    unexpected: u32,
    rtt_ms: Option<Rtt>,
    outcome: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Connection {
    event: String,
    conn: Option<u64>,
    transport: String,
    peer: String,
    at_ms: f64,
    time: String,
    reconnect_after_ms: Option<f64>,
    held_ms: Option<f64>,
    reason: Option<String>,
    messages: Option<u64>,
    keepalives: Option<u64>,
    tls: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Wake {
    event: String,
    wake: u64,
    conn: u64,
    transport: String,
    peer: String,
    at_ms: f64,
    time: String,
    payload: Option<String>,
    answered_ms: Option<f64>,
    answer: Option<String>,
    final_status: Option<u16>,
    final_ms: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ServeSummary {
    command: String,
    duration_ms: f64,
    connections: u64,
    reconnects: u64,
    disconnects: u64,
    rejected: u64,
    evicted: u64,
    requests: u64,
    keepalives: u64,
    malformed: u64,
    wakes_sent: u64,
    wakes_answered: u64,
    wakes_unanswered: u64,
    wake_answer_ms: Option<Rtt>,
    outcome: String,
}

// ---------------------------------------------------------------------------------------------
// `voipctl signal serve` as a child process

struct Serve {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: mpsc::Receiver<Value>,
    seen: Vec<Value>,
}

impl Serve {
    fn start(args: &[&str]) -> Serve {
        let mut child = voipctl()
            .args(["--json", "signal", "serve"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start voipctl signal serve: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let v: Value =
                    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Serve {
            child,
            stdin,
            rx,
            seen: Vec::new(),
        }
    }

    /// The next record matching `pred` (records before it are kept in `seen`).
    fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if pred(&v) {
                        return v;
                    }
                }
                Err(_) => panic!("no {what} record within {WAIT:?}; saw {:#?}", self.seen),
            }
        }
    }

    fn listening(&mut self, transport: &str) -> SocketAddr {
        let v = self.wait_for("listening", |v| {
            v["type"] == "listening" && v["transport"] == transport
        });
        v["addr"].as_str().unwrap().parse().unwrap()
    }

    fn control(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin");
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }

    /// Send `quit`, collect the rest of the records, return them and the exit code.
    fn finish(mut self) -> (Vec<Value>, Option<i32>) {
        self.control("quit");
        let _ = self.wait_for("summary", |v| v["type"] == "summary");
        let status = self.child.wait().unwrap();
        // Every record the server wrote, checked against `voipctl schema`.
        let text: String = self.seen.iter().map(|v| format!("{v}\n")).collect();
        schema::validate(&text);
        (std::mem::take(&mut self.seen), status.code())
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// kamailio started by the test

struct Kamailio {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        // SIGTERM lets the main process take its children down; SIGKILL is the fallback.
        sigterm(self.child.id());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// SIGTERM through the shell's built-in `kill` (no procps needed, no unsafe code).
fn sigterm(pid: u32) {
    let _ = Command::new("sh")
        .args(["-c", &format!("kill -TERM {pid}")])
        .status();
}

fn free_port() -> u16 {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn modules_dir() -> PathBuf {
    for dir in [
        "/usr/lib/x86_64-linux-gnu/kamailio/modules",
        "/usr/lib/aarch64-linux-gnu/kamailio/modules",
        "/usr/lib/kamailio/modules",
        "/usr/local/lib64/kamailio/modules",
    ] {
        if Path::new(dir).join("sl.so").exists() {
            return dir.into();
        }
    }
    panic!(
        "kamailio modules not found: install kamailio (apt-get install kamailio kamailio-tls-modules)"
    );
}

/// Start kamailio in the foreground on a free port: OPTIONS → 200, INVITE → 180 then 486, ACK
/// swallowed, anything else → 200, all stateless (sl).
fn kamailio(tls: bool) -> Kamailio {
    let mods = modules_dir();
    let mut last_log = String::new();
    for _attempt in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut cfg = format!(
            "#!KAMAILIO\ndebug=1\nlog_stderror=yes\nfork=yes\nchildren=1\ntcp_children=1\n\
             auto_aliases=no\nmpath=\"{}/\"\n",
            mods.display()
        );
        if tls {
            let ck = rcgen::generate_simple_self_signed(vec![
                "localhost".to_string(),
                "127.0.0.1".to_string(),
            ])
            .unwrap();
            std::fs::write(dir.path().join("cert.pem"), ck.cert.pem()).unwrap();
            std::fs::write(dir.path().join("key.pem"), ck.signing_key.serialize_pem()).unwrap();
            std::fs::write(
                dir.path().join("tls.cfg"),
                format!(
                    "[server:default]\nmethod = TLSv1.2+\ncertificate = {d}/cert.pem\n\
                     private_key = {d}/key.pem\nverify_certificate = no\nrequire_certificate = no\n",
                    d = dir.path().display()
                ),
            )
            .unwrap();
            cfg.push_str(&format!(
                "enable_tls=yes\nlisten=tls:127.0.0.1:{port}\nloadmodule \"tls.so\"\n\
                 modparam(\"tls\", \"config\", \"{}/tls.cfg\")\n",
                dir.path().display()
            ));
        } else {
            cfg.push_str(&format!(
                "listen=udp:127.0.0.1:{port}\nlisten=tcp:127.0.0.1:{port}\n"
            ));
        }
        cfg.push_str(
            "loadmodule \"sl.so\"\nloadmodule \"pv.so\"\n\
             request_route {\n\
               if ($rm == \"OPTIONS\") { sl_send_reply(\"200\", \"OK\"); exit; }\n\
               if ($rm == \"INVITE\") { sl_send_reply(\"180\", \"Ringing\"); sl_send_reply(\"486\", \"Busy Here\"); exit; }\n\
               if ($rm == \"ACK\") { exit; }\n\
               sl_send_reply(\"200\", \"OK\");\n\
             }\n",
        );
        let cfg_path = dir.path().join("kamailio.cfg");
        std::fs::write(&cfg_path, cfg).unwrap();
        let log = std::fs::File::create(dir.path().join("log")).unwrap();
        let child = Command::new("kamailio")
            .arg("-f")
            .arg(&cfg_path)
            .args(["-DD", "-E", "-m", "16", "-M", "4", "-Y"])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start kamailio ({e}): apt-get install kamailio"));
        let mut k = Kamailio {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(_)) = k.child.try_wait() {
                last_log = std::fs::read_to_string(k._dir.path().join("log")).unwrap_or_default();
                break;
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return k;
            }
            if Instant::now() > deadline {
                panic!("kamailio did not open port {port} within 10 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("kamailio would not start:\n{last_log}");
}

fn cert_path(k: &Kamailio) -> String {
    k._dir.path().join("cert.pem").display().to_string()
}

// ---------------------------------------------------------------------------------------------
// Interop: voipctl signal send → kamailio

fn send_json(args: &[&str]) -> (Vec<Value>, Option<i32>, String) {
    let mut all = vec!["--json", "signal", "send"];
    all.extend_from_slice(args);
    let out = run(&all);
    (
        lines(&out),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn check_options_and_invite(url: &str, extra: &[&str]) {
    let mut args = vec![url, "--count", "3", "--interval", "0"];
    args.extend_from_slice(extra);
    let (recs, code, err) = send_json(&args);
    assert_eq!(code, Some(0), "{err}\n{recs:#?}");
    let _: Connected = pin(of_type(&recs, "connected")[0]);
    let rounds: Vec<Round> = of_type(&recs, "round").into_iter().map(pin).collect();
    assert_eq!(rounds.len(), 3);
    for r in &rounds {
        assert_eq!((r.result.as_str(), r.status), ("ok", Some(200)), "{r:?}");
        assert!(
            r.server.as_deref().unwrap_or("").contains("kamailio"),
            "{r:?}"
        );
    }
    let s: SendSummary = pin(recs.last().unwrap());
    assert_eq!(
        (s.sent, s.received, s.lost, s.outcome.as_str()),
        (3, 3, 0, "ok")
    );
    assert!(s.rtt_ms.is_some());

    let mut args = vec![url, "--method", "invite", "--expect", "486"];
    args.extend_from_slice(extra);
    let (recs, code, err) = send_json(&args);
    assert_eq!(code, Some(0), "{err}\n{recs:#?}");
    let r: Round = pin(of_type(&recs, "round")[0]);
    assert_eq!(r.request, "INVITE");
    assert_eq!(r.status, Some(486));
    assert_eq!(r.provisional.first().map(|p| p.status), Some(180), "{r:?}");

    // Without --expect a 486 is a failed check (exit 1), not a network error.
    let mut args = vec![url, "--method", "invite"];
    args.extend_from_slice(extra);
    let (recs, code, _) = send_json(&args);
    assert_eq!(code, Some(1), "{recs:#?}");
}

#[test]
fn send_options_and_invite_to_kamailio_over_udp_and_tcp() {
    let k = kamailio(false);
    check_options_and_invite(&format!("udp://127.0.0.1:{}", k.port), &[]);
    check_options_and_invite(&format!("tcp://127.0.0.1:{}", k.port), &[]);
    for m in ["register", "message", "notify", "bye", "cancel"] {
        let (recs, code, err) = send_json(&[&format!("tcp://127.0.0.1:{}", k.port), "-m", m]);
        assert_eq!(code, Some(0), "{m}: {err}\n{recs:#?}");
    }
}

#[test]
fn send_options_and_invite_to_kamailio_over_tls() {
    let k = kamailio(true);
    let url = format!("tls://127.0.0.1:{}", k.port);
    let ca = cert_path(&k);
    check_options_and_invite(&url, &["--ca-cert", &ca]);
    let (recs, _, _) = send_json(&[&url, "--ca-cert", &ca]);
    let c: Connected = pin(of_type(&recs, "connected")[0]);
    assert!(c.tls.unwrap_or_default().contains("TLS"));
    // The system trust store does not know this certificate: a TLS error, exit 5.
    let (_, code, err) = send_json(&[&url, "--timeout", "3s"]);
    assert_eq!(code, Some(5), "{err}");
    assert!(
        err.contains("TLS handshake") && err.contains("--ca-cert"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Interop: sipsak → voipctl signal serve

fn sipsak(args: &[&str]) -> Output {
    Command::new("sipsak")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("could not run sipsak ({e}): apt-get install sipsak"))
}

#[test]
fn sipsak_pings_and_registers_with_serve() {
    let mut serve = Serve::start(&[
        "--listen",
        "udp://127.0.0.1:0",
        "--listen",
        "tcp://127.0.0.1:0",
        "--wake-on-stdin",
    ]);
    let udp = serve.listening("udp");
    let tcp = serve.listening("tcp");
    let out = sipsak(&["-v", "-s", &format!("sip:test@127.0.0.1:{}", udp.port())]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("200"),
        "{out:?}"
    );
    let out = sipsak(&[
        "-E",
        "tcp",
        "-s",
        &format!("sip:test@127.0.0.1:{}", tcp.port()),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = sipsak(&[
        "-U",
        "-C",
        "sip:app@127.0.0.1:5999",
        "-s",
        &format!("sip:test@127.0.0.1:{}", udp.port()),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let (recs, code) = serve.finish();
    assert_eq!(code, Some(0));
    let methods: Vec<(&str, u64)> = of_type(&recs, "request")
        .iter()
        .map(|r| (r["method"].as_str().unwrap(), r["status"].as_u64().unwrap()))
        .collect();
    assert!(methods.contains(&("OPTIONS", 200)), "{methods:?}");
    assert!(methods.contains(&("REGISTER", 200)), "{methods:?}");
    for c in of_type(&recs, "connection") {
        let _: Connection = pin(c);
    }
    let s: ServeSummary = pin(recs.last().unwrap());
    assert!(s.connections >= 3 && s.outcome == "ok");
}

// ---------------------------------------------------------------------------------------------
// voipctl against itself: TLS, WebSocket, raw payloads, statistics

#[test]
fn send_over_tls_ws_and_wss_to_serve() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let ca_s = ca.display().to_string();
    let mut serve = Serve::start(&[
        "--listen",
        "tls://127.0.0.1:0",
        "--listen",
        "ws://127.0.0.1:0",
        "--listen",
        "wss://127.0.0.1:0",
        "--write-cert",
        &ca_s,
        "--wake-on-stdin",
    ]);
    let tls = serve.listening("tls");
    let ws = serve.listening("ws");
    let wss = serve.listening("wss");
    for (url, extra) in [
        (format!("tls://{tls}"), vec!["--ca-cert", &ca_s]),
        (format!("ws://{ws}/"), vec![]),
        (format!("wss://{wss}/sip"), vec!["--ca-cert", &ca_s]),
    ] {
        let mut args = vec![
            url.as_str(),
            "-m",
            "register",
            "--count",
            "2",
            "--interval",
            "0",
        ];
        args.extend(extra);
        let (recs, code, err) = send_json(&args);
        assert_eq!(code, Some(0), "{url}: {err}\n{recs:#?}");
        let s: SendSummary = pin(recs.last().unwrap());
        assert_eq!((s.sent, s.received), (2, 2), "{url}");
    }
    // No --ca-cert: the self-signed certificate is refused; exit 5 and a hint.
    let (_, code, err) = send_json(&[&format!("tls://{tls}"), "--timeout", "3s"]);
    assert_eq!(code, Some(5));
    assert!(err.contains("TLS handshake"), "{err}");
    // A WebSocket client that does not offer subprotocol `sip` is turned away.
    let mut s = TcpStream::connect(ws).unwrap();
    s.write_all(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .unwrap();
    let mut reply = String::new();
    s.set_read_timeout(Some(WAIT)).unwrap();
    let _ = s.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
    let (recs, code) = serve.finish();
    assert_eq!(code, Some(0));
    assert!(
        of_type(&recs, "connection")
            .iter()
            .any(|c| c["event"] == "reject")
    );
}

#[test]
fn raw_payloads_and_statistics() {
    let mut serve = Serve::start(&[
        "--listen",
        "udp://127.0.0.1:0",
        "--listen",
        "tcp://127.0.0.1:0",
        "--wake-on-stdin",
    ]);
    let udp = serve.listening("udp");
    let tcp = serve.listening("tcp");
    // A double-CRLF ping as hex over TCP gets a single-CRLF pong.
    let (recs, code, err) = send_json(&[&format!("tcp://{tcp}"), "--hex", "0d0a0d0a"]);
    assert_eq!(code, Some(0), "{err}");
    let r: Round = pin(of_type(&recs, "round")[0]);
    assert_eq!((r.request.as_str(), r.reply_bytes), ("raw", Some(2)));
    // A SIP request from a file, sent as is.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("options.sip");
    std::fs::write(
        &file,
        "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKf1;rport\r\n\
         From: <sip:a@b>;tag=1\r\nTo: <sip:x>\r\nCall-ID: f1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
    )
    .unwrap();
    let (recs, code, err) = send_json(&[&format!("udp://{udp}"), "--file", file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let r: Round = pin(of_type(&recs, "round")[0]);
    assert_eq!(r.status, Some(200));
    // Count and statistics.
    let (recs, code, err) = send_json(&[&format!("udp://{udp}"), "-c", "5", "-i", "0"]);
    assert_eq!(code, Some(0), "{err}");
    let s: SendSummary = pin(recs.last().unwrap());
    assert_eq!((s.sent, s.received, s.loss_pct), (5, 5, 0.0));
    let rtt = s.rtt_ms.unwrap();
    assert!(rtt.min <= rtt.p50 && rtt.p50 <= rtt.p95 && rtt.p95 <= rtt.max);
    // Human output.
    let out = run(&[
        "signal",
        "send",
        &format!("udp://{udp}"),
        "-c",
        "2",
        "-i",
        "0",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("OPTIONS #2  200 OK"), "{text}");
    assert!(text.contains("2 sent, 2 answered, 0.0% loss"), "{text}");
    assert!(text.contains("rtt min/avg/max/p50/p95"), "{text}");
    let (_, code) = serve.finish();
    assert_eq!(code, Some(0));
}

#[test]
fn send_is_interrupted_by_sigterm_and_reports_junit() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let target = format!("udp://{}", silent.local_addr().unwrap());
    let mut child = voipctl()
        .args(["--json", "signal", "send", &target, "--timeout", "60s"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // The request arriving at our socket means voipctl is waiting for the reply.
    silent.set_read_timeout(Some(WAIT)).unwrap();
    let mut buf = [0u8; 2048];
    let (n, _) = silent.recv_from(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"OPTIONS "));
    sigterm(child.id());
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130));
    schema::validate(&stdout);
    let last: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let s: SendSummary = pin(&last);
    assert!(s.outcome == "interrupted" && s.sent == 1);

    let out = run(&[
        "--format",
        "junit",
        "signal",
        "send",
        &target,
        "--timeout",
        "200ms",
    ]);
    assert_eq!(out.status.code(), Some(5));
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(
        xml.contains("<testcase classname=\"signal send\" name=\"OPTIONS #1\""),
        "{xml}"
    );
    assert!(xml.contains("no reply"), "{xml}");
}

#[test]
fn send_errors_are_network_errors() {
    // Refused: nothing listens on a port we just released.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = run(&["signal", "send", &format!("tcp://127.0.0.1:{port}")]);
    assert_eq!(out.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&out.stderr).contains("connection refused"));
    // Timeout: a UDP socket that never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let out = run(&[
        "--json",
        "signal",
        "send",
        &format!("udp://{}", silent.local_addr().unwrap()),
        "--timeout",
        "300ms",
        "-c",
        "2",
        "-i",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(5));
    let recs = lines(&out);
    let s: SendSummary = pin(recs.last().unwrap());
    assert_eq!((s.sent, s.received, s.lost, s.loss_pct), (2, 0, 2, 100.0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing came back"));
    // Closed/reset: a TCP server that hangs up at once.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        drop(s);
    });
    let out = run(&[
        "signal",
        "send",
        &format!("tcp://{addr}"),
        "--timeout",
        "5s",
    ]);
    t.join().unwrap();
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("reset") || err.contains("closed"), "{err}");
    // A hostile server streaming an endless header: the client stops at the limit.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let _ = s.write_all(b"SIP/2.0 200 OK\r\nX-Junk: ");
        let junk = vec![b'a'; 8192];
        for _ in 0..64 {
            if s.write_all(&junk).is_err() {
                break;
            }
        }
    });
    let out = run(&[
        "signal",
        "send",
        &format!("tcp://{addr}"),
        "--timeout",
        "5s",
    ]);
    t.join().unwrap();
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("exceed"), "{err}");
    // Bad command lines are usage errors.
    assert_eq!(run(&["signal", "send", "ftp://x"]).status.code(), Some(2));
    assert_eq!(
        run(&["signal", "send", "h", "--interval", "soon"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&["signal", "send", "h", "-m", "invite", "--text", "x"])
            .status
            .code(),
        Some(2)
    );
    // A missing payload file is an input error.
    assert_eq!(
        run(&["signal", "send", "h", "--file", "/nonexistent/x"])
            .status
            .code(),
        Some(3)
    );
}

// ---------------------------------------------------------------------------------------------
// The legacy VoIP-socket wake test, with the app played by this test

fn read_sip(s: &mut TcpStream, buf: &mut Vec<u8>) -> voipctl::sip::Message {
    let mut framer = voipctl::sip::Framer::new(voipctl::sip::Limits::default());
    framer.push(buf).unwrap();
    buf.clear();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(voipctl::sip::Frame::Message(m)) = framer.next_frame().unwrap() {
            return m;
        }
        let n = s.read(&mut chunk).unwrap();
        assert!(n > 0, "serve closed the connection");
        framer.push(&chunk[..n]).unwrap();
    }
}

#[test]
fn wake_on_demand_is_answered_by_the_app() {
    let mut serve = Serve::start(&["--listen", "tcp://127.0.0.1:0", "--wake-on-stdin"]);
    let tcp = serve.listening("tcp");
    let mut app = TcpStream::connect(tcp).unwrap();
    app.set_read_timeout(Some(WAIT)).unwrap();
    let local = app.local_addr().unwrap();
    let register = format!(
        "REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP {local};branch=z9hG4bKr1;rport\r\n\
         From: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:alice@127.0.0.1>\r\nCall-ID: r1\r\n\
         CSeq: 1 REGISTER\r\nContact: <sip:alice@{local};transport=tcp>\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n"
    );
    app.write_all(register.as_bytes()).unwrap();
    let mut buf = Vec::new();
    let ok = read_sip(&mut app, &mut buf);
    assert_eq!(ok.status(), Some(200));
    assert!(ok.header("Contact").unwrap().contains("expires=600"));
    serve.wait_for("connect", |v| {
        v["type"] == "connection" && v["event"] == "connect"
    });

    serve.control("wake");
    let invite = read_sip(&mut app, &mut buf);
    assert_eq!(invite.method(), Some("INVITE"));
    match &invite.start {
        voipctl::sip::StartLine::Request { uri, .. } => {
            assert_eq!(uri, &format!("sip:alice@{local};transport=tcp"))
        }
        other => panic!("{other:?}"),
    }
    for (code, reason) in [(180, "Ringing"), (486, "Busy Here")] {
        let r = voipctl::sip::response_to(&invite, code, reason, "app1");
        app.write_all(&r.to_bytes()).unwrap();
    }
    let ack = read_sip(&mut app, &mut buf);
    assert_eq!(ack.method(), Some("ACK"));
    let done = serve.wait_for("wake answered", |v| {
        v["type"] == "wake" && v["event"] != "sent"
    });
    let w: Wake = pin(&done);
    assert_eq!(w.event, "answered");
    assert_eq!(w.answer.as_deref(), Some("180 Ringing"));
    assert_eq!(w.final_status, Some(486));

    // RFC 5626 keep-alive: double CRLF in, single CRLF out.
    app.write_all(b"\r\n\r\n").unwrap();
    let mut pong = [0u8; 2];
    app.read_exact(&mut pong).unwrap();
    assert_eq!(&pong, b"\r\n");
    serve.wait_for("keepalive", |v| v["type"] == "keepalive");

    // Disconnect and reconnect: timing is recorded.
    drop(app);
    serve.wait_for("disconnect", |v| {
        v["type"] == "connection" && v["event"] == "disconnect"
    });
    let _app2 = TcpStream::connect(tcp).unwrap();
    let re = serve.wait_for("reconnect", |v| {
        v["type"] == "connection" && v["event"] == "connect"
    });
    let c: Connection = pin(&re);
    assert!(c.reconnect_after_ms.is_some(), "{c:?}");

    let (recs, code) = serve.finish();
    assert_eq!(code, Some(0));
    let s: ServeSummary = pin(recs.last().unwrap());
    assert_eq!(
        (s.wakes_sent, s.wakes_answered, s.wakes_unanswered),
        (1, 1, 0)
    );
    assert_eq!((s.connections, s.reconnects, s.keepalives), (2, 1, 1));
    assert_eq!(s.outcome, "ok");
}

#[test]
fn unanswered_raw_wake_fails_the_run() {
    let mut serve = Serve::start(&[
        "--listen",
        "udp://127.0.0.1:0",
        "--wake",
        "raw",
        "--wake-text",
        "WAKE",
        "--wake-timeout",
        "300ms",
        "--wake-on-stdin",
    ]);
    let udp = serve.listening("udp");
    let app = UdpSocket::bind("127.0.0.1:0").unwrap();
    app.set_read_timeout(Some(WAIT)).unwrap();
    app.send_to(b"\r\n\r\n", udp).unwrap();
    let mut buf = [0u8; 64];
    let (n, _) = app.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"\r\n");
    serve.wait_for("keepalive", |v| v["type"] == "keepalive");
    serve.control("wake 1");
    let (n, _) = app.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"WAKE");
    let w: Wake = pin(&serve.wait_for("wake outcome", |v| {
        v["type"] == "wake" && v["event"] != "sent"
    }));
    assert_eq!(w.event, "unanswered");
    let (recs, code) = serve.finish();
    assert_eq!(code, Some(1), "an unanswered wake is a failed check");
    let s: ServeSummary = pin(recs.last().unwrap());
    assert_eq!(
        (s.wakes_sent, s.wakes_unanswered, s.outcome.as_str()),
        (1, 1, "failed")
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile peers

fn closed_by_server(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(WAIT)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(e) => panic!("server kept the connection: {e}"),
        }
    }
}

#[test]
fn hostile_peers_are_bounded() {
    let mut serve = Serve::start(&[
        "--listen",
        "tcp://127.0.0.1:0",
        "--max-connections",
        "3",
        "--message-timeout",
        "1s",
        "--wake-on-stdin",
    ]);
    let tcp = serve.listening("tcp");

    // At the limit, a peer that has not sent a complete message makes room for a newcomer...
    let mut silent = TcpStream::connect(tcp).unwrap();
    serve.wait_for("connect", |v| {
        v["type"] == "connection" && v["event"] == "connect"
    });
    let mut held: Vec<TcpStream> = (0..2).map(|_| spoken(tcp)).collect();
    held.push(spoken(tcp));
    assert!(closed_by_server(&mut silent));
    let ev = serve.wait_for("eviction", |v| {
        v["type"] == "connection" && v["event"] == "disconnect"
    });
    assert!(ev["reason"].as_str().unwrap().contains("newcomer"), "{ev}");

    // ...but peers that have spoken are never dropped for one: the fourth is refused.
    let mut extra = TcpStream::connect(tcp).unwrap();
    assert!(closed_by_server(&mut extra));
    let rej = serve.wait_for("reject", |v| {
        v["type"] == "connection" && v["event"] == "reject"
    });
    assert!(
        rej["reason"]
            .as_str()
            .unwrap()
            .contains("too many connections")
    );
    for s in &mut held {
        assert_eq!(options(s).status(), Some(200));
    }
    drop(held);
    for _ in 0..3 {
        serve.wait_for("disconnect", |v| {
            v["type"] == "connection" && v["event"] == "disconnect"
        });
    }

    // Huge headers: the connection is dropped once the head limit is passed, nothing is kept.
    let mut huge = TcpStream::connect(tcp).unwrap();
    let mut head = b"OPTIONS sip:x SIP/2.0\r\nX-Padding: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', 40 * 1024));
    let _ = huge.write_all(&head);
    assert!(closed_by_server(&mut huge));
    let bad = serve.wait_for("malformed", |v| v["type"] == "malformed");
    assert!(bad["error"].as_str().unwrap().contains("exceed"), "{bad}");

    // A slow sender: half a message, then silence, is cut off after --message-timeout.
    let mut slow = TcpStream::connect(tcp).unwrap();
    slow.write_all(b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9")
        .unwrap();
    assert!(closed_by_server(&mut slow));
    let d = serve.wait_for("slow disconnect", |v| {
        v["type"] == "connection"
            && v["event"] == "disconnect"
            && v["reason"].as_str().unwrap_or("").contains("slow sender")
    });
    let _: Connection = pin(&d);

    // A huge declared body is refused before it is buffered.
    let mut body = TcpStream::connect(tcp).unwrap();
    body.write_all(b"MESSAGE sip:x SIP/2.0\r\nContent-Length: 999999999\r\n\r\n")
        .unwrap();
    assert!(closed_by_server(&mut body));

    // An idle connection is not a slow sender: it is held.
    let mut idle = TcpStream::connect(tcp).unwrap();
    serve.wait_for("connect", |v| {
        v["type"] == "connection" && v["event"] == "connect"
    });
    idle.set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    let mut b = [0u8; 1];
    let r = idle.read(&mut b);
    assert!(r.is_err(), "idle connection was closed: {r:?}");

    let (recs, code) = serve.finish();
    assert_eq!(code, Some(0));
    let s: ServeSummary = pin(recs.last().unwrap());
    assert!(
        s.rejected >= 1 && s.malformed >= 1 && s.evicted == 1,
        "{s:?}"
    );
}

#[test]
fn serve_stops_on_duration_and_sigterm() {
    let out = run(&[
        "--json",
        "signal",
        "serve",
        "--listen",
        "udp://127.0.0.1:0",
        "--duration",
        "200ms",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let recs = lines(&out);
    let _: ServeSummary = pin(recs.last().unwrap());

    let mut serve = Serve::start(&["--listen", "tcp://127.0.0.1:0"]);
    serve.listening("tcp");
    sigterm(serve.child.id());
    let s = serve.wait_for("summary", |v| v["type"] == "summary");
    let s: ServeSummary = pin(&s);
    assert_eq!(s.outcome, "interrupted");
    assert_eq!(serve.child.wait().unwrap().code(), Some(130));
}

// ---------------------------------------------------------------------------------------------
// Issue 17: a connection flood

fn options_request(local: SocketAddr, transport: &str, n: u32) -> String {
    format!(
        "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/{transport} {local};branch=z9hG4bKo{n};rport\r\n\
         From: <sip:app@127.0.0.1>;tag=o{n}\r\nTo: <sip:127.0.0.1>\r\nCall-ID: o{n}@{local}\r\n\
         CSeq: {n} OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
}

/// Send OPTIONS on `s` and read the answer (the read timeout is the failure condition).
fn options(s: &mut TcpStream) -> voipctl::sip::Message {
    s.set_read_timeout(Some(WAIT)).unwrap();
    let local = s.local_addr().unwrap();
    s.write_all(options_request(local, "TCP", 1).as_bytes())
        .unwrap();
    read_sip(s, &mut Vec::new())
}

/// A connection that has sent one complete message (and got its answer).
fn spoken(tcp: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(tcp).unwrap();
    assert_eq!(options(&mut s).status(), Some(200));
    s
}

#[cfg(target_os = "linux")] // 127.0.0.x sources and /proc
/// A TCP connection from a chosen loopback source address (127.0.0.x).
fn connect_from(rt: &tokio::runtime::Runtime, src: [u8; 4], to: SocketAddr) -> TcpStream {
    rt.block_on(async {
        let s = tokio::net::TcpSocket::new_v4().unwrap();
        s.bind(SocketAddr::from((src, 0))).unwrap();
        let s = s.connect(to).await.unwrap();
        let s = s.into_std().unwrap();
        s.set_nonblocking(false).unwrap();
        s
    })
}

#[cfg(target_os = "linux")] // 127.0.0.x sources and /proc
/// The flood holds ~1,300 sockets here and the server ~1,000: raise the soft descriptor limit
/// (the server inherits it) up to the hard one.
fn raise_fd_limit(want: u64) {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let lim = getrlimit(Resource::Nofile);
    let hard = lim.maximum.unwrap_or(u64::MAX);
    if lim.current.is_some_and(|c| c >= want) {
        return;
    }
    assert!(
        hard >= want,
        "this test needs {want} file descriptors; the hard limit is {hard} (raise it with ulimit -Hn)"
    );
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(want),
            maximum: lim.maximum,
        },
    )
    .unwrap();
}

#[cfg(target_os = "linux")] // 127.0.0.x sources and /proc
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Issue 17: with 1,000 hostile connections open and the TCP budget full of them, the app is
/// still served over TCP and over UDP. The hostile ones are not timed out during the test
/// (`--message-timeout 60s`), so only making room answers the app; a read timeout of 15 s is the
/// failure condition (the answers themselves take milliseconds; the times are printed).
#[cfg(target_os = "linux")] // 127.0.0.x sources and /proc
#[test]
#[allow(clippy::print_stderr)] // the answer times and peak memory, for the record
fn serve_answers_the_app_through_a_connection_flood() {
    const HOSTILE: usize = 1000;
    raise_fd_limit(4096);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut serve = Serve::start(&[
        "--listen",
        "tcp://127.0.0.1:0",
        "--listen",
        "udp://127.0.0.1:0",
        "--max-connections",
        "1000",
        "--message-timeout",
        "60s",
        "--wake-on-stdin",
    ]);
    let tcp = serve.listening("tcp");
    let udp = serve.listening("udp");
    let is = |v: &Value, event: &str| v["type"] == "connection" && v["event"] == event;

    // The app registers first; it must never be dropped for a newcomer.
    let mut app = connect_from(&rt, [127, 0, 0, 2], tcp);
    assert_eq!(options(&mut app).status(), Some(200));
    let app_conn = serve.wait_for("app connect", |v| is(v, "connect"))["conn"].clone();

    // 1,000 hostile connections from 20 addresses: silent, slow (half a head), header floods,
    // huge declared bodies, random bytes. Some are dropped by the server at once (malformed).
    let mut hostile = Vec::with_capacity(HOSTILE + 200);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut random = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 24) as u8
            })
            .collect()
    };
    for i in 0..HOSTILE {
        let src = [127, 0, 0, 10 + (i % 20) as u8];
        let mut s = connect_from(&rt, src, tcp);
        let bytes: Vec<u8> = match i % 5 {
            0 => Vec::new(),
            1 => b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9".to_vec(),
            2 => {
                let mut h = b"OPTIONS sip:x SIP/2.0\r\n".to_vec();
                for k in 0..200 {
                    h.extend(format!("X-Flood-{k}: a\r\n").bytes());
                }
                h
            }
            3 => b"MESSAGE sip:x SIP/2.0\r\nContent-Length: 999999999\r\n\r\n".to_vec(),
            _ => random(2048),
        };
        // A write may fail once the server has dropped the connection: that is its answer.
        let _ = s.write_all(&bytes);
        hostile.push(s);
    }
    // Top up with silent connections until the budget is full and newcomers make room: the
    // server then holds 999 hostile connections and the app.
    let mut more = 0u32;
    let full = loop {
        let src = [127, 0, 0, 10 + (more % 20) as u8];
        hostile.push(connect_from(&rt, src, tcp));
        more += 1;
        assert!(
            more <= 2000,
            "the budget never filled: {more} extra connections"
        );
        let deadline = Instant::now() + Duration::from_millis(50);
        let mut evicted = None;
        while let Ok(v) = serve
            .rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            serve.seen.push(v.clone());
            if is(&v, "disconnect") && v["reason"].as_str().unwrap_or("").contains("newcomer") {
                evicted = Some(v);
                break;
            }
        }
        if let Some(v) = evicted {
            break v;
        }
    };
    assert_ne!(full["conn"], app_conn);
    let open = hostile.len();

    // UDP: garbage from strangers takes no seat; keep-alive-only peers do, within their share.
    let mut udp_noise = Vec::new();
    for i in 0..200u32 {
        let s = UdpSocket::bind(SocketAddr::from(([127, 0, 0, 3 + (i % 2) as u8], 0))).unwrap();
        let _ = s.send_to(
            if i % 2 == 0 {
                b"\r\n\r\n"
            } else {
                b"\x16\x03\x01junk"
            },
            udp,
        );
        udp_noise.push(s);
    }

    // The well-behaved client over TCP: a fresh address, and one of the flooding addresses.
    for src in [[127, 0, 0, 5], [127, 0, 0, 10]] {
        let t0 = Instant::now();
        let mut c = connect_from(&rt, src, tcp);
        let answer = options(&mut c);
        assert_eq!(answer.status(), Some(200), "{answer:?}");
        eprintln!("TCP from {src:?}: answered in {:?}", t0.elapsed());
    }
    // And over UDP.
    let c = UdpSocket::bind(SocketAddr::from(([127, 0, 0, 5], 0))).unwrap();
    c.set_read_timeout(Some(WAIT)).unwrap();
    let t0 = Instant::now();
    c.send_to(
        options_request(c.local_addr().unwrap(), "UDP", 2).as_bytes(),
        udp,
    )
    .unwrap();
    let mut buf = vec![0u8; 65_535];
    let n = c
        .recv(&mut buf)
        .unwrap_or_else(|e| panic!("no UDP answer within {WAIT:?}: {e}"));
    let m = voipctl::sip::parse_datagram(&buf[..n], &voipctl::sip::Limits::default()).unwrap();
    assert_eq!(m.status(), Some(200));
    eprintln!("UDP: answered in {:?}", t0.elapsed());

    // The app that registered before the flood is still connected and served.
    assert_eq!(options(&mut app).status(), Some(200));
    let hwm = vm_hwm_kib(serve.child.id());
    eprintln!(
        "{open} hostile TCP connections opened, 200 UDP strangers; signal serve peak memory (VmHWM): {hwm:?} KiB"
    );
    if let Some(kib) = hwm {
        assert!(kib < 256 * 1024, "serve used {kib} KiB under the flood");
    }

    let (recs, code) = serve.finish();
    assert_eq!(code, Some(0));
    assert!(
        !recs.iter().any(|v| is(v, "disconnect")
            && v["conn"] == app_conn
            && v["reason"] != "server stopped"),
        "the registered app was dropped"
    );
    let s: ServeSummary = pin(recs.last().unwrap());
    assert!(s.evicted >= 3 && s.malformed >= 1, "{s:?}");
    drop(hostile);
}
