//! Device errors phrased as what to do next. idevice reports what went wrong on the wire
//! ("unknown error `PasswordProtected` returned from device"); a developer at a desk needs
//! "unlock the iPhone". Every variant reads after "failed to …" and names the next step.

use super::addr::{AddrError, MuxAddr};
use idevice::IdeviceError;
use std::time::Duration;

/// What went wrong talking to usbmuxd or a phone.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// The address in `--usbmuxd` / `USBMUXD_SOCKET_ADDRESS` is unusable.
    #[error(transparent)]
    Addr(#[from] AddrError),
    /// Nothing listens at the usbmuxd address.
    #[error("{}", no_usbmuxd_text(addr))]
    NoUsbmuxd {
        /// Where we tried.
        addr: MuxAddr,
        /// The connection error.
        #[source]
        source: std::io::Error,
    },
    /// usbmuxd answered, with no device.
    #[error(
        "find an iPhone: none is attached to usbmuxd at {addr}; connect it with a cable, unlock it and tap Trust on \"Trust This Computer?\" (check with `idevice_id -l`), or try `voipctl sim`{network}"
    )]
    NoDevices {
        /// Where we asked.
        addr: MuxAddr,
        /// Extra hint when `-n` filtered USB devices out.
        network: &'static str,
    },
    /// Several devices and no `-u`.
    #[error(
        "choose a device: {} are attached; pass -u UDID (or --all):\n{}",
        list.len(),
        list.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n")
    )]
    Several {
        /// `UDID (USB)` lines.
        list: Vec<String>,
    },
    /// `-u` names a device that is not attached.
    #[error(
        "find device {udid}: it is not attached{}",
        if list.is_empty() { String::from(" (no device is)") } else {
            format!("; attached:\n{}", list.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n"))
        }
    )]
    NotFound {
        /// The requested UDID.
        udid: String,
        /// What is attached.
        list: Vec<String>,
    },
    /// The phone is locked with a passcode.
    #[error(
        "talk to {udid}: the iPhone is locked; unlock it (enter the passcode) and run the command again"
    )]
    Locked {
        /// Which phone.
        udid: String,
    },
    /// The Trust dialog is showing.
    #[error(
        "talk to {udid}: the iPhone is asking whether to trust this computer; tap Trust on the iPhone, enter the passcode, then run the command again"
    )]
    TrustPending {
        /// Which phone.
        udid: String,
    },
    /// The user tapped Don't Trust.
    #[error(
        "talk to {udid}: the iPhone refused to trust this computer (\"Don't Trust\" was tapped); unplug and reconnect it, then tap Trust (or run `idevicepair pair -u {udid}`)"
    )]
    TrustDenied {
        /// Which phone.
        udid: String,
    },
    /// The phone no longer knows this host's pairing.
    #[error(
        "talk to {udid}: the iPhone does not accept this computer's pairing record (InvalidHostID); re-pair with `idevicepair unpair -u {udid} && idevicepair pair -u {udid}` and tap Trust"
    )]
    InvalidHostId {
        /// Which phone.
        udid: String,
    },
    /// usbmuxd has no pairing record for the phone.
    #[error(
        "talk to {udid}: this computer is not paired with the iPhone; unlock it and tap Trust when asked (or run `idevicepair pair -u {udid}`), then run the command again"
    )]
    NotPaired {
        /// Which phone.
        udid: String,
    },
    /// A service is not available on this phone.
    #[error(
        "start {service} on {udid}: the iPhone does not offer it (InvalidService); is Developer Mode or the service supported on this iOS version?"
    )]
    InvalidService {
        /// Which phone.
        udid: String,
        /// The service name.
        service: String,
    },
    /// `check --device -b` names an app that is not installed.
    #[error(
        "find {bundle} on {udid}: it is not installed; list the installed apps with `voipctl apps -u {udid}`"
    )]
    AppNotInstalled {
        /// Which phone.
        udid: String,
        /// The bundle id asked for.
        bundle: String,
    },
    /// No answer in time.
    #[error("{what}: no answer after {}s; is the iPhone unlocked and still connected? Run again, or raise --timeout", after.as_secs_f64())]
    Timeout {
        /// What we were doing ("read the device list from usbmuxd").
        what: String,
        /// How long we waited.
        after: Duration,
    },
    /// The phone went away in the middle.
    #[error("{what}: the iPhone {udid} was disconnected; reconnect it and run again")]
    Disconnected {
        /// What we were doing.
        what: String,
        /// Which phone.
        udid: String,
    },
    /// Anything else idevice reports.
    #[error("{what}")]
    Protocol {
        /// What we were doing.
        what: String,
        /// idevice's error.
        #[source]
        source: IdeviceError,
    },
    /// An AFC service (the crash-report directory) refused an operation.
    #[error("{what}: the iPhone answered AFC error {code} ({name})")]
    Afc {
        /// What we were doing.
        what: String,
        /// The AFC error code.
        code: u64,
        /// Its meaning.
        name: &'static str,
    },
    /// A reply that does not have the shape we need.
    #[error("{what}: unexpected reply from the device ({detail})")]
    Malformed {
        /// What we were doing.
        what: String,
        /// What was wrong.
        detail: String,
    },
}

fn no_usbmuxd_text(addr: &MuxAddr) -> String {
    let how = if cfg!(target_os = "macos") {
        "usbmuxd is part of macOS; check that `/var/run/usbmuxd` exists"
    } else if cfg!(windows) {
        "install iTunes or the Apple Devices app, which provide Apple Mobile Device Support"
    } else {
        "start it with `sudo systemctl start usbmuxd` (or `sudo usbmuxd -f -v` to watch it), and install it with `sudo apt-get install usbmuxd` if missing"
    };
    format!(
        "connect to usbmuxd at {addr}: nothing is listening; {how}. To use another muxer (or `voipctl sim`), set USBMUXD_SOCKET_ADDRESS or pass --usbmuxd"
    )
}

impl DeviceError {
    /// Map an idevice error for device `udid` while doing `what` (a "failed to …" fragment).
    pub fn from_idevice(e: IdeviceError, udid: &str, what: &str) -> Self {
        let udid_s = udid.to_string();
        let device_word = |s: &str| -> Option<DeviceError> {
            Some(match s {
                "PasswordProtected" | "DeviceLocked" => DeviceError::Locked {
                    udid: udid_s.clone(),
                },
                "PairingDialogResponsePending" => DeviceError::TrustPending {
                    udid: udid_s.clone(),
                },
                "UserDeniedPairing" => DeviceError::TrustDenied {
                    udid: udid_s.clone(),
                },
                "InvalidHostID" => DeviceError::InvalidHostId {
                    udid: udid_s.clone(),
                },
                _ => return None,
            })
        };
        match e {
            IdeviceError::InvalidHostID => DeviceError::InvalidHostId { udid: udid_s },
            IdeviceError::DeviceLocked => DeviceError::Locked { udid: udid_s },
            IdeviceError::UnknownErrorType(ref s) => {
                let word = s.split_whitespace().next().unwrap_or_default();
                if let Some(d) = device_word(word) {
                    return d;
                }
                if word == "InvalidService" {
                    return DeviceError::InvalidService {
                        udid: udid_s,
                        service: what.to_string(),
                    };
                }
                DeviceError::Protocol {
                    what: what.to_string(),
                    source: e,
                }
            }
            IdeviceError::Socket(ref io) if is_disconnect(io) => DeviceError::Disconnected {
                what: what.to_string(),
                udid: udid_s,
            },
            IdeviceError::UnexpectedResponse(ref s) if s.contains("EOF") => {
                DeviceError::Disconnected {
                    what: what.to_string(),
                    udid: udid_s,
                }
            }
            IdeviceError::Plist(p) => DeviceError::Malformed {
                what: what.to_string(),
                detail: format!("not a valid plist: {p}"),
            },
            IdeviceError::Usbmuxd(idevice::usbmuxd::errors::UsbmuxdError::BadDevice) => {
                DeviceError::Disconnected {
                    what: what.to_string(),
                    udid: udid_s,
                }
            }
            other => DeviceError::Protocol {
                what: what.to_string(),
                source: other,
            },
        }
    }

    /// True when the phone went away (callers that reconnect look for this).
    pub fn is_disconnect(&self) -> bool {
        matches!(self, DeviceError::Disconnected { .. })
    }
}

fn is_disconnect(io: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        io.kind(),
        UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe | NotConnected
    )
}

impl From<DeviceError> for crate::Error {
    fn from(e: DeviceError) -> Self {
        match e {
            DeviceError::Addr(_) => crate::Error::Usage(e.to_string()),
            other => crate::Error::device(other),
        }
    }
}
