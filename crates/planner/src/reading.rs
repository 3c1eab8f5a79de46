//! Problems a front end finds while reading providers' code (a Python
//! registry reading signatures and type hints), made into diagnostics here
//! so that their words are the core's, and reported together with the
//! graph's own problems in one [`Report`].
//!
//! The front end sends facts ([`Finding`]: which service, which parameter,
//! which hint, where), never words. Samples:
//!
//! ```text
//! error[unresolved-annotation]: the type hint `Money` of parameter `money` of `app.make_ledger` cannot be resolved (`NameError: name 'Money' is not defined`)
//!   --> app.py:12
//!    |
//!    | `Money` is imported here, under `TYPE_CHECKING`   (app.py:6)
//!    |
//!    = help: `Money` is imported only for type checkers, so it does not exist when the hints are read: import it at run time
//!
//! error[unnamed-builtin]: parameter `dsn` of `app.make_db` has the builtin type `str`, which names no dependency
//!   --> app.py:8
//!    = help: name the value it needs, as in `Annotated[str, "dsn"]`, and provide that key; or give the parameter a default
//!
//! error[key-collision]: different classes share the key `app.make.<locals>.Config`
//!   --> app.py:3
//!    |
//!    | one is met by `app.make.<locals>.Config`         (app.py:3)
//!    | another is met by `app.make.<locals>.Config~2`   (app.py:3)
//!    |
//!    = help: a class defined inside a function is a new class each time the function runs, under the same name: define it once, at module level, or name each one, as in `Annotated[Config, "name"]`
//!
//! error[invalid-replacement]: `override:app.Databse` overrides `app.Databse`, which no service provides; did you mean `app.Database`?
//!   --> tests/test_app.py:20
//!    = help: override a key that a registered provider provides
//! ```

use serde::Deserialize;

use crate::diagnostic::{Code, Diagnostic, Location, Related, Report, Severity};
use crate::{Descriptors, Document, Options};

/// A place in the front end's source: a file and, when known, a line.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// The file.
    pub file: String,
    /// The 1-based line, when known.
    #[serde(default)]
    pub line: Option<u32>,
}

impl Place {
    fn location(&self) -> Location {
        Location { file: self.file.clone(), line: self.line, column: None, path: None }
    }
}

/// One class met under a key shared with another class (see
/// [`Finding::KeyCollision`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Met {
    /// The service whose reading met the class.
    pub service: String,
    /// Where the class is defined, when known.
    #[serde(default)]
    pub place: Option<Place>,
}

/// What a front end found wrong with a provider, as facts. In JSON, an
/// object tagged by its `code` (the diagnostic's code), for example
/// `{"code": "unnamed-builtin", "service": "app.make_db", "parameter":
/// "dsn", "annotation": "str", "source": {"file": "app/db.py", "line": 7}}`.
/// A `parameter` of `null` means the return type hint.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "code", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Finding {
    /// A type hint that cannot be evaluated (a forward reference to a name
    /// that does not exist at run time).
    UnresolvedAnnotation {
        /// The provider's service id.
        service: String,
        /// The parameter, or `None` for the return type hint.
        #[serde(default)]
        parameter: Option<String>,
        /// The hint as written.
        annotation: String,
        /// The evaluation's error, as the front end words it
        /// (`NameError: name 'Database' is not defined`).
        error: String,
        /// The name that is not defined, when that is the error.
        #[serde(default)]
        name: Option<String>,
        /// The module the hint is resolved in.
        #[serde(default)]
        module: Option<String>,
        /// Where `name` is imported for type checkers only (under
        /// `if TYPE_CHECKING:`), when it is.
        #[serde(default)]
        guarded: Option<Place>,
        /// The provider's source.
        #[serde(default)]
        source: Option<Place>,
    },
    /// A parameter (or return) with no type hint, or one that names
    /// nothing (`Any`).
    MissingAnnotation {
        /// The provider's service id.
        service: String,
        /// The parameter, or `None` for the return type hint.
        #[serde(default)]
        parameter: Option<String>,
        /// The hint when there is one that names nothing (`Any`).
        #[serde(default)]
        annotation: Option<String>,
        /// The provider's source.
        #[serde(default)]
        source: Option<Place>,
    },
    /// A parameter of a builtin type (`str`, `int`, `dict`...), not named
    /// and without a default: a builtin type says what a value is, not
    /// which one, so it names no dependency.
    UnnamedBuiltin {
        /// The provider's service id.
        service: String,
        /// The parameter.
        parameter: String,
        /// The builtin type as written (`str`, `dict[str, int]`).
        annotation: String,
        /// The provider's source.
        #[serde(default)]
        source: Option<Place>,
    },
    /// Different classes whose keys are the same text (same module and
    /// qualified name): the planner could not tell them apart.
    KeyCollision {
        /// The shared key.
        key: String,
        /// Each class met under it, in the order met.
        classes: Vec<Met>,
    },
    /// A required key no service provides, whose class has registered
    /// subclasses (an abstract base asked for, a concrete class
    /// registered): not a diagnostic of its own, but the help of the
    /// key's `missing-dependency`.
    SubclassRegistered {
        /// The missing key (the base class's).
        key: String,
        /// The keys of the registered subclasses.
        subclasses: Vec<String>,
    },
    /// An override of a key no service provides (code
    /// `invalid-replacement`).
    UnknownOverride {
        /// The overriding service's id.
        service: String,
        /// The key it overrides.
        key: String,
        /// Where the override was made.
        #[serde(default)]
        source: Option<Place>,
    },
}

/// `what` in backticks (user input as the words show it).
fn quoted(what: &str) -> String {
    format!("`{what}`")
}

/// "parameter `p` of `s`", the subject of a parameter's problem.
fn parameter_of(parameter: &str, service: &str) -> String {
    format!("parameter {} of {}", quoted(parameter), quoted(service))
}

/// The last segment of a qualified name: `Config` of `app.make.<locals>.Config`.
fn short_name(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

/// The diagnostic for one finding. `keys` are the keys the registry
/// provides, for the closest-key suggestions of an unknown override.
pub fn diagnostic(finding: &Finding, keys: &[&str]) -> Option<Diagnostic> {
    let error = |code: Code, message: String, help: String, services: Vec<String>, source: &Option<Place>| Diagnostic {
        code,
        severity: Severity::Error,
        message,
        help: Some(help),
        services,
        key: None,
        location: source.as_ref().map(Place::location),
        related: Vec::new(),
    };
    let d = match finding {
        // A fact for another diagnostic's help (see `check_with_findings`).
        Finding::SubclassRegistered { .. } => return None,
        Finding::UnresolvedAnnotation { service, parameter, annotation, error: cause, name, module, guarded, source } => {
            let hint = quoted(annotation);
            let message = match parameter {
                Some(p) => format!("the type hint {hint} of {} cannot be resolved ({})", parameter_of(p, service), quoted(cause)),
                None => format!("the return type hint {hint} of {} cannot be resolved ({})", quoted(service), quoted(cause)),
            };
            let fallback = if parameter.is_some() { "name the dependencies with `deps=`" } else { "pass the key: `provide(Key, factory)`" };
            let help = match (name, module, guarded) {
                (Some(n), _, Some(_)) => format!(
                    "{} is imported only for type checkers, so it does not exist when the hints are read: import it at run time",
                    quoted(n)
                ),
                (Some(n), Some(m), None) => format!(
                    "define or import {} at the top level of module {}, where the hint is resolved; or {fallback}",
                    quoted(n),
                    quoted(m)
                ),
                _ => format!("fix the hint; or {fallback}"),
            };
            let mut d = error(Code::UnresolvedAnnotation, message, help, vec![service.clone()], source);
            if let (Some(n), Some(place)) = (name, guarded) {
                d.related.push(Related {
                    message: format!("{} is imported here, under `TYPE_CHECKING`", quoted(n)),
                    service: None,
                    key: None,
                    location: Some(place.location()),
                });
            }
            d
        }
        Finding::MissingAnnotation { service, parameter, annotation, source } => {
            let param_help = |p: &str| {
                format!(
                    "annotate it with the type of the dependency it needs (a value that is no dependency: \
                     a builtin type and a default, as in {})",
                    quoted(&format!("{p}: int = 3"))
                )
            };
            let (message, help) = match (parameter, annotation) {
                (Some(p), None) => (format!("{} has no type hint", parameter_of(p, service)), param_help(p)),
                (Some(p), Some(a)) => {
                    (format!("{} is typed {}, which names no dependency", parameter_of(p, service), quoted(a)), param_help(p))
                }
                (None, None) => (
                    format!("{} has no return type hint, so it provides no key", quoted(service)),
                    "annotate its return type, or pass the key: `provide(Key, factory)`".to_owned(),
                ),
                (None, Some(a)) => (
                    format!("{} returns {}, which names no key", quoted(service), quoted(a)),
                    "annotate its return type, or pass the key: `provide(Key, factory)`".to_owned(),
                ),
            };
            error(Code::MissingAnnotation, message, help, vec![service.clone()], source)
        }
        Finding::UnnamedBuiltin { service, parameter, annotation, source } => {
            let message =
                format!("{} has the builtin type {}, which names no dependency", parameter_of(parameter, service), quoted(annotation));
            // `list[app.Plugin]` with no default: a forgotten `many` (a
            // class element is module-qualified; a builtin one is not).
            let help = match crate::suggest::collection_element(annotation).filter(|e| e.contains('.')) {
                Some(element) => format!(
                    "to get every provider of {}, give it the default `wireplan.many`: {}",
                    quoted(element),
                    quoted(&format!("{parameter}: {annotation} = wireplan.many"))
                ),
                None => format!(
                    "name the value it needs, as in {}, and provide that key; or give the parameter a default",
                    quoted(&format!("Annotated[{annotation}, \"{parameter}\"]"))
                ),
            };
            error(Code::UnnamedBuiltin, message, help, vec![service.clone()], source)
        }
        Finding::KeyCollision { key, classes } => {
            let name = short_name(key);
            let named = quoted(&format!("Annotated[{name}, \"name\"]"));
            let help = if key.contains("<locals>") {
                format!(
                    "a class defined inside a function is a new class each time the function runs, under the same name: \
                     define it once, at module level, or name each one, as in {named}"
                )
            } else {
                format!("the name was defined again (a module reloaded, a class redefined): use one class, or name each one, as in {named}")
            };
            let mut services: Vec<String> = Vec::new();
            for met in classes {
                if !services.contains(&met.service) {
                    services.push(met.service.clone());
                }
            }
            let related = classes
                .iter()
                .enumerate()
                .map(|(i, met)| Related {
                    message: format!("{} is met by {}", if i == 0 { "one" } else { "another" }, quoted(&met.service)),
                    service: Some(met.service.clone()),
                    key: Some(key.clone()),
                    location: met.place.as_ref().map(Place::location),
                })
                .collect();
            Diagnostic {
                code: Code::KeyCollision,
                severity: Severity::Error,
                message: format!("different classes share the key {}", quoted(key)),
                help: Some(help),
                services,
                key: Some(key.clone()),
                location: classes.iter().find_map(|m| m.place.as_ref()).map(Place::location),
                related,
            }
        }
        Finding::UnknownOverride { service, key, source } => {
            let suggestions = crate::suggest::suggest(key, keys);
            let mut message = format!("{} overrides {}, which no service provides", quoted(service), quoted(key));
            if let Some(clause) = crate::phrase::did_you_mean(&suggestions, false) {
                message.push_str("; ");
                message.push_str(&clause);
            }
            let mut d = error(
                Code::InvalidReplacement,
                message,
                "override a key that a registered provider provides".to_owned(),
                vec![service.clone()],
                source,
            );
            d.key = Some(key.clone());
            d
        }
    };
    Some(d)
}

/// The keys the services provide (their ids when they declare none), each
/// once, leaving out the services named in `skip` (the overrides).
fn provided_keys<'d>(descriptors: &'d Descriptors<'_>, skip: &[&str]) -> Vec<&'d str> {
    let mut seen = rustc_hash::FxHashSet::default();
    let mut out = Vec::new();
    for s in &descriptors.services {
        if skip.contains(&s.id.as_str()) {
            continue;
        }
        let keys: Vec<&str> = match &s.provides {
            Some(list) => list.iter().map(|k| k.as_str()).collect(),
            None => vec![s.id.as_str()],
        };
        for k in keys {
            if seen.insert(k) {
                out.push(k);
            }
        }
    }
    out
}

/// The help of a missing base class whose subclasses are registered.
fn subclass_help(key: &str, subclasses: &[String]) -> String {
    let names: Vec<&str> = subclasses.iter().map(String::as_str).collect();
    let listed = crate::phrase::names(&names, 3, "and", false);
    let (one, verb) = if subclasses.len() == 1 { ("it", "is") } else { ("one of them", "are") };
    format!(
        "{listed}, a subclass of {}, {verb} registered, but a provider is found by the key it provides, not by its base classes: \
         register {one} as {} too (`provides=[...]`), or ask for the subclass",
        quoted(key),
        quoted(short_name(key))
    )
}

/// Checks descriptor documents together with the front end's findings:
/// one report holding the findings' diagnostics and every problem of the
/// graph the documents describe (the providers that could be read), sorted
/// and limited as any report is (`max_diagnostics`).
///
/// # Complexity
/// As [`crate::check`], plus O(F) for F findings and, per unknown
/// override, the bounded suggestion search over the provided keys.
pub fn check_with_findings(documents: &[Document<'_>], options: &Options, findings: &[Finding]) -> Report {
    let cap = options.limits.max_diagnostics;
    let parsed = Descriptors::parse_all_with(documents, &options.limits);
    let overrides: Vec<&str> = findings
        .iter()
        .filter_map(|f| match f {
            Finding::UnknownOverride { service, .. } => Some(service.as_str()),
            _ => None,
        })
        .collect();
    let keys = match (&parsed, overrides.is_empty()) {
        (Ok(descriptors), false) => provided_keys(descriptors, &overrides),
        _ => Vec::new(),
    };
    let real = findings.iter().filter(|f| !matches!(f, Finding::SubclassRegistered { .. })).count();
    let mut omitted = real.saturating_sub(cap);
    let mut diagnostics: Vec<Diagnostic> = findings.iter().filter_map(|f| diagnostic(f, &keys)).take(cap).collect();
    match &parsed {
        Err(e) => diagnostics.push(e.to_diagnostic()),
        Ok(descriptors) => match crate::graph::build(descriptors, options) {
            Err(e) => diagnostics.push(e.to_diagnostic()),
            Ok(graph) => {
                // What `crate::plan` does, the findings added before the
                // report is sorted and limited.
                let order = crate::order::levels(&graph);
                omitted += graph.omitted;
                diagnostics.extend(crate::check::run(&graph, order.has_cycle, &mut omitted));
                diagnostics.extend(crate::check::unused(&graph, &mut omitted));
                diagnostics.extend(crate::check::profile::check(descriptors, options.profile.as_deref()));
            }
        },
    }
    for f in findings {
        if let Finding::SubclassRegistered { key, subclasses } = f {
            for d in diagnostics.iter_mut().filter(|d| d.code == Code::MissingDependency && d.key.as_deref() == Some(key.as_str())) {
                d.help = Some(subclass_help(key, subclasses));
            }
        }
    }
    crate::check::finish(&mut diagnostics, cap, options.limits.max_report_bytes, omitted, Severity::Error);
    Report { diagnostics }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The diagnostic of a finding that has one (every kind but a hint).
    #[allow(clippy::panic)]
    fn diagnostic(finding: &Finding, keys: &[&str]) -> Diagnostic {
        super::diagnostic(finding, keys).unwrap_or_else(|| panic!("{finding:?} has no diagnostic"))
    }

    fn place(line: u32) -> Option<Place> {
        Some(Place { file: "app.py".to_owned(), line: Some(line) })
    }

    #[test]
    fn findings_read_from_json_tagged_by_code() {
        let text = r#"[{"code": "unnamed-builtin", "service": "app.make_db", "parameter": "dsn", "annotation": "str",
                        "source": {"file": "app.py", "line": 7}}]"#;
        let findings: Vec<Finding> = serde_json::from_str(text).unwrap_or_default();
        assert_eq!(
            findings,
            [Finding::UnnamedBuiltin {
                service: "app.make_db".to_owned(),
                parameter: "dsn".to_owned(),
                annotation: "str".to_owned(),
                source: place(7),
            }]
        );
        assert!(serde_json::from_str::<Vec<Finding>>(r#"[{"code": "nonsense"}]"#).is_err());
    }

    #[test]
    fn a_hint_imported_for_type_checkers_only_says_so_and_points_at_the_import() {
        let d = diagnostic(
            &Finding::UnresolvedAnnotation {
                service: "app.make_server".to_owned(),
                parameter: Some("db".to_owned()),
                annotation: "Database".to_owned(),
                error: "NameError: name 'Database' is not defined".to_owned(),
                name: Some("Database".to_owned()),
                module: Some("app".to_owned()),
                guarded: place(4),
                source: place(12),
            },
            &[],
        );
        assert_eq!(d.code.as_str(), "unresolved-annotation");
        assert_eq!(
            d.message,
            "the type hint `Database` of parameter `db` of `app.make_server` cannot be resolved \
             (`NameError: name 'Database' is not defined`)"
        );
        assert_eq!(
            d.help.as_deref(),
            Some("`Database` is imported only for type checkers, so it does not exist when the hints are read: import it at run time")
        );
        let related: Vec<&str> = d.related.iter().map(|r| r.message.as_str()).collect();
        assert_eq!(related, ["`Database` is imported here, under `TYPE_CHECKING`"]);
        assert_eq!(d.location.map(|l| l.to_string()).as_deref(), Some("app.py:12"));
    }

    #[test]
    fn a_builtin_names_no_dependency() {
        let d = diagnostic(
            &Finding::UnnamedBuiltin {
                service: "app.make_db".to_owned(),
                parameter: "dsn".to_owned(),
                annotation: "str".to_owned(),
                source: place(7),
            },
            &[],
        );
        assert_eq!(d.message, "parameter `dsn` of `app.make_db` has the builtin type `str`, which names no dependency");
        assert_eq!(
            d.help.as_deref(),
            Some("name the value it needs, as in `Annotated[str, \"dsn\"]`, and provide that key; or give the parameter a default")
        );
    }

    #[test]
    fn a_list_of_classes_without_many_is_a_forgotten_many() {
        let d = diagnostic(
            &Finding::UnnamedBuiltin {
                service: "app.make_host".to_owned(),
                parameter: "plugins".to_owned(),
                annotation: "list[app.Plugin]".to_owned(),
                source: place(9),
            },
            &[],
        );
        assert_eq!(d.message, "parameter `plugins` of `app.make_host` has the builtin type `list[app.Plugin]`, which names no dependency");
        assert_eq!(
            d.help.as_deref(),
            Some("to get every provider of `app.Plugin`, give it the default `wireplan.many`: `plugins: list[app.Plugin] = wireplan.many`")
        );
    }

    #[test]
    fn an_unknown_override_names_the_closest_keys() {
        let finding =
            Finding::UnknownOverride { service: "override:app.Databse".to_owned(), key: "app.Databse".to_owned(), source: place(20) };
        let d = diagnostic(&finding, &["app.Database", "app.Cache"]);
        assert_eq!(d.code.as_str(), "invalid-replacement");
        assert_eq!(d.message, "`override:app.Databse` overrides `app.Databse`, which no service provides; did you mean `app.Database`?");
    }

    #[test]
    fn findings_and_graph_problems_make_one_sorted_limited_report() {
        let text = r#"{"version": 1, "services": [{"id": "server", "deps": ["db"]}]}"#;
        let findings = vec![Finding::MissingAnnotation {
            service: "server".to_owned(),
            parameter: Some("x".to_owned()),
            annotation: None,
            source: place(3),
        }];
        let report = check_with_findings(&[Document { name: "<registry>", text }], &Options::default(), &findings);
        let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["missing-dependency", "missing-annotation"]);

        let mut options = Options::default();
        options.limits.max_diagnostics = 1;
        let report = check_with_findings(&[Document { name: "<registry>", text }], &options, &findings);
        let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["missing-dependency", "limit-exceeded"]);
    }
}
