//! Planning options: which profile, which roots, what limits.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::limits::Limits;
use crate::parse::{json_words, Found};
use crate::phrase::unknown_field;

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
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| Error::Options { message: format!("{} (at {}:{})", json_words(&e, "the options text"), e.line(), e.column()) })?;
        Options::from_value(&value).map_err(|message| Error::Options { message })
    }

    /// Reads options from a JSON value, saying what is wrong in our words
    /// (serde's derive would say `unknown field `x`, expected one of ...`).
    fn from_value(value: &serde_json::Value) -> Result<Self, String> {
        use serde_json::Value;
        const PLACE: &str = "the planning options";
        const FIELDS: &[&str] = &["profile", "roots", "limits"];
        let should = |what: &str, expected: &str, found: &Value| format!("{what} should be {expected}, not {}", Found::of(found));
        let object = match value {
            Value::Null => return Ok(Options::default()),
            Value::Object(object) => object,
            other => return Err(should(PLACE, "an object with `profile`, `roots` or `limits`", other)),
        };
        let mut options = Options::default();
        for (name, value) in object {
            match (name.as_str(), value) {
                ("profile", Value::Null) => {}
                ("profile", Value::String(p)) => options.profile = Some(p.clone()),
                ("profile", other) => return Err(should("`profile`", "a string", other)),
                ("roots", Value::Array(roots)) => {
                    for root in roots {
                        match root {
                            Value::String(r) => options.roots.push(r.clone()),
                            other => return Err(should("a root in `roots`", "a string", other)),
                        }
                    }
                }
                ("roots", other) => return Err(should("`roots`", "an array of service ids", other)),
                ("limits", Value::Object(limits)) => {
                    for (name, value) in limits {
                        let Some(slot) = options.limits.field_mut(name) else {
                            return Err(unknown_field("`limits`", name, Limits::FIELDS));
                        };
                        match value.as_u64().and_then(|n| usize::try_from(n).ok()) {
                            Some(n) => *slot = n,
                            None => return Err(should(&format!("`{name}`"), "a whole number", value)),
                        }
                    }
                }
                ("limits", other) => return Err(should("`limits`", "an object", other)),
                (name, _) => return Err(unknown_field(PLACE, name, FIELDS)),
            }
        }
        Ok(options)
    }

    /// The roots, sorted and without repeats: their order does not change the plan.
    pub(crate) fn canonical_roots(&self) -> Vec<&str> {
        let mut roots: Vec<&str> = self.roots.iter().map(String::as_str).collect();
        roots.sort_unstable();
        roots.dedup();
        roots
    }
}
