//! `voipctl devices`, `info`, `apps`, and the device-selection options other device commands
//! (`watch`, `probe`, `check --device`) flatten in.

use crate::device::{MuxAddr, Selector, apps::AppKind};
use clap::{Args, ValueEnum};
use std::time::Duration;

/// How to reach the phone: usbmuxd address, device choice, timeout.
#[derive(Debug, Clone, Args)]
pub(crate) struct DeviceArgs {
    /// usbmuxd address: UNIX:/path, /path, host:port or [v6]:port [default: USBMUXD_SOCKET_ADDRESS,
    /// else /var/run/usbmuxd; 127.0.0.1:27015 on Windows]
    #[arg(long, value_name = "ADDR")]
    pub usbmuxd: Option<String>,
    /// The device to use (needed when several are attached).
    #[arg(short = 'u', long, value_name = "UDID")]
    pub udid: Option<String>,
    /// Use the device's network (Wi-Fi) connection instead of USB.
    #[arg(short = 'n', long)]
    pub network: bool,
    /// Time allowed for each device operation (seconds, or `500ms`, `2m`…).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = crate::duration::positive_arg)]
    pub timeout: Duration,
}

impl DeviceArgs {
    /// Resolve the usbmuxd address and the selection.
    pub(crate) fn resolve(&self) -> Result<Selector, crate::Error> {
        let addr = MuxAddr::resolve(self.usbmuxd.as_deref())
            .map_err(|e| crate::Error::Usage(format!("{e}")))?;
        if self.timeout > Duration::from_secs(86_400) {
            return Err(crate::Error::Usage(
                "--timeout must be at most a day (86400 s)".into(),
            ));
        }
        Ok(Selector {
            addr,
            udid: self.udid.clone(),
            network: self.network,
            timeout: self.timeout,
        })
    }
}

/// Arguments of `voipctl devices`.
#[derive(Debug, Args)]
pub(crate) struct DevicesArgs {
    /// Device selection.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// After the list, stream attach/detach events until Ctrl-C (or --duration).
    #[arg(long)]
    pub watch: bool,
    /// With --watch: stop after this long (seconds, or `90s`, `5m`, `1h`).
    #[arg(long, value_name = "DURATION", requires = "watch", value_parser = crate::duration::arg)]
    pub duration: Option<Duration>,
}

impl DevicesArgs {
    /// Plain options for the command module.
    pub(crate) fn resolve(self) -> Result<crate::commands::device::DevicesOptions, crate::Error> {
        Ok(crate::commands::device::DevicesOptions {
            sel: self.device.resolve()?,
            watch: self.watch,
            duration: self.duration,
        })
    }
}

/// Arguments of `voipctl info`.
#[derive(Debug, Args)]
pub(crate) struct InfoArgs {
    /// Device selection.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Every attached device, concurrently.
    #[arg(long, conflicts_with = "udid")]
    pub all: bool,
    /// Print one value (e.g. ProductVersion, DeviceName, UniqueDeviceID).
    #[arg(short, long, value_name = "KEY")]
    pub key: Option<String>,
    /// Lockdown domain to read (e.g. com.apple.disk_usage).
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,
}

impl InfoArgs {
    /// Plain options for the command module.
    pub(crate) fn resolve(self) -> Result<crate::commands::device::InfoOptions, crate::Error> {
        Ok(crate::commands::device::InfoOptions {
            sel: self.device.resolve()?,
            all: self.all,
            key: self.key,
            domain: self.domain,
        })
    }
}

/// `--type` values of `apps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AppTypeArg {
    /// Apps the user installed.
    User,
    /// Apple's apps.
    System,
    /// Both.
    Any,
}

/// Arguments of `voipctl apps`.
#[derive(Debug, Args)]
pub(crate) struct AppsArgs {
    /// Device selection.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// Every attached device, concurrently.
    #[arg(long, conflicts_with = "udid")]
    pub all: bool,
    /// Only apps that can use VoIP (`voip` in UIBackgroundModes).
    #[arg(long)]
    pub voip: bool,
    /// Which apps.
    #[arg(long = "type", value_enum, default_value_t = AppTypeArg::User, value_name = "TYPE")]
    pub app_type: AppTypeArg,
    /// Only this bundle id (repeatable).
    #[arg(short, long = "bundle", value_name = "BUNDLE_ID")]
    pub bundle: Vec<String>,
}

impl AppsArgs {
    /// Plain options for the command module.
    pub(crate) fn resolve(self) -> Result<crate::commands::device::AppsOptions, crate::Error> {
        Ok(crate::commands::device::AppsOptions {
            sel: self.device.resolve()?,
            all: self.all,
            voip_only: self.voip,
            kind: match self.app_type {
                AppTypeArg::User => AppKind::User,
                AppTypeArg::System => AppKind::System,
                AppTypeArg::Any => AppKind::Any,
            },
            bundle_ids: self.bundle,
        })
    }
}
