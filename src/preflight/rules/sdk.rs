//! The SDK the app is built with, and what it allows: VOIP010–VOIP015.

use super::*;

pub(super) const VOIP010: Rule = Rule {
    id: "VOIP010",
    name: "sdk-version",
    group: "sdk",
    title: "the SDK is recorded and consistent (DTSDKName, DTPlatformVersion, LC_BUILD_VERSION)",
    explanation: "The SDK an app links against decides which VoIP rules iOS enforces (iOS 13 SDK: every VoIP push must be reported to CallKit; iOS 16 SDK: legacy VoIP sockets crash). Xcode records it in Info.plist and in the executable; missing or disagreeing values mean a hand-edited plist or a broken build.",
    fix: "build with Xcode (xcodebuild archive) rather than editing Info.plist by hand",
    severity: Severities::all(W),
    check: sdk_version,
};

fn sdk_version(i: &Input<'_>, s: &mut Sink) {
    let t = &i.facts.app;
    if !info_ok(t, s) {
        return;
    }
    let name = t.info_str("DTSDKName");
    let plat = t.info_str("DTPlatformVersion");
    let build = t.executable.get().and_then(|e| e.build);
    if name.is_none() && plat.is_none() && build.is_none() {
        if t.executable.is_unknown() {
            s.fail(
                t,
                "Info.plist has neither DTSDKName nor DTPlatformVersion; the SDK is unknown",
            );
        } else {
            s.fail(
                t,
                "no DTSDKName, DTPlatformVersion or LC_BUILD_VERSION: the SDK is unknown",
            );
        }
        return;
    }
    if let (Some(n), Some(p)) = (name.and_then(version), plat.and_then(version))
        && (n.0, n.1) != (p.0, p.1)
    {
        s.fail(
            t,
            format!(
                "DTSDKName says {} but DTPlatformVersion says {}",
                fmt_v(n),
                fmt_v(p)
            ),
        );
    }
    if let (Some(b), Some(p)) = (build, name.and_then(version).or(plat.and_then(version)))
        && b.sdk.0 > 0
        && (b.sdk.0, b.sdk.1) != (p.0, p.1)
    {
        s.fail(
            t,
            format!(
                "Info.plist says SDK {} but the executable was linked with SDK {}",
                fmt_v(p),
                fmt_v(b.sdk)
            ),
        );
    }
}

pub(super) const VOIP011: Rule = Rule {
    id: "VOIP011",
    name: "minimum-os",
    group: "sdk",
    title: "MinimumOSVersion is set and matches the executable",
    explanation: "MinimumOSVersion decides which iOS versions install the app; the executable's LC_BUILD_VERSION minos decides which it can run on. When they disagree the app installs where it cannot launch.",
    fix: "set the deployment target once (IPHONEOS_DEPLOYMENT_TARGET) and rebuild",
    severity: Severities::all(W),
    check: minimum_os,
};

fn minimum_os(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        if !info_ok(t, s) {
            continue;
        }
        let plist = t.info_str("MinimumOSVersion").and_then(version);
        if plist.is_none() {
            s.fail(t, "MinimumOSVersion is missing or not a version");
            continue;
        }
        if let (Some(p), Some(b)) = (plist, t.executable.get().and_then(|e| e.build))
            && b.minos.0 > 0
            && (p.0, p.1) != (b.minos.0, b.minos.1)
        {
            s.fail(
                t,
                format!(
                    "MinimumOSVersion is {} but the executable's deployment target is {}",
                    fmt_v(p),
                    fmt_v(b.minos)
                ),
            );
        }
    }
}

pub(super) const VOIP012: Rule = Rule {
    id: "VOIP012",
    name: "framework-newer-than-deployment-target",
    group: "sdk",
    title: "frameworks newer than the deployment target are weakly linked",
    explanation: "A strongly linked framework that does not exist on the oldest supported iOS stops the app at launch (dyld: Library not loaded): CallKit needs iOS 10, LiveCommunicationKit iOS 17.4, PushKit iOS 8.",
    fix: "raise the deployment target, or mark the framework Optional (weak link) and check availability at run time",
    severity: Severities::all(E),
    check: framework_minos,
};

fn framework_minos(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        let Some(list) = bins(t, s) else { continue };
        let Some(min) = minos(t) else { continue };
        for (path, e) in list {
            for (fw, need) in [
                ("CallKit", (10, 0, 0)),
                ("LiveCommunicationKit", (17, 4, 0)),
                ("PushKit", (8, 0, 0)),
            ] {
                if let Some(d) = e.links(fw)
                    && !d.weak
                    && min < need
                {
                    s.fail(
                        t,
                        format!(
                            "{fw} (iOS {}+) is strongly linked{} but the app supports iOS {}",
                            fmt_v(need),
                            match inside(t, path) {
                                "" => String::new(),
                                p => format!(" by {p}"),
                            },
                            fmt_v(min)
                        ),
                    );
                }
            }
        }
    }
}

pub(super) const VOIP013: Rule = Rule {
    id: "VOIP013",
    name: "callkit-report-required",
    group: "sdk",
    title: "VoIP pushes are reported to CallKit (iOS 13 SDK and later)",
    explanation: "Apps built with the iOS 13 SDK or later must call CallKit reportNewIncomingCall (or LiveCommunicationKit) before pushRegistry(_:didReceiveIncomingPushWith:) returns; otherwise iOS kills the app (0xbaadca11) and, after repeated failures, stops delivering VoIP pushes to it.",
    fix: "report every VoIP push as an incoming call with CXProvider.reportNewIncomingCall in the PushKit delegate, before calling its completion handler",
    severity: Severities::all(W),
    check: callkit_report,
};

fn callkit_report(i: &Input<'_>, s: &mut Sink) {
    let t = &i.facts.app;
    let Some(list) = bins(t, s) else { return };
    if !list.iter().any(|(_, e)| uses_pushkit(e)) {
        return;
    }
    if sdk(t).is_some_and(|v| v.0 < 13) {
        return;
    }
    let reports = list.iter().any(|(_, e)| {
        e.mentions("reportNewIncomingCall") || e.mentions("reportNewIncomingConversation")
    });
    if !reports && !any_opaque(&list, s) {
        s.fail(
            t,
            "uses PushKit but never mentions reportNewIncomingCall: VoIP pushes that are not reported get the app killed",
        );
    }
}

pub(super) const VOIP014: Rule = Rule {
    id: "VOIP014",
    name: "legacy-voip-socket-crash",
    group: "sdk",
    title: "no legacy VoIP socket APIs when built with the iOS 16 SDK or later",
    explanation: "Apps linked against the iOS 16 SDK crash when they mark a VoIP socket (\"Linked against modern SDK, VOIP socket will not wake. Use Local Push Connectivity instead.\"); setKeepAliveTimeout:handler: no longer runs.",
    fix: "remove kCFStreamNetworkServiceTypeVoIP / NSStreamNetworkServiceTypeVoIP and setKeepAliveTimeout:handler:; use PushKit + CallKit, or Local Push Connectivity on restricted networks",
    severity: Severities::all(E),
    check: legacy_crash,
};

fn legacy_crash(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        let Some(list) = bins(t, s) else { continue };
        // The main executable's SDK decides ("Linked against modern SDK").
        let Some(v) = sdk(t).filter(|v| v.0 >= 16) else {
            continue;
        };
        for (path, e) in list {
            let found = legacy_found(e);
            if found.is_empty() {
                if e.encrypted {
                    opaque(path, s);
                }
                continue;
            }
            s.fail(
                t,
                format!(
                    "built with the iOS {} SDK and {}uses {}: the app will crash (VOIP socket will not wake)",
                    fmt_v(v),
                    match inside(t, path) {
                        "" => String::new(),
                        p => format!("{p} "),
                    },
                    found.join(", ")
                ),
            );
        }
    }
}

pub(super) const VOIP015: Rule = Rule {
    id: "VOIP015",
    name: "legacy-voip-api",
    group: "sdk",
    title: "no deprecated legacy VoIP APIs",
    explanation: "VoIP sockets and keep-alive handlers are deprecated since iOS 9 and stop working once the app is built with the iOS 16 SDK.",
    fix: "move to PushKit VoIP pushes reported to CallKit before the next SDK update",
    severity: Severities::all(W),
    check: legacy_api,
};

fn legacy_api(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        let Some(list) = bins(t, s) else { continue };
        if sdk(t).is_some_and(|v| v.0 >= 16) {
            continue; // VOIP014 reports SDK ≥ 16.
        }
        for (path, e) in list {
            let found = legacy_found(e);
            if found.is_empty() {
                if e.encrypted {
                    opaque(path, s);
                }
                continue;
            }
            s.fail(
                t,
                format!(
                    "{}uses deprecated legacy VoIP APIs: {}",
                    who(t, path),
                    found.join(", ")
                ),
            );
        }
    }
}

// ---------- helpers ----------

const LEGACY_SOCKET: [&str; 3] = [
    "setKeepAliveTimeout:handler:",
    "kCFStreamNetworkServiceTypeVoIP",
    "NSStreamNetworkServiceTypeVoIP",
];

fn legacy_found(e: &Executable) -> Vec<&'static str> {
    LEGACY_SOCKET
        .into_iter()
        .filter(|m| e.mentions(m))
        .collect()
}
