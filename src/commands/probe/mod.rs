//! `voipctl probe`: *I sent a call; where did it get lost, and why?* N rounds, each a trigger
//! (a VoIP push through APNs, or a wake on the app's VoIP socket) followed by the phone's
//! timeline read live from its log: sent → accepted → delivered → the app runs → PushKit
//! delegate → CallKit report, or the kill, the ban, the drop. Per stage p50/p95/max, `--fail-on`
//! thresholds, and for every round that did not pass a cause chain ([`diagnose`]).
//!
//! Joining host and phone: rounds never overlap (the next trigger goes out after this round
//! concluded and `--interval` passed), so a recognised line of the app (bundle ID, or the app's
//! process for its own lines; redacted names are joined by time) received after the trigger
//! belongs to it. Phone lines do not show the apns-id or the payload (iOS redacts them), so the
//! apns-id is reported from the APNs answer only. The phone's clock is put on the host's by the
//! interval method of [`crate::probe::clock`]: the uncertainty is reported, never hidden.
//!
//! Everything up to the records is built on the shared pieces: `push` sends (same auth,
//! environment and topic checks), `signal`'s peer session answers the app's socket, the device
//! log comes from `device::live`, and lines are recognised by the log rules (families, not
//! wording).

pub(crate) mod records;

pub(crate) use crate::probe::{End, Stage};

use crate::context::{Ctx, Outcome};
use crate::device::live::LogStream;
use crate::device::ostrace::OsTraceEntry;
use crate::device::{self, Device, DeviceError, Selector, queue};
use crate::error::Error;
use crate::logs::decode::{Decoder, Entry, Format, Level, Scale, Stamp, format_unix};
use crate::logs::rules::RuleSet;
use crate::probe::clock::OffsetBounds;
use crate::probe::round::{Round, Seen, Verdict};
use crate::probe::stats::StageStats;
use crate::probe::trigger::{Trigger, now_unix};
use crate::probe::{diagnose, stage, trigger};
use records::{ClockRecord, OverheadMax, ProbeSummary, RoundRecord, StageTime, ThresholdRecord};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How rounds are triggered.
#[derive(Debug, Clone)]
pub(crate) enum Via {
    /// VoIP pushes, with `push`'s options (one token: this phone's PushKit token).
    Push(Box<crate::push::Options>),
    /// A wake on the app's VoIP socket, which connects to `listen` (TCP).
    Signal {
        /// Where to listen.
        listen: SocketAddr,
        /// The wake packet.
        wake: crate::signal::WakeKind,
    },
}

/// Which statistic of a stage a threshold limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stat {
    /// Median.
    P50,
    /// 95th percentile.
    P95,
    /// Largest.
    Max,
}

/// What a `--fail-on` limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Limit {
    /// A stage's latency statistic, in ms.
    Stage(Stage, Stat, f64),
    /// How many rounds may fail.
    Failed(u64),
}

/// One `--fail-on`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FailOn {
    /// As given.
    pub spec: String,
    /// What it limits.
    pub limit: Limit,
}

impl FailOn {
    /// Parse `STAGE[.p50|.p95|.max]=DURATION` (default `.max`) or `failed=N`.
    pub(crate) fn parse(s: &str) -> Result<FailOn, String> {
        let (k, v) = s.split_once('=').ok_or_else(|| {
            format!("{s:?}: use STAGE[.p50|.p95|.max]=DURATION (reported.p95=2s) or failed=N")
        })?;
        let k = k.trim();
        if k == "failed" {
            let n = v
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("{s:?}: failed=N takes a count"))?;
            return Ok(FailOn {
                spec: s.to_string(),
                limit: Limit::Failed(n),
            });
        }
        let (stage, stat) = match k.split_once('.') {
            Some((st, "p50")) => (st, Stat::P50),
            Some((st, "p95")) => (st, Stat::P95),
            Some((st, "max")) => (st, Stat::Max),
            Some((_, other)) => {
                return Err(format!(
                    "{s:?}: unknown statistic {other:?} (p50, p95, max)"
                ));
            }
            None => (k, Stat::Max),
        };
        let stage = Stage::parse(stage).filter(|s| *s != Stage::Sent).ok_or_else(|| {
            format!("{s:?}: unknown stage {stage:?} (accepted, delivered, running, delegate, reported)")
        })?;
        let d = crate::duration::parse(v).map_err(|e| format!("{s:?}: {e}"))?;
        Ok(FailOn {
            spec: s.to_string(),
            limit: Limit::Stage(stage, stat, d.as_secs_f64() * 1000.0),
        })
    }
}

/// Resolved options of `voipctl probe`.
#[derive(Debug, Clone)]
pub(crate) struct ProbeOptions {
    /// Which phone.
    pub sel: Selector,
    /// The app.
    pub bundle: String,
    /// How to trigger.
    pub via: Via,
    /// How many rounds.
    pub rounds: u32,
    /// Pause after a round concluded, before the next trigger.
    pub interval: Duration,
    /// How long a round waits for its end.
    pub round_timeout: Duration,
    /// A report later than this after sending makes the round late.
    pub deadline: Duration,
    /// Thresholds.
    pub fail_on: Vec<FailOn>,
    /// Read syslog_relay even where os_trace_relay is offered.
    pub syslog_relay: bool,
    /// Extra rule files.
    pub rules_files: Vec<PathBuf>,
    /// `--token UDID=HEX`: each phone's token (`--all`).
    pub tokens_by_udid: Vec<(String, String)>,
    /// `--listen UDID=tcp://HOST:PORT`: each phone's listener (`--all --via signal`): one
    /// listening socket cannot tell the phones' apps apart, one per phone can.
    pub listen_by_udid: Vec<(String, SocketAddr)>,
}

/// One item from the phone, with when it arrived.
enum Item {
    Line(String),
    Entry(OsTraceEntry),
    Skip,
}

struct Arrived {
    at: Instant,
    received: f64,
    item: Result<Item, DeviceError>,
}

impl crate::device::queue::Weigh for Arrived {
    fn heap_bytes(&self) -> usize {
        match &self.item {
            Ok(Item::Line(text)) => text.capacity(),
            Ok(Item::Entry(e)) => e.heap_bytes(),
            Ok(Item::Skip) | Err(_) => 0,
        }
    }
}

/// The next item of the stream, in probe's terms.
async fn next_item(source: &mut LogStream) -> Result<Item, DeviceError> {
    match source {
        LogStream::Syslog(s) => s.next().await.map(Item::Line),
        LogStream::OsTrace(s) => Ok(match s.next().await? {
            Ok(e) => Item::Entry(e),
            Err(_) => Item::Skip,
        }),
    }
}

async fn open(dev: &Device, force_syslog: bool, ctx: &mut Ctx) -> Result<LogStream, DeviceError> {
    let (stream, fallback) = dev.log_stream(None, force_syslog).await?;
    if let Some(e) = fallback {
        ctx.note(&format!(
            "os_trace_relay is not available ({e}); reading syslog_relay (1 s stamps: a wider clock uncertainty)"
        ));
    }
    Ok(stream)
}

/// How long the OS has kept this thread waiting for a CPU so far, µs (Linux:
/// `/proc/thread-self/schedstat`, its second field; `None` elsewhere). Read twice per round, so
/// that a round whose line waited long can be matched with the time the thread was not running.
fn run_delay_us() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().nth(1)?.parse().ok()?;
    Some(ns / 1000.0)
}

/// The reader task: stamps each item with its arrival, so the time probe adds is measured from
/// the moment the line left the device stream. The queue is bounded in bytes as well as items
/// (see [`queue`]).
fn spawn_reader(mut source: LogStream) -> (queue::Receiver<Arrived>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = queue::bounded(queue::LOG_QUEUE_ITEMS, queue::LOG_QUEUE_BYTES);
    let task = tokio::spawn(async move {
        loop {
            let item = next_item(&mut source).await;
            let end = item.is_err();
            let a = Arrived {
                at: Instant::now(),
                received: now_unix(),
                item,
            };
            if tx.send(a).await.is_err() || end {
                break;
            }
        }
    });
    (rx, task)
}

fn level(l: crate::device::ostrace::Level) -> Level {
    use crate::device::ostrace::Level as L;
    match l {
        L::Debug => Level::Debug,
        L::Info => Level::Info,
        L::Error => Level::Error,
        L::Fault => Level::Fault,
        L::Notice | L::UserAction | L::Other(_) => Level::Notice,
    }
}

/// What the installed build says (installation_proxy).
#[derive(Debug, Clone, Default)]
struct AppFacts {
    executable: Option<String>,
    voip: Option<bool>,
    aps_environment: Option<String>,
}

async fn app_facts(dev: &Device, bundle: &str, ctx: &mut Ctx) -> AppFacts {
    let ids = [bundle.to_string()];
    match dev
        .browse_apps(
            crate::device::apps::AppKind::Any,
            Some(crate::device::apps::LIST_ATTRIBUTES),
            Some(&ids),
        )
        .await
    {
        Ok(apps) => match apps.first() {
            Some(d) => {
                let info = crate::device::apps::AppInfo::from_attributes(d);
                AppFacts {
                    executable: d
                        .get("CFBundleExecutable")
                        .and_then(|v| v.as_string())
                        .map(str::to_string),
                    voip: Some(info.voip),
                    aps_environment: info
                        .entitlements
                        .get("aps-environment")
                        .and_then(|v| v.as_str())
                        .map(str::to_string),
                }
            }
            None => {
                ctx.warn(&format!(
                    "{bundle} is not installed on {}: rounds will find nothing to wake",
                    dev.udid
                ));
                AppFacts::default()
            }
        },
        Err(e) => {
            ctx.note(&format!(
                "could not read the installed app ({e}); its own lines are joined by time only"
            ));
            AppFacts::default()
        }
    }
}

/// The state of one probe run on one phone.
struct Probe {
    rules: RuleSet,
    decoder: Decoder,
    bundle: String,
    exec: Option<String>,
    syslog: bool,
    bounds: OffsetBounds,
    overhead_us: Vec<f64>,
    /// The largest overhead's wait and work (µs) and round.
    overhead_max: Option<(f64, f64, u32)>,
    /// The longest work on one line, µs.
    work_max_us: f64,
    /// Per round: how long the OS kept the thread off a CPU, µs (Linux).
    run_delay_us: Vec<(u32, f64)>,
}

impl Probe {
    /// Recognise one item: its meaning for a round, and the line.
    fn recognise(&mut self, item: &Item, received: f64) -> Option<(stage::Mark, Seen)> {
        let (entry, res): (Entry<'_>, f64) = match item {
            Item::Line(raw) => {
                if !self.rules.prefilter().is_match(raw.as_bytes()) {
                    return None;
                }
                let mut e = self.decoder.decode(raw);
                e.time = e.time.map(|s| s.anchored(received));
                (e, 1.0)
            }
            Item::Entry(e) => {
                if !self.rules.prefilter().is_match(e.message.as_bytes()) {
                    return None;
                }
                let t = f64::from(e.seconds) + f64::from(e.micros) / 1e6;
                (
                    Entry {
                        format: Format::OsTrace,
                        time_text: Cow::Borrowed(""),
                        time: Some(Stamp::unix(t)),
                        process: Cow::Borrowed(e.process()),
                        image: Some(Cow::Borrowed(
                            e.image.rsplit('/').next().unwrap_or(e.image.as_str()),
                        )),
                        pid: Some(e.pid),
                        level: Some(level(e.level)),
                        subsystem: e.subsystem.as_deref().map(Cow::Borrowed),
                        category: e.category.as_deref().map(Cow::Borrowed),
                        message: Cow::Borrowed(&e.message),
                    },
                    1e-6,
                )
            }
            Item::Skip => return None,
        };
        let hit = self.rules.classify(&entry)?;
        let m = stage::mark(&hit, &entry.process, &self.bundle, self.exec.as_deref())?;
        let stamp = entry
            .time
            .filter(|s| s.scale == Scale::Unix)
            .map(|s| s.secs);
        Some((
            m,
            Seen {
                rule: hit.rule.id.clone(),
                process: entry.process.to_string(),
                line: entry.message.to_string(),
                stamp,
                res,
                received,
            },
        ))
    }

    /// Take one arrived item into `round`.
    fn take(&mut self, a: &Arrived, round: Option<&mut Round>) {
        let Ok(item) = &a.item else { return };
        let start = Instant::now();
        let Some((mark, seen)) = self.recognise(item, a.received) else {
            return;
        };
        let in_round = round.as_ref().is_some_and(|r| !r.is_concluded());
        if let Some(stamp) = seen.stamp {
            let sent = round
                .as_ref()
                .filter(|_| in_round && !matches!(mark, stage::Mark::Note))
                .map(|r| r.sent);
            self.bounds.add(stamp, seen.res, seen.received, sent);
        }
        if let Some(r) = round {
            let n = r.n;
            r.observe(mark, seen);
            if in_round {
                let total = a.at.elapsed().as_secs_f64() * 1e6;
                let wait = start.saturating_duration_since(a.at).as_secs_f64() * 1e6;
                let work = total - wait;
                self.work_max_us = self.work_max_us.max(work);
                if self.overhead_max.is_none_or(|(w, k, _)| w + k < total) {
                    self.overhead_max = Some((wait, work, n));
                }
                self.overhead_us.push(total);
            }
        }
    }

    /// Before round 1: the regex engines build their caches and first automaton states on first
    /// use, which would otherwise be counted against round 1's first stage lines. Warmed with
    /// the app's own markers (no system line is made up), recognised and thrown away.
    fn warm_up(&mut self) {
        let process = self.exec.clone().unwrap_or_else(|| self.bundle.clone());
        for message in ["VOIPCTL push.received", "VOIPCTL call.reported"] {
            let _ = self.rules.prefilter().is_match(message.as_bytes());
            let e = Entry {
                format: Format::OsTrace,
                time_text: Cow::Borrowed(""),
                time: None,
                process: Cow::Borrowed(&process),
                image: None,
                pid: None,
                level: None,
                subsystem: None,
                category: None,
                message: Cow::Borrowed(message),
            };
            let _ = self.rules.classify(&e);
        }
    }

    fn offset_ms(&self) -> Option<f64> {
        self.bounds.estimate().ok().map(|o| o.offset_ms)
    }
}

fn record(
    udid: &str,
    via: &'static str,
    r: &Round,
    verdict: Verdict,
    offset: Option<f64>,
    diag: Option<diagnose::Diagnosis>,
) -> RoundRecord {
    let mut stages = vec![StageTime {
        stage: "sent",
        ms: Some(0.0),
        line: None,
    }];
    if r.accepted.is_some() {
        stages.push(StageTime {
            stage: "accepted",
            ms: r.ms_to(Stage::Accepted, offset).map(round1),
            line: None,
        });
    }
    for (st, s) in &r.stages {
        stages.push(StageTime {
            stage: st.name(),
            ms: r.ms_to(*st, offset).map(round1),
            line: Some(format!("{}: {}", s.process, s.line)),
        });
    }
    RoundRecord {
        udid: udid.to_string(),
        round: r.n,
        via,
        verdict,
        ok: verdict.ok(),
        sent: format_unix(r.sent),
        answer: r.answer.clone(),
        stages,
        app_state: r.state.clone(),
        end: r.end.as_ref().map(|(e, why, _)| {
            format!(
                "{}: {why}",
                match e {
                    End::Killed => "killed",
                    End::Banned => "banned",
                    End::Dropped => "dropped",
                }
            )
        }),
        diagnosis: diag,
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Run `voipctl probe` on one phone.
pub(crate) async fn run_probe(ctx: &mut Ctx, opts: ProbeOptions) -> crate::Result<Outcome> {
    let mut user = Vec::new();
    for p in &opts.rules_files {
        let text = std::fs::read_to_string(p)
            .map_err(|e| Error::input(crate::logs::LogsError::RulesFile(p.clone(), e)))?;
        user.push((p.display().to_string(), text));
    }
    let rules = RuleSet::build(&user).map_err(Error::input)?;
    let dev = device::select(&opts.sel).await?;
    let udid = dev.udid.clone();
    let (mut trigger, environment, topic) = match &opts.via {
        Via::Push(p) => {
            let mut p = p.clone();
            if let Some((_, t)) = opts
                .tokens_by_udid
                .iter()
                .find(|(u, _)| crate::device::same_udid(u, &udid))
            {
                p.tokens = vec![t.clone()];
            }
            if p.tokens.is_empty() {
                return Err(Error::Usage(format!(
                    "no --token for {udid}: give --token {udid}=HEX (its PushKit token)"
                )));
            }
            let mut notices = Vec::new();
            let s = crate::push::sender(&p, &mut notices);
            crate::commands::push::tell(ctx, &notices);
            let s = s.map_err(Error::input)?;
            let env = s.environment.clone();
            let topic = s.topic.clone();
            (
                Trigger::Push {
                    sender: Box::new(s),
                },
                Some(env),
                topic,
            )
        }
        Via::Signal { listen, wake } => {
            let listen = match opts
                .listen_by_udid
                .iter()
                .find(|(u, _)| crate::device::same_udid(u, &udid))
            {
                Some((_, a)) => a,
                None if opts.listen_by_udid.is_empty() => listen,
                None => {
                    return Err(Error::Usage(format!(
                        "no --listen for {udid}: give --listen {udid}=tcp://HOST:PORT (the server its app connects to)"
                    )));
                }
            };
            let (local, t) = trigger::serve_signal(*listen, wake.clone(), opts.round_timeout)
                .await
                .map_err(|e| {
                    Error::network(std::io::Error::new(
                        e.kind(),
                        format!("listen on {listen} for the app's VoIP socket: {e}"),
                    ))
                })?;
            ctx.note(&format!(
                "waiting for the app's VoIP socket on tcp://{local}"
            ));
            (t, None, None)
        }
    };
    let facts = app_facts(&dev, &opts.bundle, ctx).await;
    let source = open(&dev, opts.syslog_relay, ctx).await?;
    let source_name = source.name();
    ctx.note(&format!(
        "probing {} on {udid} through {source_name}",
        opts.bundle
    ));
    let (mut rx, reader) = spawn_reader(source);
    let mut probe = Probe {
        rules,
        decoder: Decoder::new(),
        bundle: opts.bundle.clone(),
        exec: facts.executable.clone(),
        syslog: source_name == "syslog_relay",
        bounds: OffsetBounds::default(),
        overhead_us: Vec::new(),
        overhead_max: None,
        work_max_us: 0.0,
        run_delay_us: Vec::new(),
    };
    probe.warm_up();
    let via = trigger.via();
    let deadline_ms = opts.deadline.as_secs_f64() * 1000.0;
    let mut dctx = diagnose::Context {
        via,
        bundle: opts.bundle.clone(),
        topic,
        environment,
        voip_mode: facts.voip,
        aps_environment: facts.aps_environment.clone(),
        kills_before: 0,
        deadline_ms,
    };
    let progress = ctx.progress(u64::from(opts.rounds), "probing");
    let cancel = ctx.cancel.clone();
    let mut rounds: Vec<Round> = Vec::new();
    let mut interrupted = false;
    let mut device_error: Option<DeviceError> = None;
    let mut service_failures = 0usize;

    'rounds: for n in 1..=opts.rounds {
        if cancel.is_cancelled() {
            interrupted = true;
            break;
        }
        let mut round = Round::new(n, now_unix());
        let started = Instant::now();
        let delay_before = run_delay_us();
        // Send, reading the phone meanwhile.
        let fired = {
            let fire = trigger.fire(n);
            tokio::pin!(fire);
            loop {
                tokio::select! {
                    biased;
                    () = cancel.cancelled() => { interrupted = true; break None; }
                    a = rx.recv() => match a {
                        Some(a) => {
                            if let Err(e) = a.item { device_error = Some(e); break None; }
                            probe.take(&a, Some(&mut round));
                        }
                        None => { device_error = Some(gone(&udid)); break None; }
                    },
                    f = &mut fire => break Some(f),
                }
            }
        };
        let Some(fired) = fired else {
            rounds.push(round);
            break;
        };
        round.accepted = fired.accepted;
        round.answer = fired.answer;
        if round.accepted.is_none() {
            round.failed_to_send = true;
            if fired.service_failure || via == "signal" {
                service_failures += 1;
            }
        }
        // Wait for the end of the round.
        let until = started + opts.round_timeout;
        while !round.is_concluded() {
            tokio::select! {
                biased;
                () = cancel.cancelled() => { interrupted = true; break; }
                () = tokio::time::sleep_until(until.into()) => break,
                a = rx.recv() => match a {
                    Some(a) => {
                        if let Err(e) = a.item { device_error = Some(e); break; }
                        probe.take(&a, Some(&mut round));
                    }
                    None => { device_error = Some(gone(&udid)); break; }
                },
            }
        }
        // Settle: what the phone logs right after the end (the exception after the kill, the
        // process going away) belongs in this round's diagnosis.
        if round.is_concluded() && !interrupted && device_error.is_none() {
            let until = Instant::now() + opts.interval.min(SETTLE);
            loop {
                tokio::select! {
                    biased;
                    () = cancel.cancelled() => { interrupted = true; break; }
                    () = tokio::time::sleep_until(until.into()) => break,
                    a = rx.recv() => match a {
                        Some(a) => {
                            if let Err(e) = a.item { device_error = Some(e); break; }
                            probe.take(&a, Some(&mut round));
                        }
                        None => { device_error = Some(gone(&udid)); break; }
                    },
                }
            }
        }
        if let (Some(a), Some(b)) = (delay_before, run_delay_us()) {
            probe.run_delay_us.push((n, b - a));
        }
        let offset = probe.offset_ms();
        let verdict = round.verdict(deadline_ms, offset);
        let diag = diagnose::diagnose(&round, verdict, &dctx, offset);
        if verdict == Verdict::Killed {
            dctx.kills_before += 1;
        }
        ctx.reporter
            .emit(&record(&udid, via, &round, verdict, offset, diag))?;
        ctx.reporter.flush()?;
        progress.inc(1);
        rounds.push(round);
        if interrupted || device_error.is_some() {
            break;
        }
        // The interval: late lines of this round (exits after a kill) still join it.
        if n < opts.rounds {
            let until = Instant::now() + opts.interval;
            loop {
                tokio::select! {
                    biased;
                    () = cancel.cancelled() => { interrupted = true; break 'rounds; }
                    () = tokio::time::sleep_until(until.into()) => break,
                    a = rx.recv() => match a {
                        Some(a) => {
                            if let Err(e) = a.item { device_error = Some(e); break 'rounds; }
                            probe.take(&a, rounds.last_mut());
                        }
                        None => { device_error = Some(gone(&udid)); break 'rounds; }
                    },
                }
            }
        }
    }
    progress.finish();
    reader.abort();
    let _ = probe.syslog;

    // The summary, with the final clock estimate.
    let estimate = probe.bounds.estimate();
    let offset = estimate.ok().map(|o| o.offset_ms);
    let mut verdicts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut per_stage: BTreeMap<Stage, Vec<f64>> = BTreeMap::new();
    let mut failed = 0usize;
    let mut unknown = 0usize;
    for r in &rounds {
        let v = r.verdict(deadline_ms, offset);
        *verdicts.entry(v.name()).or_default() += 1;
        if v == Verdict::Unknown {
            unknown += 1;
        } else if !v.ok() {
            failed += 1;
        }
        for st in Stage::ALL {
            if st == Stage::Sent {
                continue;
            }
            if let Some(ms) = r.ms_to(st, offset) {
                per_stage.entry(st).or_default().push(ms);
            }
        }
    }
    let stages: BTreeMap<&'static str, StageStats> = per_stage
        .iter()
        .filter_map(|(st, v)| StageStats::of(v).map(|s| (st.name(), s)))
        .collect();
    let mut fail_on = opts.fail_on.clone();
    if !fail_on.iter().any(|f| matches!(f.limit, Limit::Failed(_))) {
        fail_on.push(FailOn {
            spec: "failed=0".into(),
            limit: Limit::Failed(0),
        });
    }
    let mut thresholds_failed = 0;
    for f in &fail_on {
        let (value, limit) = match f.limit {
            Limit::Failed(n) => (Some(failed as f64), n as f64),
            Limit::Stage(st, stat, lim) => (
                stages.get(st.name()).and_then(|s| match stat {
                    Stat::P50 => s.p50,
                    Stat::P95 => s.p95,
                    Stat::Max => s.max,
                }),
                lim,
            ),
        };
        // A stage no round reached fails its threshold: "unknown" is not "within the limit".
        let ok = value.is_some_and(|v| v <= limit);
        if !ok {
            thresholds_failed += 1;
        }
        ctx.reporter.emit(&ThresholdRecord {
            udid: udid.clone(),
            spec: f.spec.clone(),
            value: value.map(round1),
            limit,
            ok,
        })?;
    }
    let over: &[f64] = &probe.overhead_us;
    let summary = ProbeSummary {
        udid: udid.clone(),
        bundle: opts.bundle.clone(),
        via,
        source: source_name,
        rounds: rounds.len(),
        passed: rounds.len() - failed - unknown,
        failed,
        unknown,
        verdicts,
        stages,
        deadline_ms,
        clock: ClockRecord {
            method: if source_name == "syslog_relay" {
                "interval: each line stamped before it was received and after its trigger was sent (syslog_relay: 1 s stamps, in the phone's time zone)"
            } else {
                "interval: each line stamped before it was received and after its trigger was sent (os_trace_relay: 1 µs stamps)"
            },
            offset: estimate.ok(),
            unknown: estimate.err().map(str::to_string),
        },
        overhead_us: StageStats::of(over).unwrap_or_default().rounded(1),
        overhead_max: OverheadMax {
            wait_us: probe.overhead_max.map(|m| round1(m.0)),
            work_us: probe.overhead_max.map(|m| round1(m.1)),
            round: probe.overhead_max.map(|m| m.2),
            work_max_us: (!over.is_empty()).then(|| round1(probe.work_max_us)),
            round_run_delay_us: probe.overhead_max.and_then(|m| {
                probe
                    .run_delay_us
                    .iter()
                    .find(|(n, _)| *n == m.2)
                    .map(|(_, d)| round1(*d))
            }),
        },
        thresholds_failed,
        interrupted,
    };
    ctx.reporter
        .finish(&summary, &format!("voipctl probe {udid}"))?;
    if let Some(e) = device_error {
        return Err(e.into());
    }
    if interrupted {
        return Ok(Outcome::Interrupted);
    }
    if !rounds.is_empty() && service_failures == rounds.len() {
        return Err(Error::network(std::io::Error::other(format!(
            "no round's trigger got through ({}); check the network and --env/--apns-url (push) or the app's connection to --listen (signal)",
            rounds
                .iter()
                .find_map(|r| r.answer.error.clone())
                .unwrap_or_else(|| "no answer".into())
        ))));
    }
    Ok(Outcome::from_failed(thresholds_failed > 0))
}

/// How long after a round's end its last lines are awaited before it is reported (at most
/// `--interval`).
const SETTLE: Duration = Duration::from_millis(250);

fn gone(udid: &str) -> DeviceError {
    DeviceError::Disconnected {
        what: "read the device log".into(),
        udid: udid.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_forms() {
        assert_eq!(
            FailOn::parse("reported.p95=2s").map(|f| f.limit),
            Ok(Limit::Stage(Stage::Reported, Stat::P95, 2000.0))
        );
        assert_eq!(
            FailOn::parse("delivered=250ms").map(|f| f.limit),
            Ok(Limit::Stage(Stage::Delivered, Stat::Max, 250.0))
        );
        assert_eq!(
            FailOn::parse("failed=2").map(|f| f.limit),
            Ok(Limit::Failed(2))
        );
        for (bad, needle) in [
            ("reported", "STAGE"),
            ("rung.p50=1s", "unknown stage"),
            ("sent=1s", "unknown stage"),
            ("reported.p99=1s", "statistic"),
            ("reported=soon", "not a duration"),
            ("failed=x", "count"),
        ] {
            let e = FailOn::parse(bad).err().unwrap_or_default();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }
}
