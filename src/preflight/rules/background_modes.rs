//! Background modes (`UIBackgroundModes`): VOIP001–VOIP007.

use super::*;

pub(super) const VOIP001: Rule = Rule {
    id: "VOIP001",
    name: "voip-mode-missing",
    group: "background-modes",
    title: "apps that use PushKit or CallKit declare the `voip` background mode",
    explanation: "PushKit delivers VoIP pushes, and CallKit reports calls, only for apps whose UIBackgroundModes contains `voip`; without it VoIP pushes never wake the app and CallKit fails with missingVoIPBackgroundMode.",
    fix: "add `voip` to UIBackgroundModes (Xcode: Signing & Capabilities → Background Modes → Voice over IP)",
    severity: Severities::all(E),
    check: voip_mode_missing,
};

fn voip_mode_missing(i: &Input<'_>, s: &mut Sink) {
    let t = &i.facts.app;
    if !info_ok(t, s) || has_mode(t, "voip") {
        return;
    }
    let Some(list) = bins(t, s) else { return };
    for (path, e) in list {
        let why: Vec<&str> = ["PushKit", "CallKit", "LiveCommunicationKit"]
            .into_iter()
            .filter(|f| e.links(f).is_some())
            .collect();
        if !why.is_empty() {
            s.fail(
                t,
                format!(
                    "{}links {} but UIBackgroundModes has no `voip`",
                    who(t, path),
                    why.join(" and ")
                ),
            );
        }
    }
}

pub(super) const VOIP002: Rule = Rule {
    id: "VOIP002",
    name: "voip-mode-legacy",
    group: "background-modes",
    title: "the `voip` background mode is used with PushKit, not legacy VoIP sockets",
    explanation: "Without PushKit, the `voip` mode means the legacy model (a VoIP socket kept open while suspended, keep-alive handlers), deprecated in iOS 9; apps built with the iOS 16 SDK can no longer use it, and App Review rejects background modes that are not used for their purpose (2.5.4).",
    fix: "receive calls through PushKit VoIP pushes reported to CallKit, or Local Push Connectivity (NEAppPushProvider) on restricted networks",
    severity: Severities::all(W),
    check: voip_mode_legacy,
};

fn voip_mode_legacy(i: &Input<'_>, s: &mut Sink) {
    let t = &i.facts.app;
    if !info_ok(t, s) || !has_mode(t, "voip") {
        return;
    }
    let Some(list) = bins(t, s) else { return };
    if list
        .iter()
        .any(|(_, e)| uses_pushkit(e) || e.mentions("PKPushRegistry"))
    {
        return;
    }
    if !any_opaque(&list, s) {
        s.fail(
            t,
            "`voip` background mode without PushKit: the legacy VoIP-socket model",
        );
    }
}

pub(super) const VOIP003: Rule = Rule {
    id: "VOIP003",
    name: "invalid-background-mode",
    group: "background-modes",
    title: "every UIBackgroundModes value is one iOS knows",
    explanation: "App Store Connect rejects an upload whose UIBackgroundModes contains an unknown value (error ITMS-90112), and iOS ignores it.",
    fix: "remove the value, or replace it with one of: audio, location, voip, fetch, remote-notification, newsstand-content, external-accessory, bluetooth-central, bluetooth-peripheral, network-authentication, processing, push-to-talk, nearby-interaction",
    severity: Severities::all(W).appstore(E),
    check: invalid_mode,
};

fn invalid_mode(i: &Input<'_>, s: &mut Sink) {
    let t = &i.facts.app;
    if !info_ok(t, s) {
        return;
    }
    modes_value(t, s, |m, s| {
        if VALID_MODES.contains(&m) {
            return;
        }
        if VALID_MODES.contains(&normalise(m).as_str()) {
            return; // VOIP004 reports typos.
        }
        s.fail(
            t,
            format!(
                "UIBackgroundModes contains {:?}, which iOS does not know (upload error 90112)",
                m
            ),
        );
    });
}

pub(super) const VOIP004: Rule = Rule {
    id: "VOIP004",
    name: "background-mode-typo",
    group: "background-modes",
    title: "UIBackgroundModes values are spelled exactly (case, whitespace)",
    explanation: "Values are compared exactly: `VoIP` or `voip ` is not `voip`, so the mode is silently off on the device and the upload fails with ITMS-90112.",
    fix: "write the value exactly as iOS spells it (all lowercase, no spaces)",
    severity: Severities::all(E),
    check: mode_typo,
};

fn mode_typo(i: &Input<'_>, s: &mut Sink) {
    let t = &i.facts.app;
    if !info_ok(t, s) {
        return;
    }
    let Some(plist::Value::Array(a)) = t.info.get("UIBackgroundModes") else {
        return;
    };
    for m in a.iter().filter_map(|v| v.as_string()) {
        if VALID_MODES.contains(&m) {
            continue;
        }
        let n = normalise(m);
        if VALID_MODES.contains(&n.as_str()) {
            s.fail(
                t,
                format!("UIBackgroundModes contains {m:?}; did you mean {n:?}?"),
            );
        }
    }
}

pub(super) const VOIP005: Rule = Rule {
    id: "VOIP005",
    name: "processing-without-identifiers",
    group: "background-modes",
    title: "`processing` comes with BGTaskSchedulerPermittedIdentifiers",
    explanation: "The `processing` background mode needs the identifiers of the BGTaskScheduler tasks the app registers; without them the upload fails (ITMS-90771) and registration throws at run time.",
    fix: "add BGTaskSchedulerPermittedIdentifiers (an array of task identifiers) to Info.plist, or remove `processing`",
    severity: Severities::all(W).appstore(E),
    check: processing_ids,
};

fn processing_ids(i: &Input<'_>, s: &mut Sink) {
    let t = &i.facts.app;
    if !info_ok(t, s) || !has_mode(t, "processing") {
        return;
    }
    let ok = t
        .info
        .get("BGTaskSchedulerPermittedIdentifiers")
        .and_then(|v| v.as_array())
        .is_some_and(|a| !a.is_empty());
    if !ok {
        s.fail(
            t,
            "`processing` background mode without BGTaskSchedulerPermittedIdentifiers (ITMS-90771)",
        );
    }
}

pub(super) const VOIP006: Rule = Rule {
    id: "VOIP006",
    name: "calling-without-audio-mode",
    group: "background-modes",
    title: "calling apps declare the `audio` background mode",
    explanation: "Call audio keeps running in the background only with the `audio` background mode; without it the call goes silent when the user locks the phone or switches apps.",
    fix: "add `audio` to UIBackgroundModes (Background Modes → Audio, AirPlay, and Picture in Picture)",
    severity: Severities::all(W),
    check: audio_mode,
};

fn audio_mode(i: &Input<'_>, s: &mut Sink) {
    let t = &i.facts.app;
    if !info_ok(t, s) || has_mode(t, "audio") {
        return;
    }
    let calling = match &t.executable {
        Part::Present(_) => {
            t.binaries().any(|(_, e)| calls(e))
                || t.embedded().iter().any(|f| sdk_kind(f).is_some())
        }
        _ => has_mode(t, "voip"),
    };
    if calling {
        s.fail(
            t,
            "calling app without the `audio` background mode: call audio stops in the background",
        );
    }
}

pub(super) const VOIP007: Rule = Rule {
    id: "VOIP007",
    name: "remote-notification-without-aps",
    group: "background-modes",
    title: "`remote-notification` comes with the push entitlement",
    explanation: "The `remote-notification` mode lets silent pushes wake the app, but no push reaches an app whose signature lacks `aps-environment`.",
    fix: "enable the Push Notifications capability (adds aps-environment), or remove `remote-notification`",
    severity: Severities::all(W),
    check: remote_notification_aps,
};

fn remote_notification_aps(i: &Input<'_>, s: &mut Sink) {
    let t = &i.facts.app;
    if !info_ok(t, s) || !has_mode(t, "remote-notification") {
        return;
    }
    let Some(d) = ents(t, s) else { return };
    if !d.contains_key("aps-environment") {
        s.fail(
            t,
            "`remote-notification` background mode but no aps-environment entitlement",
        );
    }
}

// ---------- helpers ----------

/// Valid `UIBackgroundModes` values (anything else: App Store Connect error 90112).
pub(super) const VALID_MODES: [&str; 13] = [
    "audio",
    "location",
    "voip",
    "fetch",
    "remote-notification",
    "newsstand-content",
    "external-accessory",
    "bluetooth-central",
    "bluetooth-peripheral",
    "network-authentication",
    "processing",
    "push-to-talk",
    "nearby-interaction",
];

fn modes_value(t: &Target, s: &mut Sink, f: impl Fn(&str, &mut Sink)) {
    match t.info.get("UIBackgroundModes") {
        None => {}
        Some(plist::Value::Array(a)) => {
            for v in a {
                match v.as_string() {
                    Some(m) => f(m, s),
                    None => s.fail(t, "UIBackgroundModes contains a value that is not a string"),
                }
            }
        }
        Some(_) => s.fail(t, "UIBackgroundModes is not an array of strings"),
    }
}

fn normalise(m: &str) -> String {
    m.trim().to_ascii_lowercase().replace([' ', '_'], "-")
}
