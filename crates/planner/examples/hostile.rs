//! Plans one generated hostile input under the default limits and prints
//! the outcome and the time taken; peak memory comes from the outside.
//! `bench/limits.sh` runs every case under `/usr/bin/time` and prints the
//! table of docs/limits.md:
//!
//! ```sh
//! cargo build --release -p wireplan --example hostile
//! /usr/bin/time -v target/release/examples/hostile complete-digraph
//! target/release/examples/hostile --list          # the cases, one a line
//! target/release/examples/hostile --row nested    # one Markdown table row
//! ```
// Tests, benches and examples read files, the environment and the clock;
// the core itself may not (crates/planner/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::time::Instant;

/// Every case `generate` knows, in the order of the table.
const CASES: [&str; 21] = [
    "services-at-limit",
    "services-over",
    "self-loops",
    "small-cycles",
    "captive-chain",
    "duplicate-ids",
    "missing-keys",
    "unknown-replacements",
    "complete-digraph",
    "bindings-at-limit",
    "bindings-in-a-cycle",
    "scoped-chain",
    "deps-at-size-limit",
    "missing-at-size-limit",
    "meta-at-size-limit",
    "meta-at-entries-limit",
    "provides-repeated",
    "long-key",
    "huge-version",
    "nested",
    "ints",
];

fn doc(services: impl IntoIterator<Item = String>) -> String {
    let mut text = String::from("{\"version\":1,\"services\":[");
    for (i, s) in services.into_iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&s);
    }
    text.push_str("]}");
    text
}

fn generate(case: &str) -> String {
    let limits = wireplan::Limits::default();
    match case {
        // As many distinct services as the limit allows: a valid plan.
        "services-at-limit" => doc((0..limits.max_services).map(|i| format!("{{\"id\":\"s{i}\"}}"))),
        // Ten million services: stops at the limit.
        "services-over" => doc((0..10_000_000).map(|i| format!("{{\"id\":\"s{i}\"}}"))),
        // The limit's number of services, all with the same id.
        "duplicate-ids" => doc((0..limits.max_services).map(|_| "{\"id\":\"a\"}".to_owned())),
        "ints" => doc((0..10_000_000).map(|_| "1".to_owned())),
        "nested" => format!("{{\"version\":1,\"services\":[{{\"id\":\"a\",\"meta\":{}{}}}]}}", "[".repeat(100_000), "]".repeat(100_000)),
        // `version` as a 100 MB array: named, not built.
        "huge-version" => format!("{{\"version\":[{}1],\"services\":[]}}", "1,".repeat(50 << 20)),
        "long-key" => format!("{{\"version\":1,\"services\":[{{\"id\":\"{}\"}}]}}", "k".repeat(100 << 20)),
        // Every service needs every other: one component of 2,000.
        "complete-digraph" => {
            let n = 2_000;
            doc((0..n).map(|i| {
                let mut s = format!("{{\"id\":\"s{i}\",\"deps\":[");
                let mut first = true;
                for j in (0..n).filter(|&j| j != i) {
                    if !first {
                        s.push(',');
                    }
                    first = false;
                    let _ = write!(s, "\"s{j}\"");
                }
                s.push_str("]}");
                s
            }))
        }
        // 2,500,000 cycles of two services.
        "small-cycles" => doc((0..limits.max_services).map(|i| format!("{{\"id\":\"s{i}\",\"deps\":[\"s{}\"]}}", i ^ 1))),
        "self-loops" => doc((0..limits.max_services).map(|i| format!("{{\"id\":\"s{i}\",\"deps\":[\"s{i}\"]}}"))),
        // P providers of one key, each asked for with `many` by A services:
        // P * A bindings, just under the limit, from a 150 KB document.
        "bindings-at-limit" => {
            let side = (limits.max_bindings as f64).sqrt() as usize;
            let providers = (0..side).map(|i| format!("{{\"id\":\"p{i}\",\"provides\":[\"K\"]}}"));
            let askers = (0..side).map(|i| format!("{{\"id\":\"a{i}\",\"deps\":[{{\"key\":\"K\",\"many\":true}}]}}"));
            doc(providers.chain(askers))
        }
        // The same number of bindings, every one of them in one cycle: each
        // provider of `K` asks for every provider of `K`.
        "bindings-in-a-cycle" => {
            let side = (limits.max_bindings as f64).sqrt() as usize;
            doc((0..side).map(|i| format!("{{\"id\":\"p{i}\",\"provides\":[\"K\"],\"deps\":[{{\"key\":\"K\",\"many\":true}}]}}")))
        }
        // 100,000 singletons over one chain of 1,000,000 transients ending in
        // a scoped service: every singleton captures it through the chain.
        "captive-chain" => {
            let chain = 1_000_000;
            let singletons = (0..100_000).map(|i| format!("{{\"id\":\"s{i}\",\"deps\":[\"t0\"]}}"));
            let transients = (0..chain).map(|i| {
                let next = if i + 1 == chain { "scope".to_owned() } else { format!("t{}", i + 1) };
                format!("{{\"id\":\"t{i}\",\"lifetime\":\"transient\",\"deps\":[\"{next}\"]}}")
            });
            doc(singletons.chain(transients).chain(std::iter::once("{\"id\":\"scope\",\"lifetime\":\"scoped\"}".to_owned())))
        }
        // A chain of scoped services: quadratic recipes, stopped by the limit.
        "scoped-chain" => doc((0..100_000).map(|i| {
            if i == 0 {
                "{\"id\":\"c0\",\"lifetime\":\"scoped\"}".to_owned()
            } else {
                format!("{{\"id\":\"c{i}\",\"lifetime\":\"scoped\",\"deps\":[\"c{}\"]}}", i - 1)
            }
        })),
        // A million services, each asking for a key nobody provides that
        // is close to many that are: suggestions must stay bounded.
        "missing-keys" => doc((0..1_000_000).map(|i| format!("{{\"id\":\"service{i}\",\"deps\":[\"servic{i}\"]}}"))),
        "unknown-replacements" => doc((0..1_000_000).map(|i| format!("{{\"id\":\"service{i}\",\"replaces\":\"servic{i}\"}}"))),
        // Services providing one key 10,000 times each.
        "provides-repeated" => doc((0..1_000).map(|i| format!("{{\"id\":\"s{i}\",\"provides\":[{}]}}", vec!["\"K\""; 10_000].join(",")))),
        // As many one-letter dependencies as the size limit allows, 10,000
        // per service (the list limit), all on one service.
        "deps-at-size-limit" => {
            let per = limits.max_deps_per_service;
            let list = vec!["\"a\""; per].join(",");
            let count = limits.max_input_bytes / (list.len() + 32);
            doc(std::iter::once("{\"id\":\"a\"}".to_owned()).chain((0..count).map(|i| format!("{{\"id\":\"s{i}\",\"deps\":[{list}]}}"))))
        }
        // The same, on a key nobody provides: no bindings, all missing.
        "missing-at-size-limit" => {
            let per = limits.max_deps_per_service;
            let list = vec!["\"b\""; per].join(",");
            let count = limits.max_input_bytes / (list.len() + 32);
            doc((0..count).map(|i| format!("{{\"id\":\"s{i}\",\"deps\":[{list}]}}")))
        }
        // One `meta` of one-digit numbers as large as the size limit allows.
        "meta-at-size-limit" => {
            let count = (limits.max_input_bytes - 64) / 2;
            format!("{{\"version\":1,\"services\":[{{\"id\":\"a\",\"meta\":[{}1]}}]}}", "1,".repeat(count - 1))
        }
        // Just under the entries limit, in `meta` values: a valid plan.
        "meta-at-entries-limit" => {
            let count = limits.max_entries - 2;
            format!("{{\"version\":1,\"services\":[{{\"id\":\"a\",\"meta\":[{}1]}}]}}", "1,".repeat(count - 1))
        }
        _ => panic!("unknown case {case}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--list") {
        for case in CASES {
            println!("{case}");
        }
        return;
    }
    let row = args.first().map(String::as_str) == Some("--row");
    let case = args.get(usize::from(row)).cloned().unwrap_or_else(|| "complete-digraph".to_owned());
    let start = Instant::now();
    let text = generate(&case);
    let generated = start.elapsed();
    let start = Instant::now();
    let result = wireplan::plan_str(&text, &wireplan::Options::default());
    let planned = start.elapsed();
    if row {
        // Markdown, for bench/limits.sh, which appends the peak RSS column.
        let outcome = match &result {
            Ok(plan) => format!("plan of {} service{}", plan.len(), if plan.len() == 1 { "" } else { "s" }),
            Err(report) => {
                let full = report.diagnostics.first().map_or(String::new(), |d| format!("{}: {}", d.code, d.message));
                let mut first: String = full.chars().take(120).collect();
                if first.len() < full.len() {
                    first.push_str("...");
                }
                let first = first.replace('|', "\\|").replace('`', "'");
                let n = report.diagnostics.len();
                format!("{n} diagnostic{}, the first `{first}`", if n == 1 { "" } else { "s" })
            }
        };
        print!("| `{case}` | {:.1} MB | {outcome} | {:.2} s |", text.len() as f64 / 1e6, planned.as_secs_f64());
        return;
    }
    let outcome = match &result {
        Ok(plan) => format!("plan of {} services", plan.len()),
        Err(report) => {
            let first = report.diagnostics.first().map_or(String::new(), |d| format!("{}: {}", d.code, d.message));
            let last = report.diagnostics.last().map_or(String::new(), |d| format!("{}: {}", d.code, d.message));
            let first: String = first.chars().take(160).collect();
            let last: String = last.chars().take(160).collect();
            format!("{} diagnostics; first {first}; last {last}", report.diagnostics.len())
        }
    };
    println!("{case}: input {} bytes (generated in {generated:.2?}), planned in {planned:.2?}: {outcome}", text.len());
}
