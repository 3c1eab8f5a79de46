//! The shared test vectors in `tests/vectors/`: every case of the manifest,
//! planned here, compared byte for byte with its expected plan or report.
//! Only this harness rewrites expectations: `WIREPLAN_BLESS=1 cargo test`.
// A failing test panics with its message; that is how tests report.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use wireplan::{Document, Options, Plan};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

fn manifest() -> Vec<String> {
    let text = fs::read_to_string(vectors_dir().join("manifest.txt")).unwrap_or_default();
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_owned).collect()
}

fn options(case: &str) -> Options {
    let path = vectors_dir().join(format!("{case}.options.json"));
    match fs::read_to_string(path) {
        Ok(text) => Options::from_json(&text).unwrap_or_else(|e| panic!("{case}: bad options: {e}")),
        Err(_) => Options::default(),
    }
}

/// Compares `actual` with the file, or writes it when blessing.
fn expect_file(path: &Path, actual: &[u8], failures: &mut Vec<String>) {
    if std::env::var_os("WIREPLAN_BLESS").is_some() {
        fs::write(path, actual).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        return;
    }
    match fs::read(path) {
        Ok(expected) if expected == actual => {}
        Ok(_) => failures.push(format!("{}: differs from the planner's output", path.display())),
        Err(_) => failures.push(format!("{}: missing (run with WIREPLAN_BLESS=1)", path.display())),
    }
}

#[test]
fn every_vector_gives_its_expected_plan_or_report() {
    let cases = manifest();
    assert!(cases.len() >= 50, "the manifest lists {} cases; expected at least 50", cases.len());
    let dir = vectors_dir();
    let mut failures = Vec::new();
    for case in &cases {
        let input = dir.join(format!("{case}.json"));
        let text = fs::read_to_string(&input).unwrap_or_else(|e| panic!("{case}: {e}"));
        let name = format!("{case}.json");
        let result = wireplan::plan_documents(&[Document { name: &name, text: &text }], &options(case));
        match (case.starts_with("valid/"), result) {
            (true, Ok(plan)) => {
                let json = plan.to_json() + "\n";
                expect_file(&dir.join(format!("{case}.plan.json")), json.as_bytes(), &mut failures);
                expect_file(&dir.join(format!("{case}.wpl")), &plan.encode(), &mut failures);
            }
            (false, Err(report)) => {
                expect_file(&dir.join(format!("{case}.report.json")), (report.to_json() + "\n").as_bytes(), &mut failures);
                expect_file(&dir.join(format!("{case}.report.txt")), report.render().as_bytes(), &mut failures);
            }
            (true, Err(report)) => failures.push(format!("{case}: expected a plan, got:\n{}", report.render())),
            (false, Ok(_)) => failures.push(format!("{case}: expected a report, got a plan")),
        }
    }
    assert!(failures.is_empty(), "{} of {} vectors failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// The committed binary plans still decode to the same plan: a change that
/// breaks this is a deliberate break of the binary format, with a new version.
#[test]
fn committed_binary_plans_decode_to_their_json() {
    let dir = vectors_dir();
    let mut count = 0;
    for case in manifest().iter().filter(|c| c.starts_with("valid/")) {
        let bytes = fs::read(dir.join(format!("{case}.wpl"))).unwrap_or_else(|e| panic!("{case}.wpl: {e}"));
        let plan = Plan::decode(&bytes, None).unwrap_or_else(|e| panic!("{case}.wpl: {e}"));
        let expected = fs::read_to_string(dir.join(format!("{case}.plan.json"))).unwrap_or_default();
        assert_eq!(plan.to_json() + "\n", expected, "{case}.wpl");
        assert_eq!(plan.encode(), bytes, "{case}: re-encoding changed the bytes");
        count += 1;
    }
    assert!(count >= 20, "only {count} binary plans");
}

/// Merge order does not change the plan: two files listing the same services
/// in different orders give the same start-up order and layers.
#[test]
fn declaration_order_does_not_change_the_order() {
    let dir = vectors_dir();
    let read = |c: &str| fs::read_to_string(dir.join(format!("valid/order/{c}.plan.json"))).unwrap_or_default();
    let strip = |s: String| -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_str(&s).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.remove("fingerprint");
            o.remove("services");
            o.remove("bindings");
        }
        v
    };
    assert_eq!(strip(read("ties-broken-by-id")), strip(read("ties-broken-by-id-reordered")));
}
