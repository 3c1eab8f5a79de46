//! Raising the core's reports as Python exceptions.
//!
//! The exception classes live in Python (`wireplan.errors`), where they can
//! be subclassed, pickled and documented like any Python error; the binding
//! only hands over the report. `wireplan.errors._from_core(report_json,
//! rendering)` picks the subclass from the first error's code.

use pyo3::prelude::*;
use wireplan::Report;

/// The Python exception for a report: a `wireplan.errors.PlanError` subclass
/// carrying the report JSON and the rendering, both made by the core.
pub(crate) fn report_error(py: Python<'_>, report: &Report) -> PyErr {
    let raise = || -> PyResult<PyErr> {
        let factory = py.import("wireplan.errors")?.getattr("_from_core")?;
        // Help in the words of the Python API (`wireplan.Lazy[T]`, ...).
        let report = report.in_dialect(wireplan::render::dialect::Dialect::Python);
        let exc = factory.call1((report.to_json(), report.render()))?;
        Ok(PyErr::from_value(exc))
    };
    // If the Python package itself cannot be imported, that failure is the
    // more useful error to show.
    raise().unwrap_or_else(|e| e)
}

/// A core error (unreadable descriptors, an untrustworthy binary plan) as a
/// Python exception: rendered as a one-diagnostic report.
pub(crate) fn core_error(py: Python<'_>, error: wireplan::Error) -> PyErr {
    report_error(py, &Report::from(error))
}
