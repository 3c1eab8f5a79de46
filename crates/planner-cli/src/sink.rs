//! Writing results, where a closed pipe is not an error.
//!
//! `wireplan check big.json | head -c1` closes the pipe early. Rust ignores
//! SIGPIPE, so the write fails with `BrokenPipe`: that ends the command with
//! the exit code it would have had anyway, quietly. Nothing here uses
//! `print!`, which would panic instead.

use std::io::{ErrorKind, IsTerminal as _, Write};

use crate::args::ColorChoice;
use crate::failure::Failure;
use crate::input::io_words;

/// Where output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output: the command's result.
    Stdout,
    /// Standard error: reports of commands whose result is something else.
    Stderr,
}

/// Writes `bytes` to `stream`. A closed pipe is success: the reader has
/// seen all it wanted.
///
/// # Errors
/// [`Failure::Write`] for any other write error (a full disk).
pub fn write(stream: Stream, bytes: &[u8]) -> Result<(), Failure> {
    let result = match stream {
        Stream::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes).and_then(|()| out.flush())
        }
        Stream::Stderr => {
            let mut out = std::io::stderr().lock();
            out.write_all(bytes).and_then(|()| out.flush())
        }
    };
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Write(format!("cannot write output: {}", io_words(&e)))),
    }
}

/// Whether to color human output on `stream`: `--color always|never`, or
/// on a terminal unless `NO_COLOR` is set to anything non-empty.
pub fn color(choice: ColorChoice, stream: Stream) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let terminal = match stream {
                Stream::Stdout => std::io::stdout().is_terminal(),
                Stream::Stderr => std::io::stderr().is_terminal(),
            };
            terminal && !no_color
        }
    }
}
