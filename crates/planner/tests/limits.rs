//! Resource limits, in the words of the spec: every limit, when exceeded,
//! is a `limit-exceeded` error naming it, found before the work it guards;
//! hostile inputs get a bounded, clear answer in bounded time; and limits
//! never change a plan, only whether one is made.
// Tests, benches and examples read files, the environment and the clock;
// the core itself may not (crates/planner/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
// A failing test panics with its message; that is how tests report.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use wireplan::{Code, Descriptors, Document, Error, Limits, Options, Report, Severity};

/// Far above what any case below takes (each well under a few seconds in
/// the test profile), so only a lost bound, never a slow machine, trips it.
const GENEROUS: Duration = Duration::from_secs(60);

fn doc(text: &str) -> Document<'_> {
    Document { name: "app.json", text }
}

fn with(limits: Limits) -> Options {
    Options { limits, ..Options::default() }
}

fn services<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("{{\"version\":1,\"services\":[{}]}}", items.join(","))
}

/// `(what, limit, found)` of the limit error parsing `text` under `limits` gives.
fn parse_limit(text: &str, limits: Limits) -> (String, usize, usize) {
    match Descriptors::parse_with(doc(text), &limits) {
        Err(Error::LimitExceeded { document, what, limit, found, .. }) => {
            assert_eq!(document, "app.json");
            (what, limit, found)
        }
        other => panic!("expected a limit error, got {other:?}"),
    }
}

/// The report of planning `text`, which must fail.
fn report(text: &str, options: &Options) -> Report {
    match wireplan::plan_str(text, options) {
        Ok(_) => panic!("expected a report"),
        Err(report) => report,
    }
}

/// The one `limit-exceeded` diagnostic of a report, and its message.
fn limit_message(report: &Report) -> String {
    assert_eq!(report.diagnostics.len(), 1, "{}", report.render());
    let d = &report.diagnostics[0];
    assert_eq!(d.code, Code::LimitExceeded, "{}", report.render());
    assert_eq!(d.code.as_str(), "limit-exceeded");
    d.message.clone()
}

fn timed<T>(f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < GENEROUS, "took {took:?}");
    out
}

#[test]
fn the_defaults_are_the_documented_ones_and_options_json_changes_any_of_them() {
    let l = Limits::default();
    assert_eq!(
        (l.max_input_bytes, l.max_services, l.max_deps_per_service, l.max_entries, l.max_key_bytes),
        (256 << 20, 2_000_000, 10_000, 10_000_000, 4_096)
    );
    assert_eq!((l.max_bindings, l.max_recipe_entries, l.max_diagnostics), (20_000_000, 1 << 24, 1_000));
    assert_eq!((l.max_growth_per_byte, l.max_report_bytes, wireplan::GROWTH_FLOOR), (1, 16 << 20, 1 << 20));
    assert_eq!((l.growth(100), l.growth(3 << 20)), (1 << 20, 3 << 20), "a floor, then one per byte");
    assert_eq!(Limits::UNLIMITED.growth(10), usize::MAX);
    let o = Options::from_json(r#"{"limits": {"max_growth_per_byte": 4, "max_report_bytes": 1000}}"#).unwrap();
    assert_eq!(o.limits, Limits { max_growth_per_byte: 4, max_report_bytes: 1_000, ..Limits::default() });
    assert_eq!(wireplan::MAX_NESTING, 127);
    assert_eq!(Options::from_json("{}").unwrap().limits, l);
    let o = Options::from_json(r#"{"limits": {"max_services": 2000000, "max_diagnostics": 5}}"#).unwrap();
    assert_eq!(o.limits, Limits { max_services: 2_000_000, max_diagnostics: 5, ..Limits::default() });
    let back: Options = serde_json::from_str(&serde_json::to_string(&o).unwrap()).unwrap();
    assert_eq!(back, o);
    assert!(Options::from_json(r#"{"limits": {"max_servics": 1}}"#).is_err(), "an unknown limit is an error");
    assert!(Options::from_json(r#"{"limits": {"max_services": -1}}"#).is_err());
}

#[test]
fn the_document_size_is_checked_before_parsing() {
    // Not even JSON: the size is all that is looked at.
    let text = "this is not JSON, and it is 44 bytes long..";
    let (what, limit, found) = parse_limit(text, Limits { max_input_bytes: 40, ..Limits::default() });
    assert_eq!((what.as_str(), limit, found), ("the size of the document in bytes", 40, text.len()));
    let r = report(text, &with(Limits { max_input_bytes: 40, ..Limits::default() }));
    assert_eq!(limit_message(&r), format!("the size of the document in bytes is {}, over the limit of 40", text.len()));
    assert_eq!(r.diagnostics[0].location.as_ref().map(|l| l.file.as_str()), Some("<input>"));
    let ok = r#"{"version":1,"services":[]}"#;
    assert!(Descriptors::parse_with(doc(ok), &Limits { max_input_bytes: ok.len(), ..Limits::default() }).is_ok());
}

#[test]
fn the_number_of_services_counts_every_document_and_stops_the_parse() {
    let a = r#"{"version":1,"services":[{"id":"a"},{"id":"b"}]}"#;
    let b = r#"{"version":1,"services":[{"id":"c"},{"id":"d"}]}"#;
    let docs = [Document { name: "a.json", text: a }, Document { name: "b.json", text: b }];
    let limits = Limits { max_services: 3, ..Limits::default() };
    match Descriptors::parse_all_with(&docs, &limits) {
        Err(Error::LimitExceeded { document, what, limit, found, .. }) => {
            assert_eq!((document.as_str(), what.as_str(), limit, found), ("b.json", "the number of services", 3, 4));
        }
        other => panic!("{other:?}"),
    }
    assert!(Descriptors::parse_all_with(&docs, &Limits { max_services: 4, ..Limits::default() }).is_ok());
    // The element after the limit is not read: what follows it may be anything.
    let text = r#"{"version":1,"services":[{"id":"a"},{"id":"b"},{"id":"c"}, this is never read"#;
    assert_eq!(parse_limit(text, Limits { max_services: 2, ..Limits::default() }).2, 3);
}

#[test]
fn every_list_of_a_service_is_limited_as_it_is_read() {
    let limits = Limits { max_deps_per_service: 2, ..Limits::default() };
    let cases = [
        (r#"{"id":"s","deps":["a","b","c"]}"#, "the number of dependencies of a service"),
        (r#"{"id":"s","deps":["a",{"key":"b"},{"key":"c","lazy":true}]}"#, "the number of dependencies of a service"),
        (r#"{"id":"s","provides":["a","b","c"]}"#, "the number of keys a service provides"),
        (r#"{"id":"s","profiles":["a","b","c"]}"#, "the number of profiles of a service"),
        (r#"{"id":"s","replaces":["a","b","c"]}"#, "the number of services a service replaces"),
    ];
    for (service, expected) in cases {
        let (what, limit, found) = parse_limit(&services(&[service.to_owned()]), limits);
        assert_eq!((what.as_str(), limit, found), (expected, 2, 3), "{service}");
        let at_limit = service.replace(",\"c\"", "").replace(",{\"key\":\"c\",\"lazy\":true}", "");
        assert!(Descriptors::parse_with(doc(&services(&[at_limit.as_str()])), &limits).is_ok(), "{at_limit}");
    }
}

#[test]
fn list_entries_and_meta_values_are_counted_across_all_services() {
    let limits = Limits { max_entries: 5, ..Limits::default() };
    let three = |i: usize| format!(r#"{{"id":"s{i}","deps":["a","b"],"provides":["k{i}"]}}"#);
    let (what, limit, found) = parse_limit(&services(&[three(0), three(1)]), limits);
    assert_eq!((what.as_str(), limit, found), ("the number of list entries and meta values", 5, 6));
    // `meta` counts its values (the array and its three numbers here)
    // before any of it is built.
    let (what, _, found) = parse_limit(&services(&[r#"{"id":"s","deps":["a","b"],"meta":[1,2,3]}"#.to_owned()]), limits);
    assert_eq!((what.as_str(), found), ("the number of list entries and meta values", 6));
    assert!(Descriptors::parse_with(doc(&services(&[r#"{"id":"s","meta":{"a":[1]}}"#.to_owned()])), &limits).is_ok());
}

#[test]
fn ids_and_keys_are_limited_in_bytes_wherever_they_appear() {
    let limits = Limits { max_key_bytes: 8, ..Limits::default() };
    let long = "ninebytes"; // 9 bytes
    let wide = "ééééé"; // 5 characters, 10 bytes
    let cases = [
        format!(r#"{{"id":"{long}"}}"#),
        format!(r#"{{"id":"{wide}"}}"#),
        format!(r#"{{"id":"s","provides":["{long}"]}}"#),
        format!(r#"{{"id":"s","deps":["{long}"]}}"#),
        format!(r#"{{"id":"s","deps":[{{"key":"{long}","optional":true}}]}}"#),
        format!(r#"{{"id":"s","profiles":["{long}"]}}"#),
        format!(r#"{{"id":"s","replaces":"{long}"}}"#),
        format!(r#"{{"id":"s","replaces":["{long}"]}}"#),
        // Escapes count as the bytes they stand for.
        r#"{"id":"\u0041\u0042\u0043\u0044\u0045\u0046\u0047\u0048\u0049"}"#.to_owned(),
    ];
    for service in cases {
        let (what, limit, found) = parse_limit(&services(&[service.as_str()]), limits);
        assert_eq!((what.as_str(), limit), ("the length of an id or key in bytes", 8), "{service}");
        assert!(found == 9 || found == 10, "{service}: {found}");
    }
    // A source file name is shown in every diagnostic about its service:
    // it is as bounded as an id, under its own name.
    let file = r#"{"id":"s","source":{"file":"app/db.py"}}"#;
    assert_eq!(parse_limit(&services(&[file]), limits), ("the length of a source file name in bytes".to_owned(), 8, 9));
    // Eight bytes are fine; a meta string is no key.
    let fine = r#"{"id":"eightbyt","source":{"file":"app/a.py"},"meta":"a long string of meta"}"#;
    assert!(Descriptors::parse_with(doc(&services(&[fine.to_owned()])), &limits).is_ok());
}

#[test]
fn json_nests_at_most_127_deep_so_meta_at_most_124() {
    let meta = |depth: usize| services(&[format!(r#"{{"id":"a","meta":{}{}}}"#, "[".repeat(depth), "]".repeat(depth))]);
    assert!(wireplan::plan_str(&meta(124), &Options::default()).is_ok());
    let (what, limit, found) = parse_limit(&meta(125), Limits::default());
    assert_eq!((what.as_str(), limit, found), ("the nesting depth of JSON arrays and objects", 127, 128));
    // Anywhere else, the schema allows no nesting: the first bracket too
    // many is already the wrong type.
    for text in [services(&[format!(r#"{{"id":"a","deps":{}"#, "[".repeat(200))]), format!("{{\"version\":{}", "[".repeat(200))] {
        let r = report(&text, &Options::default());
        assert_eq!(r.diagnostics[0].code, Code::InvalidDescriptor, "{}", r.render());
    }
}

#[test]
fn the_bindings_are_counted_before_any_graph_algorithm_runs() {
    // Three providers of `K`, each bound to three `many` dependencies: 9.
    let mut items: Vec<String> = (0..3).map(|i| format!(r#"{{"id":"p{i}","provides":["K"]}}"#)).collect();
    items.extend((0..3).map(|i| format!(r#"{{"id":"a{i}","deps":[{{"key":"K","many":true}}]}}"#)));
    let text = services(&items);
    let r = report(&text, &with(Limits { max_bindings: 8, ..Limits::default() }));
    assert_eq!(limit_message(&r), "the number of dependency bindings is 9, over the limit of 8");
    assert!(wireplan::plan_str(&text, &with(Limits { max_bindings: 9, ..Limits::default() })).is_ok());
}

#[test]
fn recipes_are_limited_in_total_size() {
    // A chain of 100 scoped services: recipes of 1 + 2 + ... + 100 = 5,050.
    let items: Vec<String> = (0..100)
        .map(|i| match i {
            0 => r#"{"id":"c0","lifetime":"scoped"}"#.to_owned(),
            _ => format!(r#"{{"id":"c{i}","lifetime":"scoped","deps":["c{}"]}}"#, i - 1),
        })
        .collect();
    let text = services(&items);
    let r = report(&text, &with(Limits { max_recipe_entries: 1_000, ..Limits::default() }));
    assert!(limit_message(&r).starts_with("the total size of scoped and transient recipes is "), "{}", r.render());
    assert!(wireplan::plan_str(&text, &with(Limits { max_recipe_entries: 5_050, ..Limits::default() })).is_ok());
}

/// A graph with every kind of error, several times over.
fn many_problems() -> String {
    let mut items = Vec::new();
    for i in 0..4 {
        items.push(format!(r#"{{"id":"cyc{i}a","deps":["cyc{i}b"]}}"#));
        items.push(format!(r#"{{"id":"cyc{i}b","deps":["cyc{i}a"]}}"#));
        items.push(format!(r#"{{"id":"miss{i}","deps":["Nobody{i}"]}}"#));
        items.push(format!(r#"{{"id":"amb{i}a","provides":["Amb{i}"]}}"#));
        items.push(format!(r#"{{"id":"amb{i}b","provides":["Amb{i}"]}}"#));
        items.push(format!(r#"{{"id":"asks{i}","deps":["Amb{i}"]}}"#));
        items.push(format!(r#"{{"id":"dup{i}"}}"#));
        items.push(format!(r#"{{"id":"dup{i}"}}"#));
        items.push(format!(r#"{{"id":"scope{i}","lifetime":"scoped"}}"#));
        items.push(format!(r#"{{"id":"tr{i}","lifetime":"transient","deps":["scope{i}"]}}"#));
        items.push(format!(r#"{{"id":"single{i}","deps":["tr{i}","scope{}"]}}"#, (i + 1) % 4));
        items.push(format!(r#"{{"id":"repl{i}","replaces":["ghost{i}"]}}"#));
    }
    services(&items)
}

#[test]
fn a_long_report_keeps_its_first_diagnostics_and_ends_by_counting_the_rest() {
    let text = many_problems();
    let full = report(&text, &with(Limits::UNLIMITED)).diagnostics;
    assert!(full.len() >= 28, "{}", full.len());
    for cap in 0..full.len() + 2 {
        let capped = report(&text, &with(Limits { max_diagnostics: cap, ..Limits::default() })).diagnostics;
        if cap >= full.len() {
            assert_eq!(capped, full, "cap {cap}");
            continue;
        }
        assert_eq!(capped.len(), cap + 1, "cap {cap}");
        assert_eq!(capped[..cap], full[..cap], "cap {cap}: the first diagnostics are the full report's");
        let last = capped.last().unwrap();
        assert_eq!((last.code, last.severity), (Code::LimitExceeded, Severity::Error));
        let hidden = full.len() - cap;
        assert_eq!(last.message, format!("the number of diagnostics is {}, over the limit of {cap}: {hidden} more not shown", full.len()));
    }
}

#[test]
fn warnings_alone_are_capped_too_and_the_plan_is_still_made() {
    let items: Vec<String> = (0..10).map(|i| format!(r#"{{"id":"s{i}"}}"#)).collect();
    let options = Options { roots: vec!["s0".into()], limits: Limits { max_diagnostics: 3, ..Limits::default() }, ..Options::default() };
    let plan = wireplan::plan_str(&services(&items), &options).unwrap_or_else(|r| panic!("{}", r.render()));
    let w = plan.warnings();
    assert_eq!(w.len(), 4);
    assert!(w[..3].iter().all(|d| d.code == Code::UnusedService));
    assert_eq!((w[3].code, w[3].severity), (Code::LimitExceeded, Severity::Warning));
    assert_eq!(w[3].message, "the number of diagnostics is 9, over the limit of 3: 6 more not shown");
    assert_eq!(plan.unused().count(), 9, "the plan still lists every unused service");
}

#[test]
fn limits_decide_whether_a_plan_is_made_never_what_it_is() {
    let text = r#"{"version":1,"services":[{"id":"config"},{"id":"db","deps":["config"]}]}"#;
    let a = wireplan::plan_str(text, &Options::default()).unwrap();
    let b = wireplan::plan_str(text, &with(Limits::UNLIMITED)).unwrap();
    let c = wireplan::plan_str(text, &with(Limits { max_services: 2, max_key_bytes: 6, ..Limits::default() })).unwrap();
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert_eq!(a.fingerprint(), c.fingerprint(), "limits are not part of the fingerprint");
    assert_eq!(a.encode(), c.encode());
}

// Hostile inputs: each gets a bounded, clear error in bounded time.

#[test]
fn ten_million_services_of_nothing_stop_at_the_first() {
    for element in ["{}", "1", "null"] {
        let text = format!("{{\"version\":1,\"services\":[{}]}}", vec![element; 10_000_000].join(","));
        let r = timed(|| report(&text, &Options::default()));
        assert_eq!(r.diagnostics.len(), 1);
        assert_eq!(r.diagnostics[0].code, Code::InvalidDescriptor, "{}", r.render());
        assert_eq!(r.diagnostics[0].location.as_ref().and_then(|l| l.path.as_deref()), Some("services[0]"));
    }
}

#[test]
fn ten_million_services_stop_at_the_services_limit() {
    let text = format!("{{\"version\":1,\"services\":[{}]}}", vec![r#"{"id":"a"}"#; 10_000_000].join(","));
    let r = timed(|| report(&text, &with(Limits { max_services: 1_000, ..Limits::default() })));
    assert_eq!(limit_message(&r), "the number of services is 1001, over the limit of 1000");
}

#[test]
fn a_hundred_thousand_open_brackets_are_refused_at_depth_127() {
    let nested = "[".repeat(100_000);
    for text in [nested.clone(), format!("{{\"version\":1,\"services\":{nested}"), services(&[format!(r#"{{"id":"a","meta":{nested}"#)])] {
        let r = timed(|| report(&text, &Options::default()));
        assert_eq!(r.diagnostics.len(), 1, "{}", r.render());
    }
    let closed = services(&[format!(r#"{{"id":"a","meta":{nested}{}}}"#, "]".repeat(100_000))]);
    let r = timed(|| report(&closed, &Options::default()));
    assert_eq!(limit_message(&r), "the nesting depth of JSON arrays and objects is 100003, over the limit of 127");
}

#[test]
fn a_hundred_megabyte_key_is_refused_by_its_length_or_the_document_size() {
    let key = "k".repeat(100 << 20);
    let text = services(&[format!(r#"{{"id":"{key}"}}"#)]);
    let r = timed(|| report(&text, &Options::default()));
    assert_eq!(limit_message(&r), format!("the length of an id or key in bytes is {}, over the limit of 4096", 100 << 20));
    let r = timed(|| report(&text, &with(Limits { max_input_bytes: 1 << 20, ..Limits::default() })));
    assert!(limit_message(&r).starts_with("the size of the document in bytes is "));
}

#[test]
fn a_complete_graph_of_two_thousand_services_reports_one_short_cycle() {
    let n = 2_000;
    let items: Vec<String> = (0..n)
        .map(|i| {
            let deps: Vec<String> = (0..n).filter(|&j| j != i).map(|j| format!("\"s{j}\"")).collect();
            format!(r#"{{"id":"s{i}","deps":[{}]}}"#, deps.join(","))
        })
        .collect();
    let text = services(&items);
    let r = timed(|| report(&text, &Options::default()));
    assert_eq!(r.diagnostics.len(), 1, "one component, one cycle");
    assert_eq!(r.diagnostics[0].code, Code::DependencyCycle);
    assert_eq!(r.diagnostics[0].services, ["s0", "s1", "s0"]);
}

#[test]
fn a_hundred_thousand_cycles_are_reported_a_thousand_at_a_time() {
    let n = 200_000;
    let items: Vec<String> = (0..n).map(|i| format!(r#"{{"id":"s{i:06}","deps":["s{:06}"]}}"#, i ^ 1)).collect();
    let r = timed(|| report(&services(&items), &Options::default()));
    assert_eq!(r.diagnostics.len(), 1_001);
    assert!(r.diagnostics[..1_000].iter().all(|d| d.code == Code::DependencyCycle && d.services.len() == 3));
    assert_eq!(r.diagnostics[0].services, ["s000000", "s000001", "s000000"]);
    assert_eq!(r.diagnostics[999].services, ["s001998", "s001999", "s001998"]);
    assert_eq!(r.diagnostics[1_000].message, "the number of diagnostics is 100000, over the limit of 1000: 99000 more not shown");
    let text = r.render();
    assert!(text.len() < 2 << 20, "the rendered report stays small: {} bytes", text.len());
}

#[test]
fn twenty_five_million_bindings_from_a_small_document_are_refused() {
    let side = 5_000;
    let mut items: Vec<String> = (0..side).map(|i| format!(r#"{{"id":"p{i}","provides":["K"]}}"#)).collect();
    items.extend((0..side).map(|i| format!(r#"{{"id":"a{i}","deps":[{{"key":"K","many":true}}]}}"#)));
    let text = services(&items);
    assert!(text.len() < 1 << 20);
    let r = timed(|| report(&text, &Options::default()));
    // Relative to the input (under 1 MiB): at most GROWTH_FLOOR bindings.
    // Counted service by service: the 210th asker's 5,000 go over, and the
    // error names it and its place.
    assert_eq!(limit_message(&r), "the number of dependency bindings for an input of this size is 1050000, over the limit of 1048576");
    let d = &r.diagnostics[0];
    assert_eq!(d.services, ["a209"]);
    let at = d.location.as_ref().unwrap();
    assert_eq!((at.file.as_str(), at.line, at.path.as_deref()), ("<input>", Some(1), Some("services[5209]")));
    assert_eq!(at.column, Some(text.find(r#"{"id":"a209""#).unwrap() as u32 + 1));
    // With the relative limit lifted, the absolute one: the 4,001st asker.
    let lifted = Options { limits: Limits { max_growth_per_byte: usize::MAX, ..Limits::default() }, ..Options::default() };
    let r = timed(|| report(&text, &lifted));
    assert_eq!(limit_message(&r), "the number of dependency bindings is 20005000, over the limit of 20000000");
    assert_eq!(r.diagnostics[0].services, ["a4000"]);
    assert!(r
        .render()
        .starts_with("error[limit-exceeded]: the number of dependency bindings is 20005000, over the limit of 20000000\n  --> <input>:1:"));
}

#[test]
fn a_ten_megabyte_version_or_field_name_is_named_not_copied() {
    let huge = "1,".repeat(5 << 20);
    let text = format!("{{\"version\":[{huge}1],\"services\":[]}}");
    let r = timed(|| report(&text, &Options::default()));
    assert_eq!(r.diagnostics[0].code, Code::UnsupportedVersion);
    assert_eq!(r.diagnostics[0].message, format!("unsupported descriptor format version [{}...", &huge[..31]));
    let name = "x".repeat(10 << 20);
    for service in [format!(r#"{{"id":"a","{name}":1}}"#), format!(r#"{{"id":"a","lifetime":"{name}"}}"#)] {
        let r = timed(|| report(&services(&[service.as_str()]), &Options::default()));
        assert_eq!(r.diagnostics[0].code, Code::InvalidDescriptor);
        assert!(r.render().len() < 4_096, "the report quotes at most a kilobyte of the input");
    }
}
