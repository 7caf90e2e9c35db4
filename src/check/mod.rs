//! `voipctl check`: read a bundle, run the preflight rules, report one `finding` record per
//! finding and a `summary`. [`report`] is public so other sources (an app installed on a phone)
//! reuse the same reporting on their own [`AppFacts`].

mod records;

pub use records::{FindingRecord, RuleCase, RuleRecord, Summary};

use crate::bundle;
use crate::context::{Ctx, Outcome};
use crate::error::Error;
use crate::preflight::facts::AppFacts;
use crate::preflight::{self, Distribution, RULES, Severity, Verdict};
use crate::report::Format;
use std::path::PathBuf;
use std::time::SystemTime;

/// Resolved options of `voipctl check`.
#[derive(Debug, Clone)]
pub struct Options {
    /// The bundle (`None` with `list_rules`).
    pub path: Option<PathBuf>,
    /// Distribution method.
    pub distribution: Distribution,
    /// Warnings fail too.
    pub strict: bool,
    /// Profile expiry margin in days.
    pub min_days: u32,
    /// Print the rule table instead of checking.
    pub list_rules: bool,
}

/// `YYYY-MM-DD` (UTC).
pub(crate) fn date(t: SystemTime) -> String {
    time::OffsetDateTime::from(t).date().to_string()
}

pub(crate) async fn run(ctx: &mut Ctx, opts: Options) -> crate::Result<Outcome> {
    if opts.list_rules {
        return list_rules(ctx, &opts);
    }
    let Some(path) = opts.path.clone() else {
        return Err(Error::Usage(
            "check needs a PATH (an .ipa, .app, .xcarchive or Info.plist), or --list-rules".into(),
        ));
    };
    // Reading a large .ipa takes a moment and is blocking I/O: do it off the async threads, and
    // stop at once on Ctrl-C (nothing has been reported yet, so there is no partial summary).
    let p = path.clone();
    let task = tokio::task::spawn_blocking(move || bundle::read(&p));
    let loaded = tokio::select! {
        r = task => r.map_err(Error::input)?.map_err(Error::input)?,
        _ = ctx.cancel.cancelled() => return Err(Error::Interrupted),
    };
    for n in &loaded.notes {
        ctx.warn(n);
    }
    let popts = preflight::Options {
        distribution: opts.distribution,
        min_days: opts.min_days,
        now: SystemTime::now(),
    };
    report(
        ctx,
        &loaded.facts,
        &popts,
        opts.strict,
        &path.display().to_string(),
    )
}

/// Evaluate the rules on `facts` and report findings and a summary; `Failed` on error findings
/// (or warnings with `strict`).
pub fn report(
    ctx: &mut Ctx,
    facts: &AppFacts,
    opts: &preflight::Options,
    strict: bool,
    label: &str,
) -> crate::Result<Outcome> {
    let results = preflight::evaluate(facts, opts);
    let fails = |s: Severity| s == Severity::Error || (strict && s == Severity::Warning);
    let mut findings: Vec<&preflight::Finding> = results
        .iter()
        .filter_map(|r| match &r.verdict {
            Verdict::Findings(f) => Some(f.iter()),
            _ => None,
        })
        .flatten()
        .collect();
    // Group by component (app first, then extensions in order), worst first within a group.
    let order: Vec<&str> = facts.targets().map(|t| t.path.as_str()).collect();
    let pos = |c: &str| order.iter().position(|p| *p == c).unwrap_or(usize::MAX);
    findings.sort_by(|a, b| {
        pos(&a.component)
            .cmp(&pos(&b.component))
            .then(b.severity.cmp(&a.severity))
            .then(a.rule.id.cmp(b.rule.id))
    });
    let junit = ctx.reporter.format() == Format::Junit;
    let quiet = ctx.reporter.style().quiet;
    let mut last: Option<&str> = None;
    for f in &findings {
        if quiet && !fails(f.severity) {
            continue;
        }
        let rec = FindingRecord::new(f, last != Some(f.component.as_str()));
        last = Some(f.component.as_str());
        ctx.reporter.emit(&rec)?;
    }
    if junit {
        for r in &results {
            ctx.reporter.emit(&RuleCase::new(r, &fails))?;
        }
    }
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let not_checked: Vec<records::NotChecked> = results
        .iter()
        .filter_map(|r| match &r.verdict {
            Verdict::NotChecked(why) => Some(records::NotChecked {
                id: r.rule.id,
                reason: why.clone(),
            }),
            _ => None,
        })
        .collect();
    let failed = findings.iter().any(|f| fails(f.severity));
    let summary = Summary {
        path: label.to_string(),
        source: facts.source.clone(),
        distribution: opts.distribution.name(),
        strict,
        result: if failed { "fail" } else { "pass" },
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        infos: count(Severity::Info),
        rules: results.len(),
        passed: results
            .iter()
            .filter(|r| r.verdict == Verdict::Passed)
            .count(),
        not_checked,
        extensions: facts.extensions.len(),
    };
    ctx.reporter.finish(&summary, "voipctl check")?;
    Ok(Outcome::from_failed(failed))
}

fn list_rules(ctx: &mut Ctx, opts: &Options) -> crate::Result<Outcome> {
    for r in RULES {
        ctx.reporter.emit(&RuleRecord::new(r, opts.distribution))?;
    }
    ctx.reporter.finish(
        &records::RulesSummary {
            rules: RULES.len(),
            distribution: opts.distribution.name(),
        },
        "voipctl check --list-rules",
    )?;
    Ok(Outcome::Ok)
}
