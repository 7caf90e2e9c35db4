//! Purpose strings, privacy manifests and the commonly used SDKs' manifests and signatures:
//! VOIP050–VOIP057.

use super::*;

pub(super) const VOIP050: Rule = Rule {
    id: "VOIP050",
    name: "microphone-purpose",
    group: "privacy",
    title: "NSMicrophoneUsageDescription is set",
    explanation: "A calling app records audio; without a microphone purpose string the app is terminated on first use and the upload is rejected (ITMS-90683).",
    fix: "add NSMicrophoneUsageDescription to Info.plist with a sentence saying why the app uses the microphone",
    severity: Severities::all(E),
    check: microphone,
};

fn microphone(i: &Input<'_>, s: &mut Sink) {
    let t = &i.facts.app;
    if !info_ok(t, s) {
        return;
    }
    if !purpose(t, "NSMicrophoneUsageDescription") {
        s.fail(
            t,
            "NSMicrophoneUsageDescription is missing or empty (ITMS-90683)",
        );
    }
}

pub(super) const VOIP051: Rule = Rule {
    id: "VOIP051",
    name: "camera-purpose",
    group: "privacy",
    title: "NSCameraUsageDescription is set (video calls)",
    explanation: "Video calls need the camera; without a purpose string the app is terminated when it opens the camera and the upload is rejected (ITMS-90683).",
    fix: "add NSCameraUsageDescription if the app makes video calls",
    severity: Severities::all(W),
    check: camera,
};

fn camera(i: &Input<'_>, s: &mut Sink) {
    let t = &i.facts.app;
    if !info_ok(t, s) {
        return;
    }
    if !purpose(t, "NSCameraUsageDescription") {
        s.fail(
            t,
            "NSCameraUsageDescription is missing or empty: video calls cannot use the camera",
        );
    }
}

pub(super) const VOIP052: Rule = Rule {
    id: "VOIP052",
    name: "privacy-manifest",
    group: "privacy",
    title: "the app has a privacy manifest (PrivacyInfo.xcprivacy)",
    explanation: "App Store Connect expects a privacy manifest in every app (Xcode builds the privacy report from it); its required-reason API declarations are what ITMS-91053 checks.",
    fix: "add a PrivacyInfo.xcprivacy to the app target (Xcode: File → New → File → App Privacy)",
    severity: Severities::all(I).appstore(W),
    check: privacy_manifest,
};

fn privacy_manifest(i: &Input<'_>, s: &mut Sink) {
    let t = &i.facts.app;
    match &t.privacy {
        Part::Missing => s.fail(t, "no PrivacyInfo.xcprivacy"),
        Part::Unknown => s.skip(format!(
            "{}: privacy manifests are not available from this source",
            t.path
        )),
        Part::Present(_) => {}
    }
}

pub(super) const VOIP053: Rule = Rule {
    id: "VOIP053",
    name: "required-reason-api",
    group: "privacy",
    title: "every required-reason API the binaries use is declared (ITMS-91053)",
    explanation: "Since 1 May 2024 App Store Connect rejects an upload whose code (the app's or an SDK's) uses an API from a required-reason category (file timestamp, system boot time, disk space, active keyboards, user defaults) without a reason for that category in a privacy manifest: ITMS-91053 Missing API declaration. voipctl looks for the symbols those APIs leave in the binaries.",
    fix: "declare each category with its approved reason in NSPrivacyAccessedAPITypes of PrivacyInfo.xcprivacy (the app's, or the SDK's own for SDK code); update SDKs to versions that ship a privacy manifest",
    severity: Severities::all(I).appstore(E),
    check: required_reason,
};

fn required_reason(i: &Input<'_>, s: &mut Sink) {
    use crate::bundle::privacy::categories_used;
    let app_manifest = i.facts.app.privacy.get();
    for t in i.facts.targets() {
        let Some(_) = exe(t, s) else { continue };
        if t.privacy.is_unknown() {
            s.skip(format!(
                "{}: privacy manifests are not available from this source",
                t.path
            ));
            continue;
        }
        let own = t.privacy.get();
        let mut check = |path: &str,
                         e: &Executable,
                         sdk: Option<&crate::bundle::privacy::Manifest>| {
            let used = categories_used(|sym| e.mentions(sym));
            if used.is_empty() && e.encrypted {
                opaque(path, s);
            }
            let declared = |cat: &str| {
                [own, app_manifest, sdk]
                    .into_iter()
                    .flatten()
                    .any(|m| m.declares(cat))
            };
            // A symbol listed under two categories (getattrlist) is satisfied by either.
            let mut missing: Vec<String> = Vec::new();
            for (cat, syms) in &used {
                let satisfied = declared(cat)
                    || syms.iter().all(|sym| {
                        crate::bundle::privacy::REQUIRED_REASON
                            .iter()
                            .any(|c| c.name != *cat && c.symbols.contains(sym) && declared(c.name))
                    });
                if !satisfied {
                    missing.push(format!("{cat} ({})", syms.join(", ")));
                }
            }
            if !missing.is_empty() {
                s.fail(
                    t,
                    format!(
                        "{} uses required-reason APIs no privacy manifest declares (ITMS-91053): {}",
                        match inside(t, path) {
                            "" => "the executable",
                            p => p,
                        },
                        missing.join("; ")
                    ),
                );
            }
        };
        if let Some(e) = t.executable.get() {
            check(&t.path, e, None);
        }
        for f in t.embedded() {
            if let Some(e) = f.executable.get() {
                check(&f.path, e, f.privacy.get());
            }
        }
    }
}

pub(super) const VOIP054: Rule = Rule {
    id: "VOIP054",
    name: "privacy-manifest-valid",
    group: "privacy",
    title: "privacy manifests are well-formed",
    explanation: "App Store Connect rejects privacy manifests it cannot read (ITMS-91056): a category that is not a required-reason category, a category without reasons, a reason that is not a reason code, wrong value types.",
    fix: "fix PrivacyInfo.xcprivacy (Xcode's property-list editor shows the allowed keys and values)",
    severity: Severities::all(W).appstore(E),
    check: privacy_valid,
};

fn privacy_valid(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        let manifests = std::iter::once((t.path.as_str(), t.privacy.get())).chain(
            t.embedded()
                .iter()
                .map(|f| (f.path.as_str(), f.privacy.get())),
        );
        for (path, m) in manifests {
            let Some(m) = m else { continue };
            if !m.problems.is_empty() {
                s.fail(
                    t,
                    format!(
                        "{}PrivacyInfo.xcprivacy: {}",
                        match inside(t, path) {
                            "" => String::new(),
                            p => format!("{p}/"),
                        },
                        m.problems.join("; ")
                    ),
                );
            }
        }
    }
}

pub(super) const VOIP055: Rule = Rule {
    id: "VOIP055",
    name: "sdk-privacy-manifest",
    group: "privacy",
    title: "SDKs that use required-reason APIs ship their own privacy manifest",
    explanation: "A third-party SDK is responsible for declaring its own use of required-reason APIs in a PrivacyInfo.xcprivacy inside the framework; Apple requires it for commonly used SDKs (ITMS-91061), and an app that declares an SDK's reasons in its own manifest takes on the SDK's answers.",
    fix: "update the SDK to a version that includes PrivacyInfo.xcprivacy, or ask its vendor for one",
    severity: Severities::all(I).appstore(W),
    check: sdk_privacy_manifest,
};

fn sdk_privacy_manifest(i: &Input<'_>, s: &mut Sink) {
    use crate::bundle::privacy::categories_used;
    for t in i.facts.targets() {
        let Some(fws) = frameworks(t, s) else {
            continue;
        };
        for f in fws {
            let Some(e) = f.executable.get() else {
                continue;
            };
            // A bare dylib has no bundle to hold a manifest.
            if !matches!(f.privacy, Part::Missing) || f.path.ends_with(".dylib") {
                continue;
            }
            let used = categories_used(|sym| e.mentions(sym));
            if used.is_empty() {
                if e.encrypted {
                    opaque(&f.path, s);
                }
                continue;
            }
            let cats: Vec<&str> = used.iter().map(|(c, _)| *c).collect();
            s.fail(
                t,
                format!(
                    "{} uses {} but ships no PrivacyInfo.xcprivacy",
                    inside(t, &f.path),
                    cats.join(", ")
                ),
            );
        }
    }
}

pub(super) const VOIP056: Rule = Rule {
    id: "VOIP056",
    name: "listed-sdk-privacy-manifest",
    group: "privacy",
    title: "commonly used third-party SDKs ship their own privacy manifest (ITMS-91061)",
    explanation: "App Store Connect rejects a new app, or an update that adds the SDK, when an embedded framework is one of Apple's commonly used third-party SDKs (Firebase, Alamofire, Flutter, OneSignal, … on \"Upcoming third-party SDK requirements\") and has no PrivacyInfo.xcprivacy of its own: ITMS-91061 Missing privacy manifest. voipctl matches embedded frameworks by bundle name, executable name and the last part of CFBundleIdentifier; a listed SDK linked statically into another binary cannot be told apart.",
    fix: "update the SDK to a version that ships PrivacyInfo.xcprivacy inside its framework (most did in early 2024), or ask its vendor for one",
    severity: Severities::all(I).appstore(E),
    check: listed_sdk_privacy_manifest,
};

fn listed_sdk_privacy_manifest(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        let Some(fws) = frameworks(t, s) else {
            continue;
        };
        for f in fws {
            let Some(sdk) = listed_sdks::listed(f) else {
                continue;
            };
            if matches!(f.privacy, Part::Missing) {
                s.fail(
                    t,
                    format!(
                        "{} is {sdk}, one of Apple's commonly used SDKs, and has no PrivacyInfo.xcprivacy (ITMS-91061)",
                        inside(t, &f.path)
                    ),
                );
            }
        }
    }
}

pub(super) const VOIP057: Rule = Rule {
    id: "VOIP057",
    name: "listed-sdk-signature",
    group: "privacy",
    title: "commonly used third-party SDKs come from vendor-signed XCFrameworks (ITMS-91065)",
    explanation: "For an SDK on Apple's list of commonly used third-party SDKs that is used as a binary, App Store Connect requires its XCFramework to be signed by the vendor (ITMS-91065 Missing signature). The embedded copy is re-signed with your team's certificate, so its own signature proves nothing; what Xcode 15 and later keeps of the original is a receipt in the exported .ipa, Signatures/<name>.xcframework-<platform>.signature, whose `signed` App Store Connect reads. voipctl reads those receipts; where a source has none (an .app, an .xcarchive, an .ipa exported by an older Xcode or another tool, an SDK built from source) the rule is not checked.",
    fix: "update to a release of the SDK whose .xcframework its vendor signed (Xcode shows the signature in the XCFramework's inspector), and export the .ipa with Xcode 15 or later",
    severity: Severities::all(I).appstore(E),
    check: listed_sdk_signature,
};

fn listed_sdk_signature(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        let Some(fws) = frameworks(t, s) else {
            continue;
        };
        for f in fws {
            let Some(sdk) = listed_sdks::listed(f) else {
                continue;
            };
            let at = inside(t, &f.path);
            let receipts = match &i.facts.sdk_signatures {
                Part::Present(r) => r,
                Part::Missing => {
                    s.skip(format!(
                        "{at} is {sdk}, one of Apple's commonly used SDKs, but the .ipa has no Signatures/ receipts (the SDK was built from source, which needs no signature, or the .ipa was exported by Xcode before 15 or another tool), and the embedded copy's own signature is your team's; check the .ipa Xcode 15 or later exports"
                    ));
                    continue;
                }
                Part::Unknown => {
                    s.skip(format!(
                        "{at} is {sdk}, one of Apple's commonly used SDKs; its vendor's XCFramework signature is not in a built app (the embedded copy is re-signed by your team) but in the Signatures/ receipts of the exported .ipa: check that .ipa"
                    ));
                    continue;
                }
            };
            match receipts.iter().find(|r| r.is_for(&f.name)) {
                None => s.skip(format!(
                    "{at} is {sdk}, one of Apple's commonly used SDKs, and the .ipa has no Signatures/ receipt for it: built from source (no signature needed) or embedded without an XCFramework, which the bundle cannot tell apart"
                )),
                Some(r) => match &r.receipt {
                    Err(e) => s.skip(format!("{}: {e}", r.path)),
                    Ok(x) if !x.signed => s.fail(
                        t,
                        format!(
                            "{at} is {sdk}, one of Apple's commonly used SDKs, and its XCFramework was not signed ({}: signed = false; ITMS-91065)",
                            r.path
                        ),
                    ),
                    Ok(_) => {}
                },
            }
        }
    }
}

// ---------- helpers ----------

fn purpose(t: &Target, key: &str) -> bool {
    t.info_str(key).is_some_and(|v| !v.trim().is_empty())
}
