//! The YAML and TOML fuzz targets' bodies (`fuzz/src/formats.rs`), run on
//! stable in seconds over seeds (the CLI's fixtures, hostile shapes) and a
//! few thousand deterministic mutations of them (byte changes, truncations,
//! splices, YAML and TOML tokens dropped in). The long runs, with coverage
//! guidance, are `cargo +nightly fuzz run yaml` and `... toml` (see the
//! docs/limits.md, "Fuzzing").

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../fuzz/src/formats.rs"]
mod formats;
#[path = "../src/toml_doc.rs"]
#[allow(dead_code)]
mod toml_doc;
#[path = "../src/yaml.rs"]
#[allow(dead_code)]
mod yaml;

use std::path::Path;

fn fixtures(ext: &[&str]) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()).is_some_and(|e| ext.contains(&e)))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no {ext:?} fixtures in {}", dir.display());
    names.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// xorshift64*: the same mutations on every machine and run.
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
            usize::try_from(self.next() % n as u64).unwrap()
        }
    }
}

fn mutate(rng: &mut Rng, seed: &[u8], tokens: &[&str]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..=rng.below(3) {
        let at = rng.below(out.len() + 1);
        match rng.below(5) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = u8::try_from(rng.below(128)).unwrap();
            }
            1 => out.truncate(at),
            2 => {
                let token = tokens[rng.below(tokens.len())];
                out.splice(at..at, token.bytes());
            }
            3 if !out.is_empty() => {
                let end = (at + rng.below(16)).min(out.len());
                let piece = out[at.min(end)..end].to_vec();
                out.splice(at..at, piece.iter().copied().chain(piece.iter().copied()));
            }
            _ => {
                let end = (at + rng.below(8)).min(out.len());
                out.drain(at.min(end)..end);
            }
        }
    }
    out
}

fn run(seeds: &[Vec<u8>], tokens: &[&str], body: fn(&[u8]), rounds: usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for seed in seeds {
        body(seed);
    }
    for _ in 0..rounds {
        let seed = &seeds[rng.below(seeds.len())];
        body(&mutate(&mut rng, seed, tokens));
    }
}

#[test]
fn yaml_reader_keeps_its_promises() {
    let mut seeds = fixtures(&["yaml", "yml"]);
    let bomb = format!("a: &a [{}]\nb: [{}]\n", vec!["x"; 100].join(", "), vec!["*a"; 400].join(", "));
    seeds.extend([
        bomb.into_bytes(),
        "[".repeat(300).into_bytes(),
        b"k: &k key\n*k : v\n? [a]\n: b\n".to_vec(),
        b"a: 1\na: 2\n".to_vec(),
        b"--- 1\n--- 2\n".to_vec(),
        b"a: !!str 1\nb: 0x1F\nc: .inf\nd: 1e400\ne: \"\\u202e\\x1b\"\n".to_vec(),
    ]);
    let tokens = ["&a ", "*a", "[", "]", "{", "}", ": ", "- ", "\n  ", "---\n", "? ", "!!str ", "|\n", "\"", "'", "#", ",", "\u{feff}"];
    run(&seeds, &tokens, formats::yaml, 20_000);
}

#[test]
fn toml_reader_keeps_its_promises() {
    let mut seeds = fixtures(&["toml"]);
    seeds.extend([
        format!("a = [{}]\n", "1,".repeat(200)).into_bytes(),
        format!("a = {}\n", "[".repeat(300)).into_bytes(),
        b"a = \"\"\"x\"\"\"\"\"\nb = '''y'''\nc = 1979-05-27T07:32:00Z\nd = inf\n[t.u]\nv = {w = 1}\n".to_vec(),
        b"[[s]]\nid = 'a'\n[[s]]\nid = 'b'\n".to_vec(),
    ]);
    let tokens =
        ["[", "]", "[[", "]]", "{", "}", " = ", ",", "\n", "\"", "'''", "\"\"\"", "#", ".", "1979-05-27", "nan", "0x1F", "\\u202e"];
    run(&seeds, &tokens, formats::toml, 20_000);
}
