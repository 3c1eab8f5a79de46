//! Issue 12's rules for the core, in the words of the spec, with expected
//! values written by hand: user input is escaped in every rendering and
//! exact in JSON; every list in a diagnostic is capped with a count; the
//! report has a byte budget; suggestions are found within a work budget;
//! the plan JSON names providers by number and shares them per key;
//! limit errors and `meta` faults name their true place; a BOM is skipped;
//! `replaces` carries the replaced id; a lazy handle can be captive.
// Tests, benches and examples read files, the environment and the clock;
// the core itself may not (crates/planner/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
// A failing test panics with its message; that is how tests report.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use wireplan::{Code, Descriptors, Document, Error, Limits, Options, Report};

fn services(items: &[String]) -> String {
    format!("{{\"version\":1,\"services\":[{}]}}", items.join(","))
}

fn report(text: &str, options: &Options) -> Report {
    match wireplan::plan_str(text, options) {
        Ok(_) => panic!("expected a report"),
        Err(report) => report,
    }
}

fn messages(report: &Report) -> Vec<&str> {
    report.diagnostics.iter().map(|d| d.message.as_str()).collect()
}

// ---- Injection -------------------------------------------------------------

#[test]
fn ids_and_keys_are_escaped_in_the_rendering_and_exact_in_json() {
    let text = r#"{"version":1,"services":[{"id":"app\u001b]0;owned\u0007","deps":["db\n::error file=ci.yml::x","\u202egnp.exe"]}]}"#;
    let r = report(text, &Options::default());
    let keys: Vec<&str> = r.diagnostics.iter().filter_map(|d| d.key.as_deref()).collect();
    assert_eq!(keys, ["db\n::error file=ci.yml::x", "\u{202e}gnp.exe"], "JSON keeps the real strings");
    assert_eq!(r.diagnostics[0].services, ["app\u{1b}]0;owned\u{7}"]);
    let rendered = r.render();
    assert!(rendered.contains("no service provides `db\\n::error file=ci.yml::x`, needed by `app\\u{1b}]0;owned\\u{7}`"), "{rendered}");
    assert!(rendered.contains("no service provides `\\u{202e}gnp.exe`"), "{rendered}");
    // Every line the rendering writes is one line of plain characters.
    assert!(!rendered.contains("\n::error"), "{rendered}");
    assert!(rendered.chars().all(|c| c == '\n' || !wireplan::escape::needs_escape(c)), "{rendered:?}");
    assert!(r.to_json().contains(r#""key": "db\n::error file=ci.yml::x""#));
}

#[test]
fn document_names_and_error_text_are_escaped_too() {
    let bad = Document { name: "evil\r\n::warning::x.json", text: "{" };
    let error = Descriptors::parse(bad).unwrap_err();
    assert!(error.to_string().starts_with("evil\\r\\n::warning::x.json:1:"), "{error}");
    let rendered = Report::from(error).render();
    assert!(rendered.contains("--> evil\\r\\n::warning::x.json:1:"), "{rendered}");
    assert!(!rendered.contains('\r'), "{rendered:?}");
}

#[test]
fn a_runtime_lookup_escapes_the_key_and_returns_the_suggestions_exact() {
    let (text, names) = wireplan::render::unknown_key("Clock\u{202e}", &["Clock\u{202e}s"]);
    assert_eq!(text, "no service provides `Clock\\u{202e}`; did you mean `Clock\\u{202e}s`?");
    assert_eq!(names, ["Clock\u{202e}s"]);
    assert_eq!(wireplan::escape("plain `text` \\ é"), "plain `text` \\ é");
}

// ---- Every list capped ---------------------------------------------------------

#[test]
fn an_ambiguous_key_lists_ten_providers_and_ten_askers_then_counts_the_rest() {
    let mut items: Vec<String> = (0..25).map(|i| format!(r#"{{"id":"p{i:02}","provides":["K"]}}"#)).collect();
    items.extend((0..15).map(|i| format!(r#"{{"id":"u{i:02}","deps":["K"]}}"#)));
    let r = report(&services(&items), &Options::default());
    assert_eq!(messages(&r), ["`K` has 25 providers (`p00`, `p01`, `p02`, and 22 more), but `u00` needs exactly one"]);
    let d = &r.diagnostics[0];
    assert_eq!(d.services, ["u00", "u01", "u02", "u03", "u04", "u05", "u06", "u07", "u08", "u09"]);
    let related: Vec<&str> = d.related.iter().map(|x| x.message.as_str()).collect();
    assert_eq!(related.len(), 22);
    assert_eq!(related[0], "`p00` provides `K`");
    assert_eq!(related[9], "`p09` provides `K`");
    assert_eq!(related[10], "and 15 more providers of `K`");
    assert_eq!(related[11], "`u00` needs one `K`");
    assert_eq!(related[20], "`u09` needs one `K`");
    assert_eq!(related[21], "and 5 more services need one `K`");
    assert!(d.related[10].location.is_none() && d.related[10].service.is_none());
}

#[test]
fn an_ambiguous_key_of_exactly_three_providers_names_all_three_and_no_count() {
    let items: Vec<String> =
        ["p0", "p1", "p2", "u0"]
            .iter()
            .map(|id| {
                if id.starts_with('p') {
                    format!(r#"{{"id":"{id}","provides":["K"]}}"#)
                } else {
                    format!(r#"{{"id":"{id}","deps":["K"]}}"#)
                }
            })
            .collect();
    let r = report(&services(&items), &Options::default());
    assert_eq!(messages(&r), ["`K` has 3 providers (`p0`, `p1`, `p2`), but `u0` needs exactly one"]);
}

#[test]
fn a_missing_key_lists_ten_askers_then_counts_the_rest() {
    let items: Vec<String> = (0..12).map(|i| format!(r#"{{"id":"u{i:02}","deps":["Nope"]}}"#)).collect();
    let r = report(&services(&items), &Options::default());
    assert_eq!(messages(&r), ["no service provides `Nope`, needed by 12 services"]);
    let d = &r.diagnostics[0];
    assert_eq!(d.services.len(), 10);
    assert_eq!(d.related.len(), 11);
    assert_eq!(d.related[10].message, "and 2 more services need `Nope`");
}

#[test]
fn a_long_cycle_shows_its_first_32_hops_and_keeps_the_whole_path_in_services() {
    let items: Vec<String> = (0..40).map(|i| format!(r#"{{"id":"s{i:02}","deps":["s{:02}"]}}"#, (i + 1) % 40)).collect();
    let r = report(&services(&items), &Options::default());
    let d = &r.diagnostics[0];
    let drawn: Vec<String> = (0..32).map(|i| format!("`s{i:02}`")).collect();
    assert_eq!(d.message, format!("dependency cycle: {} -> ... (8 more) -> `s00`", drawn.join(" -> ")));
    assert_eq!(d.services.len(), 41);
    assert_eq!(d.services.last().map(String::as_str), Some("s00"));
    assert_eq!(d.related.len(), 34);
    assert_eq!(d.related[31].message, "`s31` needs `s32`");
    assert_eq!(d.related[32].message, "and 8 more hops");
    assert_eq!(d.related[33].message, "which is `s00` again");
}

#[test]
fn a_short_cycle_reads_as_before() {
    let r = report(r#"{"version":1,"services":[{"id":"a","deps":["b"]},{"id":"b","deps":["a"]}]}"#, &Options::default());
    assert_eq!(messages(&r), ["dependency cycle: `a` -> `b` -> `a`"]);
}

#[test]
fn past_max_report_bytes_the_first_diagnostics_are_shown_and_the_rest_counted() {
    let items: Vec<String> = (0..50).map(|i| format!(r#"{{"id":"u{i:02}","deps":["m{i:02}"]}}"#)).collect();
    let text = services(&items);
    let full = report(&text, &Options::default());
    assert_eq!(full.diagnostics.len(), 50);
    for bytes in [0, 1_000, 5_000] {
        let options = Options { limits: Limits { max_report_bytes: bytes, ..Limits::default() }, ..Options::default() };
        let r = report(&text, &options);
        let shown = r.diagnostics.len() - 1;
        assert!((1..50).contains(&shown), "{bytes}: {shown} shown");
        assert_eq!(r.diagnostics[..shown], full.diagnostics[..shown], "the first ones, in report order");
        let last = r.diagnostics.last().unwrap();
        assert_eq!(last.code, Code::LimitExceeded);
        assert_eq!(last.message, format!("the size of the report in bytes is over the limit of {bytes}: {} more not shown", 50 - shown));
        assert!(last.help.as_deref().unwrap().contains("`max_report_bytes`"));
    }
}

// ---- Did-you-mean --------------------------------------------------------------

#[test]
fn long_keys_one_edit_apart_are_still_suggested() {
    let long = "x".repeat(4_000);
    let items = vec![format!(r#"{{"id":"provider","provides":["{long}b"]}}"#), format!(r#"{{"id":"asker","deps":["{long}a"]}}"#)];
    let r = report(&services(&items), &Options::default());
    let help = r.diagnostics[0].help.as_deref().unwrap();
    assert!(help.starts_with(&format!("did you mean `{long}b`?")), "{}", &help[..40]);
}

#[test]
fn two_hundred_missing_keys_against_two_hundred_near_identical_long_keys_finish_fast() {
    let stem = "k".repeat(4_000);
    let mut items: Vec<String> = (0..200).map(|i| format!(r#"{{"id":"p{i}","provides":["{stem}{i:03}"]}}"#)).collect();
    items.extend((0..200).map(|i| format!(r#"{{"id":"a{i}","deps":["{stem}{i:03}x"]}}"#)));
    let text = services(&items);
    let start = std::time::Instant::now();
    let r = report(&text, &Options::default());
    let took = start.elapsed();
    assert_eq!(r.diagnostics.len(), 200);
    // The first one is suggested its own key minus the `x`: a suffix away.
    assert!(r.diagnostics[0].help.as_deref().unwrap().starts_with(&format!("did you mean `{stem}000`")));
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
}

// ---- The plan JSON -----------------------------------------------------------

#[test]
fn the_plan_json_names_providers_by_number_and_many_askers_share_one_list() {
    let text = r#"{"version":1,"services":[
        {"id":"p1","provides":["P"]},{"id":"p2","provides":["P"]},{"id":"p3","provides":["P"]},
        {"id":"a1","deps":[{"key":"P","many":true}]},{"id":"a2","deps":[{"key":"P","many":true}]}]}"#;
    let p = wireplan::plan_str(text, &Options::default()).unwrap();
    let json = p.to_json();
    assert_eq!(json.matches(r#""providers": [0, 1, 2]"#).count(), 2, "{json}");
    let mut streamed = Vec::new();
    p.write_json(&mut streamed).unwrap();
    assert_eq!(String::from_utf8(streamed).unwrap(), json);
    let a1 = p.service(p.index_of("a1").unwrap()).unwrap();
    let a2 = p.service(p.index_of("a2").unwrap()).unwrap();
    let (b1, b2) = (a1.deps().next().unwrap(), a2.deps().next().unwrap());
    assert_eq!(b1.providers(), [0, 1, 2]);
    assert!(std::ptr::eq(b1.providers(), b2.providers()), "one list, shared");
    let again = wireplan::Plan::decode(&p.encode(), Some(p.fingerprint())).unwrap();
    assert_eq!(again, p);
}

#[test]
fn recipes_in_json_are_service_numbers_too() {
    let text = r#"{"version":1,"services":[{"id":"s","lifetime":"scoped"},{"id":"t","lifetime":"transient","deps":["s"]}]}"#;
    let p = wireplan::plan_str(text, &Options::default()).unwrap();
    // No singletons: `s` is 0 and `t` is 1, by id.
    assert!(p.to_json().contains("\"recipes\": {\n    \"s\": [0],\n    \"t\": [0, 1]\n  }"), "{}", p.to_json());
}

// ---- Places --------------------------------------------------------------------

#[test]
fn a_fault_inside_meta_is_placed_in_the_document() {
    let text = "{\"version\":1,\n\"services\":[\n{\"id\":\"x\",\n \"meta\": {\"a\":\n 1e999}}]}";
    match Descriptors::parse(Document { name: "app.json", text }) {
        Err(Error::Syntax { line, column, path, message, .. }) => {
            assert_eq!((line, column), (5, 6), "just past the number, as serde places it");
            assert_eq!(path, "services[0].meta");
            assert_eq!(message, "this number is too large");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_recipe_limit_names_the_service_whose_recipe_crossed_it() {
    // s0 <- s1 <- ... <- s9, all scoped: recipe of s_i has i + 1 entries.
    let items: Vec<String> = (0..10)
        .map(|i| {
            if i == 0 {
                r#"{"id":"s0","lifetime":"scoped"}"#.to_owned()
            } else {
                format!(r#"{{"id":"s{i}","lifetime":"scoped","deps":["s{}"]}}"#, i - 1)
            }
        })
        .collect();
    let text = services(&items);
    let options = Options { limits: Limits { max_recipe_entries: 20, ..Limits::default() }, ..Options::default() };
    let r = report(&text, &options);
    let d = &r.diagnostics[0];
    // By id: s0 (1), s1 (2), s2 (3), s3 (4), s4 (5), s5 (6): 21 > 20.
    assert_eq!(d.message, "the total size of scoped and transient recipes is 21, over the limit of 20");
    assert_eq!(d.services, ["s5"]);
    let at = d.location.as_ref().unwrap();
    assert_eq!((at.file.as_str(), at.path.as_deref(), at.line), ("<input>", Some("services[5]"), Some(1)));
}

#[test]
fn a_limit_hit_while_parsing_names_the_line_and_column() {
    let text = "{\"version\":1,\"services\":[\n{\"id\":\"a\",\"deps\":[\"b\",\"c\",\"d\"]}]}";
    let limits = Limits { max_deps_per_service: 2, ..Limits::default() };
    match Descriptors::parse_with(Document { name: "app.json", text }, &limits) {
        Err(Error::LimitExceeded { document, line, column, .. }) => {
            assert_eq!(document, "app.json");
            // Where serde stopped: the `]` right after the third dependency.
            assert_eq!((line, column), (2, 30));
        }
        other => panic!("{other:?}"),
    }
}

// ---- BOM ---------------------------------------------------------------------

#[test]
fn a_leading_byte_order_mark_is_skipped_and_columns_count_after_it() {
    let text = r#"{"version":1,"services":[{"id":"a"}]}"#;
    let with_bom = format!("\u{feff}{text}");
    let a = wireplan::plan_str(text, &Options::default()).unwrap();
    let b = wireplan::plan_str(&with_bom, &Options::default()).unwrap();
    assert_eq!(a.fingerprint(), b.fingerprint());
    let bad = "{\"version\":1,\"services\":[{\"id\":1}]}";
    let place = |text: &str| match Descriptors::parse(Document { name: "a.json", text }) {
        Err(Error::Syntax { line, column, .. }) => (line, column),
        other => panic!("{other:?}"),
    };
    assert_eq!(place(&format!("\u{feff}{bad}")), place(bad), "an editor does not count the BOM as a column");
    // Only a leading one: a BOM elsewhere is not whitespace in JSON.
    assert!(wireplan::plan_str(&format!(" \u{feff}{text}"), &Options::default()).is_err());
}

// ---- replaces ----------------------------------------------------------------

#[test]
fn a_replacement_takes_the_replaced_services_own_id_key() {
    let p = wireplan::plan_str(
        r#"{"version":1,"services":[{"id":"a","deps":["clock"]},{"id":"clock"},{"id":"fake","replaces":"clock"}]}"#,
        &Options::default(),
    )
    .unwrap_or_else(|r| panic!("{}", r.render()));
    let fake = p.index_of("fake").unwrap();
    assert_eq!(p.index_of("clock"), None, "the replaced service left the graph");
    let a = p.service(p.index_of("a").unwrap()).unwrap();
    assert_eq!(a.deps().next().unwrap().providers(), [fake]);
    let provides: Vec<&str> = p.service(fake).unwrap().provides().collect();
    assert_eq!(provides, ["fake", "clock"]);
}

// ---- Captive through lazy ----------------------------------------------------

#[test]
fn a_singleton_holding_a_lazy_handle_to_a_scoped_service_is_captive() {
    let text = r#"{"version":1,"services":[{"id":"req","lifetime":"scoped"},{"id":"app","deps":[{"key":"req","lazy":true}]}]}"#;
    let r = report(text, &Options::default());
    assert_eq!(messages(&r), ["singleton `app` takes a lazy handle to scoped `req`, which would resolve outside any scope"]);
    let help = r.diagnostics[0].help.as_deref().unwrap();
    assert_eq!(help, "make `app` scoped, or resolve `req` from a scope at call time instead of holding it (or make `req` a singleton if one instance is right)");
    assert!(!help.contains("lazy"), "lazy is no cure for a captive");
}

#[test]
fn a_lazy_hop_through_a_transient_is_captive_too_and_scoped_holders_are_fine() {
    let through = r#"{"version":1,"services":[{"id":"req","lifetime":"scoped"},
        {"id":"h","lifetime":"transient","deps":[{"key":"req","lazy":true}]},{"id":"app","deps":["h"]}]}"#;
    let r = report(through, &Options::default());
    assert_eq!(messages(&r), ["singleton `app` depends on scoped `req` through transient `h`, which would outlive its scope"]);
    assert_eq!(r.diagnostics[0].services, ["app", "h", "req"]);
    let scoped = r#"{"version":1,"services":[{"id":"req","lifetime":"scoped"},{"id":"app","lifetime":"scoped","deps":[{"key":"req","lazy":true}]}]}"#;
    assert!(wireplan::plan_str(scoped, &Options::default()).is_ok());
    let singleton = r#"{"version":1,"services":[{"id":"clock"},{"id":"app","deps":[{"key":"clock","lazy":true}]}]}"#;
    assert!(wireplan::plan_str(singleton, &Options::default()).is_ok());
}

#[test]
fn captive_singletons_past_the_report_byte_budget_are_counted() {
    // Fifty singletons capture one scoped service; a small byte budget shows
    // the first ones and counts every other one.
    let mut items: Vec<String> = (0..50).map(|i| format!(r#"{{"id":"s{i:02}","deps":["session"]}}"#)).collect();
    items.push(r#"{"id":"session","lifetime":"scoped"}"#.to_owned());
    let options = Options { limits: Limits { max_report_bytes: 1_500, ..Limits::DEFAULT }, ..Options::default() };
    let r = report(&services(&items), &options);
    let shown = r.diagnostics.iter().filter(|d| d.code == Code::CaptiveDependency).count();
    assert!((1..50).contains(&shown), "{shown}");
    let last = r.diagnostics.last().map(|d| d.message.clone()).unwrap_or_default();
    assert_eq!(last, format!("the size of the report in bytes is over the limit of 1500: {} more not shown", 50 - shown));
}
