//! The simulated crash-report directory: `com.apple.crashreportcopymobile`, a real AFC server
//! rooted at the phone's `CrashReporter` directory, and the reports of the scenario's
//! `[[device.crash]]` entries, which appear at their time on the scenario clock. It answers the
//! operations crash-report clients use — ReadDirectory, GetFileInfo, GetDeviceInfo, FileOpen
//! (read-only), FileRead, FileClose, RemovePath(AndContents) — and a status with an AFC error
//! code for everything else (unknown operations, missing paths, writes).

use super::scenario::{CrashFileFormat, CrashSpec, DeviceSpec};
use super::{Io, SimState, lock};
use crate::device::afc::{self, op, status};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::io::AsyncWriteExt;

/// The empty subdirectory every CrashReporter directory has.
const RETIRED: &str = "Retired";

/// One report file.
#[derive(Debug, Clone)]
pub(crate) struct CrashFile {
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) mtime: SystemTime,
}

fn utc(t: SystemTime) -> time::OffsetDateTime {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    time::OffsetDateTime::from_unix_timestamp(i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        + time::Duration::nanoseconds(i64::from(d.subsec_nanos()))
}

/// `2025-11-25 10:00:20.6512 +0000` (`digits` fraction digits).
fn report_time(t: SystemTime, digits: usize) -> String {
    let dt = utc(t);
    let frac = format!("{:09}", dt.nanosecond());
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{} +0000",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        &frac[..digits.min(9)]
    )
}

fn file_stamp(t: SystemTime) -> String {
    let dt = utc(t);
    format!(
        "{:04}-{:02}-{:02}-{:02}{:02}{:02}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// A stable incident id for report `i` of device `udid`.
fn incident(udid: &str, i: usize) -> String {
    let h = udid
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
        .wrapping_add(i as u64);
    format!(
        "{:08X}-{:04X}-4{:03X}-8{:03X}-{:012X}",
        (h >> 32) as u32,
        (h >> 16) as u16,
        h & 0xfff,
        (h >> 20) & 0xfff,
        h & 0xffff_ffff_ffff
    )
}

/// Render report `i` of a device as it appears at `at` (the phone's wall clock).
pub(crate) fn render(dev: &DeviceSpec, i: usize, c: &CrashSpec, at: SystemTime) -> CrashFile {
    let ext = match c.format {
        CrashFileFormat::Ips => "ips",
        CrashFileFormat::Crash => "crash",
    };
    let name = c
        .name
        .clone()
        .unwrap_or_else(|| format!("{}-{}.{ext}", c.process, file_stamp(at)));
    let bytes = match &c.content {
        Some(text) => text.clone().into_bytes(),
        None => match c.format {
            CrashFileFormat::Ips => ips(dev, i, c, at),
            CrashFileFormat::Crash => crash_text(dev, i, c, at),
        },
    };
    CrashFile {
        name,
        bytes,
        mtime: at,
    }
}

fn app_version(dev: &DeviceSpec, bundle: Option<&str>) -> (String, String) {
    dev.apps
        .iter()
        .find(|a| Some(a.bundle_id.as_str()) == bundle)
        .map(|a| (a.version.clone(), a.build.clone()))
        .unwrap_or_else(|| ("1.0".into(), "1".into()))
}

fn ips(dev: &DeviceSpec, i: usize, c: &CrashSpec, at: SystemTime) -> Vec<u8> {
    let bundle = c.bundle_id.clone().unwrap_or_default();
    let (version, build) = app_version(dev, c.bundle_id.as_deref());
    let id = incident(&dev.udid, i);
    let header = serde_json::json!({
        "app_name": c.process,
        "timestamp": report_time(at, 2),
        "app_version": version,
        "slice_uuid": "8c4e2f10-7a3b-3c2d-9e1f-0a1b2c3d4e5f",
        "adam_id": "0",
        "build_version": build,
        "platform": 2,
        "bundleID": bundle,
        "share_with_app_devs": 0,
        "is_first_party": 0,
        "bug_type": "309",
        "os_version": format!("iPhone OS {} ({})", dev.ios, dev.build),
        "roots_installed": 0,
        "name": c.process,
        "incident_id": id,
    });
    let mut exception = serde_json::Map::new();
    exception.insert(
        "codes".into(),
        c.exception_codes
            .clone()
            .unwrap_or_else(|| "0x0000000000000000, 0x0000000000000000".into())
            .into(),
    );
    exception.insert("rawCodes".into(), serde_json::json!([0, 0]));
    exception.insert("type".into(), c.exception_type.clone().into());
    if let Some(s) = &c.signal {
        exception.insert("signal".into(), s.clone().into());
    }
    let mut termination = serde_json::Map::new();
    termination.insert("flags".into(), 0.into());
    if let Some(code) = c.termination_code {
        termination.insert("code".into(), code.into());
    }
    if let Some(ns) = &c.termination_namespace {
        termination.insert("namespace".into(), ns.clone().into());
    }
    if let Some(ind) = &c.termination_indicator {
        termination.insert("indicator".into(), ind.clone().into());
    }
    if !c.reasons.is_empty() {
        termination.insert("reasons".into(), c.reasons.clone().into());
    }
    termination.insert("byProc".into(), "launchd".into());
    termination.insert("byPid".into(), 1.into());
    let mut body = serde_json::json!({
        "uptime": 86400,
        "procRole": "Background",
        "version": 2,
        "userID": 501,
        "deployVersion": 210,
        "modelCode": dev.product_type,
        "coalitionID": 1234,
        "osVersion": {
            "isEmbedded": true,
            "train": format!("iPhone OS {}", dev.ios),
            "releaseType": "User",
            "build": dev.build,
        },
        "captureTime": report_time(at, 4),
        "incident": id,
        "pid": c.pid,
        "cpuType": "ARM-64",
        "procName": c.process,
        "procPath": format!("/private/var/containers/Bundle/Application/5A1B2C3D-0000-4000-8000-00000000A001/{0}.app/{0}", c.process),
        "bundleInfo": {
            "CFBundleShortVersionString": version,
            "CFBundleVersion": build,
            "CFBundleIdentifier": bundle,
        },
        "parentProc": "launchd",
        "parentPid": 1,
        "coalitionName": bundle,
        "exception": exception,
        "termination": termination,
        "faultingThread": 0,
        "threads": [{
            "id": 1001,
            "triggered": true,
            "queue": "com.apple.main-thread",
            "threadState": {
                "x": (0..29).map(|_| serde_json::json!({"value": 0})).collect::<Vec<_>>(),
                "flavor": "ARM_THREAD_STATE64",
                "fp": {"value": 6_171_237_296_u64},
                "lr": {"value": 7_516_197_012_u64},
                "sp": {"value": 6_171_237_200_u64},
                "pc": {"value": 7_516_197_428_u64},
                "cpsr": {"value": 1_073_741_824_u64},
                "far": {"value": 0},
                "esr": {"value": 1_442_840_704_u64, "description": "(Syscall)"},
            },
            "frames": [
                {"imageOffset": 4660, "symbol": "mach_msg2_trap", "symbolLocation": 8, "imageIndex": 0}
            ]
        }],
        "usedImages": [
            {"source": "P", "arch": "arm64e", "base": 7_516_192_768_u64, "size": 241_664, "uuid": "2a3b4c5d-6e7f-3a8b-9c0d-1e2f3a4b5c6d", "path": "/usr/lib/system/libsystem_kernel.dylib", "name": "libsystem_kernel.dylib"}
        ],
    });
    if let (Some(reason), Some(obj)) = (&c.exception_reason, body.as_object_mut()) {
        obj.insert(
            "exceptionReason".into(),
            serde_json::json!({
                "composed_message": reason,
                "type": "objc-exception",
                "name": "NSInternalInconsistencyException",
            }),
        );
    }
    let mut out = header.to_string().into_bytes();
    out.push(b'\n');
    out.extend_from_slice(
        serde_json::to_string_pretty(&body)
            .unwrap_or_default()
            .as_bytes(),
    );
    out
}

fn crash_text(dev: &DeviceSpec, i: usize, c: &CrashSpec, at: SystemTime) -> Vec<u8> {
    let bundle = c.bundle_id.clone().unwrap_or_default();
    let (version, build) = app_version(dev, c.bundle_id.as_deref());
    let mut s = String::new();
    let mut line = |k: &str, v: &str| {
        s.push_str(&format!("{:<21}{v}\n", format!("{k}:")));
    };
    line("Incident Identifier", &incident(&dev.udid, i));
    line("Hardware Model", &dev.product_type);
    line("Process", &format!("{} [{}]", c.process, c.pid));
    line(
        "Path",
        &format!(
            "/private/var/containers/Bundle/Application/5A1B2C3D-0000-4000-8000-00000000A001/{0}.app/{0}",
            c.process
        ),
    );
    line("Identifier", &bundle);
    line("Version", &format!("{build} ({version})"));
    line("Code Type", "ARM-64 (Native)");
    line("Role", "Background");
    line("Parent Process", "launchd [1]");
    s.push('\n');
    let mut line = |k: &str, v: &str| {
        s.push_str(&format!("{:<21}{v}\n", format!("{k}:")));
    };
    line("Date/Time", &report_time(at, 4));
    line(
        "OS Version",
        &format!("iPhone OS {} ({})", dev.ios, dev.build),
    );
    line("Report Version", "104");
    s.push('\n');
    let exc = match &c.signal {
        Some(sig) => format!("{} ({sig})", c.exception_type),
        None => c.exception_type.clone(),
    };
    s.push_str(&format!("Exception Type:  {exc}\n"));
    s.push_str(&format!(
        "Exception Codes: {}\n",
        c.exception_codes
            .as_deref()
            .unwrap_or("0x0000000000000000, 0x0000000000000000")
    ));
    if let Some(ns) = &c.termination_namespace {
        let code = c
            .termination_code
            .map(|n| format!(", Code {n:#x}"))
            .unwrap_or_default();
        s.push_str(&format!("Termination Reason: Namespace {ns}{code}\n"));
    }
    let mut desc: Vec<String> = c.termination_indicator.iter().cloned().collect();
    desc.extend(c.reasons.iter().cloned());
    if !desc.is_empty() {
        s.push_str(&format!("Termination Description: {}\n", desc.join(" | ")));
    }
    if let Some(r) = &c.exception_reason {
        s.push_str(&format!("\nApplication Specific Information:\n{r}\n\n"));
    }
    s.push_str("Triggered by Thread:  0\n\nThread 0 name:  Dispatch queue: com.apple.main-thread\nThread 0 Crashed:\n0   libsystem_kernel.dylib        \t0x00000001c0b3e1b4 mach_msg2_trap + 8\n");
    s.into_bytes()
}

/// The reports present now on device `dev` (time order), without the removed ones.
pub(crate) fn files(state: &SimState, dev: usize) -> Vec<CrashFile> {
    let d = &state.devices[dev];
    let Some(clock) = state.clock_if_started() else {
        return Vec::new();
    };
    let now = clock.now();
    let removed = lock(&d.crash_removed).clone();
    let mut out: Vec<CrashFile> = d
        .spec
        .crashes
        .iter()
        .enumerate()
        .filter(|(_, c)| c.at <= now)
        .map(|(i, c)| render(&d.spec, i, c, clock.wall(c.at)))
        .filter(|f| !removed.contains(&f.name))
        .collect();
    out.sort_by_key(|f| f.mtime);
    out
}

/// What a path names in the directory.
enum Node {
    Root,
    Retired,
    File(CrashFile),
    Missing,
}

/// `/`, `.`, `./x`, `/x`, `x` → the entry.
fn lookup(state: &SimState, dev: usize, path: &str) -> Node {
    let mut p = path.trim();
    loop {
        if let Some(r) = p.strip_prefix("./") {
            p = r;
        } else if let Some(r) = p.strip_prefix('/') {
            p = r;
        } else {
            break;
        }
    }
    let p = p.trim_end_matches('/');
    if p.is_empty() || p == "." {
        return Node::Root;
    }
    let removed = lock(&state.devices[dev].crash_removed).contains(RETIRED);
    if p == RETIRED && !removed {
        return Node::Retired;
    }
    match files(state, dev).into_iter().find(|f| f.name == p) {
        Some(f) => Node::File(f),
        None => Node::Missing,
    }
}

fn nanos(t: SystemTime) -> String {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos()
        .to_string()
}

fn kv(pairs: &[(&str, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (k, v) in pairs {
        out.extend_from_slice(k.as_bytes());
        out.push(0);
        out.extend_from_slice(v.as_bytes());
        out.push(0);
    }
    out
}

fn status_reply(num: u64, code: u64) -> Vec<u8> {
    afc::encode(op::STATUS, num, &code.to_le_bytes(), &[])
}

/// Serve one `com.apple.crashreportcopymobile` connection.
pub(crate) async fn serve(
    state: Arc<SimState>,
    dev: usize,
    mut io: Box<dyn Io>,
) -> std::io::Result<()> {
    let started = state.started_at();
    let mut handles: HashMap<u64, (Vec<u8>, usize)> = HashMap::new();
    let mut next_handle: u64 = 1;
    loop {
        let req = match afc::read_packet(&mut io, afc::MAX_PACKET).await {
            Ok(Some(p)) => p,
            // End of stream, or bytes that are not AFC: hang up, as afcd does.
            Ok(None) | Err(_) => return Ok(()),
        };
        if let Some(d) = state.devices[dev].spec.faults.slow {
            tokio::time::sleep(d).await;
        }
        let num = req.header.packet_num;
        let reply = match req.header.op {
            op::READ_DIR => match lookup(&state, dev, &afc::path_arg(&req.args)) {
                Node::Root => {
                    let mut names = vec![".".to_string(), "..".to_string()];
                    if !lock(&state.devices[dev].crash_removed).contains(RETIRED) {
                        names.push(RETIRED.into());
                    }
                    names.extend(files(&state, dev).into_iter().map(|f| f.name));
                    let mut payload = Vec::new();
                    for n in names {
                        payload.extend_from_slice(n.as_bytes());
                        payload.push(0);
                    }
                    afc::encode(op::DATA, num, &[], &payload)
                }
                Node::Retired => afc::encode(op::DATA, num, &[], b".\0..\0"),
                Node::File(_) => status_reply(num, status::INVALID_ARG),
                Node::Missing => status_reply(num, status::OBJECT_NOT_FOUND),
            },
            op::GET_FILE_INFO => {
                let dir = |t: SystemTime| {
                    kv(&[
                        ("st_size", "64".into()),
                        ("st_blocks", "0".into()),
                        ("st_nlink", "2".into()),
                        ("st_ifmt", "S_IFDIR".into()),
                        ("st_mtime", nanos(t)),
                        ("st_birthtime", nanos(t)),
                    ])
                };
                match lookup(&state, dev, &afc::path_arg(&req.args)) {
                    Node::Root | Node::Retired => afc::encode(op::DATA, num, &[], &dir(started)),
                    Node::File(f) => {
                        let info = kv(&[
                            ("st_size", f.bytes.len().to_string()),
                            ("st_blocks", f.bytes.len().div_ceil(512).to_string()),
                            ("st_nlink", "1".into()),
                            ("st_ifmt", "S_IFREG".into()),
                            ("st_mtime", nanos(f.mtime)),
                            ("st_birthtime", nanos(f.mtime)),
                        ]);
                        afc::encode(op::DATA, num, &[], &info)
                    }
                    Node::Missing => status_reply(num, status::OBJECT_NOT_FOUND),
                }
            }
            op::GET_DEVINFO => {
                let info = kv(&[
                    ("Model", state.devices[dev].spec.product_type.clone()),
                    ("FSTotalBytes", "127989493760".into()),
                    ("FSFreeBytes", "64994746368".into()),
                    ("FSBlockSize", "4096".into()),
                ]);
                afc::encode(op::DATA, num, &[], &info)
            }
            op::FILE_OPEN => {
                if req.args.len() < 8 {
                    status_reply(num, status::INVALID_ARG)
                } else {
                    let mode = req.first_u64().unwrap_or(0);
                    match lookup(&state, dev, &afc::path_arg(&req.args[8..])) {
                        _ if mode != 1 => status_reply(num, status::PERM_DENIED),
                        Node::File(f) if handles.len() < 64 => {
                            let h = next_handle;
                            next_handle += 1;
                            handles.insert(h, (f.bytes, 0));
                            afc::encode(op::FILE_OPEN_RES, num, &h.to_le_bytes(), &[])
                        }
                        Node::File(_) => status_reply(num, status::UNKNOWN),
                        Node::Root | Node::Retired => status_reply(num, status::OBJECT_IS_DIR),
                        Node::Missing => status_reply(num, status::OBJECT_NOT_FOUND),
                    }
                }
            }
            op::READ => {
                let size = (req.args.len() >= 16).then(|| {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&req.args[8..16]);
                    u64::from_le_bytes(b)
                });
                match (req.first_u64(), size) {
                    (Some(h), Some(size)) => match handles.get_mut(&h) {
                        Some((bytes, pos)) => {
                            let n = (size.min(afc::MAX_READ) as usize).min(bytes.len() - *pos);
                            let chunk = bytes[*pos..*pos + n].to_vec();
                            *pos += n;
                            afc::encode(op::DATA, num, &[], &chunk)
                        }
                        None => status_reply(num, status::INVALID_ARG),
                    },
                    _ => status_reply(num, status::INVALID_ARG),
                }
            }
            op::FILE_CLOSE => match req.first_u64().and_then(|h| handles.remove(&h)) {
                Some(_) => status_reply(num, status::SUCCESS),
                None => status_reply(num, status::INVALID_ARG),
            },
            op::REMOVE_PATH | op::REMOVE_PATH_AND_CONTENTS => {
                match lookup(&state, dev, &afc::path_arg(&req.args)) {
                    Node::Root => status_reply(num, status::PERM_DENIED),
                    Node::Retired => {
                        lock(&state.devices[dev].crash_removed).insert(RETIRED.into());
                        status_reply(num, status::SUCCESS)
                    }
                    Node::File(f) => {
                        lock(&state.devices[dev].crash_removed).insert(f.name);
                        status_reply(num, status::SUCCESS)
                    }
                    Node::Missing => status_reply(num, status::OBJECT_NOT_FOUND),
                }
            }
            op::MAKE_DIR | op::WRITE_FILE_ATOM | op::WRITE | op::RENAME_PATH => {
                status_reply(num, status::PERM_DENIED)
            }
            _ => status_reply(num, status::OP_NOT_SUPPORTED),
        };
        io.write_all(&reply).await?;
        io.flush().await?;
    }
}

/// `com.apple.crashreportmover`: pending reports are already in place; answer `ping` (with the
/// terminating NUL the phone sends; clients read 4 or 5 bytes).
pub(crate) async fn mover(mut io: Box<dyn Io>) -> std::io::Result<()> {
    io.write_all(b"ping\0").await?;
    io.flush().await?;
    // Let the client read before the socket closes.
    tokio::time::sleep(Duration::from_millis(50)).await;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sim::scenario::Scenario;

    #[test]
    fn generated_reports_parse_back() {
        let s = Scenario::parse(
            r#"
[[device]]
udid = "abc"
ios = "17.5.1"
build = "21F90"
[[device.crash]]
at = "1s"
process = "ExampleCall"
bundle_id = "com.example.call"
pid = 601
signal = "SIGKILL"
termination_namespace = "FRONTBOARD"
termination_code = 0xbaadca11
reasons = ["<RBSTerminateContext| domain:10 code:0xBAADCA11 explanation:<no explanation given> reportType:CrashLog maxTerminationResistance:Interactive>"]
[[device.crash]]
at = "2s"
process = "LegacyPhone"
bundle_id = "com.example.legacyphone"
pid = 412
format = "crash"
signal = "SIGKILL"
termination_namespace = "SPRINGBOARD"
termination_code = 0x8badf00d
termination_indicator = "scene-create watchdog transgression"
"#,
        )
        .unwrap();
        let d = &s.devices[0];
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_064_820);
        let f = render(d, 0, &d.crashes[0], t);
        assert_eq!(f.name, "ExampleCall-2025-11-25-100020.ips");
        let r = crate::crash::parse(&f.bytes, Some(&f.name)).unwrap();
        assert_eq!(r.format, crate::crash::CrashFormat::IpsJson);
        assert_eq!(r.bug_type.as_deref(), Some("309"));
        assert_eq!(r.pid, Some(601));
        assert_eq!(r.bundle_id.as_deref(), Some("com.example.call"));
        assert_eq!(r.termination_code.as_deref(), Some("0xbaadca11"));
        assert_eq!(r.unix_time(), Some(1_764_064_820.0));
        let f = render(d, 1, &d.crashes[1], t);
        assert!(f.name.ends_with(".crash"));
        let r = crate::crash::parse(&f.bytes, Some(&f.name)).unwrap();
        assert_eq!(r.format, crate::crash::CrashFormat::CrashText);
        assert_eq!(r.process.as_deref(), Some("LegacyPhone"));
        assert_eq!(r.pid, Some(412));
        assert_eq!(r.termination_namespace.as_deref(), Some("SPRINGBOARD"));
        assert_eq!(r.termination_code.as_deref(), Some("0x8badf00d"));
        assert_eq!(r.signal.as_deref(), Some("SIGKILL"));
        assert!(r.termination_reason.unwrap().contains("watchdog"));
    }
}
