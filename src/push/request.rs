//! Pure request building: push types and their topics, header values, payload checks and device
//! token lists. Everything here is synchronous and checked before the first byte goes out, so a
//! mistake costs a clear error instead of a round trip (or worse, a push to the wrong topic).

use serde::Serialize;
use std::fmt;

/// `apns-push-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PushType {
    /// Visible notification.
    Alert,
    /// Silent content-available push.
    Background,
    /// PushKit VoIP push (wakes or launches the app to report a call to CallKit).
    Voip,
    /// watchOS complication.
    Complication,
    /// File Provider.
    Fileprovider,
    /// MDM.
    Mdm,
    /// Location push service extension.
    Location,
    /// Live Activity.
    Liveactivity,
    /// Push to Talk.
    Pushtotalk,
}

impl PushType {
    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            PushType::Alert => "alert",
            PushType::Background => "background",
            PushType::Voip => "voip",
            PushType::Complication => "complication",
            PushType::Fileprovider => "fileprovider",
            PushType::Mdm => "mdm",
            PushType::Location => "location",
            PushType::Liveactivity => "liveactivity",
            PushType::Pushtotalk => "pushtotalk",
        }
    }

    /// The suffix APNs expects after the bundle ID in the topic (empty for alert/background).
    pub fn topic_suffix(self) -> &'static str {
        match self {
            PushType::Voip => ".voip",
            PushType::Complication => ".complication",
            PushType::Fileprovider => ".pushkit.fileprovider",
            PushType::Location => ".location-query",
            PushType::Liveactivity => ".push-type.liveactivity",
            PushType::Pushtotalk => ".voip-ptt",
            PushType::Alert | PushType::Background | PushType::Mdm => "",
        }
    }

    /// Largest payload APNs accepts for this type.
    pub fn payload_limit(self) -> usize {
        match self {
            PushType::Voip => 5120,
            _ => 4096,
        }
    }

    /// Default `apns-priority`: background pushes must use 5; everything else 10.
    pub fn default_priority(self) -> u8 {
        match self {
            PushType::Background => 5,
            _ => 10,
        }
    }

    /// Default payload when none is given.
    pub fn default_payload(self) -> &'static str {
        match self {
            PushType::Alert => r#"{"aps":{"alert":"voipctl test push"}}"#,
            PushType::Background => r#"{"aps":{"content-available":1}}"#,
            _ => r#"{"aps":{},"voipctl":{"test":true}}"#,
        }
    }
}

impl fmt::Display for PushType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a request cannot be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RequestError {
    #[error(
        "topic `{topic}` doubles the `{suffix}` suffix; pass --bundle with the app's bundle ID or --topic {fixed}"
    )]
    DoubledSuffix {
        topic: String,
        suffix: &'static str,
        fixed: String,
    },
    #[error(
        "topic `{topic}` lacks the `{suffix}` suffix that {push_type} pushes need (APNs answers DeviceTokenNotForTopic or InvalidPushType); use --topic {fixed} or --bundle {topic}, or --no-topic-check to send it anyway"
    )]
    MissingSuffix {
        topic: String,
        suffix: &'static str,
        push_type: PushType,
        fixed: String,
    },
    #[error(
        "bundle ID `{0}` already ends with a push-type suffix; pass the app's bundle ID (without .voip) to --bundle"
    )]
    BundleHasSuffix(String),
    #[error("topic `{0}` is not a bundle ID (letters, digits, `-` and `.`)")]
    BadTopic(String),
    #[error(
        "no topic: pass --bundle <bundle ID> (the topic becomes <bundle>{0}) or --topic; token auth always needs one"
    )]
    MissingTopic(&'static str),
    #[error("priority {0} is not one APNs accepts; use 10, 5 or 1")]
    BadPriority(u8),
    #[error("collapse ID is {0} bytes; APNs allows at most 64")]
    BadCollapseId(usize),
    #[error("apns-id `{0}` is not a UUID (8-4-4-4-12 hex digits)")]
    BadApnsId(String),
    #[error("header `{0}` is not a valid HTTP header; use --header name:value")]
    BadHeader(String),
    #[error("payload is empty; pass a JSON object with --payload or --payload-file")]
    EmptyPayload,
    #[error("payload is not valid JSON ({0})")]
    PayloadNotJson(String),
    #[error("payload is not a JSON object; APNs payloads are dictionaries like {{\"aps\":{{}}}}")]
    PayloadNotObject,
    #[error(
        "payload is {size} bytes; APNs allows at most {limit} for {push_type} pushes (PayloadTooLarge)"
    )]
    PayloadTooLarge {
        size: usize,
        limit: usize,
        push_type: PushType,
    },
}

/// The topic to send to: the explicit one, or the bundle ID plus the push type's suffix.
pub fn resolve_topic(
    topic: Option<&str>,
    bundle: Option<&str>,
    push_type: PushType,
) -> Result<Option<String>, RequestError> {
    let suffix = push_type.topic_suffix();
    if let Some(t) = topic {
        return Ok(Some(t.trim().to_string()));
    }
    let Some(b) = bundle.map(str::trim) else {
        return Ok(None);
    };
    check_bundle_chars(b)?;
    const SUFFIXES: [&str; 6] = [
        ".voip",
        ".complication",
        ".pushkit.fileprovider",
        ".location-query",
        ".push-type.liveactivity",
        ".voip-ptt",
    ];
    if SUFFIXES.iter().any(|s| b.ends_with(s)) {
        return Err(RequestError::BundleHasSuffix(b.to_string()));
    }
    Ok(Some(format!("{b}{suffix}")))
}

fn check_bundle_chars(t: &str) -> Result<(), RequestError> {
    let ok = !t.is_empty()
        && t.len() <= 255
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
        && !t.starts_with('.')
        && !t.ends_with('.');
    if ok {
        Ok(())
    } else {
        Err(RequestError::BadTopic(t.to_string()))
    }
}

/// Check a topic against the push type: a missing or doubled `.voip` (or other) suffix is the
/// most common cause of DeviceTokenNotForTopic.
pub fn check_topic(topic: &str, push_type: PushType) -> Result<(), RequestError> {
    check_bundle_chars(topic)?;
    let suffix = push_type.topic_suffix();
    if suffix.is_empty() {
        if topic.ends_with(".voip") {
            return Err(RequestError::MissingSuffix {
                topic: topic.to_string(),
                suffix: ".voip",
                push_type: PushType::Voip,
                fixed: format!("{topic} --push-type voip"),
            });
        }
        return Ok(());
    }
    let doubled = format!("{suffix}{suffix}");
    if topic.ends_with(&doubled) {
        let mut fixed = topic.to_string();
        while fixed.ends_with(&doubled) {
            fixed.truncate(fixed.len() - suffix.len());
        }
        return Err(RequestError::DoubledSuffix {
            topic: topic.to_string(),
            suffix,
            fixed,
        });
    }
    if !topic.ends_with(suffix) {
        return Err(RequestError::MissingSuffix {
            topic: topic.to_string(),
            suffix,
            push_type,
            fixed: format!("{topic}{suffix}"),
        });
    }
    Ok(())
}

/// Check an apns-priority value.
pub fn check_priority(p: u8) -> Result<(), RequestError> {
    match p {
        1 | 5 | 10 => Ok(()),
        _ => Err(RequestError::BadPriority(p)),
    }
}

/// Check an apns-collapse-id value.
pub fn check_collapse_id(c: &str) -> Result<(), RequestError> {
    if c.len() > 64 {
        Err(RequestError::BadCollapseId(c.len()))
    } else {
        Ok(())
    }
}

/// Check and lowercase an apns-id value.
pub fn check_apns_id(id: &str) -> Result<String, RequestError> {
    let lower = id.trim().to_ascii_lowercase();
    let groups: Vec<&str> = lower.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    let ok = groups.len() == 5
        && groups
            .iter()
            .zip(lens)
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()));
    if ok {
        Ok(lower)
    } else {
        Err(RequestError::BadApnsId(id.to_string()))
    }
}

/// Parse `name:value` (or `name=value`) into a lowercase header name and its value.
pub fn parse_header(s: &str) -> Result<(String, String), RequestError> {
    let (name, value) = s
        .split_once(':')
        .or_else(|| s.split_once('='))
        .ok_or_else(|| RequestError::BadHeader(s.to_string()))?;
    let name = name.trim().to_ascii_lowercase();
    let value = value.trim().to_string();
    let name_ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_!#$%&'*+.^`|~".contains(&b));
    let value_ok = value
        .bytes()
        .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f));
    if name_ok && value_ok {
        Ok((name, value))
    } else {
        Err(RequestError::BadHeader(s.to_string()))
    }
}

/// Validate a payload as a JSON object within the size limit for its push type. Returns the
/// bytes to send: the input without surrounding whitespace, or its compact form when only that
/// fits.
pub fn check_payload(raw: &[u8], push_type: PushType) -> Result<Vec<u8>, RequestError> {
    let trimmed = raw.trim_ascii();
    if trimmed.is_empty() {
        return Err(RequestError::EmptyPayload);
    }
    let value: serde_json::Value =
        serde_json::from_slice(trimmed).map_err(|e| RequestError::PayloadNotJson(e.to_string()))?;
    if !value.is_object() {
        return Err(RequestError::PayloadNotObject);
    }
    let limit = push_type.payload_limit();
    if trimmed.len() <= limit {
        return Ok(trimmed.to_vec());
    }
    let compact =
        serde_json::to_vec(&value).map_err(|e| RequestError::PayloadNotJson(e.to_string()))?;
    if compact.len() <= limit {
        return Ok(compact);
    }
    Err(RequestError::PayloadTooLarge {
        size: compact.len(),
        limit,
        push_type,
    })
}

/// A device token that is not usable, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{line}: `{shown}` is not a device token ({why})")]
pub struct BadToken {
    /// File name or `argument`.
    pub source_name: String,
    /// 1-based line (or argument position).
    pub line: usize,
    /// The offending text, shortened.
    pub shown: String,
    /// What is wrong.
    pub why: &'static str,
}

/// Normalise one device token: hex digits, optionally grouped with spaces or wrapped in `<>`
/// as older Xcode logs print them. Returns lowercase hex. Length is not fixed (APNs says not to
/// assume 64 characters) but must be even and between 16 and 400 hex digits.
pub fn normalize_token(s: &str) -> Result<String, &'static str> {
    let inner = s.trim().trim_start_matches('<').trim_end_matches('>');
    let mut out = String::with_capacity(inner.len());
    for c in inner.chars() {
        if c.is_ascii_hexdigit() {
            out.push(c.to_ascii_lowercase());
        } else if c == ' ' || c == '-' {
            continue;
        } else {
            return Err("only hex digits are allowed");
        }
    }
    if out.len() < 16 {
        return Err("too short");
    }
    if out.len() > 400 {
        return Err("too long");
    }
    if !out.len().is_multiple_of(2) {
        return Err("odd number of hex digits");
    }
    Ok(out)
}

/// Parse a token list: one token per line; blank lines and `#` comments are skipped; a line may
/// also be a CSV/TSV row whose first field is the token. Every bad line is reported.
pub fn parse_token_list(text: &str, source_name: &str) -> (Vec<String>, Vec<BadToken>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let field = line
            .split([',', '\t', ';'])
            .next()
            .unwrap_or(line)
            .trim()
            .trim_matches('"');
        match normalize_token(field) {
            Ok(t) => good.push(t),
            Err(why) => bad.push(BadToken {
                source_name: source_name.to_string(),
                line: i + 1,
                shown: shorten(field),
                why,
            }),
        }
    }
    (good, bad)
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(24).collect();
    if s.chars().count() > 24 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voip_topic_is_derived_from_the_bundle() {
        assert_eq!(
            resolve_topic(None, Some("com.example.app"), PushType::Voip),
            Ok(Some("com.example.app.voip".into()))
        );
        assert_eq!(
            resolve_topic(None, Some("com.example.app"), PushType::Alert),
            Ok(Some("com.example.app".into()))
        );
        assert!(matches!(
            resolve_topic(None, Some("com.example.app.voip"), PushType::Voip),
            Err(RequestError::BundleHasSuffix(_))
        ));
        assert_eq!(resolve_topic(None, None, PushType::Voip), Ok(None));
    }

    #[test]
    fn doubled_and_missing_suffixes_are_caught() {
        assert_eq!(check_topic("com.example.app.voip", PushType::Voip), Ok(()));
        match check_topic("com.example.app.voip.voip", PushType::Voip) {
            Err(RequestError::DoubledSuffix { fixed, .. }) => {
                assert_eq!(fixed, "com.example.app.voip")
            }
            other => panic!("{other:?}"),
        }
        match check_topic("com.example.app", PushType::Voip) {
            Err(RequestError::MissingSuffix { fixed, .. }) => {
                assert_eq!(fixed, "com.example.app.voip")
            }
            other => panic!("{other:?}"),
        }
        assert!(check_topic("com.example.app.voip", PushType::Alert).is_err());
        assert!(check_topic("com.example.app", PushType::Alert).is_ok());
        assert!(check_topic("bad topic", PushType::Alert).is_err());
    }

    #[test]
    fn header_values() {
        assert!(check_priority(10).is_ok() && check_priority(5).is_ok());
        assert!(check_priority(7).is_err());
        assert!(check_collapse_id(&"x".repeat(64)).is_ok());
        assert!(check_collapse_id(&"x".repeat(65)).is_err());
        assert_eq!(
            check_apns_id("123E4567-E89B-12D3-A456-426614174000"),
            Ok("123e4567-e89b-12d3-a456-426614174000".into())
        );
        assert!(check_apns_id("nope").is_err());
        assert_eq!(
            parse_header("apns-collapse-id: abc"),
            Ok(("apns-collapse-id".into(), "abc".into()))
        );
        assert!(parse_header("no separator").is_err());
        assert!(parse_header("x:\u{1}").is_err());
    }

    #[test]
    fn payload_checks() {
        assert!(check_payload(b" {\"aps\":{}} \n", PushType::Voip).is_ok());
        assert_eq!(
            check_payload(b"  ", PushType::Voip),
            Err(RequestError::EmptyPayload)
        );
        assert!(matches!(
            check_payload(b"{", PushType::Voip),
            Err(RequestError::PayloadNotJson(_))
        ));
        assert_eq!(
            check_payload(b"[1]", PushType::Voip),
            Err(RequestError::PayloadNotObject)
        );
        let big = format!("{{\"aps\":{{}},\"x\":\"{}\"}}", "a".repeat(4500));
        assert!(check_payload(big.as_bytes(), PushType::Voip).is_ok());
        assert!(matches!(
            check_payload(big.as_bytes(), PushType::Alert),
            Err(RequestError::PayloadTooLarge { limit: 4096, .. })
        ));
        // Whitespace that only the pretty form has does not count against the limit.
        let pretty = format!(
            "{{\n  \"x\": \"{}\",\n{}  \"aps\": {{}}\n}}",
            "a".repeat(4000),
            " ".repeat(200)
        );
        let sent = check_payload(pretty.as_bytes(), PushType::Alert).unwrap_or_default();
        assert!(!sent.is_empty() && sent.len() <= 4096);
    }

    #[test]
    fn token_lists() {
        let text = "# tokens\n\nABCDEF0123456789ABCDEF0123456789\n<abcdef01 23456789 abcdef01 23456789>\nzz\n\"00112233445566778899\",alice\n123\n";
        let (good, bad) = parse_token_list(text, "t.txt");
        assert_eq!(
            good,
            vec![
                "abcdef0123456789abcdef0123456789",
                "abcdef0123456789abcdef0123456789",
                "00112233445566778899"
            ]
        );
        assert_eq!(bad.len(), 2);
        assert_eq!(bad[0].line, 5);
        assert!(bad[0].to_string().starts_with("t.txt:5:"));
    }

    proptest::proptest! {
        #[test]
        fn token_parser_outputs_only_lowercase_even_hex(s in ".*") {
            let (good, bad) = parse_token_list(&s, "p");
            for t in good {
                proptest::prop_assert!(t.len() % 2 == 0 && t.len() >= 16);
                proptest::prop_assert!(t.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
            }
            for b in bad { proptest::prop_assert!(b.shown.chars().count() <= 25); }
        }

        #[test]
        fn hex_tokens_roundtrip(bytes in proptest::collection::vec(proptest::num::u8::ANY, 8..100)) {
            let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
            let t = normalize_token(&hex).map_err(proptest::test_runner::TestCaseError::fail)?;
            proptest::prop_assert_eq!(t, hex.to_ascii_lowercase());
        }

        #[test]
        fn payload_check_never_exceeds_limit(s in ".{0,300}") {
            if let Ok(p) = check_payload(s.as_bytes(), PushType::Alert) {
                proptest::prop_assert!(p.len() <= 4096);
            }
        }
    }
}
