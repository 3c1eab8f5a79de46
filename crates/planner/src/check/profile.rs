//! A profile that matches nothing: planning for `prd` when the services
//! say `prod` silently plans only the services without profiles.
//!
//! ```text
//! warning[unknown-profile]: profile `prd` matches no service
//!    = help: did you mean `prod`? otherwise only the services without `profiles` are planned
//! ```

use crate::descriptor::Descriptors;
use crate::diagnostic::{Code, Diagnostic, Severity};

/// The warning for planning for `profile` when no service lists it in its
/// `profiles`, with the closest profiles the services do list.
///
/// # Complexity
/// O(P log P) for P profile entries, plus one bounded suggestion search.
pub(crate) fn check(descriptors: &Descriptors<'_>, profile: Option<&str>) -> Option<Diagnostic> {
    let profile = profile?;
    let mut listed: Vec<&str> = descriptors.services.iter().flat_map(|s| s.profiles.iter().flatten()).map(|p| p.as_str()).collect();
    if listed.contains(&profile) {
        return None;
    }
    listed.sort_unstable();
    listed.dedup();
    let rest = "only the services without `profiles` are planned";
    let help = match crate::phrase::did_you_mean(&crate::suggest::suggest(profile, &listed), false) {
        Some(clause) => format!("{clause} otherwise {rest}"),
        None if listed.is_empty() => format!("no service has `profiles`, so {rest}"),
        None => format!("{rest}; the services list {}", crate::phrase::names(&listed, 5, "and", false)),
    };
    Some(Diagnostic {
        code: Code::UnknownProfile,
        severity: Severity::Warning,
        message: format!("profile `{profile}` matches no service"),
        help: Some(help),
        services: Vec::new(),
        key: None,
        location: None,
        related: Vec::new(),
    })
}
