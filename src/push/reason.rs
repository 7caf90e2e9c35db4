//! Every reason APNs gives, with what it means in plain words and what usually fixes it. APNs
//! answers with a terse reason string; most failures users hit (sandbox/production mix-ups, the
//! PushKit token vs the APNs token, the `.voip` topic suffix, token pacing) are only obvious once
//! the reason is translated, so this table is the heart of `voipctl push`'s output.

use serde::Deserialize;

/// What a reason means and what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReasonInfo {
    /// The reason string exactly as APNs sends it.
    pub reason: &'static str,
    /// The HTTP status APNs uses for it.
    pub status: u16,
    /// Plain explanation.
    pub explanation: &'static str,
    /// The likely fix.
    pub fix: &'static str,
    /// Sending the same request again later may succeed.
    pub retryable: bool,
}

const fn r(
    reason: &'static str,
    status: u16,
    explanation: &'static str,
    fix: &'static str,
    retryable: bool,
) -> ReasonInfo {
    ReasonInfo {
        reason,
        status,
        explanation,
        fix,
        retryable,
    }
}

/// Every documented reason.
pub const REASONS: &[ReasonInfo] = &[
    r(
        "BadCollapseId",
        400,
        "the apns-collapse-id header is longer than 64 bytes",
        "shorten --collapse-id to at most 64 bytes",
        false,
    ),
    r(
        "BadDeviceToken",
        400,
        "APNs does not know this device token in this environment; most often a token from a development (Xcode) build sent to production, or the reverse",
        "send to the other environment (--env sandbox for Xcode/development builds, --env production for TestFlight/App Store builds), and check the token is the full hex string the app logged",
        false,
    ),
    r(
        "BadExpirationDate",
        400,
        "the apns-expiration header is not a valid UNIX time",
        "pass --expiration 0 (try once) or a UNIX timestamp in seconds",
        false,
    ),
    r(
        "BadMessageId",
        400,
        "the apns-id header is not a lowercase UUID",
        "pass --apns-id as a lowercase UUID (8-4-4-4-12 hex digits) or leave it out",
        false,
    ),
    r(
        "BadPriority",
        400,
        "the apns-priority header is not 10, 5 or 1",
        "pass --priority 10 (VoIP and alerts), 5 (background) or 1",
        false,
    ),
    r(
        "BadTopic",
        400,
        "the apns-topic header is invalid",
        "pass --topic as the bundle ID plus the push type's suffix (VoIP: <bundle>.voip)",
        false,
    ),
    r(
        "DeviceTokenNotForTopic",
        400,
        "the device token does not belong to this topic; for VoIP this usually means the regular APNs token (from didRegisterForRemoteNotifications) was used instead of the PushKit token (from pushRegistry(_:didUpdate:for:)), or the topic lacks or doubles the .voip suffix",
        "use the token the app gets from PKPushRegistry, and a topic of exactly <bundle>.voip (--bundle <bundle> derives it)",
        false,
    ),
    r(
        "DuplicateHeaders",
        400,
        "one or more headers were sent twice",
        "pass each header once (check --header against the options that already set it)",
        false,
    ),
    r(
        "IdleTimeout",
        400,
        "the connection was idle too long",
        "send again; voipctl reconnects by itself",
        true,
    ),
    r(
        "InvalidPushType",
        400,
        "the apns-push-type header is not one APNs knows, or does not fit the topic",
        "use --push-type voip with a <bundle>.voip topic (alert/background use the bare bundle ID)",
        false,
    ),
    r(
        "MissingDeviceToken",
        400,
        "the request path has no device token",
        "pass the hex device token as an argument or in --tokens-file",
        false,
    ),
    r(
        "MissingTopic",
        400,
        "the apns-topic header is required (always with token auth, and with certificates that carry several topics)",
        "pass --bundle <bundle> or --topic <bundle>.voip",
        false,
    ),
    r(
        "PayloadEmpty",
        400,
        "the message payload is empty",
        "pass a JSON object with --payload or --payload-file",
        false,
    ),
    r(
        "TopicDisallowed",
        400,
        "pushing to this topic is not allowed",
        "check the topic against the app's bundle ID and the key's or certificate's app",
        false,
    ),
    r(
        "BadCertificate",
        403,
        "the client certificate is invalid",
        "export the push certificate and its private key again from Keychain Access (.p12), or create a new one in the Apple Developer portal",
        false,
    ),
    r(
        "BadCertificateEnvironment",
        403,
        "the client certificate is for the other environment",
        "use --env production with a production certificate, --env sandbox with a development one (VoIP Services certificates work in both)",
        false,
    ),
    r(
        "ExpiredProviderToken",
        403,
        "the JWT is older than one hour, or its iat lies in the future: usually this machine's clock is wrong",
        "synchronise the clock (e.g. `sudo sntp -sS time.apple.com` on macOS, `timedatectl set-ntp true` on Linux) and send again",
        false,
    ),
    r(
        "Forbidden",
        403,
        "the request is not allowed for this key or certificate",
        "check that the key has the APNs service enabled and belongs to the team that owns the app",
        false,
    ),
    r(
        "InvalidProviderToken",
        403,
        "the JWT is not valid: wrong key ID, wrong team ID, or signed with a different key",
        "check --key-id (the 10-character ID shown next to the key in the developer portal) and --team-id (your 10-character team ID) match the .p8 file",
        false,
    ),
    r(
        "MissingProviderToken",
        403,
        "no certificate was presented and there is no authorization header",
        "pass --key/--key-id/--team-id for token auth, or --p12 / --cert for certificate auth",
        false,
    ),
    r(
        "UnrelatedKeyIdInToken",
        403,
        "the key ID in the JWT does not belong to this team or app",
        "use the key ID of a key created under the team that owns the app",
        false,
    ),
    r(
        "BadEnvironmentKeyIdInToken",
        403,
        "the key is restricted to the other environment",
        "use --env to match the key's environment, or create a key for both environments",
        false,
    ),
    r(
        "BadEnvironmentKeyInToken",
        403,
        "the key is restricted to the other environment",
        "use --env to match the key's environment, or create a key for both environments",
        false,
    ),
    r(
        "BadPath",
        404,
        "the request path is wrong",
        "use the default endpoint or an --apns-url without a path",
        false,
    ),
    r(
        "MethodNotAllowed",
        405,
        "only POST is supported",
        "this is a bug in the sender; report it",
        false,
    ),
    r(
        "Unregistered",
        410,
        "the device token is no longer active: the app was deleted, or the token was replaced",
        "stop sending to this token; get a fresh PushKit token from the app",
        false,
    ),
    r(
        "ExpiredToken",
        410,
        "the device token has expired",
        "stop sending to this token; get a fresh PushKit token from the app",
        false,
    ),
    r(
        "PayloadTooLarge",
        413,
        "the payload is larger than APNs allows (5120 bytes for VoIP, 4096 for other pushes)",
        "make the payload smaller",
        false,
    ),
    r(
        "TooManyProviderTokenUpdates",
        429,
        "the JWT was renewed too often; APNs allows a new token at most every 20 minutes per team (causes: a token per request, clock skew, many workers each minting tokens)",
        "share one token across all senders of the team and renew it every 20-60 minutes (voipctl does); wait and send again",
        true,
    ),
    r(
        "TooManyRequests",
        429,
        "too many requests to the same device token in a short time",
        "send less often to this device",
        true,
    ),
    r(
        "InternalServerError",
        500,
        "APNs had an internal error",
        "send again later",
        true,
    ),
    r(
        "ServiceUnavailable",
        503,
        "APNs is unavailable or overloaded",
        "send again later",
        true,
    ),
    r(
        "Shutdown",
        503,
        "the APNs server is shutting down this connection",
        "send again; voipctl reconnects by itself",
        true,
    ),
];

/// Information about a reason string, if it is a known one.
pub fn lookup(reason: &str) -> Option<&'static ReasonInfo> {
    REASONS.iter().find(|r| r.reason == reason)
}

/// Whether a failure with this status and reason may succeed when sent again.
pub fn retryable(status: u16, reason: Option<&str>) -> bool {
    if let Some(info) = reason.and_then(lookup) {
        return info.retryable;
    }
    status == 429 || status >= 500
}

/// The body APNs sends with a failed request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorBody {
    /// `reason`, as sent (unknown reasons are kept as they are).
    pub reason: Option<String>,
    /// `timestamp` (milliseconds since the epoch), sent with 410.
    pub timestamp: Option<u64>,
}

#[derive(Deserialize)]
struct RawBody {
    reason: Option<serde_json::Value>,
    timestamp: Option<serde_json::Value>,
}

/// Parse an APNs error body. Never fails: a body that is not the documented JSON yields no
/// reason (the status still tells what happened). Reasons are capped to 200 characters.
pub fn parse_error_body(body: &[u8]) -> ErrorBody {
    let Ok(raw) = serde_json::from_slice::<RawBody>(body) else {
        return ErrorBody::default();
    };
    let reason = match raw.reason {
        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.chars().take(200).collect()),
        _ => None,
    };
    let timestamp = match raw.timestamp {
        Some(serde_json::Value::Number(n)) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    ErrorBody { reason, timestamp }
}

/// The `reason` inside a GOAWAY frame's debug data, as the h2 error renders it
/// (`… (b"{\"reason\":\"Shutdown\"}")`), or inside raw debug data. Only ASCII letters are kept.
pub fn goaway_reason(text: &str) -> Option<String> {
    let at = text.find("reason")?;
    let rest = &text[at + "reason".len()..];
    let rest = rest.trim_start_matches(['\\', '"', ':', ' ']);
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .take(64)
        .collect();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_in_the_notes_is_explained() {
        for name in [
            "BadCollapseId",
            "BadDeviceToken",
            "BadExpirationDate",
            "BadMessageId",
            "BadPriority",
            "BadTopic",
            "DeviceTokenNotForTopic",
            "DuplicateHeaders",
            "IdleTimeout",
            "InvalidPushType",
            "MissingDeviceToken",
            "MissingTopic",
            "PayloadEmpty",
            "TopicDisallowed",
            "BadCertificate",
            "BadCertificateEnvironment",
            "ExpiredProviderToken",
            "Forbidden",
            "InvalidProviderToken",
            "MissingProviderToken",
            "UnrelatedKeyIdInToken",
            "BadEnvironmentKeyIdInToken",
            "BadEnvironmentKeyInToken",
            "BadPath",
            "MethodNotAllowed",
            "Unregistered",
            "ExpiredToken",
            "PayloadTooLarge",
            "TooManyProviderTokenUpdates",
            "TooManyRequests",
            "InternalServerError",
            "ServiceUnavailable",
            "Shutdown",
        ] {
            let info = lookup(name).unwrap_or_else(|| panic!("{name} missing"));
            assert!(!info.explanation.is_empty() && !info.fix.is_empty());
        }
    }

    #[test]
    fn permanent_reasons_are_never_retried() {
        for name in [
            "BadDeviceToken",
            "DeviceTokenNotForTopic",
            "Forbidden",
            "ExpiredToken",
            "Unregistered",
            "PayloadTooLarge",
        ] {
            assert!(!retryable(400, Some(name)), "{name}");
        }
        assert!(retryable(503, Some("Shutdown")));
        assert!(retryable(429, Some("TooManyRequests")));
        assert!(retryable(500, None));
        assert!(retryable(502, Some("SomethingNew")));
        assert!(!retryable(400, Some("SomethingNew")));
    }

    #[test]
    fn error_bodies() {
        assert_eq!(
            parse_error_body(br#"{"reason":"Unregistered","timestamp":1700000000000}"#),
            ErrorBody {
                reason: Some("Unregistered".into()),
                timestamp: Some(1_700_000_000_000)
            }
        );
        assert_eq!(parse_error_body(b"<html>"), ErrorBody::default());
        assert_eq!(parse_error_body(br#"{"reason":7}"#), ErrorBody::default());
        assert_eq!(
            parse_error_body(br#"{"reason":"NewReason"}"#)
                .reason
                .as_deref(),
            Some("NewReason")
        );
    }

    #[test]
    fn goaway_reasons_from_h2_text() {
        assert_eq!(
            goaway_reason(r#"connection error received: not a result of an error (b"{\"reason\":\"Shutdown\"}")"#)
                .as_deref(),
            Some("Shutdown")
        );
        assert_eq!(
            goaway_reason(r#"{"reason":"BadCertificateEnvironment"}"#).as_deref(),
            Some("BadCertificateEnvironment")
        );
        assert_eq!(goaway_reason("connection reset"), None);
    }

    proptest::proptest! {
        #[test]
        fn error_body_parser_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let b = parse_error_body(&data);
            if let Some(r) = b.reason { proptest::prop_assert!(r.chars().count() <= 200); }
        }

        #[test]
        fn goaway_parser_keeps_only_alphanumerics(s in ".*") {
            if let Some(r) = goaway_reason(&s) {
                proptest::prop_assert!(r.chars().all(|c| c.is_ascii_alphanumeric()));
            }
        }
    }
}
