//! Documents split over several files: relative `$ref`s to other files
//! (`schemas.yaml#/Thing`, `common/errors.yaml#/components/schemas/Error`)
//! are followed and their targets copied into the document's own
//! `components`, so that everything after this step sees one document with
//! local references only.
//!
//! A target under `#/components/<kind>/<Name>` of its file keeps its kind and
//! name; any other target becomes a component of the kind its place of use
//! asks for (a parameter, a response, a request body, else a schema), named
//! after the last segment of its pointer (or its file). Local references
//! inside another file refer to that file. Files are read through a loader
//! given paths relative to the root document's folder, so the build reads
//! them from disk and the diff from a git revision. A missing file, a
//! pointer to nothing, two different components with one name, and a chain
//! of references that leads back to itself are errors naming the file and
//! the line of the `$ref`.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::{GenerateError, LineIndex, json_pointer};

/// Reads a file of the document, given its path relative to the root
/// document's folder (`/`-separated, normalised); `Err` says why not.
pub type Loader<'l> = &'l (dyn Fn(&str) -> Result<String, String> + Sync);

/// A file read while bundling: its path and text, and the parsed value.
struct File {
    text: String,
    root: Value,
}

struct Bundler<'l> {
    load: Loader<'l>,
    /// The root document's folder as it names files in errors (`openapi`).
    root_dir: String,
    /// Other files, by path relative to the root's folder.
    files: BTreeMap<String, File>,
    /// (file, pointer) → the local reference it became.
    done: HashMap<(String, String), String>,
    /// Components added, by (kind, name), with where they came from.
    added: BTreeMap<(String, String), (Value, String)>,
}

/// Bundles `root` (the parsed text of `file`) in place and returns the
/// paths of the other files it read. Without a loader, a reference to
/// another file is an error.
pub(super) fn bundle(
    file: &str,
    text: &str,
    root: &mut Value,
    load: Option<Loader<'_>>,
) -> Result<Vec<String>, GenerateError> {
    if super::ref_targets(root).iter().all(|t| t.starts_with('#')) {
        return Ok(Vec::new());
    }
    let refs = super::collect_refs(root);
    let Some(load) = load else {
        let (at, target) = refs
            .iter()
            .find(|(_, t)| !t.starts_with('#'))
            .expect("one is not local");
        return Err(error_in(
            file,
            text,
            at,
            format!(
                "$ref `{target}` points to another file, and no files can be read here; only local references (`#/...`) are supported"
            ),
        ));
    };
    let mut bundler = Bundler {
        load,
        root_dir: file.rsplit_once('/').map_or("", |(dir, _)| dir).to_owned(),
        files: BTreeMap::new(),
        done: HashMap::new(),
        added: BTreeMap::new(),
    };
    let mut rewritten = root.clone();
    bundler.walk(&mut rewritten, &mut Vec::new(), "", (file, text))?;
    let components = rewritten
        .as_object_mut()
        .expect("an openapi document is a mapping")
        .entry("components")
        .or_insert_with(|| Value::Object(Map::new()));
    for ((kind, name), (value, from)) in std::mem::take(&mut bundler.added) {
        let Some(kinds) = components.as_object_mut() else {
            break;
        };
        let entries = kinds
            .entry(kind.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(entries) = entries.as_object_mut() else {
            continue;
        };
        match entries.get(&name) {
            Some(existing) if *existing != value => {
                return Err(GenerateError {
                    file: file.to_owned(),
                    line: LineIndex::new(text).line(&["components", kind.as_str(), name.as_str()]),
                    column: None,
                    place: Some(json_pointer(&["components", kind.as_str(), name.as_str()])),
                    message: format!(
                        "the document and `{from}` both define the {kind} entry `{name}`, differently; rename one"
                    ),
                    source: None,
                });
            }
            Some(_) => {}
            None => {
                entries.insert(name, value);
            }
        }
    }
    *root = rewritten;
    Ok(bundler.files.into_keys().collect())
}

/// An error at the `$ref` at `at` in a file's text.
fn error_in(file: &str, text: &str, at: &[String], message: String) -> GenerateError {
    let mut segments: Vec<&str> = at.iter().map(String::as_str).collect();
    segments.push("$ref");
    GenerateError {
        file: file.to_owned(),
        line: LineIndex::new(text).line(&segments),
        column: None,
        place: Some(json_pointer(at)),
        message,
        source: None,
    }
}

/// The path of `relative` (`b/../c.yaml`), written in the file `from`, as
/// both are relative to the same folder, normalised; `..` may leave that
/// folder.
pub fn resolve_path(from: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop(); // the file itself
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    parts.join("/")
}

impl Bundler<'_> {
    /// Rewrites every reference under `value` (found at `at` in the file
    /// `in_file`, `""` for the root, whose name and text are `shown`).
    fn walk(
        &mut self,
        value: &mut Value,
        at: &mut Vec<String>,
        in_file: &str,
        shown: (&str, &str),
    ) -> Result<(), GenerateError> {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    let target = target.clone();
                    if let Some(local) = self.reference(&target, at, in_file, shown)? {
                        map.insert("$ref".to_owned(), Value::String(local));
                    }
                    return Ok(());
                }
                for (key, child) in map.iter_mut() {
                    // Example values are data, not document structure.
                    if key == "value" && at.len() >= 2 && at[at.len() - 2] == "examples" {
                        continue;
                    }
                    at.push(key.clone());
                    self.walk(child, at, in_file, shown)?;
                    at.pop();
                }
                Ok(())
            }
            Value::Array(items) => {
                for (i, child) in items.iter_mut().enumerate() {
                    at.push(i.to_string());
                    self.walk(child, at, in_file, shown)?;
                    at.pop();
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The local reference `target` (written at `at` in `in_file`) becomes,
    /// bundling what it points to; `None` for a local reference of the root.
    fn reference(
        &mut self,
        target: &str,
        at: &[String],
        in_file: &str,
        shown: (&str, &str),
    ) -> Result<Option<String>, GenerateError> {
        let (path_part, pointer) = target.split_once('#').unwrap_or((target, ""));
        if path_part.is_empty() && in_file.is_empty() {
            return Ok(None);
        }
        // Paths are relative to the root's folder; the root is `root` there.
        let from = if in_file.is_empty() { "root" } else { in_file };
        let path = if path_part.is_empty() {
            in_file.to_owned()
        } else {
            resolve_path(from, path_part)
        };
        // Follow a chain of references to what they finally point to.
        let mut seen = vec![(path.clone(), pointer.to_owned())];
        let (mut path, mut pointer) = (path, pointer.to_owned());
        loop {
            if let Some(local) = self.done.get(&(path.clone(), pointer.clone())) {
                return Ok(Some(local.clone()));
            }
            self.read(&path, at, shown)?;
            let file = &self.files[&path];
            let Some(found) = file.root.pointer(&pointer) else {
                return Err(error_in(
                    shown.0,
                    shown.1,
                    at,
                    format!("$ref `{target}` points to nothing: `{path}` has no `#{pointer}`"),
                ));
            };
            let Some(next) = found
                .as_object()
                .filter(|m| m.len() == 1)
                .and_then(|m| m.get("$ref"))
                .and_then(Value::as_str)
            else {
                break;
            };
            let (next_path, next_pointer) = next.split_once('#').unwrap_or((next, ""));
            let next_path = if next_path.is_empty() {
                path.clone()
            } else {
                resolve_path(&path, next_path)
            };
            let step = (next_path.clone(), next_pointer.to_owned());
            if seen.contains(&step) {
                let chain: Vec<String> = seen
                    .iter()
                    .chain([&step])
                    .map(|(p, q)| format!("{p}#{q}"))
                    .collect();
                return Err(error_in(
                    shown.0,
                    shown.1,
                    at,
                    format!(
                        "$ref `{target}` starts a cycle of references: {}",
                        chain.join(" → ")
                    ),
                ));
            }
            seen.push(step);
            (path, pointer) = (next_path, next_pointer.to_owned());
        }
        let (kind, name) = place_for(&pointer, &path, at);
        let local = format!("#/components/{kind}/{name}");
        for key in &seen {
            self.done.insert(key.clone(), local.clone());
        }
        let mut value = self.files[&path]
            .root
            .pointer(&pointer)
            .cloned()
            .expect("found above");
        let text = self.files[&path].text.clone();
        let shown_path = self.shown(&path);
        let segments: Vec<String> = pointer
            .split('/')
            .skip(1)
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        self.walk(
            &mut value,
            &mut segments.clone(),
            &path,
            (&shown_path, &text),
        )?;
        if let Some((existing, from)) = self.added.get(&(kind.clone(), name.clone()))
            && *existing != value
        {
            return Err(error_in(
                shown.0,
                shown.1,
                at,
                format!(
                    "$ref `{target}` and `{from}` both become the {kind} entry `{name}`, differently; rename one"
                ),
            ));
        }
        self.added
            .insert((kind, name), (value, format!("{path}#{pointer}")));
        Ok(Some(local))
    }

    /// A file's name in errors: its path from the crate (`openapi/x.yaml`).
    fn shown(&self, path: &str) -> String {
        if self.root_dir.is_empty() {
            path.to_owned()
        } else {
            format!("{}/{path}", self.root_dir)
        }
    }

    /// Reads and parses `path` once.
    fn read(
        &mut self,
        path: &str,
        at: &[String],
        shown: (&str, &str),
    ) -> Result<(), GenerateError> {
        if self.files.contains_key(path) {
            return Ok(());
        }
        let text = (self.load)(path).map_err(|why| {
            error_in(shown.0, shown.1, at, format!("cannot read `{path}`: {why}"))
        })?;
        let root: Value = super::yaml::parse(&text).map_err(|e| GenerateError {
            file: self.shown(path),
            line: e.line,
            column: e.column,
            place: None,
            message: format!("not valid yaml: {}", e.message),
            source: Some(Box::new(e.source)),
        })?;
        self.files.insert(path.to_owned(), File { text, root });
        Ok(())
    }
}

/// The kind and name a bundled target gets: its own under `/components/`,
/// else the kind its place of use (`at`) asks for, named after the pointer's
/// last segment (or the file's name).
fn place_for(pointer: &str, path: &str, at: &[String]) -> (String, String) {
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    if let ["components", kind, name] = segments.as_slice() {
        return ((*kind).to_owned(), (*name).to_owned());
    }
    let kind = match at {
        [.., list, index] if list == "parameters" && index.parse::<usize>().is_ok() => "parameters",
        [.., responses, _code] if responses == "responses" => "responses",
        [.., last] if last == "requestBody" => "requestBodies",
        [.., headers, _name] if headers == "headers" => "headers",
        _ => "schemas",
    };
    let name = match segments.last() {
        Some(last) if !last.is_empty() => last.replace("~1", "/").replace("~0", "~"),
        _ => path
            .rsplit('/')
            .next()
            .unwrap_or(path)
            .split('.')
            .next()
            .unwrap_or(path)
            .to_owned(),
    };
    (kind.to_owned(), name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_referring_file() {
        assert_eq!(resolve_path("root", "schemas.yaml"), "schemas.yaml");
        assert_eq!(resolve_path("common/a.yaml", "b.yaml"), "common/b.yaml");
        assert_eq!(resolve_path("common/a.yaml", "../c.yaml"), "c.yaml");
        assert_eq!(resolve_path("root", "./x/../y.yaml"), "y.yaml");
    }

    #[test]
    fn targets_keep_their_component_names_or_take_their_place_of_use() {
        let at = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            place_for("/components/schemas/Thing", "s.yaml", &at(&["paths"])),
            ("schemas".to_owned(), "Thing".to_owned())
        );
        assert_eq!(
            place_for(
                "/Limit",
                "p.yaml",
                &at(&["paths", "/x", "get", "parameters", "0"])
            ),
            ("parameters".to_owned(), "Limit".to_owned())
        );
        assert_eq!(
            place_for(
                "",
                "common/error.yaml",
                &at(&["components", "schemas", "A", "properties", "e"])
            ),
            ("schemas".to_owned(), "error".to_owned())
        );
    }
}
