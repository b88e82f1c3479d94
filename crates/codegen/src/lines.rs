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

/// The 1-based line where `text` first nests collections (mappings and
/// sequences, block or flow style) more than `limit` levels deep, or `None`
/// when it never does. One linear pass over the text, without parsing: the
/// YAML reader's scanner does work for every open flow level on every token
/// (quadratic in the nesting), and reads the whole document before its own
/// depth limit applies, so a document nested too deep is refused before it
/// is read. Block structure is followed by indentation as in [`LineIndex`];
/// quoted scalars, block scalars, plain multi-line scalars and comments are
/// skipped. For malformed text the count is an estimate; it never panics.
pub fn nesting_beyond(text: &str, limit: usize) -> Option<usize> {
    let mut scan = Nesting {
        limit,
        frames: Vec::new(),
        flow: 0,
        quote: None,
        block_scalar: None,
        plain: None,
    };
    for (number, raw) in text.lines().enumerate() {
        if scan.line(raw) {
            return Some(number + 1);
        }
    }
    None
}

/// The state of [`nesting_beyond`] between lines.
struct Nesting {
    limit: usize,
    /// The open block collections: the indentation of each, and whether it
    /// is a sequence (opened by `- `).
    frames: Vec<(usize, bool)>,
    /// How many flow collections (`[`, `{`) are open.
    flow: usize,
    /// The quote of a quoted scalar that goes on to the next line.
    quote: Option<u8>,
    /// Inside a block scalar (`|`, `>`): lines indented deeper than this.
    block_scalar: Option<usize>,
    /// After a plain scalar: lines indented deeper than this continue it.
    plain: Option<usize>,
}

impl Nesting {
    /// Reads one line; `true` when it goes deeper than the limit.
    fn line(&mut self, raw: &str) -> bool {
        let bytes = raw.as_bytes();
        if let Some(quote) = self.quote {
            let Some(end) = close_quote(bytes, 0, quote) else {
                return false;
            };
            self.quote = None;
            return self.flow > 0 && self.flow_scan(bytes, end, false);
        }
        if self.flow > 0 {
            return self.flow_scan(bytes, 0, true);
        }
        let content = raw.trim_start_matches(' ');
        let indent = raw.len() - content.len();
        let content = content.trim_start();
        if let Some(parent) = self.block_scalar {
            if content.is_empty() || indent > parent {
                return false;
            }
            self.block_scalar = None;
        }
        if content.is_empty() || content.starts_with('#') {
            return false;
        }
        if let Some(parent) = self.plain.take()
            && indent > parent
        {
            self.plain = Some(parent);
            return false;
        }
        if indent == 0 && (content.starts_with("---") || content.starts_with("...")) {
            // A new document (the reader takes one): start over.
            self.frames.clear();
            return false;
        }
        if content.starts_with('%') {
            return false;
        }
        let mut indent = indent;
        let mut rest = content;
        while rest == "-" || rest.starts_with("- ") || rest.starts_with("-\t") {
            while self
                .frames
                .last()
                .is_some_and(|&(at, item)| at > indent || (at == indent && item))
            {
                self.frames.pop();
            }
            self.frames.push((indent, true));
            if self.frames.len() > self.limit {
                return true;
            }
            let after = rest[1..].trim_start();
            indent += rest.len() - after.len();
            rest = after;
        }
        let value = match split_key(rest) {
            Some((_, value)) => {
                while self.frames.last().is_some_and(|&(at, _)| at >= indent) {
                    self.frames.pop();
                }
                self.frames.push((indent, false));
                if self.frames.len() > self.limit {
                    return true;
                }
                value
            }
            None => rest,
        };
        let node = self.frames.last().map(|&(at, _)| at);
        let value = skip_properties(value.as_bytes());
        match value.first() {
            Some(b'[' | b'{') => self.flow_scan(value, 0, true),
            Some(&quote @ (b'"' | b'\'')) => {
                if close_quote(value, 1, quote).is_none() {
                    self.quote = Some(quote);
                }
                false
            }
            Some(b'|' | b'>') => {
                self.block_scalar = Some(node.unwrap_or(0));
                false
            }
            Some(b'#' | b'*') | None => false,
            Some(_) => {
                self.plain = node;
                false
            }
        }
    }

    /// Reads flow content from `from`, counting `[`/`{` in and `]`/`}` out
    /// (outside quotes and comments); `true` when it goes deeper than the
    /// limit. `at_node` tells whether a node may start at `from` (a quote
    /// opens a quoted scalar only there).
    fn flow_scan(&mut self, bytes: &[u8], from: usize, mut at_node: bool) -> bool {
        let mut i = from;
        while i < bytes.len() {
            match bytes[i] {
                b'[' | b'{' => {
                    self.flow += 1;
                    if self.frames.len() + self.flow > self.limit {
                        return true;
                    }
                    at_node = true;
                }
                b']' | b'}' => {
                    self.flow = self.flow.saturating_sub(1);
                    if self.flow == 0 {
                        // Back in block context: what follows on the line
                        // is a comment (or an error the reader reports).
                        return false;
                    }
                    at_node = false;
                }
                b',' | b':' | b'?' => at_node = true,
                quote @ (b'"' | b'\'') if at_node => match close_quote(bytes, i + 1, quote) {
                    Some(end) => {
                        i = end;
                        at_node = false;
                        continue;
                    }
                    None => {
                        self.quote = Some(quote);
                        return false;
                    }
                },
                b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t') => return false,
                b' ' | b'\t' => {}
                b'&' | b'!' if at_node => {
                    // An anchor or a tag: the node starts after it.
                    while i < bytes.len() && !matches!(bytes[i], b' ' | b'\t') {
                        i += 1;
                    }
                    continue;
                }
                _ => at_node = false,
            }
            i += 1;
        }
        false
    }
}

/// The index after the quote that closes a `quote`d scalar whose text
/// starts at `from`, or `None` when it goes on past the line.
fn close_quote(bytes: &[u8], from: usize, quote: u8) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            c if c == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// `value` without the anchors (`&a`) and tags (`!t`) written before it.
fn skip_properties(mut value: &[u8]) -> &[u8] {
    while let Some(b'&' | b'!') = value.first() {
        let end = value
            .iter()
            .position(|b| matches!(b, b' ' | b'\t'))
            .unwrap_or(value.len());
        value = value[end..].trim_ascii_start();
    }
    value
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
    fn nesting_counts_block_and_flow_collections() {
        let flow = |n: usize| format!("a:\n  b: {}{}\n", "[".repeat(n), "]".repeat(n));
        // `a`'s mapping, `b`'s mapping, then the flow sequences.
        assert_eq!(nesting_beyond(&flow(126), 128), None);
        assert_eq!(nesting_beyond(&flow(127), 128), Some(2));
        let json = format!("{}1{}", "{\"a\": ".repeat(200), "}".repeat(200));
        assert_eq!(nesting_beyond(&json, 128), Some(1));
        let items = format!("x:\n{}1\n", "- ".repeat(200));
        assert_eq!(nesting_beyond(&items, 128), Some(2));
        let keys: String = (0..200).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        assert_eq!(nesting_beyond(&keys, 128), Some(129));
        // Across lines, with comments and quotes in between.
        let spread = format!("a: [\n{}\n]\n", "[ # [\n  '[', \"]\",\n".repeat(200));
        assert_eq!(nesting_beyond(&spread, 128), Some(254));
        assert_eq!(nesting_beyond(TEXT, 128), None);
    }

    #[test]
    fn brackets_in_text_are_not_nesting() {
        let many = "[".repeat(300);
        for text in [
            format!("a: |\n  {many}\n  more\nb: 1\n"),
            format!("a: >-\n  {many}\n"),
            format!("a: '{many}'\n"),
            format!("a: \"{many}\\\"\"\n"),
            format!("a: \"multi\n  {many}\n  line\"\n"),
            format!("a: 'it''s {many}'\n"),
            format!("a: text {many}\n"),
            format!("a: plain\n  {many}\n"),
            format!("a: 1 # {many}\n"),
            format!("# {many}\n"),
            format!("a: [x, '{many}', \"{many}\", y # {many}\n  ]\n"),
            format!("- &anchor '{many}'\n- !tag \"{many}\"\n"),
            format!("a: [&x '{many}']\n"),
        ] {
            assert_eq!(nesting_beyond(&text, 128), None, "{text}");
        }
    }

    #[test]
    fn nesting_never_panics_on_odd_text() {
        for text in [
            "",
            "-",
            "- -",
            "'",
            "\"\\",
            "a: [\"\\",
            "]]]]}}}",
            "a: &",
            "é: [ü, 'ß']",
            "--- [\n...\n%YAML 1.2",
            "\t- [",
        ] {
            let _ = nesting_beyond(text, 2);
        }
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
