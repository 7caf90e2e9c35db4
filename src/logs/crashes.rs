//! Crash reports for `watch`: when the tracker sees a watched app die, a background task asks
//! the phone for the newest crash report of that process written at or after the death, and
//! hands it back to be put in the timeline. It runs beside the log stream, never in its way:
//! requests are queued without waiting, look-ups are debounced (the several lines of one death
//! make one look-up) and retried while iOS is still writing the report.

use super::track::Death;
use crate::device::crash::{CrashQuery, FoundReport, find_crash};
use crate::device::{self, DeviceError, Selector};
use std::time::Duration;
use tokio::sync::mpsc;

/// What a look-up came to.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// The report of this death.
    Found(Death, Box<FoundReport>),
    /// No report appeared for this death within the retries.
    NotFound(Death),
    /// The phone's crash reports cannot be read (not offered, locked, not trusted): said once;
    /// look-ups go on for later deaths (the phone may be unlocked by then) unless the service is
    /// not offered at all.
    Unavailable(Death, String),
}

/// Waits before each attempt of a look-up (iOS writes the report a moment after the process
/// died; on a phone it can take several seconds).
const ATTEMPTS: [Duration; 4] = [
    Duration::from_millis(800),
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
];

/// The look-up task and its two channels.
#[derive(Debug)]
pub(crate) struct Fetcher {
    tx: mpsc::UnboundedSender<Death>,
    /// Results.
    pub(crate) rx: mpsc::UnboundedReceiver<Fetched>,
    in_flight: usize,
    task: tokio::task::JoinHandle<()>,
}

impl Fetcher {
    /// Start the task for the phone `udid` behind `sel`.
    pub(crate) fn start(sel: &Selector, udid: &str) -> Fetcher {
        let (tx, mut requests) = mpsc::unbounded_channel::<Death>();
        let (out, rx) = mpsc::unbounded_channel();
        let mut sel = sel.clone();
        sel.udid = Some(udid.to_string());
        let task = tokio::spawn(async move {
            let mut found: Vec<String> = Vec::new();
            let mut disabled = false;
            let mut warned = false;
            while let Some(death) = requests.recv().await {
                if disabled {
                    let _ = out.send(Fetched::NotFound(death));
                    continue;
                }
                let mut q = CrashQuery {
                    processes: death.names(),
                    bundle: Some(death.app.clone()).filter(|a| a.contains('.')),
                    pid: death.pid,
                    since: death.unix,
                    skip: Vec::new(),
                    jetsam: death.kind == "jetsam",
                };
                let mut result = None;
                let mut refused = None;
                for wait in ATTEMPTS {
                    tokio::time::sleep(wait).await;
                    q.skip.clone_from(&found);
                    match look(&sel, &q).await {
                        Ok(Some(f)) => {
                            result = Some(f);
                            break;
                        }
                        Ok(None) => {}
                        Err(e) if refuses(&e) => {
                            disabled = matches!(e, DeviceError::InvalidService { .. });
                            refused = Some(e.to_string());
                            break;
                        }
                        // Unplugged, busy, a report that vanished: try again.
                        Err(_) => {}
                    }
                }
                let msg = match (result, refused) {
                    (Some(f), _) => {
                        found.push(f.name.clone());
                        Fetched::Found(death, Box::new(f))
                    }
                    (None, Some(why)) if !warned => {
                        warned = true;
                        Fetched::Unavailable(death, why)
                    }
                    (None, _) => Fetched::NotFound(death),
                };
                if out.send(msg).is_err() {
                    break;
                }
            }
        });
        Fetcher {
            tx,
            rx,
            in_flight: 0,
            task,
        }
    }

    /// Queue a look-up (never waits).
    pub(crate) fn request(&mut self, d: Death) {
        if self.tx.send(d).is_ok() {
            self.in_flight += 1;
        }
    }

    /// A result arrived.
    pub(crate) fn done(&mut self, _f: &Fetched) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Look-ups not answered yet.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }
}

impl Drop for Fetcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A report given to `analyze --crash-report`.
#[derive(Debug)]
pub(crate) enum Given {
    /// A report of one process (`.ips`, `.crash`).
    Report(Box<crate::crash::CrashReport>),
    /// A system-wide JetsamEvent report (bug_type 298): many processes, matched to the deaths in
    /// the log.
    Jetsam(Box<crate::crash::JetsamEvent>),
}

/// Read and parse `analyze --crash-report` files (the file name is kept in the report).
pub(crate) fn read_reports(paths: &[std::path::PathBuf]) -> Result<Vec<Given>, super::LogsError> {
    use std::io::Read;
    let mut out = Vec::new();
    for p in paths {
        let f = std::fs::File::open(p).map_err(|e| super::LogsError::CrashFile(p.clone(), e))?;
        let mut bytes = Vec::new();
        f.take(crate::crash::MAX_REPORT as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| super::LogsError::CrashFile(p.clone(), e))?;
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        if let Ok(j) = crate::crash::JetsamEvent::parse(&bytes, name.as_deref()) {
            out.push(Given::Jetsam(Box::new(j)));
            continue;
        }
        let r = crate::crash::parse(&bytes, name.as_deref())
            .map_err(|e| super::LogsError::CrashReport(p.clone(), e))?;
        out.push(Given::Report(Box::new(r)));
    }
    Ok(out)
}

/// The phone will not give its crash reports (as opposed to "not yet" or "went away").
fn refuses(e: &DeviceError) -> bool {
    matches!(
        e,
        DeviceError::InvalidService { .. }
            | DeviceError::Locked { .. }
            | DeviceError::TrustPending { .. }
            | DeviceError::TrustDenied { .. }
            | DeviceError::InvalidHostId { .. }
            | DeviceError::NotPaired { .. }
    )
}

async fn look(sel: &Selector, q: &CrashQuery) -> Result<Option<FoundReport>, DeviceError> {
    let dev = device::select(sel).await?;
    find_crash(&dev, q).await
}
