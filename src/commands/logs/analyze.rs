//! `voipctl analyze FILE|-`: the watch analysis on a saved log, offline.

use super::FailOn;
use super::records::{LineRecord, Summary, SummaryMeta};
use crate::context::{Ctx, Outcome};
use crate::error::Error;
use crate::logs::crashes::Given;
use crate::logs::lines::{Flow, LineReader};
use crate::logs::{CommonOptions, LogsError, Output, Pipeline};
use crate::report::SummaryRecord;
use std::io::Read;
use std::path::PathBuf;

/// Where the log is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Input {
    /// A file.
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

/// Resolved options of `voipctl analyze`.
#[derive(Debug, Clone)]
pub(crate) struct AnalyzeOptions {
    /// The log.
    pub input: Input,
    /// Filters, thresholds, rules, output.
    pub common: CommonOptions,
    /// `--fail-on` thresholds.
    pub fail_on: Vec<FailOn>,
    /// Crash reports (`.ips`, `.crash`, JetsamEvent `.ips`) to put in the timeline next to the
    /// exits they explain.
    pub crash_reports: Vec<PathBuf>,
}

/// Emit what the pipeline produced for one line.
pub(crate) fn emit(ctx: &mut Ctx, outs: Vec<Output>) -> std::io::Result<()> {
    for o in outs {
        match o {
            Output::Event(e) => ctx.reporter.emit(e.as_ref())?,
            Output::Line(l) => ctx.reporter.emit(&LineRecord::from(l))?,
        }
    }
    Ok(())
}

/// Finish: last events, check records, the summary; the outcome follows `--fail-on`.
pub(crate) fn finish(
    ctx: &mut Ctx,
    pipeline: Pipeline,
    meta: SummaryMeta,
    fail_on: &[FailOn],
) -> crate::Result<Outcome> {
    let (tail, ended) = pipeline.finish();
    let summary = Summary::build(meta, ended, fail_on);
    for e in &tail {
        ctx.reporter.emit(e)?;
    }
    for c in &summary.checks {
        ctx.reporter.emit(c)?;
    }
    ctx.reporter.finish(&summary, "voipctl.logs")?;
    Ok(summary.outcome())
}

/// Run `voipctl analyze`.
pub(crate) async fn run_analyze(ctx: &mut Ctx, opts: AnalyzeOptions) -> crate::Result<Outcome> {
    let mut pipeline = Pipeline::new(&opts.common).map_err(Error::input)?;
    let crashes = crate::logs::crashes::read_reports(&opts.crash_reports).map_err(Error::input)?;
    let (reader, source): (Box<dyn Read + Send>, String) = match &opts.input {
        Input::Stdin => (Box::new(std::io::stdin()), "-".into()),
        Input::File(p) => (
            Box::new(
                std::fs::File::open(p).map_err(|e| Error::input(LogsError::Read(p.clone(), e)))?,
            ),
            p.display().to_string(),
        ),
    };
    let mut reader = LineReader::new(reader);
    let prefilter = pipeline.prefilter().cloned();
    let cancel = ctx.cancel.clone();
    let mut out_err: Option<std::io::Error> = None;
    // Reading a file is blocking work: keep the runtime's other threads (signals) free.
    let read = tokio::task::block_in_place(|| {
        reader.for_each(prefilter.as_ref(), |line| {
            let outs = pipeline.line(&line.text, line.number);
            if !outs.is_empty()
                && let Err(e) = emit(ctx, outs)
            {
                out_err = Some(e);
                return Flow::Stop;
            }
            if cancel.is_cancelled() {
                Flow::Stop
            } else {
                Flow::Continue
            }
        })
    });
    if let Some(e) = out_err {
        return Err(e.into());
    }
    // The lines after the last one handed out still move the clock: the log ends at its last
    // line's time, not at its last recognised line's.
    if !cancel.is_cancelled() {
        let handed = pipeline.last_line();
        for line in reader.tail() {
            if line.number > handed {
                emit(ctx, pipeline.tick_line(&line.text, line.number))?;
            }
        }
    }
    read.map_err(|e| match &opts.input {
        Input::Stdin => Error::input(LogsError::Stdin(e)),
        Input::File(p) => Error::input(LogsError::Read(p.clone(), e)),
    })?;
    for given in crashes {
        match given {
            Given::Report(r) => {
                let file = r.file.clone().unwrap_or_default();
                match pipeline.attach_crash(*r) {
                    Some(ev) => ctx.reporter.emit(&ev)?,
                    None => ctx.warn(&format!(
                        "crash report {file} is not of an app in this log (check -b and the report's process)"
                    )),
                }
            }
            Given::Jetsam(j) => match pipeline.attach_jetsam(&j) {
                Ok(evs) => {
                    for ev in &evs {
                        ctx.reporter.emit(ev)?;
                    }
                }
                Err(why) => ctx.warn(&format!(
                    "JetsamEvent report {} explains no exit in this log: {why}",
                    j.file().unwrap_or("(unnamed)")
                )),
            },
        }
    }
    let stats = reader.stats();
    let meta = SummaryMeta {
        command: "analyze",
        source,
        bytes: stats.bytes,
        lines: stats.lines,
        truncated_lines: stats.truncated,
        interrupted: ctx.cancel.is_cancelled(),
        ..SummaryMeta::default()
    };
    finish(ctx, pipeline, meta, &opts.fail_on)
}
