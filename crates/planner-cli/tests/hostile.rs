//! The CLI against inputs written by an attacker: a YAML bomb, deep
//! nesting, huge arrays, `/dev/zero`, an endless standard input, ids that
//! try to write workflow commands or terminal escapes, a plan written while
//! the process is killed. Each must end in bounded time and memory with a
//! plan or a clear error, under the default limits.
//!
//! Memory is held by running the binary under `prlimit --as` (address
//! space, so the budget counts what is reserved, not only what is touched):
//! going over makes an allocation fail, which the test sees as a signal.
//! Budgets are generous for a loaded 2-core CI; the measured figures are in
//! docs/limits.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

const MB: u64 = 1 << 20;

/// Runs the binary under an address-space budget of `mb` MiB, with a time
/// budget, `RUST_BACKTRACE=1` (as CI systems often set it).
fn bounded(dir: &Path, args: &[&str], mb: u64, seconds: u64) -> Output {
    let start = Instant::now();
    let out = Command::new("prlimit")
        .arg(format!("--as={}", mb * MB))
        .arg("--")
        .arg(BIN)
        .args(args)
        .current_dir(dir)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .output()
        .expect("prlimit (util-linux) runs");
    let took = start.elapsed();
    assert!(took < Duration::from_secs(seconds), "{args:?} took {took:?}, over {seconds} s");
    assert_no_panic(&out);
    assert!(out.status.code().is_some(), "{args:?} was killed (over {mb} MiB?): {}", stderr_lossy(&out));
    out
}

fn stderr_lossy(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout_lossy(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A `limit-exceeded` report on standard output, exit 2, naming `place`.
fn assert_limit(out: &Output, what: &str, place: &str) {
    let text = stdout_lossy(out);
    assert_eq!(code(out), 2, "{text}{}", stderr_lossy(out));
    assert!(text.starts_with("error[limit-exceeded]: "), "{text}");
    assert!(text.contains(what), "{what}: {text}");
    assert!(text.contains(&format!("--> {place}")), "{place}: {text}");
}

#[test]
fn a_yaml_bomb_is_refused_at_once() {
    let dir = scratch("hostile-bomb");
    // One anchor of 1,000 values, 20,000 aliases to it: 83 KB that would be
    // 40 MB of JSON, and 20 million values.
    let mut doc = String::from("version: 1\nservices:\n  - id: a\n    meta:\n      x: &x [");
    doc.push_str(&vec!["v"; 1000].join(", "));
    doc.push_str("]\n      y: [");
    doc.push_str(&vec!["*x"; 20_000].join(", "));
    doc.push_str("]\n");
    std::fs::write(dir.join("bomb.yaml"), &doc).unwrap();
    let out = bounded(&dir, &["check", "bomb.yaml"], 256, 10);
    assert_limit(&out, "the size of expanded YAML aliases in bytes is", "bomb.yaml:6:");
    // Nested aliases (the "billion laughs") stop the same way.
    let mut laughs = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().zip(["a", "b", "c", "d", "e", "f", "g", "h"]) {
        laughs.push_str(&format!("{name}: &{name} [{}]\n", vec![format!("*{prev}"); 9].join(", ")));
    }
    std::fs::write(dir.join("laughs.yaml"), &laughs).unwrap();
    let out = bounded(&dir, &["check", "laughs.yaml"], 256, 10);
    assert_limit(&out, "the size of expanded YAML aliases in bytes is", "laughs.yaml:");
    // Anchors used as they are meant to be still work.
    let reuse = "version: 1\nservices:\n  - id: db\n    profiles: &both [dev, prod]\n  - id: api\n    deps: [db]\n    profiles: *both\n";
    std::fs::write(dir.join("reuse.yaml"), reuse).unwrap();
    let out = bounded(&dir, &["check", "reuse.yaml", "--profile", "dev"], 256, 10);
    assert_eq!(code(&out), 0, "{}", stdout_lossy(&out));
}

#[test]
fn deep_nesting_stops_at_the_nesting_limit_without_quadratic_work() {
    let dir = scratch("hostile-deep");
    let brackets = "[".repeat(200_000) + &"]".repeat(200_000);
    std::fs::write(dir.join("deep.yaml"), &brackets).unwrap();
    std::fs::write(dir.join("deep.json"), &brackets).unwrap();
    std::fs::write(dir.join("deep.toml"), format!("a = {brackets}\n")).unwrap();
    let block: String = (0..1000).map(|i| format!("{}-\n", "  ".repeat(i))).collect();
    std::fs::write(dir.join("block.yaml"), block).unwrap();
    for file in ["deep.yaml", "block.yaml"] {
        let out = bounded(&dir, &["check", file], 512, 10);
        assert_limit(&out, "the nesting depth of JSON arrays and objects is", &format!("{file}:"));
    }
    let toml = bounded(&dir, &["check", "deep.toml"], 512, 10);
    assert_eq!(code(&toml), 2, "{}", stdout_lossy(&toml));
    assert!(stdout_lossy(&toml).contains("--> deep.toml:1:"), "{}", stdout_lossy(&toml));
    let json = bounded(&dir, &["check", "deep.json"], 512, 10);
    assert_eq!(code(&json), 2, "{}", stdout_lossy(&json));
}

#[test]
fn huge_yaml_and_toml_arrays_are_read_in_bounded_memory() {
    let dir = scratch("hostile-huge");
    // 120 MB of YAML: 30 million one-letter entries.
    let mut yaml = Vec::with_capacity(120_000_000);
    while yaml.len() < 120_000_000 {
        yaml.extend_from_slice(b"- x\n");
    }
    std::fs::write(dir.join("huge.yaml"), &yaml).unwrap();
    drop(yaml);
    // 120 MB of TOML: 60 million numbers, once 9 GB of the TOML library's tree.
    let mut toml = b"a = [".to_vec();
    while toml.len() < 120_000_000 {
        toml.extend_from_slice(b"1,");
    }
    toml.extend_from_slice(b"]\n");
    std::fs::write(dir.join("huge.toml"), &toml).unwrap();
    drop(toml);
    // Streamed: the file and its JSON, about 2 x 120 MB.
    let out = bounded(&dir, &["check", "huge.yaml"], 1024, 180);
    assert_eq!(code(&out), 2);
    assert!(stdout_lossy(&out).contains("is not a JSON object"), "{}", stdout_lossy(&out));
    // Counted before the TOML library builds anything.
    let out = bounded(&dir, &["check", "huge.toml"], 512, 20);
    assert_limit(&out, "the number of values in a TOML file is 1000001, over the limit of 1000000", "huge.toml:1:");
    std::fs::remove_file(dir.join("huge.yaml")).unwrap();
    std::fs::remove_file(dir.join("huge.toml")).unwrap();
}

#[test]
fn a_toml_file_under_the_value_limit_converts_in_bounded_memory() {
    let dir = scratch("hostile-toml-ok");
    // 150,000 services of 6 values each, just under the TOML value limit.
    let mut text = String::from("version = 1\n");
    for i in 0..150_000 {
        let deps = if i == 0 { String::new() } else { format!("\"s{}\", ", i - 1) };
        text.push_str(&format!("[[services]]\nid = \"s{i}\"\ndeps = [{deps}]\n"));
    }
    std::fs::write(dir.join("many.toml"), &text).unwrap();
    let out = bounded(&dir, &["check", "many.toml"], 1536, 120);
    assert_eq!(code(&out), 0, "{}", stdout_lossy(&out));
}

#[test]
fn dev_zero_and_endless_stdin_stop_at_the_byte_limit() {
    let dir = scratch("hostile-zero");
    let out = bounded(&dir, &["check", "/dev/zero"], 1024, 30);
    assert_limit(&out, "the size of the document in bytes is 268435457, over the limit of 268435456", "/dev/zero");
    // `yes | wireplan check -`: the reader writes until the pipe closes.
    let mut child = Command::new("prlimit")
        .args([format!("--as={}", 1024 * MB).as_str(), "--", BIN, "check", "-"])
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let line = b"y\n".repeat(32 * 1024);
        while stdin.write_all(&line).is_ok() {}
    });
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_no_panic(&out);
    assert_limit(&out, "the size of the document in bytes is 268435457", "<stdin>");
}

#[test]
fn an_oversized_regular_file_is_refused_unread() {
    let dir = scratch("hostile-sparse");
    // A sparse 300 MB file: refused from its size, in no time and no memory.
    let file = std::fs::File::create(dir.join("sparse.json")).unwrap();
    file.set_len(300 * MB).unwrap();
    let out = bounded(&dir, &["check", "sparse.json"], 128, 5);
    assert_limit(&out, "the size of the document in bytes is 314572800, over the limit of 268435456", "sparse.json");
}

#[test]
fn duplicate_yaml_keys_are_an_error_with_their_place() {
    let dir = scratch("hostile-dup");
    std::fs::write(dir.join("dup.yaml"), "version: 1\nservices:\n  - id: a\n    lifetime: scoped\n    id: b\n").unwrap();
    let out = bounded(&dir, &["check", "dup.yaml"], 256, 10);
    assert_eq!(code(&out), 2);
    let text = stdout_lossy(&out);
    assert!(text.contains("malformed YAML: duplicate key \"id\""), "{text}");
    assert!(text.contains("--> dup.yaml:5:5"), "{text}");
}

/// Characters that must never reach a terminal or a log raw.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars().filter(|&c| c != '\n' && wireplan::escape::needs_escape(c)).collect()
}

/// A broken graph whose ids try to write workflow commands, terminal
/// escapes (CSI, OSC 8 hyperlinks) and bidi overrides.
const EVIL: &str = r#"{"version": 1, "services": [
  {"id": "api\n::error file=README.md,line=1::pwned", "deps": ["db\u001b[2J\u001b]8;;http://x\u0007", "50%25\r\n::warning::x"]},
  {"id": "a\u202ebc", "deps": ["api\n::error file=README.md,line=1::pwned"], "source": {"file": "evil\n::error::x.py", "line": 3}}
]}"#;

#[test]
fn ids_cannot_inject_workflow_commands_or_terminal_escapes() {
    let dir = scratch("hostile-inject");
    std::fs::write(dir.join("evil.json"), EVIL).unwrap();
    let json = bounded(&dir, &["check", "--format", "json", "evil.json"], 256, 10);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let count = report["diagnostics"].as_array().unwrap().len();
    assert!(count >= 2, "{report}");
    // JSON keeps the exact strings, for tools.
    assert!(stdout_lossy(&json).contains(r"api\n::error file=README.md,line=1::pwned"));

    let github = bounded(&dir, &["check", "--format", "github", "evil.json"], 256, 10);
    assert_eq!(code(&github), 1);
    let text = stdout_lossy(&github);
    assert_eq!(text.lines().count(), count, "one command per diagnostic: {text}");
    for line in text.lines() {
        assert!(line.starts_with("::error ") || line.starts_with("::warning "), "{line}");
        assert!(!line.contains('\r'), "{line}");
    }
    assert!(raw_controls(&text).is_empty(), "{text}");

    for args in [
        vec!["check", "evil.json"],
        vec!["check", "--color", "always", "evil.json"],
        vec!["graph", "evil.json"],
        vec!["graph", "--format", "mermaid", "evil.json"],
        vec!["diff", "evil.json", "evil.json"],
        vec!["plan", "evil.json"],
    ] {
        let out = bounded(&dir, &args, 256, 10);
        for (stream, text) in [("stdout", stdout_lossy(&out)), ("stderr", stderr_lossy(&out))] {
            let text = if args.contains(&"always") { text.replace("\x1b[", "") } else { text };
            assert!(raw_controls(&text).is_empty(), "{args:?} {stream}: {text:?}");
            assert!(!text.lines().any(|l| l.starts_with("::")), "{args:?} {stream}: {text}");
        }
    }
}

#[test]
fn explain_and_usage_errors_escape_ids() {
    let dir = scratch("hostile-explain");
    let doc = r#"{"version": 1, "services": [{"id": "db\u001b]0;title\u0007"}, {"id": "api\u202e", "deps": ["db\u001b]0;title\u0007"]}]}"#;
    std::fs::write(dir.join("ok.json"), doc).unwrap();
    let out = bounded(&dir, &["explain", "ok.json", "api\u{202e}", "--why", "db\u{1b}]0;title\u{7}"], 256, 10);
    assert_eq!(code(&out), 0, "{}", stderr_lossy(&out));
    let text = stdout_lossy(&out);
    assert!(text.contains(r"`api\u{202e}`"), "{text}");
    assert!(raw_controls(&text).is_empty(), "{text:?}");
    let unknown = bounded(&dir, &["explain", "ok.json", "x\u{1b}[2J"], 256, 10);
    assert_eq!(code(&unknown), 2);
    assert!(raw_controls(&stderr_lossy(&unknown)).is_empty(), "{:?}", stderr_lossy(&unknown));
    let focus = bounded(&dir, &["graph", "ok.json", "--focus", "db\u{1b}"], 256, 10);
    assert_eq!(code(&focus), 2);
    assert!(raw_controls(&stderr_lossy(&focus)).is_empty(), "{:?}", stderr_lossy(&focus));
}

#[test]
fn plan_output_is_replaced_whole_or_not_at_all() {
    let dir = scratch("hostile-torn");
    std::fs::write(dir.join("big.json"), layered(100_000, 1000)).unwrap();
    std::fs::write(dir.join("small.json"), r#"{"version": 1, "services": [{"id": "a"}]}"#).unwrap();
    std::fs::write(dir.join("broken.json"), r#"{"version": 1, "services": [{"id": "a", "deps": ["b"]}]}"#).unwrap();
    let out_file = dir.join("plan.json");
    let old = bounded(&dir, &["plan", "small.json", "-o", "plan.json"], 512, 10);
    assert_eq!(code(&old), 0);
    let old_text = std::fs::read_to_string(&out_file).unwrap();
    // A broken graph leaves the old plan in place.
    let broken = bounded(&dir, &["plan", "broken.json", "-o", "plan.json"], 512, 10);
    assert_eq!(code(&broken), 1);
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), old_text);
    // Killed at any moment, the file is the old plan or the whole new one.
    for delay_ms in [50, 150, 300, 600, 1000] {
        std::fs::write(&out_file, &old_text).unwrap();
        let mut child = Command::new(BIN)
            .args(["plan", "big.json", "-o", "plan.json"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let now = std::fs::read_to_string(&out_file).unwrap();
        if now != old_text {
            let plan: serde_json::Value = serde_json::from_str(&now).expect("a whole plan, never a torn one");
            assert_eq!(plan["startup"].as_array().map(Vec::len), Some(100_000));
        }
    }
    let done = bounded(&dir, &["plan", "big.json", "-o", "plan.json"], 1024, 60);
    assert_eq!(code(&done), 0, "{}", stderr_lossy(&done));
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    // A killed run may leave its temporary file; a finished one never does.
    assert!(leftovers.iter().all(|n| n.starts_with(".plan.json.")), "{leftovers:?}");
    // Where the directory cannot be written, the old file stays and the error names it.
    let missing = bounded(&dir, &["plan", "small.json", "-o", "no/such/dir/plan.json"], 256, 10);
    assert_eq!(code(&missing), 2);
    assert!(stderr_lossy(&missing).starts_with("error: cannot write `no/such/dir/plan.json`: no such file"));
}

#[test]
fn a_closed_stdout_keeps_the_graphs_exit_code() {
    let dir = scratch("hostile-epipe");
    std::fs::write(dir.join("broken.json"), r#"{"version": 1, "services": [{"id": "a", "deps": ["b"]}]}"#).unwrap();
    for args in [["check", "broken.json"], ["graph", "broken.json"]] {
        let mut child = Command::new(BIN).args(args).current_dir(&dir).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_no_panic(&out);
        assert_eq!(code(&out), 1, "{args:?}: a broken graph is exit 1, read or not");
    }
}

#[test]
fn running_out_of_memory_prints_no_backtrace() {
    let dir = scratch("hostile-oom");
    std::fs::write(dir.join("big.json"), layered(200_000, 1000)).unwrap();
    // 40 MiB of address space cannot hold this plan: an allocation fails.
    let out = Command::new("prlimit")
        .args([format!("--as={}", 40 * MB).as_str(), "--", BIN, "plan", "big.json"])
        .current_dir(&dir)
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::null())
        .output()
        .unwrap();
    let err = stderr_lossy(&out);
    assert!(!out.status.success());
    assert!(!err.contains("stack backtrace"), "{err}");
    assert!(err.lines().count() <= 2, "{err}");
}
