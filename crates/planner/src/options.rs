//! Planning options: which profile, which roots, what limits.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::limits::Limits;

/// What to plan for. The JSON form is
/// `{"profile": "prod", "roots": ["server"], "limits": {"max_services": 2000000}}`;
/// every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// The active profile: services with `profiles` exist only when it is one
    /// of theirs. `None` plans only the services without `profiles`.
    #[serde(default)]
    pub profile: Option<String>,
    /// Services that must be started (like fx's Invoke). When not empty, only
    /// what they need is planned and every other service is reported as
    /// unused (a warning). Empty means every service is planned.
    #[serde(default)]
    pub roots: Vec<String>,
    /// Resource limits. They decide whether a plan is made, never what it
    /// is, so they are not part of the fingerprint.
    #[serde(default)]
    pub limits: Limits,
}

impl Options {
    /// Options for one profile, every service planned.
    pub fn profile(profile: impl Into<String>) -> Self {
        Options { profile: Some(profile.into()), ..Options::default() }
    }

    /// Reads options from JSON (`null` or `{}` for the defaults).
    ///
    /// # Errors
    /// [`Error::Options`] for anything but the documented shape.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed == "null" {
            return Ok(Options::default());
        }
        serde_json::from_str(trimmed).map_err(|e| Error::Options { message: e.to_string() })
    }

    /// The roots, sorted and without repeats: their order does not change the plan.
    pub(crate) fn canonical_roots(&self) -> Vec<&str> {
        let mut roots: Vec<&str> = self.roots.iter().map(String::as_str).collect();
        roots.sort_unstable();
        roots.dedup();
        roots
    }
}
