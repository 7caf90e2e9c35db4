//! The scenario file that drives `voipctl sim`: which phones exist, what is installed on them,
//! what their logs say and when, and which faults to inject. TOML, documented in the README and
//! in the shipped `scenarios/*.toml`. Parsing is strict (unknown keys are errors, so a typo never
//! silently disables a fault) and bounded (a timeline cannot expand past [`MAX_ENTRIES`]).

use crate::device::ostrace::Level;
use serde::Deserialize;
use std::net::IpAddr;
use std::time::Duration;

/// The most log entries a scenario may expand to (after `repeat`).
pub const MAX_ENTRIES: usize = 2_000_000;

/// Why a scenario is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Not valid TOML, or not the scenario schema.
    #[error("read the scenario: {0}")]
    Toml(String),
    /// Valid TOML with values that do not make sense.
    #[error("read the scenario: {0}")]
    Invalid(String),
    /// The file could not be read.
    #[error("read the scenario file {path}")]
    Io {
        /// Which file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// When the timeline's clock starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClockStart {
    /// When the first client opens a log service (syslog_relay or os_trace_relay) on any
    /// device: tests and demos see the whole timeline however long they took to connect.
    #[default]
    FirstLogClient,
    /// When the simulator starts.
    Launch,
}

/// A whole scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A title, shown by `voipctl sim`.
    #[serde(default)]
    pub name: Option<String>,
    /// What the scenario shows.
    #[serde(default)]
    pub description: Option<String>,
    /// When time 0 is.
    #[serde(default)]
    pub clock: ClockStart,
    /// How fast scenario time runs: 60 plays a minute of the timeline per second (log lines
    /// still carry scenario timestamps, so a 20-minute keep-alive story takes 20 s). Default 1.
    #[serde(default = "one_f64")]
    pub speed: f64,
    /// The phones.
    #[serde(rename = "device")]
    pub devices: Vec<DeviceSpec>,
}

/// How the phone is attached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionSpec {
    /// Cable.
    #[default]
    Usb,
    /// Wi-Fi.
    Network,
    /// Both: usbmuxd lists it twice, once per link.
    Both,
}

/// One simulated phone.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSpec {
    /// UniqueDeviceID (and usbmuxd SerialNumber).
    pub udid: String,
    /// DeviceName.
    #[serde(default = "default_name")]
    pub name: String,
    /// ProductType.
    #[serde(default = "default_product_type")]
    pub product_type: String,
    /// ProductVersion (iOS 10 or later: TLS 1.0 sessions are not offered).
    #[serde(default = "default_ios")]
    pub ios: String,
    /// BuildVersion.
    #[serde(default = "default_build")]
    pub build: String,
    /// USB, network or both.
    #[serde(default)]
    pub connection: ConnectionSpec,
    /// IP address of the network link.
    #[serde(default)]
    pub address: Option<IpAddr>,
    /// Extra or overriding lockdown values of the global domain.
    #[serde(default)]
    pub values: toml::Table,
    /// Other lockdown domains: `[device.domains."com.apple.disk_usage"]`.
    #[serde(default)]
    pub domains: toml::Table,
    /// Faults to inject.
    #[serde(default)]
    pub faults: Faults,
    /// Installed apps.
    #[serde(default, rename = "app")]
    pub apps: Vec<AppSpec>,
    /// The log timeline.
    #[serde(default, rename = "log")]
    pub log: Vec<LogSpec>,
    /// Crash reports that appear in the crash-report directory (served over AFC by
    /// `com.apple.crashreportcopymobile`) at their time on the scenario clock.
    #[serde(default, rename = "crash")]
    pub crashes: Vec<CrashSpec>,
    /// How the phone answers a trigger (a push accepted by the simulator's APNs look-alike, or
    /// data on the app's VoIP socket): `[device.react]`, see `crate::sim::react`.
    #[serde(default)]
    pub react: Option<super::react::ReactSpec>,
}

/// The most crash reports a device may have.
pub const MAX_CRASHES: usize = 10_000;

/// How a crash report file is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CrashFileFormat {
    /// iOS 15+: `.ips`, a JSON header line and a JSON body.
    #[default]
    Ips,
    /// Legacy `.crash` text (iOS 14 and earlier, Xcode exports).
    Crash,
}

/// A crash report of the timeline: when the app dies, the report appears.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrashSpec {
    /// When the report appears (on the scenario clock), usually just after the exit lines.
    #[serde(deserialize_with = "duration")]
    pub at: Duration,
    /// Process name (the file is named after it: `ExampleCall-2025-11-25-100020.ips`).
    pub process: String,
    /// Bundle ID.
    #[serde(default)]
    pub bundle_id: Option<String>,
    /// Pid that died.
    #[serde(default = "default_pid")]
    pub pid: u32,
    /// `.ips` (default) or `.crash`.
    #[serde(default)]
    pub format: CrashFileFormat,
    /// Mach exception type.
    #[serde(default = "default_exception")]
    pub exception_type: String,
    /// Signal name (`SIGKILL`, `SIGABRT`, `SIGSEGV`).
    #[serde(default)]
    pub signal: Option<String>,
    /// Exception codes text.
    #[serde(default)]
    pub exception_codes: Option<String>,
    /// The uncaught exception message (`*** Terminating app due to uncaught exception …`).
    #[serde(default)]
    pub exception_reason: Option<String>,
    /// Termination namespace (`SIGNAL`, `FRONTBOARD`, `RUNNINGBOARD`, `SPRINGBOARD`).
    #[serde(default)]
    pub termination_namespace: Option<String>,
    /// Termination code (TOML accepts hex: `0x8badf00d`).
    #[serde(default)]
    pub termination_code: Option<u64>,
    /// Termination indicator (`Abort trap: 6`).
    #[serde(default)]
    pub termination_indicator: Option<String>,
    /// Termination reasons.
    #[serde(default)]
    pub reasons: Vec<String>,
    /// File name instead of the generated one.
    #[serde(default)]
    pub name: Option<String>,
    /// The whole file, verbatim, instead of a generated report (malformed-report tests).
    #[serde(default)]
    pub content: Option<String>,
}

fn default_exception() -> String {
    "EXC_CRASH".into()
}

fn one_f64() -> f64 {
    1.0
}

fn default_name() -> String {
    "iPhone".into()
}
fn default_product_type() -> String {
    "iPhone14,5".into()
}
fn default_ios() -> String {
    "17.5.1".into()
}
fn default_build() -> String {
    "21F90".into()
}

/// What the phone answers when the host asks for a session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pairing {
    /// Paired and trusted.
    #[default]
    Ok,
    /// usbmuxd has no pairing record for it (never trusted on this host).
    None,
    /// The "Trust This Computer?" dialog is showing (PairingDialogResponsePending).
    Pending,
    /// "Don't Trust" was tapped (UserDeniedPairing).
    Denied,
    /// The phone forgot this host (InvalidHostID: erased, or trust reset).
    InvalidHost,
}

/// Where to send replies that are not plists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Malformed {
    /// usbmuxd's ListDevices reply.
    Usbmuxd,
    /// Every lockdownd reply.
    Lockdown,
    /// installation_proxy replies.
    InstallationProxy,
    /// syslog_relay: lines with invalid UTF-8 and terminal escape sequences.
    Syslog,
    /// os_trace_relay: every third entry truncated.
    OsTrace,
}

/// Faults of one phone.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// Locked with a passcode: sessions are refused (PasswordProtected).
    #[serde(default)]
    pub locked: bool,
    /// Trust state.
    #[serde(default)]
    pub pairing: Pairing,
    /// Delay before every lockdownd and service reply (e.g. "30s" to test timeouts).
    #[serde(default, deserialize_with = "opt_duration")]
    pub slow: Option<Duration>,
    /// Garbage instead of a plist in one place.
    #[serde(default)]
    pub malformed: Option<Malformed>,
    /// syslog_relay: before the first entry, one entry of this many bytes (filler, not a log
    /// line), as from a phone or a proxy gone wrong; a reader must cut it and go on.
    #[serde(default)]
    pub endless_line: Option<u64>,
    /// syslog_relay: before the first entry (after `endless_line`), a flood of long entries, as
    /// from a phone that logs megabytes per line; a reader must cut the over-long ones and keep
    /// its memory bounded however far its analysis falls behind.
    #[serde(default)]
    pub long_lines: Option<LongLines>,
    /// Cable pulls.
    #[serde(default)]
    pub detach: Vec<Detach>,
    /// The crash-report services are not offered (StartService answers InvalidService).
    #[serde(default)]
    pub no_crash_reports: bool,
    /// Starting the crash-report services is refused as on a phone locked since the session
    /// began (StartService answers PasswordProtected); the logs still flow.
    #[serde(default)]
    pub crash_reports_locked: bool,
}

/// The `long_lines` fault: `count` entries of `bytes` bytes each.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongLines {
    /// How many entries.
    pub count: u64,
    /// Bytes of each (filler, not a log line).
    pub bytes: u64,
}

/// A detach, and optionally the re-attach.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detach {
    /// When the phone goes away (on the scenario clock).
    #[serde(deserialize_with = "duration")]
    pub at: Duration,
    /// When it comes back (with a new usbmuxd DeviceID, as real usbmuxd does).
    #[serde(default, deserialize_with = "opt_duration")]
    pub reattach: Option<Duration>,
}

/// An installed app.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSpec {
    /// CFBundleIdentifier.
    pub bundle_id: String,
    /// CFBundleDisplayName and CFBundleName.
    #[serde(default)]
    pub name: Option<String>,
    /// CFBundleShortVersionString.
    #[serde(default = "default_version")]
    pub version: String,
    /// CFBundleVersion.
    #[serde(default = "default_build_number")]
    pub build: String,
    /// CFBundleExecutable (default: the name without spaces).
    #[serde(default)]
    pub executable: Option<String>,
    /// UIBackgroundModes.
    #[serde(default)]
    pub background_modes: Vec<String>,
    /// User or System.
    #[serde(default = "default_app_type", rename = "type")]
    pub app_type: String,
    /// SignerIdentity.
    #[serde(default)]
    pub signer: Option<String>,
    /// Other Info.plist keys, any TOML value.
    #[serde(default)]
    pub info: toml::Table,
    /// Entitlements.
    #[serde(default)]
    pub entitlements: toml::Table,
}

fn default_version() -> String {
    "1.0".into()
}
fn default_build_number() -> String {
    "1".into()
}
fn default_app_type() -> String {
    "User".into()
}

/// One log line of the timeline (or a series of them, with `repeat`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSpec {
    /// When (on the scenario clock).
    #[serde(deserialize_with = "duration")]
    pub at: Duration,
    /// Process name (`SpringBoard`, `callservicesd`, the app's executable…).
    pub process: String,
    /// Process id.
    #[serde(default = "default_pid")]
    pub pid: u32,
    /// The image in parentheses (`SpringBoard(FrontBoard)[57]`).
    #[serde(default)]
    pub image: Option<String>,
    /// Notice, Info, Debug, Error, Fault (Warning maps to Error).
    #[serde(default = "default_level")]
    pub level: String,
    /// The message (may contain `\n`).
    pub message: String,
    /// os_log subsystem (os_trace_relay only).
    #[serde(default)]
    pub subsystem: Option<String>,
    /// os_log category (os_trace_relay only).
    #[serde(default)]
    pub category: Option<String>,
    /// How many times (default 1).
    #[serde(default = "one")]
    pub repeat: u32,
    /// Interval between repeats (default 1s).
    #[serde(default, deserialize_with = "opt_duration")]
    pub every: Option<Duration>,
    /// Replay (`sim --replay`): the entry's own time, written instead of the scenario clock's.
    #[serde(skip)]
    pub stamp: Option<std::time::SystemTime>,
    /// Replay: the syslog_relay line exactly as it was recorded (written as is).
    #[serde(skip)]
    pub raw: Option<String>,
}

fn default_pid() -> u32 {
    1
}
fn default_level() -> String {
    "Notice".into()
}
fn one() -> u32 {
    1
}

/// Parse a duration (see `crate::duration::parse`).
pub fn parse_duration(s: &str) -> Option<Duration> {
    crate::duration::parse(s).ok()
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawDuration {
    Int(i64),
    Float(f64),
    Text(String),
}

fn to_duration<E: serde::de::Error>(r: RawDuration) -> Result<Duration, E> {
    let d = match r {
        RawDuration::Int(i) => parse_duration(&i.to_string()),
        RawDuration::Float(f) => parse_duration(&f.to_string()),
        RawDuration::Text(t) => parse_duration(&t),
    };
    d.ok_or_else(|| E::custom("expected a duration such as 1.5, \"250ms\", \"2s\", \"1m30s\""))
}

pub(crate) fn duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    to_duration(RawDuration::deserialize(d)?)
}

pub(crate) fn opt_duration<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Duration>, D::Error> {
    Ok(Some(to_duration(RawDuration::deserialize(d)?)?))
}

impl Scenario {
    /// Parse and check a scenario (the parser of scenario files; safe on any input).
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        let s: Scenario = toml::from_str(text)
            .map_err(|e| ScenarioError::Toml(e.to_string().trim().to_string()))?;
        s.validate()?;
        Ok(s)
    }

    /// Read a scenario file.
    pub fn load(path: &std::path::Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        Scenario::parse(&text)
    }

    /// One plain USB iPhone with no apps and no log: the default of `voipctl sim`.
    pub fn single(udid: &str) -> Scenario {
        Scenario {
            name: None,
            description: None,
            clock: ClockStart::default(),
            speed: 1.0,
            devices: vec![DeviceSpec {
                udid: udid.to_string(),
                name: default_name(),
                product_type: default_product_type(),
                ios: default_ios(),
                build: default_build(),
                connection: ConnectionSpec::Usb,
                address: None,
                values: toml::Table::new(),
                domains: toml::Table::new(),
                faults: Faults::default(),
                apps: Vec::new(),
                log: Vec::new(),
                crashes: Vec::new(),
                react: None,
            }],
        }
    }

    fn validate(&self) -> Result<(), ScenarioError> {
        let bad = |m: String| Err(ScenarioError::Invalid(m));
        if !(self.speed.is_finite() && (0.001..=100_000.0).contains(&self.speed)) {
            return bad(format!(
                "speed {} must be between 0.001 and 100000",
                self.speed
            ));
        }
        if self.devices.is_empty() {
            return bad("it has no [[device]]; add at least one".into());
        }
        let mut total: usize = 0;
        for (i, d) in self.devices.iter().enumerate() {
            if d.udid.is_empty()
                || d.udid.len() > 64
                || !d
                    .udid
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return bad(format!(
                    "device {} has udid {:?}; use letters, digits and '-' (1–64 characters)",
                    i + 1,
                    d.udid
                ));
            }
            if self.devices[..i]
                .iter()
                .any(|o| o.udid.eq_ignore_ascii_case(&d.udid))
            {
                return bad(format!("udid {} appears twice", d.udid));
            }
            for a in &d.apps {
                if a.bundle_id.is_empty() {
                    return bad(format!("an app of {} has an empty bundle_id", d.udid));
                }
            }
            for l in &d.log {
                if Level::from_word(&l.level).is_none() {
                    return bad(format!(
                        "log level {:?} at {:?} is not one of Notice, Info, Debug, Error, Warning, Fault",
                        l.level, l.at
                    ));
                }
                if l.process.is_empty() || l.process.contains(['[', ' ', '\n']) {
                    return bad(format!("log process {:?} must be one word", l.process));
                }
                total = total.saturating_add(l.repeat as usize);
            }
            if d.crashes.len() > MAX_CRASHES {
                return bad(format!(
                    "device {} has {} crash reports; the limit is {MAX_CRASHES}",
                    d.udid,
                    d.crashes.len()
                ));
            }
            for c in &d.crashes {
                let name_ok = |n: &str| {
                    !n.is_empty()
                        && n.len() <= 255
                        && !n.contains(['/', '\0', '\n'])
                        && n != "."
                        && n != ".."
                };
                if !name_ok(&c.process) || c.name.as_deref().is_some_and(|n| !name_ok(n)) {
                    return bad(format!(
                        "crash report of {:?} needs a process and file name without '/' (1–255 characters)",
                        c.process
                    ));
                }
                if c.content
                    .as_ref()
                    .is_some_and(|t| t.len() > 4 * 1024 * 1024)
                {
                    return bad(format!(
                        "crash report content of {:?} is over 4 MiB",
                        c.process
                    ));
                }
            }
            if let Some(r) = &d.react {
                r.validate(&d.udid).map_err(ScenarioError::Invalid)?;
            }
            for det in &d.faults.detach {
                if let Some(r) = det.reattach
                    && r <= det.at
                {
                    return bad(format!(
                        "reattach {:?} of {} is not after its detach {:?}",
                        r, d.udid, det.at
                    ));
                }
            }
        }
        if total > MAX_ENTRIES {
            return bad(format!(
                "the log timeline expands to {total} entries; the limit is {MAX_ENTRIES}"
            ));
        }
        Ok(())
    }
}

/// One entry of an expanded timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tick {
    /// When.
    pub at: Duration,
    /// Index into the device's `log`.
    pub line: usize,
}

impl DeviceSpec {
    /// The log timeline with repeats expanded, in time order.
    pub fn timeline(&self) -> Vec<Tick> {
        let mut out = Vec::new();
        for (i, l) in self.log.iter().enumerate() {
            let every = l.every.unwrap_or(Duration::from_secs(1));
            for k in 0..l.repeat {
                out.push(Tick {
                    at: l.at.saturating_add(every.saturating_mul(k)),
                    line: i,
                });
            }
        }
        out.sort_by_key(|t| (t.at, t.line));
        out
    }
}

/// Convert a TOML value to a plist value (datetimes become dates or strings).
pub fn toml_to_plist(v: &toml::Value) -> plist::Value {
    match v {
        toml::Value::String(s) => plist::Value::String(s.clone()),
        toml::Value::Integer(i) => plist::Value::Integer((*i).into()),
        toml::Value::Float(f) => plist::Value::Real(*f),
        toml::Value::Boolean(b) => plist::Value::Boolean(*b),
        toml::Value::Datetime(d) => plist::Value::String(d.to_string()),
        toml::Value::Array(a) => plist::Value::Array(a.iter().map(toml_to_plist).collect()),
        toml::Value::Table(t) => plist::Value::Dictionary(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_plist(v)))
                .collect(),
        ),
    }
}

/// The UDID of the default one-phone scenario.
pub const DEFAULT_UDID: &str = "00008110-000A1B2C3D4E5F6A";

/// Scenarios shipped inside the binary, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "legacy-voip",
        include_str!("../../scenarios/legacy-voip.toml"),
    ),
    (
        "pushkit-callkit",
        include_str!("../../scenarios/pushkit-callkit.toml"),
    ),
    ("probe", include_str!("../../scenarios/probe.toml")),
];

/// Load a scenario by path or shipped name.
pub fn load(spec: &str) -> Result<Scenario, ScenarioError> {
    if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == spec) {
        return Scenario::parse(text);
    }
    Scenario::load(&std::path::PathBuf::from(spec))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("-1"), None);
        assert_eq!(parse_duration("1 fortnight"), None);
        assert_eq!(parse_duration("1e400"), None);
    }

    #[test]
    fn minimal_and_full() -> Result<(), ScenarioError> {
        let s = Scenario::parse("[[device]]\nudid = \"abc\"\n")?;
        assert_eq!(s.devices[0].name, "iPhone");
        let s = Scenario::parse(
            r#"
clock = "launch"
[[device]]
udid = "00008110-000A1B2C3D4E5F6A"
connection = "both"
address = "192.168.1.20"
[device.faults]
locked = true
pairing = "denied"
slow = "2s"
detach = [{ at = 1, reattach = "1.5s" }]
[[device.app]]
bundle_id = "com.example.call"
background_modes = ["voip"]
entitlements = { "aps-environment" = "production" }
[[device.log]]
at = "100ms"
process = "callservicesd"
message = "hello"
repeat = 3
every = "1s"
"#,
        )?;
        let d = &s.devices[0];
        assert!(d.faults.locked);
        assert_eq!(d.faults.pairing, Pairing::Denied);
        assert_eq!(d.timeline().len(), 3);
        assert_eq!(d.timeline()[2].at, Duration::from_millis(2100));
        Ok(())
    }

    #[test]
    fn mistakes_are_explained() {
        for (text, needle) in [
            ("", "device"),
            ("[[device]]\nudid = \"a b\"\n", "udid"),
            ("[[device]]\nudid = \"a\"\nlocked = true\n", "unknown field"),
            (
                "[[device]]\nudid = \"a\"\n[[device]]\nudid = \"A\"\n",
                "twice",
            ),
            (
                "[[device]]\nudid = \"a\"\n[[device.log]]\nat = 1\nprocess = \"p\"\nmessage = \"m\"\nlevel = \"Loud\"\n",
                "level",
            ),
            (
                "[[device]]\nudid = \"a\"\n[[device.log]]\nat = 1\nprocess = \"p\"\nmessage = \"m\"\nrepeat = 4000000\n",
                "limit",
            ),
        ] {
            match Scenario::parse(text) {
                Ok(_) => panic!("accepted {text:?}"),
                Err(e) => assert!(e.to_string().contains(needle), "{e} lacks {needle}"),
            }
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,200}") {
            let _ = Scenario::parse(&s);
        }

        #[test]
        fn durations_never_panic(s in "\\PC{0,20}") {
            let _ = parse_duration(&s);
        }
    }
}
