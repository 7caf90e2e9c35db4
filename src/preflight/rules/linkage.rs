//! What the binaries link: VOIP020–VOIP022.

use super::*;

pub(super) const VOIP020: Rule = Rule {
    id: "VOIP020",
    name: "pushkit-without-callkit",
    group: "linkage",
    title: "PushKit apps link CallKit (or LiveCommunicationKit)",
    explanation: "\"PushKit apps that use VoIP push must link the CallKit framework\": since the iOS 13 SDK a VoIP push that is not reported as a call gets the app killed.",
    fix: "link CallKit.framework (or LiveCommunicationKit on iOS 17.4+) and report each VoIP push as an incoming call",
    severity: Severities::all(E),
    check: pushkit_without_callkit,
};

fn pushkit_without_callkit(i: &Input<'_>, s: &mut Sink) {
    let t = &i.facts.app;
    let Some(list) = bins(t, s) else { return };
    let push: Vec<&str> = list
        .iter()
        .filter(|(_, e)| uses_pushkit(e))
        .map(|(p, _)| *p)
        .collect();
    if !push.is_empty() && !list.iter().any(|(_, e)| calls(e)) {
        let old = sdk(t).is_some_and(|v| v.0 < 13);
        let names: Vec<&str> = push
            .iter()
            .map(|p| match inside(t, p) {
                "" => "the app",
                x => x,
            })
            .collect();
        let msg = format!(
            "{} links PushKit but neither CallKit nor LiveCommunicationKit is linked anywhere",
            names.join(" and ")
        );
        if old {
            s.fail_at(
                Severity::Warning,
                t,
                format!("{msg} (built with a pre-iOS 13 SDK)"),
            );
        } else {
            s.fail(t, msg);
        }
    }
}

pub(super) const VOIP021: Rule = Rule {
    id: "VOIP021",
    name: "callkit-china",
    group: "linkage",
    title: "CallKit apps are not offered in China",
    explanation: "App Review rejects apps with CallKit features in the China storefront (guideline 5.0); storefronts are not in the bundle, so this is a reminder.",
    fix: "exclude China from the app's availability in App Store Connect, or disable CallKit there",
    severity: Severities::all(I),
    check: callkit_china,
};

fn callkit_china(i: &Input<'_>, s: &mut Sink) {
    if i.opts.distribution != Distribution::Appstore {
        return;
    }
    let t = &i.facts.app;
    let Some(list) = bins(t, s) else { return };
    if let Some((path, _)) = list.iter().find(|(_, e)| e.links("CallKit").is_some()) {
        s.fail(
            t,
            format!(
                "{}links CallKit: not allowed in the China storefront",
                who(t, path)
            ),
        );
    }
}

pub(super) const VOIP022: Rule = Rule {
    id: "VOIP022",
    name: "voip-sdk",
    group: "linkage",
    title: "embedded VoIP SDKs are listed (PushKit, CallKit, WebRTC, SIP)",
    explanation: "Most VoIP apps get PushKit, CallKit, WebRTC or SIP through a vendor SDK under Frameworks/; the other rules look at those frameworks too, and this note says which ones carry VoIP so a finding can be traced to the SDK that causes it.",
    fix: "nothing to fix; keep the SDKs current (their VoIP rules follow the iOS SDK they were built with)",
    severity: Severities::all(I),
    check: voip_sdks,
};

fn voip_sdks(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        let Some(fws) = frameworks(t, s) else {
            continue;
        };
        for f in fws {
            if let Some(what) = sdk_kind(f) {
                s.fail(
                    t,
                    format!("{} is a VoIP SDK ({})", inside(t, &f.path), what.join(", ")),
                );
            }
        }
    }
}
