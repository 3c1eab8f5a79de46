//! The binary's behaviour: exit codes, formats, input syntaxes, merging,
//! standard input, bad input, closed pipes, colors, explain and diff.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Read as _;
use std::process::{Command, Stdio};

use common::*;

fn fx(args: &[&str]) -> std::process::Output {
    run_in(&fixtures(), args)
}

#[test]
fn valid_graph_exits_0_and_says_so() {
    let out = fx(&["check", "app.json"]);
    assert_eq!(code(&out), 0);
    assert_eq!(stdout(&out), "ok: no problems\n");
}

#[test]
fn broken_graph_exits_1_with_the_core_rendering() {
    let out = fx(&["check", "broken.json"]);
    assert_eq!(code(&out), 1);
    snapshot("check-broken.txt", &stdout(&out));
    let json = fx(&["check", "--format", "json", "broken.json"]);
    assert_eq!(code(&json), 1);
    snapshot("check-broken.json", &stdout(&json));
    let github = fx(&["check", "--format", "github", "broken.json"]);
    snapshot("check-broken.github.txt", &stdout(&github));
    let sarif = fx(&["check", "--format", "sarif", "broken.json"]);
    assert_eq!(code(&sarif), 1);
    snapshot("check-broken.sarif.json", &stdout(&sarif));
}

#[test]
fn yaml_toml_and_json_give_the_same_plan() {
    let json = fx(&["plan", "app.json"]);
    assert_eq!(code(&json), 0, "{}", stderr(&json));
    let plan: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    for file in ["app.yaml", "app.toml"] {
        let other = fx(&["plan", file]);
        assert_eq!(code(&other), 0, "{file}: {}", stderr(&other));
        let other: serde_json::Value = serde_json::from_slice(&other.stdout).unwrap();
        assert_eq!(other["startup"], plan["startup"], "{file}");
        assert_eq!(other["layers"], plan["layers"], "{file}");
        assert_eq!(other["bindings"], plan["bindings"], "{file}");
        assert_eq!(other["fingerprint"], plan["fingerprint"], "{file}: same descriptors, same fingerprint");
    }
}

#[test]
fn several_files_merge_in_order() {
    let whole = fx(&["plan", "app.json"]);
    let merged = fx(&["plan", "part1.json", "part2.yaml"]);
    assert_eq!(code(&merged), 0, "{}", stderr(&merged));
    let a: serde_json::Value = serde_json::from_slice(&whole.stdout).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&merged.stdout).unwrap();
    assert_eq!(a["startup"], b["startup"]);
    assert_eq!(a["bindings"], b["bindings"]);
    let only_first = fx(&["check", "part2.yaml"]);
    assert_eq!(code(&only_first), 1, "part2 alone misses `Database`");
}

#[test]
fn dash_reads_standard_input() {
    let text = std::fs::read(fixtures().join("app.json")).unwrap();
    let out = run_with(&fixtures(), &["check", "-"], Some(&text));
    assert_eq!(code(&out), 0);
    let bad = run_with(&fixtures(), &["check", "-"], Some(b"{\"version\": 1, \"services\": [{\"id\": \"a\", \"deps\": [\"b\"]}]}"));
    assert_eq!(code(&bad), 1);
    assert!(stdout(&bad).contains("<stdin>"), "{}", stdout(&bad));
}

#[test]
fn plan_formats_and_output_file() {
    let dir = scratch("plan-output");
    let out_file = dir.join("plan.wpl");
    let out = fx(&["plan", "app.json", "--format", "binary", "-o", out_file.to_str().unwrap()]);
    assert_eq!(code(&out), 0);
    assert!(out.stdout.is_empty());
    let bytes = std::fs::read(&out_file).unwrap();
    assert!(bytes.starts_with(b"WIREPLAN"));
    let json = fx(&["plan", "app.json"]);
    let plan: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    for field in ["startup", "layers", "shutdown", "bindings"] {
        assert!(plan.get(field).is_some(), "{field}");
    }
    let broken = fx(&["plan", "broken.json"]);
    assert_eq!(code(&broken), 1);
    assert!(broken.stdout.is_empty());
    assert!(stderr(&broken).contains("error[dependency-cycle]"));
    let as_json = fx(&["plan", "broken.json", "--error-format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&as_json.stderr).unwrap();
    assert!(report["diagnostics"].as_array().is_some_and(|d| !d.is_empty()));
}

#[test]
fn unusable_input_is_one_line_and_exit_2() {
    let dir = scratch("bad-input");
    let invalid_utf8 = dir.join("latin1.json");
    std::fs::write(&invalid_utf8, b"{\"version\": 1,\n \"services\": [{\"id\": \"caf\xe9\"}]}").unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["missing.json".into()], "cannot read `missing.json`: no such file"),
        (vec![".".into()], "cannot read `.`: it is a directory"),
        (vec![invalid_utf8.to_str().unwrap().into()], "invalid UTF-8 at 2:26 (byte 40)"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["check"];
        all.extend(args.iter().map(String::as_str));
        let out = fx(&all);
        assert_eq!(code(&out), 2, "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.starts_with("error: ") && err.contains(expected), "{err}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn malformed_documents_name_file_and_place() {
    let cases = [
        ("bad.yaml", "bad.yaml:5:7", "malformed YAML"),
        ("bad.toml", "bad.toml:4:13", "malformed TOML"),
        ("v2.json", "v2.json:1:13", "unsupported descriptor format version 2"),
        ("unknown-field.yaml", "unknown-field.yaml:4:13 (at `services[0].colour`)", "unknown field `colour`"),
    ];
    for (file, place, words) in cases {
        let out = fx(&["check", file]);
        assert_eq!(code(&out), 2, "{file}");
        let text = stdout(&out);
        assert!(text.contains(place), "{file}: {text}");
        assert!(text.contains(words), "{file}: {text}");
        let json = fx(&["check", "--format", "json", file]);
        let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(report["diagnostics"][0]["severity"], "error");
    }
    snapshot("check-bad-yaml.txt", &stdout(&fx(&["check", "bad.yaml"])));
}

#[test]
fn findings_in_yaml_and_toml_name_the_line_in_the_file() {
    let dir = scratch("yaml-places");
    let yaml = "version: 1\nservices:\n  - id: a\n    deps: [b]\n  - id: c\n    deps:\n      - key: a\n      - key: nowhere\n";
    std::fs::write(dir.join("g.yaml"), yaml).unwrap();
    let out = run_in(&dir, &["check", "--format", "json", "g.yaml"]);
    assert_eq!(code(&out), 1);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let places: Vec<String> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| format!("{}:{}:{}", d["location"]["path"], d["location"]["line"], d["location"]["column"]))
        .collect();
    // `a` is at line 3 (its mapping starts at column 5); `c` at line 5.
    assert_eq!(places, ["\"services[0]\":3:5", "\"services[1]\":5:5"], "{report}");
    let toml = "version = 1\n\n[[services]]\nid = \"a\"\ncolour = \"red\"\n";
    std::fs::write(dir.join("g.toml"), toml).unwrap();
    let out = run_in(&dir, &["check", "g.toml"]);
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).contains("--> g.toml:5:10 (at `services[0].colour`)"), "{}", stdout(&out));
}

#[test]
fn a_100_mb_file_is_read_without_panic() {
    let dir = scratch("big");
    let path = dir.join("big.json");
    let mut text = String::with_capacity(100 * 1024 * 1024 + 200);
    text.push_str("{\"version\": 1, \"services\": [{\"id\": \"a\", \"meta\": \"");
    text.push_str(&"x".repeat(100 * 1024 * 1024));
    text.push_str("\"}]}");
    std::fs::write(&path, &text).unwrap();
    let out = run_in(&dir, &["check", "big.json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    text.truncate(100 * 1024 * 1024);
    std::fs::write(&path, &text).unwrap();
    let out = run_in(&dir, &["check", "big.json"]);
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).contains("big.json:1:"), "{}", stdout(&out));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = scratch("pipe");
    std::fs::write(dir.join("big.json"), layered(3000, 100)).unwrap();
    for args in [["graph", "big.json"], ["plan", "big.json"]] {
        let mut child = Command::new(BIN)
            .args(args)
            .current_dir(&dir)
            .env("RUST_BACKTRACE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut one = [0u8; 1];
        stdout.read_exact(&mut one).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        assert_no_panic(&out);
        assert_eq!(code(&out), 0, "{args:?}");
        assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn shell_pipe_to_head_exits_quietly() {
    let dir = scratch("pipe-shell");
    std::fs::write(dir.join("big.json"), layered(3000, 100)).unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("set -o pipefail; '{BIN}' graph big.json | head -c1 >/dev/null"))
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn colors_follow_flag_terminal_and_no_color() {
    let plain = fx(&["check", "broken.json"]);
    assert!(!stdout(&plain).contains('\x1b'), "no color into a pipe");
    let forced = fx(&["check", "--color", "always", "broken.json"]);
    assert!(stdout(&forced).contains("\x1b["));
    let script = std::path::Path::new("/usr/bin/script");
    assert!(script.exists(), "util-linux `script` gives the test a terminal");
    let on_tty = |no_color: Option<&str>| {
        let mut cmd = Command::new(script);
        cmd.args(["-qec", &format!("'{BIN}' check broken.json"), "/dev/null"]).current_dir(fixtures());
        match no_color {
            Some(v) => cmd.env("NO_COLOR", v),
            None => cmd.env_remove("NO_COLOR"),
        };
        String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
    };
    assert!(on_tty(None).contains("\x1b["), "colored on a terminal");
    assert!(!on_tty(Some("1")).contains("\x1b["), "NO_COLOR respected");
}

#[test]
fn deny_warnings_fails_on_unused_services() {
    let ok = fx(&["check", "app.json", "--root", "cache"]);
    assert_eq!(code(&ok), 0);
    assert!(stdout(&ok).contains("warning[unused-service]"));
    let strict = fx(&["check", "app.json", "--root", "cache", "--deny-warnings"]);
    assert_eq!(code(&strict), 1);
}

#[test]
fn graph_draws_valid_and_broken_graphs() {
    for (file, code_expected) in [("app.json", 0), ("broken.json", 1)] {
        let dot = fx(&["graph", file]);
        assert_eq!(code(&dot), code_expected);
        assert_dot_accepts(&stdout(&dot));
        snapshot(&format!("graph-{file}.dot"), &stdout(&dot));
        let mermaid = fx(&["graph", file, "--format", "mermaid"]);
        snapshot(&format!("graph-{file}.mmd"), &stdout(&mermaid));
    }
    let broken = stdout(&fx(&["graph", "broken.json"]));
    assert!(broken.contains("rank=same"));
    assert!(broken.contains("color=red"), "cycle and missing key in red");
    assert!(broken.contains("Cahce\\n(missing)"));
    let valid = stdout(&fx(&["graph", "app.json"]));
    assert!(valid.contains("style=dashed"), "lazy edge dashed");
    assert!(valid.contains("style=dotted"), "optional edge dotted");
}

#[test]
fn graph_focus_keeps_what_a_service_needs_and_what_needs_it() {
    let out = fx(&["graph", "app.json", "--focus", "db"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert_dot_accepts(&text);
    for id in ["\"db\"", "\"config\"", "\"cache\"", "\"server\"", "\"clock\"", "request"] {
        assert!(text.contains(id), "{id}: {text}");
    }
    assert!(!text.contains("\"metrics\""), "{text}");
    let unknown = fx(&["graph", "app.json", "--focus", "dbb"]);
    assert_eq!(code(&unknown), 2);
    assert!(stderr(&unknown).contains("did you mean `db`?"));
}

#[test]
fn explain_answers_for_valid_and_broken_graphs() {
    let out = fx(&["explain", "app.json", "db", "--why", "server"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    snapshot("explain-db.txt", &stdout(&out));
    let json = fx(&["explain", "app.json", "db", "--format", "json", "--why", "config"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let needs: Vec<&str> = v["needs"].as_array().unwrap().iter().map(|d| d["key"].as_str().unwrap()).collect();
    assert_eq!(needs, ["config", "Cache"]);
    assert_eq!(v["needs"][1]["providers"], serde_json::json!(["cache"]));
    assert_eq!(v["needs"][0]["providers"], serde_json::json!(["config"]));
    assert_eq!(v["layer"], 2);
    assert_eq!(v["why"]["before"], "config");
    assert_eq!(v["why"]["path"], serde_json::json!(["db", "config"]));
    let missing = fx(&["explain", "app.json", "nope"]);
    assert_eq!(code(&missing), 2);
    // A broken graph is explained too (that is when people ask), with the
    // problems that name the service, and exit 1.
    let broken = fx(&["explain", "broken.json", "db"]);
    assert_eq!(code(&broken), 1);
    snapshot("explain-broken-db.txt", &stdout(&broken));
}

#[test]
fn diff_shows_changes_and_fails_on_new_errors() {
    let out = fx(&["diff", "app.json", "broken.json"]);
    assert_eq!(code(&out), 0);
    snapshot("diff-app-broken.txt", &stdout(&out));
    let strict = fx(&["diff", "app.json", "broken.json", "--fail-on-new-errors"]);
    assert_eq!(code(&strict), 1);
    let fixed = fx(&["diff", "broken.json", "app.json", "--fail-on-new-errors"]);
    assert_eq!(code(&fixed), 0);
    let json = fx(&["diff", "part1.json", "app.json", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["services"]["added"], serde_json::json!(["clock", "metrics", "request", "server"]));
    assert_eq!(v["startup"]["changed"], true);
    // A hot reload from part1 to app starts the three new services and
    // leaves the three it had running.
    assert_eq!(v["reload"], serde_json::json!({"stop": [], "start": ["clock", "metrics", "server"], "keep": 3}));
    let same = fx(&["diff", "app.json", "app.yaml"]);
    assert!(stdout(&same).contains("services: 0 added, 0 removed"));
    assert!(stdout(&same).contains("start-up order unchanged"));
    assert!(stdout(&same).contains("hot reload: nothing to restart (6 running services kept)"));
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    assert_eq!(code(&fx(&["--help"])), 0);
    assert_eq!(code(&fx(&["check"])), 2);
    assert_eq!(code(&fx(&["frobnicate"])), 2);
    assert_eq!(code(&fx(&["check", "--format", "xml", "app.json"])), 2);
}

/// Writes a 100k-service layered file for timing:
/// `WIREPLAN_GENERATE=/tmp/100k.json cargo test -p wireplan-cli --test cli generate -- --ignored`.
#[test]
#[ignore = "a helper, not a test"]
fn generate() {
    let path = std::env::var("WIREPLAN_GENERATE").expect("WIREPLAN_GENERATE=path");
    let n = std::env::var("WIREPLAN_SERVICES").ok().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    std::fs::write(path, layered(n, 1000)).unwrap();
}

#[test]
fn a_command_line_argument_cannot_start_a_line_of_its_own() {
    // clap quotes a faulty argument as given; a newline in it would start a
    // `::error::` line in a CI log. It is shown escaped instead.
    for args in [&["check", "--format", "x\n::error::y", "a.json"][..], &["fro\n::error::x"][..]] {
        let out = fx(args);
        assert_eq!(code(&out), 2);
        let err = stderr(&out);
        assert!(err.contains("\\n::error::"), "{err}");
        assert!(!err.lines().any(|l| l.starts_with("::")), "{err}");
    }
}

#[test]
fn a_fifo_with_no_writer_is_read_as_empty_at_once() {
    let dir = std::env::temp_dir().join(format!("wireplan-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("services.json");
    let _ = std::fs::remove_file(&fifo);
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let start = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_wireplan")).arg("check").arg(&fifo).output().unwrap();
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).contains("the document is empty"), "{}", stdout(&out));
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn timeline_renders_a_record_and_refuses_a_bad_one() {
    let record = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/timeline/failure.json");
    let chain = fx(&["timeline", record]);
    assert_eq!(code(&chain), 0, "{}", stderr(&chain));
    assert_eq!(
        stdout(&chain),
        "start-up took 1.500s; the critical chain (start after \"@\", duration after \"+\"):\nserver @1.500s +0us (cancelled)\n└─broker @0us +1.500s (timed out)\n"
    );
    let trace = fx(&["timeline", record, "--format", "trace"]);
    let v: serde_json::Value = serde_json::from_slice(&trace.stdout).unwrap();
    let spans: Vec<&serde_json::Value> = v["traceEvents"].as_array().unwrap().iter().filter(|e| e["ph"] == "X").collect();
    assert_eq!(spans.len(), 5);
    assert_eq!(spans[0]["name"], "broker");
    assert_eq!(spans[0]["dur"], 1_500_000);
    let svg = stdout(&fx(&["timeline", record, "--format", "svg"]));
    assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>\n"));
    assert!(svg.contains("db &lt;primary&gt; &amp; &quot;replica&quot;"), "ids are XML-escaped");
    assert!(svg.contains("cache\\u{202e}"), "a bidi override is shown escaped");
    let bad = fx(&["timeline", "Cargo.toml"]);
    assert_eq!(code(&bad), 2);
}

#[test]
fn inspect_says_why_a_plan_would_be_refused() {
    let dir = std::env::temp_dir().join(format!("wireplan-inspect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wpl = dir.join("plan.wpl");
    assert_eq!(code(&fx(&["plan", "app.json", "--format", "binary", "-o", wpl.to_str().unwrap()])), 0);
    let ok = fx(&["inspect", wpl.to_str().unwrap()]);
    assert_eq!(code(&ok), 0);
    assert!(
        stdout(&ok).contains("\nusable: 7 services (6 singletons in 5 layers), profile none, roots none, 0 warnings\n"),
        "{}",
        stdout(&ok)
    );
    let stale = fx(&["inspect", wpl.to_str().unwrap(), "--fingerprint", "00000000000000000000000000000000"]);
    assert_eq!(code(&stale), 1);
    assert!(stdout(&stale).contains("refused: fingerprint "), "{}", stdout(&stale));
    let mut bytes = std::fs::read(&wpl).unwrap();
    bytes[60] ^= 1;
    std::fs::write(&wpl, &bytes).unwrap();
    let corrupt = fx(&["inspect", wpl.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code(&corrupt), 1);
    let v: serde_json::Value = serde_json::from_slice(&corrupt.stdout).unwrap();
    assert_eq!(v["verdict"]["reason"], "checksum mismatch (the file is corrupt)");
    let _ = std::fs::remove_dir_all(&dir);
}
