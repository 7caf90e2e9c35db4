//! `voipctl push` against a local APNs look-alike (HTTP/2 over TLS on 127.0.0.1, generated CA):
//! token and certificate auth, every header, every reason, retries on 429/5xx/GOAWAY/resets,
//! many devices on one connection, and no secret in any output.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/apns_server.rs"]
mod apns_server;

mod common;
#[path = "support/schema.rs"]
mod schema;

use apns_server::{Behaviour, Config, Failure, Issued, Pki, PushCertSpec, Server};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::Ordering;
use std::time::Duration;

const KEY_ID: &str = "ABC123DEFG";
const TEAM_ID: &str = "TEAM123456";
const BUNDLE: &str = "com.example.app";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct PushLine {
    #[serde(rename = "type")]
    kind: String,
    token: String,
    ok: bool,
    status: Option<u16>,
    apns_id: Option<String>,
    apns_unique_id: Option<String>,
    reason: Option<String>,
    timestamp: Option<u64>,
    explanation: Option<String>,
    fix: Option<String>,
    error: Option<String>,
    goaway: Option<String>,
    attempts: u32,
    retried: Vec<String>,
    latency_ms: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SummaryLine {
    #[serde(rename = "type")]
    kind: String,
    schema_version: u32,
    command: String,
    environment: String,
    endpoint: String,
    auth: String,
    topic: Option<String>,
    push_type: String,
    total: usize,
    succeeded: usize,
    failed: usize,
    not_sent: usize,
    retried: usize,
    reasons: BTreeMap<String, usize>,
    goaway: BTreeMap<String, usize>,
    connections: usize,
    elapsed_ms: f64,
    pushes_per_second: f64,
    outcome: String,
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn pushes(&self) -> Vec<PushLine> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with(r#"{"type":"push""#))
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
    fn summary(&self) -> SummaryLine {
        schema::validate(&self.stdout);
        let last = self.stdout.lines().last().unwrap_or_default();
        serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {last}\n{}", self.stderr))
    }
}

fn run_voipctl(args: Vec<String>, envs: Vec<(String, String)>, stdin: Option<Vec<u8>>) -> Run {
    let mut cmd = common::voipctl();
    cmd.args(&args)
        .env_remove("VOIPCTL_P12_PASSWORD")
        .env_remove("VOIPCTL_KEY_ID")
        .env_remove("VOIPCTL_TEAM_ID")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn: {e}"));
    if let Some(data) = stdin {
        use std::io::Write;
        let mut s = child.stdin.take().unwrap();
        s.write_all(&data).unwrap();
    }
    let out: Output = child.wait_with_output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn voipctl(args: Vec<String>) -> Run {
    voipctl_env(args, vec![], None).await
}

async fn voipctl_env(
    args: Vec<String>,
    envs: Vec<(String, String)>,
    stdin: Option<Vec<u8>>,
) -> Run {
    tokio::task::spawn_blocking(move || run_voipctl(args, envs, stdin))
        .await
        .unwrap()
}

struct Fx {
    dir: tempfile::TempDir,
    _pki: Pki,
    server: Server,
    key_pem: String,
}

impl Fx {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn s(p: &Path) -> String {
        p.display().to_string()
    }
    /// Token-auth arguments pointing at the server.
    fn token_args(&self, extra: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = vec![
            "--json".into(),
            "push".into(),
            "--apns-url".into(),
            self.server.url(),
            "--ca-cert".into(),
            Self::s(&self.path("ca.pem")),
            "--key".into(),
            Self::s(&self.path("AuthKey.p8")),
            "--key-id".into(),
            KEY_ID.into(),
            "--team-id".into(),
            TEAM_ID.into(),
            "--backoff".into(),
            "5ms".into(),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    }
}

fn tok(i: usize) -> String {
    format!("{i:064x}")
}

async fn token_fixture(mut config: Config) -> Fx {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new().unwrap();
    let server_cert = pki.server(&["127.0.0.1", "localhost"]).unwrap();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let key_pem = key.serialize_pem();
    std::fs::write(dir.path().join("AuthKey.p8"), &key_pem).unwrap();
    std::fs::write(dir.path().join("ca.pem"), &pki.ca_pem).unwrap();
    config.jwt_public_pem = Some(key.public_key_pem());
    let server = apns_server::start(
        &pki.ca_pem,
        &server_cert,
        config,
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    Fx {
        dir,
        _pki: pki,
        server,
        key_pem,
    }
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_auth_sends_voip_defaults_and_every_header() {
    let fx = token_fixture(Config::default()).await;
    let r = voipctl(fx.token_args(&[
        "--bundle",
        BUNDLE,
        "--collapse-id",
        "call-1",
        "--apns-id",
        "123E4567-E89B-12D3-A456-426614174000",
        "-H",
        "x-custom: yes",
        "--payload",
        r#"{"aps":{},"caller":"Alice"}"#,
        &tok(1),
    ]))
    .await;
    assert_eq!(r.code, Some(0), "{}\n{}", r.stdout, r.stderr);
    let pushes = r.pushes();
    assert_eq!(pushes.len(), 1);
    let p = &pushes[0];
    assert!(p.ok && p.status == Some(200) && p.attempts == 1, "{p:?}");
    assert_eq!(
        p.apns_id.as_deref(),
        Some("123e4567-e89b-12d3-a456-426614174000")
    );
    assert!(p.apns_unique_id.is_some());
    let s = r.summary();
    assert_eq!(
        (s.kind.as_str(), s.schema_version, s.command.as_str()),
        ("summary", 3, "push")
    );
    assert_eq!((s.total, s.succeeded, s.failed), (1, 1, 0));
    assert_eq!(s.topic.as_deref(), Some("com.example.app.voip"));
    assert_eq!(s.auth, "token");
    let seen = fx.server.stats.seen.lock().unwrap().clone();
    let h = &seen[0].headers;
    assert_eq!(header(h, "apns-push-type"), Some("voip"));
    assert_eq!(header(h, "apns-topic"), Some("com.example.app.voip"));
    assert_eq!(header(h, "apns-priority"), Some("10"));
    assert_eq!(header(h, "apns-expiration"), Some("0"));
    assert_eq!(header(h, "apns-collapse-id"), Some("call-1"));
    assert_eq!(header(h, "x-custom"), Some("yes"));
    assert!(header(h, "authorization").is_some_and(|a| a.starts_with("bearer ey")));
    assert_eq!(seen[0].body, br#"{"aps":{},"caller":"Alice"}"#);
    assert_eq!(seen[0].token, tok(1));
    assert_eq!(fx.server.stats.jwts.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_reason_is_explained_and_permanent_ones_are_not_retried() {
    let mut behaviours = HashMap::new();
    let reasons = voipctl::push::reason::REASONS;
    for (i, info) in reasons.iter().enumerate() {
        behaviours.insert(
            tok(i + 1),
            Behaviour::Always(Failure::Status(info.status, info.reason.into())),
        );
    }
    let fx = token_fixture(Config {
        behaviours,
        ..Config::default()
    })
    .await;
    for (i, info) in reasons.iter().enumerate() {
        let r = voipctl(fx.token_args(&["--bundle", BUNDLE, "--retries", "1", &tok(i + 1)])).await;
        let p = &r.pushes()[0];
        assert!(!p.ok);
        assert_eq!(p.status, Some(info.status), "{}", info.reason);
        assert_eq!(p.reason.as_deref(), Some(info.reason));
        assert_eq!(p.explanation.as_deref(), Some(info.explanation));
        assert_eq!(p.fix.as_deref(), Some(info.fix));
        let expected_attempts = if info.retryable { 2 } else { 1 };
        assert_eq!(p.attempts, expected_attempts, "{}", info.reason);
        let code = if info.retryable { 5 } else { 1 };
        assert_eq!(r.code, Some(code), "{}: {}", info.reason, r.stderr);
        if info.status == 410 {
            assert_eq!(p.timestamp, Some(1_700_000_000_000));
        }
    }
    // Human output explains, too.
    let mut args = fx.token_args(&["--bundle", BUNDLE, &tok(2)]);
    args.remove(0);
    let r = voipctl(args).await;
    let info = &reasons[1];
    assert_eq!(info.reason, "BadDeviceToken");
    assert!(
        r.stdout.contains("FAIL") && r.stdout.contains("400 BadDeviceToken"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("--env sandbox"), "{}", r.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_on_429_5xx_goaway_and_resets_then_succeed() {
    let mut behaviours = HashMap::new();
    behaviours.insert(
        tok(1),
        Behaviour::Flaky(2, Failure::Status(429, "TooManyRequests".into())),
    );
    behaviours.insert(
        tok(2),
        Behaviour::Flaky(1, Failure::Status(500, "InternalServerError".into())),
    );
    behaviours.insert(
        tok(3),
        Behaviour::Flaky(1, Failure::GoAway("Shutdown".into())),
    );
    behaviours.insert(tok(4), Behaviour::Flaky(2, Failure::Reset));
    behaviours.insert(
        tok(5),
        Behaviour::Flaky(1, Failure::Status(503, "ServiceUnavailable".into())),
    );
    behaviours.insert(
        tok(6),
        Behaviour::Always(Failure::Status(400, "BadDeviceToken".into())),
    );
    let fx = token_fixture(Config {
        behaviours,
        ..Config::default()
    })
    .await;
    let tokens: Vec<String> = (1..=6).map(tok).collect();
    let mut args = fx.token_args(&["--bundle", BUNDLE, "--concurrency", "1"]);
    args.extend(tokens.clone());
    let r = voipctl(args).await;
    assert_eq!(r.code, Some(1), "{}\n{}", r.stdout, r.stderr);
    let by: HashMap<String, PushLine> = r
        .pushes()
        .into_iter()
        .map(|p| (p.token.clone(), p))
        .collect();
    assert_eq!(by.len(), 6, "exactly one result per token");
    assert!(
        by[&tok(1)].ok && by[&tok(1)].attempts == 3,
        "{:?}",
        by[&tok(1)]
    );
    assert_eq!(
        by[&tok(1)].retried,
        vec!["429 TooManyRequests", "429 TooManyRequests"]
    );
    assert!(by[&tok(2)].ok && by[&tok(2)].attempts == 2);
    assert!(
        by[&tok(3)].ok && by[&tok(3)].attempts == 2,
        "{:?}",
        by[&tok(3)]
    );
    assert_eq!(by[&tok(3)].goaway.as_deref(), Some("Shutdown"));
    assert!(
        by[&tok(4)].ok && by[&tok(4)].attempts == 3,
        "{:?}",
        by[&tok(4)]
    );
    assert!(by[&tok(5)].ok);
    assert!(!by[&tok(6)].ok && by[&tok(6)].attempts == 1);
    let s = r.summary();
    assert_eq!(s.goaway.get("Shutdown"), Some(&1));
    assert_eq!((s.succeeded, s.failed, s.retried), (5, 1, 5));
    // GOAWAY closed the connection: voipctl reconnected instead of staying dead.
    assert!(fx.server.stats.connections.load(Ordering::SeqCst) >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_goaway_reason_is_shown_and_not_retried() {
    let fx = token_fixture(Config {
        default: Behaviour::Always(Failure::GoAway("BadCertificateEnvironment".into())),
        ..Config::default()
    })
    .await;
    let r = voipctl(fx.token_args(&["--bundle", BUNDLE, &tok(1), &tok(2)])).await;
    assert_eq!(r.code, Some(1), "{}\n{}", r.stdout, r.stderr);
    let pushes = r.pushes();
    assert_eq!(pushes.len(), 2);
    let first = pushes.iter().find(|p| p.attempts == 1).unwrap();
    assert_eq!(first.goaway.as_deref(), Some("BadCertificateEnvironment"));
    assert_eq!(first.reason.as_deref(), Some("BadCertificateEnvironment"));
    assert!(first.fix.as_deref().unwrap_or_default().contains("--env"));
    // Every push would hit it: the other one is reported as not sent, not hammered.
    let other = pushes.iter().find(|p| p.token != first.token).unwrap();
    assert!(
        other
            .error
            .as_deref()
            .unwrap_or_default()
            .starts_with("not sent"),
        "{other:?}"
    );
    assert_eq!(fx.server.stats.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_goaway_between_pushes_reconnects_and_is_reported() {
    // The server answers the first push, then sends GOAWAY(IdleTimeout) and closes, while the
    // client has nothing in flight (pushes go one at a time).
    let fx = token_fixture(Config {
        goaway_when_idle: Some((1, "IdleTimeout".into())),
        ..Config::default()
    })
    .await;
    let (a, b, c) = (tok(1), tok(2), tok(3));
    let r = voipctl(fx.token_args(&["--bundle", BUNDLE, "--concurrency", "1", &a, &b, &c])).await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let pushes = r.pushes();
    assert_eq!(pushes.len(), 3);
    assert!(pushes.iter().all(|p| p.ok), "{}", r.stdout);
    assert_eq!(fx.server.stats.connections.load(Ordering::SeqCst), 2);
    let s = r.summary();
    assert_eq!(s.connections, 2, "the reconnect is counted");
    // Either the next push raced the GOAWAY (its reason is on that push and in the summary),
    // or the connection was gone before it (reqwest hides that GOAWAY: a note says what
    // happened).
    let seen = pushes
        .iter()
        .filter(|p| p.goaway.as_deref() == Some("IdleTimeout"))
        .count();
    // Or (a loaded machine) the next push went out on the closing connection, was reset before
    // any GOAWAY reached the client, and was sent again on the new connection.
    let retried = pushes.iter().any(|p| p.attempts > 1);
    if seen > 0 {
        assert_eq!(s.goaway.get("IdleTimeout"), Some(&seen));
    } else {
        assert!(
            retried
                || r.stderr
                    .contains("closed the connection while no push was in flight"),
            "{}\n{}",
            r.stdout,
            r.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_devices_share_one_connection_within_the_stream_limit() {
    let fx = token_fixture(Config {
        max_concurrent_streams: 16,
        default: Behaviour::Slow(Duration::from_millis(20)),
        ..Config::default()
    })
    .await;
    let n = 300;
    let mut list = String::from("# tokens\n");
    for i in 1..=n {
        list.push_str(&tok(i));
        list.push('\n');
    }
    let r = voipctl_env(
        fx.token_args(&["--bundle", BUNDLE, "--tokens-file", "-"]),
        vec![],
        Some(list.into_bytes()),
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let pushes = r.pushes();
    assert_eq!(pushes.len(), n);
    let mut tokens: Vec<&str> = pushes.iter().map(|p| p.token.as_str()).collect();
    tokens.sort_unstable();
    tokens.dedup();
    assert_eq!(tokens.len(), n, "exactly one result per token");
    let st = &fx.server.stats;
    assert_eq!(
        st.connections.load(Ordering::SeqCst),
        1,
        "one long-lived connection"
    );
    let peak = st.peak_in_flight.load(Ordering::SeqCst);
    assert!(
        peak > 1 && peak <= 16,
        "concurrent streams within the server's limit: {peak}"
    );
    assert_eq!(
        st.jwts.lock().unwrap().len(),
        1,
        "one JWT shared by all requests"
    );
    assert_eq!(r.summary().succeeded, n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_replies_within_the_timeout_succeed_and_beyond_it_are_network_failures() {
    let mut behaviours = HashMap::new();
    behaviours.insert(tok(1), Behaviour::Slow(Duration::from_millis(300)));
    behaviours.insert(tok(2), Behaviour::Slow(Duration::from_secs(4)));
    let fx = token_fixture(Config {
        behaviours,
        ..Config::default()
    })
    .await;
    let r = voipctl(fx.token_args(&["--bundle", BUNDLE, &tok(1)])).await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let r = voipctl(fx.token_args(&["--bundle", BUNDLE, "--timeout", "1", &tok(2)])).await;
    assert_eq!(r.code, Some(5), "{}\n{}", r.stdout, r.stderr);
    let p = &r.pushes()[0];
    assert!(
        p.error.as_deref().unwrap_or_default().contains("in time"),
        "{p:?}"
    );
    assert!(r.stderr.starts_with("error:"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn durations_take_units_and_bad_ones_are_usage_errors() {
    let fx = token_fixture(Config::default()).await;
    // Accepted: parsing gets past clap to the token check (exit 3), so nothing is sent.
    for extra in [
        ["--timeout", "500ms"],
        ["--timeout", "30"],
        ["--timeout", "1m30s"],
        ["--token-refresh", "40m"],
        ["--token-refresh", "1h"],
    ] {
        let mut args = extra.to_vec();
        args.extend(["--bundle", BUNDLE, "not-a-token"]);
        let r = voipctl(fx.token_args(&args)).await;
        assert_eq!(r.code, Some(3), "{extra:?}: {}", r.stderr);
        assert!(r.stderr.contains("argument:1"), "{extra:?}: {}", r.stderr);
    }
    let token = tok(1);
    // Refused by the parser: exit 2, the option and the reason named on stderr, nothing on stdout.
    for (extra, needle) in [
        (["--timeout", "0"], "longer than zero"),
        (["--timeout", "abc"], "not a duration"),
        (["--timeout", "30x"], "unknown unit"),
        (["--timeout", "11m"], "longer than 10m"),
        (["--token-refresh", "40"], "20 to 60 minutes"),
    ] {
        let mut args = extra.to_vec();
        args.extend(["--bundle", BUNDLE, &token]);
        let r = voipctl(fx.token_args(&args)).await;
        assert_eq!(r.code, Some(2), "{extra:?}: {}", r.stderr);
        assert!(r.stderr.contains(extra[0]), "{extra:?}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{extra:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{extra:?}: {}", r.stdout);
    }
    assert_eq!(fx.server.stats.requests.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_team_is_explained_and_stops_the_run() {
    let fx = token_fixture(Config {
        team_id: "OTHERTEAM1".into(),
        ..Config::default()
    })
    .await;
    let r = voipctl(fx.token_args(&["--bundle", BUNDLE, &tok(1), &tok(2), &tok(3)])).await;
    assert_eq!(r.code, Some(1));
    let s = r.summary();
    assert_eq!(s.reasons.get("InvalidProviderToken"), Some(&1));
    assert_eq!(s.not_sent, 2);
    assert_eq!(fx.server.stats.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_inputs_are_exit_3_before_anything_is_sent() {
    let fx = token_fixture(Config::default()).await;
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "--topic",
                "com.example.app.voip.voip",
                "AAAAAAAAAAAAAAAAAAAA",
            ],
            "doubles",
        ),
        (
            vec!["--topic", "com.example.app", "AAAAAAAAAAAAAAAAAAAA"],
            "lacks the `.voip` suffix",
        ),
        (
            vec!["--bundle", "com.example.app.voip", "AAAAAAAAAAAAAAAAAAAA"],
            "already ends",
        ),
        (vec!["--bundle", BUNDLE, "not-a-token"], "argument:1"),
        (
            vec![
                "--bundle",
                BUNDLE,
                "--payload",
                "{oops",
                "AAAAAAAAAAAAAAAAAAAA",
            ],
            "not valid JSON",
        ),
        (
            vec![
                "--bundle",
                BUNDLE,
                "--priority",
                "7",
                "AAAAAAAAAAAAAAAAAAAA",
            ],
            "priority 7",
        ),
        (vec!["AAAAAAAAAAAAAAAAAAAA"], "no topic"),
        (vec!["--bundle", BUNDLE], "no device token"),
    ];
    for (extra, needle) in cases {
        let r = voipctl(fx.token_args(&extra)).await;
        assert_eq!(r.code, Some(3), "{extra:?}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{extra:?}: {}", r.stderr);
        assert!(r.stdout.is_empty());
    }
    let big = format!(r#"{{"aps":{{}},"x":"{}"}}"#, "a".repeat(5200));
    let r = voipctl(fx.token_args(&["--bundle", BUNDLE, "--payload", &big, &tok(1)])).await;
    assert_eq!(r.code, Some(3));
    assert!(r.stderr.contains("5120"), "{}", r.stderr);
    // A wrong key ID format and a key that is not a .p8.
    let mut args = fx.token_args(&["--bundle", BUNDLE, &tok(1)]);
    let pos = args.iter().position(|a| a == KEY_ID).unwrap();
    args[pos] = "short".into();
    let r = voipctl(args).await;
    assert_eq!(r.code, Some(3));
    assert!(r.stderr.contains("key ID"), "{}", r.stderr);
    assert_eq!(fx.server.stats.requests.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_verification_is_never_off() {
    let fx = token_fixture(Config::default()).await;
    let other = Pki::new().unwrap();
    std::fs::write(fx.path("other-ca.pem"), &other.ca_pem).unwrap();
    let mut args = fx.token_args(&["--bundle", BUNDLE, "--retries", "0", &tok(1)]);
    let pos = args.iter().position(|a| a.ends_with("ca.pem")).unwrap();
    args[pos] = Fx::s(&fx.path("other-ca.pem"));
    let r = voipctl(args).await;
    assert_eq!(r.code, Some(5), "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.pushes().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junit_report_has_one_case_per_token() {
    let mut behaviours = HashMap::new();
    behaviours.insert(
        tok(2),
        Behaviour::Always(Failure::Status(410, "Unregistered".into())),
    );
    let fx = token_fixture(Config {
        behaviours,
        ..Config::default()
    })
    .await;
    let mut args = fx.token_args(&["--bundle", BUNDLE, &tok(1), &tok(2)]);
    args[0] = "--format=junit".into();
    let r = voipctl(args).await;
    assert_eq!(r.code, Some(1));
    assert!(
        r.stdout.contains(r#"tests="2" failures="1""#),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("410 Unregistered"), "{}", r.stdout);
}

// ---- certificate auth -------------------------------------------------------------------------

struct CertFx {
    fx: Fx,
    client: Issued,
}

async fn cert_fixture(spec: PushCertSpec) -> CertFx {
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new().unwrap();
    let server_cert = pki.server(&["127.0.0.1"]).unwrap();
    let client = pki.push_client(&spec).unwrap();
    std::fs::write(dir.path().join("ca.pem"), &pki.ca_pem).unwrap();
    std::fs::write(dir.path().join("cert.pem"), &client.cert_pem).unwrap();
    std::fs::write(dir.path().join("key.pem"), &client.key_pem).unwrap();
    let server = apns_server::start(
        &pki.ca_pem,
        &server_cert,
        Config {
            client_auth: true,
            ..Config::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    CertFx {
        fx: Fx {
            dir,
            _pki: pki,
            server,
            key_pem: String::new(),
        },
        client,
    }
}

fn voip_spec() -> PushCertSpec {
    PushCertSpec {
        uid: "com.example.app.voip".into(),
        development: true,
        production: false,
        topics: vec!["com.example.app".into(), "com.example.app.voip".into()],
    }
}

impl CertFx {
    fn args(&self, auth: &[&str], extra: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = vec![
            "--json".into(),
            "push".into(),
            "--apns-url".into(),
            self.fx.server.url(),
            "--ca-cert".into(),
            Fx::s(&self.fx.path("ca.pem")),
        ];
        v.extend(auth.iter().map(|s| s.to_string()));
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    }
    fn p12_with_keystore(&self, name: &str, password: &str) -> PathBuf {
        use p12_keystore::{
            Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain,
        };
        let mut ks = KeyStore::new();
        let chain = PrivateKeyChain::new(
            vec![1u8, 2, 3, 4],
            PrivateKey::from_der(&self.client.key_der).unwrap(),
            [Certificate::from_der(&self.client.cert_der).unwrap()],
        );
        ks.add_entry("voip", KeyStoreEntry::PrivateKeyChain(chain));
        let bytes = ks
            .writer(password)
            .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
            .write()
            .unwrap();
        let p = self.fx.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }
    /// A legacy (RC2-40 + 3DES, SHA-1 MAC) export, as Keychain Access and old OpenSSL make them.
    fn p12_with_openssl_legacy(&self, name: &str, password: &str) -> Option<PathBuf> {
        let p = self.fx.path(name);
        let out = Command::new("openssl")
            .args(["pkcs12", "-export", "-legacy", "-in"])
            .arg(self.fx.path("cert.pem"))
            .arg("-inkey")
            .arg(self.fx.path("key.pem"))
            .arg("-out")
            .arg(&p)
            .arg("-passout")
            .arg(format!("pass:{password}"))
            .output()
            .ok()?;
        out.status.success().then_some(p)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_auth_with_pem_reads_environment_and_topic_from_the_certificate() {
    let c = cert_fixture(voip_spec()).await;
    let cert = Fx::s(&c.fx.path("cert.pem"));
    let key = Fx::s(&c.fx.path("key.pem"));
    let r = voipctl(c.args(&["--cert", &cert, "--cert-key", &key], &[&tok(1)])).await;
    assert_eq!(r.code, Some(0), "{}\n{}", r.stdout, r.stderr);
    let s = r.summary();
    assert_eq!(s.auth, "certificate");
    assert_eq!(s.environment, "sandbox", "development-only certificate");
    assert_eq!(s.topic.as_deref(), Some("com.example.app.voip"));
    let seen = c.fx.server.stats.seen.lock().unwrap().clone();
    assert!(header(&seen[0].headers, "authorization").is_none());
    // Production asked with a development-only certificate: refused before sending.
    let r = voipctl(c.args(
        &["--cert", &cert, "--cert-key", &key],
        &["--env", "production", &tok(1)],
    ))
    .await;
    // With --apns-url the endpoint is explicit, so only the default hosts are checked: use none.
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let mut args = vec!["push".to_string(), "--env".into(), "production".into()];
    args.extend([
        "--cert".into(),
        cert.clone(),
        "--cert-key".into(),
        key.clone(),
        tok(1),
    ]);
    let r = voipctl(args).await;
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(r.stderr.contains("for sandbox only"), "{}", r.stderr);
    // A topic the certificate does not cover.
    let r = voipctl(c.args(
        &["--cert", &cert, "--cert-key", &key],
        &["--bundle", "com.other.app", &tok(1)],
    ))
    .await;
    assert_eq!(r.code, Some(3), "{}", r.stderr);
    assert!(r.stderr.contains("does not cover topic"), "{}", r.stderr);
}

/// Issue 15: a client certificate the server refuses in the TLS handshake (here one from another
/// CA) says so and what to check, instead of rustls' text ("received fatal alert: …", or for
/// APNs, which closes without an alert, "peer closed connection without sending TLS
/// close_notify: https://docs.rs/rustls/…"); once the refusal is explicit, nothing more is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_refused_in_the_handshake_says_what_to_check() {
    let c = cert_fixture(voip_spec()).await;
    let stranger = Pki::new().unwrap().push_client(&voip_spec()).unwrap();
    std::fs::write(c.fx.path("wrong-cert.pem"), &stranger.cert_pem).unwrap();
    std::fs::write(c.fx.path("wrong-key.pem"), &stranger.key_pem).unwrap();
    let cert = Fx::s(&c.fx.path("wrong-cert.pem"));
    let key = Fx::s(&c.fx.path("wrong-key.pem"));
    let mut args = c.args(&["--cert", &cert, "--cert-key", &key], &[&tok(1)]);
    args.remove(0); // human output: the message as users read it
    let r = voipctl(args).await;
    let all = format!("{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.code, Some(5), "{all}");
    assert!(all.contains("refused the client certificate"), "{all}");
    assert!(all.contains("--cert"), "{all}");
    assert!(!all.contains("close_notify"), "{all}");
    assert!(!all.contains("docs.rs"), "{all}");
    assert!(!all.contains("fatal alert"), "{all}");
    assert!(!all.contains("check the network"), "{all}");
    assert!(c.fx.server.stats.seen.lock().unwrap().is_empty());
    // The right certificate still works: the refusal was about the certificate.
    let cert = Fx::s(&c.fx.path("cert.pem"));
    let key = Fx::s(&c.fx.path("key.pem"));
    let r = voipctl(c.args(&["--cert", &cert, "--cert-key", &key], &[&tok(1)])).await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p12_legacy_ciphers_empty_and_env_passwords() {
    let c = cert_fixture(voip_spec()).await;
    // Empty password, 3DES.
    let p = c.p12_with_keystore("empty.p12", "");
    let r = voipctl(c.args(&["--p12", &Fx::s(&p)], &[&tok(1)])).await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // Password from the environment.
    let p = c.p12_with_keystore("pw.p12", "s3cret-Pässword");
    let r = voipctl_env(
        c.args(&["--p12", &Fx::s(&p)], &[&tok(1)]),
        vec![("VOIPCTL_P12_PASSWORD".into(), "s3cret-Pässword".into())],
        None,
    )
    .await;
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // No password and no terminal: a clear error naming the variable.
    let r = voipctl(c.args(&["--p12", &Fx::s(&p)], &[&tok(1)])).await;
    assert_eq!(r.code, Some(3));
    assert!(r.stderr.contains("VOIPCTL_P12_PASSWORD"), "{}", r.stderr);
    // Wrong password.
    let r = voipctl_env(
        c.args(
            &["--p12", &Fx::s(&p), "--password-env", "MY_PW"],
            &[&tok(1)],
        ),
        vec![("MY_PW".into(), "wrong".into())],
        None,
    )
    .await;
    assert_eq!(r.code, Some(3));
    assert!(
        r.stderr.contains("wrong password") && r.stderr.contains("$MY_PW"),
        "{}",
        r.stderr
    );
    // Real legacy exports (RC2-40-CBC certificates, 3DES keys, SHA-1 MAC) from OpenSSL.
    for pw in ["", "legacy-pw"] {
        let Some(p) = c.p12_with_openssl_legacy(&format!("legacy{}.p12", pw.len()), pw) else {
            panic!("openssl is needed for this test (apt-get install openssl)");
        };
        let r = voipctl_env(
            c.args(&["--p12", &Fx::s(&p)], &[&tok(1)]),
            vec![("VOIPCTL_P12_PASSWORD".into(), pw.into())],
            None,
        )
        .await;
        assert_eq!(
            r.code,
            Some(0),
            "legacy p12 with password {pw:?}: {}",
            r.stderr
        );
    }
}

// ---- secrets --------------------------------------------------------------------------------

fn key_material_lines(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 16)
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_key_password_or_jwt_in_any_output() {
    let mut behaviours = HashMap::new();
    behaviours.insert(
        tok(2),
        Behaviour::Always(Failure::Status(403, "InvalidProviderToken".into())),
    );
    let fx = token_fixture(Config {
        behaviours,
        ..Config::default()
    })
    .await;
    let mut runs = Vec::new();
    for mode in [vec!["--json"], vec!["-vv"], vec!["--format", "junit"]] {
        let mut args = fx.token_args(&["--bundle", BUNDLE, &tok(1), &tok(2)]);
        args.remove(0);
        for (i, m) in mode.iter().enumerate() {
            args.insert(i, m.to_string());
        }
        runs.push(voipctl(args).await);
    }
    // A key that is not a P-256 .p8 must not be echoed back either.
    std::fs::write(fx.path("bad.p8"), "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n").unwrap();
    let mut args = fx.token_args(&["--bundle", BUNDLE, &tok(1)]);
    let pos = args.iter().position(|a| a.ends_with("AuthKey.p8")).unwrap();
    args[pos] = Fx::s(&fx.path("bad.p8"));
    let bad = voipctl(args).await;
    assert_eq!(bad.code, Some(3));
    runs.push(bad);

    let jwts: Vec<String> = fx
        .server
        .stats
        .jwts
        .lock()
        .unwrap()
        .iter()
        .cloned()
        .collect();
    assert!(!jwts.is_empty(), "the server saw the JWT");
    let mut secrets: Vec<String> = key_material_lines(&fx.key_pem);
    secrets.push("MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg".into());
    for j in &jwts {
        secrets.push(j.clone());
        // Any one part of the JWT (its signature in particular) is secret too.
        secrets.extend(j.split('.').filter(|p| p.len() > 20).map(str::to_string));
    }

    // Certificate auth with a password, including a wrong one.
    let c = cert_fixture(voip_spec()).await;
    let password = "pw-Zq8#very-secret";
    let p = c.p12_with_keystore("pw.p12", password);
    for pw in [password, "wrong-Xy7#secret"] {
        for mode in ["--json", "-vv"] {
            let mut args = c.args(&["--p12", &Fx::s(&p)], &[&tok(1)]);
            args[0] = mode.into();
            runs.push(
                voipctl_env(args, vec![("VOIPCTL_P12_PASSWORD".into(), pw.into())], None).await,
            );
        }
        secrets.push(pw.into());
    }
    secrets.extend(key_material_lines(&c.client.key_pem));

    for r in &runs {
        for s in &secrets {
            assert!(!r.stdout.contains(s.as_str()), "secret on stdout: {s}");
            assert!(!r.stderr.contains(s.as_str()), "secret on stderr: {s}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_reports_every_token_once_then_exits_130() {
    let fx = token_fixture(Config {
        default: Behaviour::Slow(Duration::from_secs(20)),
        ..Config::default()
    })
    .await;
    let args = fx.token_args(&["--bundle", BUNDLE, &tok(1), &tok(2), &tok(3)]);
    let child = common::voipctl()
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait (bounded) until the first push is at the server, then ask voipctl to stop.
    let stats = fx.server.stats.clone();
    for _ in 0..400 {
        if stats.requests.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(stats.requests.load(Ordering::SeqCst) > 0);
    let pid = child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let r = Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(r.code, Some(130), "{}\n{}", r.stdout, r.stderr);
    let pushes = r.pushes();
    assert_eq!(pushes.len(), 3, "one result per token");
    let in_flight = pushes
        .iter()
        .filter(|p| p.error.as_deref() == Some("interrupted before APNs answered"))
        .count();
    let not_sent = pushes
        .iter()
        .filter(|p| p.error.as_deref() == Some("not sent: interrupted"))
        .count();
    assert_eq!(in_flight + not_sent, 3, "{}", r.stdout);
    assert!(in_flight >= 1);
    let s = r.summary();
    assert!(s.outcome == "interrupted" && s.failed == 3 && s.not_sent == not_sent);
}
