//! What the device commands report: one record per device, app or value, in JSON Lines, and
//! aligned tables for people.

use crate::context::Outcome;
use crate::device::AppInfo;
use crate::report::{Body, Output, Record, Row, Style, SummaryRecord};
use crate::sanitize::terminal;
use schemars::JsonSchema;
use serde::Serialize;
use std::io::{self, Write};

/// `{"type":"device"}`: one attached device.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DeviceRecord {
    /// UDID.
    pub udid: String,
    /// DeviceName.
    pub name: Option<String>,
    /// ProductType (`iPhone13,2`).
    pub model: Option<String>,
    /// ProductVersion (`17.5.1`).
    pub ios: Option<String>,
    /// BuildVersion.
    pub build: Option<String>,
    /// `usb` or `network`.
    pub connection: &'static str,
    /// IP address of a network device.
    pub address: Option<String>,
    /// usbmuxd's handle.
    pub device_id: u32,
    /// Why the values could not be read (the device is listed anyway).
    pub error: Option<String>,
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("-")
}

const DEVICE_COLUMNS: &[&str] = &["UDID", "NAME", "MODEL", "IOS", "CONNECTION"];

impl Record for DeviceRecord {
    fn output(&self) -> Output<'_> {
        Output::Device(self)
    }
    fn row(&self) -> Option<Row> {
        let conn = match &self.address {
            Some(a) => format!("{} {}", self.connection, terminal(a)),
            None => self.connection.to_string(),
        };
        Some(Row {
            header: DEVICE_COLUMNS,
            cells: vec![
                terminal(&self.udid).into_owned(),
                terminal(opt(&self.name)).into_owned(),
                terminal(opt(&self.model)).into_owned(),
                terminal(opt(&self.ios)).into_owned(),
                conn,
            ],
            highlight: false,
            error: self.error.as_deref().map(|e| terminal(e).into_owned()),
        })
    }
}

/// `{"type":"device_event"}`: an attach or detach seen by `devices --watch`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeviceEventRecord {
    /// `attached` or `detached`.
    pub event: &'static str,
    /// UDID (when known).
    pub udid: Option<String>,
    /// usbmuxd's handle.
    pub device_id: u32,
    /// `usb` or `network` (when known).
    pub connection: Option<&'static str>,
    /// When voipctl saw it (RFC 3339, UTC).
    pub time: String,
}

impl Record for DeviceEventRecord {
    fn output(&self) -> Output<'_> {
        Output::DeviceEvent(self)
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        let word = if self.event == "attached" {
            style.ok("attached")
        } else {
            style.warn("detached")
        };
        writeln!(
            w,
            "{} {word} {} {}",
            style.dim(&self.time),
            terminal(self.udid.as_deref().unwrap_or("?")),
            self.connection.unwrap_or("")
        )
    }
}

/// `{"type":"device_info"}`: every lockdown value of a device.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InfoRecord {
    /// UDID.
    pub udid: String,
    /// The lockdown domain asked for (none: the global domain).
    pub domain: Option<String>,
    /// The values, as JSON (data base64, dates RFC 3339).
    pub values: serde_json::Map<String, serde_json::Value>,
    #[serde(skip)]
    pub(crate) text: Vec<(String, String)>,
    #[serde(skip)]
    pub(crate) heading: bool,
}

impl Record for InfoRecord {
    fn output(&self) -> Output<'_> {
        Output::DeviceInfo(self)
    }
    fn heading(&self) -> Option<String> {
        self.heading
            .then(|| format!("== {} ==", terminal(&self.udid)))
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        for (k, v) in &self.text {
            writeln!(w, "{}: {}", style.info(&terminal(k)), terminal(v))?;
        }
        Ok(())
    }
}

/// `{"type":"device_value"}`: one lockdown value (`info --key`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ValueRecord {
    /// UDID.
    pub udid: String,
    /// The key.
    pub key: String,
    /// The domain, if any.
    pub domain: Option<String>,
    /// The value.
    pub value: serde_json::Value,
    #[serde(skip)]
    pub(crate) text: String,
    #[serde(skip)]
    pub(crate) heading: bool,
}

impl Record for ValueRecord {
    fn output(&self) -> Output<'_> {
        Output::DeviceValue(self)
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        if self.heading {
            writeln!(
                w,
                "{} {}",
                style.bold(&terminal(&self.udid)),
                terminal(&self.text)
            )
        } else {
            writeln!(w, "{}", terminal(&self.text))
        }
    }
}

/// `{"type":"app"}`: one installed app.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AppRecord {
    /// UDID of the device it is installed on.
    pub udid: String,
    /// The app.
    #[serde(flatten)]
    pub app: AppInfo,
    /// Human output heads the phone's table with its UDID (several phones).
    #[serde(skip)]
    pub heading: bool,
}

const APP_COLUMNS: &[&str] = &["BUNDLE ID", "NAME", "VERSION", "BACKGROUND MODES", "VOIP"];

impl Record for AppRecord {
    fn output(&self) -> Output<'_> {
        Output::App(self)
    }
    fn heading(&self) -> Option<String> {
        self.heading
            .then(|| format!("== {} ==", terminal(&self.udid)))
    }
    fn row(&self) -> Option<Row> {
        let a = &self.app;
        Some(Row {
            header: APP_COLUMNS,
            cells: vec![
                terminal(&a.bundle_id).into_owned(),
                terminal(a.name.as_deref().unwrap_or("-")).into_owned(),
                terminal(a.version.as_deref().unwrap_or("-")).into_owned(),
                if a.background_modes.is_empty() {
                    "-".into()
                } else {
                    terminal(&a.background_modes.join(",")).into_owned()
                },
                if a.voip { "yes".into() } else { "no".into() },
            ],
            highlight: a.voip,
            error: None,
        })
    }
}

/// `{"type":"device_error"}`: one device failed during `--all` (the others went on).
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeviceErrorRecord {
    /// UDID.
    pub udid: String,
    /// The error and its next step.
    pub error: String,
}

impl Record for DeviceErrorRecord {
    fn output(&self) -> Output<'_> {
        Output::DeviceError(self)
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        writeln!(
            w,
            "{} {} {}",
            style.error("error:"),
            style.bold(&terminal(&self.udid)),
            terminal(&self.error)
        )
    }
}

/// `{"type":"summary"}` of `devices`, `info` and `apps`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeviceSummary {
    /// `devices`, `info`, `apps` or `check` (`check --device --all`): the summary's `command`.
    #[serde(skip)]
    pub command: &'static str,
    /// Devices looked at.
    pub devices: usize,
    /// Devices that failed.
    pub failed: usize,
    /// Apps listed (`apps` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apps: Option<usize>,
    /// Events seen (`devices --watch` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<usize>,
    /// Devices whose installed build failed the preflight (`check --device --all` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checks_failed: Option<usize>,
    /// Stopped by Ctrl-C (`devices --watch`).
    #[serde(skip)]
    pub interrupted: bool,
}

impl SummaryRecord for DeviceSummary {
    fn body(&self) -> Body<'_> {
        match self.command {
            "info" => Body::Info(self),
            "apps" => Body::Apps(self),
            "check" => Body::DeviceCheck(self),
            _ => Body::Devices(self),
        }
    }
    fn outcome(&self) -> Outcome {
        if self.interrupted {
            Outcome::Interrupted
        } else {
            Outcome::from_failed(self.failed > 0 || self.checks_failed.is_some_and(|n| n > 0))
        }
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        if self.command == "info" && self.failed == 0 {
            return Ok(());
        }
        let mut parts = vec![format!(
            "{} device{}",
            self.devices,
            if self.devices == 1 { "" } else { "s" }
        )];
        if let Some(a) = self.apps {
            parts.push(format!("{a} app{}", if a == 1 { "" } else { "s" }));
        }
        if let Some(e) = self.events {
            parts.push(format!("{e} event{}", if e == 1 { "" } else { "s" }));
        }
        if let Some(c) = self.checks_failed {
            let text = format!("{c} failed the preflight");
            parts.push(if c > 0 { style.error(&text) } else { text });
        }
        if self.failed > 0 {
            parts.push(style.error(&format!("{} could not be checked", self.failed)));
        }
        writeln!(w, "{}", style.dim(&parts.join(", ")))
    }
}
