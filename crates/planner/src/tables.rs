//! The plan as flat arrays, the one shape in which runtimes read it: a
//! runtime walks these to start services, with no JSON to parse. Both
//! bindings copy these slices (Python into lists, JS into typed arrays);
//! the codes of lifetimes and dependency flags are defined here, once.

use crate::descriptor::Lifetime;
use crate::plan::Plan;

pub use crate::plan::{LAZY, MANY, OPTIONAL};

/// The code of a lifetime in [`Tables::lifetimes`] (and in the binary plan).
pub fn lifetime_code(lifetime: Lifetime) -> u8 {
    lifetime.to_u8()
}

/// A plan's runtime tables, compressed-sparse-row style: service `i`'s
/// dependencies are `dep_start[i]..dep_start[i + 1]`, dependency `d`'s
/// providers `providers[prov_start[d]..prov_start[d + 1]]`, service `i`'s
/// recipe `recipes[recipe_start[i]..recipe_start[i + 1]]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tables {
    /// Each service's lifetime ([`lifetime_code`]: 0 singleton, 1 scoped, 2 transient).
    pub lifetimes: Vec<u8>,
    /// Singletons are services `0..singletons`, in start-up order.
    pub singletons: u32,
    /// End (exclusive) of each start-up layer.
    pub layer_ends: Vec<u32>,
    /// Where each service's dependencies start; one more entry than services.
    pub dep_start: Vec<u32>,
    /// Each dependency's flags: [`OPTIONAL`] | [`MANY`] | [`LAZY`].
    pub dep_flags: Vec<u8>,
    /// Where each dependency's providers start; one more entry than dependencies.
    pub prov_start: Vec<u32>,
    /// Every dependency's providers, by service number.
    pub providers: Vec<u32>,
    /// Where each service's recipe starts; one more entry than services.
    pub recipe_start: Vec<u32>,
    /// Every recipe, concatenated.
    pub recipes: Vec<u32>,
}

fn range(start: &[u32], i: usize) -> std::ops::Range<usize> {
    let a = start.get(i).copied().unwrap_or(0) as usize;
    let b = start.get(i + 1).copied().unwrap_or(a as u32) as usize;
    a..b.max(a)
}

impl Tables {
    /// Service `i`'s dependencies: `(flags, providers)`, in `deps` order.
    pub fn deps(&self, i: u32) -> impl ExactSizeIterator<Item = (u8, &[u32])> + '_ {
        range(&self.dep_start, i as usize).map(move |d| {
            let flags = self.dep_flags.get(d).copied().unwrap_or(0);
            (flags, self.providers.get(range(&self.prov_start, d)).unwrap_or(&[]))
        })
    }

    /// Service `i`'s recipe (scoped and transient services).
    pub fn recipe(&self, i: u32) -> &[u32] {
        self.recipes.get(range(&self.recipe_start, i as usize)).unwrap_or(&[])
    }

    /// When every dependency of service `i` is a plain one (one provider,
    /// not optional, many or lazy), their providers in order: the quick
    /// path of a start loop, arguments read straight from instances.
    pub fn plain(&self, i: u32) -> Option<Vec<u32>> {
        self.deps(i)
            .map(|(flags, providers)| match providers {
                [one] if flags == 0 => Some(*one),
                _ => None,
            })
            .collect()
    }

    /// The start-up layers as ranges of service numbers.
    pub fn layers(&self) -> impl Iterator<Item = std::ops::Range<u32>> + '_ {
        self.layer_ends.iter().enumerate().map(move |(i, &end)| {
            let start = if i == 0 { 0 } else { self.layer_ends.get(i - 1).copied().unwrap_or(0) };
            start..end
        })
    }
}

impl Plan {
    /// The runtime tables of this plan.
    ///
    /// # Complexity
    /// O(S + D + P + R): one pass over services, dependencies, providers and recipes.
    pub fn tables(&self) -> Tables {
        let n = self.len();
        let mut t = Tables {
            lifetimes: Vec::with_capacity(n),
            singletons: self.startup().end,
            layer_ends: self.layers().map(|r| r.end).collect(),
            dep_start: Vec::with_capacity(n + 1),
            recipe_start: Vec::with_capacity(n + 1),
            ..Tables::default()
        };
        t.dep_start.push(0);
        t.prov_start.push(0);
        t.recipe_start.push(0);
        for s in self.services() {
            t.lifetimes.push(lifetime_code(s.lifetime()));
            for b in s.deps() {
                t.dep_flags.push(b.flags());
                t.providers.extend_from_slice(b.providers());
                t.prov_start.push(t.providers.len() as u32);
            }
            t.dep_start.push(t.dep_flags.len() as u32);
            t.recipes.extend_from_slice(s.recipe());
            t.recipe_start.push(t.recipes.len() as u32);
        }
        t
    }
}
