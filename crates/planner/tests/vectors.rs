//! The shared test vectors in `tests/vectors/`: every case of the manifest,
//! planned here, compared byte for byte with its expected plan or report.
//! Only this harness rewrites expectations, and only when `WIREPLAN_BLESS`
//! is exactly `1` (`WIREPLAN_BLESS=1 cargo test`; `0` or any other value
//! compares, as in the Python and JS harnesses). The manifest and the files
//! on disk must agree: a case file the manifest does not list, a listed
//! case without its file, or an expectation that belongs to no case fails.
// Tests, benches and examples read files, the environment and the clock;
// the core itself may not (crates/planner/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
// A failing test panics with its message; that is how tests report.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

use wireplan::render::dialect::Dialect;
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

/// Whether this run rewrites expectations: `WIREPLAN_BLESS` is exactly `1`.
fn blessing() -> bool {
    bless_requested(std::env::var_os("WIREPLAN_BLESS").as_deref())
}

fn bless_requested(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| v == "1")
}

/// Every file under `dir`, as paths relative to `root` with `/` separators.
fn files_under(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).path();
        if path.is_dir() {
            files_under(root, &path, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect::<Vec<_>>().join("/"));
        }
    }
}

/// The case a file of the vectors belongs to, and which of its files it is.
fn case_of(file: &str) -> Option<(&str, &str)> {
    [
        "report.python.json",
        "report.python.txt",
        "report.js.json",
        "report.js.txt",
        "options.json",
        "plan.json",
        "report.json",
        "report.txt",
        "wpl",
        "json",
    ]
    .into_iter()
    .find_map(|ext| file.strip_suffix(ext).and_then(|c| c.strip_suffix('.')).map(|c| (c, ext)))
}

/// Compares `actual` with the file, or writes it when blessing.
fn expect_file(path: &Path, actual: &[u8], failures: &mut Vec<String>) {
    if blessing() {
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
        // A case whose expectations are all missing cannot pass by comparing
        // nothing with nothing; blessing writes them.
        let expected = ["plan.json", "report.json"].iter().filter(|ext| dir.join(format!("{case}.{ext}")).is_file()).count();
        if expected == 0 && !blessing() {
            failures.push(format!("{case}: neither {case}.plan.json nor {case}.report.json exists (run with WIREPLAN_BLESS=1)"));
            continue;
        }
        if expected == 2 {
            failures.push(format!("{case}: has both a .plan.json and a .report.json; a case expects one or the other"));
        }
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
                // A Python or JS user reads the help in their API's words:
                // those reports are vectors too, where their words differ.
                for (dialect, tag) in [(Dialect::Python, "python"), (Dialect::Js, "js")] {
                    let spoken = report.in_dialect(dialect);
                    let (json, txt) = (dir.join(format!("{case}.report.{tag}.json")), dir.join(format!("{case}.report.{tag}.txt")));
                    if spoken == report {
                        if blessing() {
                            let _ = fs::remove_file(&json);
                            let _ = fs::remove_file(&txt);
                        } else if json.exists() || txt.exists() {
                            failures
                                .push(format!("{case}: its {tag} report is the same as the JSON one, yet {case}.report.{tag}.* exists"));
                        }
                        continue;
                    }
                    expect_file(&json, (spoken.to_json() + "\n").as_bytes(), &mut failures);
                    expect_file(&txt, spoken.render().as_bytes(), &mut failures);
                }
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
        let expected = fs::read_to_string(dir.join(format!("{case}.plan.json"))).unwrap_or_else(|e| panic!("{case}.plan.json: {e}"));
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
    let read =
        |c: &str| fs::read_to_string(dir.join(format!("valid/order/{c}.plan.json"))).unwrap_or_else(|e| panic!("{c}.plan.json: {e}"));
    let strip = |s: String| -> serde_json::Value {
        let mut v: serde_json::Value = serde_json::from_str(&s).unwrap_or_else(|e| panic!("not JSON: {e}"));
        if let Some(o) = v.as_object_mut() {
            o.remove("fingerprint");
            o.remove("services");
            o.remove("bindings");
        }
        v
    };
    let (a, b) = (strip(read("ties-broken-by-id")), strip(read("ties-broken-by-id-reordered")));
    assert!(a.get("startup").is_some_and(|s| s.as_array().is_some_and(|s| !s.is_empty())), "no start-up order to compare");
    assert_eq!(a, b);
}

/// The manifest and the directory agree both ways: every listed case has
/// its descriptor and exactly the expectations of its kind, and every file
/// on disk belongs to a listed case. A harness that found nothing, or a case
/// added on disk but forgotten in the manifest, fails here.
#[test]
fn the_manifest_and_the_files_on_disk_agree() {
    let dir = vectors_dir();
    let cases = manifest();
    let mut problems = check_agreement(&cases, &{
        let mut files = Vec::new();
        files_under(&dir, &dir, &mut files);
        files
    });
    problems.sort();
    assert!(problems.is_empty(), "the manifest and tests/vectors/ disagree:\n{}", problems.join("\n"));
}

/// What is wrong between a manifest's `cases` and the `files` on disk.
fn check_agreement(cases: &[String], files: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    let listed: std::collections::BTreeSet<&str> = cases.iter().map(String::as_str).collect();
    if listed.len() != cases.len() {
        problems.push("the manifest lists a case twice".to_owned());
    }
    let on_disk: std::collections::BTreeSet<&str> = files.iter().map(String::as_str).collect();
    for case in &listed {
        if !case.starts_with("valid/") && !case.starts_with("invalid/") {
            problems.push(format!("{case}: a case is under valid/ or invalid/"));
        }
        let has = |ext: &str| on_disk.contains(format!("{case}.{ext}").as_str());
        if !has("json") {
            problems.push(format!("{case}: listed in the manifest, but {case}.json does not exist"));
        }
        let (wanted, unwanted): (&[&str], &[&str]) = if case.starts_with("valid/") {
            (
                &["plan.json", "wpl"],
                &["report.json", "report.txt", "report.python.json", "report.python.txt", "report.js.json", "report.js.txt"],
            )
        } else {
            (&["report.json", "report.txt"], &["plan.json", "wpl"])
        };
        for ext in wanted {
            if !has(ext) && !blessing() {
                problems.push(format!("{case}: {case}.{ext} does not exist (run with WIREPLAN_BLESS=1)"));
            }
        }
        for ext in unwanted {
            if has(ext) {
                problems.push(format!("{case}: {case}.{ext} does not belong to a case of its kind"));
            }
        }
    }
    for file in files {
        if file == "manifest.txt" {
            continue;
        }
        match case_of(file) {
            Some((case, _)) if listed.contains(case) => {}
            Some((case, _)) => problems.push(format!("{file}: belongs to `{case}`, which the manifest does not list")),
            None => problems.push(format!("{file}: not a file of any case")),
        }
    }
    problems
}

#[test]
fn only_wireplan_bless_1_rewrites_expectations() {
    use std::ffi::OsStr;
    assert!(bless_requested(Some(OsStr::new("1"))));
    for value in ["0", "", "true", "yes", "1 ", " 1", "01"] {
        assert!(!bless_requested(Some(OsStr::new(value))), "WIREPLAN_BLESS={value:?} must not bless");
    }
    assert!(!bless_requested(None));
}

#[test]
fn a_case_on_disk_but_not_in_the_manifest_or_listed_but_absent_is_found() {
    let cases = vec!["valid/a/listed".to_owned(), "invalid/b/gone".to_owned()];
    let files: Vec<String> = [
        "manifest.txt",
        "valid/a/listed.json",
        "valid/a/listed.plan.json",
        "valid/a/listed.wpl",
        "invalid/b/forgotten.json",
        "invalid/b/forgotten.report.json",
        "valid/a/stray.txt",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let problems = check_agreement(&cases, &files).join("\n");
    assert!(problems.contains("invalid/b/gone: listed in the manifest, but invalid/b/gone.json does not exist"), "{problems}");
    assert!(
        problems.contains("invalid/b/forgotten.json: belongs to `invalid/b/forgotten`, which the manifest does not list"),
        "{problems}"
    );
    assert!(problems.contains("valid/a/stray.txt: not a file of any case"), "{problems}");
    assert!(!problems.contains("valid/a/listed:"), "{problems}");
    assert_eq!(check_agreement(&cases[..1], &files[..4]), Vec::<String>::new());
}
