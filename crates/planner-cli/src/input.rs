//! Reading descriptor files: bytes from disk or standard input, UTF-8
//! checked, YAML and TOML converted to JSON text, then parsed by the core.
//!
//! The CLI never interprets descriptors itself: YAML and TOML are written
//! out as JSON text (streamed for YAML, see [`crate::yaml`] and
//! [`crate::toml_doc`]), so the core sees one format and its errors (JSON
//! path, line:column) stay the only words about them.
//!
//! Every read is bounded: at most `max_input_bytes` + 1 bytes from a file,
//! a device or standard input, and the converted text is held to the same
//! limit while it is written.

use std::path::Path;

use wireplan::{Descriptors, Document, Error, Limits, Report};

use crate::failure::Failure;
use crate::{toml_doc, yaml};

/// Which syntax a file is written in, chosen by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// `.json`, anything unknown, and standard input.
    Json,
    /// `.yaml` or `.yml`.
    Yaml,
    /// `.toml`.
    Toml,
}

impl Syntax {
    /// The syntax of a file named `name` (`-` is JSON on standard input).
    pub fn of(name: &str) -> Self {
        let ext = Path::new(name).extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("yaml" | "yml") => Syntax::Yaml,
            Some("toml") => Syntax::Toml,
            _ => Syntax::Json,
        }
    }
}

/// One input document, as JSON text for the core.
#[derive(Debug)]
pub struct Source {
    /// The name used in diagnostics: the path as given, or `<stdin>`.
    pub name: String,
    /// JSON text (converted from YAML or TOML when `syntax` says so).
    pub text: String,
    /// What the file was written in.
    pub syntax: Syntax,
    /// The YAML or TOML text as written, kept to place the core's findings in it.
    pub original: Option<String>,
}

/// Reads every file, in order.
///
/// # Errors
/// [`Failure::Input`] (one line naming the file) when a file cannot be read
/// or is not UTF-8; [`Failure::Parse`] when YAML or TOML is malformed.
pub fn read_all(names: &[String]) -> Result<Vec<Source>, Failure> {
    names.iter().map(|n| read(n)).collect()
}

/// Reads one file (`-` is standard input), at most `max_input_bytes` + 1
/// bytes of it, so `/dev/zero` or an endless pipe is refused, never read
/// until memory runs out.
///
/// # Errors
/// As for [`read_all`]; an input over the limit is a `limit-exceeded`
/// report ([`Failure::Parse`]).
pub fn read(name: &str) -> Result<Source, Failure> {
    let max = Limits::DEFAULT.max_input_bytes;
    let Source { name: display, text, .. } = read_text(name)?;
    let syntax = if name == "-" { Syntax::Json } else { Syntax::of(name) };
    let (text, original) = match syntax {
        Syntax::Json => (text, None),
        Syntax::Yaml => (yaml_to_json(&display, &text, max)?, Some(text)),
        Syntax::Toml => (toml_to_json(&display, &text, max)?, Some(text)),
    };
    Ok(Source { name: display, text, syntax, original })
}

/// Reads one file (`-` is standard input) as UTF-8 text, as written (no
/// YAML or TOML conversion), bounded as [`read`].
///
/// # Errors
/// As for [`read`].
pub fn read_text(name: &str) -> Result<Source, Failure> {
    let display = if name == "-" { "<stdin>".to_owned() } else { name.to_owned() };
    let text = utf8(&display, read_bytes(name)?)?;
    Ok(Source { name: display, text, syntax: Syntax::Json, original: None })
}

/// Reads one file's bytes (`-` is standard input), bounded as [`read`].
///
/// # Errors
/// As for [`read`].
pub fn read_bytes(name: &str) -> Result<Vec<u8>, Failure> {
    let max = Limits::DEFAULT.max_input_bytes;
    let bytes = if name == "-" {
        read_bounded(std::io::stdin().lock(), max, 0)
            .map_err(|e| Failure::Input(format!("cannot read standard input: {}", io_words(&e))))?
    } else {
        read_file(name, max)?
    };
    if bytes.len() > max {
        let display = if name == "-" { "<stdin>" } else { name };
        return Err(too_big(display, None, yaml::what::INPUT_BYTES, max, bytes.len()));
    }
    Ok(bytes)
}

/// Reads at most `max + 1` bytes: enough to know the input is too big.
/// The buffer grows by doubling but never past `max + 1` bytes, so an
/// endless input stops there (`/dev/zero`: 266 MB peak, 0.4 s).
fn read_bounded(mut reader: impl std::io::Read, max: usize, size_hint: usize) -> std::io::Result<Vec<u8>> {
    let limit = max.saturating_add(1);
    // A regular file's size: read it into one buffer of the right size.
    let mut bytes = Vec::with_capacity(size_hint.saturating_add(1).min(limit));
    let mut chunk = vec![0u8; 64 * 1024];
    while bytes.len() < limit {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let take = n.min(limit - bytes.len());
        if bytes.len() + take > bytes.capacity() {
            let want = bytes.capacity().saturating_mul(2).max(bytes.len() + take).min(limit);
            bytes.reserve_exact(want - bytes.len());
        }
        bytes.extend_from_slice(chunk.get(..take).unwrap_or_default());
    }
    Ok(bytes)
}

/// Opens a file for reading without waiting: a FIFO that no process
/// writes to would block `open` forever, so it is opened non-blocking, then
/// the flag is cleared (a FIFO with no writer then reads as empty, at once).
#[cfg(unix)]
fn open(name: &str) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let file = std::fs::OpenOptions::new().read(true).custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32).open(name)?;
    let flags = rustix::fs::fcntl_getfl(&file)?;
    rustix::fs::fcntl_setfl(&file, flags - rustix::fs::OFlags::NONBLOCK)?;
    Ok(file)
}

#[cfg(not(unix))]
fn open(name: &str) -> std::io::Result<std::fs::File> {
    std::fs::File::open(name)
}

fn read_file(name: &str, max: usize) -> Result<Vec<u8>, Failure> {
    let fail = |why: String| Failure::Input(format!("cannot read `{name}`: {why}"));
    let file = open(name).map_err(|e| fail(io_words(&e)))?;
    let meta = file.metadata().map_err(|e| fail(io_words(&e)))?;
    if meta.is_dir() {
        return Err(fail("it is a directory, not a descriptor file".to_owned()));
    }
    // A regular file's size is known: one buffer of that size, and a file
    // over the limit is refused without reading it. A device or a pipe
    // (`/dev/zero`, `<(yes)`) has no size: it is read up to the limit.
    let size = if meta.is_file() { usize::try_from(meta.len()).unwrap_or(usize::MAX) } else { 0 };
    if size > max {
        return Err(too_big(name, None, yaml::what::INPUT_BYTES, max, size));
    }
    read_bounded(file, max, size).map_err(|e| fail(io_words(&e)))
}

/// The core's `limit-exceeded` for a document, at a place when known.
fn too_big(name: &str, at: Option<(usize, usize)>, what: &str, limit: usize, found: usize) -> Failure {
    let (line, column) = at.unwrap_or((0, 0));
    let (line, column) = (u32::try_from(line).unwrap_or(0), u32::try_from(column).unwrap_or(0));
    Failure::Parse(Report::from(Error::LimitExceeded {
        document: name.to_owned(),
        what: what.to_owned(),
        limit,
        found,
        service: None,
        path: None,
        line,
        column,
    }))
}

/// An I/O error in the project's words: lowercase, no OS error number.
pub fn io_words(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "no such file".to_owned(),
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        ErrorKind::IsADirectory => "it is a directory, not a descriptor file".to_owned(),
        ErrorKind::OutOfMemory => "not enough memory to hold it".to_owned(),
        _ => {
            let text = e.to_string();
            let text = match text.find(" (os error") {
                Some(i) => text.get(..i).unwrap_or(&text).to_owned(),
                None => text,
            };
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => "unknown error".to_owned(),
            }
        }
    }
}

/// Checks UTF-8 and drops a byte-order mark, naming the first bad byte's
/// line and column when the text is not UTF-8.
fn utf8(name: &str, bytes: Vec<u8>) -> Result<String, Failure> {
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..'\u{feff}'.len_utf8());
            }
            Ok(text)
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let good = e.as_bytes().get(..at).unwrap_or(&[]);
            let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            let column = String::from_utf8_lossy(good.get(line_start..).unwrap_or(&[])).chars().count() + 1;
            Err(Failure::Input(format!(
                "cannot read `{name}`: invalid UTF-8 at {line}:{column} (byte {at}); descriptors must be UTF-8 text"
            )))
        }
    }
}

/// Replaces the help of a CLI-only limit: the core's help speaks of the
/// planning options, which do not hold these.
fn with_help(mut failure: Failure, help: Option<&str>) -> Failure {
    if let (Failure::Parse(report), Some(help)) = (&mut failure, help) {
        for d in &mut report.diagnostics {
            d.help = Some(help.to_owned());
        }
    }
    failure
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

fn syntax_error(name: &str, line: usize, column: usize, message: String) -> Failure {
    Failure::Parse(Report::from(Error::Syntax { document: name.to_owned(), path: "(document)".to_owned(), line, column, message }))
}

fn yaml_to_json(name: &str, text: &str, max: usize) -> Result<String, Failure> {
    yaml::to_json(text, max).map_err(|fault| match fault {
        yaml::Fault::Syntax { line, column, message } => syntax_error(name, line, column, format!("malformed YAML: {message}")),
        yaml::Fault::Limit { line, column, what, limit, found } => {
            let help = (what == yaml::what::ALIASES)
                .then_some("aliases may add at most the size of the file itself (1 MiB for a smaller file); write the repeated values out");
            with_help(too_big(name, Some((line, column)), what, limit, found), help)
        }
    })
}

fn toml_to_json(name: &str, text: &str, max: usize) -> Result<String, Failure> {
    toml_doc::to_json(text, max).map_err(|fault| match fault {
        toml_doc::Fault::Syntax { offset, message } => {
            let (line, column) = offset.map_or((0, 0), |o| line_column(text, o));
            syntax_error(name, line, column, format!("malformed TOML: {message}"))
        }
        toml_doc::Fault::Limit { offset, what, limit, found } => {
            let help = (what == toml_doc::VALUES).then_some("split the file, or write it as JSON, which is read as it goes");
            with_help(too_big(name, Some(line_column(text, offset)), what, limit, found), help)
        }
    })
}

/// Parses the sources as one merged set of descriptors.
///
/// # Errors
/// The core's report of the first unusable document.
pub fn parse(sources: &[Source]) -> Result<Descriptors<'_>, Report> {
    let documents: Vec<Document<'_>> = sources.iter().map(|s| Document { name: &s.name, text: &s.text }).collect();
    Descriptors::parse_all(&documents).map_err(|e| {
        let mut report = Report::from(e);
        place_converted(&mut report, sources);
        report
    })
}

/// Line and column the core computes for a YAML or TOML file are places in
/// the converted JSON text, not in the file. They are found again from the
/// JSON path, by one more pass over the file (the error path only); where
/// that fails (a value inside a YAML alias's copy), the JSON path stays and
/// the line goes.
pub fn place_converted(report: &mut Report, sources: &[Source]) {
    for source in sources.iter().filter(|s| s.syntax != Syntax::Json) {
        let mut wanted: Vec<String> = Vec::new();
        let mut locations: Vec<&mut wireplan::Location> = report
            .diagnostics
            .iter_mut()
            .flat_map(|d| d.location.as_mut().into_iter().chain(d.related.iter_mut().filter_map(|r| r.location.as_mut())))
            .filter(|loc| loc.file == source.name)
            .collect();
        for loc in &locations {
            wanted.push(loc.path.clone().unwrap_or_default());
        }
        let paths: Vec<&str> = wanted.iter().map(String::as_str).collect();
        let found = match &source.original {
            Some(text) if source.syntax == Syntax::Yaml => yaml::places(text, &paths),
            Some(text) => toml_doc::places(text, &paths).into_iter().map(|o| o.map(|o| line_column(text, o))).collect(),
            None => vec![None; wanted.len()],
        };
        for (loc, place) in locations.iter_mut().zip(found) {
            let (line, column) = place.map_or((None, None), |(l, c)| (u32::try_from(l).ok(), u32::try_from(c).ok()));
            loc.line = line;
            loc.column = column;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_by_extension() {
        assert_eq!(Syntax::of("a.yaml"), Syntax::Yaml);
        assert_eq!(Syntax::of("a.YML"), Syntax::Yaml);
        assert_eq!(Syntax::of("a.toml"), Syntax::Toml);
        assert_eq!(Syntax::of("a.json"), Syntax::Json);
        assert_eq!(Syntax::of("a"), Syntax::Json);
    }

    #[test]
    fn line_column_counts_characters() {
        assert_eq!(line_column("ab\ncé d", 7), (2, 4));
        assert_eq!(line_column("", 0), (1, 1));
    }
}
