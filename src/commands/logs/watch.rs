//! `voipctl watch`: the same analysis as `analyze`, live from the phone.
//!
//! The source is `com.apple.os_trace_relay` where the phone offers it (millisecond stamps, pid,
//! subsystem/category, a device-side pid filter) and `com.apple.syslog_relay` otherwise (or with
//! `--syslog-relay`). When the phone goes away, the gap is marked in the timeline and the summary
//! and voipctl waits for usbmuxd to report it back, then reopens the stream (unless
//! `--exit-on-disconnect`). Ctrl-C, SIGTERM, `--duration` and `--until` all end the same way: the
//! last conclusions, the summary, and a flushed `--record` file.

use super::analyze::{emit, finish};
use super::records::{Gap, SummaryMeta};
use crate::context::{Ctx, Outcome};
use crate::device::live::{LogStream, wait_attached};
use crate::device::ostrace::{self, OsTraceEntry};
use crate::device::{self, Device, DeviceError, Selector, queue};
use crate::error::Error;
use crate::logs::crashes::{Fetched, Fetcher};
use crate::logs::decode::{Entry, Format, Level, RecordingLine, Stamp, format_unix};
use crate::logs::rules::Family;
use crate::logs::{CommonOptions, LogsError, Output, Pipeline};
use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

/// Resolved options of `voipctl watch`.
#[derive(Debug, Clone)]
pub(crate) struct WatchOptions {
    /// Which phone.
    pub sel: Selector,
    /// Filters, thresholds, rules, output.
    pub common: CommonOptions,
    /// `--fail-on` thresholds.
    pub fail_on: Vec<super::FailOn>,
    /// Use syslog_relay even where os_trace_relay is offered.
    pub syslog_relay: bool,
    /// Stop (exit 4, after the summary) when the phone goes away instead of waiting for it.
    pub exit_on_disconnect: bool,
    /// Save the raw stream here (voipctl's recording format, readable by `analyze`).
    pub record: Option<PathBuf>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop at this time.
    pub until: Option<SystemTime>,
    /// Fetch the crash report of a watched app that dies (`--no-crash-reports` turns it off).
    pub crash_reports: bool,
}

fn now_unix() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

enum Item {
    /// A syslog_relay entry; `true` when it was longer than the bound and cut.
    Line(String, bool),
    Entry(OsTraceEntry),
    /// One os_trace entry could not be decoded: counted, the stream goes on.
    Undecodable,
}

/// The next item of the stream, in this module's terms.
async fn next_item(source: &mut LogStream) -> Result<Item, DeviceError> {
    match source {
        LogStream::Syslog(s) => s.next_entry().await.map(|e| Item::Line(e.text, e.cut)),
        LogStream::OsTrace(s) => match s.next().await? {
            Ok(e) => Ok(Item::Entry(e)),
            Err(_) => Ok(Item::Undecodable),
        },
    }
}

type ItemResult = Result<Item, DeviceError>;

impl queue::Weigh for ItemResult {
    fn heap_bytes(&self) -> usize {
        match self {
            Ok(Item::Line(text, _)) => text.capacity(),
            Ok(Item::Entry(e)) => e.heap_bytes(),
            Ok(Item::Undecodable) | Err(_) => 0,
        }
    }
}

/// The stream read in its own task: the main loop waits on a queue (cancel-safe), so crash
/// reports and signals can be handled between entries without ever interrupting a read. The
/// queue is bounded in bytes ([`queue::LOG_QUEUE_BYTES`]), so a phone that floods long entries
/// while the analysis falls behind cannot grow memory with it.
struct Reader {
    rx: queue::Receiver<ItemResult>,
    task: tokio::task::JoinHandle<()>,
    udid: String,
}

impl Reader {
    fn spawn(mut source: LogStream, udid: &str) -> Reader {
        let (tx, rx) = queue::bounded(queue::LOG_QUEUE_ITEMS, queue::LOG_QUEUE_BYTES);
        let task = tokio::spawn(async move {
            loop {
                let r = next_item(&mut source).await;
                let end = r.is_err();
                if tx.send(r).await.is_err() || end {
                    break;
                }
            }
        });
        Reader {
            rx,
            task,
            udid: udid.to_string(),
        }
    }

    async fn next(&mut self) -> ItemResult {
        match self.rx.recv().await {
            Some(r) => r,
            None => Err(DeviceError::Disconnected {
                what: "read the device log".into(),
                udid: self.udid.clone(),
            }),
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn fetched(f: &mut Option<Fetcher>) -> Fetched {
    match f {
        Some(f) => match f.rx.recv().await {
            Some(x) => x,
            None => std::future::pending().await,
        },
        None => std::future::pending().await,
    }
}

/// Put a look-up's result in the timeline (or say why there is none).
fn on_fetched(
    ctx: &mut Ctx,
    live: &mut Live,
    fetcher: &mut Option<Fetcher>,
    f: Fetched,
) -> crate::Result<()> {
    if let Some(x) = fetcher.as_mut() {
        x.done(&f);
    }
    match f {
        Fetched::Found(death, found) => {
            let ev = live.pipeline.crash_report(&death, found.report);
            ctx.reporter.emit(&ev)?;
            ctx.reporter.flush()?;
        }
        Fetched::NotFound(death) => ctx.note(&format!(
            "no crash report of {} appeared on the phone for the {} at {}",
            death.app, death.kind, death.time
        )),
        Fetched::Unavailable(death, why) => ctx.warn(&format!(
            "crash reports cannot be read from the phone (looking for the report of the {} of {} at {}), so the timeline may have none; watching goes on: {why}",
            death.kind, death.app, death.time
        )),
    }
    Ok(())
}

/// syslog_relay stamps carry no time zone (they are read as UTC): a death's time from them can
/// be off by the phone's UTC offset, so the "written after the death" bound is widened by the
/// largest one (the pid match still picks the report).
const SYSLOG_ZONE_SLACK: f64 = 14.0 * 3600.0;

/// Queue a crash-report look-up for every death the last entries showed.
fn request_deaths(live: &mut Live, fetcher: &mut Option<Fetcher>) {
    for mut d in live.pipeline.take_deaths() {
        if live.syslog {
            d.unix = d.unix.map(|u| u - SYSLOG_ZONE_SLACK);
        }
        if let Some(f) = fetcher.as_mut() {
            f.request(d);
        }
    }
}

async fn open(
    dev: &Device,
    force_syslog: bool,
    pid: Option<u32>,
    ctx: &mut Ctx,
) -> Result<LogStream, DeviceError> {
    let (stream, fallback) = dev.log_stream(pid, force_syslog).await?;
    if let Some(e) = fallback {
        ctx.note(&format!(
            "os_trace_relay is not available ({e}); reading syslog_relay instead"
        ));
    }
    Ok(stream)
}

/// `--record`: the raw stream as JSON Lines, flushed at least every half second and at the end.
struct Recorder {
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
    last_flush: Instant,
}

impl Recorder {
    fn create(path: &PathBuf, udid: &str, source: &str) -> Result<Recorder, LogsError> {
        let file = std::fs::File::create(path).map_err(|e| LogsError::Record(path.clone(), e))?;
        let mut r = Recorder {
            path: path.clone(),
            out: std::io::BufWriter::with_capacity(256 * 1024, file),
            last_flush: Instant::now(),
        };
        let header = serde_json::json!({
            "voipctl_recording": 1,
            "udid": udid,
            "source": source,
            "started": format_unix(now_unix()),
            "version": env!("CARGO_PKG_VERSION"),
        });
        r.write(&header.to_string())?;
        Ok(r)
    }

    fn write(&mut self, json: &str) -> Result<(), LogsError> {
        let res = self
            .out
            .write_all(json.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"));
        res.map_err(|e| LogsError::Record(self.path.clone(), e))?;
        if self.last_flush.elapsed() > Duration::from_millis(500) {
            self.flush()?;
        }
        Ok(())
    }

    fn record(&mut self, r: &RecordingLine<'_>) -> Result<(), LogsError> {
        let json = serde_json::to_string(r)
            .map_err(|e| LogsError::Record(self.path.clone(), std::io::Error::other(e)))?;
        self.write(&json)
    }

    fn flush(&mut self) -> Result<(), LogsError> {
        self.last_flush = Instant::now();
        self.out
            .flush()
            .map_err(|e| LogsError::Record(self.path.clone(), e))
    }
}

fn level(l: ostrace::Level) -> Level {
    match l {
        ostrace::Level::Debug => Level::Debug,
        ostrace::Level::Info => Level::Info,
        ostrace::Level::Error => Level::Error,
        ostrace::Level::Fault => Level::Fault,
        ostrace::Level::Notice | ostrace::Level::UserAction | ostrace::Level::Other(_) => {
            Level::Notice
        }
    }
}

fn entry_of(e: &OsTraceEntry) -> Entry<'_> {
    let t = f64::from(e.seconds) + f64::from(e.micros) / 1e6;
    Entry {
        format: Format::OsTrace,
        time_text: Cow::Owned(format_unix(t)),
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
    }
}

/// The state that survives reconnects: the analysis, the recording, the counters.
struct Live {
    pipeline: Pipeline,
    /// The stream is syslog_relay (stamps without a zone).
    syslog: bool,
    recorder: Option<Recorder>,
    seq: u64,
    lines: u64,
    bytes: u64,
    undecodable: u64,
    /// syslog_relay entries longer than the bound, cut (their beginning was analysed).
    truncated: u64,
}

impl Live {
    /// Record and analyse one item from the phone.
    fn take(&mut self, item: Item) -> crate::Result<Vec<Output>> {
        match item {
            Item::Line(raw, cut) => {
                self.seq += 1;
                self.lines += 1;
                if cut {
                    self.truncated += 1;
                }
                self.bytes += raw.len() as u64 + 2;
                let received = now_unix();
                if let Some(r) = self.recorder.as_mut() {
                    r.record(&RecordingLine {
                        t: received,
                        line: Some(Cow::Borrowed(&raw)),
                        ..RecordingLine::default()
                    })
                    .map_err(Error::output_file)?;
                }
                Ok(if self.pipeline.wants(&raw) {
                    self.pipeline.line_received(&raw, self.seq, received)
                } else {
                    self.pipeline.tick_line_received(&raw, self.seq, received)
                })
            }
            Item::Entry(e) => {
                self.seq += 1;
                self.lines += 1;
                self.bytes += e.message.len() as u64;
                let entry = entry_of(&e);
                if let Some(r) = self.recorder.as_mut() {
                    r.record(&RecordingLine {
                        t: entry.time.map_or(0.0, |s| s.secs),
                        pid: entry.pid,
                        process: Some(entry.process.clone()),
                        image: entry.image.clone(),
                        level: entry.level,
                        subsystem: entry.subsystem.clone(),
                        category: entry.category.clone(),
                        message: Some(entry.message.clone()),
                        ..RecordingLine::default()
                    })
                    .map_err(Error::output_file)?;
                }
                Ok(if self.pipeline.wants(&e.message) {
                    self.pipeline.entry_live(&entry, self.seq)
                } else {
                    self.pipeline.tick_entry(&entry, self.seq)
                })
            }
            Item::Undecodable => {
                self.undecodable += 1;
                Ok(Vec::new())
            }
        }
    }

    fn event(&mut self, t: f64, what: &'static str) -> crate::Result<()> {
        if let Some(r) = self.recorder.as_mut() {
            r.record(&RecordingLine {
                t,
                event: Some(Cow::Borrowed(what)),
                ..RecordingLine::default()
            })
            .map_err(Error::output_file)?;
            r.flush().map_err(Error::output_file)?;
        }
        Ok(())
    }
}

/// How long the end of `watch` waits for crash-report look-ups in flight.
const CRASH_WAIT: Duration = Duration::from_secs(15);
/// The same after Ctrl-C/SIGTERM.
const CRASH_WAIT_INTERRUPTED: Duration = Duration::from_secs(3);

/// Why the loop ended.
enum End {
    Cancelled,
    Deadline,
    Disconnected(DeviceError),
}

/// Run `voipctl watch`.
pub(crate) async fn run_watch(ctx: &mut Ctx, opts: WatchOptions) -> crate::Result<Outcome> {
    let pipeline = Pipeline::new(&opts.common).map_err(Error::input)?;
    let dev = device::select(&opts.sel).await?;
    let udid = dev.udid.clone();
    let pid = match opts.common.filter.pids.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    let source = open(&dev, opts.syslog_relay, pid, ctx).await?;
    let source_name = source.name();
    ctx.note(&format!("watching {udid} through {source_name}"));
    let recorder = match &opts.record {
        Some(p) => Some(Recorder::create(p, &udid, source_name).map_err(Error::output_file)?),
        None => None,
    };
    let mut reader = Reader::spawn(source, &udid);
    let mut fetcher = opts.crash_reports.then(|| Fetcher::start(&opts.sel, &udid));
    let mut live = Live {
        pipeline,
        syslog: source_name == "syslog_relay",
        recorder,
        seq: 0,
        lines: 0,
        bytes: 0,
        undecodable: 0,
        truncated: 0,
    };
    let started = Instant::now();
    let deadline = {
        let by_duration = opts.duration.map(|d| started + d);
        let by_until = opts.until.map(|u| {
            started
                + u.duration_since(SystemTime::now())
                    .unwrap_or(Duration::ZERO)
        });
        match (by_duration, by_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    };
    let sleep_deadline = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d.into()).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(sleep_deadline);
    let cancel = ctx.cancel.clone();
    let mut gaps: Vec<Gap> = Vec::new();
    let progress = match opts.duration {
        Some(d) => ctx.progress(d.as_secs().max(1), "watching"),
        None => crate::report::Progress::hidden(),
    };
    let mut last_tick = Instant::now();
    // False while waiting for the phone to come back.
    let mut connected = true;

    let end = 'outer: loop {
        let item = tokio::select! {
            biased;
            () = cancel.cancelled() => break End::Cancelled,
            () = &mut sleep_deadline => break End::Deadline,
            f = fetched(&mut fetcher) => {
                on_fetched(ctx, &mut live, &mut fetcher, f)?;
                continue;
            }
            r = reader.next() => r,
        };
        if last_tick.elapsed() >= Duration::from_secs(1) {
            progress.inc(last_tick.elapsed().as_secs());
            last_tick = Instant::now();
        }
        match item {
            Ok(item) => {
                let outs = live.take(item)?;
                if !outs.is_empty() {
                    emit(ctx, outs)?;
                    ctx.reporter.flush()?;
                    request_deaths(&mut live, &mut fetcher);
                }
            }
            Err(e) if e.is_disconnect() => {
                connected = false;
                let from = now_unix();
                live.event(from, "disconnected")?;
                let ev = live.pipeline.gap(
                    None,
                    &format_unix(from),
                    Family::Disconnected,
                    format!("the iPhone {udid} went away: no log until it is back"),
                );
                ctx.reporter.emit(&ev)?;
                ctx.reporter.flush()?;
                gaps.push(Gap {
                    from: format_unix(from),
                    to: None,
                    duration_s: None,
                });
                if opts.exit_on_disconnect {
                    break End::Disconnected(e);
                }
                // Wait for usbmuxd to report the phone back, then reopen the stream.
                loop {
                    let back = tokio::select! {
                        biased;
                        () = cancel.cancelled() => break 'outer End::Cancelled,
                        () = &mut sleep_deadline => break 'outer End::Deadline,
                        r = wait_attached(&opts.sel, &udid, Duration::from_secs(24 * 3600)) => r,
                    };
                    let reopened = match back {
                        Ok(d) => open(&d, opts.syslog_relay, pid, ctx).await,
                        Err(e) => Err(e),
                    };
                    match reopened {
                        Ok(s) => {
                            live.syslog = s.name() == "syslog_relay";
                            reader = Reader::spawn(s, &udid);
                            connected = true;
                            break;
                        }
                        Err(e) => {
                            ctx.note(&format!("not back yet: {e}"));
                            tokio::select! {
                                biased;
                                () = cancel.cancelled() => break 'outer End::Cancelled,
                                () = &mut sleep_deadline => break 'outer End::Deadline,
                                () = tokio::time::sleep(Duration::from_millis(500)) => {}
                            }
                        }
                    }
                }
                let to = now_unix();
                if let Some(g) = gaps.last_mut() {
                    g.to = Some(format_unix(to));
                    g.duration_s = Some(((to - from) * 1000.0).round() / 1000.0);
                }
                live.event(to, "reconnected")?;
                let ev = live.pipeline.gap(
                    None,
                    &format_unix(to),
                    Family::Reconnected,
                    format!(
                        "the iPhone {udid} is back after {:.1} s (nothing was logged in between)",
                        to - from
                    ),
                );
                ctx.reporter.emit(&ev)?;
                ctx.reporter.flush()?;
            }
            Err(e) => {
                // Not a disconnect: report what we have, then the error.
                if let Some(r) = live.recorder.as_mut() {
                    let _ = r.flush();
                }
                let meta = meta(&udid, &live, gaps, false, &opts, ctx);
                finish(ctx, live.pipeline, meta, &opts.fail_on)?;
                return Err(e.into());
            }
        }
    };
    progress.finish();
    if connected && matches!(end, End::Cancelled | End::Deadline) {
        // What the phone already sent is analysed and recorded before stopping: read until the
        // stream has been quiet for 100 ms (at most 2 s).
        let stop = Instant::now() + Duration::from_secs(2);
        while Instant::now() < stop {
            match tokio::time::timeout(Duration::from_millis(100), reader.next()).await {
                Ok(Ok(item)) => {
                    let outs = live.take(item)?;
                    if !outs.is_empty() {
                        emit(ctx, outs)?;
                        request_deaths(&mut live, &mut fetcher);
                    }
                }
                _ => break,
            }
        }
    }
    drop(reader);
    // Crash reports being looked up belong in the summary: wait for them a little (longer at a
    // planned end than after Ctrl-C).
    let limit = Instant::now()
        + match end {
            End::Cancelled => CRASH_WAIT_INTERRUPTED,
            End::Deadline => CRASH_WAIT,
            // The phone is gone: nothing more can be read from it.
            End::Disconnected(_) => Duration::ZERO,
        };
    while fetcher.as_ref().is_some_and(|f| f.in_flight() > 0) {
        let Some(left) = limit.checked_duration_since(Instant::now()) else {
            ctx.note("stopped before every crash report was looked up");
            break;
        };
        match tokio::time::timeout(left, fetched(&mut fetcher)).await {
            Ok(f) => on_fetched(ctx, &mut live, &mut fetcher, f)?,
            Err(_) => {
                ctx.note("stopped before every crash report was looked up");
                break;
            }
        }
    }
    drop(fetcher);
    if let Some(r) = live.recorder.as_mut() {
        r.flush().map_err(Error::output_file)?;
    }
    let interrupted = matches!(end, End::Cancelled);
    let meta = meta(&udid, &live, gaps, interrupted, &opts, ctx);
    let outcome = finish(ctx, live.pipeline, meta, &opts.fail_on)?;
    match end {
        End::Disconnected(e) => Err(e.into()),
        _ => Ok(outcome),
    }
}

fn meta(
    udid: &str,
    live: &Live,
    gaps: Vec<Gap>,
    interrupted: bool,
    opts: &WatchOptions,
    ctx: &mut Ctx,
) -> SummaryMeta {
    if live.undecodable > 0 {
        ctx.warn(&format!(
            "{} os_trace entries could not be decoded and were skipped",
            live.undecodable
        ));
    }
    SummaryMeta {
        command: "watch",
        source: format!("device {udid}"),
        bytes: live.bytes,
        lines: live.lines,
        truncated_lines: live.truncated,
        gaps,
        interrupted,
        recording: opts.record.as_ref().map(|p| p.display().to_string()),
    }
}
