//! `--all` for `watch` and `probe`: the command on every attached phone at once. A phone that
//! attaches while the run goes on joins it; one that goes away is reported (`device_left`) and
//! its own run ends with its summary. Each phone's run is the ordinary single-phone command
//! (`-u UDID`) with its own context: its records reach stdout whole, JSON records carry a
//! `device` field (the phone's reporter sets it), human lines a `UDID │` prefix, and JUnit output
//! is one document with a testsuite per phone, HTML one page with a section per phone. The last
//! record is the `--all` summary.

use crate::context::{Ctx, Outcome};
use crate::device::live::{DeviceEvent, Watcher};
use crate::device::{self, Selector};
use crate::error::Error;
use crate::report::{
    Body, Case, CaseOutcome, HtmlPart, Output, Record, Reporter, Style, SummaryRecord,
};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io::{self, Write};
use std::pin::Pin;
use tokio::sync::mpsc;

/// Which stream a chunk of a phone's output goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Out,
    Err,
}

/// Writes a phone's output to the main loop, whole lines at a time, with the phone's prefix
/// (human output and diagnostics; JSON records carry the phone in their `device` field).
struct Tagged {
    tx: mpsc::UnboundedSender<(Stream, Vec<u8>)>,
    stream: Stream,
    prefix: Option<String>,
    buf: Vec<u8>,
}

impl Tagged {
    fn tag(&self, line: &[u8]) -> Vec<u8> {
        match &self.prefix {
            Some(p) => {
                let mut out = p.clone().into_bytes();
                out.extend_from_slice(line);
                out
            }
            None => line.to_vec(),
        }
    }
}

/// `12345678 │ `: the end of the UDID, before each line of a phone.
fn prefix(udid: &str) -> String {
    let short: String = udid
        .chars()
        .rev()
        .take(8)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{short} │ ")
}

impl Write for Tagged {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        while let Some(i) = self.buf.iter().position(|c| *c == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=i).collect();
            let tagged = self.tag(&line);
            if !tagged.is_empty() {
                self.tx
                    .send((self.stream, tagged))
                    .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
            }
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One phone's result in the `--all` summary.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DeviceResult {
    /// The phone.
    pub udid: String,
    /// `ok`, `failed`, `interrupted`, `left` (went away mid-run) or `error`.
    pub result: &'static str,
    /// Its exit code as a single-phone run.
    pub exit: u8,
    /// The error, when its run could not finish.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `{"type":"device_joined"}` / `{"type":"device_left"}`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DeviceChange {
    /// `joined` or `left`.
    #[serde(skip)]
    pub kind: &'static str,
    /// The phone.
    pub udid: String,
}

impl Record for DeviceChange {
    fn output(&self) -> Output<'_> {
        if self.kind == "joined" {
            Output::DeviceJoined(self)
        } else {
            Output::DeviceLeft(self)
        }
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        let what = if self.kind == "joined" {
            style.ok("joined")
        } else {
            style.warn("LEFT")
        };
        writeln!(w, "{} {what}", crate::sanitize::terminal(&self.udid))
    }
}

/// `{"type":"summary"}` of an `--all` run: the last record.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FarmSummary {
    /// `watch` or `probe` (the summary's `command`: `watch --all`, `probe --all`).
    #[serde(skip)]
    pub command: &'static str,
    /// Stopped by Ctrl-C (the summary's `outcome`).
    #[serde(skip)]
    pub interrupted: bool,
    /// Each phone, in the order they joined.
    pub devices: Vec<DeviceResult>,
    /// Phones whose run failed (checks, rounds, thresholds).
    pub failed: usize,
    /// Phones that went away mid-run.
    pub left: usize,
}

impl SummaryRecord for FarmSummary {
    fn body(&self) -> Body<'_> {
        if self.command == "probe" {
            Body::ProbeAll(self)
        } else {
            Body::WatchAll(self)
        }
    }
    fn outcome(&self) -> Outcome {
        if self.interrupted {
            Outcome::Interrupted
        } else {
            Outcome::from_failed(self.devices.iter().any(|d| d.result != "ok"))
        }
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        writeln!(
            w,
            "{} --all: {} phone(s), {} failed, {} left mid-run",
            style.bold(self.command),
            self.devices.len(),
            self.failed,
            self.left
        )?;
        for d in &self.devices {
            writeln!(
                w,
                "  {}  {}{}",
                crate::sanitize::terminal(&d.udid),
                d.result,
                d.error
                    .as_ref()
                    .map(|e| format!(": {}", crate::sanitize::terminal(e)))
                    .unwrap_or_default()
            )?;
        }
        Ok(())
    }
}

/// A phone's run: the single-phone command on `-u UDID`.
pub(crate) type RunOne = dyn Fn(Ctx, Selector) -> Pin<Box<dyn Future<Output = (Ctx, crate::Result<Outcome>)> + Send>>
    + Send
    + Sync;

/// Run `run` on every phone `sel` designates, as they come and go. `follow`: take phones that
/// attach later (until every run has ended for `probe`; until the end for `watch`, whose runs
/// end by their own deadline or Ctrl-C).
pub(crate) async fn run_all(
    ctx: &mut Ctx,
    sel: &Selector,
    command: &'static str,
    run: std::sync::Arc<RunOne>,
) -> crate::Result<Outcome> {
    let format = ctx.reporter.format();
    let style = *ctx.reporter.style();
    let human = ctx.reporter.prefixes_lines();
    let (tx, mut rx) = mpsc::unbounded_channel::<(Stream, Vec<u8>)>();
    let mut watcher = Watcher::start(sel).await?;
    let first = device::select_all(sel).await?;
    let mut tasks: tokio::task::JoinSet<(String, Ctx, crate::Result<Outcome>)> =
        tokio::task::JoinSet::new();
    let mut running: HashMap<String, ()> = HashMap::new();
    let mut ids: HashMap<u32, String> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut results: BTreeMap<String, DeviceResult> = BTreeMap::new();
    let mut suites: Vec<(String, Vec<Case>)> = Vec::new();
    let mut pages: Vec<HtmlPart> = Vec::new();
    let mut left: Vec<String> = Vec::new();
    let cancel = ctx.cancel.clone();
    let diag_style = ctx.diag_style;

    let spawn =
        |udid: String, tasks: &mut tokio::task::JoinSet<(String, Ctx, crate::Result<Outcome>)>| {
            let out = Tagged {
                tx: tx.clone(),
                stream: Stream::Out,
                prefix: human.then(|| prefix(&udid)),
                buf: Vec::new(),
            };
            let err = Tagged {
                tx: tx.clone(),
                stream: Stream::Err,
                prefix: Some(prefix(&udid)),
                buf: Vec::new(),
            };
            let dctx = Ctx {
                reporter: Reporter::new(format, Box::new(out), style).for_device(&udid),
                diag: Box::new(err),
                diag_style,
                progress: false,
                cancel: cancel.clone(),
            };
            let mut s = sel.clone();
            s.udid = Some(udid.clone());
            let run = run.clone();
            tasks.spawn(async move {
                let (c, r) = run(dctx, s).await;
                (udid, c, r)
            });
        };
    for d in first {
        ids.insert(d.device_id, d.udid.clone());
        if running.insert(d.udid.clone(), ()).is_none() {
            order.push(d.udid.clone());
            spawn(d.udid.clone(), &mut tasks);
        }
    }
    let mut watching = true;
    loop {
        if tasks.is_empty() {
            break;
        }
        tokio::select! {
            Some((stream, bytes)) = rx.recv() => {
                match stream {
                    Stream::Out => ctx.reporter.raw().write_all(&bytes).map_err(Error::Output)?,
                    Stream::Err => { let _ = ctx.diag.write_all(&bytes); }
                }
            }
            ev = watcher.next(), if watching => match ev {
                Ok(DeviceEvent::Attached(d)) => {
                    if sel.network != matches!(d.link, device::Link::Network(_)) {
                        continue;
                    }
                    ids.insert(d.device_id, d.udid.clone());
                    if !running.contains_key(&d.udid) && !cancel.is_cancelled() {
                        running.insert(d.udid.clone(), ());
                        left.retain(|u| *u != d.udid);
                        if !order.contains(&d.udid) {
                            order.push(d.udid.clone());
                        }
                        ctx.reporter.emit(&DeviceChange { kind: "joined", udid: d.udid.clone() })?;
                        spawn(d.udid.clone(), &mut tasks);
                    }
                }
                Ok(DeviceEvent::Detached { device_id }) => {
                    // Its run may have ended on the disconnect already: it is still reported.
                    if let Some(u) = ids.remove(&device_id)
                        && order.contains(&u)
                        && !ids.values().any(|x| *x == u)
                        && !left.contains(&u)
                    {
                        ctx.reporter.emit(&DeviceChange { kind: "left", udid: u.clone() })?;
                        left.push(u);
                    }
                }
                Err(e) => {
                    ctx.warn(&format!("stopped following attach/detach events: {e}"));
                    watching = false;
                }
            },
            Some(done) = tasks.join_next() => {
                let Ok((udid, mut dctx, r)) = done else { continue };
                let _ = dctx.reporter.flush();
                running.remove(&udid);
                let disconnected = matches!(&r, Err(Error::Device(b))
                    if b.downcast_ref::<device::DeviceError>().is_some_and(device::DeviceError::is_disconnect));
                if disconnected && !left.contains(&udid) {
                    // The run saw its phone go before usbmuxd's event arrived.
                    ctx.reporter.emit(&DeviceChange { kind: "left", udid: udid.clone() })?;
                    left.push(udid.clone());
                }
                let went = left.contains(&udid);
                let res = match &r {
                    Ok(Outcome::Ok) => DeviceResult { udid: udid.clone(), result: "ok", exit: 0, error: None },
                    Ok(Outcome::Failed) => DeviceResult { udid: udid.clone(), result: "failed", exit: 1, error: None },
                    Ok(Outcome::Interrupted) => DeviceResult { udid: udid.clone(), result: "interrupted", exit: 130, error: None },
                    Err(e) => DeviceResult {
                        udid: udid.clone(),
                        result: if went { "left" } else { "error" },
                        exit: e.code().as_u8(),
                        error: Some(e.chain().join(": ")),
                    },
                };
                {
                    let mut cases = dctx.reporter.take_cases();
                    if let Some(err) = &res.error {
                        cases.push(Case {
                            class: format!("{command}.{udid}"),
                            name: "device".into(),
                            time: None,
                            // A phone that went away failed the run; one whose run could not
                            // start or go on is a JUnit error.
                            outcome: if went {
                                CaseOutcome::Fail {
                                    message: format!("{udid}: {}", res.result),
                                    text: err.clone(),
                                }
                            } else {
                                CaseOutcome::Error {
                                    message: format!("{udid}: {}", res.result),
                                    text: err.clone(),
                                }
                            },
                        });
                    }
                    suites.push((format!("voipctl {command} {udid}"), cases));
                }
                if let Some(part) = dctx.reporter.take_html(&udid) {
                    pages.push(part);
                }
                results.insert(udid, res);
            }
        }
    }
    // What the last runs wrote.
    drop(tx);
    while let Ok((stream, bytes)) = rx.try_recv() {
        match stream {
            Stream::Out => ctx
                .reporter
                .raw()
                .write_all(&bytes)
                .map_err(Error::Output)?,
            Stream::Err => {
                let _ = ctx.diag.write_all(&bytes);
            }
        }
    }
    let devices: Vec<DeviceResult> = order
        .iter()
        .filter_map(|u| results.get(u).cloned())
        .collect();
    let summary = FarmSummary {
        command,
        interrupted: cancel.is_cancelled(),
        failed: devices.iter().filter(|d| d.result == "failed").count(),
        left: devices.iter().filter(|d| d.result == "left").count(),
        devices,
    };
    // One page, a section per phone in the order they joined.
    pages.sort_by_key(|p| order.iter().position(|u| *u == p.name));
    ctx.reporter
        .finish_suites(&summary, command, &suites, &pages)?;
    if cancel.is_cancelled() {
        return Ok(Outcome::Interrupted);
    }
    if summary.left > 0 {
        return Err(Error::device(io::Error::other(format!(
            "{} of {} phone(s) went away mid-run: {}",
            summary.left,
            summary.devices.len(),
            summary
                .devices
                .iter()
                .filter(|d| d.result == "left")
                .map(|d| d.udid.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))));
    }
    // A phone whose run could not finish: its error's exit code for the whole run.
    if let Some(d) = summary.devices.iter().find(|d| d.result == "error") {
        let msg = format!(
            "the run on {} could not finish: {}",
            d.udid,
            d.error.as_deref().unwrap_or("")
        );
        return Err(match d.exit {
            2 => Error::Usage(msg),
            3 => Error::input(io::Error::other(msg)),
            5 => Error::network(io::Error::other(msg)),
            _ => Error::device(io::Error::other(msg)),
        });
    }
    Ok(Outcome::from_failed(
        summary.devices.iter().any(|d| d.result != "ok"),
    ))
}

/// `watch --all`: each phone's watch ends at the common deadline (phones that join late get the
/// rest of it), stops when its phone goes away, and records to `FILE-<UDID>.ext` with `--record`.
pub(crate) async fn watch_all(
    ctx: &mut Ctx,
    opts: crate::commands::logs::WatchOptions,
) -> crate::Result<Outcome> {
    let until = opts
        .duration
        .map(|d| std::time::SystemTime::now() + d)
        .into_iter()
        .chain(opts.until)
        .min();
    let sel = opts.sel.clone();
    let run: std::sync::Arc<RunOne> = std::sync::Arc::new(move |mut c: Ctx, s: Selector| {
        let mut o = opts.clone();
        o.sel = s;
        o.exit_on_disconnect = true;
        o.duration = None;
        o.until = until;
        if let (Some(p), Some(u)) = (&o.record, &o.sel.udid) {
            let stem = p
                .file_stem()
                .map(|x| x.to_string_lossy().into_owned())
                .unwrap_or_default();
            let ext = p
                .extension()
                .map(|x| format!(".{}", x.to_string_lossy()))
                .unwrap_or_default();
            o.record = Some(p.with_file_name(format!("{stem}-{u}{ext}")));
        }
        Box::pin(async move {
            let r = crate::commands::logs::run_watch(&mut c, o).await;
            (c, r)
        })
    });
    run_all(ctx, &sel, "watch", run).await
}

/// `probe --all`: the rounds on every phone at once (`--via push`: each phone's token from
/// `--token UDID=HEX`; `--via signal`: each phone's listener from `--listen UDID=URL`).
pub(crate) async fn probe_all(
    ctx: &mut Ctx,
    opts: crate::commands::probe::ProbeOptions,
) -> crate::Result<Outcome> {
    if matches!(opts.via, crate::commands::probe::Via::Signal { .. })
        && opts.listen_by_udid.is_empty()
    {
        return Err(Error::Usage(
            "--all --via signal needs one listener per phone: one socket cannot tell the phones' apps apart; give --listen UDID=tcp://HOST:PORT for each phone (the server its app connects to)".into(),
        ));
    }
    let sel = opts.sel.clone();
    let run: std::sync::Arc<RunOne> = std::sync::Arc::new(move |mut c: Ctx, s: Selector| {
        let mut o = opts.clone();
        o.sel = s;
        Box::pin(async move {
            let r = crate::commands::probe::run_probe(&mut c, o).await;
            (c, r)
        })
    });
    run_all(ctx, &sel, "probe", run).await
}
