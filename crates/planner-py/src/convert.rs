//! Conversion between Python values and the core's types, and the calls.
//!
//! Documents cross as `(name, text)` pairs of JSON text: building the list
//! of dicts and `json.dumps` on the Python side is faster than walking
//! Python objects from Rust one by one. Plans cross as [`PyPlan`], which the
//! Python runtime reads through `tables()`: flat lists, one per table.

use pyo3::exceptions::{PyIndexError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use wireplan::{Document, Fingerprint, Options, Plan, Report};

use crate::errors::{core_error, report_error};

/// Planning options from the Python arguments. `limits` maps the core's
/// limit names (`max_services`...) to values; the core's own options reader
/// reads them, so an unknown name or a wrong value is refused in the same
/// words as in JSON options (never serde's).
pub(crate) fn options(
    profile: Option<String>,
    roots: Option<Vec<String>>,
    limits: Option<std::collections::BTreeMap<String, u64>>,
) -> PyResult<Options> {
    let limits = match limits {
        None => wireplan::Limits::default(),
        Some(map) => {
            let text = serde_json::json!({ "limits": map }).to_string();
            Options::from_json(&text).map_err(|e| PyValueError::new_err(e.to_string()))?.limits
        }
    };
    Ok(Options { profile, roots: roots.unwrap_or_default(), limits })
}

fn documents(docs: &[(String, String)]) -> Vec<Document<'_>> {
    docs.iter().map(|(name, text)| Document { name, text }).collect()
}

pub(crate) fn parse_fingerprint(text: &str) -> PyResult<Fingerprint> {
    Fingerprint::from_hex(text).ok_or_else(|| PyValueError::new_err(format!("invalid fingerprint `{text}`: expected 32 hex digits")))
}

/// Parses and plans descriptor documents, merged in order.
///
/// Raises a `wireplan.errors.PlanError` subclass holding the whole report
/// when the graph cannot be planned.
#[pyfunction]
#[pyo3(signature = (documents, profile = None, roots = None, limits = None))]
pub(crate) fn plan(
    py: Python<'_>,
    documents: Vec<(String, String)>,
    profile: Option<String>,
    roots: Option<Vec<String>>,
    limits: Option<std::collections::BTreeMap<String, u64>>,
) -> PyResult<PyPlan> {
    let options = options(profile, roots, limits)?;
    // Planning touches no Python object: let other threads run meanwhile.
    let result = py.detach(|| wireplan::plan_documents(&self::documents(&documents), &options));
    match result {
        Ok(inner) => Ok(PyPlan { inner }),
        Err(report) => Err(report_error(py, &report)),
    }
}

/// Checks descriptor documents without raising: `(report_json, rendering)`,
/// errors and warnings alike (an empty report means valid and clean). With
/// `github`, the text is GitHub Actions workflow commands instead (the core's
/// `render::github`, as the Rust CLI's `--format github` prints).
#[pyfunction]
#[pyo3(signature = (documents, profile = None, roots = None, limits = None, github = false))]
pub(crate) fn check(
    py: Python<'_>,
    documents: Vec<(String, String)>,
    profile: Option<String>,
    roots: Option<Vec<String>>,
    limits: Option<std::collections::BTreeMap<String, u64>>,
    github: bool,
) -> PyResult<(String, String)> {
    let options = options(profile, roots, limits)?;
    // Parsed under the caller's limits, as `plan` parses.
    let report = py.detach(|| match wireplan::Descriptors::parse_all_with(&self::documents(&documents), &options.limits) {
        Ok(descriptors) => wireplan::check(&descriptors, &options),
        Err(error) => Report::from(error),
    });
    // Help in the words of the Python API, as `PlanError` says it.
    let report = report.in_dialect(wireplan::render::dialect::Dialect::Python);
    let text = if github { wireplan::render::github::render(&report) } else { report.render() };
    Ok((report.to_json(), text))
}

/// The fingerprint of descriptor documents and options, as 32 hex digits:
/// what a cached plan of them must carry.
#[pyfunction]
#[pyo3(signature = (documents, profile = None, roots = None, limits = None))]
pub(crate) fn fingerprint(
    py: Python<'_>,
    documents: Vec<(String, String)>,
    profile: Option<String>,
    roots: Option<Vec<String>>,
    limits: Option<std::collections::BTreeMap<String, u64>>,
) -> PyResult<String> {
    let options = options(profile, roots, limits)?;
    let result = py.detach(|| {
        // Parsed under the caller's limits: a document `plan` refuses has
        // no fingerprint either.
        wireplan::Descriptors::parse_all_with(&self::documents(&documents), &options.limits)
            .map(|d| wireplan::fingerprint(&d, &options).to_string())
    });
    result.map_err(|e| core_error(py, e))
}

/// The core's report for a descriptor value Python could not write as JSON
/// (`tag`: `cycle`, `nesting`, or anything else for "cannot be written"),
/// at `path` of `document`: `(report_json, rendering)`, as `check` returns.
#[pyfunction]
pub(crate) fn unrepresentable(document: &str, path: &str, tag: &str) -> (String, String) {
    let why = wireplan::render::host::Unrepresentable::from_tag(tag);
    let report = wireplan::render::host::unrepresentable(document, path, why);
    (report.to_json(), report.render())
}

/// User text (a file name, an id) made safe to print on one line, as the
/// core's renderer shows it: control, bidi and invisible characters as
/// visible escapes. For the few words a front end writes itself (a file it
/// cannot read).
#[pyfunction]
pub(crate) fn escape(text: &str) -> String {
    wireplan::escape(text).into_owned()
}

/// The core's words for a lookup of a key no service provides:
/// `(message, suggestions)`, the closest keys among `candidates`, best first.
#[pyfunction]
pub(crate) fn unknown_key(key: &str, candidates: Vec<String>) -> (String, Vec<String>) {
    let refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
    let (message, suggestions) = wireplan::render::unknown_key(key, &refs);
    (message, suggestions.into_iter().map(str::to_owned).collect())
}

// ---- the runtime's words (`wireplan::render::runtime`), for `wireplan.runtime` ----

/// The core's words for a factory that failed while the app started.
#[pyfunction]
pub(crate) fn start_failed(service: &str, source: Option<&str>, cause: &str, teardown_errors: usize) -> String {
    wireplan::render::runtime::start_failed(service, source, cause, teardown_errors)
}

/// The core's words for a lookup of a key several services provide.
#[pyfunction]
pub(crate) fn ambiguous_key(key: &str, providers: Vec<String>, get_all: &str, get_by_id: &str) -> String {
    let refs: Vec<&str> = providers.iter().map(String::as_str).collect();
    wireplan::render::runtime::ambiguous_key(key, &refs, get_all, get_by_id)
}

/// The core's words for a key registered but left out of the plan.
#[pyfunction]
#[pyo3(signature = (key, profile = None))]
pub(crate) fn not_planned(key: &str, profile: Option<&str>) -> String {
    wireplan::render::runtime::not_planned(key, profile)
}

/// The core's words for a service replaced by another (an override).
#[pyfunction]
pub(crate) fn replaced(id: &str, key: &str, by: &str) -> String {
    wireplan::render::runtime::replaced(id, key, by)
}

/// The core's words for a lookup by an id not in the plan:
/// `(message, suggestions)`.
#[pyfunction]
pub(crate) fn unknown_id(id: &str, candidates: Vec<String>) -> (String, Vec<String>) {
    let refs: Vec<&str> = candidates.iter().map(String::as_str).collect();
    let (message, suggestions) = wireplan::render::runtime::unknown_id(id, &refs);
    (message, suggestions.into_iter().map(str::to_owned).collect())
}

/// The core's words refusing a synchronous start of async factories.
#[pyfunction]
pub(crate) fn async_in_sync_start(services: Vec<String>, start_async: &str) -> String {
    let refs: Vec<&str> = services.iter().map(String::as_str).collect();
    wireplan::render::runtime::async_in_sync_start(&refs, start_async)
}

/// The core's words for a factory (`phase` `start`) or teardown (`stop`)
/// over its timeout (`limit` and `took` in seconds).
#[pyfunction]
#[pyo3(signature = (service, phase, limit, took = None))]
pub(crate) fn timed_out(service: &str, phase: &str, limit: f64, took: Option<f64>) -> String {
    wireplan::render::runtime::timed_out(service, phase, limit, took)
}

/// A health check over its timeout (seconds).
#[pyfunction]
#[pyo3(signature = (service, limit, took = None))]
pub(crate) fn health_timed_out(service: &str, limit: f64, took: Option<f64>) -> String {
    wireplan::render::runtime::health_timed_out(service, limit, took)
}

/// A hot reload that failed (`failure`: the start failure's words).
#[pyfunction]
#[pyo3(signature = (failure, restored, restore_error = None))]
pub(crate) fn reload_failed(failure: &str, restored: bool, restore_error: Option<&str>) -> String {
    wireplan::render::runtime::reload_failed(failure, restored, restore_error)
}

/// `run()`'s line for the first stop signal.
#[pyfunction]
pub(crate) fn signal_received(signal: &str) -> String {
    wireplan::render::runtime::signal_received(signal)
}

/// `run()`'s line for a second signal forcing the exit.
#[pyfunction]
pub(crate) fn signal_forced(signal: &str, code: i32) -> String {
    wireplan::render::runtime::signal_forced(signal, code)
}

/// `run()`'s last line: a clean stop, or its errors.
#[pyfunction]
pub(crate) fn stopped(errors: Vec<String>) -> String {
    let errors: Vec<&str> = errors.iter().map(String::as_str).collect();
    wireplan::render::runtime::stopped(&errors)
}

/// One lifecycle event as one log line.
#[pyfunction]
#[pyo3(signature = (kind, id = None, phase = None, duration_us = None, error = None))]
pub(crate) fn event(kind: &str, id: Option<&str>, phase: Option<&str>, duration_us: Option<u64>, error: Option<&str>) -> String {
    wireplan::render::runtime::event(kind, id, phase, duration_us, error)
}

/// The fingerprint in a binary plan's header, without decoding the plan.
#[pyfunction]
pub(crate) fn peek_fingerprint(py: Python<'_>, data: &[u8]) -> PyResult<String> {
    Plan::peek_fingerprint(data).map(|f| f.to_string()).map_err(|e| core_error(py, e))
}

/// A validated plan, owned by Rust. Python reads it through the runtime
/// JSON form; the binary form goes to the disk cache.
#[pyclass(frozen, name = "Plan", module = "wireplan._core")]
pub(crate) struct PyPlan {
    pub(crate) inner: Plan,
}

impl PyPlan {
    fn check_index(&self, index: u32) -> PyResult<u32> {
        if (index as usize) < self.inner.len() {
            Ok(index)
        } else {
            Err(PyIndexError::new_err(format!("service number {index} is not in the plan ({} services)", self.inner.len())))
        }
    }
}

#[pymethods]
impl PyPlan {
    /// The plan as an analysis: explain it, draw it.
    fn analysis(&self) -> crate::analysis::PyAnalysis {
        crate::analysis::of_plan(self.inner.clone())
    }

    /// Decodes a binary plan; with `expected`, it must carry that fingerprint.
    /// Raises `PlanError` (code `invalid-plan`) for anything untrustworthy.
    #[staticmethod]
    #[pyo3(signature = (data, expected = None))]
    fn decode(py: Python<'_>, data: &[u8], expected: Option<&str>) -> PyResult<Self> {
        let expected = expected.map(parse_fingerprint).transpose()?;
        let result = py.detach(|| Plan::decode(data, expected));
        result.map(|inner| PyPlan { inner }).map_err(|e| core_error(py, e))
    }

    /// The binary form, for the disk cache.
    fn encode<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.encode())
    }

    /// Fingerprint of the descriptors and options, 32 hex digits.
    #[getter]
    fn fingerprint(&self) -> String {
        self.inner.fingerprint().to_string()
    }

    /// The profile planned for.
    #[getter]
    fn profile(&self) -> Option<&str> {
        self.inner.profile()
    }

    /// Number of planned services.
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    /// Pretty JSON with services by id: the test vectors' form.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// Compact JSON with services by number: what the runtime reads.
    fn to_runtime_json(&self) -> String {
        self.inner.to_runtime_json()
    }

    /// The plan as flat Python lists, for the runtime: cheaper than parsing
    /// the runtime JSON, and with no Python container per service in the
    /// common case (a 100,000-service plan as a list per service would be
    /// 300,000 objects for the cyclic GC to scan again and again while the
    /// plan is bound). `(ids, lifetimes, provides, plain_start, plain,
    /// quick, deps, recipes, metas, singletons, layer_ends)`:
    /// - ids: one string per service;
    /// - lifetimes: bytes, one per service (0 singleton, 1 scoped, 2 transient);
    /// - provides: per service its one key as a string (the very id object
    ///   when the key is the id), or a list of keys when it has several or none;
    /// - plain_start, plain: when every dependency of service `i` is plain
    ///   (not optional, many or lazy, and bound to exactly one provider),
    ///   its providers in dependency order are
    ///   `plain[plain_start[i]:plain_start[i + 1]]`;
    /// - quick: bytes, 1 for a service whose dependencies are all plain and
    ///   all singletons (the start loop and `get` call it straight from the
    ///   instances), else 0;
    /// - deps: `{service: [(flags, providers), ...]}` for the services whose
    ///   dependencies are not all plain (flags 1 optional, 2 many, 4 lazy);
    /// - recipes: `{service: [service, ...]}` for the non-empty recipes;
    /// - metas: the canonical JSON text of each `meta`, or `None`; equal
    ///   texts are one string object;
    /// - layer_ends: the end (exclusive) of each start-up layer.
    fn tables<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        // The core's tables (one definition of the shape and its codes),
        // copied into what `runtime.py` binds.
        let p = &self.inner;
        let t = p.tables();
        let n = p.len();
        let mut ids = Vec::with_capacity(n);
        let mut provides = Vec::with_capacity(n);
        let mut metas = Vec::with_capacity(n);
        let mut texts: std::collections::HashMap<&str, Bound<'py, PyAny>> = std::collections::HashMap::new();
        let none = py.None().into_bound(py);
        for s in p.services() {
            let id = PyString::new(py, s.id()).into_any();
            let mut keys = s.provides();
            let key = match (keys.len(), keys.next()) {
                (1, Some(k)) if k == s.id() => id.clone(),
                (1, Some(k)) => PyString::new(py, k).into_any(),
                _ => PyList::new(py, s.provides())?.into_any(),
            };
            ids.push(id);
            provides.push(key);
            metas.push(match s.meta() {
                None => none.clone(),
                Some(m) => texts.entry(m).or_insert_with(|| PyString::new(py, m).into_any()).clone(),
            });
        }
        let mut plain_start = Vec::with_capacity(n + 1);
        let mut plain = Vec::new();
        let mut quick = Vec::with_capacity(n);
        let deps = PyDict::new(py);
        let recipes = PyDict::new(py);
        plain_start.push(0u32);
        for i in 0..n as u32 {
            match t.plain(i) {
                Some(firsts) => {
                    quick.push(u8::from(firsts.iter().all(|&d| d < t.singletons)));
                    plain.extend_from_slice(&firsts);
                }
                None => {
                    quick.push(0);
                    let each: Vec<(u8, Vec<u32>)> = t.deps(i).map(|(f, ps)| (f, ps.to_vec())).collect();
                    deps.set_item(i, each)?;
                }
            }
            plain_start.push(plain.len() as u32);
            let recipe = t.recipe(i);
            if !recipe.is_empty() {
                recipes.set_item(i, recipe)?;
            }
        }
        PyTuple::new(
            py,
            [
                PyList::new(py, ids)?.into_any(),
                PyBytes::new(py, &t.lifetimes).into_any(),
                PyList::new(py, provides)?.into_any(),
                PyList::new(py, plain_start)?.into_any(),
                PyList::new(py, plain)?.into_any(),
                PyBytes::new(py, &quick).into_any(),
                deps.into_any(),
                recipes.into_any(),
                PyList::new(py, metas)?.into_any(),
                t.singletons.into_pyobject(py)?.into_any(),
                PyList::new(py, &t.layer_ends)?.into_any(),
            ],
        )
    }

    /// Where service `index` is defined: `(file, line)`, when known. Asked
    /// for only when an error names the service.
    fn source(&self, index: u32) -> PyResult<Option<(&str, Option<u32>)>> {
        let index = self.check_index(index)?;
        Ok(self.inner.service(index).and_then(|s| s.source()).map(|src| (src.file, src.line)))
    }

    /// Warnings found while planning, as a report JSON.
    fn warnings_json(&self) -> String {
        Report { diagnostics: self.inner.warnings().to_vec() }.to_json()
    }

    /// The number of a service, by id.
    fn index_of(&self, id: &str) -> Option<u32> {
        self.inner.index_of(id)
    }

    /// Every service `index` needs, directly or not.
    fn dependencies(&self, index: u32) -> PyResult<Vec<u32>> {
        Ok(self.inner.dependencies(self.check_index(index)?))
    }

    /// Every service that needs `index`, directly or not.
    fn dependents(&self, index: u32) -> PyResult<Vec<u32>> {
        Ok(self.inner.dependents(self.check_index(index)?))
    }

    /// One shortest chain of non-lazy dependencies from `source` to `target`.
    fn path(&self, source: u32, target: u32) -> PyResult<Option<Vec<u32>>> {
        Ok(self.inner.path(self.check_index(source)?, self.check_index(target)?))
    }

    fn __repr__(&self) -> String {
        format!("<wireplan._core.Plan {} services, fingerprint {}>", self.inner.len(), self.inner.fingerprint())
    }
}

/// Hot reload: what moving a running app from `old` to `new` stops, starts
/// and keeps (`wireplan::reload`); `changed` names services whose factories
/// the runtime saw replaced. Returns `(stop, start, keep, changed, dependents)`.
#[pyfunction]
#[allow(clippy::type_complexity)]
pub(crate) fn reload(old: &PyPlan, new: &PyPlan, changed: Vec<String>) -> (Vec<u32>, Vec<u32>, Vec<(u32, u32)>, Vec<String>, Vec<String>) {
    let changed: Vec<&str> = changed.iter().map(String::as_str).collect();
    let r = wireplan::reload(&old.inner, &new.inner, &changed);
    (r.stop, r.start, r.keep, r.changed, r.dependents)
}
