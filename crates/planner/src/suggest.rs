//! Did-you-mean suggestions for keys and ids that name nothing.
//!
//! A candidate is close when it differs only in case, when one is the other
//! with a prefix or suffix added (a module path, a `#name`), or when the
//! edit distance is small for its length. Work is bounded: beyond a budget
//! of candidates only the cheap checks run, so a hostile graph with many
//! missing keys cannot make reporting quadratic.

/// How many candidates the edit-distance pass looks at, at most.
const EDIT_BUDGET: usize = 20_000;

/// Candidates looked at by all the suggestions of one report together.
const REPORT_BUDGET: usize = 20_000_000;

/// Most suggestions one report computes, however few the candidates.
const MOST_SUGGESTIONS: usize = 200;

/// How many names of one report get suggestions among `candidates`
/// candidates: up to 200, fewer when there are so many candidates that 200
/// searches would be slow. The rest get their diagnostic without one.
pub(crate) fn affordable(candidates: usize) -> usize {
    (REPORT_BUDGET / candidates.max(1)).clamp(1, MOST_SUGGESTIONS)
}

/// Up to three suggestions for `wanted` among `candidates`, best first.
///
/// # Complexity
/// O(C · L) for C candidates of length L for the cheap checks, plus
/// O(min(C, budget) · L²) for edit distances.
pub fn suggest<'c>(wanted: &str, candidates: &[&'c str]) -> Vec<&'c str> {
    let lower = wanted.to_lowercase();
    let tail = last_segment(wanted);
    let mut scored: Vec<(usize, &'c str)> = Vec::new();
    let max_distance = (wanted.chars().count() / 3).clamp(1, 3);
    for (i, &c) in candidates.iter().enumerate() {
        if c == wanted {
            continue;
        }
        let score = if c.to_lowercase() == lower {
            Some(0)
        } else if last_segment(c) == tail || c.ends_with(wanted) || wanted.ends_with(c) {
            Some(1)
        } else if c.starts_with(wanted) || wanted.starts_with(c) {
            Some(2)
        } else if i < EDIT_BUDGET && c.len().abs_diff(wanted.len()) <= max_distance {
            let d = distance(&lower, &c.to_lowercase(), max_distance);
            d.map(|d| 2 + d)
        } else {
            None
        };
        if let Some(score) = score {
            scored.push((score, c));
        }
    }
    scored.sort_unstable();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// The last part of a qualified name: `app.db.Database` gives `Database`.
fn last_segment(s: &str) -> &str {
    let base = s.split('#').next().unwrap_or(s);
    base.rsplit(['.', ':', '/', '\\']).next().unwrap_or(base)
}

/// Levenshtein distance, or `None` when it is over `limit`.
fn distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(c0) = cur.first_mut() {
            *c0 = i + 1;
        }
        let mut row_min = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(usize::MAX) + usize::from(ca != cb);
            let del = prev.get(j + 1).copied().unwrap_or(usize::MAX).saturating_add(1);
            let ins = cur.get(j).copied().unwrap_or(usize::MAX).saturating_add(1);
            let v = sub.min(del).min(ins);
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = v;
            }
            row_min = row_min.min(v);
        }
        if row_min > limit {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().filter(|&d| d <= limit)
}

#[cfg(test)]
mod tests {
    use super::suggest;

    #[test]
    fn suggests_case_suffix_and_typos() {
        let c = ["Database", "app.cache.Cache", "Clock", "Settings"];
        assert_eq!(suggest("database", &c), vec!["Database"]);
        assert_eq!(suggest("Cache", &c), vec!["app.cache.Cache"]);
        assert_eq!(suggest("Databse", &c), vec!["Database"]);
        assert!(suggest("Unrelated", &c).is_empty());
    }
}
