//! `voipctl check`.

use crate::cli::DeviceArgs;
use crate::commands::check::Options;
use crate::commands::device::DeviceCheckOptions;
use crate::preflight::Distribution;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Arguments of `voipctl check`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  voipctl check build/Phone.ipa\n  voipctl check --distribution adhoc --min-days 14 Phone.xcarchive\n  voipctl check --format junit Phone.ipa > preflight.xml\n  voipctl check --list-rules -v"
)]
pub(crate) struct CheckArgs {
    /// The bundle: an .ipa, an .app (or .appex) directory, an .xcarchive, an Info.plist (XML or binary), or a bare Mach-O executable.
    #[arg(value_name = "PATH", required_unless_present_any = ["list_rules", "device"], conflicts_with = "device")]
    pub path: Option<PathBuf>,
    /// Check the build installed on a phone instead of a bundle (needs -b BUNDLE).
    #[arg(long, requires = "bundle")]
    pub device: bool,
    /// With --device: the installed app's bundle id.
    #[arg(short = 'b', long, value_name = "BUNDLE_ID", requires = "device")]
    pub bundle: Option<String>,
    /// With --device: every attached phone, concurrently.
    #[arg(long, requires = "device", conflicts_with = "udid")]
    pub all: bool,
    /// With --device: which phone.
    #[command(flatten)]
    pub device_args: DeviceArgs,
    /// How the build will be distributed; decides which findings are errors. Default: the
    /// method of the embedded provisioning profile, else appstore.
    #[arg(long, value_enum, value_name = "METHOD")]
    pub distribution: Option<DistributionArg>,
    /// Which app to check when the .ipa's Payload/ (or the archive) holds several (`Phone` or `Phone.app`).
    #[arg(long, value_name = "NAME", conflicts_with = "device")]
    pub app: Option<String>,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Warn when the provisioning profile expires within N days.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub min_days: u32,
    /// List the rules (IDs, severities for --distribution, and with -v explanations) and exit.
    #[arg(long, conflicts_with = "path")]
    pub list_rules: bool,
}

/// `--distribution` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DistributionArg {
    /// App Store / TestFlight (the preflight case).
    Appstore,
    /// Ad hoc (listed devices).
    Adhoc,
    /// Development (debugger allowed, APNs sandbox).
    Development,
    /// In-house enterprise.
    Enterprise,
}

impl CheckArgs {
    /// With `--device`: the options of the device check.
    pub(crate) fn device_check(&self) -> Result<Option<DeviceCheckOptions>, crate::Error> {
        let (true, Some(bundle)) = (self.device, &self.bundle) else {
            return Ok(None);
        };
        Ok(Some(DeviceCheckOptions {
            sel: self.device_args.resolve()?,
            all: self.all,
            bundle: bundle.clone(),
            distribution: self.distribution_value(),
            strict: self.strict,
            min_days: self.min_days,
        }))
    }

    fn distribution_value(&self) -> Option<Distribution> {
        self.distribution.map(|d| match d {
            DistributionArg::Appstore => Distribution::Appstore,
            DistributionArg::Adhoc => Distribution::Adhoc,
            DistributionArg::Development => Distribution::Development,
            DistributionArg::Enterprise => Distribution::Enterprise,
        })
    }

    /// Plain options for the command module.
    pub(crate) fn resolve(self) -> Options {
        Options {
            distribution: self.distribution_value(),
            path: self.path,
            strict: self.strict,
            min_days: self.min_days,
            list_rules: self.list_rules,
            app: self.app,
        }
    }
}
