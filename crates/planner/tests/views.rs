//! The shared rendering vectors in `tests/views/`: for every planning
//! vector the core can analyze (its graph is built, valid or broken), the
//! DOT and Mermaid pictures, `explain` of its first service in words and
//! JSON, and `diff` from the analyzable vector before it in the manifest;
//! for every start-up record in `tests/timeline/`, the critical chain, the
//! blame list, the SVG plot and the Chrome trace. The Python and JS
//! harnesses compare their own calls with the same files, byte for byte.
//!
//! Only this harness writes them, when `WIREPLAN_BLESS` is exactly `1`.
//! Each file says what it was made from (`explain.name`, `diff.old`), so
//! the other harnesses need no rule of their own to find it.
// Tests, benches and examples read files, the environment and the clock;
// the core itself may not (crates/planner/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use wireplan::render::{self, Style};
use wireplan::{Analysis, Descriptors, Document, Limits, Options, Timeline};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests")
}

fn blessing() -> bool {
    std::env::var_os("WIREPLAN_BLESS").is_some_and(|v| v == "1")
}

fn manifest() -> Vec<String> {
    let text = fs::read_to_string(root().join("vectors/manifest.txt")).unwrap();
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect()
}

fn options(case: &str) -> Options {
    match fs::read_to_string(root().join(format!("vectors/{case}.options.json"))) {
        Ok(text) => Options::from_json(&text).unwrap(),
        Err(_) => Options::default(),
    }
}

/// The analysis of a vector, named as the planning vectors name it; `None`
/// when its document cannot be used at all.
fn analysis(case: &str) -> Option<Analysis> {
    let text = fs::read_to_string(root().join(format!("vectors/{case}.json"))).unwrap();
    let name = format!("{case}.json");
    let options = options(case);
    let descriptors = Descriptors::parse_all_with(&[Document { name: &name, text: &text }], &options.limits).ok()?;
    wireplan::analyze(&descriptors, &options).ok()
}

fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap();
    text.push('\n');
    text
}

/// Compares `actual` with the file, or writes it when blessing.
fn expect(path: &Path, actual: &str, failures: &mut Vec<String>) {
    if blessing() {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, actual).unwrap();
        return;
    }
    match fs::read_to_string(path) {
        Ok(expected) if expected == actual => {}
        Ok(_) => failures.push(format!("{}: differs from the core's rendering", path.display())),
        Err(_) => failures.push(format!("{}: missing (run with WIREPLAN_BLESS=1)", path.display())),
    }
}

#[test]
fn every_analyzable_vector_draws_explains_and_diffs_as_its_views_file() {
    let cases = manifest();
    let mut failures = Vec::new();
    let mut previous: Option<(String, Analysis)> = None;
    let mut written = 0;
    for case in &cases {
        let path = root().join(format!("views/{case}.json"));
        let Some(a) = analysis(case) else {
            assert!(!path.exists(), "{case}: cannot be analyzed, yet {} exists", path.display());
            continue;
        };
        let first = a.nodes().iter().map(|n| n.id.clone()).min();
        let explain = first.as_ref().map(|name| {
            let e = a.explain(name, None).unwrap();
            json!({ "name": name, "text": render::explain::human(&a, &e, &Style::plain()), "json": render::explain::json(&a, &e) })
        });
        let diff = previous.as_ref().map(|(old_case, old)| {
            let c = wireplan::diff(old, &a);
            json!({ "old": old_case, "text": render::diff::human(&c, &Style::plain()), "json": render::diff::json(&c) })
        });
        let view = json!({
            "dot": render::picture::dot(&a),
            "mermaid": render::picture::mermaid(&a),
            "explain": explain,
            "diff": diff,
        });
        expect(&path, &pretty(&view), &mut failures);
        written += 1;
        previous = Some((case.clone(), a));
    }
    assert!(written >= 40, "only {written} vectors could be analyzed");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_start_up_record_renders_as_its_views_file() {
    let mut records: Vec<PathBuf> = fs::read_dir(root().join("timeline")).unwrap().map(|e| e.unwrap().path()).collect();
    records.sort();
    assert!(records.len() >= 2);
    let mut failures = Vec::new();
    for record in records {
        let name = record.file_name().unwrap().to_string_lossy().into_owned();
        let t = Timeline::parse(&name, &fs::read_to_string(&record).unwrap(), &Limits::default()).unwrap();
        let view = json!({
            "chain": render::timeline::critical_chain(&t),
            "blame": render::timeline::blame(&t),
            "svg": render::timeline::svg(&t),
            "trace": render::timeline::chrome_trace(&t),
        });
        expect(&root().join(format!("views/timeline/{name}")), &pretty(&view), &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_views_file_belongs_to_nothing() {
    let cases: std::collections::BTreeSet<String> = manifest().into_iter().collect();
    let mut stack = vec![root().join("views")];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("timeline") {
                    stack.push(path);
                }
                continue;
            }
            let rel = path.strip_prefix(root().join("views")).unwrap().to_string_lossy().replace('\\', "/");
            let case = rel.strip_suffix(".json").unwrap_or(&rel);
            assert!(cases.contains(case), "{rel}: no vector of the manifest is `{case}`");
        }
    }
}
