//! Many devices over one connection: pushes run concurrently as HTTP/2 streams (hyper/h2 keep
//! them within the server's SETTINGS_MAX_CONCURRENT_STREAMS), with retries and back-off on 429,
//! 5xx, GOAWAY and resets, never on permanent reasons. Until one request has succeeded on a
//! connection (APNs allows a single stream until it has seen a valid token, and a new connection
//! must not be opened by many requests at once) requests go one at a time.

use super::client::{Apns, Reply, TransportKind};
use super::reason::{self, lookup};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// Retry policy.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// First back-off delay; doubles each time, capped at 10 s.
    pub base: Duration,
}

/// Reasons every push of the run would hit: once seen, the remaining pushes are not sent.
/// Why the rest of a run is not sent when the server refused the client certificate.
const REFUSED_CERTIFICATE: &str = "client certificate refused";

const RUN_FATAL: &[&str] = &[
    "BadCertificate",
    "BadCertificateEnvironment",
    "InvalidProviderToken",
    "MissingProviderToken",
    "UnrelatedKeyIdInToken",
    "BadEnvironmentKeyIdInToken",
    "BadEnvironmentKeyInToken",
    "ExpiredProviderToken",
    "Forbidden",
    "BadTopic",
    "MissingTopic",
    "TopicDisallowed",
    "InvalidPushType",
    "BadPriority",
    "BadExpirationDate",
    "BadMessageId",
    "BadCollapseId",
    "DuplicateHeaders",
    "PayloadEmpty",
    "PayloadTooLarge",
    "BadPath",
    "MethodNotAllowed",
];

/// What became of one push: the final answer (or why there is none), after retries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delivery {
    /// Device token (lowercase hex).
    pub token: String,
    /// APNs accepted the push (HTTP 200).
    pub ok: bool,
    /// HTTP status of the last answer (absent when none came).
    pub status: Option<u16>,
    /// `apns-id` of the answer.
    pub apns_id: Option<String>,
    /// `apns-unique-id` (sandbox only).
    pub apns_unique_id: Option<String>,
    /// APNs reason string, as sent.
    pub reason: Option<String>,
    /// `timestamp` from the error body (ms since the epoch; with Unregistered).
    pub timestamp: Option<u64>,
    /// What the reason means.
    pub explanation: Option<String>,
    /// The likely fix.
    pub fix: Option<String>,
    /// Why there is no answer (connection failure, timeout, not sent).
    pub error: Option<String>,
    /// Reason carried by a GOAWAY frame seen while sending this push.
    pub goaway: Option<String>,
    /// Requests made for this token (1 = no retry; 0 = never sent).
    pub attempts: u32,
    /// Why earlier attempts were retried, in order.
    pub retried: Vec<String>,
    /// Time from the first attempt to the final result, in milliseconds.
    pub latency_ms: f64,
}

/// Shared state of one run.
#[derive(Debug)]
pub(crate) struct Engine {
    apns: Apns,
    policy: RetryPolicy,
    gate: RwLock<()>,
    needs_probe: AtomicBool,
    /// Connections opened when the last probe succeeded: a new one needs a probe again.
    probed_on: AtomicUsize,
    /// Transport failures seen (each may have cost the connection).
    transport_failures: AtomicUsize,
    abort: std::sync::Mutex<Option<String>>,
    jitter: AtomicU64,
}

/// How a result ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Accepted.
    Ok,
    /// APNs rejected it with a reason (the push itself, the token, the key…).
    Rejected,
    /// No usable answer: network, TLS, timeouts, or 5xx/429 after all retries.
    Service,
    /// Not sent.
    NotSent,
}

impl Engine {
    /// An engine for one run.
    pub(crate) fn new(apns: Apns, policy: RetryPolicy) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos() as u64)
            .unwrap_or(1)
            | 1;
        Engine {
            apns,
            policy,
            gate: RwLock::new(()),
            needs_probe: AtomicBool::new(true),
            probed_on: AtomicUsize::new(0),
            transport_failures: AtomicUsize::new(0),
            abort: std::sync::Mutex::new(None),
            jitter: AtomicU64::new(seed),
        }
    }

    /// The sender.
    pub(crate) fn apns(&self) -> &Apns {
        &self.apns
    }

    /// Replies that were transport failures (GOAWAY, resets, connect failures…), retries included.
    pub(crate) fn transport_failures(&self) -> usize {
        self.transport_failures.load(Ordering::Relaxed)
    }

    fn aborted(&self) -> Option<String> {
        self.abort.lock().ok().and_then(|a| a.clone())
    }

    /// A reason in this reply that every push of the run would hit.
    fn run_fatal(reply: &Reply) -> Option<String> {
        if let Reply::Transport(t) = reply
            && t.kind == TransportKind::CertificateRefused
        {
            return Some(REFUSED_CERTIFICATE.into());
        }
        let r = match reply {
            Reply::Answer { body, .. } => body.reason.as_deref(),
            Reply::Transport(t) => t
                .goaway
                .as_deref()
                .filter(|g| lookup(g).is_some_and(|i| !i.retryable)),
        }?;
        RUN_FATAL.contains(&r).then(|| r.to_string())
    }

    fn note_fatal(&self, reply: &Reply) {
        if let Some(r) = Self::run_fatal(reply)
            && let Ok(mut a) = self.abort.lock()
            && a.is_none()
        {
            *a = Some(r);
        }
    }

    /// One request, one at a time while the connection is not known to be good. None when the
    /// run was stopped by a reason every push would hit.
    async fn send_gated(&self, token: &str) -> Option<Reply> {
        if self.needs_probe.load(Ordering::Acquire) {
            let w = self.gate.write().await;
            if self.aborted().is_some() {
                return None;
            }
            if self.needs_probe.load(Ordering::Acquire) {
                let r = self.apns.send(token).await;
                if let Reply::Answer { status, .. } = &r
                    && (*status == 200 || *status < 403 || *status == 410)
                {
                    self.probed_on
                        .store(self.apns.connections(), Ordering::Relaxed);
                    self.needs_probe.store(false, Ordering::Release);
                }
                if matches!(r, Reply::Transport(_)) {
                    self.transport_failures.fetch_add(1, Ordering::Relaxed);
                }
                self.note_fatal(&r);
                drop(w);
                return Some(r);
            }
            drop(w);
        }
        let _r = self.gate.read().await;
        if self.aborted().is_some() {
            return None;
        }
        let r = self.apns.send(token).await;
        if matches!(r, Reply::Transport(_)) {
            self.transport_failures.fetch_add(1, Ordering::Relaxed);
            self.needs_probe.store(true, Ordering::Release);
        } else if self.apns.connections() != self.probed_on.load(Ordering::Relaxed) {
            // reqwest reconnected by itself (the old connection went away with no request
            // in flight): the first request on the new one goes alone again.
            self.needs_probe.store(true, Ordering::Release);
        }
        self.note_fatal(&r);
        Some(r)
    }

    fn backoff(&self, attempt: u32, hint: Option<Duration>) -> Duration {
        if let Some(h) = hint {
            return h;
        }
        let exp = self
            .policy
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(10));
        let capped = exp.min(Duration::from_secs(10));
        // xorshift jitter: 75%..125% so that retries of many pushes do not arrive together.
        let mut x = self.jitter.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.jitter.store(x, Ordering::Relaxed);
        let pct = 75 + (x % 51);
        capped.saturating_mul(pct as u32) / 100
    }

    /// Send one push to the end: retries included, exactly one result out.
    /// `attempts` mirrors the requests made, for reporting pushes cut short by Ctrl-C.
    pub(crate) async fn push(&self, token: String, attempts: &AtomicU32) -> (Delivery, Kind) {
        let started = Instant::now();
        let mut rec = Delivery {
            token,
            ..Delivery::default()
        };
        let mut renewed = false;
        let kind = loop {
            if let Some(why) = self.aborted() {
                rec.error = Some(format!(
                    "not sent: an earlier push failed with {why}, which every push of this run would hit"
                ));
                break if rec.attempts == 0 {
                    Kind::NotSent
                } else {
                    Kind::Service
                };
            }
            attempts.store(rec.attempts + 1, Ordering::Relaxed);
            let Some(reply) = self.send_gated(&rec.token).await else {
                attempts.store(rec.attempts, Ordering::Relaxed);
                continue;
            };
            rec.attempts += 1;
            let (retry, hint, label) = match reply {
                Reply::Answer {
                    status,
                    apns_id,
                    apns_unique_id,
                    body,
                    retry_after,
                } => {
                    rec.status = Some(status);
                    rec.apns_id = apns_id;
                    rec.apns_unique_id = apns_unique_id;
                    rec.timestamp = body.timestamp;
                    rec.reason = body.reason.clone();
                    rec.error = None;
                    if status == 200 {
                        rec.ok = true;
                        rec.reason = None;
                        break Kind::Ok;
                    }
                    let r = body.reason.as_deref();
                    // An expired token may be renewed once, if the pacing rule allows it.
                    if r == Some("ExpiredProviderToken")
                        && !renewed
                        && let Some(s) = self.apns.signer()
                    {
                        renewed = true;
                        if s.renew_if_allowed(super::jwt::now_secs()) {
                            rec.retried
                                .push("403 ExpiredProviderToken (renewed)".into());
                            continue;
                        }
                    }
                    let retry = reason::retryable(status, r);
                    (
                        retry,
                        retry_after,
                        format!("{status}{}", r.map(|r| format!(" {r}")).unwrap_or_default()),
                    )
                }
                Reply::Transport(t) => {
                    rec.status = None;
                    rec.reason = None;
                    rec.error = Some(t.message.clone());
                    if let Some(g) = &t.goaway {
                        rec.goaway = Some(g.clone());
                    }
                    let permanent_goaway = t
                        .goaway
                        .as_deref()
                        .and_then(lookup)
                        .is_some_and(|i| !i.retryable);
                    let retry = !permanent_goaway
                        && matches!(
                            t.kind,
                            TransportKind::GoAway | TransportKind::Reset | TransportKind::Connect
                        );
                    if permanent_goaway {
                        rec.reason = t.goaway.clone();
                    }
                    let label = match t.kind {
                        TransportKind::GoAway => format!(
                            "GOAWAY{}",
                            t.goaway.map(|g| format!(" {g}")).unwrap_or_default()
                        ),
                        TransportKind::Reset => "stream or connection reset".into(),
                        TransportKind::Connect => "connection failed".into(),
                        TransportKind::Tls => "TLS failure".into(),
                        TransportKind::CertificateRefused => REFUSED_CERTIFICATE.into(),
                        TransportKind::Timeout => "timeout".into(),
                        TransportKind::Other => "transport error".into(),
                    };
                    (retry, None, label)
                }
            };
            if retry && rec.attempts <= self.policy.retries {
                rec.retried.push(label);
                tokio::time::sleep(self.backoff(rec.attempts, hint)).await;
                continue;
            }
            break if rec.reason.is_some() && !retry {
                Kind::Rejected
            } else {
                Kind::Service
            };
        };
        if let Some(info) = rec.reason.as_deref().and_then(lookup) {
            rec.explanation = Some(info.explanation.to_string());
            rec.fix = Some(info.fix.to_string());
        } else if let Some(r) = &rec.reason {
            rec.explanation = Some(format!(
                "APNs answered with a reason voipctl does not know: {r}"
            ));
        } else if !rec.ok && rec.status.is_some_and(|s| s == 429 || s >= 500) {
            rec.explanation = Some("APNs is overloaded or failing".into());
            rec.fix = Some("send again later".into());
        }
        if rec.goaway.is_some() && rec.fix.is_none() && !rec.ok {
            rec.fix =
                Some("send again; if it persists, check --env against the certificate".into());
        }
        rec.latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        (rec, kind)
    }
}
