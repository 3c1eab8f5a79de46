//! Writing results, where a closed pipe is not an error.
//!
//! `wireplan check big.json | head -c1` closes the pipe early. Rust ignores
//! SIGPIPE, so the write fails with `BrokenPipe`: that ends the command with
//! the exit code it would have had anyway, quietly. Nothing here uses
//! `print!`, which would panic instead. A plan written to a file replaces
//! it atomically.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, IsTerminal as _, Write};
use std::path::{Path, PathBuf};

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

/// Replaces the file at `path` with `bytes`, atomically: they are written
/// to a new file in the same directory, flushed to disk, then renamed over
/// `path`. A reader (or a crash, or a kill mid-write) sees the old file or
/// the new one, never a torn one; on any error the old file stays and the
/// temporary one is removed.
///
/// # Errors
/// [`Failure::Write`] naming `path`.
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let fail = |e: &std::io::Error| Failure::Write(format!("cannot write `{}`: {}", path.display(), io_words(e)));
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (tmp, mut file) = (0..100u32)
        .find_map(|attempt| {
            let tmp = dir.join(format!(".{name}.{}-{attempt}.tmp", process_tag()));
            match OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(file) => Some(Ok((tmp, file))),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => None,
                Err(e) => Some(Err(e)),
            }
        })
        .unwrap_or_else(|| Err(std::io::Error::from(ErrorKind::AlreadyExists)))
        .map_err(|e| fail(&e))?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all()).and_then(|()| {
        drop(file);
        std::fs::rename(&tmp, path)
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(&e));
    }
    // The rename itself is durable once the directory is flushed; where a
    // directory cannot be opened for that, the plan is still whole.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// This process's id, for temporary file names. WASI has no process ids
/// (`std::process::id` panics there, so `npx wireplan plan -o` did): 0,
/// and `create_new` with the attempt number keeps concurrent writers apart.
fn process_tag() -> u32 {
    #[cfg(not(target_os = "wasi"))]
    let tag = std::process::id();
    #[cfg(target_os = "wasi")]
    let tag = 0;
    tag
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
