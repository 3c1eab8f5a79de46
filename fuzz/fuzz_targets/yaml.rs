//! Arbitrary bytes as a YAML descriptor file, through the CLI's reader,
//! then planned. The body is `formats::yaml` (fuzz/src/formats.rs).
#![no_main]

#[path = "../../crates/planner-cli/src/yaml.rs"]
#[allow(dead_code)]
mod yaml;
#[path = "../../crates/planner-cli/src/toml_doc.rs"]
#[allow(dead_code)]
mod toml_doc;
#[path = "../src/formats.rs"]
#[allow(dead_code)]
mod formats;

libfuzzer_sys::fuzz_target!(|data: &[u8]| formats::yaml(data));
