//! Why a VoIP push (or a VoIP-socket wake) went wrong: a cause chain from the trigger to the
//! failure, each link either *seen* (with the log line, or the answer, it rests on) or *inferred*
//! (what the missing evidence most likely means, and so what would confirm it), ending in the fix.
//!
//! One chain for every command: `probe` puts its host-side links (sent, APNs's answer) in front
//! of the phone-side chain built here for each failed round, and `watch` / `analyze` give the same
//! chain for each failed or undecided push check of their summary. Pure and print-free: what the
//! phone's log showed goes in, the chain comes out.

use serde::Serialize;

/// How a link is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "DiagnosisEvidence")]
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

impl Link {
    /// A link the log (or an answer) shows.
    pub fn seen(step: impl Into<String>, line: Option<String>) -> Link {
        Link {
            step: step.into(),
            evidence: Evidence::Seen,
            line,
        }
    }

    /// A link concluded from what is missing.
    pub fn inferred(step: impl Into<String>) -> Link {
        Link {
            step: step.into(),
            evidence: Evidence::Inferred,
            line: None,
        }
    }
}

/// The chain and the fix.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Diagnosis {
    /// From the trigger to the failure.
    pub chain: Vec<Link>,
    /// What to do.
    pub fix: String,
}

/// What woke the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Trigger {
    /// A PushKit VoIP push.
    #[default]
    Push,
    /// Data on the app's VoIP socket (the legacy model).
    Socket,
}

/// What the phone's log showed of one push: the first line of each stage, as
/// `process: message`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Phone {
    /// apsd / callservicesd handled the push (or the VoIP process assertion).
    pub delivered: Option<String>,
    /// The app ran: its state (`launched (background)`, `resumed`…) and the line.
    pub running: Option<(String, String)>,
    /// The app's code got it (PushKit delegate, socket wake handler).
    pub delegate: Option<String>,
    /// The call was reported to CallKit.
    pub reported: Option<String>,
}

impl Phone {
    /// The stages seen, as links, in the order a call travels.
    pub(crate) fn links(&self, trigger: Trigger) -> Vec<Link> {
        let mut out = Vec::new();
        if let Some(l) = &self.delivered {
            out.push(Link::seen("delivered on the phone", Some(l.clone())));
        }
        if let Some((state, l)) = &self.running {
            out.push(Link::seen(
                format!("the app runs: {state}"),
                Some(l.clone()),
            ));
        }
        if let Some(l) = &self.delegate {
            let step = match trigger {
                Trigger::Socket => "the app's VoIP socket woke it",
                Trigger::Push => "PushKit delivered the push to the app's delegate",
            };
            out.push(Link::seen(step, Some(l.clone())));
        }
        if let Some(l) = &self.reported {
            out.push(Link::seen(
                "the call was reported to CallKit",
                Some(l.clone()),
            ));
        }
        out
    }
}

/// The fix for a VoIP push that was not reported to CallKit.
pub(crate) const REPORT_FIX: &str = "report the incoming call to CallKit (CXProvider.reportNewIncomingCall) from pushRegistry(_:didReceiveIncomingPushWithPayload:for:completion:) before it returns, for every VoIP push, even one whose call has already ended";

/// iOS killed the app: `why` in words, the kill's line when the log has one, then what the phone
/// logged with the kill (`(rule, line)`, the first few).
pub(crate) fn killed(
    phone: &Phone,
    trigger: Trigger,
    why: &str,
    line: Option<String>,
    then: &[(String, String)],
) -> Diagnosis {
    let mut chain = phone.links(trigger);
    if phone.reported.is_none() {
        chain.push(Link::inferred("no CallKit report before the kill"));
    }
    match line {
        Some(l) => chain.push(Link::seen(format!("iOS killed the app: {why}"), Some(l))),
        None => chain.push(Link::inferred(format!("iOS killed the app: {why}"))),
    }
    for (rule, l) in then.iter().take(4) {
        chain.push(Link::seen(format!("then logged ({rule})"), Some(l.clone())));
    }
    let fix = match trigger {
        Trigger::Socket => "finish the work of a VoIP-socket wake within about 10 s (end background tasks), and report the call to CallKit as soon as the wake arrives".into(),
        Trigger::Push => {
            chain.push(Link::inferred(
                "the next VoIP pushes may be dropped, and after repeated kills callservicesd stops launching the app (banned)",
            ));
            REPORT_FIX.into()
        }
    };
    Diagnosis { chain, fix }
}

/// callservicesd will not launch the app for VoIP pushes. `kills_before`: kills for unreported
/// pushes seen earlier in the same log or run.
pub(crate) fn banned(phone: &Phone, line: Option<String>, kills_before: usize) -> Diagnosis {
    let mut chain = phone.links(Trigger::Push);
    let step = "callservicesd will not launch the app for VoIP pushes: banned";
    chain.push(match line {
        Some(l) => Link::seen(step, Some(l)),
        None => Link::inferred(step),
    });
    chain.push(Link::inferred(if kills_before > 0 {
        format!(
            "after repeated kills for VoIP pushes without a CallKit report ({kills_before} seen before the ban)"
        )
    } else {
        "after repeated kills for VoIP pushes without a CallKit report (before what this log shows)"
            .into()
    }));
    Diagnosis {
        chain,
        fix: format!(
            "{REPORT_FIX}; the ban lifts when callservicesd resets its kill counts, after a while or a reboot of the phone; reinstalling the app lifts it too"
        ),
    }
}

/// The phone dropped the push.
pub(crate) fn dropped(phone: &Phone, line: Option<String>) -> Diagnosis {
    let mut chain = phone.links(Trigger::Push);
    let step = "the phone dropped the push";
    chain.push(match line {
        Some(l) => Link::seen(step, Some(l)),
        None => Link::inferred(step),
    });
    Diagnosis {
        chain,
        fix: "the topic is not one the phone routes to the app: reinstall/launch the app so it registers with PushKit again, and use the token it reports".into(),
    }
}

/// Delivered, and the app never ran. `voip_mode`: whether the installed build has the `voip`
/// background mode, when known.
pub(crate) fn not_run(phone: &Phone, voip_mode: Option<bool>, bundle: &str) -> Diagnosis {
    let mut chain = phone.links(Trigger::Push);
    chain.push(Link::inferred("the app was not launched or resumed"));
    let fix = if voip_mode == Some(false) {
        chain.push(Link::seen(
            "the installed build has no `voip` background mode",
            Some("installation_proxy: UIBackgroundModes".into()),
        ));
        "add `voip` to UIBackgroundModes (Signing & Capabilities → Background Modes → Voice over IP) and reinstall".into()
    } else {
        chain.push(Link::inferred(
            "banned by callservicesd (no ban line was seen), or the app is not entitled for VoIP pushes",
        ));
        format!(
            "check `voipctl check --device -b {bundle}` and `voipctl watch` for a ban; {REPORT_FIX}"
        )
    };
    Diagnosis { chain, fix }
}

/// The app got the push and the log shows neither a CallKit report nor a kill: `missing` says
/// what the log lacks (it ends too soon, the next push came first…).
pub(crate) fn unreported(phone: &Phone, trigger: Trigger, missing: &str) -> Diagnosis {
    let mut chain = phone.links(trigger);
    chain.push(Link::inferred(format!(
        "neither a CallKit report nor a kill is in the log ({missing}); iOS kills an app that does not report a VoIP push, so the report was most likely made without a line this log shows"
    )));
    Diagnosis {
        chain,
        fix: "log `VOIPCTL call.reported` from reportNewIncomingCall's completion (README: App markers) so that the report is seen and timed".into(),
    }
}

/// Where a late report lost its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hop {
    /// Before the app ran: APNs, the network, the phone's daemons.
    BeforeApp,
    /// Launching or resuming the app.
    Launch,
    /// In the app, from its delegate to the report.
    InApp,
}

/// The call was reported after the deadline: `what` says by how much, `slowest` where the time
/// went (when the stages' times show it).
pub(crate) fn late(
    phone: &Phone,
    trigger: Trigger,
    what: String,
    slowest: Option<Hop>,
) -> Diagnosis {
    let mut chain = phone.links(trigger);
    chain.push(Link::inferred(what));
    let fix = match slowest {
        Some(Hop::Launch) => "make the launch fast: report the call before any other work (no network or database calls before reportNewIncomingCall), and defer heavy initialisation in application(_:didFinishLaunchingWithOptions:)".into(),
        Some(Hop::InApp) => format!("report the call synchronously in the PushKit delegate; {REPORT_FIX}"),
        Some(Hop::BeforeApp) | None => "the delay is before the app: check the network of the phone and APNs (priority 10, apns-expiration 0 for VoIP)".into(),
    };
    Diagnosis { chain, fix }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launched() -> Phone {
        Phone {
            delivered: Some("callservicesd: Delivering 1 VoIP payload(s)".into()),
            running: Some((
                "launched (background)".into(),
                "SpringBoard: Bootstrapping".into(),
            )),
            delegate: Some("ExampleCall: VOIPCTL push.received".into()),
            reported: None,
        }
    }

    #[test]
    fn a_kill_without_its_line_is_inferred_and_a_ban_names_the_kills_before() {
        let d = killed(&launched(), Trigger::Push, "no CallKit report", None, &[]);
        let ev: Vec<Evidence> = d.chain.iter().map(|l| l.evidence).collect();
        assert_eq!(
            ev,
            [
                Evidence::Seen,
                Evidence::Seen,
                Evidence::Seen,
                Evidence::Inferred,
                Evidence::Inferred,
                Evidence::Inferred
            ]
        );
        assert!(d.fix.contains("reportNewIncomingCall"));
        let b = banned(&Phone::default(), Some("callservicesd: will not".into()), 2);
        assert_eq!(b.chain[0].evidence, Evidence::Seen);
        assert!(b.chain[1].step.contains("2 seen before the ban"));
        assert!(b.fix.contains("kill counts"));
        let s = killed(&launched(), Trigger::Socket, "bg", Some("x".into()), &[]);
        assert!(!s.fix.contains("reportNewIncomingCall") && s.fix.contains("10 s"));
    }

    #[test]
    fn the_missing_evidence_is_named_and_the_slowest_hop_picks_the_fix() {
        let u = unreported(
            &launched(),
            Trigger::Push,
            "the log ends 2.0 s after the push",
        );
        assert!(
            u.chain
                .last()
                .is_some_and(|l| l.step.contains("the log ends 2.0 s"))
        );
        assert!(u.fix.contains("VOIPCTL call.reported"));
        let l = late(&launched(), Trigger::Push, "late".into(), Some(Hop::Launch));
        assert!(l.fix.contains("make the launch fast"));
        let n = not_run(&Phone::default(), Some(false), "com.example.call");
        assert!(n.fix.contains("UIBackgroundModes"));
    }
}
