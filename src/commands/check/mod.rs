//! `voipctl check`: read a bundle, run the preflight rules, report one `finding` record per
//! finding and a `summary`. [`report`] is public so other sources (an app installed on a phone)
//! reuse the same reporting on their own [`AppFacts`].

pub(crate) mod records;

pub(crate) use records::{FindingRecord, RuleCase, RuleRecord, Summary};

use crate::bundle;
use crate::bundle::facts::AppFacts;
use crate::context::{Ctx, Outcome};
use crate::error::Error;
use crate::preflight::{self, Distribution, RULES, Severity, Verdict};
use std::path::PathBuf;
use std::time::SystemTime;

/// Resolved options of `voipctl check`.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The bundle (`None` with `list_rules`).
    pub path: Option<PathBuf>,
    /// Distribution method (`None`: from the embedded profile, else App Store).
    pub distribution: Option<Distribution>,
    /// Warnings fail too.
    pub strict: bool,
    /// Profile expiry margin in days.
    pub min_days: u32,
    /// Print the rule table instead of checking.
    pub list_rules: bool,
    /// Which app of a source holding several.
    pub app: Option<String>,
}

/// Where the distribution method came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DistributionSource {
    /// `--distribution`.
    Flag,
    /// The app's embedded provisioning profile.
    Profile,
    /// Neither: the App Store default.
    Default,
}

/// The distribution method: the flag, else the app's embedded profile, else App Store.
pub(crate) fn resolve_distribution(
    flag: Option<Distribution>,
    facts: &AppFacts,
) -> (Distribution, DistributionSource) {
    if let Some(d) = flag {
        return (d, DistributionSource::Flag);
    }
    match facts.app.profile.get().map(|p| p.kind()) {
        Some(k) => (
            match k {
                bundle::profile::ProfileKind::Appstore => Distribution::Appstore,
                bundle::profile::ProfileKind::Adhoc => Distribution::Adhoc,
                bundle::profile::ProfileKind::Development => Distribution::Development,
                bundle::profile::ProfileKind::Enterprise => Distribution::Enterprise,
            },
            DistributionSource::Profile,
        ),
        None => (Distribution::Appstore, DistributionSource::Default),
    }
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
    let ropts = bundle::ReadOptions {
        app: opts.app.clone(),
    };
    let task = tokio::task::spawn_blocking(move || bundle::read_with(&p, &ropts));
    let loaded = tokio::select! {
        r = task => r.map_err(Error::input)?.map_err(|e| match e {
            // The source is fine; the command line has to say which app.
            bundle::BundleError::SeveralApps { .. } | bundle::BundleError::NoSuchApp { .. } => {
                Error::Usage(e.to_string())
            }
            e => Error::input(e),
        })?,
        _ = ctx.cancel.cancelled() => return Err(Error::Interrupted),
    };
    for n in &loaded.notes {
        ctx.warn(n);
    }
    let (distribution, from) = resolve_distribution(opts.distribution, &loaded.facts);
    let popts = preflight::Options {
        distribution,
        min_days: opts.min_days,
        now: SystemTime::now(),
    };
    report_from(
        ctx,
        &loaded.facts,
        &popts,
        opts.strict,
        &path.display().to_string(),
        from,
    )
}

/// Evaluate the rules on `facts` and report findings and a summary; `Failed` on error findings
/// (or warnings with `strict`).
pub(crate) fn report(
    ctx: &mut Ctx,
    facts: &AppFacts,
    opts: &preflight::Options,
    strict: bool,
    label: &str,
    from: DistributionSource,
) -> crate::Result<Outcome> {
    report_from(ctx, facts, opts, strict, label, from)
}

fn report_from(
    ctx: &mut Ctx,
    facts: &AppFacts,
    opts: &preflight::Options,
    strict: bool,
    label: &str,
    from: DistributionSource,
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
    for f in &findings {
        ctx.reporter
            .emit(&FindingRecord::new(f, fails(f.severity)))?;
    }
    for r in &results {
        ctx.reporter.case(RuleCase::new(r, &fails).case);
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
        distribution_from: from,
        app: facts.app.path.clone(),
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
    let d = opts.distribution.unwrap_or_default();
    for r in RULES {
        ctx.reporter.emit(&RuleRecord::new(r, d))?;
    }
    ctx.reporter.finish(
        &records::RulesSummary {
            rules: RULES.len(),
            distribution: d.name(),
        },
        "voipctl check --list-rules",
    )?;
    Ok(Outcome::Ok)
}
