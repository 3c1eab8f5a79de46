//! The bodies of the YAML and TOML fuzz targets, shared by cargo-fuzz
//! (`fuzz_targets/yaml.rs`, `fuzz_targets/toml.rs`) and by the CLI's stable
//! smoke test (`crates/planner-cli/tests/fuzz_smoke.rs`). Both include the
//! CLI's readers (`crates/planner-cli/src/yaml.rs` and `toml_doc.rs`) as
//! sibling modules with `#[path]`, so the fuzzed code is the shipped code.
//!
//! A body returns normally when the reader keeps its promises, and panics
//! (an assertion) when it breaks one: a panic of its own, output that is
//! not JSON, output over the byte limit, or aliases that add more than
//! their budget; the JSON it makes is then planned by the core under tight
//! limits, as the CLI would.

use super::{toml_doc, yaml};

/// The byte limit the readers run under here: small, so fuzz inputs reach it.
pub const MAX_BYTES: usize = 16 * 1024;

/// Arbitrary bytes as a YAML descriptor file.
pub fn yaml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match yaml::to_json(text, MAX_BYTES) {
        Ok(json) => {
            assert!(json.len() <= MAX_BYTES, "YAML converted to {} bytes, over the limit", json.len());
            // Aliases add at most their budget; the rest is at most a few
            // bytes of JSON per byte of YAML (quotes and escapes).
            let budget = text.len().max(yaml::ALIAS_FLOOR);
            assert!(json.len() <= text.len() * 6 + budget + 4, "YAML grew past its alias budget");
            check_json(&json);
        }
        Err(yaml::Fault::Syntax { line, column, message }) => {
            assert!(line >= 1 && column >= 1, "a YAML fault without a place: {message}");
            assert!(!message.is_empty());
        }
        Err(yaml::Fault::Limit { limit, found, line, .. }) => {
            assert!(found > limit, "a limit reported before it was passed");
            assert!(line >= 1);
        }
    }
}

/// Arbitrary bytes as a TOML descriptor file.
pub fn toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match toml_doc::to_json(text, MAX_BYTES) {
        Ok(json) => {
            assert!(json.len() <= MAX_BYTES, "TOML converted to {} bytes, over the limit", json.len());
            let counted = toml_doc::count_values(text, usize::MAX).unwrap_or(usize::MAX);
            assert!(counted <= toml_doc::MAX_VALUES, "more values than the TOML limit were parsed");
            check_json(&json);
        }
        Err(toml_doc::Fault::Syntax { offset, .. }) => {
            assert!(offset.is_none_or(|o| o <= text.len()), "a TOML fault past the end");
        }
        Err(toml_doc::Fault::Limit { limit, found, offset, .. }) => {
            assert!(found > limit, "a limit reported before it was passed");
            assert!(offset <= text.len(), "a TOML limit placed past the end");
        }
    }
}

/// The converted text is JSON, and the core plans it without panicking.
fn check_json(json: &str) {
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(json) {
        panic!("the converted text is not JSON ({e}): {json}");
    }
    let limits = wireplan::Limits { max_services: 16, max_entries: 64, max_diagnostics: 3, ..wireplan::Limits::DEFAULT };
    let options = wireplan::Options { limits, ..wireplan::Options::default() };
    match wireplan::plan_str(json, &options) {
        Ok(plan) => {
            let _ = plan.to_json();
        }
        Err(report) => {
            assert!(report.has_errors());
            let _ = report.render();
        }
    }
}
