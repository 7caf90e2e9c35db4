//! `voipctl sim`: a simulated iPhone that speaks the real wire protocols — usbmuxd (plist
//! protocol, on loopback TCP or a Unix socket), lockdownd with real TLS sessions, and the
//! syslog_relay, os_trace_relay and installation_proxy services — driven by a scenario file.
//!
//! It is part of the product (try voipctl without hardware, test CI pipelines and log rules) and
//! the fixture of every device test: libimobiledevice, pymobiledevice3 and voipctl itself talk to
//! it exactly as they talk to a phone. Tests start it in-process with [`start`].
//!
//! Faults (detach/re-attach, locked, pairing refused, slow and malformed replies) come from the
//! scenario, or at run time from [`Sim::detach`] / [`Sim::attach`].

mod apns;
mod app_socket;
mod crash;
mod lockdownd;
mod mux;
pub(crate) mod pki;
pub(crate) mod react;
pub mod replay;
pub mod scenario;
mod services;

pub use lockdownd::{FrameError, decode_request};
pub use mux::{MuxDecodeError, decode_packet};
pub use scenario::{BUILTIN, DEFAULT_UDID, Scenario, ScenarioError, load};
pub use services::{syslog_line, syslog_time, vis_escape};

use crate::device::MuxAddr;
use scenario::{ClockStart, ConnectionSpec, DeviceSpec, Malformed, Pairing, Tick, toml_to_plist};
use services::Service;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

/// A byte stream the simulator serves (TCP, Unix socket, TLS over either).
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// lockdownd's port.
const LOCKDOWN_PORT: u16 = 62078;

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listening socket could not be opened.
    #[error("listen on {addr}")]
    Listen {
        /// Where.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Certificates could not be generated.
    #[error("generate the simulator's pairing certificates: {0}")]
    Pki(String),
    /// Unix sockets are not available on this platform.
    #[error("listen on a Unix socket: not supported on this platform; use --listen 127.0.0.1:0")]
    NoUnix,
}

/// Where the simulated usbmuxd listens.
#[derive(Debug, Clone)]
pub enum Listen {
    /// A TCP address (port 0: the OS picks one).
    Tcp(SocketAddr),
    /// A Unix-domain socket path (created; removed on shutdown).
    Unix(std::path::PathBuf),
}

impl Default for Listen {
    fn default() -> Self {
        Listen::Tcp(SocketAddr::from(([127, 0, 0, 1], 0)))
    }
}

#[derive(Debug, Clone)]
pub(crate) enum MuxEvent {
    Attached(plist::Dictionary),
    Detached(u32),
}

/// Which link of a device an attachment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkKind {
    Usb,
    Network,
}

pub(crate) struct SimDevice {
    spec: DeviceSpec,
    timeline: Vec<Tick>,
    apps: Vec<plist::Dictionary>,
    links: Vec<LinkKind>,
    /// The usbmuxd DeviceID of each link while attached.
    ids: Mutex<Vec<Option<u32>>>,
    /// Bumped on every detach: tunnels to the device end.
    generation: watch::Sender<u64>,
    /// Ports handed out by StartService.
    ports: Mutex<HashMap<u16, Service>>,
    /// Log entries written to clients (the first [`SENT_KEPT`]), for loss tests.
    sent: Mutex<Vec<SentEntry>>,
    /// How many log entries were written to clients in all.
    sent_total: std::sync::atomic::AtomicU64,
    /// Crash-report names removed by clients (RemovePath).
    pub(crate) crash_removed: Mutex<std::collections::HashSet<String>>,
    /// Lines written now (reactions to triggers, replays), to every log client.
    pub(crate) live: broadcast::Sender<Arc<LiveEntry>>,
    /// The reacting app's state.
    pub(crate) app: Mutex<Option<react::AppState>>,
}

/// A log line written at a wall-clock time of the phone, outside the scenario timeline.
#[derive(Debug)]
pub(crate) struct LiveEntry {
    pub(crate) at: std::time::SystemTime,
    pub(crate) spec: scenario::LogSpec,
    /// A syslog_relay line to write exactly as is (replay of a text log), instead of one built
    /// from `spec`.
    pub(crate) raw: Option<String>,
}

/// How many written log entries [`Sim::sent`] keeps.
pub const SENT_KEPT: usize = 200_000;

/// A log entry the simulator wrote to a client, completely (a line cut by a detach is not one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentEntry {
    /// `syslog_relay` or `os_trace_relay`.
    pub service: &'static str,
    /// The entry's timestamp (wall clock of the scenario).
    pub at: std::time::SystemTime,
    /// The message.
    pub message: String,
}

impl SimDevice {
    pub(crate) fn note_sent(
        &self,
        service: &'static str,
        at: std::time::SystemTime,
        message: &str,
    ) {
        let n = self.sent_total.fetch_add(1, Ordering::Relaxed);
        if (n as usize) < SENT_KEPT {
            lock(&self.sent).push(SentEntry {
                service,
                at,
                message: message.to_string(),
            });
        }
    }
}

pub(crate) struct SimState {
    pub(crate) devices: Vec<SimDevice>,
    pub(crate) pki: Arc<pki::Pki>,
    pub(crate) events: broadcast::Sender<MuxEvent>,
    epoch: watch::Sender<Option<(Instant, std::time::SystemTime)>>,
    speed: f64,
    next_port: AtomicU16,
    next_id: AtomicU32,
    /// lockdownd requests received (tests wait on it).
    pub(crate) lockdown_requests: std::sync::atomic::AtomicU64,
    stop: watch::Sender<bool>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The `NetworkAddress` sockaddr usbmuxd reports for a network device (macOS layout: length,
/// family, port, address).
fn sockaddr(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => {
            let mut b = vec![0u8; 16];
            b[0] = 0x10;
            b[1] = 2;
            b[4..8].copy_from_slice(&v4.octets());
            b
        }
        IpAddr::V6(v6) => {
            let mut b = vec![0u8; 28];
            b[0] = 0x1c;
            b[1] = 30;
            b[8..24].copy_from_slice(&v6.octets());
            b
        }
    }
}

fn app_attributes(a: &scenario::AppSpec) -> plist::Dictionary {
    let mut d = plist::Dictionary::new();
    let name = a.name.clone().unwrap_or_else(|| {
        a.bundle_id
            .rsplit('.')
            .next()
            .unwrap_or(&a.bundle_id)
            .to_string()
    });
    let exec = a
        .executable
        .clone()
        .unwrap_or_else(|| name.chars().filter(|c| !c.is_whitespace()).collect());
    d.insert("CFBundleIdentifier".into(), a.bundle_id.clone().into());
    d.insert("CFBundleName".into(), name.clone().into());
    d.insert("CFBundleDisplayName".into(), name.into());
    d.insert(
        "CFBundleShortVersionString".into(),
        a.version.clone().into(),
    );
    d.insert("CFBundleVersion".into(), a.build.clone().into());
    d.insert("CFBundleExecutable".into(), exec.clone().into());
    d.insert("CFBundlePackageType".into(), "APPL".into());
    d.insert("MinimumOSVersion".into(), "15.0".into());
    if !a.background_modes.is_empty() {
        d.insert(
            "UIBackgroundModes".into(),
            plist::Value::Array(
                a.background_modes
                    .iter()
                    .map(|m| m.clone().into())
                    .collect(),
            ),
        );
    }
    for (k, v) in &a.info {
        d.insert(k.clone(), toml_to_plist(v));
    }
    d.insert("ApplicationType".into(), a.app_type.clone().into());
    let uuid = pki::random_uuid();
    d.insert(
        "Path".into(),
        format!("/private/var/containers/Bundle/Application/{uuid}/{exec}.app").into(),
    );
    d.insert(
        "Container".into(),
        format!("/private/var/mobile/Containers/Data/Application/{uuid}").into(),
    );
    if let Some(s) = &a.signer {
        d.insert("SignerIdentity".into(), s.clone().into());
    }
    d.insert(
        "Entitlements".into(),
        plist::Value::Dictionary(
            a.entitlements
                .iter()
                .map(|(k, v)| (k.clone(), toml_to_plist(v)))
                .collect(),
        ),
    );
    d
}

impl SimDevice {
    fn new(spec: DeviceSpec) -> Self {
        let links = match spec.connection {
            ConnectionSpec::Usb => vec![LinkKind::Usb],
            ConnectionSpec::Network => vec![LinkKind::Network],
            ConnectionSpec::Both => vec![LinkKind::Usb, LinkKind::Network],
        };
        SimDevice {
            timeline: spec.timeline(),
            apps: spec.apps.iter().map(app_attributes).collect(),
            ids: Mutex::new(vec![None; links.len()]),
            links,
            generation: watch::channel(0).0,
            ports: Mutex::new(HashMap::new()),
            sent: Mutex::new(Vec::new()),
            sent_total: std::sync::atomic::AtomicU64::new(0),
            crash_removed: Mutex::new(std::collections::HashSet::new()),
            live: broadcast::channel(4096).0,
            app: Mutex::new(spec.react.as_ref().map(react::AppState::new)),
            spec,
        }
    }

    /// Lockdown values of the global domain (`domain` None) or another domain.
    pub(crate) fn values(&self, domain: Option<&str>) -> plist::Dictionary {
        if let Some(dom) = domain {
            return match self.spec.domains.get(dom) {
                Some(toml::Value::Table(t)) => t
                    .iter()
                    .map(|(k, v)| (k.clone(), toml_to_plist(v)))
                    .collect(),
                _ => plist::Dictionary::new(),
            };
        }
        let s = &self.spec;
        let mut d = plist::Dictionary::new();
        let mut put = |k: &str, v: plist::Value| {
            d.insert(k.to_string(), v);
        };
        put("ActivationState", "Activated".into());
        put("BasebandVersion", "3.50.03".into());
        put("BluetoothAddress", "a4:83:e7:00:00:02".into());
        put("BuildVersion", s.build.clone().into());
        put("CPUArchitecture", "arm64e".into());
        put("DeviceClass", "iPhone".into());
        put("DeviceColor", "1".into());
        put("DeviceName", s.name.clone().into());
        put("HardwareModel", "D16AP".into());
        put("HostAttached", true.into());
        put("PasswordProtected", s.faults.locked.into());
        put("ProductName", "iPhone OS".into());
        put("ProductType", s.product_type.clone().into());
        put("ProductVersion", s.ios.clone().into());
        put("SerialNumber", "F2LXK0SIMPHN".into());
        put("TimeZone", "Europe/Paris".into());
        put(
            "TrustedHostAttached",
            (s.faults.pairing == Pairing::Ok).into(),
        );
        put("UniqueChipID", 1_234_567_890_123_u64.into());
        put("UniqueDeviceID", s.udid.clone().into());
        put("WiFiAddress", "a4:83:e7:00:00:01".into());
        for (k, v) in &s.values {
            put(k, toml_to_plist(v));
        }
        d
    }

    /// What a Connect to `port` reaches.
    fn target(&self, port: u16) -> Option<Target> {
        if port == LOCKDOWN_PORT {
            return Some(Target::Lockdown);
        }
        lock(&self.ports).get(&port).copied().map(Target::Service)
    }

    /// Allocate a port for `service` (StartService).
    pub(crate) fn open_service(&self, state: &SimState, name: &str) -> Option<u16> {
        let service = Service::from_name(name)?;
        if self.spec.faults.no_crash_reports
            && matches!(service, Service::CrashMover | Service::CrashCopy)
        {
            return None;
        }
        let port = state.next_port.fetch_add(1, Ordering::Relaxed);
        let port = if port < 49152 {
            49152 + (port % 16000)
        } else {
            port
        };
        lock(&self.ports).insert(port, service);
        Some(port)
    }

    fn entry(&self, link: usize, id: u32) -> plist::Dictionary {
        let mut props = plist::Dictionary::new();
        props.insert("DeviceID".into(), u64::from(id).into());
        props.insert("SerialNumber".into(), self.spec.udid.clone().into());
        match self.links[link] {
            LinkKind::Usb => {
                props.insert("ConnectionType".into(), "USB".into());
                props.insert("ConnectionSpeed".into(), 480_000_000_u64.into());
                props.insert("ProductID".into(), 0x12a8_u64.into());
                props.insert(
                    "LocationID".into(),
                    (0x0100_0000_u64 + u64::from(id)).into(),
                );
                props.insert(
                    "USBSerialNumber".into(),
                    self.spec.udid.replace('-', "").into(),
                );
            }
            LinkKind::Network => {
                let ip = self.spec.address.unwrap_or(IpAddr::from([192, 168, 1, 20]));
                props.insert("ConnectionType".into(), "Network".into());
                props.insert("NetworkAddress".into(), plist::Value::Data(sockaddr(ip)));
                props.insert(
                    "EscapedFullServiceName".into(),
                    format!("{}._apple-mobdev2._tcp.local.", self.spec.udid).into(),
                );
                props.insert("InterfaceIndex".into(), 4_u64.into());
            }
        }
        let mut d = plist::Dictionary::new();
        d.insert("DeviceID".into(), u64::from(id).into());
        d.insert("MessageType".into(), "Attached".into());
        d.insert("Properties".into(), plist::Value::Dictionary(props));
        d
    }
}

/// The scenario clock once started: maps scenario times to real instants and wall-clock times.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    instant: Instant,
    wall: std::time::SystemTime,
    speed: f64,
}

impl Clock {
    /// The real instant at which scenario time `at` happens.
    pub(crate) fn when(&self, at: std::time::Duration) -> Instant {
        self.instant + at.div_f64(self.speed)
    }
    /// The phone's wall-clock time at scenario time `at`.
    pub(crate) fn wall(&self, at: std::time::Duration) -> std::time::SystemTime {
        self.wall + at
    }
    /// Scenario time now.
    pub(crate) fn now(&self) -> std::time::Duration {
        self.instant.elapsed().mul_f64(self.speed)
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    Lockdown,
    Service(Service),
}

impl SimState {
    /// A trigger reached device `dev`: schedule the lines its `[device.react]` script gives.
    pub(crate) fn trigger(self: &Arc<Self>, dev: usize, trigger: react::Trigger) {
        let d = &self.devices[dev];
        let Some(spec) = d.spec.react.as_ref() else {
            return;
        };
        let plan = {
            let mut app = lock(&d.app);
            let Some(st) = app.as_mut() else { return };
            react::plan(spec, st, trigger)
        };
        let offset = spec.clock_offset_ms;
        let state = self.clone();
        let start = Instant::now();
        tokio::spawn(async move {
            let mut stop = state.stop.subscribe();
            let run = async {
                for p in plan {
                    tokio::time::sleep_until(start + p.after.div_f64(state.speed)).await;
                    let now = std::time::SystemTime::now();
                    let at = if offset >= 0 {
                        now + std::time::Duration::from_millis(offset.unsigned_abs())
                    } else {
                        now - std::time::Duration::from_millis(offset.unsigned_abs())
                    };
                    let _ = state.devices[dev].live.send(Arc::new(LiveEntry {
                        at,
                        spec: p.line,
                        raw: None,
                    }));
                }
            };
            tokio::select! {
                _ = run => {}
                _ = stop.wait_for(|s| *s) => {}
            }
        });
    }

    fn attach(&self, dev: usize) {
        let d = &self.devices[dev];
        let mut ids = lock(&d.ids);
        for (link, slot) in ids.iter_mut().enumerate() {
            if slot.is_none() {
                let id = self.next_id.fetch_add(1, Ordering::Relaxed);
                *slot = Some(id);
                let _ = self.events.send(MuxEvent::Attached(d.entry(link, id)));
            }
        }
    }

    fn detach(&self, dev: usize) {
        let d = &self.devices[dev];
        let mut ids = lock(&d.ids);
        for slot in ids.iter_mut() {
            if let Some(id) = slot.take() {
                let _ = self.events.send(MuxEvent::Detached(id));
            }
        }
        d.generation.send_modify(|g| *g += 1);
    }

    /// `Attached` dictionaries of every current attachment.
    pub(crate) fn attached_entries(&self) -> Vec<plist::Dictionary> {
        let mut out = Vec::new();
        for d in &self.devices {
            for (link, id) in lock(&d.ids).iter().enumerate() {
                if let Some(id) = id {
                    out.push(d.entry(link, *id));
                }
            }
        }
        out
    }

    pub(crate) fn attached_list(&self) -> Vec<plist::Value> {
        self.attached_entries()
            .into_iter()
            .map(plist::Value::Dictionary)
            .collect()
    }

    pub(crate) fn device_by_id(&self, id: u32) -> Option<usize> {
        self.devices
            .iter()
            .position(|d| lock(&d.ids).contains(&Some(id)))
    }

    pub(crate) fn any_fault(&self, m: Malformed) -> bool {
        self.devices
            .iter()
            .any(|d| d.spec.faults.malformed == Some(m))
    }

    pub(crate) fn pair_record(&self, id: &str) -> Option<Vec<u8>> {
        let d = self
            .devices
            .iter()
            .find(|d| crate::device::same_udid(&d.spec.udid, id))?;
        (d.spec.faults.pairing != Pairing::None).then(|| self.pki.pair_record(&d.spec.udid))
    }

    /// Start the scenario clock if it is not running. Returns the clock and the scenario time
    /// from which this client gets entries: 0 for the client that started the clock (it sees
    /// the whole timeline), "now" for later ones (a live log has no history).
    pub(crate) async fn start_clock_and_wait(&self) -> (Clock, std::time::Duration) {
        let first = self.start_clock();
        let clock = self.epoch_started().await;
        let from = if first {
            std::time::Duration::ZERO
        } else {
            clock.now()
        };
        (clock, from)
    }

    fn start_clock(&self) -> bool {
        self.epoch.send_if_modified(|e| {
            if e.is_none() {
                *e = Some((Instant::now(), std::time::SystemTime::now()));
                true
            } else {
                false
            }
        })
    }

    /// The scenario clock, if it runs.
    pub(crate) fn clock_if_started(&self) -> Option<Clock> {
        let e = *self.epoch.borrow();
        e.map(|(instant, wall)| Clock {
            instant,
            wall,
            speed: self.speed,
        })
    }

    /// The phone's time at scenario time 0 (now if the clock has not started).
    pub(crate) fn started_at(&self) -> std::time::SystemTime {
        self.clock_if_started()
            .map_or_else(std::time::SystemTime::now, |c| c.wall)
    }

    async fn epoch_started(&self) -> Clock {
        let mut rx = self.epoch.subscribe();
        loop {
            if let Some((instant, wall)) = *rx.borrow_and_update() {
                return Clock {
                    instant,
                    wall,
                    speed: self.speed,
                };
            }
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// Serve a Connect tunnel until it ends or the device is detached.
pub(crate) async fn tunnel(
    state: Arc<SimState>,
    dev: usize,
    target: Target,
    io: Box<dyn Io>,
) -> std::io::Result<()> {
    let mut generation = state.devices[dev].generation.subscribe();
    generation.borrow_and_update();
    let serve = async {
        match target {
            Target::Lockdown => lockdownd::serve(state.clone(), dev, io).await,
            Target::Service(s) => services::serve(state.clone(), dev, s, io).await,
        }
    };
    tokio::select! {
        r = serve => r,
        // Detached: dropping the stream closes the client's socket, as a cable pull does.
        _ = generation.changed() => Ok(()),
    }
}

/// A running simulator. Dropping it stops it.
#[derive(Debug)]
pub struct Sim {
    addr: MuxAddr,
    state: Arc<SimState>,
    unix_path: Option<std::path::PathBuf>,
    apns: Option<(SocketAddr, String)>,
}

impl std::fmt::Debug for SimState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimState")
            .field("devices", &self.devices.len())
            .finish_non_exhaustive()
    }
}

/// Start a simulator for `scenario` on `127.0.0.1:0` (must be called inside a tokio runtime).
pub async fn start(scenario: Scenario) -> Result<Sim, SimError> {
    start_on(scenario, Listen::default()).await
}

/// Start a simulator listening where `listen` says.
pub async fn start_on(scenario: Scenario, listen: Listen) -> Result<Sim, SimError> {
    let pki = tokio::task::spawn_blocking(pki::shared)
        .await
        .map_err(|e| SimError::Pki(e.to_string()))?
        .map_err(SimError::Pki)?;
    let clock = scenario.clock;
    let speed = scenario.speed;
    let state = Arc::new(SimState {
        devices: scenario.devices.into_iter().map(SimDevice::new).collect(),
        pki,
        events: broadcast::channel(256).0,
        epoch: watch::channel(None).0,
        speed,
        next_port: AtomicU16::new(49152),
        next_id: AtomicU32::new(1),
        lockdown_requests: std::sync::atomic::AtomicU64::new(0),
        stop: watch::channel(false).0,
    });
    for i in 0..state.devices.len() {
        state.attach(i);
    }
    if clock == ClockStart::Launch {
        state
            .epoch
            .send_replace(Some((Instant::now(), std::time::SystemTime::now())));
    }
    let (addr, unix_path) = match listen {
        Listen::Tcp(a) => {
            let l = tokio::net::TcpListener::bind(a)
                .await
                .map_err(|e| SimError::Listen {
                    addr: a.to_string(),
                    source: e,
                })?;
            let local = l.local_addr().map_err(|e| SimError::Listen {
                addr: a.to_string(),
                source: e,
            })?;
            tokio::spawn(accept_tcp(state.clone(), l));
            (MuxAddr::Tcp(local), None)
        }
        #[cfg(unix)]
        Listen::Unix(p) => {
            let _ = std::fs::remove_file(&p);
            let l = tokio::net::UnixListener::bind(&p).map_err(|e| SimError::Listen {
                addr: p.display().to_string(),
                source: e,
            })?;
            tokio::spawn(accept_unix(state.clone(), l));
            (MuxAddr::Unix(p.display().to_string()), Some(p))
        }
        #[cfg(not(unix))]
        Listen::Unix(_) => return Err(SimError::NoUnix),
    };
    for i in 0..state.devices.len() {
        if !state.devices[i].spec.faults.detach.is_empty() {
            tokio::spawn(fault_timeline(state.clone(), i));
        }
        if let Some(target) = state.devices[i]
            .spec
            .react
            .as_ref()
            .and_then(|r| r.signal.clone())
        {
            tokio::spawn(app_socket::run(state.clone(), i, target));
        }
    }
    let apns = if state.devices.iter().any(|d| d.spec.react.is_some()) {
        let pki = tokio::task::spawn_blocking(apns::pki)
            .await
            .map_err(|e| SimError::Pki(e.to_string()))?
            .map_err(SimError::Pki)?;
        let bind = SocketAddr::from(([127, 0, 0, 1], 0));
        let l = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|e| SimError::Listen {
                addr: bind.to_string(),
                source: e,
            })?;
        let local = l.local_addr().map_err(|e| SimError::Listen {
            addr: bind.to_string(),
            source: e,
        })?;
        tokio::spawn(apns::serve(state.clone(), l, pki.server));
        Some((local, pki.ca_pem))
    } else {
        None
    };
    Ok(Sim {
        addr,
        state,
        unix_path,
        apns,
    })
}

async fn fault_timeline(state: Arc<SimState>, dev: usize) {
    let mut stop = state.stop.subscribe();
    let run = async {
        let epoch = state.epoch_started().await;
        let mut steps: Vec<(std::time::Duration, bool)> = Vec::new();
        for d in &state.devices[dev].spec.faults.detach {
            steps.push((d.at, false));
            if let Some(r) = d.reattach {
                steps.push((r, true));
            }
        }
        steps.sort_by_key(|s| s.0);
        for (at, attach) in steps {
            tokio::time::sleep_until(epoch.when(at)).await;
            if attach {
                state.attach(dev);
            } else {
                state.detach(dev);
            }
        }
    };
    tokio::select! {
        _ = run => {}
        _ = stop.wait_for(|s| *s) => {}
    }
}

async fn accept_tcp(state: Arc<SimState>, l: tokio::net::TcpListener) {
    let mut stop = state.stop.subscribe();
    loop {
        tokio::select! {
            r = l.accept() => {
                if let Ok((s, _)) = r {
                    let _ = s.set_nodelay(true);
                    spawn_client(state.clone(), Box::new(s));
                }
            }
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

#[cfg(unix)]
async fn accept_unix(state: Arc<SimState>, l: tokio::net::UnixListener) {
    let mut stop = state.stop.subscribe();
    loop {
        tokio::select! {
            r = l.accept() => {
                if let Ok((s, _)) = r {
                    spawn_client(state.clone(), Box::new(s));
                }
            }
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

fn spawn_client(state: Arc<SimState>, io: Box<dyn Io>) {
    let mut stop = state.stop.subscribe();
    tokio::spawn(async move {
        tokio::select! {
            _ = mux::serve(state.clone(), io) => {}
            _ = stop.wait_for(|s| *s) => {}
        }
    });
}

impl Sim {
    /// Where the simulated usbmuxd listens.
    pub fn addr(&self) -> &MuxAddr {
        &self.addr
    }

    /// The value to put in `USBMUXD_SOCKET_ADDRESS` (`127.0.0.1:PORT` or `UNIX:/path`).
    pub fn env_value(&self) -> String {
        self.addr.env_value()
    }

    /// The UDIDs of the simulated devices, in scenario order.
    pub fn udids(&self) -> Vec<String> {
        self.state
            .devices
            .iter()
            .map(|d| d.spec.udid.clone())
            .collect()
    }

    fn index(&self, udid: &str) -> Option<usize> {
        self.state
            .devices
            .iter()
            .position(|d| crate::device::same_udid(&d.spec.udid, udid))
    }

    /// Pull the cable of `udid` now (returns false for an unknown UDID).
    pub fn detach(&self, udid: &str) -> bool {
        self.index(udid).map(|i| self.state.detach(i)).is_some()
    }

    /// Plug `udid` back in now (a new usbmuxd DeviceID).
    pub fn attach(&self, udid: &str) -> bool {
        self.index(udid).map(|i| self.state.attach(i)).is_some()
    }

    /// The log entries written completely to clients of `udid` so far (the first
    /// [`SENT_KEPT`]), in order.
    pub fn sent(&self, udid: &str) -> Vec<SentEntry> {
        self.index(udid)
            .map(|i| lock(&self.state.devices[i].sent).clone())
            .unwrap_or_default()
    }

    /// How many log entries were written completely to clients of `udid`.
    pub fn sent_total(&self, udid: &str) -> u64 {
        self.index(udid)
            .map(|i| self.state.devices[i].sent_total.load(Ordering::Relaxed))
            .unwrap_or(0)
    }

    /// How many lockdownd requests the simulated phones have received so far.
    pub fn lockdown_requests(&self) -> u64 {
        self.state.lockdown_requests.load(Ordering::Relaxed)
    }

    /// How many usbmuxd `Listen` connections are open (tests wait for a watcher with it).
    pub fn listen_clients(&self) -> usize {
        self.state.events.receiver_count()
    }

    /// The APNs look-alike's base URL (`https://127.0.0.1:PORT`, for `--apns-url`), when a
    /// phone of the scenario reacts to pushes.
    pub fn apns_url(&self) -> Option<String> {
        self.apns.as_ref().map(|(a, _)| format!("https://{a}"))
    }

    /// The CA (PEM) of the APNs look-alike's certificate, for `--ca-cert`.
    pub fn apns_ca_pem(&self) -> Option<&str> {
        self.apns.as_ref().map(|(_, p)| p.as_str())
    }

    /// Triggers `udid` answered so far.
    pub fn triggers(&self, udid: &str) -> usize {
        self.index(udid)
            .and_then(|i| {
                lock(&self.state.devices[i].app)
                    .as_ref()
                    .map(|a| a.triggers)
            })
            .unwrap_or(0)
    }

    /// Start the scenario clock now (if it is waiting for the first log client).
    pub fn start_clock(&self) {
        let _ = self.state.start_clock();
    }

    /// Stop serving: the listener closes and every connection ends.
    pub fn shutdown(&self) {
        self.state.stop.send_replace(true);
        if let Some(p) = &self.unix_path {
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.shutdown();
    }
}
