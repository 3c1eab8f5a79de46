//! The graph as the core resolved it, for Python: pictures, `explain`,
//! `diff`, start-up timelines, binary plan inspection, and the command line.
//!
//! Conversion only: every word and every byte of output is the core's (or
//! the CLI crate's, for `wireplan._core.cli`).

use pyo3::exceptions::{PyLookupError, PyValueError};
use pyo3::prelude::*;
use wireplan::render::{self, Style};
use wireplan::{Analysis, Descriptors, Document};

use crate::convert::{options, parse_fingerprint};

/// A graph, valid or broken, with the core's report and (when valid) plan.
#[pyclass(frozen, name = "Analysis", module = "wireplan._core")]
pub(crate) struct PyAnalysis {
    pub(crate) inner: Analysis,
}

/// Parses, plans and keeps the resolution of descriptor documents. Raises
/// the core's error only when the input cannot be used at all (it does not
/// parse, or a limit); a broken graph is an analysis with errors.
#[pyfunction]
#[pyo3(signature = (documents, profile = None, roots = None, limits = None))]
pub(crate) fn analyze(
    py: Python<'_>,
    documents: Vec<(String, String)>,
    profile: Option<String>,
    roots: Option<Vec<String>>,
    limits: Option<std::collections::BTreeMap<String, u64>>,
) -> PyResult<PyAnalysis> {
    let options = options(profile, roots, limits)?;
    let result = py.detach(|| {
        let docs: Vec<Document<'_>> = documents.iter().map(|(name, text)| Document { name, text }).collect();
        let descriptors = Descriptors::parse_all_with(&docs, &options.limits).map_err(wireplan::Report::from)?;
        wireplan::analyze(&descriptors, &options)
    });
    match result {
        Ok(inner) => Ok(PyAnalysis { inner }),
        Err(report) => Err(crate::errors::report_error(py, &report)),
    }
}

impl PyAnalysis {
    fn focused(&self, focus: Option<&str>) -> PyResult<std::borrow::Cow<'_, Analysis>> {
        match focus {
            None => Ok(std::borrow::Cow::Borrowed(&self.inner)),
            Some(name) => {
                let node = self.inner.find_service(name).map_err(|u| PyLookupError::new_err(u.to_string()))?;
                Ok(std::borrow::Cow::Owned(self.inner.focus(node)))
            }
        }
    }
}

#[pymethods]
impl PyAnalysis {
    /// Whether the graph is valid.
    #[getter]
    fn valid(&self) -> bool {
        self.inner.is_valid()
    }

    /// The report (errors and warnings) as the core's JSON.
    fn report_json(&self) -> String {
        self.inner.report().to_json()
    }

    /// The report in the core's words.
    fn report_text(&self) -> String {
        self.inner.report().render()
    }

    /// Graphviz DOT; with `focus` (an id or a key of one service), only it,
    /// what it needs and what needs it.
    #[pyo3(signature = (focus = None))]
    fn dot(&self, focus: Option<&str>) -> PyResult<String> {
        let a = self.focused(focus)?;
        Ok(render::picture::dot(&a))
    }

    /// A Mermaid flowchart, as [`Self::dot`].
    #[pyo3(signature = (focus = None))]
    fn mermaid(&self, focus: Option<&str>) -> PyResult<String> {
        let a = self.focused(focus)?;
        Ok(render::picture::mermaid(&a))
    }

    /// `name` (an id or a key) explained, in words or as JSON; with `why`,
    /// the chain that orders the two. Raises `LookupError` with the core's
    /// did-you-mean when a name is unknown.
    #[pyo3(signature = (name, why = None, json = false))]
    fn explain(&self, name: &str, why: Option<&str>, json: bool) -> PyResult<String> {
        let e = self.inner.explain(name, why).map_err(|u| PyLookupError::new_err(u.to_string()))?;
        Ok(if json { render::explain::json(&self.inner, &e) } else { render::explain::human(&self.inner, &e, &Style::plain()) })
    }

    /// What changed from `self` (old) to `new`, in words or as JSON.
    #[pyo3(signature = (new, json = false))]
    fn diff(&self, new: &PyAnalysis, json: bool) -> String {
        let changes = wireplan::diff(&self.inner, &new.inner);
        if json {
            render::diff::json(&changes)
        } else {
            render::diff::human(&changes, &Style::plain())
        }
    }
}

/// Renders a start-up record (its JSON text): `chain`, `blame`, `svg` or
/// `trace`. Raises `ValueError` with the core's words for a bad record.
#[pyfunction]
#[pyo3(signature = (record, format = "chain", name = "<timeline>"))]
pub(crate) fn render_timeline(record: &str, format: &str, name: &str) -> PyResult<String> {
    let t = wireplan::Timeline::parse(name, record, &wireplan::Limits::default()).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(match format {
        "chain" => render::timeline::critical_chain(&t),
        "blame" => render::timeline::blame(&t),
        "svg" => render::timeline::svg(&t),
        "trace" => render::timeline::chrome_trace(&t),
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown timeline format `{}`: `chain`, `blame`, `svg` or `trace`",
                wireplan::escape(other)
            )))
        }
    })
}

/// A binary plan's header and verdict: `(usable, text, json)`, `name`
/// being the file's; with `expected`, it must carry that fingerprint.
#[pyfunction]
#[pyo3(signature = (data, name = "<plan>", expected = None))]
pub(crate) fn inspect(py: Python<'_>, data: &[u8], name: &str, expected: Option<&str>) -> PyResult<(bool, String, String)> {
    let expected = expected.map(parse_fingerprint).transpose()?;
    let found = py.detach(|| wireplan::inspect(data, expected));
    Ok((found.usable(), found.human(name), found.json()))
}

/// Runs the `wireplan` command line (`argv` without the program name) in
/// this process, as the Rust binary does: output on file descriptors 1 and
/// 2 (the caller flushes Python's buffers first), the exit code returned.
#[pyfunction]
pub(crate) fn cli(py: Python<'_>, argv: Vec<std::ffi::OsString>) -> u8 {
    let mut args = vec![std::ffi::OsString::from("wireplan")];
    args.extend(argv);
    py.detach(|| wireplan_cli::run(args))
}

/// An analysis of a core plan (a compiled or cached plan).
pub(crate) fn of_plan(plan: wireplan::Plan) -> PyAnalysis {
    PyAnalysis { inner: Analysis::from_plan(plan) }
}
