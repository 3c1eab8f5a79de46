//! Issue 16's Rust rows, measured side by side: parse + validate + plan of
//! the same JSON text, against the naive floor a program without wireplan
//! would write (serde_json into a `Value`, ids into a `HashMap`, edges into
//! petgraph, `toposort`; no validation at all). Samples alternate (floor,
//! wireplan, floor, ...) so that load on this shared machine hits both;
//! each row prints the medians and the median of the per-pair ratios, one
//! JSON object per line, for `bench/targets.py`.
//!
//! `cargo run --release -p wireplan --example targets` (`-- quick`: fewer rounds).
// Tests, benches and examples read files, the environment and the clock;
// the core itself may not (crates/planner/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

#[path = "../benches/generate.rs"]
mod generate;

/// The floor: parse into serde_json's tree, intern ids, add edges, sort.
fn floor(text: &str) -> usize {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let services = v["services"].as_array().unwrap();
    let mut g = petgraph::graph::DiGraph::<(), ()>::with_capacity(services.len(), services.len() * 3);
    let mut ids: HashMap<&str, petgraph::graph::NodeIndex> = HashMap::with_capacity(services.len());
    for s in services {
        ids.insert(s["id"].as_str().unwrap(), g.add_node(()));
    }
    for s in services {
        let from = ids[s["id"].as_str().unwrap()];
        for d in s["deps"].as_array().map_or(&[][..], Vec::as_slice) {
            let key = d.as_str().or_else(|| d["key"].as_str()).unwrap();
            if let Some(&to) = ids.get(key) {
                g.add_edge(to, from, ());
            }
        }
    }
    petgraph::algo::toposort(&g, None).map(|o| o.len()).unwrap_or(0)
}

fn wireplan(text: &str) -> usize {
    wireplan::plan_str(text, &wireplan::Options::default()).map(|p| p.len()).unwrap_or(0)
}

fn ms(f: impl Fn() -> usize) -> f64 {
    let t = Instant::now();
    black_box(f());
    t.elapsed().as_secs_f64() * 1e3
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn row(name: &str, target: f64, text: &str, rounds: usize) {
    // One of each outside the clock: page faults and allocator warm-up.
    black_box(floor(text));
    black_box(wireplan(text));
    let (mut a, mut w, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..rounds {
        // Alternate which goes first, so neither always follows the other.
        let (fa, fw) = if i % 2 == 0 {
            let fa = ms(|| floor(text));
            (fa, ms(|| wireplan(text)))
        } else {
            let fw = ms(|| wireplan(text));
            (ms(|| floor(text)), fw)
        };
        a.push(fa);
        w.push(fw);
        r.push(fw / fa);
    }
    println!(
        "{}",
        serde_json::json!({
            "row": name, "anchor": "serde_json + HashMap + petgraph toposort", "wireplan_ms": median(w),
            "anchor_ms": median(a), "ratio": median(r), "target": target, "kind": "at most", "rounds": rounds,
        })
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let rounds = |n: usize| if quick { 3 } else { n };
    row("Rust: parse + validate + plan, 100k-service app graph, vs the naive floor", 0.5, &generate::layered(100_000), rounds(15));
    row("Rust: same, 1M-service app graph", 0.5, &generate::layered(1_000_000), rounds(5));
    row("Rust: same, 1M-service chain", 1.0, &generate::chain(1_000_000), rounds(5));
}
