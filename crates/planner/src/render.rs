//! The words: every diagnostic rendered once, here, for every front end.
//!
//! The CLI prints this text, Python's `str(error)` is this text, and JS's
//! `error.message` is this text. A sample, for a cycle:
//!
//! ```text
//! error[dependency-cycle]: dependency cycle: `clock` -> `server` -> `clock`
//!   --> app/clock.py:3
//!    |
//!    | `clock` needs `server`   (app/clock.py:3)
//!    | `server` needs `clock`   (app/server.py:10)
//!    | which is `clock` again   (app/clock.py:3)
//!    |
//!    = help: break the cycle: make one of these dependencies lazy (`"lazy": true`), or remove it
//!
//! error: 1 error
//! ```

pub mod dialect;
pub mod diff;
pub mod explain;
pub mod github;
pub mod host;
pub mod option;

pub(crate) use crate::phrase::{did_you_mean, names};
pub mod picture;
pub mod runtime;
pub mod timeline;

use std::fmt::Write as _;

use crate::diagnostic::{Diagnostic, Location, Report, Severity};
use crate::escape::escape;

/// How to render: plain text, or with ANSI colors for a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Use ANSI colors.
    pub color: bool,
}

impl Style {
    /// No colors (files, pipes, Python and JS messages).
    pub fn plain() -> Self {
        Style { color: false }
    }

    /// ANSI colors, for a terminal that wants them.
    pub fn colored() -> Self {
        Style { color: true }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// A place as text, its file name escaped.
fn place(loc: &Location) -> String {
    escape(&loc.to_string()).into_owned()
}

/// Renders one diagnostic. Every piece of user input (ids, keys, file
/// names, JSON paths; they are inside the messages) goes through
/// [`escape`], so no control or bidi character reaches a terminal or a log.
pub fn render_diagnostic(d: &Diagnostic, style: &Style) -> String {
    let mut out = String::new();
    let (label, color) = match d.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
    };
    let head = format!("{label}[{}]", d.code);
    let _ = writeln!(out, "{}{}", style.paint(color, &head), style.paint("1", &format!(": {}", escape(&d.message))));
    let arrow = style.paint("1;34", "-->");
    let bar = style.paint("1;34", "|");
    if let Some(loc) = &d.location {
        match &loc.path {
            Some(path) => {
                let _ = writeln!(out, "  {arrow} {} (at `{}`)", place(loc), escape(path));
            }
            None => {
                let _ = writeln!(out, "  {arrow} {}", place(loc));
            }
        }
    }
    if !d.related.is_empty() {
        let messages: Vec<_> = d.related.iter().map(|r| escape(&r.message)).collect();
        let width = messages.iter().map(|m| m.chars().count()).max().unwrap_or(0);
        let _ = writeln!(out, "   {bar}");
        for (r, message) in d.related.iter().zip(&messages) {
            match &r.location {
                Some(loc) => {
                    let pad = width.saturating_sub(message.chars().count());
                    let _ = writeln!(out, "   {bar} {message}{}   ({})", " ".repeat(pad), place(loc));
                }
                None => {
                    let _ = writeln!(out, "   {bar} {message}");
                }
            }
        }
        let _ = writeln!(out, "   {bar}");
    }
    if let Some(help) = &d.help {
        let eq = style.paint("1;34", "=");
        let _ = writeln!(out, "   {eq} {}: {}", style.paint("1", "help"), escape(help));
    }
    out
}

/// Renders a whole report: each diagnostic, a blank line between them, and
/// a closing count.
pub fn render_report(report: &Report, style: &Style) -> String {
    let mut out = String::new();
    for d in &report.diagnostics {
        out.push_str(&render_diagnostic(d, style));
        out.push('\n');
    }
    out.push_str(&summary(report, style));
    out
}

/// The closing line: `error: 2 errors, 1 warning`, or `ok: no problems`.
pub fn summary(report: &Report, style: &Style) -> String {
    let errors = report.error_count();
    let warnings = report.warning_count();
    let plural = |n: usize, word: &str| if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") };
    if errors > 0 {
        let mut s = format!("{}: {}", style.paint("1;31", "error"), plural(errors, "error"));
        if warnings > 0 {
            let _ = write!(s, ", {}", plural(warnings, "warning"));
        }
        s.push('\n');
        s
    } else if warnings > 0 {
        format!("{}: {}\n", style.paint("1;33", "warning"), plural(warnings, "warning"))
    } else {
        "ok: no problems\n".to_owned()
    }
}

/// The words for a runtime's lookup of a key that no service in the plan
/// provides (Python's `app.get`, JS's `app.get`), with up to three closest
/// keys among `candidates`, best first. Rendered here so that every runtime
/// says the same; returns the message (user input escaped, see
/// [`escape`]) and the suggestions it names (exact).
pub fn unknown_key<'c>(key: &str, candidates: &[&'c str]) -> (String, Vec<&'c str>) {
    let suggestions = crate::suggest::suggest(key, candidates);
    let mut text = format!("no service provides `{}`", escape(key));
    if let Some(clause) = did_you_mean(&suggestions, true) {
        let _ = write!(text, "; {clause}");
    }
    (text, suggestions)
}

impl Report {
    /// The report as text for a person (the same words in every language).
    pub fn render(&self) -> String {
        render_report(self, &Style::plain())
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render())
    }
}

#[cfg(test)]
mod tests {
    use super::unknown_key;

    #[test]
    fn an_unknown_key_names_the_closest_ones() {
        let (text, names) = unknown_key("app.Databse", &["app.Database", "app.Cache"]);
        assert_eq!(names, ["app.Database"]);
        assert_eq!(text, "no service provides `app.Databse`; did you mean `app.Database`?");
        assert_eq!(unknown_key("zzz", &["app.Cache"]).0, "no service provides `zzz`");
    }
}
