//! The fuzz targets' bodies (`fuzz/src/lib.rs`), run on stable in seconds:
//! over the seed corpus (every descriptor and binary plan of the test
//! vectors) and a few thousand deterministic mutations of it (bit flips,
//! byte changes, truncations, splices, repeated and deleted ranges, JSON
//! tokens dropped in), and of their descriptors (ids swapped, keys dropped,
//! edges added and removed, lifetimes changed, lazy / optional / many
//! flipped, services duplicated, `replaces` and `profiles` added), which
//! reach the graph checks instead of stopping at the parser. The long runs, with coverage guidance, are
//! `cargo +nightly fuzz run` (see docs/limits.md, "Fuzzing"); this
//! test keeps the targets compiling and catches the easy regressions on a
//! fresh machine without nightly or cargo-fuzz.
// Tests, benches and examples read files, the environment and the clock;
// the core itself may not (crates/planner/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
// A failing test panics with its message; that is how tests report.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../fuzz/src/lib.rs"]
mod targets;

use std::fs;
use std::path::{Path, PathBuf};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

/// Files under `dir` whose names end with `suffix`, sorted, read.
fn files(dir: &Path, keep: &dyn Fn(&str) -> bool, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            files(&path, keep, out);
        } else if path.file_name().and_then(|n| n.to_str()).is_some_and(keep) {
            out.push((path.display().to_string(), fs::read(&path).unwrap()));
        }
    }
}

fn descriptors() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let is_descriptor =
        |n: &str| n.ends_with(".json") && !n.ends_with(".plan.json") && !n.ends_with(".report.json") && !n.ends_with(".options.json");
    files(&vectors_dir(), &is_descriptor, &mut out);
    out
}

fn binary_plans() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    files(&vectors_dir(), &|n: &str| n.ends_with(".wpl"), &mut out);
    out
}

/// xorshift64*: the same "random" mutations on every machine and run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\"",
    b"null",
    b"true",
    b"false",
    b"0",
    b"-1",
    b"1e999",
    b"\"\"",
    b"\"\\u0000\"",
    b"\"id\"",
    b"\"deps\"",
    b"\"provides\"",
    b"\"lifetime\"",
    b"\"scoped\"",
    b"\"transient\"",
    b"\"singleton\"",
    b"\"profiles\"",
    b"\"replaces\"",
    b"\"source\"",
    b"\"meta\"",
    b"\"key\"",
    b"\"optional\"",
    b"\"many\"",
    b"\"lazy\"",
    b"\"version\"",
    b"\"services\"",
    b"{\"id\":\"a\",\"deps\":[\"a\"]}",
    b"{\"key\":\"a\",\"many\":true}",
];

/// One mutation of `input`, with some help from `other` (for splices).
fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(3) {
        let len = out.len();
        match rng.below(8) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                out[i] = rng.next() as u8;
            }
            2 => out.truncate(rng.below(len + 1)),
            3 => {
                let at = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                let tail = other.get(from..).unwrap_or_default();
                out.truncate(at);
                out.extend_from_slice(tail);
            }
            4 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(16)).min(len);
                out.drain(a..b);
            }
            5 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(64)).min(len);
                let piece = out[a..b].to_vec();
                let at = rng.below(len + 1);
                for _ in 0..1 + rng.below(4) {
                    out.splice(at..at, piece.iter().copied());
                }
            }
            _ => {
                let at = rng.below(len + 1);
                let token = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, token.iter().copied());
            }
        }
    }
    out
}

/// One change to a descriptor document at the descriptor level, so that
/// the result is still a document and reaches planning: the graph changes,
/// not the syntax. `None` when `input` is not a document with services.
fn mutate_descriptors(rng: &mut Rng, input: &[u8]) -> Option<Vec<u8>> {
    use serde_json::{json, Value};
    let mut doc: Value = serde_json::from_slice(input).ok()?;
    let count = doc.get("services")?.as_array()?.len();
    if count == 0 {
        return None;
    }
    let ids: Vec<Value> = doc["services"].as_array()?.iter().map(|s| s.get("id").cloned().unwrap_or(Value::Null)).collect();
    for _ in 0..1 + rng.below(3) {
        let services = doc.get_mut("services")?.as_array_mut()?;
        let n = services.len();
        let (i, j) = (rng.below(n), rng.below(n));
        let other_id = ids.get(rng.below(ids.len())).cloned().unwrap_or(Value::Null);
        match rng.below(12) {
            // Two services swap ids.
            0 => {
                let a = services[i].get("id").cloned();
                let b = services[j].get("id").cloned();
                if let (Some(a), Some(b), Some(si)) = (a, b.clone(), services[i].as_object_mut()) {
                    si.insert("id".into(), b);
                    if let Some(sj) = services[j].as_object_mut() {
                        sj.insert("id".into(), a);
                    }
                }
            }
            // A key dropped (never `id`: that is the parser's business).
            1 => {
                if let Some(o) = services[i].as_object_mut() {
                    let keys: Vec<String> = o.keys().filter(|k| *k != "id").cloned().collect();
                    if !keys.is_empty() {
                        o.remove(&keys[rng.below(keys.len())]);
                    }
                }
            }
            // An edge added, to another service or to a key.
            2 | 3 => {
                if let Some(o) = services[i].as_object_mut() {
                    let dep = match rng.below(4) {
                        0 => json!({"key": other_id, "lazy": true}),
                        1 => json!({"key": other_id, "many": rng.below(2) == 0, "optional": rng.below(2) == 0}),
                        _ => other_id,
                    };
                    match o.get_mut("deps").and_then(Value::as_array_mut) {
                        Some(deps) => deps.push(dep),
                        None => {
                            o.insert("deps".into(), json!([dep]));
                        }
                    }
                }
            }
            // An edge removed.
            4 => {
                if let Some(deps) = services[i].get_mut("deps").and_then(Value::as_array_mut) {
                    if !deps.is_empty() {
                        let at = rng.below(deps.len());
                        deps.remove(at);
                    }
                }
            }
            // Another lifetime.
            5 => {
                if let Some(o) = services[i].as_object_mut() {
                    o.insert("lifetime".into(), json!(["singleton", "scoped", "transient"][rng.below(3)]));
                }
            }
            // lazy, optional or many flipped on one dependency.
            6 => {
                if let Some(deps) = services[i].get_mut("deps").and_then(Value::as_array_mut) {
                    if !deps.is_empty() {
                        let at = rng.below(deps.len());
                        let flag = ["lazy", "optional", "many"][rng.below(3)];
                        let dep = &mut deps[at];
                        if dep.is_string() {
                            *dep = json!({"key": dep.clone()});
                        }
                        if let Some(d) = dep.as_object_mut() {
                            let was = d.get(flag).and_then(Value::as_bool).unwrap_or(false);
                            d.insert(flag.into(), json!(!was));
                        }
                    }
                }
            }
            // A service duplicated (same id), or copied under a new id.
            7 => {
                let mut copy = services[i].clone();
                if rng.below(2) == 0 {
                    if let Some(o) = copy.as_object_mut() {
                        o.insert("id".into(), json!(format!("copy{}", rng.below(100))));
                    }
                }
                services.push(copy);
            }
            // replaces another service (or itself, or one that is not there).
            8 => {
                if let Some(o) = services[i].as_object_mut() {
                    let target = if rng.below(8) == 0 { json!("nobody") } else { other_id };
                    o.insert("replaces".into(), target);
                }
            }
            // profiles.
            9 => {
                if let Some(o) = services[i].as_object_mut() {
                    o.insert("profiles".into(), [json!(["prod"]), json!(["dev"]), json!(["prod", "dev"]), json!([])][rng.below(4)].clone());
                }
            }
            // A key provided by another service too.
            10 => {
                if let Some(o) = services[i].as_object_mut() {
                    o.insert("provides".into(), json!([other_id, "Shared"]));
                }
            }
            // A service removed.
            _ => {
                if n > 1 {
                    services.remove(i);
                }
            }
        }
    }
    let text = if rng.below(2) == 0 { serde_json::to_vec(&doc).ok()? } else { serde_json::to_vec_pretty(&doc).ok()? };
    Some(text)
}

/// Whether the planner got past the parser: a plan, or a report with a
/// graph problem in it (not `invalid-descriptor`, `unsupported-version`
/// or `limit-exceeded` alone).
fn reached_planning(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else { return false };
    match wireplan::plan_str(text, &wireplan::Options::default()) {
        Ok(_) => true,
        Err(report) => !report.diagnostics.iter().any(|d| {
            matches!(d.code, wireplan::Code::InvalidDescriptor | wireplan::Code::UnsupportedVersion | wireplan::Code::LimitExceeded)
        }),
    }
}

fn run(seeds: &[(String, Vec<u8>)], rounds: usize, target: fn(&[u8]), seed: u64) -> usize {
    assert!(!seeds.is_empty(), "no seeds found under {}", vectors_dir().display());
    let mut rng = Rng(seed);
    let mut count = 0;
    for (_, bytes) in seeds {
        target(bytes);
        count += 1;
    }
    for _ in 0..rounds {
        let (_, input) = &seeds[rng.below(seeds.len())];
        let (_, other) = &seeds[rng.below(seeds.len())];
        let mutated = mutate(&mut rng, input, other);
        target(&mutated);
        count += 1;
    }
    count
}

#[test]
fn parse_plan_survives_the_seeds_and_their_mutations() {
    let seeds = descriptors();
    assert!(seeds.len() >= 50, "only {} descriptor seeds", seeds.len());
    // Byte-level: mostly the parser's faults (the graph checks get their
    // inputs from `descriptor_mutations_mostly_reach_the_graph_checks`).
    let ran = run(&seeds, 12_000, targets::parse_plan, 0x9e37_79b9_7f4a_7c15);
    assert!(ran >= 12_000);
}

#[test]
fn descriptor_mutations_mostly_reach_the_graph_checks() {
    let seeds: Vec<(String, Vec<u8>)> = descriptors().into_iter().filter(|(_, b)| reached_planning(b)).collect();
    assert!(seeds.len() >= 40, "only {} seeds reach planning", seeds.len());
    let mut rng = Rng(0x51_7cc1_b727_220a);
    let rounds = 5_000;
    let (mut reached, mut planned_codes) = (0usize, std::collections::BTreeMap::<String, usize>::new());
    for round in 0..rounds {
        let (_, input) = &seeds[rng.below(seeds.len())];
        let Some(mut mutated) = mutate_descriptors(&mut rng, input) else { continue };
        // One in eight also gets a byte-level change, for the parser's sake.
        if round % 8 == 0 {
            let (_, other) = &seeds[rng.below(seeds.len())];
            mutated = mutate(&mut rng, &mutated, other);
        }
        targets::parse_plan(&mutated);
        if reached_planning(&mutated) {
            reached += 1;
            let text = std::str::from_utf8(&mutated).unwrap_or_default();
            let outcome = match wireplan::plan_str(text, &wireplan::Options::default()) {
                Ok(_) => vec!["plan".to_owned()],
                Err(r) => r.diagnostics.iter().map(|d| d.code.to_string()).collect(),
            };
            for o in outcome {
                *planned_codes.entry(o).or_default() += 1;
            }
        }
    }
    let share = reached as f64 / rounds as f64;
    println!("descriptor mutations reaching planning: {reached} of {rounds} ({:.1}%); outcomes: {planned_codes:?}", share * 100.0);
    assert!(share >= 0.6, "only {:.1}% of the descriptor mutations reached planning", share * 100.0);
    // Every kind of graph outcome is met, so the checks behind them ran.
    for code in [
        "plan",
        "dependency-cycle",
        "missing-dependency",
        "ambiguous-dependency",
        "captive-dependency",
        "duplicate-id",
        "invalid-replacement",
    ] {
        assert!(planned_codes.contains_key(code), "no mutation led to {code}: {planned_codes:?}");
    }
}

#[test]
fn a_damaged_byte_is_refused_or_decodes_to_the_identical_plan() {
    let plans = binary_plans();
    assert!(plans.len() >= 20, "only {} binary plans", plans.len());
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut tried = 0;
    for (name, bytes) in &plans {
        let plan = wireplan::Plan::decode(bytes, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        for at in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[at] ^= 1 << rng.below(8);
            match wireplan::Plan::decode(&damaged, None) {
                Err(_) => {}
                Ok(back) => assert_eq!(back, plan, "{name}: a damaged byte at {at} decoded to another plan"),
            }
            assert!(
                wireplan::Plan::decode(&damaged, Some(plan.fingerprint())).is_err() || damaged == *bytes,
                "{name}: byte {at} damaged and accepted"
            );
            tried += 1;
        }
    }
    assert!(tried > 1_000);
}

#[test]
fn a_plan_decoded_under_another_fingerprint_is_refused() {
    for (name, bytes) in binary_plans() {
        let plan = wireplan::Plan::decode(&bytes, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(wireplan::Plan::decode(&bytes, Some(plan.fingerprint())).as_ref().ok(), Some(&plan), "{name}");
        for other in [plan.fingerprint().0 ^ 1, plan.fingerprint().0 ^ (1 << 127), 0, u128::MAX] {
            match wireplan::Plan::decode(&bytes, Some(wireplan::Fingerprint(other))) {
                Err(wireplan::Error::Decode { reason: wireplan::DecodeFault::Fingerprint { .. } }) => {}
                other => panic!("{name}: decoded under another fingerprint: {other:?}"),
            }
        }
        // The decode target asserts the same on its inputs.
        let mut input = vec![0u8];
        input.extend_from_slice(&bytes);
        targets::decode(&input);
    }
}

#[test]
fn decode_survives_the_plans_and_their_mutations() {
    let plans = binary_plans();
    assert!(!plans.is_empty(), "no binary plans in the vectors");
    // Each plan twice: as it is (mode byte 0), and as a body given a
    // correct header (mode byte 1), so mutations reach past the checksum.
    let mut seeds = Vec::new();
    for (name, bytes) in &plans {
        let mut raw = vec![0u8];
        raw.extend_from_slice(bytes);
        seeds.push((name.clone(), raw));
        let mut body = vec![1u8];
        body.extend_from_slice(bytes.get(48..).unwrap_or_default());
        seeds.push((name.clone(), body));
    }
    let ran = run(&seeds, 20_000, targets::decode, 0x2545_f491_4f6c_dd1d);
    assert!(ran >= 20_000);
}

#[test]
fn the_committed_plans_survive_the_decode_target_unchanged() {
    for (name, bytes) in binary_plans() {
        let mut input = vec![0u8];
        input.extend_from_slice(&bytes);
        targets::decode(&input);
        assert!(wireplan::Plan::decode(&bytes, None).is_ok(), "{name} does not decode");
    }
}

/// What the smoke run found first (the decode target's "a decoded plan
/// encodes to other bytes"): the decoder accepted bytes the encoder never
/// writes, so a cache could hold two files for one plan. Each case below
/// changes one such thing in a real plan, gives the body a correct header,
/// and must be refused.
#[test]
fn only_the_bytes_the_encoder_writes_decode() {
    let options = wireplan::Options { roots: vec!["db".into()], ..wireplan::Options::default() };
    // An unused service (a warning to encode), named so that the string
    // arena needs padding.
    let (plan, body) = ["w", "wo", "wor", "work"]
        .iter()
        .map(|unused| {
            let text = format!(r#"{{"version":1,"services":[{{"id":"config"}},{{"id":"db","deps":["config"]}},{{"id":"{unused}"}}]}}"#);
            let plan = wireplan::plan_str(&text, &options).unwrap();
            let body = plan.encode()[48..].to_vec();
            (plan, body)
        })
        .find(|(_, body)| u32::from_le_bytes([body[0], body[1], body[2], body[3]]) % 4 != 0)
        .unwrap();
    assert!(!plan.warnings().is_empty(), "the plan has a warning to encode");
    assert!(wireplan::Plan::decode(&targets::with_header(&body), None).is_ok(), "the untouched body decodes");
    let word = |b: &[u8], at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize;
    let refused = |changed: Vec<u8>, why: &str| match wireplan::Plan::decode(&targets::with_header(&changed), None) {
        Err(wireplan::Error::Decode { reason: wireplan::DecodeFault::Corrupt(_) }) => {}
        other => panic!("{why}: {other:?}"),
    };

    // The string arena's padding is zeros.
    let arena = word(&body, 0);
    let mut changed = body.clone();
    changed[4 + arena] = 1;
    refused(changed, "non-zero padding");

    // An absent source or meta has all-zero fields.
    let mut at = 4 + arena.div_ceil(4) * 4;
    at += if word(&body, at) == 1 { 12 } else { 4 }; // profile
    at += 4 + 8 * word(&body, at); // roots
    at += 8; // service count, singleton count
    let (has_src, line, has_meta, meta_len) = (at + 36, at + 48, at + 56, at + 64);
    assert_eq!((word(&body, has_src), word(&body, has_meta)), (0, 0), "the first service has no source and no meta");
    for (field, why) in [(line, "a line without a source"), (meta_len, "a meta span without meta")] {
        let mut changed = body.clone();
        changed[field] = 7;
        refused(changed, why);
    }

    // The warnings are the encoder's compact JSON: a space more is refused.
    let json = serde_json::to_string(plan.warnings()).unwrap();
    let end = body.len() - (4 - json.len() % 4) % 4;
    let start = end - json.len();
    assert_eq!(&body[start..end], json.as_bytes());
    let mut changed = body[..start - 4].to_vec();
    let spaced = format!("{json} ");
    changed.extend_from_slice(&(spaced.len() as u32).to_le_bytes());
    changed.extend_from_slice(spaced.as_bytes());
    changed.resize(changed.len().div_ceil(4) * 4, 0);
    refused(changed, "warnings with a space more");
}
