//! Planning options: which profile, which roots.

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// What to plan for. The JSON form is `{"profile": "prod", "roots": ["server"]}`;
/// both fields are optional.
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
}

impl Options {
    /// Options for one profile, every service planned.
    pub fn profile(profile: impl Into<String>) -> Self {
        Options { profile: Some(profile.into()), roots: Vec::new() }
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
