//! Questions asked of a plan: what a service needs, what needs it, and why
//! one service starts before another.

use std::collections::VecDeque;

use crate::plan::Plan;

impl Plan {
    /// Every service that `index` needs, directly or not, through any
    /// dependency (lazy ones too), sorted by service number.
    ///
    /// # Complexity
    /// O(S + E), iterative.
    pub fn dependencies(&self, index: u32) -> Vec<u32> {
        let mut seen = vec![false; self.len()];
        let mut stack = vec![index];
        let mut out = Vec::new();
        while let Some(x) = stack.pop() {
            let Some(svc) = self.service(x) else { continue };
            for b in svc.deps() {
                for &p in b.providers() {
                    if let Some(s) = seen.get_mut(p as usize) {
                        if !*s && p != index {
                            *s = true;
                            out.push(p);
                            stack.push(p);
                        }
                    }
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// Every service that needs `index`, directly or not, through any
    /// dependency: what must restart when it changes. Sorted by number.
    ///
    /// # Complexity
    /// O(S + E), iterative.
    pub fn dependents(&self, index: u32) -> Vec<u32> {
        let reverse = self.reverse_edges(false);
        let mut seen = vec![false; self.len()];
        let mut stack = vec![index];
        let mut out = Vec::new();
        while let Some(x) = stack.pop() {
            for &d in reverse.get(x as usize).map_or(&[][..], Vec::as_slice) {
                if let Some(s) = seen.get_mut(d as usize) {
                    if !*s && d != index {
                        *s = true;
                        out.push(d);
                        stack.push(d);
                    }
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// One shortest chain of non-lazy dependencies from `from` down to `to`:
    /// `[from, ..., to]`, each needing the next. When it exists, `to` starts
    /// before `from`; `None` means neither orders the other this way.
    /// Ties are broken by declaration order of dependencies.
    ///
    /// # Complexity
    /// O(S + E), breadth-first.
    pub fn path(&self, from: u32, to: u32) -> Option<Vec<u32>> {
        if from as usize >= self.len() || to as usize >= self.len() {
            return None;
        }
        if from == to {
            return Some(vec![from]);
        }
        let mut parent = vec![u32::MAX; self.len()];
        let mut queue = VecDeque::from([from]);
        while let Some(x) = queue.pop_front() {
            let Some(svc) = self.service(x) else { continue };
            for b in svc.deps().filter(|b| !b.lazy()) {
                for &p in b.providers() {
                    if p == from || parent.get(p as usize) != Some(&u32::MAX) {
                        continue;
                    }
                    if let Some(slot) = parent.get_mut(p as usize) {
                        *slot = x;
                    }
                    if p == to {
                        let mut path = vec![to];
                        let mut cur = to;
                        while cur != from {
                            cur = parent.get(cur as usize).copied().unwrap_or(from);
                            path.push(cur);
                        }
                        path.reverse();
                        return Some(path);
                    }
                    queue.push_back(p);
                }
            }
        }
        None
    }

    /// Direct dependents of each service (optionally non-lazy edges only).
    pub(crate) fn reverse_edges(&self, non_lazy_only: bool) -> Vec<Vec<u32>> {
        let mut reverse: Vec<Vec<u32>> = vec![Vec::new(); self.len()];
        for svc in self.services() {
            for b in svc.deps() {
                if non_lazy_only && b.lazy() {
                    continue;
                }
                for &p in b.providers() {
                    if let Some(list) = reverse.get_mut(p as usize) {
                        if list.last() != Some(&svc.index()) {
                            list.push(svc.index());
                        }
                    }
                }
            }
        }
        reverse
    }
}
