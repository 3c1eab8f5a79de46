//! Looking into a binary plan: what its header says, whether it decodes,
//! and why not, so a person can see why a cache was refused
//! (`wireplan inspect plan.wpl`).
//!
//! Every field of the header is read as far as the bytes go, without
//! trusting any of it; the verdict is [`Plan::decode`]'s, the same check
//! every cache makes.

use std::fmt::Write as _;

use serde_json::json;

use crate::codec::{planner_version, BINARY_VERSION, MAGIC};
use crate::error::{DecodeFault, Error};
use crate::escape::escape;
use crate::fingerprint::Fingerprint;
use crate::plan::Plan;

/// What a binary plan holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// Its size in bytes.
    pub size: usize,
    /// It starts with the plan magic.
    pub magic: bool,
    /// The binary format version in the header.
    pub binary_version: Option<u16>,
    /// The planner version that wrote it.
    pub planner_version: Option<[u16; 3]>,
    /// The fingerprint of the descriptors and options it was made from.
    pub fingerprint: Option<Fingerprint>,
    /// The body length the header gives.
    pub body_len: Option<u64>,
    /// What decoding found: the plan, or why it is refused.
    pub verdict: Result<Summary, DecodeFault>,
}

/// A usable plan, in numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Planned services.
    pub services: usize,
    /// Of which singletons.
    pub singletons: usize,
    /// Start-up layers.
    pub layers: usize,
    /// The profile it was planned for.
    pub profile: Option<String>,
    /// Its roots.
    pub roots: Vec<String>,
    /// Its warnings.
    pub warnings: usize,
}

fn u16_at(bytes: &[u8], i: usize) -> Option<u16> {
    bytes.get(i..i + 2).map(|b| u16::from_le_bytes([b.first().copied().unwrap_or(0), b.get(1).copied().unwrap_or(0)]))
}

/// Inspects `bytes`; with `expected`, the verdict also requires that
/// fingerprint (as a cache for given descriptors would).
///
/// # Complexity
/// O(size): one decode.
pub fn inspect(bytes: &[u8], expected: Option<Fingerprint>) -> Inspection {
    let magic = bytes.get(..8) == Some(&MAGIC[..]);
    // Past a missing magic, the header's fields mean nothing.
    let b = if magic { bytes } else { &[] };
    let binary_version = u16_at(b, 8);
    let planner = (|| Some([u16_at(b, 10)?, u16_at(b, 12)?, u16_at(b, 14)?]))();
    let fingerprint = b.get(16..32).map(|s| {
        let mut fp = [0u8; 16];
        fp.copy_from_slice(s);
        Fingerprint(u128::from_be_bytes(fp))
    });
    let body_len = b.get(32..40).map(|s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        u64::from_le_bytes(a)
    });
    let verdict = match Plan::decode(bytes, expected) {
        Ok(plan) => Ok(Summary {
            services: plan.len(),
            singletons: plan.startup().len(),
            layers: plan.layers().len(),
            profile: plan.profile().map(str::to_owned),
            roots: plan.roots().map(str::to_owned).collect(),
            warnings: plan.warnings().len(),
        }),
        Err(Error::Decode { reason }) => Err(reason),
        Err(other) => Err(DecodeFault::Corrupt(other.to_string())),
    };
    Inspection { size: bytes.len(), magic, binary_version, planner_version: planner, fingerprint, body_len, verdict }
}

fn version(v: [u16; 3]) -> String {
    format!("{}.{}.{}", v[0], v[1], v[2])
}

fn unknown() -> String {
    "(not in the file)".to_owned()
}

impl Inspection {
    /// Whether a cache would use it.
    pub fn usable(&self) -> bool {
        self.verdict.is_ok()
    }

    /// For a person, `name` being the file's.
    pub fn human(&self, name: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}: {} bytes", escape(name), self.size);
        let magic = if self.magic { "WIREPLAN (a wireplan plan)" } else { "missing: not a wireplan plan" };
        let _ = writeln!(out, "  magic:           {magic}");
        let binary = self.binary_version.map_or_else(unknown, |v| format!("{v} (this planner reads {BINARY_VERSION})"));
        let _ = writeln!(out, "  binary format:   {binary}");
        let made = self.planner_version.map_or_else(unknown, |v| format!("{} (this is {})", version(v), version(planner_version())));
        let _ = writeln!(out, "  made by planner: {made}");
        let _ = writeln!(out, "  fingerprint:     {}", self.fingerprint.map_or_else(unknown, |f| f.to_string()));
        let _ = writeln!(out, "  body:            {}", self.body_len.map_or_else(unknown, |l| format!("{l} bytes")));
        match &self.verdict {
            Ok(s) => {
                let profile = s.profile.as_deref().map_or_else(|| "none".to_owned(), |p| format!("`{}`", escape(p)));
                let roots = if s.roots.is_empty() {
                    "none".to_owned()
                } else {
                    s.roots.iter().map(|r| format!("`{}`", escape(r))).collect::<Vec<_>>().join(", ")
                };
                let _ = writeln!(
                    out,
                    "usable: {} services ({} singletons in {} layers), profile {profile}, roots {roots}, {} warnings",
                    s.services, s.singletons, s.layers, s.warnings
                );
            }
            Err(fault) => {
                let _ = writeln!(out, "refused: {}; a cache rebuilds it from the descriptors", escape(&fault.to_string()));
            }
        }
        out
    }

    /// For a tool.
    pub fn json(&self) -> String {
        let verdict = match &self.verdict {
            Ok(s) => json!({
                "usable": true, "reason": null,
                "services": s.services, "singletons": s.singletons, "layers": s.layers,
                "profile": s.profile, "roots": s.roots, "warnings": s.warnings,
            }),
            Err(f) => json!({ "usable": false, "reason": f.to_string() }),
        };
        let value = json!({
            "size": self.size,
            "magic": self.magic,
            "binary_version": self.binary_version,
            "planner_version": self.planner_version.map(version),
            "fingerprint": self.fingerprint.map(|f| f.to_string()),
            "body_len": self.body_len,
            "verdict": verdict,
        });
        let mut out = serde_json::to_string_pretty(&value).unwrap_or_default();
        out.push('\n');
        out
    }
}
