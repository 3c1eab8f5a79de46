//! `cargo run --example plan -- FILE [PROFILE]`: prints the plan JSON or the report.
// Tests, benches and examples read files, the environment and the clock;
// the core itself may not (crates/planner/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else { return };
    let Ok(text) = std::fs::read_to_string(path) else { return };
    let options = wireplan::Options {
        profile: args.get(2).cloned(),
        roots: args.get(3..).map(|r| r.to_vec()).unwrap_or_default(),
        ..wireplan::Options::default()
    };
    match wireplan::plan_documents(&[wireplan::Document { name: path, text: &text }], &options) {
        Ok(plan) => println!("{}", plan.to_json()),
        Err(report) => {
            print!("{}", report.render());
            println!("{}", report.to_json());
        }
    }
}
