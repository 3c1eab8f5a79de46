//! `cargo run --release -p wireplan --example timing -- N`: a quick phase
//! timing of one generated graph (parse, plan, encode, decode), best of 20.
// Tests, benches and examples read files, the environment and the clock;
// the core itself may not (crates/planner/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
use std::time::Instant;

#[path = "../benches/generate.rs"]
mod generate;

fn best<T>(f: impl Fn() -> T) -> f64 {
    (0..20)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::MAX, f64::min)
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let text = generate::layered(n);
    let doc = wireplan::Document { name: "g.json", text: &text };
    let o = wireplan::Options::default();
    let Ok(d) = wireplan::Descriptors::parse(doc) else { return };
    let Ok(p) = wireplan::plan(&d, &o) else { return };
    let bytes = p.encode();
    println!(
        "n={n} parse={:.3}ms plan={:.3}ms parse+plan={:.3}ms encode={:.3}ms decode={:.3}ms fingerprint={:.3}ms",
        best(|| wireplan::Descriptors::parse(doc).map(|d| d.services.len())),
        best(|| wireplan::plan(&d, &o).map(|p| p.len())),
        best(|| wireplan::plan_documents(&[doc], &o).map(|p| p.len())),
        best(|| p.encode().len()),
        best(|| wireplan::Plan::decode(&bytes, None).map(|p| p.len())),
        best(|| wireplan::fingerprint(&d, &o))
    );
}
