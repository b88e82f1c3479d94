//! Where things are in the document's text: a [`LineIndex`] maps every key
//! and sequence item of block-style YAML, by its JSON pointer segments, to
//! its 1-based line, in one pass over the text. Errors and diff reports use
//! it to name lines; one index serves any number of lookups.

use std::collections::HashMap;

/// The line of every key and sequence item of a block-style YAML text.
///
/// A tree of the document's keys and items, in flat tables: each node is a
/// line number, its keys are looked up by (parent, key) with the key
/// borrowed from the text, and its items by (parent, index).
#[derive(Clone, Debug)]
pub struct LineIndex<'t> {
    /// The line of each node; node 0 is the document.
    lines: Vec<u32>,
    /// How many items each node has (as a sequence).
    items_of: Vec<u32>,
    keys: HashMap<(u32, &'t str), u32>,
    items: HashMap<(u32, u32), u32>,
}

/// A key or item on the path to the current line, with its indentation.
struct Frame {
    indent: usize,
    node: u32,
    item: bool,
}

impl<'t> LineIndex<'t> {
    /// Indexes `text`. Flow collections (`[a, b]`, `{a: b}`) count as values:
    /// their contents are not indexed, and a lookup inside one finds the key
    /// that holds it.
    pub fn new(text: &'t str) -> LineIndex<'t> {
        let mut index = LineIndex {
            lines: vec![0],
            items_of: vec![0],
            keys: HashMap::new(),
            items: HashMap::new(),
        };
        let mut stack: Vec<Frame> = Vec::new();
        // Inside a block scalar (`|`, `>`): lines indented deeper than this.
        let mut block: Option<usize> = None;
        for (number, raw) in text.lines().enumerate() {
            let line = u32::try_from(number + 1).unwrap_or(u32::MAX);
            let content = raw.trim_start();
            if content.is_empty() {
                continue;
            }
            let indent = raw.len() - content.len();
            if let Some(limit) = block {
                if indent > limit {
                    continue;
                }
                block = None;
            }
            if content.starts_with('#') {
                continue;
            }
            let mut indent = indent;
            let mut rest = content;
            // `- ` items, possibly several on one line (`- - a`), each
            // possibly starting a mapping on the same line.
            while rest == "-" || rest.starts_with("- ") {
                while stack
                    .last()
                    .is_some_and(|f| f.indent > indent || (f.indent == indent && f.item))
                {
                    stack.pop();
                }
                let parent = stack.last().map_or(0, |f| f.node);
                let node = index.push(line);
                let position = index.items_of[parent as usize];
                index.items_of[parent as usize] += 1;
                index.items.insert((parent, position), node);
                stack.push(Frame {
                    indent,
                    node,
                    item: true,
                });
                let after = rest[1..].trim_start();
                indent += rest.len() - after.len();
                rest = after;
            }
            let Some((key, value)) = split_key(rest) else {
                // A scalar item or a continuation line: nothing to index.
                continue;
            };
            while stack.last().is_some_and(|f| f.indent >= indent) {
                stack.pop();
            }
            let parent = stack.last().map_or(0, |f| f.node);
            // A key met again (YAML forbids it; the first one is kept) gets
            // a node of its own, outside the tree.
            let node = index.push(line);
            index.keys.entry((parent, key)).or_insert(node);
            stack.push(Frame {
                indent,
                node,
                item: false,
            });
            if value.starts_with('|') || value.starts_with('>') {
                block = Some(indent);
            }
        }
        index
    }

    /// A new node on `line`.
    fn push(&mut self, line: u32) -> u32 {
        self.lines.push(line);
        self.items_of.push(0);
        u32::try_from(self.lines.len() - 1).unwrap_or(u32::MAX)
    }

    /// The 1-based line of the place at `segments` (object keys and array
    /// indices), or of the deepest of its parents the index has; `None` when
    /// not even the first segment is found.
    pub fn line<S: AsRef<str>>(&self, segments: &[S]) -> Option<usize> {
        let mut node = 0;
        let mut found = None;
        for segment in segments {
            let segment = segment.as_ref();
            let child = self.keys.get(&(node, segment)).copied().or_else(|| {
                let position = segment.parse::<u32>().ok()?;
                self.items.get(&(node, position)).copied()
            });
            let Some(child) = child else { break };
            node = child;
            found = Some(self.lines[node as usize] as usize);
        }
        found
    }
}

/// `key: value` → (key, value) for a mapping line, quotes taken off the
/// key; `None` for a line that is not `key:`.
pub(super) fn split_key(line: &str) -> Option<(&str, &str)> {
    let (key, rest) = match line.chars().next()? {
        quote @ ('\'' | '"') => {
            let end = line[1..].find(quote)? + 1;
            (&line[1..end], &line[end + 1..])
        }
        '{' | '[' => return None,
        _ => {
            let at = line
                .match_indices(':')
                .map(|(i, _)| i)
                .find(|&i| line[i + 1..].is_empty() || line[i + 1..].starts_with(' '))?;
            (line[..at].trim_end(), &line[at..])
        }
    };
    let value = rest.trim_start().strip_prefix(':')?;
    Some((key, value.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
openapi: 3.0.3
info:
  description: |
    a: not a key
    - not an item
  version: '1'
servers:
  - url: https://a.test
    x-vendor: a
  - url: https://b.test
paths:
  /things/{id}:
    get:
      tags: [a]
      parameters:
        - name: id
          in: path
      responses:
        '200':
          description: ok
";

    #[test]
    fn keys_and_items_have_their_lines() {
        let index = LineIndex::new(TEXT);
        assert_eq!(index.line(&["openapi"]), Some(1));
        assert_eq!(index.line(&["info", "version"]), Some(6));
        assert_eq!(index.line(&["servers", "0"]), Some(8));
        assert_eq!(index.line(&["servers", "0", "x-vendor"]), Some(9));
        assert_eq!(index.line(&["servers", "1", "url"]), Some(10));
        assert_eq!(
            index.line(&["paths", "/things/{id}", "get", "parameters", "0", "in"]),
            Some(17)
        );
        assert_eq!(
            index.line(&[
                "paths",
                "/things/{id}",
                "get",
                "responses",
                "200",
                "description"
            ]),
            Some(20)
        );
    }

    #[test]
    fn block_scalars_and_flow_collections_are_values() {
        let index = LineIndex::new(TEXT);
        assert_eq!(
            index.line(&["info", "a"]),
            Some(2),
            "inside a block scalar: its key"
        );
        assert_eq!(
            index.line(&["paths", "/things/{id}", "get", "tags", "0"]),
            Some(14)
        );
        assert_eq!(index.line(&["nowhere"]), None);
        assert_eq!(
            index.line(&["servers", "7"]),
            Some(7),
            "the deepest parent found"
        );
    }

    #[test]
    fn keys_split_at_the_first_colon_before_a_space() {
        assert_eq!(
            split_key("url: https://a.test"),
            Some(("url", "https://a.test"))
        );
        assert_eq!(split_key("'200':"), Some(("200", "")));
        assert_eq!(split_key("a:b: c"), Some(("a:b", "c")));
        assert_eq!(split_key("just text"), None);
    }
}
