//! How much a finding or a log event matters: one scale for every command (`check` findings and
//! rules, `analyze`/`watch` events), serialised as `"info"`, `"warning"` or `"error"`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How much something matters, from least to most.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing (a finding that never fails; the normal life of a VoIP app).
    Info,
    /// Worth a look (a finding that fails with `--strict`). Rule files may also write `warn`,
    /// the spelling of schema version 2.
    #[serde(alias = "warn")]
    Warning,
    /// Something failed.
    Error,
}

impl Severity {
    /// The lowercase name, as in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_spelling_out_both_in() {
        for s in [Severity::Info, Severity::Warning, Severity::Error] {
            assert_eq!(
                serde_json::to_string(&s).ok(),
                Some(format!("\"{}\"", s.name()))
            );
        }
        let old: Result<Severity, _> = serde_json::from_str("\"warn\"");
        assert_eq!(old.ok(), Some(Severity::Warning));
    }
}
