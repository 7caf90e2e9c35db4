//! What the device commands report: one record per device, app or value, in JSON Lines, and
//! aligned tables for people.

use crate::device::AppInfo;
use crate::report::{Record, Style};
use crate::sanitize::terminal;
use serde::Serialize;
use std::io::{self, Write};

/// `{"type":"device"}`: one attached device.
#[derive(Debug, Clone, Serialize)]
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

impl DeviceRecord {
    fn cells(&self) -> [String; 5] {
        let conn = match &self.address {
            Some(a) => format!("{} {a}", self.connection),
            None => self.connection.to_string(),
        };
        [
            terminal(&self.udid).into_owned(),
            terminal(opt(&self.name)).into_owned(),
            terminal(opt(&self.model)).into_owned(),
            terminal(opt(&self.ios)).into_owned(),
            conn,
        ]
    }
}

impl Record for DeviceRecord {
    fn kind(&self) -> &'static str {
        "device"
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        DeviceTable(std::slice::from_ref(self)).human(w, style)
    }
}

/// Several devices as one aligned table (human output only).
#[derive(Debug, Serialize)]
pub struct DeviceTable<'a>(pub &'a [DeviceRecord]);

impl Record for DeviceTable<'_> {
    fn kind(&self) -> &'static str {
        "device"
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        let header = ["UDID", "NAME", "MODEL", "IOS", "CONNECTION"].map(String::from);
        let rows: Vec<[String; 5]> = self.0.iter().map(DeviceRecord::cells).collect();
        let widths = column_widths(std::iter::once(&header).chain(rows.iter()));
        writeln!(w, "{}", style.bold(&pad_row(&header, &widths)))?;
        for (row, rec) in rows.iter().zip(self.0) {
            writeln!(w, "{}", pad_row(row, &widths))?;
            if let Some(e) = &rec.error {
                writeln!(w, "  {} {}", style.error("error:"), terminal(e))?;
            }
        }
        Ok(())
    }
}

fn column_widths<'a, const N: usize>(rows: impl Iterator<Item = &'a [String; N]>) -> [usize; N] {
    let mut widths = [0usize; N];
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    widths
}

fn pad_row<const N: usize>(row: &[String; N], widths: &[usize; N]) -> String {
    let mut out = String::new();
    for (i, (c, w)) in row.iter().zip(widths).enumerate() {
        if i + 1 == N {
            out.push_str(c);
        } else {
            out.push_str(&format!("{c:<w$}  "));
        }
    }
    out.trim_end().to_string()
}

/// `{"type":"device_event"}`: an attach or detach seen by `devices --watch`.
#[derive(Debug, Serialize)]
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
    fn kind(&self) -> &'static str {
        "device_event"
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
#[derive(Debug, Serialize)]
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
    fn kind(&self) -> &'static str {
        "device_info"
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        if self.heading {
            writeln!(
                w,
                "{}",
                style.bold(&format!("== {} ==", terminal(&self.udid)))
            )?;
        }
        for (k, v) in &self.text {
            writeln!(w, "{}: {}", style.info(&terminal(k)), terminal(v))?;
        }
        Ok(())
    }
}

/// `{"type":"device_value"}`: one lockdown value (`info --key`).
#[derive(Debug, Serialize)]
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
    fn kind(&self) -> &'static str {
        "device_value"
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
#[derive(Debug, Serialize)]
pub struct AppRecord {
    /// UDID of the device it is installed on.
    pub udid: String,
    /// The app.
    #[serde(flatten)]
    pub app: AppInfo,
}

impl AppRecord {
    fn cells(&self) -> [String; 5] {
        let a = &self.app;
        [
            terminal(&a.bundle_id).into_owned(),
            terminal(a.name.as_deref().unwrap_or("-")).into_owned(),
            terminal(a.version.as_deref().unwrap_or("-")).into_owned(),
            if a.background_modes.is_empty() {
                "-".into()
            } else {
                terminal(&a.background_modes.join(",")).into_owned()
            },
            if a.voip { "yes".into() } else { "no".into() },
        ]
    }
}

impl Record for AppRecord {
    fn kind(&self) -> &'static str {
        "app"
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        AppTable {
            udid: None,
            apps: std::slice::from_ref(self),
        }
        .human(w, style)
    }
}

/// Apps as one aligned table (human output only).
#[derive(Debug, Serialize)]
pub struct AppTable<'a> {
    /// A heading (`--all`).
    pub udid: Option<&'a str>,
    /// The rows.
    pub apps: &'a [AppRecord],
}

impl Record for AppTable<'_> {
    fn kind(&self) -> &'static str {
        "app"
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        if let Some(u) = self.udid {
            writeln!(w, "{}", style.bold(&format!("== {} ==", terminal(u))))?;
        }
        let header = ["BUNDLE ID", "NAME", "VERSION", "BACKGROUND MODES", "VOIP"].map(String::from);
        let rows: Vec<[String; 5]> = self.apps.iter().map(AppRecord::cells).collect();
        let widths = column_widths(std::iter::once(&header).chain(rows.iter()));
        writeln!(w, "{}", style.bold(&pad_row(&header, &widths)))?;
        for r in &rows {
            let line = pad_row(r, &widths);
            if r[4] == "yes" {
                writeln!(w, "{}", style.ok(&line))?;
            } else {
                writeln!(w, "{line}")?;
            }
        }
        Ok(())
    }
}

/// `{"type":"device_error"}`: one device failed during `--all` (the others went on).
#[derive(Debug, Serialize)]
pub struct DeviceErrorRecord {
    /// UDID.
    pub udid: String,
    /// The error and its next step.
    pub error: String,
}

impl Record for DeviceErrorRecord {
    fn kind(&self) -> &'static str {
        "device_error"
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
#[derive(Debug, Serialize)]
pub struct DeviceSummary {
    /// `devices`, `info` or `apps`.
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
}

impl Record for DeviceSummary {
    fn kind(&self) -> &'static str {
        "summary"
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
