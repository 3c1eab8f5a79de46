//! The problems `wireplan.registry` finds while reading providers' code,
//! reported together with the graph's own (see `wireplan::reading`).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use wireplan::reading::Finding;
use wireplan::Document;

/// Checks descriptor documents together with the registry's findings
/// (a JSON list of `wireplan::reading::Finding`): `(report_json,
/// rendering)` of one report holding both, as `check` returns.
#[pyfunction]
#[pyo3(signature = (documents, findings, profile = None, roots = None, limits = None))]
pub(crate) fn check_findings(
    py: Python<'_>,
    documents: Vec<(String, String)>,
    findings: &str,
    profile: Option<String>,
    roots: Option<Vec<String>>,
    limits: Option<std::collections::BTreeMap<String, u64>>,
) -> PyResult<(String, String)> {
    let options = crate::convert::options(profile, roots, limits)?;
    let findings: Vec<Finding> = serde_json::from_str(findings).map_err(|e| PyValueError::new_err(format!("invalid findings: {e}")))?;
    let report = py.detach(|| {
        let docs: Vec<Document<'_>> = documents.iter().map(|(name, text)| Document { name, text }).collect();
        wireplan::reading::check_with_findings(&docs, &options, &findings)
    });
    let report = report.in_dialect(wireplan::render::dialect::Dialect::Python);
    Ok((report.to_json(), report.render()))
}
