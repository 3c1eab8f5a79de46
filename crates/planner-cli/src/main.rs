//! `wireplan`: the command a CI pipeline runs on every commit to keep a
//! service graph valid, and that a person runs to understand one.
//!
//! The CLI reads files, converts YAML and TOML to JSON, and prints. Every
//! question about the graph is answered by the core crate, and every word of
//! a diagnostic is the core's rendering.
//!
//! Exit codes: 0 valid (warnings allowed unless `--deny-warnings`), 1 the
//! graph has errors, 2 the input cannot be used. Never a panic message or a
//! backtrace: a bug shows as one line and exit 2.

mod args;
mod commands;
mod failure;
mod input;
mod output;
mod sink;
mod toml_doc;
mod yaml;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

use crate::failure::{Failure, UNUSABLE};
use crate::sink::Stream;

fn main() -> ExitCode {
    without_backtraces();
    // A panic would be a bug; it must still read as one line, never as a
    // Rust backtrace, whatever RUST_BACKTRACE says.
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let _ = writeln!(std::io::stderr(), "error: internal error in wireplan: {what}");
    }));
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(UNUSABLE));
        }
    };
    match std::panic::catch_unwind(move || commands::run(cli)) {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(failure)) => ExitCode::from(report_failure(failure)),
        Err(_) => ExitCode::from(UNUSABLE),
    }
}

/// Prints why a command stopped and gives its exit code.
fn report_failure(failure: Failure) -> u8 {
    let line = match failure {
        // File names and ids in these lines may come from anywhere.
        Failure::Input(line) | Failure::Write(line) | Failure::Usage(line) => {
            format!("error: {}\n", wireplan::escape(&line))
        }
        Failure::Parse(report) => output::human::render(&report, sink::color(args::ColorChoice::Auto, Stream::Stderr)),
    };
    let _ = sink::write(Stream::Stderr, line.as_bytes());
    UNUSABLE
}

/// Runs this same command again without `RUST_BACKTRACE` and
/// `RUST_LIB_BACKTRACE`, when either asks for backtraces.
///
/// The panic hook keeps panics to one line, but Rust's out-of-memory
/// handler cannot be hooked on stable and prints a full backtrace when the
/// variable is set (CI systems often set it for their own tools). The
/// limits keep every input far from an allocation failure; this keeps the
/// one line even when the machine itself runs out. `exec` replaces the
/// process (same pid, same standard streams), so callers see no difference;
/// if it fails, the command simply runs as it is.
#[cfg(unix)]
fn without_backtraces() {
    use std::os::unix::process::CommandExt as _;
    let asks = |name: &str| std::env::var_os(name).is_some_and(|v| v != "0");
    if !asks("RUST_BACKTRACE") && !asks("RUST_LIB_BACKTRACE") {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    let _ = command.args(args).env_remove("RUST_BACKTRACE").env_remove("RUST_LIB_BACKTRACE").exec();
}

#[cfg(not(unix))]
fn without_backtraces() {}
