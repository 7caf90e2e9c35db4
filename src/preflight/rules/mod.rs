//! The rule table, one file per rule family, each rule next to its check. IDs are stable: never
//! renumber, only add. Severities are named per distribution method ([`Severities`]).

mod background_modes;
mod bundle;
mod entitlements;
mod linkage;
mod listed_sdks;
mod privacy;
mod profile;
mod sdk;

pub(super) use super::{Distribution, Input, Rule, Severities, Severity, Sink};
pub(super) use crate::bundle::facts::{Executable, Framework, Part, Role, Target};
pub(super) use std::time::Duration;

pub(super) const E: Severity = Severity::Error;
pub(super) const W: Severity = Severity::Warning;
pub(super) const I: Severity = Severity::Info;

/// Every rule, in ID order.
pub static RULES: &[Rule] = &[
    background_modes::VOIP001,
    background_modes::VOIP002,
    background_modes::VOIP003,
    background_modes::VOIP004,
    background_modes::VOIP005,
    background_modes::VOIP006,
    background_modes::VOIP007,
    sdk::VOIP010,
    sdk::VOIP011,
    sdk::VOIP012,
    sdk::VOIP013,
    sdk::VOIP014,
    sdk::VOIP015,
    linkage::VOIP020,
    linkage::VOIP021,
    linkage::VOIP022,
    entitlements::VOIP030,
    entitlements::VOIP031,
    entitlements::VOIP032,
    entitlements::VOIP033,
    entitlements::VOIP034,
    entitlements::VOIP035,
    entitlements::VOIP036,
    entitlements::VOIP037,
    entitlements::VOIP038,
    entitlements::VOIP039,
    profile::VOIP040,
    profile::VOIP041,
    profile::VOIP042,
    profile::VOIP043,
    profile::VOIP044,
    profile::VOIP045,
    privacy::VOIP050,
    privacy::VOIP051,
    privacy::VOIP052,
    privacy::VOIP053,
    privacy::VOIP054,
    privacy::VOIP055,
    privacy::VOIP056,
    privacy::VOIP057,
    bundle::VOIP060,
    bundle::VOIP061,
    bundle::VOIP062,
];

// ---------- helpers shared by the families ----------

pub(super) fn exe<'a>(t: &'a Target, s: &mut Sink) -> Option<&'a Executable> {
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

pub(super) fn ents<'a>(t: &'a Target, s: &mut Sink) -> Option<&'a plist::Dictionary> {
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

pub(super) fn links_any(e: &Executable, names: &[&str]) -> bool {
    e.links_any(names)
}

/// Rules that read Info.plist skip a source without one (a bare executable).
pub(super) fn info_ok(t: &Target, s: &mut Sink) -> bool {
    if !t.info_known {
        s.skip(format!(
            "{}: no Info.plist (a bare executable); check the .app or .ipa for this rule",
            t.path
        ));
    }
    t.info_known
}

/// The main executable (which must be available) and every embedded framework's.
pub(super) fn bins<'a>(t: &'a Target, s: &mut Sink) -> Option<Vec<(&'a str, &'a Executable)>> {
    exe(t, s)?;
    Some(t.binaries().collect())
}

/// `Payload/Phone.app/Frameworks/X.framework` → `Frameworks/X.framework`; the app itself → `""`.
pub(super) fn inside<'a>(t: &Target, path: &'a str) -> &'a str {
    path.strip_prefix(t.path.as_str())
        .map(|p| p.trim_start_matches('/'))
        .unwrap_or(path)
}

/// "links X" for the main executable, "Frameworks/Y.framework links X" for a framework.
pub(super) fn who(t: &Target, path: &str) -> String {
    match inside(t, path) {
        "" => String::new(),
        p => format!("{p} "),
    }
}

/// Strings of an encrypted binary are opaque: a marker not found there proves nothing.
pub(super) fn opaque(path: &str, s: &mut Sink) {
    s.skip(format!(
        "{path}: the executable is FairPlay-encrypted (LC_ENCRYPTION_INFO cryptid 1), so its strings could not be checked; check the build before App Store encryption (the .xcarchive or the exported .ipa)"
    ));
}

/// Skip for every encrypted binary of the list; true when any was.
pub(super) fn any_opaque(list: &[(&str, &Executable)], s: &mut Sink) -> bool {
    let mut any = false;
    for (p, e) in list {
        if e.encrypted {
            opaque(p, s);
            any = true;
        }
    }
    any
}

pub(super) fn uses_pushkit(e: &Executable) -> bool {
    e.links("PushKit").is_some()
}

pub(super) fn calls(e: &Executable) -> bool {
    links_any(e, &["CallKit", "LiveCommunicationKit"])
}

/// `iphoneos17.2` / `17.2` / `17.2.1` → (17, 2, 1).
pub(super) fn version(s: &str) -> Option<(u16, u8, u8)> {
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

pub(super) fn fmt_v(v: (u16, u8, u8)) -> String {
    if v.2 == 0 {
        format!("{}.{}", v.0, v.1)
    } else {
        format!("{}.{}.{}", v.0, v.1, v.2)
    }
}

/// The SDK: LC_BUILD_VERSION when known, else DTPlatformVersion / DTSDKName.
pub(super) fn sdk(t: &Target) -> Option<(u16, u8, u8)> {
    t.executable
        .get()
        .and_then(|e| e.build)
        .map(|b| b.sdk)
        .filter(|v| v.0 > 0)
        .or_else(|| t.info_str("DTPlatformVersion").and_then(version))
        .or_else(|| t.info_str("DTSDKName").and_then(version))
}

pub(super) fn minos(t: &Target) -> Option<(u16, u8, u8)> {
    t.info_str("MinimumOSVersion")
        .and_then(version)
        .or_else(|| t.executable.get().and_then(|e| e.build).map(|b| b.minos))
}

pub(super) fn has_mode(t: &Target, m: &str) -> bool {
    t.background_modes().contains(&m)
}

pub(super) fn ent_str<'a>(d: &'a plist::Dictionary, k: &str) -> Option<&'a str> {
    d.get(k).and_then(|v| v.as_string())
}

pub(super) fn ent_true(d: &plist::Dictionary, k: &str) -> bool {
    matches!(d.get(k), Some(plist::Value::Boolean(true)))
}

pub(super) fn ent_contains(d: &plist::Dictionary, k: &str, want: &str) -> bool {
    match d.get(k) {
        Some(plist::Value::Array(a)) => a.iter().any(|v| v.as_string() == Some(want)),
        Some(plist::Value::String(s)) => s == want,
        _ => false,
    }
}

/// What VoIP an embedded framework carries, by its linkage and its name.
pub(super) fn sdk_kind(f: &Framework) -> Option<Vec<&'static str>> {
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
pub(super) fn frameworks<'a>(t: &'a Target, s: &mut Sink) -> Option<&'a [Framework]> {
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

pub(super) fn signature<'a>(
    t: &'a Target,
    s: &mut Sink,
) -> Option<&'a crate::bundle::codesign::Signature> {
    let e = exe(t, s)?;
    if !e.signed {
        s.skip(format!("{}: not code-signed (VOIP037)", t.path));
        return None;
    }
    e.signature.as_ref()
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
}
