//! The embedded provisioning profile and the distribution method: VOIP040–VOIP045.

use super::*;

pub(super) const VOIP040: Rule = Rule {
    id: "VOIP040",
    name: "profile-missing",
    group: "profile",
    title: "each bundle embeds a provisioning profile",
    explanation: "A device-signed bundle carries embedded.mobileprovision; without it the app does not install on a device and cannot be uploaded.",
    fix: "export the archive with a provisioning profile (Xcode Organizer → Distribute App)",
    severity: Severities::all(E).development(W),
    check: profile_missing,
};

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

pub(super) const VOIP041: Rule = Rule {
    id: "VOIP041",
    name: "profile-type",
    group: "profile",
    title: "the profile's type matches the distribution method",
    explanation: "Development and ad hoc profiles list devices, enterprise profiles provision all devices, App Store profiles neither; a build meant for one channel but signed for another is rejected or does not install.",
    fix: "export again with a profile of the intended type, or pass the right --distribution",
    severity: Severities::all(E),
    check: profile_type,
};

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

pub(super) const VOIP042: Rule = Rule {
    id: "VOIP042",
    name: "profile-expiry",
    group: "profile",
    title: "the profile is valid for at least --min-days more days",
    explanation: "When the embedded profile expires, ad hoc, development and enterprise builds stop launching; App Store builds are re-signed by Apple, but an expired profile cannot be uploaded.",
    fix: "regenerate the profile in the developer portal and export again",
    severity: Severities::all(E),
    check: profile_expiry,
};

fn profile_expiry(i: &Input<'_>, s: &mut Sink) {
    for (t, p) in profiles(i, s) {
        let Some(exp) = p.expires else {
            s.fail(t, "the profile has no ExpirationDate");
            continue;
        };
        let when = date(exp);
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

pub(super) const VOIP043: Rule = Rule {
    id: "VOIP043",
    name: "profile-team",
    group: "profile",
    title: "the profile's team is the signing team",
    explanation: "The team in the profile must be the team prefix of application-identifier (and com.apple.developer.team-identifier); otherwise the signature does not validate on the device.",
    fix: "sign with a profile and certificate from the same team",
    severity: Severities::all(E),
    check: profile_team,
};

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

pub(super) const VOIP044: Rule = Rule {
    id: "VOIP044",
    name: "profile-entitlements",
    group: "profile",
    title: "every signed entitlement is granted by the profile",
    explanation: "The device refuses to launch an app whose signature claims an entitlement its profile does not grant (e.g. aps-environment or a network extension type).",
    fix: "enable the capability for the App ID in the developer portal, regenerate the profile, and sign again",
    severity: Severities::all(E),
    check: profile_entitlements,
};

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

pub(super) const VOIP045: Rule = Rule {
    id: "VOIP045",
    name: "signing-certificate",
    group: "profile",
    title: "the signing certificate is one of the profile's DeveloperCertificates",
    explanation: "A provisioning profile lists the certificates allowed to sign with it; a bundle signed by any other certificate (or ad hoc) does not install on a device, and App Store Connect refuses it (the ITMS-90179 class of signing errors).",
    fix: "sign with the certificate the profile names (Xcode: Signing & Capabilities → the profile's certificate), or regenerate the profile to include the certificate you sign with",
    severity: Severities::all(E),
    check: signing_certificate,
};

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

// ---------- helpers ----------

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

/// `YYYY-MM-DD` (UTC).
fn date(t: std::time::SystemTime) -> String {
    time::OffsetDateTime::from(t).date().to_string()
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

#[cfg(test)]
mod tests {
    use super::*;

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
