//! From argv to an exit code: parse, resolve the global options once, build the runtime, run the
//! command, render any error with its cause chain, and map everything to the one exit-code table.

use crate::cli::{Cli, Command};
use crate::context::{Cancel, Ctx};
use crate::error::Error;
use crate::exit::Code;
use crate::report::{Reporter, Style};
use clap::Parser;
use std::ffi::OsString;
use std::io::{IsTerminal, Write};

/// The process's output streams, and whether each is a terminal.
pub struct Streams {
    /// Data (stdout).
    pub out: Box<dyn Write + Send>,
    /// Diagnostics (stderr).
    pub err: Box<dyn Write + Send>,
    /// stdout is a terminal.
    pub out_tty: bool,
    /// stderr is a terminal.
    pub err_tty: bool,
}

impl std::fmt::Debug for Streams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streams")
            .field("out_tty", &self.out_tty)
            .finish_non_exhaustive()
    }
}

impl Streams {
    /// The real stdout and stderr. stdout is line-buffered on a terminal; into a pipe or a file
    /// it is block-buffered (one write per line made `analyze` pay a syscall per event), so live
    /// commands flush after each batch of records (`Reporter::flush`) and `finish` flushes.
    pub fn stdio() -> Self {
        let out_tty = std::io::stdout().is_terminal();
        let out: Box<dyn Write + Send> = if out_tty {
            Box::new(std::io::LineWriter::new(std::io::stdout()))
        } else {
            Box::new(std::io::BufWriter::with_capacity(
                64 * 1024,
                std::io::stdout(),
            ))
        };
        Streams {
            out_tty,
            err_tty: std::io::stderr().is_terminal(),
            out,
            err: Box::new(std::io::stderr()),
        }
    }
}

/// Run voipctl with these arguments (the first is the program name) and streams.
pub fn run<I, T>(args: I, streams: Streams) -> Code
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let Streams {
        out,
        mut err,
        out_tty,
        err_tty,
    } = streams;
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            let code = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Code::Ok,
                _ => Code::Usage,
            };
            let text = if err_tty && code == Code::Usage {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            // Help and version go to stdout, usage errors to stderr, as clap itself does.
            let mut out = out;
            let stream: &mut dyn Write = if code == Code::Ok { &mut out } else { &mut err };
            let _ = write!(stream, "{text}");
            let _ = stream.flush();
            return code;
        }
    };
    if let Err(why) = cli.check_format() {
        let _ = writeln!(err, "error: {why}");
        let _ = err.flush();
        return Code::Usage;
    }
    let global = cli.global.resolve(out_tty, err_tty);
    if global.color_any() {
        colored::control::set_override(true);
    }
    let err_style = global.err_style();
    // `push` drives one HTTP/2 connection, all on this thread: its requests, its results and
    // the connection task (h2 framing, TLS). Locks stay uncontended and no thread wakes another.
    // With the connection task on a worker thread, each push cost 25–30 % more CPU and 10,000
    // pushes were no faster (benches/push.sh).
    // `probe` likewise: its log reader and its rounds on one thread, so a phone line reaches its
    // round without a cross-thread wake-up (benches/probe.sh: the time probe adds per line).
    let mut builder = if matches!(cli.command, Command::Push(_) | Command::Probe(_)) {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(err, "error: start the async runtime: {e}");
            return Code::Input;
        }
    };
    let (cancel_tx, cancel) = Cancel::new();
    let mut ctx = Ctx {
        reporter: Reporter::new(global.format, out, global.out_style()),
        diag: err,
        diag_style: err_style,
        progress: global.progress(err_tty),
        cancel,
    };
    let command = cli.command.name();
    let result = runtime.block_on(async {
        tokio::spawn(watch_signals(cancel_tx));
        dispatch(&mut ctx, cli.command).await
    });
    // Records written before an error reach stdout before the error reaches stderr.
    let result = match (result, ctx.reporter.flush()) {
        (Ok(_), Err(e)) => Err(Error::Output(e)),
        (r, _) => r,
    };
    let code = match result {
        Ok(outcome) => outcome.code(),
        Err(e) if e.is_broken_pipe() => Code::Ok,
        Err(e) => {
            // JUnit readers get a document with an `<error>` even so (stdout failing here is
            // not worth a second message).
            if !matches!(e, Error::Output(_)) {
                let _ = ctx.reporter.fail(command, &e.chain());
            }
            report_error(&mut ctx.diag, &err_style, &e);
            e.code()
        }
    };
    let _ = ctx.diag.flush();
    // Commands may leave background tasks (servers, readers); do not wait for them.
    runtime.shutdown_background();
    code
}

async fn dispatch(ctx: &mut Ctx, command: Command) -> crate::Result<crate::Outcome> {
    match command {
        Command::Analyze(a) => crate::commands::logs::run_analyze(ctx, (*a).resolve()).await,
        Command::Check(a) => match a.device_check()? {
            Some(d) => crate::commands::device::run_check(ctx, d).await,
            None => crate::commands::check::run(ctx, a.resolve()).await,
        },
        Command::Completions(a) => crate::commands::completions::run(ctx, a.resolve()),
        Command::Probe(a) => {
            let all = a.all;
            let opts = (*a).resolve()?;
            if all {
                crate::commands::farm::probe_all(ctx, opts).await
            } else {
                crate::commands::probe::run_probe(ctx, opts).await
            }
        }
        Command::Push(a) => crate::commands::push::run(ctx, a.resolve()?).await,
        Command::Signal(a) => match a.command {
            crate::cli::SignalCommand::Send(s) => {
                crate::commands::signal::run_send(ctx, s.resolve()?).await
            }
            crate::cli::SignalCommand::Serve(s) => {
                crate::commands::signal::run_serve(ctx, s.resolve()?).await
            }
        },
        Command::Devices(a) => crate::commands::device::run_devices(ctx, a.resolve()?).await,
        Command::Info(a) => crate::commands::device::run_info(ctx, a.resolve()?).await,
        Command::Apps(a) => crate::commands::device::run_apps(ctx, a.resolve()?).await,
        Command::Sim(a) => crate::commands::sim::run(ctx, a.resolve()?).await,
        Command::Schema(_) => {
            let schema = crate::report::output::schema();
            let text = serde_json::to_string_pretty(&schema).map_err(std::io::Error::other)?;
            writeln!(ctx.reporter.raw(), "{text}")?;
            Ok(crate::Outcome::Ok)
        }
        Command::Watch(a) => {
            let all = a.all;
            let opts = (*a).resolve()?;
            if all {
                crate::commands::farm::watch_all(ctx, opts).await
            } else {
                crate::commands::logs::run_watch(ctx, opts).await
            }
        }
    }
}

fn report_error(err: &mut Box<dyn Write + Send>, style: &Style, e: &Error) {
    let _ = err.write_all(render_error(style, e).as_bytes());
}

/// `error: <message>` then `  caused by: <cause>` per cause. A message that spans lines (a TOML
/// error's caret excerpt) keeps its line breaks, each continuation line indented under its
/// label; every line is sanitised for the terminal.
fn render_error(style: &Style, e: &Error) -> String {
    let mut out = String::new();
    for (i, msg) in e.chain().iter().enumerate() {
        let (label, indent) = if i == 0 {
            (style.error("error:"), "")
        } else {
            (style.dim("caused by:"), "  ")
        };
        let mut lines = msg.trim_end().lines();
        let first = lines.next().unwrap_or_default();
        out.push_str(&format!(
            "{indent}{label} {}\n",
            crate::sanitize::terminal(first)
        ));
        for l in lines {
            out.push_str(&format!("{indent}  {}\n", crate::sanitize::terminal(l)));
        }
    }
    out
}

/// Ctrl-C (and SIGTERM on Unix) fire the cancel token once; commands then wind down and report.
/// The handlers are registered when this is called (not when the returned future first runs), so
/// a signal that arrives as soon as a command has started is never missed.
fn watch_signals(
    tx: tokio::sync::watch::Sender<bool>,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let handlers = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            async fn recv(s: Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            let (int, term) = handlers;
            tokio::select! {
                _ = recv(int) => {}
                _ = recv(term) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        let _ = tx.send(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scenario's TOML error keeps its line breaks (it printed `\n` literally).
    #[test]
    fn multi_line_messages_keep_their_lines() {
        let e = Error::input(crate::sim::ScenarioError::Toml(
            "TOML parse error at line 2, column 7\n  |\n2 | foo = \n  |       ^\nstring values must be quoted".into(),
        ));
        let text = render_error(&Style::plain(), &e);
        assert_eq!(
            text,
            "error: read the scenario: TOML parse error at line 2, column 7\n    |\n  2 | foo = \n    |       ^\n  string values must be quoted\n"
        );
        assert!(!text.contains("\\n"), "{text}");
        // Escape sequences in a continuation line are still neutralised.
        let e = Error::Usage("first\nsecond \u{1b}[31m".into());
        assert_eq!(
            render_error(&Style::plain(), &e),
            "error: first\n  second \\x1b[31m\n"
        );
    }
}
