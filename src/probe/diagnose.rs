//! Why a round failed: a cause chain from the trigger to the failure, each link either *seen*
//! (with the log line, or the host-side answer, it rests on) or *inferred* (what the missing
//! evidence most likely means), ending in the fix. Inferences name what would confirm them.

use super::round::{Round, Verdict};
use super::stage::Stage;
use serde::Serialize;

/// How a link is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "ProbeEvidence")]
pub enum Evidence {
    /// From a log line or an answer.
    Seen,
    /// Concluded from what is missing.
    Inferred,
}

/// One link of the chain.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Link {
    /// What happened.
    pub step: String,
    /// Seen or inferred.
    pub evidence: Evidence,
    /// The log line (process: message) or answer it rests on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
}

/// The chain and the fix.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Diagnosis {
    /// From the trigger to the failure.
    pub chain: Vec<Link>,
    /// What to do.
    pub fix: String,
}

/// What the diagnosis knows besides the round.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// `push` or `signal`.
    pub via: &'static str,
    /// The app.
    pub bundle: String,
    /// The push topic.
    pub topic: Option<String>,
    /// The APNs environment pushes went to.
    pub environment: Option<String>,
    /// The installed build has the `voip` background mode (from installation_proxy).
    pub voip_mode: Option<bool>,
    /// The installed build's `aps-environment` entitlement.
    pub aps_environment: Option<String>,
    /// Kills seen earlier in this run.
    pub kills_before: usize,
    /// The report deadline, ms.
    pub deadline_ms: f64,
}

fn seen(step: impl Into<String>, s: &super::round::Seen) -> Link {
    Link {
        step: step.into(),
        evidence: Evidence::Seen,
        line: Some(format!("{}: {}", s.process, s.line)),
    }
}

fn host(step: impl Into<String>, line: Option<String>) -> Link {
    Link {
        step: step.into(),
        evidence: Evidence::Seen,
        line,
    }
}

fn inferred(step: impl Into<String>) -> Link {
    Link {
        step: step.into(),
        evidence: Evidence::Inferred,
        line: None,
    }
}

const REPORT_FIX: &str = "report the incoming call to CallKit (CXProvider.reportNewIncomingCall) from pushRegistry(_:didReceiveIncomingPushWith:for:completion:) before it returns, for every VoIP push, even one whose call has already ended";

/// The stages seen, as links.
fn stage_links(r: &Round, ctx: &Context, upto: Stage) -> Vec<Link> {
    let mut out = Vec::new();
    for (stage, s) in r.stages.range(..=upto) {
        let step = match stage {
            Stage::Delivered => "delivered on the phone".to_string(),
            Stage::Running => format!(
                "the app runs: {}",
                r.state
                    .as_deref()
                    .unwrap_or(if r.cold { "launched" } else { "resumed" })
            ),
            Stage::Delegate if ctx.via == "signal" => "the app's VoIP socket woke it".to_string(),
            Stage::Delegate => "PushKit delivered the push to the app's delegate".to_string(),
            Stage::Reported => "the call was reported to CallKit".to_string(),
            Stage::Sent | Stage::Accepted => continue,
        };
        out.push(seen(step, s));
    }
    out
}

fn accepted_link(r: &Round, ctx: &Context) -> Link {
    if ctx.via == "signal" {
        return host("the wake was written to the app's VoIP socket", None);
    }
    host(
        format!(
            "APNs accepted the push ({})",
            r.answer.status.map_or("200".into(), |s| s.to_string())
        ),
        r.answer.apns_id.as_ref().map(|id| format!("apns-id {id}")),
    )
}

/// The chain for a failed (or late) round; `None` for a passed one.
pub fn diagnose(
    r: &Round,
    verdict: Verdict,
    ctx: &Context,
    offset_ms: Option<f64>,
) -> Option<Diagnosis> {
    let mut chain = Vec::new();
    let fix: String = match verdict {
        Verdict::Reported => return None,
        Verdict::NotSent => {
            chain.push(host("the trigger got no answer", r.answer.error.clone()));
            if ctx.via == "signal" {
                "make sure the app's VoIP socket is connected to the probe's --listen address before the round starts (the app reconnects from its keep-alive handler)".into()
            } else {
                "check the network path to APNs (--env / --apns-url, proxies, firewalls on port 443 or 2197) and run again".into()
            }
        }
        Verdict::Rejected => {
            chain.push(host(
                format!(
                    "APNs refused the push: {} {}",
                    r.answer.status.unwrap_or(0),
                    r.answer.reason.as_deref().unwrap_or("")
                ),
                r.answer.explanation.clone(),
            ));
            r.answer
                .fix
                .clone()
                .unwrap_or_else(|| "see the reason in Apple's APNs documentation".into())
        }
        Verdict::Lost => {
            chain.push(accepted_link(r, ctx));
            chain.push(inferred(
                "nothing about it reached the phone's log within the round timeout",
            ));
            if ctx.via == "signal" {
                chain.push(inferred(
                    "the app was not woken: its socket is not a VoIP socket, the app is not running, or the wake went to another connection",
                ));
                "mark the socket as a VoIP socket (NSStreamNetworkServiceTypeVoIP) and keep it connected; note apps built with the iOS 16 SDK or later can no longer use it".into()
            } else {
                let mut why = "most likely the push went to the other APNs environment, to a token that is not this app's PushKit token on this phone, or to the wrong topic".to_string();
                let env_mismatch = match (&ctx.environment, &ctx.aps_environment) {
                    (Some(sent), Some(built)) => {
                        let built_env = if built == "development" {
                            "sandbox"
                        } else {
                            "production"
                        };
                        (sent == "sandbox" || sent == "production") && sent != built_env
                    }
                    _ => false,
                };
                if env_mismatch {
                    chain.push(host(
                        format!(
                            "the installed build's aps-environment is {}, but the push went to {}",
                            ctx.aps_environment.as_deref().unwrap_or(""),
                            ctx.environment.as_deref().unwrap_or("")
                        ),
                        Some("installation_proxy: Entitlements.aps-environment".into()),
                    ));
                    why = "the push went to the wrong APNs environment".into();
                }
                if ctx.voip_mode == Some(false) {
                    chain.push(host(
                        "the installed build has no `voip` background mode",
                        Some("installation_proxy: UIBackgroundModes".into()),
                    ));
                }
                chain.push(inferred(why));
                format!(
                    "send to the environment of the build (Xcode builds: --env sandbox; TestFlight/App Store: --env production), with the PushKit token the app registered on this phone and topic {}",
                    ctx.topic
                        .clone()
                        .unwrap_or_else(|| format!("{}.voip", ctx.bundle))
                )
            }
        }
        Verdict::Banned => {
            chain.push(accepted_link(r, ctx));
            chain.extend(stage_links(r, ctx, Stage::Reported));
            if let Some((_, _, s)) = &r.end {
                chain.push(seen(
                    "callservicesd will not launch the app for VoIP pushes: banned",
                    s,
                ));
            }
            chain.push(inferred(if ctx.kills_before > 0 {
                format!(
                    "after repeated kills for VoIP pushes without a CallKit report ({} seen in this run)",
                    ctx.kills_before
                )
            } else {
                "after repeated kills for VoIP pushes without a CallKit report (before this run)".into()
            }));
            format!(
                "{REPORT_FIX}; the ban lifts when callservicesd resets its kill counts (it logs \"Resetting all CSDVoIPApplicationController kill counts\"), after a while or a reboot of the phone; reinstalling the app lifts it too"
            )
        }
        Verdict::Killed => {
            chain.push(accepted_link(r, ctx));
            chain.extend(stage_links(r, ctx, Stage::Reported));
            let (why, line) = match &r.end {
                Some((_, why, s)) => (*why, Some(s)),
                None => ("killed", None),
            };
            if !r.stages.contains_key(&Stage::Reported) {
                chain.push(inferred("no CallKit report before the kill"));
            }
            match line {
                Some(s) => chain.push(seen(format!("iOS killed the app: {why}"), s)),
                None => chain.push(inferred(format!("iOS killed the app: {why}"))),
            }
            // What the phone logged with the kill (the exception, the process going away).
            for n in r.notes.iter().take(4) {
                chain.push(seen(format!("then logged ({})", n.rule), n));
            }
            if ctx.via == "signal" {
                "finish the work of a VoIP-socket wake within about 10 s (end background tasks), and report the call to CallKit as soon as the wake arrives".into()
            } else {
                chain.push(inferred(
                    "the next VoIP pushes may be dropped, and after repeated kills callservicesd stops launching the app (banned)",
                ));
                REPORT_FIX.into()
            }
        }
        Verdict::Dropped => {
            chain.push(accepted_link(r, ctx));
            chain.extend(stage_links(r, ctx, Stage::Reported));
            if let Some((_, _, s)) = &r.end {
                chain.push(seen("the phone dropped the push", s));
            }
            "the topic is not one the phone routes to the app: reinstall/launch the app so it registers with PushKit again, and use the token it reports".into()
        }
        Verdict::Stalled => {
            chain.push(accepted_link(r, ctx));
            chain.extend(stage_links(r, ctx, Stage::Reported));
            match r.furthest() {
                Stage::Delivered => {
                    chain.push(inferred("the app was not launched or resumed"));
                    if ctx.voip_mode == Some(false) {
                        chain.push(host(
                            "the installed build has no `voip` background mode",
                            Some("installation_proxy: UIBackgroundModes".into()),
                        ));
                        "add `voip` to UIBackgroundModes (Signing & Capabilities → Background Modes → Voice over IP) and reinstall".into()
                    } else {
                        chain.push(inferred(
                            "banned by callservicesd (no ban line was seen), or the app is not entitled for VoIP pushes",
                        ));
                        format!(
                            "check `voipctl check --device -b {}` and `voipctl watch` for a ban; {REPORT_FIX}",
                            ctx.bundle
                        )
                    }
                }
                _ => {
                    chain.push(inferred(format!(
                        "no CallKit report within the round timeout (and no kill seen yet): the deadline is {:.0} ms",
                        ctx.deadline_ms
                    )));
                    REPORT_FIX.into()
                }
            }
        }
        Verdict::Unknown => {
            chain.push(accepted_link(r, ctx));
            chain.extend(stage_links(r, ctx, Stage::Reported));
            chain.push(inferred(
                "neither a CallKit report nor a kill showed within the round timeout; iOS kills an app that does not report a VoIP push, so the report was most likely made without a line this log shows",
            ));
            "log `VOIPCTL call.reported` from reportNewIncomingCall's completion (README: App markers) so that probe sees the report and can time it".into()
        }
        Verdict::Late => {
            chain.push(accepted_link(r, ctx));
            chain.extend(stage_links(r, ctx, Stage::Reported));
            // Name the slowest hop.
            let mut prev = (Stage::Sent, 0.0);
            let mut worst: Option<(Stage, Stage, f64)> = None;
            for st in [
                Stage::Accepted,
                Stage::Delivered,
                Stage::Running,
                Stage::Delegate,
                Stage::Reported,
            ] {
                if let Some(ms) = r.ms_to(st, offset_ms) {
                    let gap = ms - prev.1;
                    if worst.is_none_or(|w| gap > w.2) {
                        worst = Some((prev.0, st, gap));
                    }
                    prev = (st, ms);
                }
            }
            let total = r.ms_to(Stage::Reported, offset_ms);
            chain.push(inferred(format!(
                "reported after {}, over the {:.0} ms deadline{}",
                total.map_or("an unknown time".into(), |t| format!("{t:.0} ms")),
                ctx.deadline_ms,
                worst.map_or(String::new(), |(a, b, g)| format!(
                    "; the slowest hop is {} → {} ({g:.0} ms)",
                    a.name(),
                    b.name()
                ))
            )));
            match worst.map(|w| w.1) {
                Some(Stage::Running) => "make the launch fast: report the call before any other work (no network or database calls before reportNewIncomingCall), and defer heavy initialisation in application(_:didFinishLaunchingWithOptions:)".into(),
                Some(Stage::Reported) | Some(Stage::Delegate) => format!("report the call synchronously in the PushKit delegate; {REPORT_FIX}"),
                _ => "the delay is before the app: check the network of the phone and APNs (priority 10, apns-expiration 0 for VoIP)".into(),
            }
        }
    };
    Some(Diagnosis { chain, fix })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::round::Seen;
    use crate::probe::stage::{End, Mark};

    fn line(text: &str, stamp: f64) -> Seen {
        Seen {
            rule: "r".into(),
            process: "p".into(),
            line: text.into(),
            stamp: Some(stamp),
            res: 1e-6,
            received: stamp,
        }
    }

    #[test]
    fn a_kill_chain_names_each_stage_and_the_fix() {
        let mut r = Round::new(1, 100.0);
        r.accepted = Some(100.01);
        r.observe(
            Mark::Stage(Stage::Delivered, None, true),
            line("delivered", 100.05),
        );
        r.observe(
            Mark::Stage(Stage::Running, Some("launched (background)".into()), true),
            line("run", 100.3),
        );
        r.observe(
            Mark::Stage(Stage::Delegate, None, false),
            line("delegate", 100.33),
        );
        r.observe(
            Mark::End(End::Killed, "no CallKit report for a VoIP push"),
            line("Killing app", 100.7),
        );
        let v = r.verdict(3000.0, Some(0.0));
        assert_eq!(v, Verdict::Killed);
        // Without the kill line, and no report: unknown, not failed.
        let mut quiet = r.clone();
        quiet.end = None;
        quiet.concluded = None;
        assert_eq!(quiet.verdict(3000.0, Some(0.0)), Verdict::Unknown);
        let mut dropped_app = Round::new(3, 100.0);
        dropped_app.observe(
            Mark::Stage(Stage::Delivered, None, true),
            line("delivered", 100.05),
        );
        assert_eq!(dropped_app.verdict(3000.0, Some(0.0)), Verdict::Stalled);
        let ctx = Context {
            via: "push",
            bundle: "com.example.call".into(),
            deadline_ms: 3000.0,
            ..Context::default()
        };
        let d = diagnose(&r, v, &ctx, Some(0.0)).unwrap_or_else(|| panic!("none"));
        let steps: Vec<(&str, Evidence)> = d
            .chain
            .iter()
            .map(|l| (l.step.as_str(), l.evidence))
            .collect();
        assert_eq!(steps[0].1, Evidence::Seen);
        assert!(
            steps
                .iter()
                .any(|(s, e)| s.contains("launched (background)") && *e == Evidence::Seen)
        );
        assert!(
            steps
                .iter()
                .any(|(s, e)| s.contains("no CallKit report") && *e == Evidence::Inferred)
        );
        assert!(
            d.chain
                .iter()
                .any(|l| l.line.as_deref() == Some("p: Killing app"))
        );
        assert!(d.fix.contains("reportNewIncomingCall"));
        // A reported round has no diagnosis.
        let mut ok = Round::new(2, 100.0);
        ok.observe(
            Mark::Stage(Stage::Reported, None, false),
            line("reported", 100.2),
        );
        assert_eq!(ok.verdict(3000.0, Some(0.0)), Verdict::Reported);
        assert_eq!(ok.verdict(100.0, Some(0.0)), Verdict::Late);
        assert!(diagnose(&ok, Verdict::Reported, &ctx, Some(0.0)).is_none());
    }

    #[test]
    fn a_lost_push_points_at_the_environment_when_the_build_says_so() {
        let r = Round::new(1, 100.0);
        let ctx = Context {
            via: "push",
            bundle: "com.example.call".into(),
            environment: Some("production".into()),
            aps_environment: Some("development".into()),
            ..Context::default()
        };
        let d = diagnose(&r, Verdict::Lost, &ctx, None).unwrap_or_else(|| panic!("none"));
        assert!(
            d.chain
                .iter()
                .any(|l| l.step.contains("aps-environment is development"))
        );
        assert!(d.fix.contains("--env sandbox"));
    }
}
