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
//!
//! The command is a library too: the `wireplan` binary, the Python
//! package's `python -m wireplan` (linked into its extension) and the npm
//! package's `npx wireplan` (this crate built for WASI) all call [`run`],
//! so the four command lines print the same bytes and exit with the same
//! codes.

pub(crate) mod args;
pub(crate) mod commands;
pub(crate) mod failure;
pub(crate) mod input;
pub(crate) mod output;
pub(crate) mod sink;
pub(crate) mod toml_doc;
pub(crate) mod yaml;

use std::ffi::OsString;
use std::io::Write as _;

use clap::Parser as _;

use crate::failure::{Failure, UNUSABLE};
use crate::sink::Stream;

/// Runs the command line `args` (the program name first) and gives its
/// exit code. Output goes to the process's standard output and error.
///
/// A panic would be a bug; it still reads as one line, never as a Rust
/// backtrace, and exit 2. The panic hook is restored on return, for a host
/// process (Python) that goes on.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let _ = writeln!(std::io::stderr(), "error: internal error in wireplan: {what}");
    }));
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let code = match args::Cli::try_parse_from(&args) {
        Ok(cli) => match std::panic::catch_unwind(move || commands::run(cli)) {
            Ok(Ok(code)) => code,
            Ok(Err(failure)) => report_failure(failure),
            Err(_) => UNUSABLE,
        },
        Err(e) => {
            let e = shown_error(e, &args);
            let _ = e.print();
            u8::try_from(e.exit_code()).unwrap_or(UNUSABLE)
        }
    };
    let _ = std::io::stdout().flush();
    std::panic::set_hook(previous);
    code
}

/// A command-line error as shown: clap quotes the faulty argument as
/// given, so an argument holding a newline could start a line of its own in
/// a CI log (`::error::...`). The same arguments with their control and
/// bidi characters escaped give the same error, quoting them escaped.
fn shown_error(e: clap::Error, args: &[OsString]) -> clap::Error {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand) {
        return e;
    }
    let escaped = args.iter().map(|a| OsString::from(wireplan::escape(&a.to_string_lossy()).into_owned()));
    args::Cli::try_parse_from(escaped).err().filter(|again| again.kind() == e.kind()).unwrap_or(e)
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
