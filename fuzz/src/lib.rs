//! The bodies of the fuzz targets, shared by cargo-fuzz (`fuzz_targets/`)
//! and by the stable smoke test (`crates/planner/tests/fuzz_smoke.rs`,
//! which includes this file with `#[path]`), so both check the same things.
//!
//! A body returns normally for every input the core handles correctly, and
//! panics (an assertion) when the core breaks a promise: a panic of its
//! own, a plan that does not survive its binary form, a report over its
//! limit, an answer that differs between two runs.

use wireplan::{Document, Limits, Options, Plan, Report};

/// Limits small enough that fuzz inputs reach every one of them.
pub fn tight_limits() -> Limits {
    Limits {
        max_input_bytes: 4_096,
        max_services: 12,
        max_deps_per_service: 6,
        max_entries: 48,
        max_key_bytes: 24,
        max_bindings: 40,
        max_recipe_entries: 24,
        max_growth_per_byte: 1,
        max_diagnostics: 3,
        max_report_bytes: 2_048,
    }
}

/// Arbitrary bytes as one descriptor document, planned under the default
/// options, under a profile with roots taken from the document, and under
/// tight limits.
pub fn parse_plan(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let docs = [Document { name: "fuzz.json", text }];
    let default = Options::default();
    let first = check_plan(&docs, &default);
    // The same input, planned again, gives the same answer.
    assert!(wireplan::plan_documents(&docs, &default) == first, "planning twice gave two answers");
    let roots: Vec<String> = match wireplan::Descriptors::parse(docs[0]) {
        Ok(d) => d.services.iter().take(2).map(|s| s.id.as_str().to_owned()).chain(["nobody".to_owned()]).collect(),
        Err(_) => Vec::new(),
    };
    let _ = check_plan(&docs, &Options { profile: Some("prod".to_owned()), roots, ..Options::default() });
    let _ = check_plan(&docs, &Options { limits: tight_limits(), ..Options::default() });
}

/// Plans, then checks every promise of the result.
fn check_plan(docs: &[Document<'_>], options: &Options) -> Result<Plan, Report> {
    let cap = options.limits.max_diagnostics;
    let result = wireplan::plan_documents(docs, options);
    match &result {
        Ok(plan) => {
            assert!(plan.warnings().len() <= cap.saturating_add(1), "more warnings than the limit");
            let _ = plan.to_json();
            let _ = plan.to_runtime_json();
            let bytes = plan.encode();
            let back = match Plan::decode(&bytes, Some(plan.fingerprint())) {
                Ok(back) => back,
                Err(e) => panic!("a fresh plan does not decode: {e}"),
            };
            assert!(back == *plan, "decode(encode(plan)) differs from the plan");
            assert!(back.encode() == bytes, "encode(decode(bytes)) differs from the bytes");
            use_plan(plan);
            let report = wireplan::check(&wireplan::Descriptors::parse_with(docs[0], &options.limits).unwrap_or_default(), options);
            assert!(!report.has_errors(), "check finds errors in a graph that plans");
        }
        Err(report) => {
            assert!(report.has_errors(), "a failed plan without an error");
            assert!(report.diagnostics.len() <= cap.saturating_add(1), "more diagnostics than the limit");
            let _ = report.render();
            let json = report.to_json();
            let back: Report = match serde_json::from_str(&json) {
                Ok(back) => back,
                Err(e) => panic!("the report's JSON does not read back: {e}"),
            };
            assert!(back == *report, "the report's JSON does not round-trip");
        }
    }
    result
}

/// Every query of a plan, on a few of its services: none may panic.
fn use_plan(plan: &Plan) {
    let n = plan.len() as u32;
    let _ = (
        plan.startup(),
        plan.shutdown().count(),
        plan.shutdown_layers().count(),
        plan.unused().count(),
        plan.profile(),
        plan.roots().count(),
    );
    for layer in plan.layers() {
        assert!(layer.start < layer.end && layer.end <= n, "a layer out of range");
    }
    for i in (0..n).take(16) {
        if let Some(s) = plan.service(i) {
            assert!(plan.index_of(s.id()) == Some(i), "index_of does not find a service by its id");
            let _ = (s.lifetime(), s.layer(), s.recipe(), s.source(), s.meta(), s.provides().count());
            for d in s.deps() {
                let _ = (d.key(), d.optional(), d.many(), d.lazy(), d.providers());
            }
        }
        let _ = plan.dependencies(i);
        let _ = plan.dependents(i);
        let _ = plan.path(i, 0);
        let _ = plan.path(0, i);
    }
}

/// Arbitrary bytes as a binary plan. The first byte picks the mode: even,
/// the rest is decoded as it is; odd, the rest is a plan body and gets a
/// correct header (magic, versions, length, checksum) first, so that the
/// fuzzer explores the body rather than the checksum.
pub fn decode(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let bytes = if mode % 2 == 0 { rest.to_vec() } else { with_header(rest) };
    let peeked = Plan::peek_fingerprint(&bytes).ok();
    let unchecked = Plan::decode(&bytes, None);
    for expected in [None, peeked, Some(wireplan::Fingerprint(0x5eed))] {
        let decoded = Plan::decode(&bytes, expected);
        match (expected, &decoded) {
            // A plan is never accepted as another descriptors' plan: a
            // decoder that ignored the expected fingerprint fails here.
            (Some(fp), Ok(plan)) => {
                assert!(plan.fingerprint() == fp, "a plan of fingerprint {} decoded when {fp} was expected", plan.fingerprint());
                assert!(Some(fp) == peeked, "a plan decoded under a fingerprint its header does not hold");
            }
            (Some(fp), Err(_)) if Some(fp) == peeked => {
                assert!(unchecked.is_err(), "a plan that decodes refused under its own fingerprint");
            }
            _ => {}
        }
        if let Ok(plan) = decoded {
            // Checking the fingerprint changes whether, never what.
            assert!(unchecked.as_ref().ok() == Some(&plan), "decoding with a fingerprint gave another plan");
            // Only bytes the encoder writes decode: encoding gives them back.
            assert!(plan.encode() == bytes, "a decoded plan encodes to other bytes");
            use_plan(&plan);
            let _ = plan.to_json();
            let _ = plan.to_runtime_json();
        }
    }
}

/// A header the decoder accepts, before `body`.
pub fn with_header(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(48 + body.len());
    out.extend_from_slice(wireplan::codec::MAGIC);
    out.extend_from_slice(&wireplan::codec::BINARY_VERSION.to_le_bytes());
    for part in wireplan::codec::planner_version() {
        out.extend_from_slice(&part.to_le_bytes());
    }
    out.extend_from_slice(&0x0123_4567_89ab_cdef_u128.to_be_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    let sum = wireplan::codec::checksum(&out, body);
    out.extend_from_slice(&sum.to_le_bytes());
    out.extend_from_slice(body);
    out
}
