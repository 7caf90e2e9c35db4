//! What a recognised phone line means for the round in progress: a stage reached, the end of the
//! round (kill, ban, drop), or a note for the diagnosis. Read from the rule *family* (and the
//! fields the rule captured), never from the wording, so new rules for other iOS versions feed
//! probe without changes here.

use crate::logs::rules::{Family, Hit};
use serde::Serialize;

/// A stage of a round, in the order a call travels.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Stage {
    /// The host sent the trigger (the push request, the wake packet).
    Sent,
    /// APNs answered 200 (push), or the wake was written to the app's socket (signal).
    Accepted,
    /// The phone has it: apsd/callservicesd handle the push, or the VoIP process assertion.
    Delivered,
    /// The app runs: launched (cold, with its intent) or resumed.
    Running,
    /// The app's code got it: PushKit delegate, or the VoIP socket's wake handler.
    Delegate,
    /// The app reported the incoming call to CallKit.
    Reported,
}

impl Stage {
    /// Every stage, in order.
    pub(crate) const ALL: [Stage; 6] = [
        Stage::Sent,
        Stage::Accepted,
        Stage::Delivered,
        Stage::Running,
        Stage::Delegate,
        Stage::Reported,
    ];

    /// The kebab-case name (as in `--fail-on` and JSON).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stage::Sent => "sent",
            Stage::Accepted => "accepted",
            Stage::Delivered => "delivered",
            Stage::Running => "running",
            Stage::Delegate => "delegate",
            Stage::Reported => "reported",
        }
    }

    /// From a name.
    pub(crate) fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|x| x.name() == s)
    }
}

/// How a round ended without a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum End {
    /// iOS killed the app (no CallKit report for a VoIP push, background time, watchdog).
    Killed,
    /// callservicesd will not launch the app for VoIP pushes.
    Banned,
    /// apsd or callservicesd dropped the push.
    Dropped,
}

/// What one line means for the round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mark {
    /// A stage, with the app state for `Running` (`launched (background)`, `resumed`…) and
    /// whether the line says the app was not running (a cold launch follows).
    Stage(Stage, Option<String>, bool),
    /// The end, with why.
    End(End, &'static str),
    /// Worth showing in the diagnosis, decides nothing (a configuration error iOS logged).
    Note,
}

/// Does this bundle field name the target app? Absent or redacted fields (`<private>`) do not
/// exclude a line: the round's time window joins it.
fn names_other_app(hit: &Hit<'_>, bundle: &str) -> bool {
    let named = hit.field("bundle").or_else(|| hit.field("bundle2"));
    match named {
        None => false,
        // Redacted (`<private>`) or a placeholder without dots (`xxxx`, an app name): joined by
        // the round's time window.
        Some(b) => b.contains('.') && !b.starts_with('<') && !b.eq_ignore_ascii_case(bundle),
    }
}

/// The meaning of a recognised line for the app `bundle` whose process is `exec` (when known).
pub(crate) fn mark(hit: &Hit<'_>, process: &str, bundle: &str, exec: Option<&str>) -> Option<Mark> {
    if names_other_app(hit, bundle) {
        return None;
    }
    // The app's own lines (markers, PushKit's lines in its process) must come from the app.
    let own = || exec.is_none_or(|e| e == process) || process.is_empty();
    let family = hit.rule.family;
    Some(match family {
        Family::PushApns | Family::PushCallservicesd | Family::Assertion => {
            Mark::Stage(Stage::Delivered, None, false)
        }
        Family::LaunchRequest => Mark::Stage(Stage::Delivered, None, true),
        Family::Launch => {
            let intent = hit.field("intent").unwrap_or("launched");
            Mark::Stage(Stage::Running, Some(format!("launched ({intent})")), true)
        }
        Family::Resume => Mark::Stage(Stage::Running, Some("resumed".into()), false),
        Family::PushDelegate | Family::SocketWake if own() => {
            Mark::Stage(Stage::Delegate, None, false)
        }
        Family::CallkitReport | Family::CallkitReportFailed if own() => {
            Mark::Stage(Stage::Reported, None, false)
        }
        Family::CallkitKill => Mark::End(End::Killed, "no CallKit report for a VoIP push"),
        Family::BgtimeExpired => Mark::End(End::Killed, "background time ran out"),
        Family::Watchdog => Mark::End(End::Killed, "watchdog (0x8badf00d)"),
        Family::Jetsam if own() => Mark::End(End::Killed, "jetsam (memory)"),
        Family::Ban => Mark::End(End::Banned, "callservicesd will not launch the app"),
        Family::PushDropped => Mark::End(End::Dropped, "the push was dropped on the phone"),
        Family::ConfigError | Family::LegacyVoipUnsupported | Family::Exit => Mark::Note,
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::logs::decode::Entry;
    use crate::logs::rules::RuleSet;

    fn m(line: &str, process: &str) -> Option<Mark> {
        static RULES: std::sync::OnceLock<RuleSet> = std::sync::OnceLock::new();
        let rules = RULES.get_or_init(|| RuleSet::builtin().unwrap());
        let e = Entry {
            process: process.into(),
            ..Entry::bare(line)
        };
        let hit = rules.classify(&e)?;
        mark(&hit, process, "com.example.call", Some("ExampleCall"))
    }

    /// The lines the reacting simulator writes (real wording) reach the stages they stand for.
    #[test]
    fn simulator_lines_reach_their_stages() {
        let spec = crate::sim::Scenario::parse(
            "[[device]]\nudid = \"a\"\n[device.react]\nbundle_id = \"com.example.call\"\nexecutable = \"ExampleCall\"\n[[device.react.round]]\noutcome = \"in-time\"\n[[device.react.round]]\noutcome = \"never\"\n[[device.react.round]]\noutcome = \"banned\"\n",
        )
        .unwrap()
        .devices[0]
            .react
            .clone()
            .unwrap();
        let mut st = crate::sim::react::AppState::new(&spec);
        let mut marks = Vec::new();
        for _ in 0..3 {
            for p in crate::sim::react::plan(&spec, &mut st, crate::sim::react::Trigger::Push) {
                marks.extend(m(&p.line.message, &p.line.process));
            }
        }
        let stages: Vec<Stage> = marks
            .iter()
            .filter_map(|x| match x {
                Mark::Stage(s, ..) => Some(*s),
                _ => None,
            })
            .collect();
        for s in [
            Stage::Delivered,
            Stage::Running,
            Stage::Delegate,
            Stage::Reported,
        ] {
            assert!(stages.contains(&s), "{s:?} never reached: {marks:?}");
        }
        assert!(marks.iter().any(|x| matches!(x, Mark::End(End::Killed, _))));
        assert!(marks.iter().any(|x| matches!(x, Mark::End(End::Banned, _))));
    }

    #[test]
    fn other_apps_and_other_processes_are_left_out() {
        assert_eq!(
            m(
                "Application com.other.app will not be launched because it failed to report an incoming call too many times (or repeatedly crashed.)",
                "callservicesd"
            ),
            None
        );
        assert_eq!(m("VOIPCTL call.reported", "OtherApp"), None);
        assert_eq!(
            m("VOIPCTL call.reported", "ExampleCall"),
            Some(Mark::Stage(Stage::Reported, None, false))
        );
    }
}
