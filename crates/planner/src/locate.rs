//! Finding places in JSON text after the fact.
//!
//! serde gives positions only for syntax errors. For problems found later
//! (an empty id, a duplicate id, a service with no `source`) we scan the
//! text once more to turn a JSON path into a byte offset. This runs only on
//! the error path, so the fast path pays nothing for it.
//!
//! # Complexity
//! O(bytes) per call; iterative, so nesting depth costs no stack.

/// A step of a JSON path.
enum Step<'p> {
    Key(&'p str),
    Index(usize),
}

fn parse_path(path: &str) -> Option<Vec<Step<'_>>> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (part.get(..i)?, part.get(i..)?),
            None => (part, ""),
        };
        if !name.is_empty() {
            steps.push(Step::Key(name));
        }
        while let Some(stripped) = rest.strip_prefix('[') {
            let end = stripped.find(']')?;
            steps.push(Step::Index(stripped.get(..end)?.parse().ok()?));
            rest = stripped.get(end + 1..)?;
        }
    }
    Some(steps)
}

struct Scanner<'t> {
    bytes: &'t [u8],
    pos: usize,
}

impl<'t> Scanner<'t> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.skip_ws();
        (self.peek()? == b).then(|| self.pos += 1)
    }

    /// Reads a string at the cursor; returns its raw contents (escapes kept).
    fn string(&mut self) -> Option<&'t [u8]> {
        self.skip_ws();
        if self.peek()? != b'"' {
            return None;
        }
        self.pos += 1;
        let start = self.pos;
        loop {
            match self.peek()? {
                b'\\' => self.pos += 2,
                b'"' => {
                    let s = self.bytes.get(start..self.pos)?;
                    self.pos += 1;
                    return Some(s);
                }
                _ => self.pos += 1,
            }
        }
    }

    /// Skips one value of any kind, iteratively.
    fn skip_value(&mut self) -> Option<()> {
        self.skip_ws();
        let mut depth = 0usize;
        loop {
            match self.peek()? {
                b'"' => {
                    self.string()?;
                }
                b'[' | b'{' => {
                    depth += 1;
                    self.pos += 1;
                }
                b']' | b'}' => {
                    depth = depth.checked_sub(1)?;
                    self.pos += 1;
                }
                b',' | b':' if depth > 0 => self.pos += 1,
                b' ' | b'\n' | b'\r' | b'\t' => self.pos += 1,
                _ if depth == 0 => {
                    // A scalar at top level: run to its end.
                    while !matches!(self.peek(), None | Some(b',' | b']' | b'}' | b' ' | b'\n' | b'\r' | b'\t')) {
                        self.pos += 1;
                    }
                    return Some(());
                }
                _ => self.pos += 1,
            }
            if depth == 0 {
                return Some(());
            }
        }
    }

    /// With the cursor before an object, moves it to the value of `key`.
    fn enter_key(&mut self, key: &str) -> Option<()> {
        self.eat(b'{')?;
        loop {
            self.skip_ws();
            if self.peek()? == b'}' {
                return None;
            }
            let k = self.string()?;
            self.eat(b':')?;
            if k == key.as_bytes() {
                self.skip_ws();
                return Some(());
            }
            self.skip_value()?;
            self.skip_ws();
            if self.peek()? == b',' {
                self.pos += 1;
            }
        }
    }

    /// With the cursor before an array, moves it to element `index`.
    fn enter_index(&mut self, index: usize) -> Option<()> {
        self.eat(b'[')?;
        for _ in 0..index {
            self.skip_value()?;
            self.eat(b',')?;
        }
        self.skip_ws();
        (self.peek()? != b']').then_some(())
    }
}

/// Byte offset of the value at `path` (`services[2].deps[0]`), if present.
pub fn path_offset(text: &str, path: &str) -> Option<usize> {
    let steps = parse_path(path)?;
    let mut sc = Scanner { bytes: text.as_bytes(), pos: 0 };
    for step in steps {
        match step {
            Step::Key(k) => sc.enter_key(k)?,
            Step::Index(i) => sc.enter_index(i)?,
        }
    }
    sc.skip_ws();
    Some(sc.pos)
}

/// Byte offsets of every element of the top-level `services` array.
pub fn service_offsets(text: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut sc = Scanner { bytes: text.as_bytes(), pos: 0 };
    if sc.enter_key("services").is_none() || sc.eat(b'[').is_none() {
        return out;
    }
    loop {
        sc.skip_ws();
        match sc.peek() {
            None | Some(b']') => return out,
            Some(_) => {}
        }
        out.push(sc.pos);
        if sc.skip_value().is_none() {
            return out;
        }
        if sc.eat(b',').is_none() {
            return out;
        }
    }
}

/// Where each service of a document starts, and where each line starts,
/// so that many places can be found in one document in O(log lines) each.
#[derive(Debug, Clone, Default)]
pub struct DocumentIndex {
    /// Byte offset of each element of `services`.
    pub services: Vec<usize>,
    lines: Vec<usize>,
}

impl DocumentIndex {
    /// Scans a document once.
    pub fn new(text: &str) -> Self {
        let mut lines = vec![0];
        lines.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        DocumentIndex { services: service_offsets(text), lines }
    }

    /// 1-based line and byte column of a byte offset (as serde_json counts).
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let line = self.lines.partition_point(|&start| start <= offset);
        let start = self.lines.get(line.saturating_sub(1)).copied().unwrap_or(0);
        (line, offset.saturating_sub(start) + 1)
    }
}

/// The byte offset of a 1-based line and column (as serde_json counts
/// them) in `text`: the inverse of [`line_column`], clamped to the text.
pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start =
        if line <= 1 { 0 } else { text.bytes().enumerate().filter(|&(_, b)| b == b'\n').nth(line - 2).map_or(text.len(), |(i, _)| i + 1) };
    line_start.saturating_add(column.saturating_sub(1)).min(text.len())
}

/// 1-based line and byte column of a byte offset, as serde_json counts them.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.as_bytes().get(..offset.min(text.len())).unwrap_or_default();
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    (line, offset.saturating_sub(line_start) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values() {
        let text = "{\"version\": 1,\n \"services\": [{\"id\": \"a\"},\n  {\"id\": \"b\", \"deps\": [\"x\", {\"key\": \"y\"}]}]}";
        let off = path_offset(text, "services[1].deps[1].key").unwrap_or(0);
        assert_eq!(text.get(off..off + 3), Some("\"y\""));
        assert_eq!(line_column(text, off), (3, 37));
        assert_eq!(path_offset(text, "services[2]"), None);
        assert_eq!(service_offsets(text).len(), 2);
    }
}
