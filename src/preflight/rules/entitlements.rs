//! Entitlements and the code signature that carries them: VOIP030–VOIP039.

use super::*;

pub(super) const VOIP030: Rule = Rule {
    id: "VOIP030",
    name: "aps-environment-missing",
    group: "entitlements",
    title: "apps that receive pushes carry aps-environment",
    explanation: "Without the aps-environment entitlement no push (VoIP or other) reaches the app, and App Store Connect warns ITMS-90078 (Missing Push Notification Entitlement).",
    fix: "enable the Push Notifications capability and use a provisioning profile that includes it",
    severity: Severities::all(W).appstore(E),
    check: aps_missing,
};

fn aps_missing(i: &Input<'_>, s: &mut Sink) {
    let t = &i.facts.app;
    let pushes = match &t.executable {
        Part::Present(_) => t.binaries().any(|(_, e)| uses_pushkit(e)),
        _ => has_mode(t, "voip"),
    };
    if !pushes {
        return;
    }
    let Some(d) = ents(t, s) else { return };
    if !d.contains_key("aps-environment") {
        s.fail(
            t,
            "receives VoIP pushes but has no aps-environment entitlement (ITMS-90078)",
        );
    }
}

pub(super) const VOIP031: Rule = Rule {
    id: "VOIP031",
    name: "aps-environment-value",
    group: "entitlements",
    title: "aps-environment matches the distribution method",
    explanation: "Development builds talk to the APNs sandbox, distribution builds to production; a distribution build with aps-environment=development is rejected (ITMS-90046) and its pushes go to the wrong APNs environment.",
    fix: "sign with a provisioning profile of the right kind (distribution: production, development: development)",
    severity: Severities::all(W).appstore(E),
    check: aps_value,
};

fn aps_value(i: &Input<'_>, s: &mut Sink) {
    let want = match i.opts.distribution {
        Distribution::Development => "development",
        _ => "production",
    };
    for t in i.facts.targets() {
        let Some(d) = ents(t, s) else { continue };
        match d.get("aps-environment") {
            None => {}
            Some(v) => match v.as_string() {
                Some(x) if x == want => {}
                Some(x) => s.fail(
                    t,
                    format!(
                        "aps-environment is {x:?}, a {} build needs {want:?}",
                        i.opts.distribution.name()
                    ),
                ),
                None => s.fail(t, "aps-environment is not a string"),
            },
        }
    }
}

pub(super) const VOIP032: Rule = Rule {
    id: "VOIP032",
    name: "get-task-allow",
    group: "entitlements",
    title: "get-task-allow is off outside development",
    explanation: "get-task-allow lets a debugger attach; App Store Connect rejects builds that have it (ITMS-90164), and it marks a development-signed build.",
    fix: "export with a distribution profile (Xcode Organizer → Distribute App), not a development one",
    severity: Severities::all(W).appstore(E),
    check: get_task_allow,
};

fn get_task_allow(i: &Input<'_>, s: &mut Sink) {
    if i.opts.distribution == Distribution::Development {
        return;
    }
    for t in i.facts.targets() {
        let Some(d) = ents(t, s) else { continue };
        if ent_true(d, "get-task-allow") {
            s.fail(
                t,
                format!(
                    "get-task-allow is true in a {} build (ITMS-90164)",
                    i.opts.distribution.name()
                ),
            );
        }
    }
}

pub(super) const VOIP033: Rule = Rule {
    id: "VOIP033",
    name: "application-identifier",
    group: "entitlements",
    title: "application-identifier is TEAMID.CFBundleIdentifier",
    explanation: "The signed application-identifier must be the team ID followed by the bundle identifier; when they differ the app does not install, pushes use the wrong topic, and keychain groups break.",
    fix: "re-sign with a profile for this bundle identifier, or fix CFBundleIdentifier (PRODUCT_BUNDLE_IDENTIFIER)",
    severity: Severities::all(E),
    check: application_identifier,
};

fn application_identifier(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        let Some(d) = ents(t, s) else { continue };
        let Some(app_id) = ent_str(d, "application-identifier") else {
            if !d.is_empty() {
                s.fail(t, "the signature has no application-identifier entitlement");
            }
            continue;
        };
        let Some((team, id)) = app_id.split_once('.') else {
            s.fail(
                t,
                format!("application-identifier {app_id:?} has no team prefix"),
            );
            continue;
        };
        if let Some(bid) = t.bundle_id()
            && id != bid
        {
            s.fail(
                t,
                format!("application-identifier is {app_id:?} but CFBundleIdentifier is {bid:?}"),
            );
        }
        if let Some(tid) = ent_str(d, "com.apple.developer.team-identifier")
            && tid != team
        {
            s.fail(
                t,
                format!(
                    "application-identifier team {team:?} differs from team-identifier {tid:?}"
                ),
            );
        }
    }
}

pub(super) const VOIP034: Rule = Rule {
    id: "VOIP034",
    name: "unrestricted-voip",
    group: "entitlements",
    title: "no com.apple.developer.pushkit.unrestricted-voip",
    explanation: "The unrestricted-voip entitlement (exempting VoIP pushes from the CallKit rule) is no longer supported; builds that rely on it get killed like any other app.",
    fix: "remove the entitlement and report every VoIP push to CallKit",
    severity: Severities::all(W),
    check: unrestricted_voip,
};

fn unrestricted_voip(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        let Some(d) = ents(t, s) else { continue };
        if d.contains_key("com.apple.developer.pushkit.unrestricted-voip") {
            s.fail(
                t,
                "carries com.apple.developer.pushkit.unrestricted-voip, which is no longer supported",
            );
        }
    }
}

pub(super) const VOIP035: Rule = Rule {
    id: "VOIP035",
    name: "notification-filtering",
    group: "entitlements",
    title: "extensions that report VoIP calls carry usernotifications.filtering",
    explanation: "Since iOS 14.5 a Notification Service Extension may hand a push to the app as a VoIP call (CXProvider.reportNewIncomingVoIPPushPayload) only with com.apple.developer.usernotifications.filtering; without it the call is never reported.",
    fix: "request the filtering entitlement from Apple and add it to the extension's entitlements and profile",
    severity: Severities::all(E),
    check: filtering,
};

fn filtering(i: &Input<'_>, s: &mut Sink) {
    for t in &i.facts.extensions {
        let Some(e) = exe(t, s) else { continue };
        if !e.mentions("reportNewIncomingVoIPPushPayload") {
            if e.encrypted {
                opaque(&t.path, s);
            }
            continue;
        }
        let Some(d) = ents(t, s) else { continue };
        if !ent_true(d, FILTERING) {
            s.fail(
                t,
                format!("reports VoIP calls from a notification extension without {FILTERING}"),
            );
        }
    }
}

pub(super) const VOIP036: Rule = Rule {
    id: "VOIP036",
    name: "local-push-connectivity",
    group: "entitlements",
    title: "Local Push Connectivity is entitled where it is used",
    explanation: "An NEAppPushProvider extension runs only when the app and the extension carry com.apple.developer.networking.networkextension with app-push-provider; an entitlement without any provider extension is unused.",
    fix: "add app-push-provider to the Network Extensions capability of the app and the extension (and their profiles), or remove it",
    severity: Severities::all(E),
    check: local_push,
};

fn local_push(i: &Input<'_>, s: &mut Sink) {
    let providers: Vec<&Target> = i
        .facts
        .extensions
        .iter()
        .filter(|t| t.extension_point() == Some(APP_PUSH_POINT))
        .collect();
    for t in &providers {
        let Some(d) = ents(t, s) else { continue };
        if !ent_contains(d, NE_ENTITLEMENT, "app-push-provider") {
            s.fail(
                t,
                format!("NEAppPushProvider extension without {NE_ENTITLEMENT} = app-push-provider"),
            );
        }
    }
    let app = &i.facts.app;
    let Some(d) = ents(app, s) else { return };
    let entitled = ent_contains(d, NE_ENTITLEMENT, "app-push-provider");
    if !providers.is_empty() && !entitled {
        s.fail(
            app,
            format!("has a Local Push Connectivity extension but lacks {NE_ENTITLEMENT} = app-push-provider"),
        );
    }
    if providers.is_empty() && entitled && !i.facts.source.eq("device") {
        s.fail_at(
            Severity::Warning,
            app,
            "entitled for app-push-provider but has no NEAppPushProvider extension",
        );
    }
}

pub(super) const VOIP037: Rule = Rule {
    id: "VOIP037",
    name: "code-signature",
    group: "entitlements",
    title: "executables are code-signed",
    explanation: "An unsigned executable neither installs on a device nor uploads; its entitlements (and so the entitlement rules) cannot be checked.",
    fix: "sign the build: xcodebuild -exportArchive, or codesign --entitlements … with a matching profile",
    severity: Severities::all(E).development(W),
    check: code_signature,
};

fn code_signature(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        let Some(list) = bins(t, s) else { continue };
        for (path, e) in list {
            if !e.signed {
                s.fail(
                    t,
                    format!(
                        "{}has no code signature (LC_CODE_SIGNATURE)",
                        match inside(t, path) {
                            "" => "the executable ".to_string(),
                            p => format!("{p} "),
                        }
                    ),
                );
            }
        }
    }
}

pub(super) const VOIP038: Rule = Rule {
    id: "VOIP038",
    name: "der-entitlements",
    group: "entitlements",
    title: "the signature carries DER entitlements that match the XML ones",
    explanation: "Since iOS 15 the system reads the entitlements from the DER blob (0xfade7172) of the code signature; a build signed without it does not launch, and a DER blob that disagrees with the XML one means the signature was tampered with or made by a broken re-signing tool. App Store builds are re-signed by Apple.",
    fix: "sign with Xcode 12.5 or later (or codesign --generate-entitlement-der), and re-sign rather than edit an existing signature",
    severity: Severities::all(E).appstore(W),
    check: der_entitlements,
};

fn der_entitlements(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        let Some(sig) = signature(t, s) else { continue };
        match (&sig.entitlements, &sig.der_entitlements) {
            (_, Some(Err(e))) => s.fail(t, format!("the DER entitlements do not parse: {e}")),
            (Some(x), None) if !x.is_empty() => s.fail(
                t,
                "the signature has XML entitlements but no DER entitlements: the app does not launch on iOS 15 and later",
            ),
            (Some(x), Some(Ok(d))) if x != d => {
                let mut keys: Vec<&str> = x
                    .iter()
                    .filter(|(k, v)| d.get(k) != Some(v))
                    .map(|(k, _)| k.as_str())
                    .chain(d.keys().filter(|k| !x.contains_key(k)).map(String::as_str))
                    .collect();
                keys.sort_unstable();
                keys.dedup();
                s.fail(
                    t,
                    format!(
                        "the XML and DER entitlements differ: {}",
                        keys.join(", ")
                    ),
                );
            }
            _ => {}
        }
    }
}

pub(super) const VOIP039: Rule = Rule {
    id: "VOIP039",
    name: "code-directory-team",
    group: "entitlements",
    title: "the CodeDirectory's team identifier is the entitlements' team",
    explanation: "The CodeDirectory records the team of the signing certificate; when it is not the team prefix of application-identifier the signature was made by another team's certificate and the device refuses to launch the app.",
    fix: "sign with a certificate of the team that owns the App ID and its profile",
    severity: Severities::all(E),
    check: code_directory_team,
};

fn code_directory_team(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        let Some(sig) = signature(t, s) else { continue };
        let Some(d) = ents(t, s) else { continue };
        let team = ent_str(d, "com.apple.developer.team-identifier").or_else(|| {
            ent_str(d, "application-identifier").and_then(|a| a.split_once('.').map(|x| x.0))
        });
        let Some(team) = team else { continue };
        match &sig.team_id {
            None => s.skip(format!(
                "{}: the CodeDirectory names no team (ad hoc, or a CodeDirectory older than version 0x20200)",
                t.path
            )),
            Some(cd) if cd != team => s.fail(
                t,
                format!("the CodeDirectory's team is {cd:?} but the entitlements' team is {team:?}"),
            ),
            Some(_) => {}
        }
    }
}

// ---------- helpers ----------

const APP_PUSH_POINT: &str = "com.apple.networkextension.app-push";

const NE_ENTITLEMENT: &str = "com.apple.developer.networking.networkextension";

const FILTERING: &str = "com.apple.developer.usernotifications.filtering";
