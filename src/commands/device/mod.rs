//! `voipctl devices`, `info` and `apps`: thin commands over the device layer.

pub(crate) mod check;
pub(crate) mod records;

pub(crate) use check::{DeviceCheckOptions, run_check};
pub(crate) use records::DeviceRecord;

use crate::device::apps::{AppKind, LIST_ATTRIBUTES};
use crate::device::live::{DeviceEvent, Watcher};
use crate::device::values::{dict_to_json, string, to_json, to_text};
use crate::device::{AppInfo, Device, DeviceError, Link, Selector};
use crate::timestamp::now_rfc3339;
use crate::{Ctx, Outcome};
use records::{
    AppRecord, DeviceErrorRecord, DeviceEventRecord, DeviceSummary, InfoRecord, ValueRecord,
};
use std::collections::HashMap;
use std::time::Duration;

/// Options of `voipctl devices`.
#[derive(Debug, Clone)]
pub(crate) struct DevicesOptions {
    /// usbmuxd and filters.
    pub sel: Selector,
    /// Stream attach/detach events after the list.
    pub watch: bool,
    /// Stop watching after this long.
    pub duration: Option<Duration>,
}

/// Options of `voipctl info`.
#[derive(Debug, Clone)]
pub(crate) struct InfoOptions {
    /// Which device.
    pub sel: Selector,
    /// Every selected device.
    pub all: bool,
    /// One value only.
    pub key: Option<String>,
    /// A lockdown domain (`com.apple.disk_usage`, …).
    pub domain: Option<String>,
}

/// Options of `voipctl apps`.
#[derive(Debug, Clone)]
pub(crate) struct AppsOptions {
    /// Which device.
    pub sel: Selector,
    /// Every selected device.
    pub all: bool,
    /// Only apps with the `voip` background mode.
    pub voip_only: bool,
    /// User, system or all apps.
    pub kind: AppKind,
    /// Only these bundle ids.
    pub bundle_ids: Vec<String>,
}

/// Run device work (nothing reported yet) until it ends or the user presses Ctrl-C.
pub(crate) async fn cancellable<T>(
    cancel: &crate::Cancel,
    fut: impl std::future::Future<Output = Result<T, DeviceError>>,
) -> crate::Result<T> {
    tokio::select! {
        r = fut => r.map_err(Into::into),
        _ = cancel.cancelled() => Err(crate::Error::Interrupted),
    }
}

async fn describe(d: &Device) -> DeviceRecord {
    let (vals, error) = match d.basic_values().await {
        Ok(v) => (v, None),
        Err(e) => (plist::Dictionary::new(), Some(e.to_string())),
    };
    let s = |k: &str| string(&vals, k).map(str::to_string);
    DeviceRecord {
        udid: d.udid.clone(),
        name: s("DeviceName"),
        model: s("ProductType"),
        ios: s("ProductVersion"),
        build: s("BuildVersion"),
        connection: d.link.as_str(),
        address: match &d.link {
            Link::Network(Some(ip)) => Some(ip.to_string()),
            _ => None,
        },
        device_id: d.device_id,
        error,
    }
}

/// `voipctl devices`.
pub(crate) async fn run_devices(ctx: &mut Ctx, opts: DevicesOptions) -> crate::Result<Outcome> {
    let sel = &opts.sel;
    // Listing all attachments (USB and network) unless filtered.
    let mut devs = crate::device::list(sel).await?;
    devs.retain(|d| {
        sel.udid
            .as_deref()
            .is_none_or(|u| crate::device::same_udid(u, &d.udid))
            && (!sel.network || matches!(d.link, Link::Network(_)))
    });
    if devs.is_empty() && !opts.watch {
        return Err(crate::device::none_error(sel).await.into());
    }
    let records: Vec<DeviceRecord> =
        futures_util::future::join_all(devs.iter().map(describe)).await;
    let failed = records.iter().filter(|r| r.error.is_some()).count();
    for r in &records {
        ctx.reporter.emit(r)?;
    }
    let mut events = None;
    let mut interrupted = false;
    if opts.watch {
        ctx.reporter.flush()?;
        let (n, int) = watch(ctx, &opts, &devs).await?;
        events = Some(n);
        interrupted = int;
    }
    ctx.reporter.finish(
        &DeviceSummary {
            command: "devices",
            devices: records.len(),
            failed,
            apps: None,
            events,
            checks_failed: None,
            interrupted,
        },
        "devices",
    )?;
    if interrupted {
        return Ok(Outcome::Interrupted);
    }
    if failed > 0 {
        let first = records
            .iter()
            .find_map(|r| r.error.clone())
            .unwrap_or_default();
        return Err(crate::Error::device(first));
    }
    Ok(Outcome::Ok)
}

async fn watch(
    ctx: &mut Ctx,
    opts: &DevicesOptions,
    listed: &[Device],
) -> crate::Result<(usize, bool)> {
    let mut w = Watcher::start(&opts.sel).await?;
    // Listen first replays the devices already attached: those were listed above.
    let mut known: HashMap<u32, (String, &'static str)> = listed
        .iter()
        .map(|d| (d.device_id, (d.udid.clone(), d.link.as_str())))
        .collect();
    let sel = &opts.sel;
    let mut n = 0usize;
    let deadline = opts.duration.map(|d| tokio::time::Instant::now() + d);
    let cancel = ctx.cancel.clone();
    loop {
        let sleep = async {
            match deadline {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending().await,
            }
        };
        let ev = tokio::select! {
            ev = w.next() => ev?,
            _ = cancel.cancelled() => return Ok((n, true)),
            _ = sleep => return Ok((n, false)),
        };
        let rec = match ev {
            DeviceEvent::Attached(d) => {
                let wanted = sel
                    .udid
                    .as_deref()
                    .is_none_or(|u| crate::device::same_udid(u, &d.udid))
                    && (!sel.network || matches!(d.link, Link::Network(_)));
                if !wanted
                    || known
                        .insert(d.device_id, (d.udid.clone(), d.link.as_str()))
                        .is_some()
                {
                    continue;
                }
                DeviceEventRecord {
                    event: "attached",
                    udid: Some(d.udid),
                    device_id: d.device_id,
                    connection: Some(d.link.as_str()),
                    time: now_rfc3339(),
                }
            }
            DeviceEvent::Detached { device_id } => {
                let Some(k) = known.remove(&device_id) else {
                    continue;
                };
                DeviceEventRecord {
                    event: "detached",
                    udid: Some(k.0),
                    device_id,
                    connection: Some(k.1),
                    time: now_rfc3339(),
                }
            }
        };
        n += 1;
        ctx.reporter.emit(&rec)?;
        ctx.reporter.flush()?;
    }
}

/// The selected device, or every one with `--all`.
pub(crate) async fn pick(sel: &Selector, all: bool) -> Result<Vec<Device>, DeviceError> {
    if all {
        crate::device::select_all(sel).await
    } else {
        Ok(vec![crate::device::select(sel).await?])
    }
}

/// `voipctl info`.
pub(crate) async fn run_info(ctx: &mut Ctx, opts: InfoOptions) -> crate::Result<Outcome> {
    let cancel = ctx.cancel.clone();
    let devs = cancellable(&cancel, pick(&opts.sel, opts.all)).await?;
    let heading = devs.len() > 1 || opts.all;
    let results = cancellable(&cancel, async {
        Ok(futures_util::future::join_all(devs.iter().map(|d| {
            let key = opts.key.clone();
            let domain = opts.domain.clone();
            async move { d.values(key.as_deref(), domain.as_deref()).await }
        }))
        .await)
    })
    .await?;
    let mut failed: Vec<DeviceError> = Vec::new();
    let n = devs.len();
    for (d, r) in devs.iter().zip(results) {
        match r {
            Ok(v) => match &opts.key {
                Some(k) => ctx.reporter.emit(&ValueRecord {
                    udid: d.udid.clone(),
                    key: k.clone(),
                    domain: opts.domain.clone(),
                    value: to_json(&v),
                    text: to_text(&v),
                    heading,
                })?,
                None => {
                    let dict = v.as_dictionary().cloned().unwrap_or_default();
                    ctx.reporter.emit(&InfoRecord {
                        udid: d.udid.clone(),
                        domain: opts.domain.clone(),
                        values: dict_to_json(&dict),
                        text: dict.iter().map(|(k, v)| (k.clone(), to_text(v))).collect(),
                        heading,
                    })?
                }
            },
            Err(e) if n == 1 => return Err(e.into()),
            Err(e) => {
                ctx.reporter.emit(&DeviceErrorRecord {
                    udid: d.udid.clone(),
                    error: e.to_string(),
                })?;
                failed.push(e);
            }
        }
    }
    ctx.reporter.finish(
        &DeviceSummary {
            command: "info",
            devices: n,
            failed: failed.len(),
            apps: None,
            events: None,
            checks_failed: None,
            interrupted: false,
        },
        "info",
    )?;
    match failed.into_iter().next() {
        Some(e) => Err(e.into()),
        None => Ok(Outcome::Ok),
    }
}

/// `voipctl apps`.
pub(crate) async fn run_apps(ctx: &mut Ctx, opts: AppsOptions) -> crate::Result<Outcome> {
    let cancel = ctx.cancel.clone();
    let devs = cancellable(&cancel, pick(&opts.sel, opts.all)).await?;
    let ids = (!opts.bundle_ids.is_empty()).then_some(opts.bundle_ids.as_slice());
    let results = cancellable(&cancel, async {
        Ok(futures_util::future::join_all(
            devs.iter()
                .map(|d| d.browse_apps(opts.kind, Some(LIST_ATTRIBUTES), ids)),
        )
        .await)
    })
    .await?;
    let n = devs.len();
    let mut failed: Vec<DeviceError> = Vec::new();
    let mut total = 0usize;
    for (d, r) in devs.iter().zip(results) {
        match r {
            Ok(list) => {
                let mut apps: Vec<AppRecord> = list
                    .iter()
                    .map(AppInfo::from_attributes)
                    .filter(|a| !opts.voip_only || a.voip)
                    .map(|app| AppRecord {
                        udid: d.udid.clone(),
                        app,
                        heading: n > 1 || opts.all,
                    })
                    .collect();
                apps.sort_by(|a, b| a.app.bundle_id.cmp(&b.app.bundle_id));
                total += apps.len();
                for a in &apps {
                    ctx.reporter.emit(a)?;
                }
            }
            Err(e) if n == 1 => return Err(e.into()),
            Err(e) => {
                ctx.reporter.emit(&DeviceErrorRecord {
                    udid: d.udid.clone(),
                    error: e.to_string(),
                })?;
                failed.push(e);
            }
        }
    }
    ctx.reporter.finish(
        &DeviceSummary {
            command: "apps",
            devices: n,
            failed: failed.len(),
            apps: Some(total),
            events: None,
            checks_failed: None,
            interrupted: false,
        },
        "apps",
    )?;
    match failed.into_iter().next() {
        Some(e) => Err(e.into()),
        None => Ok(Outcome::Ok),
    }
}
