//! Hostile inputs under the default limits, each held to a bounded result
//! (a plan or a clear error) within a time budget and a peak-memory budget.
//!
//! Every input is generated here (no large committed file). Memory is
//! measured by a counting global allocator in this test binary: the peak
//! of bytes allocated while the case runs (parse, plan or report, and the
//! plan's JSON and binary form or the report's rendering and JSON), beyond
//! the input itself. The cases run one at a time (a lock), so that peaks
//! are their own, and a watchdog ends the binary at once if a case goes
//! past 4 GiB, as the old behaviour did (8 GB and more), rather than let
//! it take the machine.
//!
//! The budgets are generous (a loaded 2-core machine, the test profile)
//! and still far below what the old behaviour needed. Figures:
//! `cargo test --release -p wireplan --test hostile -- --nocapture --test-threads 1`
//! prints one line per case (docs/limits.md quotes them).
// Tests, benches and examples read files, the environment and the clock;
// the core itself may not (crates/planner/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
// A failing test panics with its message; that is how tests report.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use peak_alloc::PeakAlloc;
use wireplan::{Code, Document, Options};

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

/// One case at a time: the allocator's peak is global.
static SERIAL: Mutex<()> = Mutex::new(());

/// Past this, a case has lost its bound: end the binary before the machine
/// runs out of memory.
const CEILING: usize = 4 << 30;

/// Time any case may take (test profile, loaded machine). The old
/// did-you-mean took many minutes; the old amplification cases ran out of
/// memory first.
const TIME: Duration = Duration::from_secs(30);

/// Peak memory a case may use beyond its input: a small multiple of the
/// input plus a constant (the report's byte budget, the bindings any input
/// may have, the process's own tables).
fn memory_budget(input: usize) -> usize {
    16 * input + (64 << 20)
}

/// What a front end does with the result, so that its memory counts: the
/// plan's JSON and binary form, or the report's rendering and JSON.
enum Outcome {
    Plan { services: usize, json_bytes: usize },
    Report { codes: Vec<Code>, first: String, last: String, rendered_bytes: usize },
}

struct Measured {
    outcome: Outcome,
    input: usize,
    took: Duration,
    peak: usize,
}

/// Generates the input (under the lock, so that no other case's input is
/// being built while this one is measured), then runs and measures it.
fn run(name: &str, generate: impl FnOnce() -> String) -> Measured {
    let _serial = SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let text = generate();
    let text = text.as_str();
    let done = Arc::new(AtomicBool::new(false));
    let watch = {
        let done = Arc::clone(&done);
        let name = name.to_owned();
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if ALLOC.current_usage() > CEILING {
                    eprintln!("hostile case `{name}` went past {CEILING} bytes: no bound");
                    std::process::exit(101);
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let base = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    let start = Instant::now();
    let outcome = match wireplan::plan_documents(&[Document { name: "hostile.json", text }], &Options::default()) {
        Ok(plan) => {
            let json = plan.to_json();
            let binary = plan.encode();
            assert!(!binary.is_empty());
            Outcome::Plan { services: plan.len(), json_bytes: json.len() }
        }
        Err(report) => {
            let rendered = report.render();
            let json = report.to_json();
            assert!(!json.is_empty());
            let codes = report.diagnostics.iter().map(|d| d.code).collect();
            let first = report.diagnostics.first().map(|d| d.message.chars().take(160).collect()).unwrap_or_default();
            let last = report.diagnostics.last().map(|d| d.message.clone()).unwrap_or_default();
            Outcome::Report { codes, first, last, rendered_bytes: rendered.len() }
        }
    };
    let took = start.elapsed();
    let peak = ALLOC.peak_usage().saturating_sub(base);
    done.store(true, Ordering::Relaxed);
    let _ = watch.join();
    let what = match &outcome {
        Outcome::Plan { services, json_bytes } => format!("plan of {services} services, JSON {json_bytes} bytes"),
        Outcome::Report { codes, first, rendered_bytes, .. } => {
            let n = codes.len();
            format!("report of {n} diagnostic{} ({rendered_bytes} bytes rendered), first: {first}", if n == 1 { "" } else { "s" })
        }
    };
    // A row of docs/limits.md's table, printed with `--nocapture` on a line
    // of its own (the harness's progress shares the output).
    let what: String = what.chars().map(|c| if c.is_control() { c.escape_unicode().to_string() } else { c.to_string() }).collect();
    let shown: String = what.chars().take(140).collect();
    let cut = shown.len() < what.len();
    let mut what = shown.replace('|', "\\|").replace('`', "'");
    if cut {
        what.push_str("...");
    }
    println!(
        "\n| `{name}` | {:.1} MB | {what} | {:.2} s | {:.0} MiB |",
        text.len() as f64 / 1e6,
        took.as_secs_f64(),
        peak as f64 / f64::from(1 << 20)
    );
    assert!(took < TIME, "{name}: took {took:?}");
    assert!(peak < memory_budget(text.len()), "{name}: peak {peak} bytes for {} bytes of input", text.len());
    Measured { outcome, input: text.len(), took, peak }
}

fn services(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().collect();
    format!("{{\"version\":1,\"services\":[{}]}}", items.join(","))
}

/// A 4 KiB id (the default `max_key_bytes`), distinct per `i`.
fn long_id(prefix: &str, i: usize) -> String {
    let tag = format!("{prefix}{i:06}");
    format!("{tag}{}", "x".repeat(4_096 - tag.len()))
}

fn report_codes(m: &Measured) -> &[Code] {
    match &m.outcome {
        Outcome::Report { codes, .. } => codes,
        Outcome::Plan { .. } => panic!("expected a report"),
    }
}

#[test]
fn ambiguous_keys_with_4k_ids_give_a_capped_report() {
    // 1,000 providers with 4 KiB ids, each providing the same 1,000 keys,
    // and one service asking for each key once: 1,000 ambiguous keys with
    // 1,000 providers each (the old report listed all: 8 GB and more).
    let m = run("ambiguous-4k-ids", || {
        let keys: Vec<String> = (0..1_000).map(|k| format!("\"k{k}\"")).collect();
        let provides = keys.join(",");
        let mut items: Vec<String> = (0..1_000).map(|i| format!(r#"{{"id":"{}","provides":[{provides}]}}"#, long_id("p", i))).collect();
        items.push(format!(r#"{{"id":"asker","deps":[{provides}]}}"#));
        services(items)
    });
    let codes = report_codes(&m);
    assert_eq!(codes.first(), Some(&Code::AmbiguousDependency));
    assert_eq!(codes.last(), Some(&Code::LimitExceeded), "the byte budget cuts it, with a count");
    let Outcome::Report { last, .. } = &m.outcome else { unreachable!() };
    let shown = codes.len() - 1;
    assert_eq!(*last, format!("the size of the report in bytes is over the limit of 16777216: {} more not shown", 1_000 - shown));
}

#[test]
fn a_many_key_of_4k_ids_plans_with_providers_by_number() {
    // 4,000 providers of `K` with 4 KiB ids, asked for with `many` by
    // 4,000 services: 16 million bindings (the old plan JSON repeated each
    // 4 KiB id per binding: 64 GB).
    let m = run("many-4k-ids", || {
        let mut items: Vec<String> = (0..4_000).map(|i| format!(r#"{{"id":"{}","provides":["K"]}}"#, long_id("p", i))).collect();
        items.extend((0..4_000).map(|i| format!(r#"{{"id":"a{i}","deps":[{{"key":"K","many":true}}]}}"#)));
        services(items)
    });
    assert!(matches!(m.outcome, Outcome::Plan { services: 8_000, .. }));
}

#[test]
fn a_many_key_of_short_ids_is_refused_past_the_growth_limit() {
    // 4,472 x 4,472 = 20 million bindings from 350 KB: refused by
    // `max_growth_per_byte` once past 1,048,576, naming the service.
    let m = run("many-short-ids", || {
        let mut items: Vec<String> = (0..4_472).map(|i| format!(r#"{{"id":"p{i}","provides":["K"]}}"#)).collect();
        items.extend((0..4_472).map(|i| format!(r#"{{"id":"a{i}","deps":[{{"key":"K","many":true}}]}}"#)));
        services(items)
    });
    assert_eq!(report_codes(&m), [Code::LimitExceeded]);
    let Outcome::Report { first, .. } = &m.outcome else { unreachable!() };
    assert!(first.starts_with("the number of dependency bindings for an input of this size is"), "{first}");
}

#[test]
fn did_you_mean_over_near_identical_4k_keys_stays_linear() {
    // 200 missing keys against 200 near-identical 4 KiB keys (the old
    // search ran for many minutes).
    let m = run("did-you-mean-4k", || {
        let stem = "k".repeat(4_000);
        let mut items: Vec<String> = (0..200).map(|i| format!(r#"{{"id":"p{i}","provides":["{stem}{i:03}"]}}"#)).collect();
        items.extend((0..200).map(|i| format!(r#"{{"id":"a{i}","deps":["{stem}{:03}y"]}}"#, 199 - i)));
        services(items)
    });
    assert!(report_codes(&m).iter().all(|&c| c == Code::MissingDependency));
    assert!(m.took < Duration::from_secs(10));
}

#[test]
fn a_report_full_of_escapes_is_bounded_by_its_rendered_size() {
    // 1,000 services each missing a 4 KiB key of DEL characters, which
    // render as `\u{7f}`: six times their size.
    let del = "\u{7f}".repeat(4_090);
    let m = run("escapes-4k", || services((0..1_000).map(|i| format!(r#"{{"id":"s{i}","deps":["{del}{i:04}"]}}"#))));
    let Outcome::Report { rendered_bytes, .. } = m.outcome else { panic!("expected a report") };
    assert!(rendered_bytes < (16 << 20) + (1 << 20), "{rendered_bytes}");
}

#[test]
fn a_cycle_of_4k_ids_is_reported_with_its_first_hops() {
    // One cycle through 4,000 services with 4 KiB ids (16 MB).
    let m = run("cycle-4k-ids", || {
        services((0..4_000).map(|i| format!(r#"{{"id":"{}","deps":["{}"]}}"#, long_id("c", i), long_id("c", (i + 1) % 4_000))))
    });
    assert_eq!(report_codes(&m), [Code::DependencyCycle]);
    assert!(m.peak < 8 * m.input + (64 << 20));
}

#[test]
fn lazy_handles_from_many_singletons_down_a_transient_chain_are_bounded() {
    // 10,000 singletons each holding a lazy handle to the head of a chain
    // of 100,000 transients ending at a scoped service: captive, each
    // path 100,002 long; the paths' budget and the report's bound them.
    let m = run("captive-lazy-chain", || {
        let mut items: Vec<String> = vec![r#"{"id":"scope","lifetime":"scoped"}"#.to_owned()];
        items.extend((0..100_000).map(|i| {
            let next = if i == 99_999 { "scope".to_owned() } else { format!("t{}", i + 1) };
            format!(r#"{{"id":"t{i}","lifetime":"transient","deps":["{next}"]}}"#)
        }));
        items.extend((0..10_000).map(|i| format!(r#"{{"id":"s{i}","deps":[{{"key":"t0","lazy":true}}]}}"#)));
        services(items)
    });
    // Once the captive paths shown pass the number of services (110,001
    // here), the rest are counted: each path is 100,002 long, so two captive
    // diagnostics are built, then the count, not as many as the report's
    // byte budget would hold.
    let codes = report_codes(&m);
    assert_eq!(codes.iter().filter(|&&c| c == Code::CaptiveDependency).count(), 2, "{codes:?}");
    assert_eq!(codes.last(), Some(&Code::LimitExceeded));
    let Outcome::Report { last, .. } = &m.outcome else { unreachable!() };
    assert!(last.contains("9998 more"), "the 10,000 captive singletons less the 2 shown: {last}");
}

#[test]
fn a_long_scoped_chain_is_refused_relative_to_its_size() {
    // 100,000 scoped services in a chain: recipes quadratic in the length.
    let m = run("scoped-chain", || {
        services((0..100_000).map(|i| {
            if i == 0 {
                r#"{"id":"s0","lifetime":"scoped"}"#.to_owned()
            } else {
                format!(r#"{{"id":"s{i}","lifetime":"scoped","deps":["s{}"]}}"#, i - 1)
            }
        }))
    });
    assert_eq!(report_codes(&m), [Code::LimitExceeded]);
    let Outcome::Report { first, .. } = &m.outcome else { unreachable!() };
    assert!(first.starts_with("the total size of scoped and transient recipes for an input of this size is"), "{first}");
}

#[test]
fn a_chain_of_two_hundred_thousand_replacements_plans_in_linear_time() {
    // Each chain is folded into its last replacer once; walking it again for
    // every replaced service was quadratic (2 * 10^10 steps here).
    let m = run("replaces-chain", || {
        let mut items: Vec<String> = (0..200_000).map(|i| format!(r#"{{"id":"r{i}","replaces":"r{}"}}"#, i + 1)).collect();
        items.push(r#"{"id":"r200000","provides":["K"]},{"id":"app","deps":["K"]}"#.to_owned());
        services(items)
    });
    assert!(matches!(m.outcome, Outcome::Plan { services: 2, .. }));
}
