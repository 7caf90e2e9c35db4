//! The shape of the bundle: VOIP060–VOIP062.

use super::*;

pub(super) const VOIP060: Rule = Rule {
    id: "VOIP060",
    name: "executable-missing",
    group: "bundle",
    title: "the executable named by CFBundleExecutable exists",
    explanation: "iOS launches the file named by CFBundleExecutable; without it the bundle does not install.",
    fix: "set CFBundleExecutable to the executable's file name (EXECUTABLE_NAME) and rebuild",
    severity: Severities::all(E),
    check: executable_missing,
};

fn executable_missing(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        if !info_ok(t, s) {
            continue;
        }
        if matches!(t.executable, Part::Missing) {
            match t.info_str("CFBundleExecutable") {
                Some(n) => s.fail(
                    t,
                    format!("CFBundleExecutable is {n:?} but the bundle has no such file"),
                ),
                None => s.fail(t, "CFBundleExecutable is missing"),
            }
        } else if t.executable.is_unknown() {
            s.skip(format!(
                "{}: the executable is not available from this source",
                t.path
            ));
        }
    }
}

pub(super) const VOIP061: Rule = Rule {
    id: "VOIP061",
    name: "app-clip-calling",
    group: "bundle",
    title: "App Clips do not rely on CallKit or the `voip` background mode",
    explanation: "CallKit provides no functionality at run time in an App Clip, and App Clips cannot run in the background (\"Choosing the right functionality for your App Clip\"), so calling features in a clip silently do nothing.",
    fix: "keep calling in the full app; let the App Clip hand over to it (SKOverlay) instead",
    severity: Severities::all(W),
    check: app_clip_calling,
};

fn app_clip_calling(i: &Input<'_>, s: &mut Sink) {
    for t in i
        .facts
        .extensions
        .iter()
        .filter(|t| t.role == Role::AppClip)
    {
        if has_mode(t, "voip") {
            s.fail(
                t,
                "the App Clip declares the `voip` background mode, but App Clips cannot run in the background",
            );
        }
        let Some(list) = bins(t, s) else { continue };
        if let Some((path, _)) = list.iter().find(|(_, e)| calls(e)) {
            s.fail(
                t,
                format!(
                    "{}links CallKit, which provides no functionality in an App Clip",
                    match inside(t, path) {
                        "" => "the App Clip ".to_string(),
                        p => format!("{p} "),
                    }
                ),
            );
        }
    }
}

pub(super) const VOIP062: Rule = Rule {
    id: "VOIP062",
    name: "framework-executable",
    group: "bundle",
    title: "each embedded framework has its executable",
    explanation: "dyld loads Frameworks/X.framework/X when the app starts; a framework folder without its Mach-O (a broken copy phase, a stripped xcframework slice) stops the app at launch with \"Library not loaded\".",
    fix: "embed the framework with Xcode's Embed Frameworks phase (Embed & Sign), from the right xcframework slice",
    severity: Severities::all(E),
    check: framework_executable,
};

fn framework_executable(i: &Input<'_>, s: &mut Sink) {
    for t in i.facts.targets() {
        let Some(fws) = frameworks(t, s) else {
            continue;
        };
        for f in fws {
            if matches!(f.executable, Part::Missing) {
                s.fail(t, format!("{} has no executable", inside(t, &f.path)));
            }
        }
    }
}
