//! `voipctl sim [SCENARIO]`: run the simulated iPhone until Ctrl-C (or `--duration`), after
//! printing the `USBMUXD_SOCKET_ADDRESS` to use as the first line of stdout.

use crate::report::{Body, Output, Record, Style, SummaryRecord};
use crate::sanitize::terminal;
use crate::sim::{self, DEFAULT_UDID, Listen, Scenario, Sim, load};
use crate::{Ctx, Outcome};
use schemars::JsonSchema;
use serde::Serialize;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

/// Options of `voipctl sim`.
#[derive(Debug, Clone)]
pub(crate) struct SimOptions {
    /// A scenario file, or the name of a shipped one; none: one plain iPhone.
    pub scenario: Option<String>,
    /// Where to listen.
    pub listen: Listen,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Play this recorded log through the (first) phone's log services.
    pub replay: Option<PathBuf>,
    /// Replay speed (2: twice as fast).
    pub speed: Option<f64>,
}

/// `{"type":"sim_ready"}`: the simulator listens. Always the first line of stdout.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SimReady {
    /// The address, in the form every client parses.
    pub usbmuxd: String,
    /// `USBMUXD_SOCKET_ADDRESS=…`, ready for `export`/`env`.
    pub env: String,
    /// Simulated devices.
    pub devices: Vec<String>,
    /// Scenario title.
    pub scenario: Option<String>,
    /// The APNs look-alike (`--apns-url`), when a phone reacts to pushes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apns_url: Option<String>,
    /// Its CA certificate, written to this file (`--ca-cert`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apns_ca: Option<String>,
}

impl Record for SimReady {
    fn output(&self) -> Output<'_> {
        Output::SimReady(self)
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        writeln!(w, "{}", self.env)?;
        if let Some(s) = &self.scenario {
            writeln!(w, "{} {}", style.dim("scenario:"), terminal(s))?;
        }
        for d in &self.devices {
            writeln!(w, "{} {}", style.dim("device:"), terminal(d))?;
        }
        if let (Some(url), Some(ca)) = (&self.apns_url, &self.apns_ca) {
            writeln!(
                w,
                "{} --apns-url {} --ca-cert {}",
                style.dim("APNs look-alike:"),
                terminal(url),
                terminal(ca)
            )?;
        }
        writeln!(
            w,
            "{}",
            style.dim(&format!(
                "try: {} voipctl devices   (Ctrl-C stops the simulator)",
                self.env
            ))
        )
    }
}

/// `{"type":"summary"}` of `sim`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SimSummary {
    /// Simulated devices.
    pub devices: usize,
    /// Seconds it ran.
    pub seconds: f64,
    /// Stopped by Ctrl-C (the summary's `outcome`).
    #[serde(skip)]
    pub interrupted: bool,
}

impl SummaryRecord for SimSummary {
    fn body(&self) -> Body<'_> {
        Body::Sim(self)
    }
    fn outcome(&self) -> Outcome {
        if self.interrupted {
            Outcome::Interrupted
        } else {
            Outcome::Ok
        }
    }
    fn human(&self, w: &mut dyn Write, style: &Style) -> io::Result<()> {
        writeln!(
            w,
            "{}",
            style.dim(&format!("simulator stopped after {:.1}s", self.seconds))
        )
    }
}

/// Run `voipctl sim`.
pub(crate) async fn run(ctx: &mut Ctx, opts: SimOptions) -> crate::Result<Outcome> {
    let mut scenario = match &opts.scenario {
        Some(s) => load(s).map_err(crate::Error::input)?,
        None => Scenario::single(DEFAULT_UDID),
    };
    if let Some(speed) = opts.speed {
        scenario.speed = speed;
    }
    if let Some(path) = &opts.replay {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let entries = sim::replay::load(path, now).map_err(crate::Error::input)?;
        ctx.note(&format!(
            "replaying {} entries of {} (over {:.1} s at speed {})",
            entries.len(),
            path.display(),
            entries.last().map_or(0.0, |e| e.at.as_secs_f64()) / scenario.speed,
            scenario.speed
        ));
        if let Some(d) = scenario.devices.first_mut() {
            d.log.extend(entries);
        }
    }
    let title = scenario.name.clone();
    let started = tokio::time::Instant::now();
    let sim: Sim = sim::start_on(scenario, opts.listen.clone())
        .await
        .map_err(crate::Error::network)?;
    let apns_ca = match sim.apns_ca_pem() {
        Some(pem) => {
            let path = std::env::temp_dir()
                .join(format!("voipctl-sim-apns-ca-{}.pem", std::process::id()));
            std::fs::write(&path, pem).map_err(|e| {
                crate::Error::input(std::io::Error::new(
                    e.kind(),
                    format!("write the APNs look-alike's CA to {}: {e}", path.display()),
                ))
            })?;
            Some(path)
        }
        None => None,
    };
    ctx.reporter.emit(&SimReady {
        usbmuxd: sim.addr().to_string(),
        env: format!("{}={}", crate::device::ENV_VAR, sim.env_value()),
        devices: sim.udids(),
        scenario: title,
        apns_url: sim.apns_url(),
        apns_ca: apns_ca.as_ref().map(|p| p.display().to_string()),
    })?;
    ctx.reporter.flush()?;
    let cancel = ctx.cancel.clone();
    let interrupted = tokio::select! {
        _ = cancel.cancelled() => true,
        _ = async {
            match opts.duration {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        } => false,
    };
    sim.shutdown();
    if let Some(p) = &apns_ca {
        let _ = std::fs::remove_file(p);
    }
    ctx.reporter.finish(
        &SimSummary {
            devices: sim.udids().len(),
            seconds: started.elapsed().as_secs_f64(),
            interrupted,
        },
        "sim",
    )?;
    Ok(if interrupted {
        Outcome::Interrupted
    } else {
        Outcome::Ok
    })
}
