//! # wireplan
//!
//! Plans dependency-injection graphs. Versioned JSON service descriptors
//! in; a validated [`Plan`] out (deterministic start-up order, parallel
//! start layers, shutdown order, each dependency bound to its providers,
//! recipes for scoped and transient services), or a [`Report`] of every
//! problem at once (cycles, missing and ambiguous dependencies, captive
//! dependencies, duplicate ids, unused services).
//!
//! The crate is pure: no file or network I/O, no threads, no clocks, no
//! panics on any input, and it builds for `wasm32-unknown-unknown`. Every
//! algorithm is iterative, so a chain of a million services needs no stack.
//!
//! ```
//! let text = r#"{"version": 1, "services": [
//!     {"id": "config"},
//!     {"id": "db", "deps": ["config"]},
//!     {"id": "server", "deps": ["db", "config"]}
//! ]}"#;
//! let plan = wireplan::plan_str(text, &wireplan::Options::default()).unwrap();
//! let order: Vec<&str> = plan.startup().filter_map(|i| plan.service(i)).map(|s| s.id()).collect();
//! assert_eq!(order, ["config", "db", "server"]);
//! ```

mod analysis;
mod assemble;
mod budget;
mod check;
pub mod codec;
mod descriptor;
mod diagnostic;
pub mod diff;
mod error;
pub mod escape;
pub mod explain;
mod fingerprint;
mod graph;
pub mod inspect;
mod intern;
mod limits;
mod locate;
mod options;
mod order;
mod parse;
mod phrase;
mod plan;
mod query;
pub mod reading;
pub mod reload;
pub mod render;
mod sorting;
mod suggest;
pub mod tables;
pub mod timeline;

pub use analysis::{Analysis, Edge, EdgeProblem, Node, Target};
pub use descriptor::{DepDesc, Descriptors, Document, Lifetime, Origin, ServiceDesc, SourceDesc, Str, DESCRIPTOR_VERSION};
pub use diagnostic::{Code, Diagnostic, Location, Related, Report, Severity};
pub use diff::{diff, Changes, ReloadSummary};
pub use error::{DecodeFault, Error};
pub use escape::escape;
pub use fingerprint::{fingerprint, Fingerprint};
pub use inspect::{inspect, Inspection};
pub use limits::{Limits, GROWTH_FLOOR, MAX_NESTING};
pub use options::Options;
pub use plan::{Binding, Plan, RuntimeView, ServiceRef, Source, PLAN_JSON_VERSION};
pub use reload::{reload, Reload};
pub use suggest::suggest;
pub use tables::Tables;
pub use timeline::{Timeline, TIMELINE_VERSION};

/// This planner's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Plans parsed descriptors.
///
/// # Errors
/// A [`Report`] with every problem of the graph when it cannot be planned.
/// Warnings alone do not fail: they are in [`Plan::warnings`].
///
/// # Complexity
/// O(S log S + D) for S services and D dependencies, iterative throughout;
/// [`Options::limits`] bound S, D and the size of the report.
pub fn plan(descriptors: &Descriptors<'_>, options: &Options) -> Result<Plan, Report> {
    let mut graph = graph::build(descriptors, options).map_err(Report::from)?;
    plan_graph(&mut graph, descriptors, options)
}

/// Checks and plans a built graph (its own diagnostics are taken out).
fn plan_graph(graph: &mut graph::Graph<'_, '_>, descriptors: &Descriptors<'_>, options: &Options) -> Result<Plan, Report> {
    let order = order::levels(graph);
    let mut omitted = graph.omitted;
    let mut diagnostics = check::run(graph, order.has_cycle, &mut omitted);
    let mut omitted_warnings = 0;
    let mut warnings = check::unused(graph, &mut omitted_warnings);
    warnings.extend(check::profile::check(descriptors, options.profile.as_deref()));
    let cap = options.limits.max_diagnostics;
    let bytes = options.limits.max_report_bytes;
    if omitted > 0 || diagnostics.iter().any(|d| d.severity == Severity::Error) {
        diagnostics.append(&mut warnings);
        check::finish(&mut diagnostics, cap, bytes, omitted + omitted_warnings, Severity::Error);
        return Err(Report { diagnostics });
    }
    check::finish(&mut warnings, cap, bytes, omitted_warnings, Severity::Warning);
    let fp = fingerprint::fingerprint(descriptors, options);
    assemble::assemble(graph, &order, options, fp, warnings).map_err(Report::from)
}

/// Plans parsed descriptors and keeps the graph as resolved, valid or not:
/// what pictures ([`render::picture`]), [`Analysis::explain`] and [`diff()`]
/// are made of. A broken graph has an analysis too, with its report.
///
/// # Errors
/// A [`Report`] only when the graph cannot be built at all (a limit).
///
/// # Complexity
/// As [`plan`], plus O(S log S + E) for the marks and layers.
pub fn analyze(descriptors: &Descriptors<'_>, options: &Options) -> Result<Analysis, Report> {
    analysis::analyze(descriptors, options)
}

/// Checks parsed descriptors: every problem, errors and warnings, without
/// building a plan. An empty report means the graph is valid and clean.
pub fn check(descriptors: &Descriptors<'_>, options: &Options) -> Report {
    match plan(descriptors, options) {
        Ok(p) => Report { diagnostics: p.warnings().to_vec() },
        Err(report) => report,
    }
}

/// Parses and plans one JSON document named `<input>`.
///
/// # Errors
/// A [`Report`]: one diagnostic for input that cannot be parsed, or every
/// problem of the graph.
pub fn plan_str(text: &str, options: &Options) -> Result<Plan, Report> {
    plan_documents(&[Document { name: "<input>", text }], options)
}

/// Parses several JSON documents, merges them in order, and plans them.
///
/// # Errors
/// As for [`plan_str`].
pub fn plan_documents(documents: &[Document<'_>], options: &Options) -> Result<Plan, Report> {
    let descriptors = Descriptors::parse_all_with(documents, &options.limits).map_err(Report::from)?;
    plan(&descriptors, options)
}
