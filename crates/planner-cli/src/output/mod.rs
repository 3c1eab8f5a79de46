//! Reports printed in each `--format`. Every word of a diagnostic comes
//! from the core (`Report::render`, `Report::to_json`); these modules only
//! arrange them for a person, a workflow log or a code-scanning tool.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use wireplan::Report;

use crate::args::ReportFormat;

/// The report in `format`; `color` applies to the human form only.
pub fn report(report: &Report, format: ReportFormat, color: bool) -> String {
    match format {
        ReportFormat::Human => human::render(report, color),
        ReportFormat::Json => json::render(report),
        ReportFormat::Github => github::render(report),
        ReportFormat::Sarif => sarif::render(report),
    }
}
