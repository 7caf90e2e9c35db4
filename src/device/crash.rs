//! Crash reports from the phone, the way Xcode, `idevicecrashreport` and `pymobiledevice3 crash`
//! get them: `com.apple.crashreportmover` first (it moves pending reports into the directory
//! served over AFC and answers `ping` when done), then `com.apple.crashreportcopymobile`, an AFC
//! service rooted at the crash-report directory (`/var/mobile/Library/Logs/CrashReporter`).
//!
//! The AFC client here is voipctl's own, small and bounded (see [`super::afc`] for why not the
//! `idevice` crate's): it lists, stats and reads; it never removes a report from the phone.
//! Every operation runs under the device timeout and every failure is a [`DeviceError`].

use super::afc::{self, Packet, op, status};
use super::{Device, DeviceError, within};
use crate::crash::{self, CrashReport};
use idevice::{Idevice, IdeviceService};
use std::time::Duration;

/// The service that moves pending crash reports into place.
pub const MOVER_SERVICE: &str = "com.apple.crashreportmover";
/// The AFC service that serves the crash-report directory.
pub const COPY_SERVICE: &str = "com.apple.crashreportcopymobile";

struct MoverService(Idevice);
impl IdeviceService for MoverService {
    fn service_name() -> std::borrow::Cow<'static, str> {
        MOVER_SERVICE.into()
    }
    async fn from_stream(idevice: Idevice) -> Result<Self, idevice::IdeviceError> {
        Ok(MoverService(idevice))
    }
}

struct CopyService(Idevice);
impl IdeviceService for CopyService {
    fn service_name() -> std::borrow::Cow<'static, str> {
        COPY_SERVICE.into()
    }
    async fn from_stream(idevice: Idevice) -> Result<Self, idevice::IdeviceError> {
        Ok(CopyService(idevice))
    }
}

/// An open crash-report directory.
#[derive(Debug)]
pub struct CrashReports {
    idevice: Idevice,
    packet_num: u64,
    udid: String,
    timeout: Duration,
}

/// One entry of the directory.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFile {
    /// Path as given to [`CrashReports::info`].
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, Unix seconds (phone clock).
    pub mtime: f64,
    /// A directory (`Retired/`, `Assistant/`…).
    pub is_dir: bool,
}

impl Device {
    /// Ask the phone to move pending crash reports into the served directory; returns when it
    /// answers `ping`.
    pub async fn flush_crash_reports(&self) -> Result<(), DeviceError> {
        let MoverService(mut idevice) = self.service(MOVER_SERVICE).await?;
        let what = format!("move the crash reports into place on {}", self.udid);
        within(self.timeout, &what, async {
            let b = idevice.read_raw(4).await.map_err(self.err(&what))?;
            if b == b"ping" {
                Ok(())
            } else {
                Err(DeviceError::Malformed {
                    what: what.clone(),
                    detail: format!("crashreportmover answered {b:02x?} instead of \"ping\""),
                })
            }
        })
        .await
    }

    /// Open the crash-report directory.
    pub async fn crash_reports(&self) -> Result<CrashReports, DeviceError> {
        let CopyService(idevice) = self.service(COPY_SERVICE).await?;
        Ok(CrashReports {
            idevice,
            packet_num: 0,
            udid: self.udid.clone(),
            timeout: self.timeout,
        })
    }
}

impl CrashReports {
    /// One AFC operation: the reply of kind `expect` (`op::DATA`, `op::FILE_OPEN_RES`,
    /// `op::STATUS`), or [`DeviceError::Afc`] with the phone's error code.
    pub async fn request(
        &mut self,
        operation: u64,
        args: &[u8],
        expect: u64,
    ) -> Result<Packet, DeviceError> {
        let what = format!("use the crash-report directory on {}", self.udid);
        self.op(&what, operation, args, expect).await
    }

    async fn op(
        &mut self,
        what: &str,
        operation: u64,
        args: &[u8],
        expect: u64,
    ) -> Result<Packet, DeviceError> {
        let num = self.packet_num;
        self.packet_num += 1;
        let bytes = afc::encode(operation, num, args, &[]);
        let udid = self.udid.clone();
        let idevice = &mut self.idevice;
        let io = |e| DeviceError::from_idevice(e, &udid, what);
        within(self.timeout, what, async {
            idevice.send_raw(&bytes).await.map_err(io)?;
            let head = idevice
                .read_raw(afc::HEADER_LEN as usize)
                .await
                .map_err(io)?;
            let mut hb = [0u8; 40];
            hb.copy_from_slice(&head);
            let header =
                afc::decode_header(&hb, afc::MAX_PACKET).map_err(|e| DeviceError::Malformed {
                    what: what.to_string(),
                    detail: e.to_string(),
                })?;
            let args = if header.args_len() > 0 {
                idevice.read_raw(header.args_len()).await.map_err(io)?
            } else {
                Vec::new()
            };
            let payload = if header.payload_len() > 0 {
                idevice.read_raw(header.payload_len()).await.map_err(io)?
            } else {
                Vec::new()
            };
            let p = Packet {
                header,
                args,
                payload,
            };
            if p.header.op == op::STATUS {
                let code = p.first_u64().unwrap_or(status::UNKNOWN);
                if code != status::SUCCESS {
                    return Err(DeviceError::Afc {
                        what: what.to_string(),
                        code,
                        name: status::name(code),
                    });
                }
                if expect == op::STATUS {
                    return Ok(p);
                }
                return Err(DeviceError::Malformed {
                    what: what.to_string(),
                    detail: "a status where data was expected".into(),
                });
            }
            if p.header.op != expect {
                return Err(DeviceError::Malformed {
                    what: what.to_string(),
                    detail: format!("AFC operation {:#x} in reply", p.header.op),
                });
            }
            Ok(p)
        })
        .await
    }

    /// The names in a directory (without `.` and `..`).
    pub async fn list(&mut self, dir: &str) -> Result<Vec<String>, DeviceError> {
        let what = format!("list the crash reports on {}", self.udid);
        let p = self
            .op(&what, op::READ_DIR, dir.as_bytes(), op::DATA)
            .await?;
        let mut data = p.args;
        data.extend_from_slice(&p.payload);
        Ok(afc::strings(&data)
            .into_iter()
            .filter(|n| n != "." && n != "..")
            .collect())
    }

    /// Size, time and kind of a path.
    pub async fn info(&mut self, path: &str) -> Result<ReportFile, DeviceError> {
        let what = format!(
            "read the attributes of crash report {path} on {}",
            self.udid
        );
        let p = self
            .op(&what, op::GET_FILE_INFO, path.as_bytes(), op::DATA)
            .await?;
        let mut data = p.args;
        data.extend_from_slice(&p.payload);
        let kv = afc::pairs(&data);
        let get = |k: &str| kv.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        let ns = |k: &str| get(k).and_then(|v| v.parse::<u64>().ok());
        Ok(ReportFile {
            path: path.to_string(),
            size: get("st_size").and_then(|v| v.parse().ok()).unwrap_or(0),
            mtime: ns("st_mtime").or_else(|| ns("st_birthtime")).unwrap_or(0) as f64 / 1e9,
            is_dir: get("st_ifmt") == Some("S_IFDIR"),
        })
    }

    /// The contents of a file, at most `max` bytes (more is an error).
    pub async fn read(&mut self, path: &str, max: usize) -> Result<Vec<u8>, DeviceError> {
        let what = format!("read crash report {path} on {}", self.udid);
        let mut args = 1u64.to_le_bytes().to_vec(); // O_RDONLY
        args.extend_from_slice(path.as_bytes());
        let p = self
            .op(&what, op::FILE_OPEN, &args, op::FILE_OPEN_RES)
            .await?;
        let handle = p.first_u64().ok_or_else(|| DeviceError::Malformed {
            what: what.clone(),
            detail: "no handle in the open reply".into(),
        })?;
        let mut out = Vec::new();
        let res = loop {
            let mut args = handle.to_le_bytes().to_vec();
            args.extend_from_slice(&(64u64 * 1024).to_le_bytes());
            match self.op(&what, op::READ, &args, op::DATA).await {
                Ok(p) => {
                    let mut chunk = p.args;
                    chunk.extend_from_slice(&p.payload);
                    if chunk.is_empty() {
                        break Ok(());
                    }
                    if out.len() + chunk.len() > max {
                        break Err(DeviceError::Malformed {
                            what: what.clone(),
                            detail: format!("the report is larger than {max} bytes"),
                        });
                    }
                    out.extend_from_slice(&chunk);
                }
                Err(e) => break Err(e),
            }
        };
        // Close even after a failed read (the phone keeps the handle otherwise).
        let closed = self
            .op(&what, op::FILE_CLOSE, &handle.to_le_bytes(), op::STATUS)
            .await;
        res?;
        closed?;
        Ok(out)
    }
}

/// What to look for: the newest report of a process that died.
#[derive(Debug, Clone, Default)]
pub struct CrashQuery {
    /// Process names of the app (report files are named after the process).
    pub processes: Vec<String>,
    /// The bundle ID, when known (checked against the report).
    pub bundle: Option<String>,
    /// The pid that died, when known (checked against the report).
    pub pid: Option<u32>,
    /// When it died (Unix seconds, phone clock), when known: older reports are not it.
    pub since: Option<f64>,
    /// Reports already found (file names): not again.
    pub skip: Vec<String>,
    /// The death was a jetsam kill: the system-wide `JetsamEvent-….ips` reports written at or
    /// after it are looked at first, and one is taken only when it lists the process (pid, else
    /// name) with a kill reason.
    pub jetsam: bool,
}

/// A report found for a [`CrashQuery`].
#[derive(Debug, Clone)]
pub struct FoundReport {
    /// File name in the crash-report directory.
    pub name: String,
    /// Its modification time (Unix seconds, phone clock).
    pub mtime: f64,
    /// Parsed.
    pub report: CrashReport,
}

/// How far before the death time a report may be stamped (clock granularity, the report being
/// started before the last log line).
const SINCE_SLACK: f64 = 60.0;
/// How many candidate reports are read at most per look-up.
const MAX_PULLS: usize = 5;
/// How many candidates are stat'ed at most.
const MAX_STATS: usize = 64;
/// How many of the newest reports are looked at when none is named after the process.
const FALLBACK_STATS: usize = 8;

impl CrashQuery {
    fn accepts(&self, mtime: f64, r: &CrashReport) -> bool {
        if let (Some(want), Some(got)) = (&self.bundle, &r.bundle_id)
            && want != got
        {
            return false;
        }
        match (self.pid, r.pid) {
            (Some(a), Some(b)) => a == b,
            _ => self.since.is_none_or(|s| mtime >= s - SINCE_SLACK),
        }
    }
}

/// Flush, list and read: the newest crash report that matches `q`, or `None` when the phone
/// has none (yet).
pub async fn find_crash(dev: &Device, q: &CrashQuery) -> Result<Option<FoundReport>, DeviceError> {
    match dev.flush_crash_reports().await {
        Ok(()) => {}
        // The directory may still be readable without the mover (older iOS, a busy mover).
        Err(DeviceError::Timeout { .. } | DeviceError::Malformed { .. }) => {}
        Err(e) => return Err(e),
    }
    let mut dir = dev.crash_reports().await?;
    let names = dir.list("/").await?;
    if q.jetsam
        && let Some(found) = find_jetsam(&mut dir, &names, q).await?
    {
        return Ok(Some(found));
    }
    let mut by_name: Vec<String> = names
        .iter()
        .filter(|n| q.processes.iter().any(|p| crash::name_matches(n, p)))
        .filter(|n| !q.skip.contains(n) && !crash::is_jetsam_name(n))
        .take(MAX_STATS)
        .cloned()
        .collect();
    // No report named after a known process (the executable's name differs from what the log
    // showed): the newest reports by the date in their names, accepted only with the bundle ID.
    let fallback = by_name.is_empty() && q.bundle.is_some();
    if fallback {
        let mut dated: Vec<(String, &String)> = names
            .iter()
            .filter(|n| !q.skip.contains(n))
            .filter_map(|n| crash::name_date(n).map(|d| (d, n)))
            .collect();
        dated.sort_by(|a, b| b.0.cmp(&a.0));
        by_name = dated
            .into_iter()
            .take(FALLBACK_STATS)
            .map(|(_, n)| n.clone())
            .collect();
    }
    let mut candidates = Vec::new();
    for n in by_name {
        let f = dir.info(&format!("/{n}")).await?;
        if !f.is_dir {
            candidates.push((n, f));
        }
    }
    candidates.sort_by(|a, b| b.1.mtime.total_cmp(&a.1.mtime));
    for (name, f) in candidates.into_iter().take(MAX_PULLS) {
        if q.pid.is_none() && q.since.is_some_and(|s| f.mtime < s - SINCE_SLACK) {
            break;
        }
        let bytes = dir.read(&f.path, crash::MAX_REPORT).await?;
        let Ok(report) = crash::parse(&bytes, Some(&name)) else {
            continue;
        };
        if fallback && report.bundle_id != q.bundle {
            continue;
        }
        if q.accepts(f.mtime, &report) {
            return Ok(Some(FoundReport {
                name,
                mtime: f.mtime,
                report,
            }));
        }
    }
    Ok(None)
}

/// The newest `JetsamEvent-….ips` written at or after the death that lists the process with a
/// kill reason.
async fn find_jetsam(
    dir: &mut CrashReports,
    names: &[String],
    q: &CrashQuery,
) -> Result<Option<FoundReport>, DeviceError> {
    if q.pid.is_none() && q.processes.is_empty() {
        return Ok(None);
    }
    let mut dated: Vec<(Option<String>, &String)> = names
        .iter()
        .filter(|n| crash::is_jetsam_name(n) && !q.skip.contains(n))
        .map(|n| (crash::name_date(n), n))
        .collect();
    dated.sort_by(|a, b| b.0.cmp(&a.0));
    let mut candidates = Vec::new();
    for (_, n) in dated.into_iter().take(FALLBACK_STATS) {
        let f = dir.info(&format!("/{n}")).await?;
        if !f.is_dir {
            candidates.push((n.clone(), f));
        }
    }
    candidates.sort_by(|a, b| b.1.mtime.total_cmp(&a.1.mtime));
    for (name, f) in candidates.into_iter().take(MAX_PULLS) {
        if q.since.is_some_and(|s| f.mtime < s - SINCE_SLACK) {
            break;
        }
        let bytes = dir.read(&f.path, crash::MAX_REPORT).await?;
        // With a pid, the entry's name must still be the app's (pids are reused): `find` checks.
        if let Ok(Some(report)) = crash::parse_jetsam(&bytes, Some(&name), &q.processes, q.pid) {
            return Ok(Some(FoundReport {
                name,
                mtime: f.mtime,
                report,
            }));
        }
    }
    Ok(None)
}
