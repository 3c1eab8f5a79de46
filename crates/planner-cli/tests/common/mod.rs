//! Helpers shared by the integration tests: run the real binary, find the
//! shared vectors relative to this crate (never the working directory),
//! compare against plain snapshot files, generate large graphs.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `wireplan` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_wireplan");

/// `tests/vectors` at the repository root.
pub fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors").canonicalize().expect("tests/vectors exists")
}

/// This crate's `tests/fixtures`.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A scratch directory for files a test writes.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary in `dir` with `args`, no color, no terminal.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    run_with(dir, args, None)
}

/// Runs the binary in `dir` with `args`, feeding `stdin`.
pub fn run_with(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).current_dir(dir).env_remove("NO_COLOR").env("RUST_BACKTRACE", "1");
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the binary runs");
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_no_panic(&out);
    out
}

/// Never a panic message or a Rust backtrace, whatever the input.
pub fn assert_no_panic(out: &Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "panic: {err}");
    assert!(!err.contains("stack backtrace"), "backtrace: {err}");
    assert!(!err.contains("RUST_BACKTRACE"), "backtrace hint: {err}");
}

/// The exit code.
pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed")
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("utf-8 stdout")
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("utf-8 stderr")
}

/// Compares `actual` with `tests/snapshots/<name>`; `WIREPLAN_BLESS=1`
/// rewrites the file instead.
pub fn snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
    if std::env::var_os("WIREPLAN_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing snapshot {}; run with WIREPLAN_BLESS=1", path.display()));
    assert_eq!(actual, expected, "snapshot {name} differs; review, then WIREPLAN_BLESS=1 to accept");
}

/// Checks a DOT text with Graphviz. Setup installs graphviz: a missing
/// `dot` is a failure, not a skip.
pub fn assert_dot_accepts(text: &str) {
    let dot = Path::new("/usr/bin/dot");
    assert!(dot.exists(), "Graphviz `dot` is missing: scripts/setup installs graphviz");
    let mut child = Command::new(dot).arg("-Tsvg").stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.trim().is_empty(), "dot rejected the graph: {err}\n{text}");
}

/// A layered, application-like graph of `n` services: layers of `width`
/// services, each needing about 3 services of the layer below (the same
/// shape as the core's benchmark generator). Deterministic.
pub fn layered(n: usize, width: usize) -> String {
    let mut out = String::with_capacity(n * 64);
    out.push_str("{\"version\": 1, \"services\": [\n");
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in 0..n {
        let layer = i / width;
        if i > 0 {
            out.push_str(",\n");
        }
        let _ = write!(out, "{{\"id\": \"svc{i}\"");
        if layer > 0 {
            out.push_str(", \"deps\": [");
            let below = (layer - 1) * width;
            let mut picked: Vec<usize> = (0..3).map(|_| below + (next() as usize % width)).collect();
            picked.sort_unstable();
            picked.dedup();
            for (j, d) in picked.iter().enumerate() {
                if j > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "\"svc{d}\"");
            }
            out.push(']');
        }
        let _ = write!(out, ", \"source\": {{\"file\": \"app/m{}.py\", \"line\": {}}}}}", i % 97, i % 500 + 1);
    }
    out.push_str("\n]}\n");
    out
}
