//! `voipctl check --device -b BUNDLE`: the preflight rules on the build installed on a phone.
//! installation_proxy hands out the Info.plist keys and the entitlements of an installed app —
//! not its executable nor its provisioning profile — so those rules report "not checked", as the
//! preflight model intends for sources that cannot see a part.

use super::records::{DeviceErrorRecord, DeviceSummary};
use crate::bundle::facts::{AppFacts, Part};
use crate::commands::check::FindingRecord;
use crate::device::apps::AppKind;
use crate::device::{Device, DeviceError, Selector};
use crate::preflight::{self, Distribution, Severity, Verdict};
use crate::report::{Output, Record, Style};
use crate::sanitize::terminal;
use crate::{Ctx, Outcome};
use schemars::JsonSchema;
use serde::Serialize;
use std::io::{self, Write};
use std::time::SystemTime;

/// Options of `check --device`.
#[derive(Debug, Clone)]
pub(crate) struct DeviceCheckOptions {
    /// Which device(s).
    pub sel: Selector,
    /// Every attached device.
    pub all: bool,
    /// The installed app.
    pub bundle: String,
    /// Distribution method.
    pub distribution: Option<Distribution>,
    /// Warnings fail too.
    pub strict: bool,
    /// Profile expiry margin (no profile on a phone; kept for the rules' options).
    pub min_days: u32,
}

/// Installation attributes that are not Info.plist keys.
const EXTRAS: &[&str] = &[
    "Entitlements",
    "Path",
    "Container",
    "SignerIdentity",
    "ApplicationType",
    "GroupContainers",
    "EnvironmentVariables",
    "IsUpgradeable",
    "ApplicationDSID",
    "SequenceNumber",
    "StaticDiskUsage",
    "DynamicDiskUsage",
];

/// Preflight facts from an installation_proxy attribute dictionary (pure).
pub(crate) fn facts_from_attributes(udid: &str, mut attrs: plist::Dictionary) -> AppFacts {
    let entitlements = match attrs.get("Entitlements") {
        Some(plist::Value::Dictionary(d)) => Part::Present(d.clone()),
        _ => Part::Unknown,
    };
    let name = attrs
        .get("Path")
        .and_then(|p| p.as_string())
        .and_then(|p| p.rsplit('/').next())
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .or_else(|| {
            attrs
                .get("CFBundleIdentifier")
                .and_then(|b| b.as_string())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "app".into());
    for k in EXTRAS {
        attrs.remove(k);
    }
    let mut facts = AppFacts::from_info("device", &format!("{udid}:{name}"), attrs);
    facts.app.entitlements = entitlements;
    facts
}

async fn installed(d: &Device, bundle: &str) -> Result<plist::Dictionary, DeviceError> {
    let ids = [bundle.to_string()];
    let mut list = d.browse_apps(AppKind::Any, None, Some(&ids)).await?;
    let pos = list
        .iter()
        .position(|a| a.get("CFBundleIdentifier").and_then(|b| b.as_string()) == Some(bundle));
    match pos {
        Some(i) => Ok(list.swap_remove(i)),
        None => Err(DeviceError::AppNotInstalled {
            udid: d.udid.clone(),
            bundle: bundle.to_string(),
        }),
    }
}

/// `{"type":"device_check"}`: the verdict for one device with `--all`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeviceCheckRecord {
    /// UDID.
    pub udid: String,
    /// The app.
    pub bundle: String,
    /// `pass` or `fail`.
    pub result: &'static str,
    /// Error findings.
    pub errors: usize,
    /// Warning findings.
    pub warnings: usize,
    /// Rules that could not be checked on a phone.
    pub not_checked: usize,
}

impl Record for DeviceCheckRecord {
    fn output(&self) -> Output<'_> {
        Output::DeviceCheck(self)
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        let verdict = if self.result == "fail" {
            style.error("FAIL")
        } else {
            style.ok("PASS")
        };
        writeln!(
            w,
            "{verdict} {} on {}: {} errors, {} warnings, {} not checked",
            terminal(&self.bundle),
            terminal(&self.udid),
            self.errors,
            self.warnings,
            self.not_checked
        )
    }
}

/// Run `check --device`.
pub(crate) async fn run_check(ctx: &mut Ctx, opts: DeviceCheckOptions) -> crate::Result<Outcome> {
    let popts = preflight::Options {
        distribution: opts.distribution.unwrap_or_default(),
        min_days: opts.min_days,
        now: SystemTime::now(),
    };
    let cancel = ctx.cancel.clone();
    if !opts.all {
        let (d, attrs) = super::cancellable(&cancel, async {
            let d = crate::device::select(&opts.sel).await?;
            let attrs = installed(&d, &opts.bundle).await?;
            Ok((d, attrs))
        })
        .await?;
        let facts = facts_from_attributes(&d.udid, attrs);
        let label = format!("{} on {}", opts.bundle, d.udid);
        let from = match opts.distribution {
            Some(_) => crate::commands::check::DistributionSource::Flag,
            None => crate::commands::check::DistributionSource::Default,
        };
        return crate::commands::check::report(ctx, &facts, &popts, opts.strict, &label, from);
    }
    let devs = super::cancellable(&cancel, crate::device::select_all(&opts.sel)).await?;
    let results = super::cancellable(&cancel, async {
        Ok(futures_util::future::join_all(devs.iter().map(|d| installed(d, &opts.bundle))).await)
    })
    .await?;
    let fails = |s: Severity| s == Severity::Error || (opts.strict && s == Severity::Warning);
    let mut checks_failed = 0usize;
    let mut errors: Vec<DeviceError> = Vec::new();
    for (d, r) in devs.iter().zip(results) {
        let attrs = match r {
            Ok(a) => a,
            Err(e) => {
                ctx.reporter.emit(&DeviceErrorRecord {
                    udid: d.udid.clone(),
                    error: e.to_string(),
                })?;
                errors.push(e);
                continue;
            }
        };
        let facts = facts_from_attributes(&d.udid, attrs);
        let results = preflight::evaluate(&facts, &popts);
        let (mut errs, mut warns, mut skipped, mut failed) = (0, 0, 0, false);
        for r in &results {
            match &r.verdict {
                Verdict::Findings(fs) => {
                    for f in fs {
                        match f.severity {
                            Severity::Error => errs += 1,
                            Severity::Warning => warns += 1,
                            Severity::Info => {}
                        }
                        failed |= fails(f.severity);
                        ctx.reporter
                            .emit(&FindingRecord::new(f, fails(f.severity)))?;
                    }
                }
                Verdict::NotChecked(_) => skipped += 1,
                Verdict::Passed => {}
            }
        }
        checks_failed += usize::from(failed);
        ctx.reporter.emit(&DeviceCheckRecord {
            udid: d.udid.clone(),
            bundle: opts.bundle.clone(),
            result: if failed { "fail" } else { "pass" },
            errors: errs,
            warnings: warns,
            not_checked: skipped,
        })?;
    }
    ctx.reporter.finish(
        &DeviceSummary {
            command: "check",
            devices: devs.len(),
            failed: errors.len(),
            apps: None,
            events: None,
            checks_failed: Some(checks_failed),
            interrupted: false,
        },
        "voipctl check --device",
    )?;
    if let Some(e) = errors.into_iter().next() {
        return Err(e.into());
    }
    Ok(Outcome::from_failed(checks_failed > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_attributes_become_facts() {
        let mut a = plist::Dictionary::new();
        a.insert("CFBundleIdentifier".into(), "com.example.call".into());
        a.insert(
            "Path".into(),
            "/private/var/containers/Bundle/Application/X/Call.app".into(),
        );
        a.insert("SignerIdentity".into(), "Apple Development".into());
        let mut e = plist::Dictionary::new();
        e.insert("aps-environment".into(), "development".into());
        a.insert("Entitlements".into(), plist::Value::Dictionary(e));
        let f = facts_from_attributes("U", a);
        assert_eq!(f.source, "device");
        assert_eq!(f.app.path, "U:Call.app");
        assert!(f.app.info.get("Path").is_none() && f.app.info.get("Entitlements").is_none());
        assert_eq!(f.app.bundle_id(), Some("com.example.call"));
        assert!(matches!(f.app.entitlements, Part::Present(_)));
        assert!(f.app.executable.is_unknown() && f.app.profile.is_unknown());
    }
}
