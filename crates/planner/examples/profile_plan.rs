//! Runs parse + plan many times on one generated graph (10k, or `WIREPLAN_N`), for a profiler.
// Tests, benches and examples read files, the environment and the clock;
// the core itself may not (crates/planner/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
#[path = "../benches/generate.rs"]
mod generate;
fn main() {
    let n = std::env::var("WIREPLAN_N").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let text = generate::layered(n);
    let doc = wireplan::Document { name: "g.json", text: &text };
    let mode = std::env::args().nth(1).unwrap_or_default();
    let Ok(d) = wireplan::Descriptors::parse(doc) else { return };
    let bytes = wireplan::plan(&d, &wireplan::Options::default()).map(|p| p.encode()).unwrap_or_default();
    let iters: usize = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(200);
    for _ in 0..iters {
        if mode == "decode" {
            std::hint::black_box(wireplan::Plan::decode(&bytes, None).map(|p| p.len()).ok());
        } else if mode == "both" {
            std::hint::black_box(wireplan::plan_documents(&[doc], &wireplan::Options::default()).map(|p| p.len()).ok());
        } else if mode == "parse" {
            std::hint::black_box(wireplan::Descriptors::parse(doc).map(|d| d.services.len()).ok());
        } else {
            std::hint::black_box(wireplan::plan(&d, &wireplan::Options::default()).map(|p| p.len()).ok());
        }
    }
}
