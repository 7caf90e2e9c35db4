//! `voipctl sim`.

use crate::commands::sim::SimOptions;
use crate::sim::Listen;
use clap::Args;
use std::time::Duration;

/// Arguments of `voipctl sim`.
#[derive(Debug, Args)]
pub(crate) struct SimArgs {
    /// Scenario: a TOML file, or a shipped one (legacy-voip, pushkit-callkit, probe). Default: one
    /// trusted iPhone with no apps and no log.
    #[arg(value_name = "SCENARIO")]
    pub scenario: Option<String>,
    /// Listen on this TCP address (port 0 picks a free port).
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:0",
        conflicts_with = "unix"
    )]
    pub listen: String,
    /// Listen on a Unix socket at PATH instead (e.g. to stand in for /var/run/usbmuxd).
    #[arg(long, value_name = "PATH")]
    pub unix: Option<std::path::PathBuf>,
    /// Stop after this long: seconds, or `90s`, `5m`, `1h` (default: run until Ctrl-C).
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::arg)]
    pub duration: Option<Duration>,
    /// Play a recorded log (`watch --record` file, idevicesyslog text, pymobiledevice3 JSON or
    /// text) through the phone's syslog_relay and os_trace_relay with its original timing,
    /// from when the first log client connects.
    #[arg(long, value_name = "FILE")]
    pub replay: Option<std::path::PathBuf>,
    /// How fast the scenario (and --replay) plays: 2 is twice as fast (0.001–100000).
    #[arg(long, value_name = "X", value_parser = parse_speed)]
    pub speed: Option<f64>,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && (0.001..=100_000.0).contains(&x) => Ok(x),
        _ => Err(format!("{s:?} is not a speed between 0.001 and 100000")),
    }
}

impl SimArgs {
    /// Plain options for the command module.
    pub(crate) fn resolve(self) -> Result<SimOptions, crate::Error> {
        let listen = match self.unix {
            Some(p) => Listen::Unix(p),
            None => Listen::Tcp(self.listen.parse().map_err(|_| {
                crate::Error::Usage(format!(
                    "--listen {:?} is not an address such as 127.0.0.1:0 or [::1]:27015",
                    self.listen
                ))
            })?),
        };
        Ok(SimOptions {
            scenario: self.scenario,
            listen,
            duration: self.duration,
            replay: self.replay,
            speed: self.speed,
        })
    }
}
