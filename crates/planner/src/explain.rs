//! `explain`: one service's or key's place in a graph, valid or broken
//! (that is when people ask), as data; [`crate::render::explain`] puts it
//! in words and JSON.
//!
//! A name is looked up as a service id first, then as a key: a key
//! provided by one service explains that service; a key provided by
//! several, or by none, explains the key (who provides it, who asks).
//! A name that is neither gets did-you-mean suggestions among ids and keys.

use crate::analysis::{Analysis, Target};

/// What a name was found to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A service, by index into [`Analysis::nodes`]; `via` is the key it
    /// was asked by, when that is not its id.
    Service {
        /// The service.
        node: u32,
        /// The key the name was, when it was not the id.
        via: Option<String>,
    },
    /// A key provided by several services or by none.
    Key {
        /// The key.
        key: String,
        /// Services that provide it.
        providers: Vec<u32>,
        /// Services that ask for it, each once, with its dependency index.
        askers: Vec<(u32, u32)>,
    },
}

/// The answer to "why does `a` start after `b`" (or before).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Why {
    /// The other service.
    pub other: u32,
    /// The shortest chain of non-lazy dependencies between the two,
    /// `[first, ..., last]`, each needing the next (so `last` starts
    /// before `first`); `None` when neither needs the other.
    pub path: Option<Vec<u32>>,
}

/// What `explain` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The service or key.
    pub subject: Subject,
    /// For a service: its direct dependents, in node order.
    pub dependents: Vec<u32>,
    /// For a service: everything that depends on it, directly or not.
    pub affected: Vec<u32>,
    /// Indexes into the report of the diagnostics that name the subject.
    pub problems: Vec<usize>,
    /// The answer to `why`, when asked.
    pub why: Option<Why>,
}

/// A name that is neither a service nor a key of the graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// The name asked for.
    pub name: String,
    /// Close ids and keys, best first; for a key of several services,
    /// their ids.
    pub suggestions: Vec<String>,
    /// The name is a key of several services (or none), where one service
    /// was needed.
    pub not_one: bool,
}

impl std::fmt::Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = crate::escape::escape(&self.name);
        if self.not_one {
            let ids: Vec<String> = self.suggestions.iter().map(|s| format!("`{}`", crate::escape::escape(s))).collect();
            return match ids.is_empty() {
                true => write!(f, "key `{name}` is provided by no service; name a service"),
                false => write!(f, "key `{name}` is provided by several services; name one of them: {}", ids.join(", ")),
            };
        }
        write!(f, "no service or key `{name}` in the graph")?;
        if let Some(best) = self.suggestions.first() {
            write!(f, "; did you mean `{}`?", crate::escape::escape(best))?;
        }
        Ok(())
    }
}

impl std::error::Error for Unknown {}

impl Analysis {
    /// Finds `name`: a service id, else a key.
    ///
    /// # Errors
    /// [`Unknown`], with suggestions, when it is neither.
    pub fn lookup(&self, name: &str) -> Result<Subject, Unknown> {
        if let Some(node) = self.node(name) {
            return Ok(Subject::Service { node, via: None });
        }
        let providers = self.providers(name);
        let mut askers = Vec::new();
        for e in self.edges() {
            if e.key == name && askers.last().map(|&(f, _)| f) != Some(e.from) {
                askers.push((e.from, e.dep));
            }
        }
        // A key asked for as optional or `many` has no edge when nothing
        // provides it: look at the declarations too.
        if askers.is_empty() {
            for node in 0..self.nodes().len() as u32 {
                if let Some(i) = self.deps_of(node).iter().position(|d| d.0 == name) {
                    askers.push((node, i as u32));
                }
            }
        }
        match providers.as_slice() {
            [only] => Ok(Subject::Service { node: *only, via: Some(name.to_owned()) }),
            [] if askers.is_empty() => Err(self.unknown(name)),
            _ => Ok(Subject::Key { key: name.to_owned(), providers, askers }),
        }
    }

    fn unknown(&self, name: &str) -> Unknown {
        let mut names: Vec<&str> = self.nodes().iter().map(|n| n.id.as_str()).collect();
        names.extend(self.nodes().iter().flat_map(|n| n.provides.iter().map(String::as_str)));
        names.extend(self.missing().iter().map(String::as_str));
        names.sort_unstable();
        names.dedup();
        let suggestions = crate::suggest::suggest(name, &names).into_iter().map(str::to_owned).collect();
        Unknown { name: name.to_owned(), suggestions, not_one: false }
    }

    /// Explains `name` (an id or a key) and, with `why`, how it is ordered
    /// against another service.
    ///
    /// # Errors
    /// [`Unknown`] when `name` or `why` names nothing, or `why` names a key
    /// that is not one service.
    ///
    /// # Complexity
    /// O(S + E) for the dependents and the path, iterative.
    pub fn explain(&self, name: &str, why: Option<&str>) -> Result<Explanation, Unknown> {
        let subject = self.lookup(name)?;
        let (dependents, affected, named) = match &subject {
            Subject::Service { node, .. } => {
                let id = self.nodes().get(*node as usize).map_or("", |n| n.id.as_str());
                (self.dependents(*node), self.affected(*node), Named::Service(id))
            }
            Subject::Key { key, .. } => (Vec::new(), Vec::new(), Named::Key(key)),
        };
        let problems = self
            .report()
            .diagnostics
            .iter()
            .enumerate()
            .filter(|(_, d)| match named {
                Named::Service(id) => d.services.iter().any(|s| s == id),
                Named::Key(k) => d.key.as_deref() == Some(k),
            })
            .map(|(i, _)| i)
            .collect();
        let why = match (why, &subject) {
            (None, _) => None,
            (Some(other), Subject::Service { node, .. }) => {
                let other = self.service(other)?;
                let path = self.path(*node, other).or_else(|| self.path(other, *node));
                Some(Why { other, path })
            }
            (Some(_), Subject::Key { key, .. }) => return Err(self.unknown_service(key)),
        };
        Ok(Explanation { subject, dependents, affected, problems, why })
    }

    /// Finds the one service `name` means: its id, or a key only it
    /// provides (what `explain --why` and a picture's focus take).
    ///
    /// # Errors
    /// [`Unknown`] when `name` names nothing, with did-you-mean, or a key
    /// of several services or none, naming them.
    pub fn service(&self, name: &str) -> Result<u32, Unknown> {
        match self.lookup(name)? {
            Subject::Service { node, .. } => Ok(node),
            Subject::Key { key, .. } => Err(self.unknown_service(&key)),
        }
    }

    fn unknown_service(&self, key: &str) -> Unknown {
        let suggestions = self.providers(key).iter().filter_map(|&p| self.nodes().get(p as usize)).map(|n| n.id.clone()).collect();
        Unknown { name: key.to_owned(), suggestions, not_one: true }
    }

    /// The key through which `from` needs `to` (its first non-lazy edge to it).
    pub(crate) fn key_between(&self, from: u32, to: u32) -> Option<&str> {
        self.edges_of(from).iter().find(|e| !e.lazy && e.to == Target::Service(to)).map(|e| e.key.as_str())
    }
}

enum Named<'a> {
    Service(&'a str),
    Key(&'a str),
}
