//! The simulated phone answering a trigger: a push accepted by the simulator's APNs look-alike
//! ([`super::apns`]) or data on the app's VoIP socket ([`super::app_socket`]) becomes the log lines
//! a real phone writes, with the delays and the outcome the scenario gives for that round
//! (`[device.react]`). This is how `voipctl probe` is tested end to end without a phone.
//!
//! Every system line comes from [`TEMPLATES`]: each is a real device log line copied from a
//! public source (address and iOS version next to it, and the whole record in
//! `tests/data/sim-react-corpus.jsonl`), where only identifiers are replaced (bundle ID, pid,
//! executable name) — a test checks that every template, before replacement, is in the corpus
//! record of its source. Where the source was redacted (`<private>`), the bundle ID is put in
//! its place as a phone with private logging enabled shows it, or the redaction is kept. App
//! lines other than real app NSLog lines are voipctl's app markers (`VOIPCTL …`).

use super::scenario::LogSpec;
use serde::Deserialize;
use std::time::Duration;

/// What the phone does with one trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReactOutcome {
    /// Delivered, the app runs, its PushKit delegate reports the call to CallKit quickly.
    InTime,
    /// The same, but slowly (default delays: a 3 s cold launch, a 1.5 s report).
    Late,
    /// Delivered, the delegate runs and never reports: PushKit kills the app (for a VoIP-socket
    /// wake: background time runs out and the app is killed).
    Never,
    /// callservicesd refuses to launch the app for VoIP pushes (too many kills).
    Banned,
    /// Nothing reaches the phone (wrong environment, token or topic on a real phone).
    Lost,
}

impl ReactOutcome {
    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            ReactOutcome::InTime => "in-time",
            ReactOutcome::Late => "late",
            ReactOutcome::Never => "never",
            ReactOutcome::Banned => "banned",
            ReactOutcome::Lost => "lost",
        }
    }
}

/// One round of the reaction script (`[[device.react.round]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoundSpec {
    /// What happens.
    pub outcome: ReactOutcome,
    /// Trigger → first line on the phone (default 40 ms).
    #[serde(default, deserialize_with = "super::scenario::opt_duration")]
    pub deliver: Option<Duration>,
    /// Delivered → the app runs (cold launch; a resume takes a quarter of it). Default 250 ms
    /// (late: 3 s).
    #[serde(default, deserialize_with = "super::scenario::opt_duration")]
    pub launch: Option<Duration>,
    /// Running → PushKit delegate (default 30 ms).
    #[serde(default, deserialize_with = "super::scenario::opt_duration")]
    pub delegate: Option<Duration>,
    /// Delegate → CallKit report (default 50 ms; late: 1.5 s).
    #[serde(default, deserialize_with = "super::scenario::opt_duration")]
    pub report: Option<Duration>,
    /// Delegate → the kill, when the call is never reported (default 400 ms).
    #[serde(default, deserialize_with = "super::scenario::opt_duration")]
    pub kill_after: Option<Duration>,
    /// How many triggers this round answers (default 1).
    #[serde(default = "one")]
    pub repeat: u32,
}

fn one() -> u32 {
    1
}

/// `[device.react]`: how this phone answers triggers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReactSpec {
    /// The app that answers (its VoIP topic is `<bundle_id>.voip`).
    pub bundle_id: String,
    /// The app's executable (default: the last part of the bundle ID).
    #[serde(default)]
    pub executable: Option<String>,
    /// The app's pid (a relaunch after a kill gets a new one).
    #[serde(default = "default_app_pid")]
    pub pid: u32,
    /// The app is running (suspended) when the first trigger comes: a push resumes it instead
    /// of launching it.
    #[serde(default)]
    pub running: bool,
    /// Device tokens (hex) that reach this phone through the APNs look-alike; empty: any token
    /// that no other phone claims.
    #[serde(default)]
    pub tokens: Vec<String>,
    /// The phone's clock minus the host's, in milliseconds (log stamps are off by this much).
    #[serde(default)]
    pub clock_offset_ms: i64,
    /// The app keeps a VoIP socket to this signalling server (`tcp://127.0.0.1:5070`),
    /// reconnecting every second as apps do; data on it is a trigger.
    #[serde(default)]
    pub signal: Option<String>,
    /// One entry per trigger, in order; the last one answers every trigger after it.
    #[serde(rename = "round")]
    pub rounds: Vec<RoundSpec>,
}

fn default_app_pid() -> u32 {
    601
}

impl ReactSpec {
    pub(crate) fn validate(&self, udid: &str) -> Result<(), String> {
        let ok_id = |s: &str| {
            !s.is_empty()
                && s.len() <= 155
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        };
        if !ok_id(&self.bundle_id) {
            return Err(format!(
                "[device.react] of {udid}: bundle_id {:?} is not a bundle ID",
                self.bundle_id
            ));
        }
        if self.executable.as_deref().is_some_and(|e| !ok_id(e)) {
            return Err(format!(
                "[device.react] of {udid}: executable must be one word"
            ));
        }
        if self.rounds.is_empty() {
            return Err(format!(
                "[device.react] of {udid} has no [[device.react.round]]; add at least one"
            ));
        }
        if self.pid == 0 || self.pid > 99_999 {
            return Err(format!("[device.react] of {udid}: pid must be 1–99999"));
        }
        if self.clock_offset_ms.unsigned_abs() > 86_400_000 {
            return Err(format!(
                "[device.react] of {udid}: clock_offset_ms is more than a day"
            ));
        }
        for t in &self.tokens {
            if t.is_empty() || t.len() > 200 || !t.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(format!("[device.react] of {udid}: token {t:?} is not hex"));
            }
        }
        if let Some(s) = &self.signal
            && crate::signal::Target::parse(s, None)
                .map_or(true, |t| t.transport != crate::sip::Transport::Tcp)
        {
            return Err(format!(
                "[device.react] of {udid}: signal {s:?} is not an address such as tcp://127.0.0.1:5070"
            ));
        }
        for r in &self.rounds {
            let long = [r.deliver, r.launch, r.delegate, r.report, r.kill_after]
                .iter()
                .flatten()
                .any(|d| *d > Duration::from_secs(3600));
            if long {
                return Err(format!(
                    "[device.react] of {udid}: a round delay is over an hour"
                ));
            }
        }
        Ok(())
    }

    /// The app's executable name.
    pub fn executable(&self) -> String {
        self.executable.clone().unwrap_or_else(|| {
            self.bundle_id
                .rsplit('.')
                .next()
                .unwrap_or(&self.bundle_id)
                .to_string()
        })
    }

    /// The round that answers the `n`th trigger (0-based).
    pub fn round(&self, n: usize) -> &RoundSpec {
        let mut left = n;
        for r in &self.rounds {
            let k = r.repeat.max(1) as usize;
            if left < k {
                return r;
            }
            left -= k;
        }
        // Validated non-empty.
        &self.rounds[self.rounds.len() - 1]
    }

    /// The topic of VoIP pushes for this app.
    pub fn topic(&self) -> String {
        format!("{}.voip", self.bundle_id)
    }
}

/// Which identifier a template's original text carries, to be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// The bundle ID.
    Bundle,
    /// The app's pid.
    Pid,
    /// The app's executable name.
    Exec,
}

/// A real log line and what to replace in it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Template {
    /// Stable name (the `template` field of its record in `tests/data/sim-react-corpus.jsonl`).
    pub id: &'static str,
    /// Writing process.
    pub process: &'static str,
    /// Its image, when the source shows one.
    pub image: Option<&'static str>,
    /// Notice, Error, Fault…
    pub level: &'static str,
    /// The message exactly as in the source.
    pub original: &'static str,
    /// Text of `original` to replace, and with what.
    pub slots: &'static [(&'static str, Slot)],
    /// Where the line was published.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "provenance; tests check it against the corpus")
    )]
    pub source: &'static str,
    /// iOS version of the source.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "provenance; tests check it against the corpus")
    )]
    pub ios: &'static str,
}

/// Process that writes the app's own lines (its pid and name are the app's).
const APP: &str = "<app>";

/// Every system line the reacting phone writes. See the module documentation.
pub(crate) const TEMPLATES: &[Template] = &[
    Template {
        id: "apsd-power",
        process: "apsd",
        image: None,
        level: "Notice",
        original: "Created power assertion {identifier: APSCourier(tcpStream:dataReceived:)}",
        slots: &[],
        source: "https://github.com/twilio/voice-quickstart-ios/issues/152",
        ios: "iOS 11 (2018)",
    },
    Template {
        id: "apsd-data",
        process: "apsd",
        image: None,
        level: "Notice",
        original: "<private>: Outstanding data received: <private> (length 410) onInterface: NonCellular. Connected on 1 interfaces.",
        slots: &[],
        source: "https://github.com/twilio/voice-quickstart-ios/issues/152",
        ios: "iOS 11 (2018)",
    },
    Template {
        id: "csd-from-apsd",
        process: "callservicesd",
        image: None,
        level: "Notice",
        original: "<private> Delivering message from apsd: <private> 1378142416 <private>",
        slots: &[],
        source: "https://github.com/twilio/voice-quickstart-ios/issues/152",
        ios: "iOS 11 (2018)",
    },
    Template {
        id: "csd-topic",
        process: "callservicesd",
        image: None,
        level: "Notice",
        original: "Incoming message has topic: <private> bundleID: <private>",
        slots: &[],
        source: "https://github.com/twilio/voice-quickstart-ios/issues/152",
        ios: "iOS 11 (2018)",
    },
    Template {
        id: "csd-not-running",
        process: "callservicesd",
        image: None,
        level: "Notice",
        original: "Application <private> is not running. Will attempt to open the application and acquire a process assertion",
        slots: &[("<private>", Slot::Bundle)],
        source: "https://github.com/twilio/voice-quickstart-ios/issues/152",
        ios: "iOS 11 (2018)",
    },
    Template {
        id: "sb-open",
        process: "SpringBoard",
        image: Some("FrontBoard"),
        level: "Notice",
        original: "[FBSystemService][0x1a3c] Received request to open \"Com.Courtbuddy.Courtbuddy\" from callservicesd:112.",
        slots: &[("Com.Courtbuddy.Courtbuddy", Slot::Bundle)],
        source: "https://github.com/twilio/voice-quickstart-ios/issues/152",
        ios: "iOS 11 (2018)",
    },
    Template {
        id: "rb-assertion",
        process: "runningboardd",
        image: None,
        level: "Notice",
        original: "Attempting to rename power assertion 42380 for target application<xxxx> to application<xxxx>;32-143-27197:CSDVoIPProcessAssertion-xxxx(VoIP);32-143-27198:CSDVoIPProcessAssertion-xxxx(VoIP)",
        slots: &[("xxxx", Slot::Bundle)],
        source: "https://github.com/BelledonneCommunications/linphone-iphone/issues/758",
        ios: "unknown (2021, iOS 14)",
    },
    Template {
        id: "rb-active-bg",
        process: "runningboardd",
        image: None,
        level: "Notice",
        original: "Calculated state for application<com.elsystm.elsystm>: running-active (role: Background)",
        slots: &[("com.elsystm.elsystm", Slot::Bundle)],
        source: "https://github.com/firebase/flutterfire/issues/5702",
        ios: "unknown (2021)",
    },
    Template {
        id: "app-delegate",
        process: APP,
        image: None,
        level: "Notice",
        original: "pushRegistry:didReceiveIncomingPushWithPayload:forType:completion:",
        slots: &[],
        source: "https://github.com/twilio/voice-quickstart-ios/issues/251",
        ios: "iOS 13 (2019)",
    },
    Template {
        id: "pk-must-post",
        process: APP,
        image: Some("PushKit"),
        level: "Fault",
        original: "Apps receving VoIP pushes must post an incoming call via CallKit in the same run loop as pushRegistry:didReceiveIncomingPushWithPayload:forType:[withCompletionHandler:] without delay.",
        slots: &[],
        source: "https://github.com/BelledonneCommunications/linphone-sdk/issues/286",
        ios: "unknown (2023)",
    },
    Template {
        id: "pk-kill",
        process: APP,
        image: Some("PushKit"),
        level: "Fault",
        original: "*** Terminating app due to uncaught exception 'NSInternalInconsistencyException', reason: 'Killing app because it never posted an incoming call to the system after receiving a PushKit VoIP push.'",
        slots: &[],
        source: "https://developer.apple.com/forums/thread/801446",
        ios: "iOS 18 (2025)",
    },
    Template {
        id: "sb-workspace",
        process: "SpringBoard",
        image: None,
        level: "Notice",
        original: "[application<me.spacelaunchnow.spacelaunchnow>:2636] Workspace connection invalidated.",
        slots: &[
            ("me.spacelaunchnow.spacelaunchnow", Slot::Bundle),
            ("2636", Slot::Pid),
        ],
        source: "https://github.com/ItsCalebJones/SpaceLaunchNow-Flutter/issues/15",
        ios: "iOS 14.5",
    },
    Template {
        id: "rb-removing",
        process: "runningboardd",
        image: Some("RunningBoard"),
        level: "Notice",
        original: "Removing process: [application<com.AppCo.MyApp>:432]",
        slots: &[("com.AppCo.MyApp", Slot::Bundle), ("432", Slot::Pid)],
        source: "https://github.com/microsoftconnect/ms-intune-app-sdk-ios/issues/137",
        ios: "iOS 14.5 beta 1 (2021)",
    },
    Template {
        id: "csd-ban",
        process: "callservicesd",
        image: None,
        level: "Error",
        original: "Application <private> will not be launched because it failed to report an incoming call too many times (or repeatedly crashed.)",
        slots: &[("<private>", Slot::Bundle)],
        source: "https://github.com/react-native-webrtc/react-native-voip-push-notification/issues/102",
        ios: "iOS 17 (2023)",
    },
    Template {
        id: "bb-beyond",
        process: "backboardd",
        image: None,
        level: "Error",
        original: "BG[21017] has active assertions beyond permitted time: ",
        slots: &[("BG", Slot::Exec), ("21017", Slot::Pid)],
        source: "https://github.com/joexi/BackgroundRunner/issues/1",
        ios: "iOS 6 (2013, jailbroken)",
    },
    Template {
        id: "bb-forcing",
        process: "backboardd",
        image: None,
        level: "Error",
        original: "Forcing crash report of BG[21017]...",
        slots: &[("BG", Slot::Exec), ("21017", Slot::Pid)],
        source: "https://github.com/joexi/BackgroundRunner/issues/1",
        ios: "iOS 6 (2013, jailbroken)",
    },
];

/// System pids of the reacting phone (callservicesd's is the one the `sb-open` source shows).
const PIDS: &[(&str, u32)] = &[
    ("apsd", 98),
    ("callservicesd", 112),
    ("SpringBoard", 57),
    ("runningboardd", 33),
    ("backboardd", 62),
];

/// What triggered the reaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trigger {
    /// A VoIP push accepted by the APNs look-alike.
    Push,
    /// Data on the app's VoIP socket.
    Signal,
}

/// The app as the simulated phone sees it between triggers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppState {
    /// The process exists (suspended or running).
    pub running: bool,
    /// Its pid.
    pub pid: u32,
    /// Triggers answered so far.
    pub triggers: usize,
}

impl AppState {
    /// The state before the first trigger.
    pub(crate) fn new(spec: &ReactSpec) -> AppState {
        AppState {
            running: spec.running,
            pid: spec.pid,
            triggers: 0,
        }
    }
}

/// One line of a reaction, at its delay after the trigger.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    /// After the trigger.
    pub after: Duration,
    /// The line.
    pub line: LogSpec,
}

fn template(id: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.id == id)
}

fn fill(t: &Template, spec: &ReactSpec, pid: u32) -> String {
    let mut s = t.original.to_string();
    for (from, slot) in t.slots {
        let to = match slot {
            Slot::Bundle => spec.bundle_id.clone(),
            Slot::Pid => pid.to_string(),
            Slot::Exec => spec.executable(),
        };
        s = s.replace(from, &to);
    }
    s
}

struct Out<'a> {
    spec: &'a ReactSpec,
    lines: Vec<Planned>,
}

impl Out<'_> {
    fn system(&mut self, after: Duration, id: &'static str, app_pid: u32) {
        let Some(t) = template(id) else { return };
        let (process, pid) = if t.process == APP {
            (self.spec.executable(), app_pid)
        } else {
            let pid = PIDS
                .iter()
                .find(|(p, _)| *p == t.process)
                .map_or(1, |(_, n)| *n);
            (t.process.to_string(), pid)
        };
        self.lines.push(Planned {
            after,
            line: line(process, pid, t.image, t.level, fill(t, self.spec, app_pid)),
        });
    }

    fn marker(&mut self, after: Duration, pid: u32, text: &str) {
        self.lines.push(Planned {
            after,
            line: line(self.spec.executable(), pid, None, "Notice", text.into()),
        });
    }
}

fn line(process: String, pid: u32, image: Option<&str>, level: &str, message: String) -> LogSpec {
    LogSpec {
        at: Duration::ZERO,
        process,
        pid,
        image: image.map(str::to_string),
        level: level.to_string(),
        message,
        subsystem: None,
        category: None,
        repeat: 1,
        every: None,
        stamp: None,
        raw: None,
    }
}

/// The lines the phone writes for the next trigger, and the app's state after them. Pure: the
/// simulator schedules the lines, tests read them.
pub(crate) fn plan(spec: &ReactSpec, state: &mut AppState, trigger: Trigger) -> Vec<Planned> {
    let round = spec.round(state.triggers).clone();
    state.triggers += 1;
    let late = round.outcome == ReactOutcome::Late;
    let ms = Duration::from_millis;
    let deliver = round.deliver.unwrap_or(ms(40));
    let launch = round
        .launch
        .unwrap_or(if late { ms(3000) } else { ms(250) });
    let delegate = round.delegate.unwrap_or(ms(30));
    let report = round.report.unwrap_or(if late { ms(1500) } else { ms(50) });
    let kill_after = round.kill_after.unwrap_or(ms(400));
    let step = ms(1);
    let mut out = Out {
        spec,
        lines: Vec::new(),
    };
    if round.outcome == ReactOutcome::Lost {
        return out.lines;
    }
    let mut t = deliver;
    match trigger {
        Trigger::Push => {
            out.system(t, "apsd-power", 0);
            out.system(t + step, "apsd-data", 0);
            out.system(t + step * 2, "csd-from-apsd", 0);
            out.system(t + step * 3, "csd-topic", 0);
            t += step * 4;
            if round.outcome == ReactOutcome::Banned {
                out.system(t, "csd-ban", 0);
                return out.lines;
            }
            let cold = !state.running;
            if cold {
                out.system(t, "csd-not-running", 0);
                out.system(t + step, "sb-open", 0);
                t += step * 2;
            }
            out.system(t, "rb-assertion", 0);
            t += if cold { launch } else { launch / 4 };
            out.system(t, "rb-active-bg", state.pid);
            if cold {
                out.marker(t + step, state.pid, "VOIPCTL launch state=background");
            }
            state.running = true;
            t += delegate;
            out.system(t, "app-delegate", state.pid);
            out.marker(t + step, state.pid, "VOIPCTL push.received");
            if round.outcome == ReactOutcome::Never {
                t += kill_after;
                out.system(t, "pk-must-post", state.pid);
                out.system(t + step, "pk-kill", state.pid);
                out.system(t + step * 20, "sb-workspace", state.pid);
                out.system(t + step * 21, "rb-removing", state.pid);
                state.running = false;
                state.pid += 37;
            } else {
                out.marker(t + report, state.pid, "VOIPCTL call.reported");
            }
        }
        Trigger::Signal => {
            // A VoIP socket wakes a suspended app; a ban is a push-only state, and an app that
            // is not running has no socket: both read nothing, like a lost wake.
            if round.outcome == ReactOutcome::Banned || !state.running {
                return Vec::new();
            }
            t += launch / 4;
            out.system(t, "rb-active-bg", state.pid);
            out.marker(t + step, state.pid, "VOIPCTL socket.wake");
            t += delegate;
            if round.outcome == ReactOutcome::Never {
                t += kill_after;
                out.system(t, "bb-beyond", state.pid);
                out.system(t + step, "bb-forcing", state.pid);
                out.system(t + step * 20, "sb-workspace", state.pid);
                out.system(t + step * 21, "rb-removing", state.pid);
                // A `voip` app that dies is relaunched in the background: its socket comes
                // back with a new pid.
                state.pid += 37;
            } else {
                out.marker(t + report, state.pid, "VOIPCTL call.reported");
            }
        }
    }
    out.lines
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn spec(rounds: &str) -> ReactSpec {
        let text = format!(
            "[[device]]\nudid = \"a\"\n[device.react]\nbundle_id = \"com.example.call\"\nexecutable = \"ExampleCall\"\n{rounds}"
        );
        let s = crate::sim::Scenario::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        s.devices[0].react.clone().unwrap()
    }

    /// Every template is a real line: its original text is in the corpus record of its source.
    #[test]
    fn every_template_is_in_the_cited_corpus() {
        let corpus = include_str!("../../tests/data/sim-react-corpus.jsonl");
        let records: Vec<serde_json::Value> = corpus
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for t in TEMPLATES {
            let rec = records
                .iter()
                .find(|r| r["template"] == t.id)
                .unwrap_or_else(|| panic!("{} has no corpus record", t.id));
            assert_eq!(rec["source"], t.source, "{}", t.id);
            assert_eq!(rec["ios"], t.ios, "{}", t.id);
            let line = rec["line"].as_str().unwrap();
            assert!(line.contains(t.original), "{}: {line}", t.id);
            for (from, _) in t.slots {
                assert!(t.original.contains(from), "{}: {from}", t.id);
            }
        }
    }

    fn messages(p: &[Planned]) -> Vec<String> {
        p.iter().map(|l| l.line.message.clone()).collect()
    }

    #[test]
    fn a_push_launches_reports_then_is_killed_then_banned() {
        let s = spec(
            "[[device.react.round]]\noutcome = \"in-time\"\n[[device.react.round]]\noutcome = \"never\"\n[[device.react.round]]\noutcome = \"banned\"\n",
        );
        let mut st = AppState::new(&s);
        let first = plan(&s, &mut st, Trigger::Push);
        let m = messages(&first);
        assert!(
            m.iter()
                .any(|l| l.contains("Application com.example.call is not running"))
        );
        assert!(m.iter().any(|l| l == "VOIPCTL launch state=background"));
        assert_eq!(m.last().unwrap(), "VOIPCTL call.reported");
        assert!(st.running);
        // Times only grow.
        assert!(first.windows(2).all(|w| w[0].after <= w[1].after));

        let second = messages(&plan(&s, &mut st, Trigger::Push));
        assert!(!second.iter().any(|l| l.contains("is not running")));
        assert!(second.iter().any(|l| l.contains("Killing app because")));
        assert!(
            second
                .iter()
                .any(|l| l.contains("Removing process: [application<com.example.call>:601]"))
        );
        assert!(!st.running);
        assert_eq!(st.pid, 638);

        let third = messages(&plan(&s, &mut st, Trigger::Push));
        assert!(third.last().unwrap().contains("will not be launched"));
        // The last round repeats.
        let fourth = messages(&plan(&s, &mut st, Trigger::Push));
        assert_eq!(third, fourth);
    }

    #[test]
    fn lost_writes_nothing_and_signal_needs_a_running_app() {
        let s = spec(
            "running = true\n[[device.react.round]]\noutcome = \"lost\"\n[[device.react.round]]\noutcome = \"never\"\n",
        );
        let mut st = AppState::new(&s);
        assert!(plan(&s, &mut st, Trigger::Push).is_empty());
        let m = messages(&plan(&s, &mut st, Trigger::Signal));
        assert!(m.contains(&"VOIPCTL socket.wake".to_string()));
        assert!(
            m.iter()
                .any(|l| l == "ExampleCall[601] has active assertions beyond permitted time: ")
        );
    }

    #[test]
    fn bad_reactions_are_explained() {
        for (extra, needle) in [
            (
                "[device.react]\nbundle_id = \"a b\"\n[[device.react.round]]\noutcome = \"lost\"\n",
                "bundle",
            ),
            ("[device.react]\nbundle_id = \"a\"\n", "round"),
            (
                "[device.react]\nbundle_id = \"a\"\ntokens = [\"xyz\"]\n[[device.react.round]]\noutcome = \"lost\"\n",
                "hex",
            ),
            (
                "[device.react]\nbundle_id = \"a\"\n[[device.react.round]]\noutcome = \"maybe\"\n",
                "unknown variant",
            ),
        ] {
            let text = format!("[[device]]\nudid = \"a\"\n{extra}");
            match crate::sim::Scenario::parse(&text) {
                Ok(_) => panic!("accepted {extra}"),
                Err(e) => assert!(e.to_string().contains(needle), "{e} lacks {needle}"),
            }
        }
    }
}
