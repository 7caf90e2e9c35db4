//! Why a round failed: the host-side links (the trigger, APNs's answer) in front of the
//! phone-side cause chain that `watch` and `analyze` give too ([`crate::diagnosis`]), each link
//! seen (with its line) or inferred, ending in the fix.

use super::round::{Round, Seen, Verdict};
use super::stage::Stage;
use crate::diagnosis::{self as chain, Hop, Phone, Trigger};
pub(crate) use crate::diagnosis::{Diagnosis, Evidence, Link};

/// What the diagnosis knows besides the round.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
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

fn text(s: &Seen) -> String {
    format!("{}: {}", s.process, s.line)
}

fn host(step: impl Into<String>, line: Option<String>) -> Link {
    Link::seen(step, line)
}

fn trigger(ctx: &Context) -> Trigger {
    if ctx.via == "signal" {
        Trigger::Socket
    } else {
        Trigger::Push
    }
}

/// The phone-side stages of a round, for the shared chain.
fn phone(r: &Round) -> Phone {
    let at = |st: Stage| r.stages.get(&st).map(text);
    Phone {
        delivered: at(Stage::Delivered),
        running: r.stages.get(&Stage::Running).map(|s| {
            (
                r.state
                    .clone()
                    .unwrap_or_else(|| if r.cold { "launched" } else { "resumed" }.into()),
                text(s),
            )
        }),
        delegate: at(Stage::Delegate),
        reported: at(Stage::Reported),
    }
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

/// The host-side link in front of the phone's chain.
fn after_accepted(r: &Round, ctx: &Context, mut d: Diagnosis) -> Diagnosis {
    d.chain.insert(0, accepted_link(r, ctx));
    d
}

/// The chain for a failed (or late) round; `None` for a passed one.
pub(crate) fn diagnose(
    r: &Round,
    verdict: Verdict,
    ctx: &Context,
    offset_ms: Option<f64>,
) -> Option<Diagnosis> {
    let p = phone(r);
    let end_line = r.end.as_ref().map(|(_, _, s)| text(s));
    let d = match verdict {
        Verdict::Reported => return None,
        Verdict::NotSent => Diagnosis {
            chain: vec![host("the trigger got no answer", r.answer.error.clone())],
            fix: if ctx.via == "signal" {
                "make sure the app's VoIP socket is connected to the probe's --listen address before the round starts (the app reconnects from its keep-alive handler)".into()
            } else {
                "check the network path to APNs (--env / --apns-url, proxies, firewalls on port 443 or 2197) and run again".into()
            },
        },
        Verdict::Rejected => Diagnosis {
            chain: vec![host(
                format!(
                    "APNs refused the push: {} {}",
                    r.answer.status.unwrap_or(0),
                    r.answer.reason.as_deref().unwrap_or("")
                ),
                r.answer.explanation.clone(),
            )],
            fix: r
                .answer
                .fix
                .clone()
                .unwrap_or_else(|| "see the reason in Apple's APNs documentation".into()),
        },
        Verdict::Lost => lost(r, ctx),
        Verdict::Banned => after_accepted(r, ctx, chain::banned(&p, end_line, ctx.kills_before)),
        Verdict::Killed => {
            let why = r.end.as_ref().map_or("killed", |(_, why, _)| *why);
            let then: Vec<(String, String)> =
                r.notes.iter().map(|n| (n.rule.clone(), text(n))).collect();
            after_accepted(
                r,
                ctx,
                chain::killed(&p, trigger(ctx), why, end_line, &then),
            )
        }
        Verdict::Dropped => after_accepted(r, ctx, chain::dropped(&p, end_line)),
        Verdict::Stalled => match r.furthest() {
            Stage::Delivered => {
                after_accepted(r, ctx, chain::not_run(&p, ctx.voip_mode, &ctx.bundle))
            }
            _ => {
                let mut d = Diagnosis {
                    chain: p.links(trigger(ctx)),
                    fix: chain::REPORT_FIX.into(),
                };
                d.chain.push(Link::inferred(format!(
                    "no CallKit report within the round timeout (and no kill seen yet): the deadline is {:.0} ms",
                    ctx.deadline_ms
                )));
                after_accepted(r, ctx, d)
            }
        },
        Verdict::Unknown => after_accepted(
            r,
            ctx,
            chain::unreported(&p, trigger(ctx), "none within the round timeout"),
        ),
        Verdict::Late => {
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
            let what = format!(
                "reported after {}, over the {:.0} ms deadline{}",
                total.map_or("an unknown time".into(), |t| format!("{t:.0} ms")),
                ctx.deadline_ms,
                worst.map_or(String::new(), |(a, b, g)| format!(
                    "; the slowest hop is {} → {} ({g:.0} ms)",
                    a.name(),
                    b.name()
                ))
            );
            let hop = worst.map(|w| match w.1 {
                Stage::Running => Hop::Launch,
                Stage::Reported | Stage::Delegate => Hop::InApp,
                _ => Hop::BeforeApp,
            });
            after_accepted(r, ctx, chain::late(&p, trigger(ctx), what, hop))
        }
    };
    Some(d)
}

/// Accepted, and nothing reached the phone's log.
fn lost(r: &Round, ctx: &Context) -> Diagnosis {
    let mut chain = vec![
        accepted_link(r, ctx),
        Link::inferred("nothing about it reached the phone's log within the round timeout"),
    ];
    if ctx.via == "signal" {
        chain.push(Link::inferred(
            "the app was not woken: its socket is not a VoIP socket, the app is not running, or the wake went to another connection",
        ));
        return Diagnosis {
            chain,
            fix: "mark the socket as a VoIP socket (NSStreamNetworkServiceTypeVoIP) and keep it connected; note apps built with the iOS 16 SDK or later can no longer use it".into(),
        };
    }
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
    chain.push(Link::inferred(why));
    Diagnosis {
        chain,
        fix: format!(
            "send to the environment of the build (Xcode builds: --env sandbox; TestFlight/App Store: --env production), with the PushKit token the app registered on this phone and topic {}",
            ctx.topic
                .clone()
                .unwrap_or_else(|| format!("{}.voip", ctx.bundle))
        ),
    }
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
