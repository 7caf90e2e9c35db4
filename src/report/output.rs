//! The one output model: every record any command writes, as one enum tagged by its JSON `type`,
//! and the one `summary` shape every command ends with. `voipctl schema` prints the JSON Schema
//! of [`Line`], generated from these types; the tests validate every command's JSON output
//! against it.
//!
//! Each variant holds a struct with named fields, so each record serialises to one object with
//! `type` first and its own fields next to it: a record can neither lose its fields nor be
//! spliced in as text.

use crate::commands::check::records as check;
use crate::commands::device::check::DeviceCheckRecord;
use crate::commands::device::records as device;
use crate::commands::farm;
use crate::commands::logs::records as logs;
use crate::commands::probe::records as probe;
use crate::commands::push::records as push;
use crate::commands::signal::{send, serve};
use crate::commands::sim;
use crate::context::Outcome;
use schemars::JsonSchema;
use serde::Serialize;

/// One JSON line: a record and, in `--all` runs, the phone it is about.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Line<'a> {
    /// The record.
    #[serde(flatten)]
    pub record: Output<'a>,
    /// The phone (`watch --all`, `probe --all`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<&'a str>,
}

/// Every record, by its JSON `type`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Output<'a> {
    // check
    /// `check`: one finding.
    Finding(&'a check::FindingRecord),
    /// `check --list-rules`: one rule.
    Rule(&'a check::RuleRecord),
    /// `check --device`: one phone's verdict.
    DeviceCheck(&'a DeviceCheckRecord),
    // devices, info, apps
    /// `devices`: one attached phone.
    Device(&'a device::DeviceRecord),
    /// `devices --watch`: a phone attached or detached.
    DeviceEvent(&'a device::DeviceEventRecord),
    /// `info`: a phone's values.
    DeviceInfo(&'a device::InfoRecord),
    /// `info --key`: one value.
    DeviceValue(&'a device::ValueRecord),
    /// `apps`: one installed app.
    App(&'a device::AppRecord),
    /// `--all` device commands: one phone failed, the others went on.
    DeviceError(&'a device::DeviceErrorRecord),
    // analyze, watch
    /// `analyze`/`watch`: one timeline event.
    Event(&'a crate::logs::track::Event),
    /// `analyze`/`watch --lines`: an unrecognised line that passed the filters.
    Line(&'a logs::LineRecord),
    /// `analyze`/`watch`: one check's verdict.
    Check(&'a logs::CheckRecord),
    // --all
    /// `--all`: a phone joined the run.
    DeviceJoined(&'a farm::DeviceChange),
    /// `--all`: a phone went away.
    DeviceLeft(&'a farm::DeviceChange),
    // push
    /// `push`: one push's result.
    Push(&'a push::PushRecord),
    // signal
    /// `signal send`: connected.
    Connected(&'a send::ConnectedRecord),
    /// `signal send`: one request and its answer.
    Round(&'a send::RoundRecord),
    /// `signal serve`: listening.
    Listening(&'a serve::ListeningRecord),
    /// `signal serve`: a connection opened or closed.
    Connection(&'a serve::ConnectionRecord),
    /// `signal serve`: a request answered.
    Request(&'a serve::RequestRecord),
    /// `signal serve`: a keep-alive.
    Keepalive(&'a serve::KeepAliveRecord),
    /// `signal serve`: a wake sent and its answer.
    Wake(&'a serve::WakeRecord),
    /// `signal serve`: bytes that are not a message.
    Malformed(&'a serve::MalformedRecord),
    // probe
    /// `probe`: one round.
    ProbeRound(&'a probe::RoundRecord),
    /// `probe`: one `--fail-on` threshold.
    ProbeThreshold(&'a probe::ThresholdRecord),
    // sim
    /// `sim`: the simulator is listening.
    SimReady(&'a sim::SimReady),
    /// The last record of every command.
    Summary(Summary<'a>),
}

/// The one summary shape: the same first fields for every command, then the command's own.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Summary<'a> {
    /// The version of this schema ([`super::SCHEMA_VERSION`]), the same for every command.
    pub schema_version: u32,
    /// How the run ended: `ok`, `failed` (exit code 1) or `interrupted` (exit code 130).
    pub outcome: Outcome,
    /// `command` and the command's own fields.
    #[serde(flatten)]
    pub body: Body<'a>,
}

/// The command that ran (`command`, the command line's words) and its own summary fields.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(tag = "command")]
pub enum Body<'a> {
    /// `check PATH`.
    #[serde(rename = "check")]
    Check(&'a check::Summary),
    /// `check --list-rules`.
    #[serde(rename = "check --list-rules")]
    ListRules(&'a check::RulesSummary),
    /// `check --device`.
    #[serde(rename = "check --device")]
    DeviceCheck(&'a device::DeviceSummary),
    /// `devices`.
    #[serde(rename = "devices")]
    Devices(&'a device::DeviceSummary),
    /// `info`.
    #[serde(rename = "info")]
    Info(&'a device::DeviceSummary),
    /// `apps`.
    #[serde(rename = "apps")]
    Apps(&'a device::DeviceSummary),
    /// `analyze`.
    #[serde(rename = "analyze")]
    Analyze(&'a logs::Summary),
    /// `watch`.
    #[serde(rename = "watch")]
    Watch(&'a logs::Summary),
    /// `watch --all`.
    #[serde(rename = "watch --all")]
    WatchAll(&'a farm::FarmSummary),
    /// `push`.
    #[serde(rename = "push")]
    Push(&'a push::PushSummary),
    /// `signal send`.
    #[serde(rename = "signal send")]
    SignalSend(&'a send::SendSummary),
    /// `signal serve`.
    #[serde(rename = "signal serve")]
    SignalServe(&'a serve::ServeSummary),
    /// `probe`.
    #[serde(rename = "probe")]
    Probe(&'a probe::ProbeSummary),
    /// `probe --all`.
    #[serde(rename = "probe --all")]
    ProbeAll(&'a farm::FarmSummary),
    /// `sim`.
    #[serde(rename = "sim")]
    Sim(&'a sim::SimSummary),
}

/// The JSON Schema (draft 2020-12) of every line voipctl writes with `--json`, as the records
/// serialise.
pub(crate) fn schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    let mut root = generator.into_root_schema_for::<Line<'static>>();
    root.insert(
        "title".into(),
        format!(
            "voipctl JSON Lines, schema version {}",
            super::SCHEMA_VERSION
        )
        .into(),
    );
    root.to_value()
}
