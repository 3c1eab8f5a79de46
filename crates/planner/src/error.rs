//! The one error type of the crate: input that cannot be used at all.
//!
//! A graph that parses but is wrong (a cycle, a missing provider) is not an
//! [`Error`]: it is a [`crate::Report`] listing every problem. An `Error` is
//! for input that cannot even be read as descriptors, for resource limits,
//! and for cached plans that must not be trusted. Every variant carries what
//! the renderer needs to name the place: the document, the JSON path and the
//! line and column.

use crate::diagnostic::{Code, Diagnostic, Location, Severity};
use crate::escape::escape;
use crate::limits::over_limit;

/// `document`, or `document:line:column` when the place is known.
fn limit_place(document: &str, line: u32, column: u32) -> String {
    if line == 0 {
        document.to_owned()
    } else {
        format!("{document}:{line}:{column}")
    }
}

/// Why descriptors, options or a cached plan could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text is not JSON, or not JSON of the descriptor schema.
    #[error("{}:{line}:{column}: invalid descriptors: {}", escape(.document), escape(.message))]
    Syntax {
        /// Name of the document (a file name, `<stdin>`, `<input>`).
        document: String,
        /// JSON path of the faulty value, such as `services[3].deps[0].key`.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong, in plain words (`` `deps` should be an array of
        /// dependencies, not the string `b` ``): never serde's.
        message: String,
    },
    /// The `version` field names a format this planner does not read.
    #[error("{}:{line}:{column}: unsupported descriptor format version {} (this planner reads version 1)", escape(.document), escape(.found))]
    UnsupportedVersion {
        /// Name of the document.
        document: String,
        /// The version found, as written.
        found: String,
        /// 1-based line of the `version` value (0 when unknown).
        line: usize,
        /// 1-based column of the `version` value (0 when unknown).
        column: usize,
    },
    /// A value that parses but breaks a rule of the schema (an empty id).
    #[error("{}:{line}:{column}: invalid value at `{}`: {}", escape(.document), escape(.path), escape(.message))]
    Invalid {
        /// Name of the document.
        document: String,
        /// JSON path of the value.
        path: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// What rule it breaks.
        message: String,
    },
    /// The planning options are not valid.
    #[error("invalid planning options: {}", escape(.message))]
    Options {
        /// What is wrong.
        message: String,
    },
    /// The input is larger than a configured [`crate::Limits`] allows.
    #[error("{}: {}", escape(&limit_place(.document, *.line, *.column)), over_limit(.what, Some(*.found), *.limit))]
    LimitExceeded {
        /// Name of the document where the limit was crossed.
        document: String,
        /// Which limit, in words (`the number of services`).
        what: String,
        /// The limit in force.
        limit: usize,
        /// What the input has (at least).
        found: usize,
        /// The service that crossed it, when one did (the dependency
        /// bindings and recipe limits name the service whose dependencies
        /// or recipe went over).
        service: Option<String>,
        /// JSON path of the place in the document (`services[12]`), when known.
        path: Option<String>,
        /// 1-based line of the place (0 when unknown).
        line: u32,
        /// 1-based column of the place (0 when unknown).
        column: u32,
    },
    /// A binary plan that is not one, is damaged, or belongs elsewhere.
    #[error("cannot use cached plan: {reason}")]
    Decode {
        /// Which check failed.
        reason: DecodeFault,
    },
}

/// Why a binary plan was rejected. Each is a reason to re-plan, never to trust.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeFault {
    /// The bytes do not start with the plan magic.
    #[error("not a wireplan plan (bad magic)")]
    BadMagic,
    /// Written by another version of the binary format.
    #[error("binary format version {found} (this planner reads {expected})")]
    FormatVersion {
        /// Version in the file.
        found: u16,
        /// Version this build reads.
        expected: u16,
    },
    /// Written by another version of the planner, whose plans may differ.
    #[error("made by planner {found} (this is {expected})")]
    PlannerVersion {
        /// Planner version in the file.
        found: String,
        /// This planner's version.
        expected: String,
    },
    /// Made from other descriptors or options.
    #[error("fingerprint {found} does not match the descriptors ({expected})")]
    Fingerprint {
        /// Fingerprint of the current descriptors.
        expected: String,
        /// Fingerprint stored in the file.
        found: String,
    },
    /// Shorter than its header says.
    #[error("truncated")]
    Truncated,
    /// The body does not match its checksum.
    #[error("checksum mismatch (the file is corrupt)")]
    Checksum,
    /// The body is well-checksummed but inconsistent.
    #[error("corrupt: {0}")]
    Corrupt(String),
}

impl Error {
    /// A limit crossed somewhere in `document`, place unknown.
    pub(crate) fn limit(document: &str, what: &str, limit: usize, found: usize) -> Self {
        Error::LimitExceeded {
            document: document.to_owned(),
            what: what.to_owned(),
            limit,
            found,
            service: None,
            path: None,
            line: 0,
            column: 0,
        }
    }

    /// The stable diagnostic code of this error.
    pub fn code(&self) -> Code {
        match self {
            Error::Syntax { .. } | Error::Invalid { .. } | Error::Options { .. } => Code::InvalidDescriptor,
            Error::UnsupportedVersion { .. } => Code::UnsupportedVersion,
            Error::LimitExceeded { .. } => Code::LimitExceeded,
            Error::Decode { .. } => Code::InvalidPlan,
        }
    }

    /// The error as a diagnostic, so every front end renders it like any other.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let (message, help, location) = match self {
            Error::Syntax { document, path, line, column, message } => (
                format!("invalid descriptors: {message}"),
                Some("see the descriptor format in docs/descriptors.md of the wireplan repository".to_owned()),
                Some(Location::at(document, *line, *column, (!path.is_empty()).then(|| path.clone()))),
            ),
            Error::UnsupportedVersion { document, found, line, column } => (
                format!("unsupported descriptor format version {found}"),
                Some("this planner reads `\"version\": 1`; upgrade wireplan to read newer descriptors".to_owned()),
                Some(Location::at(document, *line, *column, Some("version".to_owned()))),
            ),
            Error::Invalid { document, path, line, column, message } => {
                (format!("invalid value: {message}"), None, Some(Location::at(document, *line, *column, Some(path.clone()))))
            }
            Error::Options { message } => (format!("invalid planning options: {message}"), None, None),
            Error::LimitExceeded { document, what, limit, found, path, line, column, .. } => (
                over_limit(what, Some(*found), *limit),
                Some("raise the limit in the planning options if this input is trusted".to_owned()),
                Some(Location::at(document, *line as usize, *column as usize, path.clone())),
            ),
            Error::Decode { reason } => {
                (format!("cannot use cached plan: {reason}"), Some("the plan will be rebuilt from the descriptors".to_owned()), None)
            }
        };
        let services = match self {
            Error::LimitExceeded { service: Some(id), .. } => vec![id.clone()],
            _ => Vec::new(),
        };
        Diagnostic { code: self.code(), severity: Severity::Error, message, help, services, key: None, location, related: Vec::new() }
    }
}

impl From<DecodeFault> for Error {
    fn from(reason: DecodeFault) -> Self {
        Error::Decode { reason }
    }
}
