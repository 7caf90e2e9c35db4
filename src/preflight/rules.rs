//! The rule table. IDs are stable: never renumber, only add. Severities are listed for
//! `[appstore, adhoc, development, enterprise]`.

use super::facts::{Executable, Part, Target};
use super::{Distribution, Input, Rule, Severity, Sink};
use std::time::Duration;

const E: Severity = Severity::Error;
const W: Severity = Severity::Warning;
const I: Severity = Severity::Info;

/// Valid `UIBackgroundModes` values (anything else: App Store Connect error 90112).
pub const VALID_MODES: [&str; 13] = [
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

const LEGACY_SOCKET: [&str; 3] = [
    "setKeepAliveTimeout:handler:",
    "kCFStreamNetworkServiceTypeVoIP",
    "NSStreamNetworkServiceTypeVoIP",
];

const APP_PUSH_POINT: &str = "com.apple.networkextension.app-push";
const NE_ENTITLEMENT: &str = "com.apple.developer.networking.networkextension";
const FILTERING: &str = "com.apple.developer.usernotifications.filtering";

/// Every rule, in ID order.
pub static RULES: &[Rule] = &[
    Rule {
        id: "VOIP001",
        name: "voip-mode-missing",
        group: "background-modes",
        title: "apps that use PushKit or CallKit declare the `voip` background mode",
        explanation: "PushKit delivers VoIP pushes, and CallKit reports calls, only for apps whose UIBackgroundModes contains `voip`; without it VoIP pushes never wake the app and CallKit fails with missingVoIPBackgroundMode.",
        fix: "add `voip` to UIBackgroundModes (Xcode: Signing & Capabilities → Background Modes → Voice over IP)",
        severity: [E, E, E, E],
        check: voip_mode_missing,
    },
    Rule {
        id: "VOIP002",
        name: "voip-mode-legacy",
        group: "background-modes",
        title: "the `voip` background mode is used with PushKit, not legacy VoIP sockets",
        explanation: "Without PushKit, the `voip` mode means the legacy model (a VoIP socket kept open while suspended, keep-alive handlers), deprecated in iOS 9; apps built with the iOS 16 SDK can no longer use it, and App Review rejects background modes that are not used for their purpose (2.5.4).",
        fix: "receive calls through PushKit VoIP pushes reported to CallKit, or Local Push Connectivity (NEAppPushProvider) on restricted networks",
        severity: [W, W, W, W],
        check: voip_mode_legacy,
    },
    Rule {
        id: "VOIP003",
        name: "invalid-background-mode",
        group: "background-modes",
        title: "every UIBackgroundModes value is one iOS knows",
        explanation: "App Store Connect rejects an upload whose UIBackgroundModes contains an unknown value (error ITMS-90112), and iOS ignores it.",
        fix: "remove the value, or replace it with one of: audio, location, voip, fetch, remote-notification, newsstand-content, external-accessory, bluetooth-central, bluetooth-peripheral, network-authentication, processing, push-to-talk, nearby-interaction",
        severity: [E, W, W, W],
        check: invalid_mode,
    },
    Rule {
        id: "VOIP004",
        name: "background-mode-typo",
        group: "background-modes",
        title: "UIBackgroundModes values are spelled exactly (case, whitespace)",
        explanation: "Values are compared exactly: `VoIP` or `voip ` is not `voip`, so the mode is silently off on the device and the upload fails with ITMS-90112.",
        fix: "write the value exactly as iOS spells it (all lowercase, no spaces)",
        severity: [E, E, E, E],
        check: mode_typo,
    },
    Rule {
        id: "VOIP005",
        name: "processing-without-identifiers",
        group: "background-modes",
        title: "`processing` comes with BGTaskSchedulerPermittedIdentifiers",
        explanation: "The `processing` background mode needs the identifiers of the BGTaskScheduler tasks the app registers; without them the upload fails (ITMS-90771) and registration throws at run time.",
        fix: "add BGTaskSchedulerPermittedIdentifiers (an array of task identifiers) to Info.plist, or remove `processing`",
        severity: [E, W, W, W],
        check: processing_ids,
    },
    Rule {
        id: "VOIP006",
        name: "calling-without-audio-mode",
        group: "background-modes",
        title: "calling apps declare the `audio` background mode",
        explanation: "Call audio keeps running in the background only with the `audio` background mode; without it the call goes silent when the user locks the phone or switches apps.",
        fix: "add `audio` to UIBackgroundModes (Background Modes → Audio, AirPlay, and Picture in Picture)",
        severity: [W, W, W, W],
        check: audio_mode,
    },
    Rule {
        id: "VOIP007",
        name: "remote-notification-without-aps",
        group: "background-modes",
        title: "`remote-notification` comes with the push entitlement",
        explanation: "The `remote-notification` mode lets silent pushes wake the app, but no push reaches an app whose signature lacks `aps-environment`.",
        fix: "enable the Push Notifications capability (adds aps-environment), or remove `remote-notification`",
        severity: [W, W, W, W],
        check: remote_notification_aps,
    },
    Rule {
        id: "VOIP010",
        name: "sdk-version",
        group: "sdk",
        title: "the SDK is recorded and consistent (DTSDKName, DTPlatformVersion, LC_BUILD_VERSION)",
        explanation: "The SDK an app links against decides which VoIP rules iOS enforces (iOS 13 SDK: every VoIP push must be reported to CallKit; iOS 16 SDK: legacy VoIP sockets crash). Xcode records it in Info.plist and in the executable; missing or disagreeing values mean a hand-edited plist or a broken build.",
        fix: "build with Xcode (xcodebuild archive) rather than editing Info.plist by hand",
        severity: [W, W, W, W],
        check: sdk_version,
    },
    Rule {
        id: "VOIP011",
        name: "minimum-os",
        group: "sdk",
        title: "MinimumOSVersion is set and matches the executable",
        explanation: "MinimumOSVersion decides which iOS versions install the app; the executable's LC_BUILD_VERSION minos decides which it can run on. When they disagree the app installs where it cannot launch.",
        fix: "set the deployment target once (IPHONEOS_DEPLOYMENT_TARGET) and rebuild",
        severity: [W, W, W, W],
        check: minimum_os,
    },
    Rule {
        id: "VOIP012",
        name: "framework-newer-than-deployment-target",
        group: "sdk",
        title: "frameworks newer than the deployment target are weakly linked",
        explanation: "A strongly linked framework that does not exist on the oldest supported iOS stops the app at launch (dyld: Library not loaded): CallKit needs iOS 10, LiveCommunicationKit iOS 17.4, PushKit iOS 8.",
        fix: "raise the deployment target, or mark the framework Optional (weak link) and check availability at run time",
        severity: [E, E, E, E],
        check: framework_minos,
    },
    Rule {
        id: "VOIP013",
        name: "callkit-report-required",
        group: "sdk",
        title: "VoIP pushes are reported to CallKit (iOS 13 SDK and later)",
        explanation: "Apps built with the iOS 13 SDK or later must call CallKit reportNewIncomingCall (or LiveCommunicationKit) before pushRegistry(_:didReceiveIncomingPushWith:) returns; otherwise iOS kills the app (0xbaadca11) and, after repeated failures, stops delivering VoIP pushes to it.",
        fix: "report every VoIP push as an incoming call with CXProvider.reportNewIncomingCall in the PushKit delegate, before calling its completion handler",
        severity: [W, W, W, W],
        check: callkit_report,
    },
    Rule {
        id: "VOIP014",
        name: "legacy-voip-socket-crash",
        group: "sdk",
        title: "no legacy VoIP socket APIs when built with the iOS 16 SDK or later",
        explanation: "Apps linked against the iOS 16 SDK crash when they mark a VoIP socket (\"Linked against modern SDK, VOIP socket will not wake. Use Local Push Connectivity instead.\"); setKeepAliveTimeout:handler: no longer runs.",
        fix: "remove kCFStreamNetworkServiceTypeVoIP / NSStreamNetworkServiceTypeVoIP and setKeepAliveTimeout:handler:; use PushKit + CallKit, or Local Push Connectivity on restricted networks",
        severity: [E, E, E, E],
        check: legacy_crash,
    },
    Rule {
        id: "VOIP015",
        name: "legacy-voip-api",
        group: "sdk",
        title: "no deprecated legacy VoIP APIs",
        explanation: "VoIP sockets and keep-alive handlers are deprecated since iOS 9 and stop working once the app is built with the iOS 16 SDK.",
        fix: "move to PushKit VoIP pushes reported to CallKit before the next SDK update",
        severity: [W, W, W, W],
        check: legacy_api,
    },
    Rule {
        id: "VOIP020",
        name: "pushkit-without-callkit",
        group: "linkage",
        title: "PushKit apps link CallKit (or LiveCommunicationKit)",
        explanation: "\"PushKit apps that use VoIP push must link the CallKit framework\": since the iOS 13 SDK a VoIP push that is not reported as a call gets the app killed.",
        fix: "link CallKit.framework (or LiveCommunicationKit on iOS 17.4+) and report each VoIP push as an incoming call",
        severity: [E, E, E, E],
        check: pushkit_without_callkit,
    },
    Rule {
        id: "VOIP021",
        name: "callkit-china",
        group: "linkage",
        title: "CallKit apps are not offered in China",
        explanation: "App Review rejects apps with CallKit features in the China storefront (guideline 5.0); storefronts are not in the bundle, so this is a reminder.",
        fix: "exclude China from the app's availability in App Store Connect, or disable CallKit there",
        severity: [I, I, I, I],
        check: callkit_china,
    },
    Rule {
        id: "VOIP022",
        name: "voip-sdk",
        group: "linkage",
        title: "embedded VoIP SDKs are listed (PushKit, CallKit, WebRTC, SIP)",
        explanation: "Most VoIP apps get PushKit, CallKit, WebRTC or SIP through a vendor SDK under Frameworks/; the other rules look at those frameworks too, and this note says which ones carry VoIP so a finding can be traced to the SDK that causes it.",
        fix: "nothing to fix; keep the SDKs current (their VoIP rules follow the iOS SDK they were built with)",
        severity: [I, I, I, I],
        check: voip_sdks,
    },
    Rule {
        id: "VOIP030",
        name: "aps-environment-missing",
        group: "entitlements",
        title: "apps that receive pushes carry aps-environment",
        explanation: "Without the aps-environment entitlement no push (VoIP or other) reaches the app, and App Store Connect warns ITMS-90078 (Missing Push Notification Entitlement).",
        fix: "enable the Push Notifications capability and use a provisioning profile that includes it",
        severity: [E, W, W, W],
        check: aps_missing,
    },
    Rule {
        id: "VOIP031",
        name: "aps-environment-value",
        group: "entitlements",
        title: "aps-environment matches the distribution method",
        explanation: "Development builds talk to the APNs sandbox, distribution builds to production; a distribution build with aps-environment=development is rejected (ITMS-90046) and its pushes go to the wrong APNs environment.",
        fix: "sign with a provisioning profile of the right kind (distribution: production, development: development)",
        severity: [E, W, W, W],
        check: aps_value,
    },
    Rule {
        id: "VOIP032",
        name: "get-task-allow",
        group: "entitlements",
        title: "get-task-allow is off outside development",
        explanation: "get-task-allow lets a debugger attach; App Store Connect rejects builds that have it (ITMS-90164), and it marks a development-signed build.",
        fix: "export with a distribution profile (Xcode Organizer → Distribute App), not a development one",
        severity: [E, W, W, W],
        check: get_task_allow,
    },
    Rule {
        id: "VOIP033",
        name: "application-identifier",
        group: "entitlements",
        title: "application-identifier is TEAMID.CFBundleIdentifier",
        explanation: "The signed application-identifier must be the team ID followed by the bundle identifier; when they differ the app does not install, pushes use the wrong topic, and keychain groups break.",
        fix: "re-sign with a profile for this bundle identifier, or fix CFBundleIdentifier (PRODUCT_BUNDLE_IDENTIFIER)",
        severity: [E, E, E, E],
        check: application_identifier,
    },
    Rule {
        id: "VOIP034",
        name: "unrestricted-voip",
        group: "entitlements",
        title: "no com.apple.developer.pushkit.unrestricted-voip",
        explanation: "The unrestricted-voip entitlement (exempting VoIP pushes from the CallKit rule) is no longer supported; builds that rely on it get killed like any other app.",
        fix: "remove the entitlement and report every VoIP push to CallKit",
        severity: [W, W, W, W],
        check: unrestricted_voip,
    },
    Rule {
        id: "VOIP035",
        name: "notification-filtering",
        group: "entitlements",
        title: "extensions that report VoIP calls carry usernotifications.filtering",
        explanation: "Since iOS 14.5 a Notification Service Extension may hand a push to the app as a VoIP call (CXProvider.reportNewIncomingVoIPPushPayload) only with com.apple.developer.usernotifications.filtering; without it the call is never reported.",
        fix: "request the filtering entitlement from Apple and add it to the extension's entitlements and profile",
        severity: [E, E, E, E],
        check: filtering,
    },
    Rule {
        id: "VOIP036",
        name: "local-push-connectivity",
        group: "entitlements",
        title: "Local Push Connectivity is entitled where it is used",
        explanation: "An NEAppPushProvider extension runs only when the app and the extension carry com.apple.developer.networking.networkextension with app-push-provider; an entitlement without any provider extension is unused.",
        fix: "add app-push-provider to the Network Extensions capability of the app and the extension (and their profiles), or remove it",
        severity: [E, E, E, E],
        check: local_push,
    },
    Rule {
        id: "VOIP037",
        name: "code-signature",
        group: "entitlements",
        title: "executables are code-signed",
        explanation: "An unsigned executable neither installs on a device nor uploads; its entitlements (and so the entitlement rules) cannot be checked.",
        fix: "sign the build: xcodebuild -exportArchive, or codesign --entitlements … with a matching profile",
        severity: [E, E, W, E],
        check: code_signature,
    },
    Rule {
        id: "VOIP038",
        name: "der-entitlements",
        group: "entitlements",
        title: "the signature carries DER entitlements that match the XML ones",
        explanation: "Since iOS 15 the system reads the entitlements from the DER blob (0xfade7172) of the code signature; a build signed without it does not launch, and a DER blob that disagrees with the XML one means the signature was tampered with or made by a broken re-signing tool. App Store builds are re-signed by Apple.",
        fix: "sign with Xcode 12.5 or later (or codesign --generate-entitlement-der), and re-sign rather than edit an existing signature",
        severity: [W, E, E, E],
        check: der_entitlements,
    },
    Rule {
        id: "VOIP039",
        name: "code-directory-team",
        group: "entitlements",
        title: "the CodeDirectory's team identifier is the entitlements' team",
        explanation: "The CodeDirectory records the team of the signing certificate; when it is not the team prefix of application-identifier the signature was made by another team's certificate and the device refuses to launch the app.",
        fix: "sign with a certificate of the team that owns the App ID and its profile",
        severity: [E, E, E, E],
        check: code_directory_team,
    },
    Rule {
        id: "VOIP040",
        name: "profile-missing",
        group: "profile",
        title: "each bundle embeds a provisioning profile",
        explanation: "A device-signed bundle carries embedded.mobileprovision; without it the app does not install on a device and cannot be uploaded.",
        fix: "export the archive with a provisioning profile (Xcode Organizer → Distribute App)",
        severity: [E, E, W, E],
        check: profile_missing,
    },
    Rule {
        id: "VOIP041",
        name: "profile-type",
        group: "profile",
        title: "the profile's type matches the distribution method",
        explanation: "Development and ad hoc profiles list devices, enterprise profiles provision all devices, App Store profiles neither; a build meant for one channel but signed for another is rejected or does not install.",
        fix: "export again with a profile of the intended type, or pass the right --distribution",
        severity: [E, E, E, E],
        check: profile_type,
    },
    Rule {
        id: "VOIP042",
        name: "profile-expiry",
        group: "profile",
        title: "the profile is valid for at least --min-days more days",
        explanation: "When the embedded profile expires, ad hoc, development and enterprise builds stop launching; App Store builds are re-signed by Apple, but an expired profile cannot be uploaded.",
        fix: "regenerate the profile in the developer portal and export again",
        severity: [E, E, E, E],
        check: profile_expiry,
    },
    Rule {
        id: "VOIP043",
        name: "profile-team",
        group: "profile",
        title: "the profile's team is the signing team",
        explanation: "The team in the profile must be the team prefix of application-identifier (and com.apple.developer.team-identifier); otherwise the signature does not validate on the device.",
        fix: "sign with a profile and certificate from the same team",
        severity: [E, E, E, E],
        check: profile_team,
    },
    Rule {
        id: "VOIP044",
        name: "profile-entitlements",
        group: "profile",
        title: "every signed entitlement is granted by the profile",
        explanation: "The device refuses to launch an app whose signature claims an entitlement its profile does not grant (e.g. aps-environment or a network extension type).",
        fix: "enable the capability for the App ID in the developer portal, regenerate the profile, and sign again",
        severity: [E, E, E, E],
        check: profile_entitlements,
    },
    Rule {
        id: "VOIP045",
        name: "signing-certificate",
        group: "profile",
        title: "the signing certificate is one of the profile's DeveloperCertificates",
        explanation: "A provisioning profile lists the certificates allowed to sign with it; a bundle signed by any other certificate (or ad hoc) does not install on a device, and App Store Connect refuses it (the ITMS-90179 class of signing errors).",
        fix: "sign with the certificate the profile names (Xcode: Signing & Capabilities → the profile's certificate), or regenerate the profile to include the certificate you sign with",
        severity: [E, E, E, E],
        check: signing_certificate,
    },
    Rule {
        id: "VOIP050",
        name: "microphone-purpose",
        group: "privacy",
        title: "NSMicrophoneUsageDescription is set",
        explanation: "A calling app records audio; without a microphone purpose string the app is terminated on first use and the upload is rejected (ITMS-90683).",
        fix: "add NSMicrophoneUsageDescription to Info.plist with a sentence saying why the app uses the microphone",
        severity: [E, E, E, E],
        check: microphone,
    },
    Rule {
        id: "VOIP051",
        name: "camera-purpose",
        group: "privacy",
        title: "NSCameraUsageDescription is set (video calls)",
        explanation: "Video calls need the camera; without a purpose string the app is terminated when it opens the camera and the upload is rejected (ITMS-90683).",
        fix: "add NSCameraUsageDescription if the app makes video calls",
        severity: [W, W, W, W],
        check: camera,
    },
    Rule {
        id: "VOIP052",
        name: "privacy-manifest",
        group: "privacy",
        title: "the app has a privacy manifest (PrivacyInfo.xcprivacy)",
        explanation: "App Store Connect expects a privacy manifest in every app (Xcode builds the privacy report from it); its required-reason API declarations are what ITMS-91053 checks.",
        fix: "add a PrivacyInfo.xcprivacy to the app target (Xcode: File → New → File → App Privacy)",
        severity: [W, I, I, I],
        check: privacy_manifest,
    },
    Rule {
        id: "VOIP053",
        name: "required-reason-api",
        group: "privacy",
        title: "every required-reason API the binaries use is declared (ITMS-91053)",
        explanation: "Since 1 May 2024 App Store Connect rejects an upload whose code (the app's or an SDK's) uses an API from a required-reason category (file timestamp, system boot time, disk space, active keyboards, user defaults) without a reason for that category in a privacy manifest: ITMS-91053 Missing API declaration. voipctl looks for the symbols those APIs leave in the binaries.",
        fix: "declare each category with its approved reason in NSPrivacyAccessedAPITypes of PrivacyInfo.xcprivacy (the app's, or the SDK's own for SDK code); update SDKs to versions that ship a privacy manifest",
        severity: [E, I, I, I],
        check: required_reason,
    },
    Rule {
        id: "VOIP054",
        name: "privacy-manifest-valid",
        group: "privacy",
        title: "privacy manifests are well-formed",
        explanation: "App Store Connect rejects privacy manifests it cannot read (ITMS-91056): a category that is not a required-reason category, a category without reasons, a reason that is not a reason code, wrong value types.",
        fix: "fix PrivacyInfo.xcprivacy (Xcode's property-list editor shows the allowed keys and values)",
        severity: [E, W, W, W],
        check: privacy_valid,
    },
    Rule {
        id: "VOIP055",
        name: "sdk-privacy-manifest",
        group: "privacy",
        title: "SDKs that use required-reason APIs ship their own privacy manifest",
        explanation: "A third-party SDK is responsible for declaring its own use of required-reason APIs in a PrivacyInfo.xcprivacy inside the framework; Apple requires it for commonly used SDKs (ITMS-91061), and an app that declares an SDK's reasons in its own manifest takes on the SDK's answers.",
        fix: "update the SDK to a version that includes PrivacyInfo.xcprivacy, or ask its vendor for one",
        severity: [W, I, I, I],
        check: sdk_privacy_manifest,
    },
    Rule {
        id: "VOIP060",
        name: "executable-missing",
        group: "bundle",
        title: "the executable named by CFBundleExecutable exists",
        explanation: "iOS launches the file named by CFBundleExecutable; without it the bundle does not install.",
        fix: "set CFBundleExecutable to the executable's file name (EXECUTABLE_NAME) and rebuild",
        severity: [E, E, E, E],
        check: executable_missing,
    },
    Rule {
        id: "VOIP061",
        name: "app-clip-calling",
        group: "bundle",
        title: "App Clips do not rely on CallKit or the `voip` background mode",
        explanation: "CallKit provides no functionality at run time in an App Clip, and App Clips cannot run in the background (\"Choosing the right functionality for your App Clip\"), so calling features in a clip silently do nothing.",
        fix: "keep calling in the full app; let the App Clip hand over to it (SKOverlay) instead",
        severity: [W, W, W, W],
        check: app_clip_calling,
    },
    Rule {
        id: "VOIP062",
        name: "framework-executable",
        group: "bundle",
        title: "each embedded framework has its executable",
        explanation: "dyld loads Frameworks/X.framework/X when the app starts; a framework folder without its Mach-O (a broken copy phase, a stripped xcframework slice) stops the app at launch with \"Library not loaded\".",
        fix: "embed the framework with Xcode's Embed Frameworks phase (Embed & Sign), from the right xcframework slice",
        severity: [E, E, E, E],
        check: framework_executable,
    },
];

// ---------- helpers ----------

fn exe<'a>(t: &'a Target, s: &mut Sink) -> Option<&'a Executable> {
    match &t.executable {
        Part::Present(e) => Some(e),
        Part::Missing => None,
        Part::Unknown => {
            s.skip(format!(
                "{}: the executable is not available from this source",
                t.path
            ));
            None
        }
    }
}

fn ents<'a>(t: &'a Target, s: &mut Sink) -> Option<&'a plist::Dictionary> {
    match &t.entitlements {
        Part::Present(e) => Some(e),
        Part::Missing => {
            s.skip(format!("{}: no code signature, so no entitlements", t.path));
            None
        }
        Part::Unknown => {
            s.skip(format!(
                "{}: entitlements are not available from this source",
                t.path
            ));
            None
        }
    }
}

fn links_any(e: &Executable, names: &[&str]) -> bool {
    e.links_any(names)
}

/// Rules that read Info.plist skip a source without one (a bare executable).
fn info_ok(t: &Target, s: &mut Sink) -> bool {
    if !t.info_known {
        s.skip(format!(
            "{}: no Info.plist (a bare executable); check the .app or .ipa for this rule",
            t.path
        ));
    }
    t.info_known
}

/// The main executable (which must be available) and every embedded framework's.
fn bins<'a>(t: &'a Target, s: &mut Sink) -> Option<Vec<(&'a str, &'a Executable)>> {
    exe(t, s)?;
    Some(t.binaries().collect())
}

/// `Payload/Phone.app/Frameworks/X.framework` → `Frameworks/X.framework`; the app itself → `""`.
fn inside<'a>(t: &Target, path: &'a str) -> &'a str {
    path.strip_prefix(t.path.as_str())
        .map(|p| p.trim_start_matches('/'))
        .unwrap_or(path)
}

/// "links X" for the main executable, "Frameworks/Y.framework links X" for a framework.
fn who(t: &Target, path: &str) -> String {
    match inside(t, path) {
        "" => String::new(),
        p => format!("{p} "),
    }
}

/// Strings of an encrypted binary are opaque: a marker not found there proves nothing.
fn opaque(path: &str, s: &mut Sink) {
    s.skip(format!(
        "{path}: the executable is FairPlay-encrypted (LC_ENCRYPTION_INFO cryptid 1), so its strings could not be checked; check the build before App Store encryption (the .xcarchive or the exported .ipa)"
    ));
}

/// Skip for every encrypted binary of the list; true when any was.
fn any_opaque(list: &[(&str, &Executable)], s: &mut Sink) -> bool {
    let mut any = false;
    for (p, e) in list {
        if e.encrypted {
            opaque(p, s);
            any = true;
        }
    }
    any
}

fn uses_pushkit(e: &Executable) -> bool {
    e.links("PushKit").is_some()
}

fn calls(e: &Executable) -> bool {
    links_any(e, &["CallKit", "LiveCommunicationKit"])
}

fn legacy_found(e: &Executable) -> Vec<&'static str> {
    LEGACY_SOCKET
        .into_iter()
        .filter(|m| e.mentions(m))
        .collect()
}

/// `iphoneos17.2` / `17.2` / `17.2.1` → (17, 2, 1).
pub(crate) fn version(s: &str) -> Option<(u16, u8, u8)> {
    let digits = s.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let mut it = digits.split('.');
    let major = it.next()?.trim().parse().ok()?;
    let minor = it
        .next()
        .map(|m| m.trim().parse())
        .transpose()
        .ok()?
        .unwrap_or(0);
    let patch = it
        .next()
        .map(|m| m.trim().parse())
        .transpose()
        .ok()?
        .unwrap_or(0);
    Some((major, minor, patch))
}

fn fmt_v(v: (u16, u8, u8)) -> String {
    if v.2 == 0 {
        format!("{}.{}", v.0, v.1)
    } else {
        format!("{}.{}.{}", v.0, v.1, v.2)
    }
}

/// The SDK: LC_BUILD_VERSION when known, else DTPlatformVersion / DTSDKName.
fn sdk(t: &Target) -> Option<(u16, u8, u8)> {
    t.executable
        .get()
        .and_then(|e| e.build)
        .map(|b| b.sdk)
        .filter(|v| v.0 > 0)
        .or_else(|| t.info_str("DTPlatformVersion").and_then(version))
        .or_else(|| t.info_str("DTSDKName").and_then(version))
}

fn minos(t: &Target) -> Option<(u16, u8, u8)> {
    t.info_str("MinimumOSVersion")
        .and_then(version)
        .or_else(|| t.executable.get().and_then(|e| e.build).map(|b| b.minos))
}

fn has_mode(t: &Target, m: &str) -> bool {
    t.background_modes().contains(&m)
}

fn ent_str<'a>(d: &'a plist::Dictionary, k: &str) -> Option<&'a str> {
    d.get(k).and_then(|v| v.as_string())
}

fn ent_true(d: &plist::Dictionary, k: &str) -> bool {
    matches!(d.get(k), Some(plist::Value::Boolean(true)))
}

fn ent_contains(d: &plist::Dictionary, k: &str, want: &str) -> bool {
    match d.get(k) {
        Some(plist::Value::Array(a)) => a.iter().any(|v| v.as_string() == Some(want)),
        Some(plist::Value::String(s)) => s == want,
        _ => false,
    }
}

// ---------- background modes ----------

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

// ---------- SDK ----------

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

// ---------- linkage ----------

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

// ---------- entitlements ----------

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

// ---------- profile ----------

fn profiles<'a>(
    i: &'a Input<'_>,
    s: &mut Sink,
) -> Vec<(&'a Target, &'a crate::bundle::profile::Profile)> {
    let mut out = Vec::new();
    for t in i.facts.targets() {
        match &t.profile {
            Part::Present(p) => out.push((t, p)),
            Part::Missing => {}
            Part::Unknown => s.skip(format!(
                "{}: the provisioning profile is not available from this source",
                t.path
            )),
        }
    }
    out
}

fn profile_missing(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        match &t.profile {
            Part::Missing => s.fail(t, "no embedded.mobileprovision"),
            Part::Unknown => s.skip(format!(
                "{}: the provisioning profile is not available from this source",
                t.path
            )),
            Part::Present(_) => {}
        }
    }
}

fn profile_type(i: &Input<'_>, s: &mut Sink) {
    for (t, p) in profiles(i, s) {
        let kind = p.kind();
        if kind.name() != i.opts.distribution.name() {
            s.fail(
                t,
                format!(
                    "the profile is {} but --distribution is {}",
                    kind.name(),
                    i.opts.distribution.name()
                ),
            );
        }
    }
}

fn profile_expiry(i: &Input<'_>, s: &mut Sink) {
    for (t, p) in profiles(i, s) {
        let Some(exp) = p.expires else {
            s.fail(t, "the profile has no ExpirationDate");
            continue;
        };
        let when = crate::commands::check::date(exp);
        match exp.duration_since(i.opts.now) {
            Err(_) => s.fail(t, format!("the profile expired on {when}")),
            Ok(left) => {
                let margin = Duration::from_secs(u64::from(i.opts.min_days) * 86_400);
                if left < margin {
                    s.fail_at(
                        Severity::Warning,
                        t,
                        format!(
                            "the profile expires on {when}, in {} days (--min-days {})",
                            left.as_secs() / 86_400,
                            i.opts.min_days
                        ),
                    );
                }
            }
        }
    }
}

fn profile_team(i: &Input<'_>, s: &mut Sink) {
    for (t, p) in profiles(i, s) {
        let Some(d) = ents(t, s) else { continue };
        let team = ent_str(d, "com.apple.developer.team-identifier").or_else(|| {
            ent_str(d, "application-identifier").and_then(|a| a.split_once('.').map(|x| x.0))
        });
        let Some(team) = team else { continue };
        if !p.team_ids.is_empty() && !p.team_ids.iter().any(|x| x == team) {
            s.fail(
                t,
                format!(
                    "signed for team {team:?} but the profile belongs to {}",
                    p.team_ids.join(", ")
                ),
            );
        }
    }
}

/// Does a profile value allow a signed value? Strings may end in `*`; arrays list allowed values.
fn allows(profile: &plist::Value, signed: &plist::Value) -> bool {
    use plist::Value as V;
    match (profile, signed) {
        (V::String(p), V::String(v)) => glob(p, v),
        (V::Array(pa), V::String(v)) => {
            pa.iter().any(|p| p.as_string().is_some_and(|p| glob(p, v)))
        }
        (V::Array(pa), V::Array(va)) => va.iter().all(|v| pa.iter().any(|p| allows(p, v))),
        (V::String(p), V::Array(va)) => {
            va.iter().all(|v| v.as_string().is_some_and(|v| glob(p, v)))
        }
        (V::Boolean(p), V::Boolean(v)) => *p || !*v,
        (p, v) => p == v,
    }
}

fn glob(pattern: &str, s: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => s.starts_with(prefix),
        None => pattern == s,
    }
}

fn profile_entitlements(i: &Input<'_>, s: &mut Sink) {
    for (t, p) in profiles(i, s) {
        let Some(d) = ents(t, s) else { continue };
        for (k, v) in d {
            match p.entitlements.get(k) {
                None => s.fail(
                    t,
                    format!("signed with {k} but the profile does not grant it"),
                ),
                Some(pv) if !allows(pv, v) => s.fail(
                    t,
                    format!(
                        "signed with {k} = {} but the profile grants {}",
                        show(v),
                        show(pv)
                    ),
                ),
                Some(_) => {}
            }
        }
    }
}

fn show(v: &plist::Value) -> String {
    match v {
        plist::Value::String(s) => format!("{s:?}"),
        plist::Value::Boolean(b) => b.to_string(),
        plist::Value::Integer(n) => n.to_string(),
        plist::Value::Array(a) => {
            format!("[{}]", a.iter().map(show).collect::<Vec<_>>().join(", "))
        }
        _ => "(value)".to_string(),
    }
}

// ---------- privacy ----------

fn purpose(t: &Target, key: &str) -> bool {
    t.info_str(key).is_some_and(|v| !v.trim().is_empty())
}

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

// ---------- bundle ----------

fn executable_missing(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        if !info_ok(t, s) {
            continue;
        }
        if matches!(t.executable, Part::Missing) {
            match t.info_str("CFBundleExecutable") {
                Some(n) => s.fail(
                    t,
                    format!("CFBundleExecutable is {n:?} but the bundle has no such file"),
                ),
                None => s.fail(t, "CFBundleExecutable is missing"),
            }
        } else if t.executable.is_unknown() {
            s.skip(format!(
                "{}: the executable is not available from this source",
                t.path
            ));
        }
    }
}

// ---------- embedded SDKs ----------

/// What VoIP an embedded framework carries, by its linkage and its name.
fn sdk_kind(f: &crate::preflight::facts::Framework) -> Option<Vec<&'static str>> {
    let mut what = Vec::new();
    if let Some(e) = f.executable.get() {
        for fw in ["PushKit", "CallKit", "LiveCommunicationKit"] {
            if e.links(fw).is_some() {
                what.push(fw);
            }
        }
        if e.links("WebRTC").is_some() {
            what.push("WebRTC");
        }
    }
    let lower = f.name.to_ascii_lowercase();
    if lower.contains("webrtc") && !what.contains(&"WebRTC") {
        what.push("WebRTC");
    }
    // SIP stacks by name: linphone, pjsip/pjsua, belle-sip, sofia-sip, and names that spell SIP
    // as a word (VialerSIPLib, PortSIPVoIPSDK, SIPKit).
    let sip = [
        "linphone",
        "pjsip",
        "pjsua",
        "belle-sip",
        "bellesip",
        "sofia-sip",
    ]
    .iter()
    .any(|n| lower.contains(n))
        || f.name.contains("SIP")
        || lower.starts_with("sip");
    if sip {
        what.push("SIP");
    }
    (!what.is_empty()).then_some(what)
}

/// The embedded frameworks, or a skip when the source cannot list them.
fn frameworks<'a>(t: &'a Target, s: &mut Sink) -> Option<&'a [crate::preflight::facts::Framework]> {
    match &t.frameworks {
        Part::Present(v) => Some(v),
        _ => {
            s.skip(format!(
                "{}: embedded frameworks are not available from this source",
                t.path
            ));
            None
        }
    }
}

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

fn framework_executable(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        let Some(fws) = frameworks(t, s) else {
            continue;
        };
        for f in fws {
            if matches!(f.executable, Part::Missing) {
                s.fail(t, format!("{} has no executable", inside(t, &f.path)));
            }
        }
    }
}

fn app_clip_calling(i: &Input<'_>, s: &mut Sink) {
    use crate::preflight::facts::Role;
    for t in i
        .facts
        .extensions
        .iter()
        .filter(|t| t.role == Role::AppClip)
    {
        if has_mode(t, "voip") {
            s.fail(
                t,
                "the App Clip declares the `voip` background mode, but App Clips cannot run in the background",
            );
        }
        let Some(list) = bins(t, s) else { continue };
        if let Some((path, _)) = list.iter().find(|(_, e)| calls(e)) {
            s.fail(
                t,
                format!(
                    "{}links CallKit, which provides no functionality in an App Clip",
                    match inside(t, path) {
                        "" => "the App Clip ".to_string(),
                        p => format!("{p} "),
                    }
                ),
            );
        }
    }
}

// ---------- signature ----------

fn signature<'a>(t: &'a Target, s: &mut Sink) -> Option<&'a crate::bundle::codesign::Signature> {
    let e = exe(t, s)?;
    if !e.signed {
        s.skip(format!("{}: not code-signed (VOIP037)", t.path));
        return None;
    }
    e.signature.as_ref()
}

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

fn signing_certificate(i: &Input<'_>, s: &mut Sink) {
    use crate::bundle::codesign::Cms;
    for (t, p) in profiles(i, s) {
        let Some(sig) = signature(t, s) else { continue };
        if p.certificates.is_empty() {
            s.skip(format!(
                "{}: the profile lists no DeveloperCertificates",
                t.path
            ));
            continue;
        }
        match &sig.cms {
            Cms::Signed(cert) => {
                if !p.certificates.iter().any(|c| c == cert) {
                    s.fail(
                        t,
                        format!(
                            "signed by a certificate that is not one of the profile's {} DeveloperCertificates",
                            p.certificates.len()
                        ),
                    );
                }
            }
            Cms::AdHoc | Cms::Absent => s.fail(
                t,
                "ad hoc signature (no signing certificate) with a provisioning profile",
            ),
            Cms::Unreadable(why) => s.skip(format!(
                "{}: the signature's CMS could not be read ({why})",
                t.path
            )),
        }
    }
}

// ---------- privacy manifests ----------

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_sorted() {
        let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ids, sorted);
    }

    #[test]
    fn versions_parse() {
        assert_eq!(version("iphoneos17.2"), Some((17, 2, 0)));
        assert_eq!(version("16.4.1"), Some((16, 4, 1)));
        assert_eq!(version("x"), None);
    }

    #[test]
    fn profile_globs() {
        use plist::Value as V;
        assert!(allows(
            &V::String("ABC.*".into()),
            &V::String("ABC.com.x".into())
        ));
        assert!(!allows(
            &V::String("ABC.com.y".into()),
            &V::String("ABC.com.x".into())
        ));
        assert!(allows(&V::Boolean(true), &V::Boolean(false)));
        assert!(!allows(&V::Boolean(false), &V::Boolean(true)));
    }
}
