//! The device layer: find the usbmuxd, list and select phones, talk to lockdownd and start
//! services — all through the `idevice` crate, with a timeout on every step and errors turned
//! into next steps. Commands (`devices`, `info`, `apps`, `watch`, `check --device`) build on it;
//! none of them speaks a wire protocol itself.
//!
//! Why a layer of its own: selection rules (one device → it, several → ask, none → how to fix),
//! timeouts and error phrasing must be identical in every command, and the live-log source used by
//! `watch` needs disconnect detection that idevice leaves to the caller.

mod addr;
pub mod afc;
pub mod apps;
pub mod crash;
mod error;
pub mod live;
pub(crate) mod mux;
pub mod ostrace;
pub(crate) mod queue;
pub mod syslog;
pub mod values;

pub use addr::{AddrError, ENV_VAR, MuxAddr};
pub use apps::AppInfo;
pub use error::DeviceError;

use idevice::IdeviceService;
use idevice::lockdown::LockdownClient;
use idevice::pairing_file::PairingFile;
use idevice::usbmuxd::{Connection, UsbmuxdAddr, UsbmuxdConnection, UsbmuxdDevice};
use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

/// The default time allowed for each device operation.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Label voipctl gives its lockdown connections (shown in the phone's logs).
const LABEL: &str = "voipctl";

/// Which device(s) a command wants, resolved from `--usbmuxd`, `-u`, `-n`, `--timeout`.
#[derive(Debug, Clone)]
pub struct Selector {
    /// Where usbmuxd listens.
    pub addr: MuxAddr,
    /// `-u/--udid`.
    pub udid: Option<String>,
    /// `-n/--network`: use the network (Wi-Fi) connection of the device.
    pub network: bool,
    /// Time allowed for each step.
    pub timeout: Duration,
}

impl Selector {
    /// A selector for the device at `addr` with defaults (any one device, USB preferred).
    pub fn new(addr: MuxAddr) -> Self {
        Selector {
            addr,
            udid: None,
            network: false,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// How a device is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// By cable.
    Usb,
    /// Over Wi-Fi, with the address usbmuxd reports.
    Network(Option<IpAddr>),
}

impl Link {
    /// `usb` or `network`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Link::Usb => "usb",
            Link::Network(_) => "network",
        }
    }
}

/// One attached device, as usbmuxd lists it.
#[derive(Debug, Clone)]
pub struct Device {
    /// UDID as Xcode shows it (a 24-character serial gets its dash after 8, as libusbmuxd does).
    pub udid: String,
    /// The serial number exactly as usbmuxd reported it (used on the wire).
    pub serial: String,
    /// usbmuxd's handle for this attachment.
    pub device_id: u32,
    /// USB or network.
    pub link: Link,
    addr: UsbmuxdAddr,
    timeout: Duration,
}

/// Insert the dash libusbmuxd inserts into 24-character serials (`00008110001A…` →
/// `00008110-001A…`); other forms are returned unchanged.
pub fn display_udid(serial: &str) -> String {
    if serial.len() == 24 && serial.chars().all(|c| c.is_ascii_alphanumeric()) {
        format!("{}-{}", &serial[..8], &serial[8..])
    } else {
        serial.to_string()
    }
}

pub(crate) fn same_udid(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| *c != '-')
            .flat_map(|c| c.to_lowercase())
            .collect()
    };
    norm(a) == norm(b)
}

/// Run `fut` with the selector's timeout, mapping expiry to [`DeviceError::Timeout`].
pub(crate) async fn within<T>(
    timeout: Duration,
    what: &str,
    fut: impl Future<Output = Result<T, DeviceError>>,
) -> Result<T, DeviceError> {
    match tokio::time::timeout(timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(DeviceError::Timeout {
            what: what.to_string(),
            after: timeout,
        }),
    }
}

async fn mux_connect(sel: &Selector) -> Result<(UsbmuxdAddr, UsbmuxdConnection), DeviceError> {
    let addr = sel.addr.to_idevice()?;
    let socket = mux::socket(&addr).await.map_err(|e| match e {
        idevice::IdeviceError::Socket(io) => DeviceError::NoUsbmuxd {
            addr: sel.addr.clone(),
            source: io,
        },
        other => DeviceError::Protocol {
            what: format!("connect to usbmuxd at {}", sel.addr),
            source: other,
        },
    })?;
    Ok((addr, UsbmuxdConnection::new(socket, 1)))
}

/// Every attachment usbmuxd reports (a phone on both cable and Wi-Fi appears twice).
pub async fn list(sel: &Selector) -> Result<Vec<Device>, DeviceError> {
    let what = format!("read the device list from usbmuxd at {}", sel.addr);
    // idevice's reply reader subtracts the header size without checking it: a muxer that sends
    // a length below 16 makes it panic. Run the exchange in its own task so that becomes an error.
    let sel2 = sel.clone();
    let what2 = what.clone();
    match tokio::spawn(async move { list_inner(&sel2, what2).await }).await {
        Ok(r) => r,
        Err(e) => Err(DeviceError::Malformed {
            what,
            detail: format!("the usbmuxd reply could not be decoded ({e})"),
        }),
    }
}

async fn list_inner(sel: &Selector, what: String) -> Result<Vec<Device>, DeviceError> {
    within(sel.timeout, &what, async {
        let (addr, mut conn) = mux_connect(sel).await?;
        let devs = conn
            .get_devices()
            .await
            .map_err(|e| DeviceError::Protocol {
                what: what.clone(),
                source: e,
            })?;
        Ok(devs
            .into_iter()
            .map(|d| Device::from_mux(d, addr.clone(), sel.timeout))
            .collect())
    })
    .await
}

/// The attachments `sel` asks for: `-u` filters by UDID, `-n` keeps network links, and each
/// phone appears once (its USB link unless `-n`).
pub async fn candidates(sel: &Selector) -> Result<Vec<Device>, DeviceError> {
    let all = list(sel).await?;
    let mut picked: Vec<Device> = Vec::new();
    for d in all {
        if sel.network != matches!(d.link, Link::Network(_)) {
            continue;
        }
        if let Some(u) = &sel.udid
            && !same_udid(u, &d.udid)
        {
            continue;
        }
        if !picked.iter().any(|p| p.udid == d.udid) {
            picked.push(d);
        }
    }
    Ok(picked)
}

/// The one device `sel` designates, or an error that says how to choose or how to attach one.
pub async fn select(sel: &Selector) -> Result<Device, DeviceError> {
    let mut picked = candidates(sel).await?;
    match picked.len() {
        1 => Ok(picked.remove(0)),
        0 => Err(none_error(sel).await),
        _ => Err(DeviceError::Several {
            list: picked.iter().map(Device::describe).collect(),
        }),
    }
}

/// Every device `sel` designates (for `--all`); an error when there is none.
pub async fn select_all(sel: &Selector) -> Result<Vec<Device>, DeviceError> {
    let picked = candidates(sel).await?;
    if picked.is_empty() {
        return Err(none_error(sel).await);
    }
    Ok(picked)
}

pub(crate) async fn none_error(sel: &Selector) -> DeviceError {
    if let Some(u) = &sel.udid {
        let all = list(sel).await.unwrap_or_default();
        return DeviceError::NotFound {
            udid: u.clone(),
            list: all.iter().map(Device::describe).collect(),
        };
    }
    let network = if sel.network {
        "; -n only looks at devices paired over Wi-Fi (drop -n for USB)"
    } else if list(sel)
        .await
        .unwrap_or_default()
        .iter()
        .any(|d| matches!(d.link, Link::Network(_)))
    {
        "; a device is attached over Wi-Fi only: add -n to use it"
    } else {
        ""
    };
    DeviceError::NoDevices {
        addr: sel.addr.clone(),
        network,
    }
}

impl Device {
    fn from_mux(d: UsbmuxdDevice, addr: UsbmuxdAddr, timeout: Duration) -> Self {
        let link = match d.connection_type {
            Connection::Usb => Link::Usb,
            Connection::Network(ip) => Link::Network(Some(ip)),
            Connection::Unknown(_) => Link::Network(None),
        };
        Device {
            udid: display_udid(&d.udid),
            serial: d.udid,
            device_id: d.device_id,
            link,
            addr,
            timeout,
        }
    }

    /// `UDID (USB)` for lists in errors.
    pub fn describe(&self) -> String {
        match &self.link {
            Link::Usb => format!("{} (USB)", self.udid),
            Link::Network(Some(ip)) => format!("{} (network, {ip})", self.udid),
            Link::Network(None) => format!("{} (network)", self.udid),
        }
    }

    /// The time allowed for each step with this device.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(crate) fn provider(&self) -> mux::Provider {
        mux::Provider {
            addr: self.addr.clone(),
            tag: self.device_id,
            serial: self.serial.clone(),
            device_id: self.device_id,
            label: LABEL.to_string(),
        }
    }

    pub(crate) fn err(&self, what: &str) -> impl Fn(idevice::IdeviceError) -> DeviceError + '_ {
        let what = what.to_string();
        move |e| DeviceError::from_idevice(e, &self.udid, &what)
    }

    /// This host's pairing record for the device, from usbmuxd.
    pub async fn pair_record(&self) -> Result<PairingFile, DeviceError> {
        let what = format!("read the pairing record of {} from usbmuxd", self.udid);
        within(self.timeout, &what, async {
            let mut conn = mux::connect(&self.addr, self.device_id)
                .await
                .map_err(self.err(&what))?;
            conn.get_pair_record(&self.serial)
                .await
                .map_err(|e| match e {
                    idevice::IdeviceError::UnexpectedResponse(ref s)
                        if s.contains("PairRecordData") =>
                    {
                        DeviceError::NotPaired {
                            udid: self.udid.clone(),
                        }
                    }
                    other => DeviceError::from_idevice(other, &self.udid, &what),
                })
        })
        .await
    }

    /// A plain lockdown connection (no session): enough for the basic values.
    async fn lockdown(&self, what: &str) -> Result<LockdownClient, DeviceError> {
        LockdownClient::connect(&self.provider())
            .await
            .map_err(self.err(what))
    }

    /// A lockdown connection with a TLS session (needs a pairing record and an unlocked, trusting
    /// phone).
    pub async fn session(&self) -> Result<LockdownClient, DeviceError> {
        let what = format!("start a lockdown session with {}", self.udid);
        let pair = self.pair_record().await?;
        within(self.timeout, &what, async {
            let mut l = self.lockdown(&what).await?;
            l.start_session(&pair).await.map_err(self.err(&what))?;
            Ok(l)
        })
        .await
    }

    /// Lockdown values readable without a session (name, model, iOS version, …).
    pub async fn basic_values(&self) -> Result<plist::Dictionary, DeviceError> {
        let what = format!("read the device values of {}", self.udid);
        within(self.timeout, &what, async {
            let mut l = self.lockdown(&what).await?;
            let v = l.get_value(None, None).await.map_err(self.err(&what))?;
            match v {
                plist::Value::Dictionary(d) => Ok(d),
                _ => Err(DeviceError::Malformed {
                    what: what.clone(),
                    detail: "GetValue did not return a dictionary".into(),
                }),
            }
        })
        .await
    }

    /// Lockdown values in a session: every value (`key` None) or one, in `domain`.
    pub async fn values(
        &self,
        key: Option<&str>,
        domain: Option<&str>,
    ) -> Result<plist::Value, DeviceError> {
        let mut l = self.session().await?;
        let what = match key {
            Some(k) => format!("read {k} from {}", self.udid),
            None => format!("read the device values of {}", self.udid),
        };
        within(self.timeout, &what, async {
            let v = l.get_value(key, domain).await.map_err(self.err(&what))?;
            // Best effort: the phone closes the session itself when we hang up.
            let _ = tokio::time::timeout(Duration::from_millis(500), l.stop_session()).await;
            Ok(v)
        })
        .await
    }

    /// Connect to a lockdown service through a session (idevice's own sequence), with a timeout.
    pub async fn service<S: IdeviceService>(&self, name: &str) -> Result<S, DeviceError> {
        let what = format!("start {name} on {}", self.udid);
        // Fail early and clearly when there is no pairing record.
        self.pair_record().await?;
        within(self.timeout, &what, async {
            S::connect(&self.provider()).await.map_err(|e| {
                match DeviceError::from_idevice(e, &self.udid, &what) {
                    DeviceError::InvalidService { udid, .. } => DeviceError::InvalidService {
                        udid,
                        service: name.to_string(),
                    },
                    other => other,
                }
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udids_display_like_libusbmuxd() {
        assert_eq!(
            display_udid("00008110001A2B3C4D5E801E"),
            "00008110-001A2B3C4D5E801E"
        );
        let legacy = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
        assert_eq!(display_udid(legacy), legacy);
        assert!(same_udid(
            "00008110-001A2B3C4D5E801E",
            "00008110001a2b3c4d5e801e"
        ));
        assert!(!same_udid("abc", "abd"));
    }
}
