//! `cargo run --release -p wireplan --example generate -- layered|chain N > FILE`:
//! writes the benchmarks' generated descriptors, for the CLI and other runners.
// Tests, benches and examples read files, the environment and the clock;
// the core itself may not (crates/planner/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

#[path = "../benches/generate.rs"]
mod generate;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let text = match args.get(1).map(String::as_str) {
        Some("chain") => generate::chain(n),
        _ => generate::layered(n),
    };
    print!("{text}");
}
