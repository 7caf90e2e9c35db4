//! The command line: clap types live here and nowhere else. Each subcommand's arguments sit in a
//! file of their own and `resolve()` into the plain options struct of the command module, so
//! command modules never see clap.

mod analyze;
mod check;
mod completions;
mod device;
mod probe;
mod push;
mod signal;
mod sim;
mod watch;

pub(crate) use analyze::AnalyzeArgs;
pub(crate) use check::CheckArgs;
pub(crate) use completions::CompletionsArgs;
pub(crate) use device::{AppsArgs, DeviceArgs, DevicesArgs, InfoArgs};
pub(crate) use probe::ProbeArgs;
pub(crate) use push::PushArgs;
pub(crate) use signal::{SignalArgs, SignalCommand};
pub(crate) use sim::SimArgs;
pub(crate) use watch::WatchArgs;

use crate::report::{Format, Style};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// The exit codes under `--help` (the table is [`crate::exit::Code`]; a test keeps them in step).
pub(crate) const AFTER_HELP: &str = "Exit codes: 0 ok, 1 checks failed, 2 usage, 3 bad input, 4 device, 5 network, 6 output, 130 interrupted.";

/// Will this iOS VoIP app wake, ring and recover on a real iPhone — and if not, why?
#[derive(Debug, Parser)]
#[command(
    name = "voipctl",
    version,
    propagate_version = true,
    disable_help_subcommand = true,
    max_term_width = 100,
    after_help = AFTER_HELP
)]
pub(crate) struct Cli {
    /// Options every command accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Analyse a saved device log offline: the VoIP timeline and summary `watch` gives live.
    Analyze(Box<AnalyzeArgs>),
    /// VoIP preflight of an .ipa, .app, .xcarchive or Info.plist: background modes, SDK, linkage, entitlements, profile.
    Check(CheckArgs),
    /// Print shell completions or the man page (or write them all to a directory).
    Completions(CompletionsArgs),
    /// End to end: trigger (VoIP push or socket wake), watch the phone, time each stage over N rounds, diagnose failures.
    Probe(Box<ProbeArgs>),
    /// Send test VoIP (or other) pushes through APNs over HTTP/2 and explain every failure.
    Push(Box<PushArgs>),
    /// Signalling: send SIP or raw packets (UDP, TCP, TLS, WebSocket), or be the server an app's VoIP socket connects to.
    Signal(SignalArgs),
    /// List attached iPhones (USB and network); --watch streams attach/detach.
    Devices(DevicesArgs),
    /// Show a device's lockdown values (name, model, iOS version…), or one with --key.
    Info(InfoArgs),
    /// List installed apps with their background modes and entitlements; --voip for VoIP apps.
    Apps(AppsArgs),
    /// Run a simulated iPhone (usbmuxd, lockdownd, syslog, installation_proxy) from a scenario.
    Sim(SimArgs),
    /// Stream the phone's log live: VoIP timeline (wakes, keep-alive, pushes, CallKit, exits) and a summary with pass/fail.
    Watch(Box<WatchArgs>),
    /// Print the JSON Schema (draft 2020-12) of every record `--json` writes, generated from the record types.
    #[command(
        after_help = "Each line of `--json` output is one instance of this schema (a record with its `type`).\n\nExample:\n  voipctl schema > voipctl.schema.json"
    )]
    Schema(SchemaArgs),
}

/// Arguments of `voipctl schema` (none).
#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {}

impl Command {
    /// The command's name as typed (`signal send`): JUnit error cases, summaries.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Command::Analyze(_) => "analyze",
            Command::Check(_) => "check",
            Command::Completions(_) => "completions",
            Command::Probe(_) => "probe",
            Command::Push(_) => "push",
            Command::Signal(s) => match s.command {
                SignalCommand::Send(_) => "signal send",
                SignalCommand::Serve(_) => "signal serve",
            },
            Command::Devices(_) => "devices",
            Command::Info(_) => "info",
            Command::Apps(_) => "apps",
            Command::Sim(_) => "sim",
            Command::Watch(_) => "watch",
            Command::Schema(_) => "schema",
        }
    }
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour when the stream is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatChoice {
    /// Text for people.
    Human,
    /// JSON Lines (same as --json).
    Json,
    /// JUnit XML for CI test reports.
    Junit,
    /// One self-contained HTML page (analyze, watch, check, probe): the timeline, checks and summary.
    Html,
}

/// Options every command accepts.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// JSON Lines on stdout: one typed record per line, ending with a `summary` record.
    #[arg(long, global = true)]
    pub json: bool,
    /// Output format (--json is short for --format json).
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "FORMAT",
        conflicts_with = "json"
    )]
    pub format: Option<FormatChoice>,
    /// When to colour human output (NO_COLOR and TERM=dumb turn `auto` off).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// More detail (explanations, protocol notes); repeat for more.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Only failures and the summary; no progress bars.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// Global options resolved against the environment and the streams.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Global {
    /// Output format.
    pub format: Format,
    /// Colour on stdout.
    pub out_color: bool,
    /// Colour on stderr.
    pub err_color: bool,
    /// `-v` count.
    pub verbose: u8,
    /// `-q`.
    pub quiet: bool,
}

impl GlobalArgs {
    /// Decide format, colour and verbosity once.
    pub(crate) fn resolve(&self, out_tty: bool, err_tty: bool) -> Global {
        let format = match (self.json, self.format) {
            (true, _) | (_, Some(FormatChoice::Json)) => Format::Json,
            (_, Some(FormatChoice::Junit)) => Format::Junit,
            (_, Some(FormatChoice::Html)) => Format::Html,
            _ => Format::Human,
        };
        let env_allows = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::env::var_os("TERM").is_none_or(|t| t != "dumb");
        let decide = |tty: bool| match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && env_allows,
        };
        Global {
            format,
            out_color: format == Format::Human && decide(out_tty),
            err_color: decide(err_tty),
            verbose: self.verbose,
            quiet: self.quiet,
        }
    }
}

impl Cli {
    /// `--format html` is a page about a log or a bundle: refused for other commands.
    pub(crate) fn check_format(&self) -> Result<(), String> {
        let html = self.global.format == Some(FormatChoice::Html);
        let fits = matches!(
            self.command,
            Command::Analyze(_) | Command::Watch(_) | Command::Check(_) | Command::Probe(_)
        );
        if html && !fits {
            return Err(
                "--format html is for `analyze`, `watch`, `check` and `probe`; use --json or --format junit here"
                    .into(),
            );
        }
        Ok(())
    }
}

impl Global {
    /// Any stream uses colour.
    pub(crate) fn color_any(&self) -> bool {
        self.out_color || self.err_color
    }
    /// Style of the data stream.
    pub(crate) fn out_style(&self) -> Style {
        Style {
            color: self.out_color,
            verbose: self.verbose,
            quiet: self.quiet,
        }
    }
    /// Style of the diagnostics stream.
    pub(crate) fn err_style(&self) -> Style {
        Style {
            color: self.err_color,
            verbose: self.verbose,
            quiet: self.quiet,
        }
    }
    /// Progress bars are drawn only for people watching a terminal.
    pub(crate) fn progress(&self, err_tty: bool) -> bool {
        err_tty && !self.quiet && self.format == Format::Human
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
