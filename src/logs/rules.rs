//! Recognition rules as data: what a log line means, with a stable ID, in a TOML file that users
//! can extend (`--rules FILE`, same format as the built-in `rules.toml`).
//!
//! Every rule names fixed literals that any matching line contains. All literals of all rules go
//! into one Aho-Corasick automaton, so a line is only run through the regexes of the rules whose
//! literals it contains, and into the [`Prefilter`], so [`super::lines::LineReader`] can skip
//! lines that contain none without even splitting them out (scanning for at most 64 needles
//! derived from the literals, which keeps Aho-Corasick on its SIMD searcher). That is what makes
//! `analyze` about as fast as a literal search.

use super::decode::Entry;
use super::lines::Prefilter;
use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The built-in rules, as shipped (also documented in the README).
pub const BUILTIN: &str = include_str!("rules.toml");

/// What a recognised line means to the tracker. Wording differs across iOS versions; the family
/// does not.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// The app process started (bootstrapped), with its intent (background/foreground).
    Launch,
    /// Someone asked for the app to be launched (callservicesd for a VoIP push, a relaunch…).
    LaunchRequest,
    /// The app was suspended.
    Suspend,
    /// The app was resumed (unsuspended).
    Resume,
    /// Legacy VoIP socket: data arrived and woke the app.
    SocketWake,
    /// A keep-alive handler run started (`setKeepAliveTimeout:handler:` or the app marker).
    Keepalive,
    /// A keep-alive handler run finished (app marker).
    KeepaliveEnd,
    /// The app reconnected its VoIP socket (app marker).
    SocketReconnect,
    /// apsd received a push on a `.voip` topic.
    PushApns,
    /// apsd or callservicesd dropped a push (ignored/unknown topic, token invalidated).
    PushDropped,
    /// callservicesd received or delivered the VoIP push.
    PushCallservicesd,
    /// The app's PushKit delegate got the push.
    PushDelegate,
    /// A process assertion keeps the app running (VoIP push wake).
    Assertion,
    /// The app reported the incoming call to CallKit.
    CallkitReport,
    /// CallKit refused the report (the push still counts as reported).
    CallkitReportFailed,
    /// iOS killed the app for not reporting a call for a VoIP push.
    CallkitKill,
    /// callservicesd no longer launches the app for VoIP pushes.
    Ban,
    /// callservicesd reset the kill counts.
    BanLifted,
    /// Background time ran out (or is about to).
    BgtimeExpired,
    /// A watchdog killed the app (0x8badf00d).
    Watchdog,
    /// Jetsam (memory pressure) killed a process.
    Jetsam,
    /// The app exited: status, signal, reason.
    Exit,
    /// A crash report's termination reason.
    CrashReport,
    /// SpringBoard's VoIP wake limit.
    WakeLimit,
    /// The legacy VoIP model is not supported for this app or iOS.
    LegacyVoipUnsupported,
    /// An entitlement or framework problem logged by the system.
    ConfigError,
    /// The phone went away (live only).
    Disconnected,
    /// The phone came back (live only).
    Reconnected,
    /// A user rule with no meaning to the tracker: shown and counted only.
    Custom,
}

impl Family {
    /// The kebab-case name (as in rule files and JSON).
    pub fn name(self) -> &'static str {
        match self {
            Family::Launch => "launch",
            Family::LaunchRequest => "launch-request",
            Family::Suspend => "suspend",
            Family::Resume => "resume",
            Family::SocketWake => "socket-wake",
            Family::Keepalive => "keepalive",
            Family::KeepaliveEnd => "keepalive-end",
            Family::SocketReconnect => "socket-reconnect",
            Family::PushApns => "push-apns",
            Family::PushDropped => "push-dropped",
            Family::PushCallservicesd => "push-callservicesd",
            Family::PushDelegate => "push-delegate",
            Family::Assertion => "assertion",
            Family::CallkitReport => "callkit-report",
            Family::CallkitReportFailed => "callkit-report-failed",
            Family::CallkitKill => "callkit-kill",
            Family::Ban => "ban",
            Family::BanLifted => "ban-lifted",
            Family::BgtimeExpired => "bgtime-expired",
            Family::Watchdog => "watchdog",
            Family::Jetsam => "jetsam",
            Family::Exit => "exit",
            Family::CrashReport => "crash-report",
            Family::WakeLimit => "wake-limit",
            Family::LegacyVoipUnsupported => "legacy-voip-unsupported",
            Family::ConfigError => "config-error",
            Family::Disconnected => "disconnected",
            Family::Reconnected => "reconnected",
            Family::Custom => "custom",
        }
    }

    /// The severity a rule of this family has unless it says otherwise.
    pub fn default_severity(self) -> Severity {
        match self {
            Family::CallkitKill
            | Family::Ban
            | Family::Watchdog
            | Family::Jetsam
            | Family::LegacyVoipUnsupported
            | Family::ConfigError
            | Family::WakeLimit
            | Family::BgtimeExpired => Severity::Error,
            Family::PushDropped
            | Family::CallkitReportFailed
            | Family::Disconnected
            | Family::CrashReport => Severity::Warning,
            _ => Severity::Info,
        }
    }
}

/// How much an event matters (the one scale of every command).
pub use crate::severity::Severity;

/// A rule as written in a rules file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDef {
    id: String,
    family: Family,
    literals: Vec<String>,
    regex: String,
    #[serde(default)]
    processes: Vec<String>,
    severity: Option<Severity>,
    summary: String,
    explain: Option<String>,
    cited: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleDef>,
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable ID.
    pub id: String,
    /// Meaning.
    pub family: Family,
    /// Severity.
    pub severity: Severity,
    /// Only lines from these processes (empty: any).
    pub processes: Vec<String>,
    /// Prefilter literals.
    pub literals: Vec<String>,
    /// The regex run on the message.
    pub regex: Regex,
    /// Timeline text template.
    pub summary: String,
    /// Why it matters.
    pub explain: Option<String>,
    /// Where the rule came from (`built-in` or the file).
    pub origin: String,
    /// Whether the wording was seen on a real device (`cited = false` in the rules file: no
    /// public sample). A verdict must not rest on an uncited rule alone.
    pub cited: bool,
}

/// Why a rules file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// Not TOML, or not the rule schema.
    #[error("read rules from {origin}: {source}")]
    Syntax {
        /// File.
        origin: String,
        /// Parser message (with line and column).
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A rule is not usable.
    #[error("use rule `{id}` from {origin}: {why}")]
    Rule {
        /// File.
        origin: String,
        /// Rule ID.
        id: String,
        /// What is wrong and how to fix it.
        why: String,
    },
    /// The literals do not build an automaton (too many, too big).
    #[error("build the literal prefilter: {0}")]
    Prefilter(String),
}

/// A rule that matched a line, with the captured fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit<'r> {
    /// The rule.
    pub rule: &'r Rule,
    /// Named groups that matched (a trailing digit is dropped: `bundle2` → `bundle`).
    pub fields: BTreeMap<String, String>,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.origin == other.origin
    }
}

impl Hit<'_> {
    /// A field, if captured.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
    /// The timeline text: the rule's summary with its fields filled in.
    pub fn summary(&self) -> String {
        fill_template(&self.rule.summary, &self.fields)
    }
}

/// `{name}` → the field; `[ … ]` parts are dropped when a field inside is missing.
pub fn fill_template(t: &str, fields: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(t.len() + 16);
    let mut segment = String::new();
    let mut in_opt = false;
    let mut missing = false;
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '[' if !in_opt => {
                in_opt = true;
                missing = false;
                segment.clear();
            }
            ']' if in_opt => {
                in_opt = false;
                if !missing {
                    out.push_str(&segment);
                }
            }
            '{' => {
                let mut name = String::new();
                for n in chars.by_ref() {
                    if n == '}' {
                        break;
                    }
                    name.push(n);
                }
                let target = if in_opt { &mut segment } else { &mut out };
                match fields.get(&name) {
                    Some(v) => target.push_str(v),
                    None => {
                        missing = true;
                        if !in_opt {
                            target.push('?');
                        }
                    }
                }
            }
            c => {
                if in_opt {
                    segment.push(c);
                } else {
                    out.push(c);
                }
            }
        }
    }
    if in_opt && !missing {
        out.push_str(&segment);
    }
    out
}

/// All rules, compiled, with their shared literal prefilter.
#[derive(Debug, Clone)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Every literal of every rule: for locating candidate lines.
    prefilter: Prefilter,
    /// The same literals for overlapping search (which rules a line may match).
    overlapping: AhoCorasick,
    /// Literal index → rule index.
    literal_rule: Vec<usize>,
}

impl RuleSet {
    /// The built-in rules only.
    pub fn builtin() -> Result<RuleSet, RulesError> {
        RuleSet::build(&[])
    }

    /// User rules (tried first, in the order given) followed by the built-in rules.
    pub fn build(user: &[(String, String)]) -> Result<RuleSet, RulesError> {
        let mut rules = Vec::new();
        for (origin, text) in user {
            rules.extend(parse_rules(text, origin)?);
        }
        rules.extend(parse_rules(BUILTIN, "built-in rules")?);
        // A user rule with a built-in ID replaces the built-in one.
        let user_ids: std::collections::HashSet<String> = rules
            .iter()
            .filter(|r| r.origin != "built-in rules")
            .map(|r| r.id.clone())
            .collect();
        rules.retain(|r| r.origin != "built-in rules" || !user_ids.contains(&r.id));
        let mut literals = Vec::new();
        let mut literal_rule = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            for l in &r.literals {
                literals.push(l.as_str());
                literal_rule.push(i);
            }
        }
        let prefilter =
            Prefilter::new(&literals).map_err(|e| RulesError::Prefilter(e.to_string()))?;
        let overlapping = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&literals)
            .map_err(|e| RulesError::Prefilter(e.to_string()))?;
        Ok(RuleSet {
            rules,
            prefilter,
            overlapping,
            literal_rule,
        })
    }

    /// The rules, in the order they are tried.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The prefilter of every rule literal: a line that contains none matches no rule.
    pub fn prefilter(&self) -> &Prefilter {
        &self.prefilter
    }

    /// The first rule (in order) that matches this entry.
    pub fn classify<'r>(&'r self, e: &Entry<'_>) -> Option<Hit<'r>> {
        let msg: &str = &e.message;
        let mut candidates: Vec<usize> = self
            .overlapping
            .find_overlapping_iter(msg)
            .map(|m| self.literal_rule[m.pattern().as_usize()])
            .collect();
        if candidates.is_empty() {
            return None;
        }
        candidates.sort_unstable();
        candidates.dedup();
        for i in candidates {
            let rule = &self.rules[i];
            if !rule.processes.is_empty()
                && !e.process.is_empty()
                && !rule.processes.iter().any(|p| p == e.process.as_ref())
            {
                continue;
            }
            let Some(caps) = rule.regex.captures(msg) else {
                continue;
            };
            let mut fields = BTreeMap::new();
            for name in rule.regex.capture_names().flatten() {
                if let Some(m) = caps.name(name) {
                    let key = name.trim_end_matches(|c: char| c.is_ascii_digit());
                    let key = if key.is_empty() { name } else { key };
                    fields
                        .entry(key.to_string())
                        .or_insert_with(|| m.as_str().to_string());
                }
            }
            return Some(Hit { rule, fields });
        }
        None
    }
}

/// Parse and compile the rules of one file (`origin` names it in errors).
pub fn parse_rules(text: &str, origin: &str) -> Result<Vec<Rule>, RulesError> {
    let file: RuleFile = toml::from_str(text).map_err(|e| RulesError::Syntax {
        origin: origin.to_string(),
        source: Box::new(e),
    })?;
    let mut out = Vec::with_capacity(file.rule.len());
    let mut ids = std::collections::HashSet::new();
    for d in file.rule {
        let bad = |why: String| RulesError::Rule {
            origin: origin.to_string(),
            id: d.id.clone(),
            why,
        };
        if d.id.is_empty()
            || !d
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            return Err(bad(
                "an id is non-empty ASCII letters, digits, `.`, `-` or `_`".into(),
            ));
        }
        if !ids.insert(d.id.clone()) {
            return Err(bad(
                "this id is used twice in the file; ids must be unique".into()
            ));
        }
        if matches!(d.family, Family::Disconnected | Family::Reconnected) {
            return Err(bad(format!(
                "family `{}` is reserved for voipctl's own connection events",
                d.family.name()
            )));
        }
        if d.literals.is_empty() {
            return Err(bad(
                "add `literals`: the fixed text every matching line contains (the prefilter)"
                    .into(),
            ));
        }
        for l in &d.literals {
            if l.len() < 3
                || !l
                    .bytes()
                    .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
            {
                return Err(bad(format!(
                    "literal {l:?} must be at least 3 printable ASCII characters without quotes or backslashes (JSON and vis(3) escaping would hide them)"
                )));
            }
        }
        let regex = regex::RegexBuilder::new(&d.regex)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| bad(format!("regex does not compile: {e}")))?;
        out.push(Rule {
            severity: d.severity.unwrap_or_else(|| d.family.default_severity()),
            id: d.id,
            family: d.family,
            processes: d.processes,
            literals: d.literals,
            regex,
            summary: d.summary,
            explain: d.explain,
            origin: origin.to_string(),
            cited: d.cited.unwrap_or(true),
        });
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::logs::decode::decode_line;

    fn classify(line: &str) -> Option<(String, Family, BTreeMap<String, String>)> {
        let rs = RuleSet::builtin().unwrap();
        let e = decode_line(line);
        rs.classify(&e)
            .map(|h| (h.rule.id.clone(), h.rule.family, h.fields.clone()))
    }

    #[test]
    fn builtin_rules_compile_and_ids_are_unique() {
        let rs = RuleSet::builtin().unwrap();
        assert!(rs.rules().len() > 30);
        // Every rule's own literals must be able to reach its regex.
        for r in rs.rules() {
            assert!(!r.literals.is_empty(), "{}", r.id);
        }
    }

    #[test]
    fn builtin_prefilter_scans_simd_sized_needles_and_passes_every_literal() {
        let rs = RuleSet::builtin().unwrap();
        let pre = rs.prefilter();
        assert!(
            pre.needles().len() <= crate::logs::lines::MAX_NEEDLES,
            "{} needles: {:?}",
            pre.needles().len(),
            pre.needles()
        );
        for r in rs.rules() {
            for l in &r.literals {
                let line = format!("Nov 25 17:09:56 iPhone x[1] <Notice>: .. {l} ..");
                assert!(pre.is_match(line.as_bytes()), "{}: {l}", r.id);
                assert!(pre.needles().iter().any(|n| l.contains(n.as_str())), "{l}");
            }
        }
    }

    #[test]
    fn families_across_ios_versions() {
        // Real lines from tests/data/ios-log-corpus.jsonl (source of each above it), but for
        // the apsd line: no public sample exists (push.apsd-received is cited = false).
        let cases: &[(&str, &str)] = &[
            (
                // github.com/libimobiledevice/libimobiledevice/issues/1333 (iOS 16)
                "default\t10:44:13.317631-0400\tSpringBoard\tBootstrapping application<me.oatmealdome.DolphiniOS-njb-patreon-beta.C4492JYJR3> with intent foreground-interactive",
                "launch.bootstrap",
            ),
            (
                // github.com/microsoftconnect/ms-intune-app-sdk-ios/issues/137 (iOS 14.5 beta 1)
                "default\t08:00:54.700689-0600\trunningboardd\tRunningBoard\t[application<com.AppCo.MyApp>:432] termination reported by launchd (2, 10, 10)",
                "exit.rbs-launchd",
            ),
            (
                // github.com/kpwn/yalu/issues/57 (iOS 10.2)
                "Feb 26 10:56:08 Pennyde-iPhone SpringBoard[121] <Warning>: Application 'UIKitApplication:developer.apple.wwdc-Release[0x88cd]' exited voluntarily.",
                "exit.uikit-application",
            ),
            (
                // synthetic: the wording apsd's code logs for a .voip topic; no device sample
                "Nov 25 17:09:56 iPhone apsd[99] <Notice>: <APSCourier: 0x1>: Received message for enabled topic 'com.x.voip.voip' onInterface: NonCellular with payload '<private>' with priority 10 for device token: NO",
                "push.apsd-received",
            ),
            (
                // github.com/react-native-webrtc/react-native-voip-push-notification/issues/102 (iOS 17)
                "Application <private> will not be launched because it failed to report an incoming call too many times (or repeatedly crashed.)",
                "push.ban",
            ),
            (
                "Nov 25 17:09:56 iPhone MyApp(PushKit)[412] <Error>: Killing app because it never posted an incoming call to the system after receiving a PushKit VoIP push.",
                "callkit.kill",
            ),
            (
                "Termination Reason: Namespace SPRINGBOARD, Code 0x8badf00d",
                "watchdog.8badf00d",
            ),
            (
                // forums.developer.apple.com/thread/124517 (iOS 13)
                "Termination Reason: Namespace SPRINGBOARD, Code 0xbaadca11",
                "callkit.baadca11",
            ),
            (
                "Termination Reason: Namespace SIGNAL, Code 0xb",
                "crash.termination-reason",
            ),
            (
                "Nov 25 17:09:56 iPhone MyApp[412] <Notice>: VOIPCTL keepalive.begin",
                "marker.keepalive-begin",
            ),
        ];
        for (line, id) in cases {
            let got = classify(line).map(|(id, _, _)| id);
            assert_eq!(got.as_deref(), Some(*id), "{line}");
        }
    }

    #[test]
    fn fields_are_captured_and_digit_suffix_merged() {
        // github.com/twilio/voice-quickstart-ios/issues/152 (iOS 11)
        let (_, fam, f) = classify("default\t12:05:01.534875 +0530\tSpringBoard\t[FBSystemService][0x1a3c] Received request to open \"Com.Courtbuddy.Courtbuddy\" from callservicesd:112.").unwrap();
        assert_eq!(fam, Family::LaunchRequest);
        assert_eq!(
            f.get("bundle").map(String::as_str),
            Some("Com.Courtbuddy.Courtbuddy")
        );
        assert_eq!(
            f.get("requester").map(String::as_str),
            Some("callservicesd")
        );
        // github.com/SimbaBuilds/Juniper_React_Native debug.md (iOS 17+)
        let (_, _, f) = classify("default\t19:28:27.273510-0500\trunningboardd\t[app<com.hightowerai.MobileJarvisNative(BED36376-5A4B-42A9-9620-6AE0BC5F0283)>:51362] termination reported by launchd (2, 6, 6)").unwrap();
        assert_eq!(f.get("pid").map(String::as_str), Some("51362"));
        assert_eq!(f.get("domain").map(String::as_str), Some("2"));
    }

    #[test]
    fn unrelated_lines_do_not_match() {
        // github.com/insanj/Bluepicker/issues/3 (jailbreak syslogd, 2014)
        assert!(
            classify(
                "Mar 31 19:11:34 Mikes-iPhone kernel[0]: en0: BSSID changed to 60:33:4b:e2:b8:62"
            )
            .is_none()
        );
        assert!(
            classify("Nov 25 17:09:56 iPhone MyApp[1] <Notice>: reportNewIncomingCall completion error: nil")
                .is_some_and(|(id, _, _)| id == "callkit.report")
        );
    }

    #[test]
    fn templates_drop_optional_parts() {
        let mut f = BTreeMap::new();
        f.insert("signal".to_string(), "9".to_string());
        assert_eq!(
            fill_template("exited[ with signal {signal}][ with status {status}]", &f),
            "exited with signal 9"
        );
        assert_eq!(fill_template("{missing} x", &f), "? x");
    }

    #[test]
    fn user_rules_come_first_and_can_override() {
        let user = r#"
[[rule]]
id = "my.ringing"
family = "custom"
literals = ["RINGING"]
regex = 'RINGING (?P<call>\w+)'
summary = "ringing {call}"

[[rule]]
id = "launch.bootstrap"
family = "launch"
literals = ["Bootstrapping "]
regex = 'Bootstrapping (?P<bundle>\S+)'
summary = "custom launch"
"#;
        let rs = RuleSet::build(&[("my.toml".into(), user.into())]).unwrap();
        let e = decode_line("Nov 25 17:09:56 iPhone MyApp[1] <Notice>: RINGING abc");
        let h = rs.classify(&e).unwrap();
        assert_eq!(h.summary(), "ringing abc");
        let e = decode_line(
            "default\t10:44:13.317631-0400\tSpringBoard\tBootstrapping application<me.oatmealdome.DolphiniOS-njb-patreon-beta.C4492JYJR3> with intent foreground-interactive",
        );
        assert_eq!(rs.classify(&e).unwrap().summary(), "custom launch");
        assert_eq!(
            rs.rules()
                .iter()
                .filter(|r| r.id == "launch.bootstrap")
                .count(),
            1
        );
    }

    #[test]
    fn bad_rule_files_explain_themselves() {
        let e = parse_rules("[[rule]]\nid = 'x'\n", "f.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("f.toml"), "{e}");
        let e = parse_rules(
            "[[rule]]\nid='x'\nfamily='custom'\nliterals=[]\nregex='a'\nsummary='s'\n",
            "f.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("add `literals`"), "{e}");
        let e = parse_rules(
            "[[rule]]\nid='x'\nfamily='custom'\nliterals=['abc']\nregex='('\nsummary='s'\n",
            "f.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("regex does not compile"), "{e}");
        let e = parse_rules(
            "[[rule]]\nid='x'\nfamily='nope'\nliterals=['abc']\nregex='a'\nsummary='s'\n",
            "f.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown variant"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn rule_parser_never_panics(s in "\\PC{0,300}") {
            let _ = parse_rules(&s, "p");
        }

        #[test]
        fn template_never_panics(t in "[\\[\\]{}a-z ]{0,40}") {
            let _ = fill_template(&t, &BTreeMap::new());
        }
    }
}
