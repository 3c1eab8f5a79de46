//! The core's modules form no import circles: a module that another one
//! uses does not use it back, so each can be read, tested and changed from
//! the bottom up (`diagnostic` below `render`, `graph` below `check`,
//! `descriptor` below `parse`, `plan` below `codec`). Read from the sources:
//! every `crate::<module>` a module names outside comments and tests.
// Tests, benches and examples read files, the environment and the clock;
// the core itself may not (crates/planner/clippy.toml).
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// Top-level module -> the top-level modules it names.
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap();
            let top = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned();
            if top == "lib" {
                continue;
            }
            let text = fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let used = out.entry(top.clone()).or_default();
            for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for (i, _) in line.match_indices("crate::") {
                    let name: String = line[i + 7..].chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                    if !name.is_empty() && name != top {
                        used.insert(name);
                    }
                }
            }
        }
    }
    out
}

#[test]
fn no_two_modules_of_the_core_use_each_other() {
    let uses = uses();
    assert!(uses.len() > 20, "read {} modules", uses.len());
    let mut circles = Vec::new();
    for (a, used) in &uses {
        for b in used {
            if a < b && uses.get(b).is_some_and(|back| back.contains(a)) {
                circles.push(format!("{a} <-> {b}"));
            }
        }
    }
    assert!(circles.is_empty(), "import circles: {}", circles.join(", "));
}

#[test]
fn no_longer_circle_runs_through_the_core() {
    // Depth-first search for a back edge, iterative.
    let uses = uses();
    let names: Vec<&String> = uses.keys().collect();
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    for &start in &names {
        if state.contains_key(start.as_str()) {
            continue;
        }
        let mut stack: Vec<(&str, Vec<&str>)> = vec![(start, uses[start].iter().map(String::as_str).collect())];
        state.insert(start, 1);
        while let Some((node, next)) = stack.last_mut() {
            match next.pop() {
                Some(m) if uses.contains_key(m) => match state.get(m) {
                    None => {
                        state.insert(m, 1);
                        stack.push((m, uses[m].iter().map(String::as_str).collect()));
                    }
                    Some(1) => {
                        let path: Vec<&str> = stack.iter().map(|(n, _)| *n).skip_while(|n| *n != m).collect();
                        panic!("import circle: {} -> {m}", path.join(" -> "));
                    }
                    _ => {}
                },
                Some(_) => {}
                None => {
                    state.insert(node, 2);
                    stack.pop();
                }
            }
        }
    }
}
