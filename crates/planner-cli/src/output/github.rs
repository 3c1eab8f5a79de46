//! GitHub Actions workflow commands: the core's rendering
//! (`wireplan::render::github`), shared with the Python package's CLI.

use wireplan::Report;

/// One workflow command per diagnostic.
pub fn render(report: &Report) -> String {
    wireplan::render::github::render(report)
}
