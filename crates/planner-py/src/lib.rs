//! `wireplan._core`: the planner, for Python.
//!
//! Thin on purpose: every rule and every word lives in the core crate
//! (`wireplan`); this module only converts arguments, calls the core with
//! the GIL released, and hands back text, bytes or a [`convert::PyPlan`].
//! Graph errors are raised as the Python classes of `wireplan.errors`
//! (see [`errors`]), so `str(err)` is the core's rendering unchanged.

use pyo3::prelude::*;

mod analysis;
mod convert;
mod errors;
// The registry's findings, reported with the graph's problems.
mod reading;
// helper-graphlib: the `wireplan.graphlib` sorter (its own file, its own owner).
mod graphlib;

/// The extension module. `python/wireplan/_core.pyi` documents it for type
/// checkers, and `mypy.stubtest` keeps the two in step.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("VERSION", wireplan::VERSION)?;
    m.add_class::<convert::PyPlan>()?;
    m.add_function(wrap_pyfunction!(convert::plan, m)?)?;
    m.add_function(wrap_pyfunction!(convert::check, m)?)?;
    m.add_function(wrap_pyfunction!(convert::fingerprint, m)?)?;
    m.add_function(wrap_pyfunction!(convert::unknown_key, m)?)?;
    m.add_function(wrap_pyfunction!(convert::escape, m)?)?;
    m.add_function(wrap_pyfunction!(convert::peek_fingerprint, m)?)?;
    m.add_function(wrap_pyfunction!(convert::unrepresentable, m)?)?;
    m.add_function(wrap_pyfunction!(convert::reload, m)?)?;
    for f in [
        wrap_pyfunction!(convert::start_failed, m)?,
        wrap_pyfunction!(convert::ambiguous_key, m)?,
        wrap_pyfunction!(convert::not_planned, m)?,
        wrap_pyfunction!(convert::replaced, m)?,
        wrap_pyfunction!(convert::unknown_id, m)?,
        wrap_pyfunction!(convert::async_in_sync_start, m)?,
        wrap_pyfunction!(convert::timed_out, m)?,
        wrap_pyfunction!(convert::health_timed_out, m)?,
        wrap_pyfunction!(convert::reload_failed, m)?,
        wrap_pyfunction!(convert::signal_received, m)?,
        wrap_pyfunction!(convert::signal_forced, m)?,
        wrap_pyfunction!(convert::stopped, m)?,
        wrap_pyfunction!(convert::event, m)?,
    ] {
        m.add_function(f)?;
    }
    m.add_function(wrap_pyfunction!(reading::check_findings, m)?)?;
    m.add_class::<analysis::PyAnalysis>()?;
    for f in [
        wrap_pyfunction!(analysis::analyze, m)?,
        wrap_pyfunction!(analysis::render_timeline, m)?,
        wrap_pyfunction!(analysis::inspect, m)?,
        wrap_pyfunction!(analysis::cli, m)?,
    ] {
        m.add_function(f)?;
    }
    // helper-graphlib: registers `TopologicalSorter` for `wireplan.graphlib`.
    graphlib::register(m)?;
    Ok(())
}
