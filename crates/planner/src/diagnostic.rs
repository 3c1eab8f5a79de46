//! The report: every problem found in a graph, as data.
//!
//! The JSON shape of [`Report`] is a public contract read by other tools:
//! `{"diagnostics": [{"code", "severity", "message", "help", "services",
//! "key", "location", "related"}]}`. Every field is always present (`null`
//! or `[]` when empty) so that parsers need no special cases. Codes are
//! stable kebab-case names; new codes may be added, none renamed.

use serde::{Deserialize, Serialize};

/// Stable identifier of a kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Code {
    /// Services that need each other through non-lazy dependencies.
    DependencyCycle,
    /// A required key that no service provides.
    MissingDependency,
    /// A single (non-`many`) dependency with more than one provider.
    AmbiguousDependency,
    /// A singleton that holds on to a scoped service.
    CaptiveDependency,
    /// Two services with the same id.
    DuplicateId,
    /// A `replaces` entry naming no service, or a service replaced twice.
    InvalidReplacement,
    /// A root that names no service.
    UnknownRoot,
    /// With roots, a service none of them needs (a warning).
    UnusedService,
    /// A profile to plan for that no service lists in its `profiles` (a
    /// warning: only the services without profiles are planned).
    UnknownProfile,
    /// Descriptors that are not valid JSON of the schema.
    InvalidDescriptor,
    /// Descriptors of another format version.
    UnsupportedVersion,
    /// Input over a configured resource limit; also the last diagnostic of
    /// a report cut at `max_diagnostics`, counting the ones not shown.
    LimitExceeded,
    /// A binary plan that cannot be trusted.
    InvalidPlan,
    /// A provider's type hint that cannot be evaluated (found by a front
    /// end reading code; see `reading.rs`).
    UnresolvedAnnotation,
    /// A provider's parameter or return with no type hint naming a key.
    MissingAnnotation,
    /// A dependency or provided key of a builtin type that is not named.
    UnnamedBuiltin,
    /// Different classes whose keys are the same text.
    KeyCollision,
}

impl Code {
    /// The kebab-case name, as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::DependencyCycle => "dependency-cycle",
            Code::MissingDependency => "missing-dependency",
            Code::AmbiguousDependency => "ambiguous-dependency",
            Code::CaptiveDependency => "captive-dependency",
            Code::DuplicateId => "duplicate-id",
            Code::InvalidReplacement => "invalid-replacement",
            Code::UnknownRoot => "unknown-root",
            Code::UnusedService => "unused-service",
            Code::UnknownProfile => "unknown-profile",
            Code::InvalidDescriptor => "invalid-descriptor",
            Code::UnsupportedVersion => "unsupported-version",
            Code::LimitExceeded => "limit-exceeded",
            Code::InvalidPlan => "invalid-plan",
            Code::UnresolvedAnnotation => "unresolved-annotation",
            Code::MissingAnnotation => "missing-annotation",
            Code::UnnamedBuiltin => "unnamed-builtin",
            Code::KeyCollision => "key-collision",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How bad a diagnostic is: errors make the graph invalid, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The graph cannot be planned.
    Error,
    /// Worth a look; the plan is still valid.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A place: a provider's source line, or a value in a descriptor document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Location {
    /// File (or document name).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// 1-based column, when known.
    pub column: Option<u32>,
    /// JSON path inside a descriptor document, when the place is one.
    pub path: Option<String>,
}

impl Location {
    /// A whole file.
    pub fn file(file: &str) -> Self {
        Location { file: file.to_owned(), line: None, column: None, path: None }
    }

    /// A line and column of a document (0 means unknown).
    pub fn at(file: &str, line: usize, column: usize, path: Option<String>) -> Self {
        let known = |n: usize| if n == 0 { None } else { u32::try_from(n).ok() };
        Location { file: file.to_owned(), line: known(line), column: known(column), path }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// A secondary place or fact attached to a diagnostic: one hop of a cycle,
/// one service that asked for a missing key, one provider of an ambiguous key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Related {
    /// One line saying what this place has to do with the problem.
    pub message: String,
    /// The service it is about, when it is about one.
    pub service: Option<String>,
    /// The key involved at this place, when there is one.
    pub key: Option<String>,
    /// Where it is.
    pub location: Option<Location>,
}

/// One problem, with everything a person or a tool needs to act on it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// One line, lowercase, user input in backticks.
    pub message: String,
    /// What to do about it, when there is something to say.
    pub help: Option<String>,
    /// The services involved; for a cycle, the path in dependency order with
    /// the first service repeated at the end; for a missing key, who asked.
    pub services: Vec<String>,
    /// The key involved (missing, ambiguous, captured), when there is one.
    pub key: Option<String>,
    /// The primary place.
    pub location: Option<Location>,
    /// Secondary places, in the order the text shows them.
    pub related: Vec<Related>,
}

/// Every problem found, errors first, in a deterministic order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Report {
    /// The diagnostics.
    pub diagnostics: Vec<Diagnostic>,
}

impl Diagnostic {
    /// About how many bytes the diagnostic holds: its text, plus a little
    /// for each string and entry. What `max_report_bytes` counts.
    pub(crate) fn weight(&self) -> usize {
        const ENTRY: usize = 32;
        // The rendered (escaped) length: a key of DEL characters takes six
        // times its size on screen.
        let len = |t: &str| crate::escape::escaped_len(t);
        let location = |l: &Option<Location>| l.as_ref().map_or(0, |l| ENTRY + len(&l.file) + l.path.as_deref().map_or(0, len));
        let text = |t: &Option<String>| t.as_deref().map_or(0, len);
        let services: usize = self.services.iter().map(|s| ENTRY + len(s)).sum();
        let related: usize =
            self.related.iter().map(|r| ENTRY + len(&r.message) + text(&r.service) + text(&r.key) + location(&r.location)).sum();
        ENTRY + len(&self.message) + text(&self.help) + text(&self.key) + location(&self.location) + services + related
    }
}

impl Report {
    /// True when at least one diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Error).count()
    }

    /// Number of warnings.
    pub fn warning_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == Severity::Warning).count()
    }

    /// The report as pretty JSON (the documented shape).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{\"diagnostics\": []}".to_owned())
    }
}

impl From<crate::Error> for Report {
    fn from(error: crate::Error) -> Self {
        Report { diagnostics: vec![error.to_diagnostic()] }
    }
}
