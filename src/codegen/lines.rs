//! Where things are in the document's text: a [`LineIndex`] maps every key
//! and sequence item of block-style YAML, by its JSON pointer segments, to
//! its 1-based line, in one pass over the text. Errors and diff reports use
//! it to name lines; one index serves any number of lookups.

use std::collections::HashMap;

/// The line of every key and sequence item of a block-style YAML text.
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    lines: HashMap<Vec<String>, usize>,
}

/// A key or item on the path to the current line, with its indentation.
struct Frame {
    indent: usize,
    segment: String,
    item: bool,
}

impl LineIndex {
    /// Indexes `text`. Flow collections (`[a, b]`, `{a: b}`) count as values:
    /// their contents are not indexed, and a lookup inside one finds the key
    /// that holds it.
    pub fn new(text: &str) -> LineIndex {
        let mut lines = HashMap::new();
        let mut stack: Vec<Frame> = Vec::new();
        // Next item index per sequence (by the path of its parent).
        let mut counters: HashMap<Vec<String>, usize> = HashMap::new();
        // Inside a block scalar (`|`, `>`): lines indented deeper than this.
        let mut block: Option<usize> = None;
        for (number, raw) in text.lines().enumerate() {
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
                let parent: Vec<String> = stack.iter().map(|f| f.segment.clone()).collect();
                let counter = counters.entry(parent.clone()).or_insert(0);
                let index = *counter;
                *counter += 1;
                let mut path = parent;
                path.push(index.to_string());
                lines.entry(path).or_insert(number + 1);
                stack.push(Frame {
                    indent,
                    segment: index.to_string(),
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
            let mut path: Vec<String> = stack.iter().map(|f| f.segment.clone()).collect();
            path.push(key.clone());
            // A new mapping here: its sequences count from zero again.
            counters.remove(&path);
            lines.entry(path).or_insert(number + 1);
            stack.push(Frame {
                indent,
                segment: key,
                item: false,
            });
            if value.starts_with('|') || value.starts_with('>') {
                block = Some(indent);
            }
        }
        LineIndex { lines }
    }

    /// The 1-based line of the place at `segments` (object keys and array
    /// indices), or of the deepest of its parents the index has; `None` when
    /// not even the first segment is found.
    pub fn line<S: AsRef<str>>(&self, segments: &[S]) -> Option<usize> {
        let path: Vec<String> = segments.iter().map(|s| s.as_ref().to_owned()).collect();
        (1..=path.len())
            .rev()
            .find_map(|n| self.lines.get(&path[..n]).copied())
    }
}

/// `key: value` → (key, value) for a mapping line, quotes taken off the
/// key; `None` for a line that is not `key:`.
fn split_key(line: &str) -> Option<(String, &str)> {
    let (key, rest) = match line.chars().next()? {
        quote @ ('\'' | '"') => {
            let end = line[1..].find(quote)? + 1;
            (line[1..end].to_owned(), &line[end + 1..])
        }
        '{' | '[' => return None,
        _ => {
            let at = line
                .match_indices(':')
                .map(|(i, _)| i)
                .find(|&i| line[i + 1..].is_empty() || line[i + 1..].starts_with(' '))?;
            (line[..at].trim_end().to_owned(), &line[at..])
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
            Some(("url".to_owned(), "https://a.test"))
        );
        assert_eq!(split_key("'200':"), Some(("200".to_owned(), "")));
        assert_eq!(split_key("a:b: c"), Some(("a:b".to_owned(), "c")));
        assert_eq!(split_key("just text"), None);
    }
}
