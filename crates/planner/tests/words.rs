//! No serde wording reaches users: many malformed documents (every
//! truncation of a valid one, every wrong type at every field, unknown and
//! repeated fields, other versions, bad escapes, trailing text, deep
//! nesting) and malformed options, each of whose messages must be in our
//! words only, with the JSON path and line:column kept. A few expected
//! messages are written out by hand as well.
// A failing test panics with its message; that is how tests report.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use wireplan::{Code, Diagnostic, Options};

/// serde's and serde_json's vocabulary, and Rust type names: none may show.
const SERDE_WORDS: &[&str] = &[
    "struct",
    "sequence",
    "map",
    "EOF",
    "invalid type",
    "invalid value",
    "invalid length",
    "ServiceDesc",
    "DepDesc",
    "DepObject",
    "FileDesc",
    "SourceDesc",
    "Lifetime",
    "variant",
    "identifier",
    "expected",
    "u64",
    "u32",
    "usize",
    "i64",
    "f64",
    "at line",
    "ident",
    "unit",
    "newtype",
];

/// A valid document that uses every field.
const VALID: &str = r#"{"version": 1, "services": [
  {"id": "config", "provides": ["Config", "Settings"], "profiles": ["prod"], "lifetime": "singleton",
   "source": {"file": "app/config.py", "line": 3, "column": 1}, "meta": {"kind": [1, 2.5, null, true]}},
  {"id": "db", "deps": ["Config", {"key": "Cache", "optional": true, "many": false, "lazy": false}],
   "lifetime": "scoped", "replaces": "old-db"},
  {"id": "old-db", "replaces": ["older"]},
  {"id": "older"}
]}"#;

/// The one diagnostic a document that does not parse gives.
fn fault(text: &str) -> Diagnostic {
    match wireplan::plan_str(text, &Options::default()) {
        Ok(_) => panic!("planned: {text}"),
        Err(report) => {
            assert_eq!(report.diagnostics.len(), 1, "{}", report.render());
            report.diagnostics.into_iter().next().unwrap()
        }
    }
}

/// Asserts a message (and help) has none of serde's words.
fn plain(d: &Diagnostic, input: &str) {
    for text in [Some(d.message.as_str()), d.help.as_deref()].into_iter().flatten() {
        for word in SERDE_WORDS {
            assert!(!text.contains(word), "`{word}` in {text:?}\nfor input {input:?}");
        }
    }
}

#[test]
fn the_valid_document_plans() {
    if let Err(r) = wireplan::plan_str(VALID, &Options::profile("prod")) {
        panic!("{}", r.render());
    }
}

#[test]
fn every_truncation_of_a_valid_document_is_said_in_our_words_with_a_place() {
    for end in 0..VALID.len() {
        if !VALID.is_char_boundary(end) {
            continue;
        }
        let text = &VALID[..end];
        let d = fault(text);
        assert!(matches!(d.code, Code::InvalidDescriptor | Code::UnsupportedVersion), "{}: {}", d.code, d.message);
        plain(&d, text);
        let location = d.location.as_ref().expect("a place");
        assert!(location.line.is_some(), "no line for {text:?}: {}", d.message);
    }
}

/// Values of every JSON kind, none of them right for every field.
const KINDS: &[&str] = &["1", "-1", "1.5", "1e400", "true", "null", "\"zz\"", "[]", "[1]", "{}", "{\"zz\": 1}"];

/// `VALID` with the value at byte range `at` replaced by `value`.
fn with(at: std::ops::Range<usize>, value: &str) -> String {
    format!("{}{value}{}", &VALID[..at.start], &VALID[at.end..])
}

/// The byte range of the value after `"name": ` at its `nth` place.
fn value_of(name: &str, nth: usize) -> std::ops::Range<usize> {
    let needle = format!("\"{name}\": ");
    let start = VALID.match_indices(&needle).nth(nth).map(|(i, _)| i + needle.len()).expect("field present");
    // The value runs to the `,` or closing bracket at its own depth.
    let mut depth = 0i32;
    let mut in_string = false;
    for (i, c) in VALID[start..].char_indices() {
        match c {
            '"' => in_string = !in_string,
            _ if in_string => {}
            '[' | '{' => depth += 1,
            ']' | '}' if depth == 0 => return start..start + i,
            ']' | '}' => depth -= 1,
            ',' if depth == 0 => return start..start + i,
            _ => {}
        }
    }
    panic!("no end for `{name}`")
}

#[test]
fn a_value_of_the_wrong_kind_at_every_field_is_said_in_our_words_with_its_path() {
    let fields: &[(&str, usize)] = &[
        ("version", 0),
        ("services", 0),
        ("id", 0),
        ("provides", 0),
        ("profiles", 0),
        ("lifetime", 0),
        ("source", 0),
        ("file", 0),
        ("line", 0),
        ("column", 0),
        ("deps", 0),
        ("key", 0),
        ("optional", 0),
        ("many", 0),
        ("lazy", 0),
        ("replaces", 0),
        ("replaces", 1),
    ];
    let mut checked = 0;
    for &(name, nth) in fields {
        for kind in KINDS {
            let text = with(value_of(name, nth), kind);
            if let Err(report) = wireplan::plan_str(&text, &Options::profile("prod")) {
                for d in &report.diagnostics {
                    plain(d, &text);
                    if d.code == Code::InvalidDescriptor && *kind != "1e400" {
                        let path = d.location.as_ref().and_then(|l| l.path.as_deref()).unwrap_or("");
                        assert!(path.contains(name) || name == "version", "path {path:?} for {name} = {kind}: {}", d.message);
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} faults");
    // Elements of every list.
    for (list, element) in [("provides", "\"Config\""), ("profiles", "\"prod\""), ("deps", "\"Config\""), ("replaces", "\"older\"")] {
        for kind in KINDS {
            let text = VALID.replacen(element, kind, 1);
            if let Err(report) = wireplan::plan_str(&text, &Options::profile("prod")) {
                report.diagnostics.iter().for_each(|d| plain(d, &text));
            }
            let _ = list;
        }
    }
}

#[test]
fn wrong_kinds_read_as_plain_sentences() {
    let d = fault(r#"{"version": 1, "services": [{"id": "a", "deps": "b"}]}"#);
    assert_eq!(d.message, "invalid descriptors: `deps` should be an array of dependencies, not the string `b`");
    assert_eq!(d.location.unwrap().path.as_deref(), Some("services[0].deps"));
    let d = fault(r#"{"version": 1, "services": [3]}"#);
    assert_eq!(d.message, "invalid descriptors: a service should be an object with an `id`, not the number `3`");
    let d = fault(r#"{"version": 1, "services": [{"id": "a", "deps": [{"key": "b", "lazy": "yes"}]}]}"#);
    assert_eq!(d.message, "invalid descriptors: `lazy` should be `true` or `false`, not the string `yes`");
    let d = fault(r#"{"version": 1, "services": [{"id": "a", "deps": [{"optional": true}]}]}"#);
    assert_eq!(d.message, "invalid descriptors: a dependency has no `key`");
    let d = fault(r#"{"version": 1, "services": [{"id": "a", "id": "b"}]}"#);
    assert_eq!(d.message, "invalid descriptors: a service has `id` twice");
    let d = fault(r#"{"version": 1, "services": [{"id": "a", "lifetime": "singelton"}]}"#);
    assert_eq!(
        d.message,
        "invalid descriptors: `lifetime` should be `singleton`, `scoped` or `transient`, not the string `singelton`; did you mean `singleton`?"
    );
    let d = fault(r#"{"version": 1, "services": [{"id": "a", "source": {"file": "a.py", "line": -2}}]}"#);
    assert_eq!(d.message, "invalid descriptors: `line` should be a whole number from 0 to 4294967295, not the number `-2`");
    let d = fault(r#"{"version": null, "services": []}"#);
    assert_eq!(d.message, "invalid descriptors: `version` should be `1`, not `null`");
    let d = fault(r#"{"version": 1, "services": [], "servces": []}"#);
    assert_eq!(
        d.message,
        "invalid descriptors: unknown field `servces` in the document; did you mean `services`? (known: `version`, `services`)"
    );
}

#[test]
fn unknown_and_repeated_fields_at_every_level_are_said_in_our_words() {
    let cases = [
        r#"{"version": 1, "services": [], "x": 1}"#,
        r#"{"version": 1, "version": 1, "services": []}"#,
        r#"{"version": 1, "services": [], "services": []}"#,
        r#"{"version": 1, "services": [{"id": "a", "colour": "red"}]}"#,
        r#"{"version": 1, "services": [{"id": "a", "deps": [{"key": "b", "weak": true}]}]}"#,
        r#"{"version": 1, "services": [{"id": "a", "deps": [{"key": "b", "key": "c"}]}]}"#,
        r#"{"version": 1, "services": [{"id": "a", "source": {"file": "a.py", "row": 1}}]}"#,
        r#"{"version": 1, "services": [{"id": "a", "source": {"line": 1}}]}"#,
        r#"{"version": 1, "services": [{"id": "a", "source": {"file": "a", "file": "b"}}]}"#,
        r#"{"version": 1, "services": [{"id": "a", "meta": 1, "meta": 2}]}"#,
        r#"{"services": []}"#,
        r#"{"version": 1}"#,
        r#"{"version": 1, "services": [{}]}"#,
    ];
    for text in cases {
        let d = fault(text);
        assert_eq!(d.code, Code::InvalidDescriptor, "{text}: {}", d.message);
        plain(&d, text);
    }
}

#[test]
fn other_versions_are_named_as_such() {
    for version in ["2", "0", "-1", "1.5", "\"1\"", "[1]", "{}", "true", "18446744073709551616"] {
        let text = format!(r#"{{"version": {version}, "services": []}}"#);
        let d = fault(&text);
        assert_eq!(d.code, Code::UnsupportedVersion, "{text}: {}", d.message);
        plain(&d, &text);
    }
}

#[test]
fn malformed_json_is_said_in_our_words() {
    let cases = [
        "",
        "   \n  ",
        "[1, 2]",
        "\"text\"",
        "nul",
        "{\"version\": 1, \"services\": []} x",
        "{\"version\": 1, \"services\": []}}",
        "{\"version\": 1 \"services\": []}",
        "{\"version\" 1, \"services\": []}",
        "{version: 1, \"services\": []}",
        "{\"version\": 1, \"services\": [,]}",
        "{\"version\": 1, \"services\": [{\"id\": \"a\",}]}",
        "{\"version\": 1, \"services\": [{\"id\": 'a'}]}",
        "{\"version\": 1, \"services\": [{\"id\": tru}]}",
        "{\"version\": 1, \"services\": [{\"id\": \"a\\x\"}]}",
        "{\"version\": 1, \"services\": [{\"id\": \"a\\u12\"}]}",
        "{\"version\": 1, \"services\": [{\"id\": \"a\\ud800\"}]}",
        "{\"version\": 1, \"services\": [{\"id\": \"a\\udc00\"}]}",
        "{\"version\": 1, \"services\": [{\"id\": \"a\u{1}b\"}]}",
        "{\"version\": 1, \"services\": [{\"id\": \"a\nb\"}]}",
        "{\"version\": 1, \"services\": [{\"id\": \"a\", \"meta\": 1e400}]}",
        "{\"version\": 1, \"services\": [{\"id\": \"a\", \"meta\": 01}]}",
        "{\"version\": 1, \"services\": [{\"id\": \"a\", \"meta\": -}]}",
        "{\"version\": 1, \"services\": [{\"id\": \"a\", \"meta\": {\"k\": [1,]}}]}",
        "{\"version\": 1, \"services\": [{\"id\": \"a\", \"meta\": {1: 2}}]}",
        "{\"version\": 1, \"services\": [{\"id\": \"a\"}]]",
        "\u{feff}{\"version\": 1, \"services\": [}",
    ];
    for text in cases {
        let d = fault(text);
        plain(&d, text);
        assert!(d.location.as_ref().is_some_and(|l| l.line.is_some()), "no line for {text:?}: {}", d.message);
    }
    assert_eq!(fault("").message, "invalid descriptors: the document is empty: it should be an object with `version` and `services`");
    assert_eq!(
        fault("{\"version\": 1, \"services\": [{\"id\": \"a\",}]}").message,
        "invalid descriptors: a `,` is followed by no value (JSON allows no trailing comma)"
    );
    assert_eq!(
        fault("{\"version\": 1, \"services\": [").message,
        "invalid descriptors: the document ends early, inside an array (no closing `]`)"
    );
    let d = fault("{\"version\": 1, \"services\": []} x");
    assert_eq!(d.message, "invalid descriptors: more text follows the end of the document");
    let at = d.location.unwrap();
    assert_eq!((at.line, at.column), (Some(1), Some(32)));
}

#[test]
fn deep_nesting_is_a_limit_in_our_words() {
    for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
        let text = format!(r#"{{"version": 1, "services": [{{"id": "a", "meta": {}1{}}}]}}"#, open.repeat(200), close.repeat(200));
        let d = fault(&text);
        assert_eq!(d.code, Code::LimitExceeded, "{}", d.message);
        plain(&d, "deep meta");
        let text = format!(r#"{{"version": 1, "services": {}"#, "[".repeat(500));
        let d = fault(&text);
        plain(&d, "deep services");
    }
}

#[test]
fn malformed_options_are_said_in_our_words() {
    let cases: &[(&str, &str)] = &[
        (r#"{"profle": "prod"}"#, "invalid planning options: unknown field `profle` in the planning options; did you mean `profile`? (known: `profile`, `roots`, `limits`)"),
        (r#"{"limits": {"max_servics": 1}}"#, "invalid planning options: unknown field `max_servics` in `limits`; did you mean `max_services`? (known: `max_input_bytes`, `max_services`, `max_deps_per_service`, `max_entries`, `max_key_bytes`, `max_bindings`, `max_recipe_entries`, `max_growth_per_byte`, `max_diagnostics`, `max_report_bytes`)"),
        (r#"{"limits": {"max_services": -1}}"#, "invalid planning options: `max_services` should be a whole number, not the number `-1`"),
        (r#"{"profile": 3}"#, "invalid planning options: `profile` should be a string, not the number `3`"),
        (r#"{"roots": "server"}"#, "invalid planning options: `roots` should be an array of service ids, not the string `server`"),
        (r#"{"roots": [1]}"#, "invalid planning options: a root in `roots` should be a string, not the number `1`"),
        (r#"[]"#, "invalid planning options: the planning options should be an object with `profile`, `roots` or `limits`, not an array"),
        (r#"{"profile": "#, "invalid planning options: the options text ends early, where a value should be (at 1:12)"),
    ];
    for (text, message) in cases {
        let e = Options::from_json(text).expect_err(text);
        let d = e.to_diagnostic();
        plain(&d, text);
        assert_eq!(d.message, *message);
    }
    let o = Options::from_json(r#"{"profile": "prod", "roots": ["a"], "limits": {"max_services": 7}}"#).unwrap();
    assert_eq!((o.profile.as_deref(), o.roots.len(), o.limits.max_services), (Some("prod"), 1, 7));
}
