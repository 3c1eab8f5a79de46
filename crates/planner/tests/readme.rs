//! The README's Rust example is `examples/readme.rs`, word for word, and runs.
// Tests, benches and examples read files, the environment and the clock;
// the core itself may not (crates/planner/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

#[test]
fn the_readme_rust_example_is_the_compiled_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../../README.md")).expect("README.md");
    let example = std::fs::read_to_string(root.join("examples/readme.rs")).expect("examples/readme.rs");
    let start = readme.find("```rust\n").expect("a rust block in the README") + "```rust\n".len();
    let block = &readme[start..start + readme[start..].find("```").expect("closing fence")];
    let indented: String = block.lines().map(|l| if l.is_empty() { "\n".to_owned() } else { format!("    {l}\n") }).collect();
    assert!(example.contains(&indented), "README's rust block differs from examples/readme.rs");
    let status =
        std::process::Command::new(env!("CARGO")).args(["run", "-q", "-p", "wireplan", "--example", "readme"]).status().expect("cargo run");
    assert!(status.success());
}
