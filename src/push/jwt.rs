//! Token auth: an ES256 JWT signed with the team's `.p8` key. APNs counts token renewals per
//! team and rejects tokens older than an hour, so one token is minted, shared by every request
//! of the run, and renewed no sooner than 20 and no later than 60 minutes after it was issued.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// Shortest allowed renewal interval (APNs: at most one new token per 20 minutes).
pub(crate) const MIN_REFRESH_SECS: u64 = 20 * 60;
/// Longest allowed token age (APNs rejects tokens older than an hour).
pub(crate) const MAX_REFRESH_SECS: u64 = 60 * 60;

/// Why token auth could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("read the key file {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path} is not an APNs auth key (.p8, PKCS#8 P-256 \"PRIVATE KEY\" PEM); download it again from Certificates, Identifiers & Profiles → Keys"
    )]
    BadKey { path: String },
    #[error(
        "{what} `{value}` is not 10 letters or digits; copy it from the developer portal ({where_})"
    )]
    BadId {
        what: &'static str,
        value: String,
        where_: &'static str,
    },
    #[error("sign the provider token")]
    Sign,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: u64,
}

struct Cached {
    bearer: Arc<str>,
    issued_at: u64,
}

/// Mints and caches the provider token. Clone-free: share it behind an `Arc`.
pub(crate) struct TokenSigner {
    key: EncodingKey,
    key_id: String,
    team_id: String,
    refresh_secs: u64,
    cache: Mutex<Option<Cached>>,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner")
            .field("key", &"[redacted]")
            .field("key_id", &self.key_id)
            .field("team_id", &self.team_id)
            .field("refresh_secs", &self.refresh_secs)
            .finish_non_exhaustive()
    }
}

fn check_id(what: &'static str, value: &str, where_: &'static str) -> Result<String, JwtError> {
    let v = value.trim();
    if v.len() == 10 && v.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(v.to_ascii_uppercase())
    } else {
        Err(JwtError::BadId {
            what,
            value: v.chars().take(40).collect(),
            where_,
        })
    }
}

impl TokenSigner {
    /// Load a `.p8` file.
    pub(crate) fn from_file(
        path: &Path,
        key_id: &str,
        team_id: &str,
        refresh_secs: u64,
    ) -> Result<Self, JwtError> {
        let pem = std::fs::read(path).map_err(|source| JwtError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_pem(
            &pem,
            &path.display().to_string(),
            key_id,
            team_id,
            refresh_secs,
        )
    }

    /// From PEM bytes; `name` is used in errors only (never the key itself).
    pub(crate) fn from_pem(
        pem: &[u8],
        name: &str,
        key_id: &str,
        team_id: &str,
        refresh_secs: u64,
    ) -> Result<Self, JwtError> {
        let key_id = check_id("key ID", key_id, "Keys → your key → Key ID")?;
        let team_id = check_id("team ID", team_id, "Membership details → Team ID")?;
        let bad = || JwtError::BadKey {
            path: name.to_string(),
        };
        let key = EncodingKey::from_ec_pem(pem).map_err(|_| bad())?;
        let signer = TokenSigner {
            key,
            key_id,
            team_id,
            refresh_secs: refresh_secs.clamp(MIN_REFRESH_SECS, MAX_REFRESH_SECS),
            cache: Mutex::new(None),
        };
        // Sign once now so that a key that parses but cannot sign (wrong curve) fails early.
        signer.mint(now_secs()).map_err(|_| bad())?;
        Ok(signer)
    }

    fn mint(&self, iat: u64) -> Result<Arc<str>, JwtError> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        let jwt = jsonwebtoken::encode(
            &header,
            &Claims {
                iss: &self.team_id,
                iat,
            },
            &self.key,
        )
        .map_err(|_| JwtError::Sign)?;
        Ok(Arc::from(format!("bearer {jwt}")))
    }

    /// The `authorization` header value valid now.
    pub(crate) fn bearer(&self) -> Result<Arc<str>, JwtError> {
        self.bearer_at(now_secs())
    }

    /// The `authorization` header value at `now` (UNIX seconds): cached until it is
    /// `refresh_secs` old.
    pub(crate) fn bearer_at(&self, now: u64) -> Result<Arc<str>, JwtError> {
        let mut cache = self.cache.lock().map_err(|_| JwtError::Sign)?;
        if let Some(c) = cache.as_ref()
            && now.saturating_sub(c.issued_at) < self.refresh_secs
            && now >= c.issued_at
        {
            return Ok(c.bearer.clone());
        }
        let bearer = self.mint(now)?;
        *cache = Some(Cached {
            bearer: bearer.clone(),
            issued_at: now,
        });
        Ok(bearer)
    }

    /// After ExpiredProviderToken: renew now if the pacing rule allows it (the cached token is
    /// at least 20 minutes old). Returns whether a new token was minted.
    pub(crate) fn renew_if_allowed(&self, now: u64) -> bool {
        let Ok(mut cache) = self.cache.lock() else {
            return false;
        };
        let allowed = cache
            .as_ref()
            .is_none_or(|c| now.saturating_sub(c.issued_at) >= MIN_REFRESH_SECS);
        if allowed && let Ok(b) = self.mint(now) {
            *cache = Some(Cached {
                bearer: b,
                issued_at: now,
            });
            return true;
        }
        false
    }
}

/// Seconds since the epoch.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_pem() -> String {
        let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .unwrap_or_else(|e| panic!("{e}"));
        kp.serialize_pem()
    }

    #[test]
    fn token_is_cached_and_renewed_between_20_and_60_minutes() {
        let s = TokenSigner::from_pem(key_pem().as_bytes(), "k", "ABC123DEFG", "TEAM123456", 1)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.refresh_secs, MIN_REFRESH_SECS, "clamped up to 20 minutes");
        let t0 = 1_700_000_000;
        let a = s.bearer_at(t0).unwrap_or_else(|e| panic!("{e}"));
        let b = s.bearer_at(t0 + 19 * 60).unwrap_or_else(|e| panic!("{e}"));
        assert!(Arc::ptr_eq(&a, &b), "same token inside 20 minutes");
        let c = s.bearer_at(t0 + 20 * 60).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(a, c);
        let long = TokenSigner::from_pem(
            key_pem().as_bytes(),
            "k",
            "ABC123DEFG",
            "TEAM123456",
            10_000,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            long.refresh_secs, MAX_REFRESH_SECS,
            "clamped down to 60 minutes"
        );
        assert!(!s.renew_if_allowed(t0 + 20 * 60 + 5), "pacing: too soon");
        assert!(s.renew_if_allowed(t0 + 41 * 60));
    }

    #[test]
    fn claims_and_header_are_what_apns_expects() {
        let s = TokenSigner::from_pem(key_pem().as_bytes(), "k", "abc123defg", "TEAM123456", 2400)
            .unwrap_or_else(|e| panic!("{e}"));
        let bearer = s.bearer_at(1_700_000_000).unwrap_or_else(|e| panic!("{e}"));
        let jwt = bearer.strip_prefix("bearer ").unwrap_or_default();
        let header = jsonwebtoken::decode_header(jwt).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(header.alg, Algorithm::ES256);
        assert_eq!(header.kid.as_deref(), Some("ABC123DEFG"));
        use base64::Engine;
        let claims = jwt.split('.').nth(1).unwrap_or_default();
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap_or_default();
        assert_eq!(claims, br#"{"iss":"TEAM123456","iat":1700000000}"#);
    }

    #[test]
    fn bad_keys_and_ids_are_input_errors_without_key_text() {
        let e = TokenSigner::from_pem(
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "AuthKey.p8",
            "ABC123DEFG",
            "TEAM123456",
            2400,
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(e.contains("AuthKey.p8") && !e.contains("AAAA"), "{e}");
        assert!(matches!(
            TokenSigner::from_pem(key_pem().as_bytes(), "k", "short", "TEAM123456", 2400),
            Err(JwtError::BadId { .. })
        ));
        let s = TokenSigner::from_pem(key_pem().as_bytes(), "k", "ABC123DEFG", "TEAM123456", 2400)
            .unwrap_or_else(|e| panic!("{e}"));
        let dbg = format!("{s:?}");
        assert!(
            dbg.contains("[redacted]") && !dbg.contains("bearer"),
            "{dbg}"
        );
    }
}
