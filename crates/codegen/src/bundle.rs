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
//!
//! A document may come from a stranger (a pull request), so references stay
//! inside: a `$ref` with a scheme (`file:`, `https:`), an absolute path, a
//! backslash or a control character is refused before anything is read,
//! and the loaders keep paths inside their root: [`LocalFiles`] (the build:
//! the crate's folder; the diff: the repository holding the document) reads
//! only regular files below its root, after normalising the path and again
//! after following links, each at most [`MAX_FILE_BYTES`]. A refusal names
//! the `$ref` and its line, never what the target holds.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};

use super::{GenerateError, LineIndex, QUOTED, excerpt, json_pointer};

/// The most bytes one file of the document may have: the root document and
/// each file its `$ref`s lead to (the real document is about 40 KiB).
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Reads a file of the document, given its path relative to the root
/// document's folder (`/`-separated, normalised: `..` segments, if any,
/// come first); `Err` says why not.
pub type Loader<'l> = &'l (dyn Fn(&str) -> Result<String, ReadError> + Sync);

/// Why a file of the document was not read.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReadError {
    /// The path leads outside the folder files may be read from.
    Outside {
        /// That folder, as messages name it (`the repository`).
        root: String,
    },
    /// Not a regular file.
    NotAFile {
        /// What it is instead (`a fifo`, `a directory`).
        kind: &'static str,
    },
    /// Longer than the limit.
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// Not UTF-8 text.
    NotText,
    /// The file could not be read.
    Io(std::io::Error),
    /// Another reason, given by the loader (what git said).
    Other(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Outside { root } => write!(f, "it leads outside {root}"),
            ReadError::NotAFile { kind } => write!(f, "it is {kind}, not a regular file"),
            ReadError::TooLarge { limit } => {
                write!(f, "it is larger than the limit of {limit} bytes")
            }
            ReadError::NotText => f.write_str("it is not utf-8 text"),
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::Other(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// Reads the regular file at `path` as text, refusing what is longer than
/// `limit` bytes: its metadata is checked before it is opened (a fifo, a
/// device or a directory is refused without being opened), what was opened
/// is checked again, and it is read with the bound.
pub fn read_file(path: &Path, limit: u64) -> Result<String, ReadError> {
    let metadata = std::fs::metadata(path)?;
    if !metadata.is_file() {
        return Err(ReadError::NotAFile {
            kind: kind_of(&metadata.file_type()),
        });
    }
    if metadata.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    let file = std::fs::File::open(path)?;
    let opened = file.metadata()?;
    if !opened.is_file() {
        return Err(ReadError::NotAFile {
            kind: kind_of(&opened.file_type()),
        });
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    String::from_utf8(bytes).map_err(|_| ReadError::NotText)
}

/// What a file that is not a regular file is, for messages.
fn kind_of(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "a fifo";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// The files of a document on disk, read only from inside one folder, its
/// root: the repository that holds the document (the diff), or the crate's
/// folder (the build). A path is refused when, normalised, it climbs above
/// the root, or when, with its links followed, it ends outside the root;
/// only regular files of at most [`MAX_FILE_BYTES`] are read.
#[derive(Clone, Debug)]
pub struct LocalFiles {
    /// The root, canonical.
    root: PathBuf,
    /// The root as messages name it (`the repository`).
    root_name: String,
    /// The document's folder below the root, by segments.
    folder: Vec<String>,
}

impl LocalFiles {
    /// Files read from `document_folder` (where the root document is, and
    /// what paths are relative to), never from outside `root`, which
    /// messages call `root_name` (`the repository`). Fails when either
    /// folder cannot be found, or when the document's folder is not inside
    /// the root.
    pub fn new(root: &Path, root_name: &str, document_folder: &Path) -> Result<Self, ReadError> {
        let root = root.canonicalize()?;
        let folder = document_folder.canonicalize()?;
        let outside = || ReadError::Outside {
            root: root_name.to_owned(),
        };
        let below = folder.strip_prefix(&root).map_err(|_| outside())?;
        let folder = below
            .components()
            .map(|c| match c {
                Component::Normal(s) => s.to_str().map(str::to_owned).ok_or(ReadError::NotText),
                _ => Err(outside()),
            })
            .collect::<Result<_, _>>()?;
        Ok(LocalFiles {
            root,
            root_name: root_name.to_owned(),
            folder,
        })
    }

    /// Reads the file at `relative` (`/`-separated, relative to the
    /// document's folder), inside the root only.
    pub fn load(&self, relative: &str) -> Result<String, ReadError> {
        let outside = || ReadError::Outside {
            root: self.root_name.clone(),
        };
        let mut parts: Vec<&str> = self.folder.iter().map(String::as_str).collect();
        for part in relative.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop().ok_or_else(outside)?;
                }
                _ if part.contains('\\') || Path::new(part).components().count() != 1 => {
                    return Err(outside());
                }
                _ => parts.push(part),
            }
        }
        let path = parts
            .iter()
            .fold(self.root.clone(), |path, part| path.join(part));
        // Links are followed: where they end must be inside too.
        let real = path.canonicalize()?;
        if !real.starts_with(&self.root) {
            return Err(outside());
        }
        read_file(&real, MAX_FILE_BYTES)
    }
}

/// Why a `$ref` to another file (its part before `#`) is refused before
/// anything is read, if it is.
fn refused(path: &str) -> Option<&'static str> {
    let scheme = path
        .find(':')
        .map(|at| &path[..at])
        .filter(|s| !s.contains('/'));
    if path.chars().any(char::is_control) {
        Some("its path holds a control character")
    } else if scheme.is_some() {
        Some(
            "it has a scheme (`file:`, `https:`, …); only relative paths to files are followed, and nothing is fetched",
        )
    } else if path.starts_with('/') {
        Some("it is an absolute path; only paths relative to the document are followed")
    } else if path.contains('\\') {
        Some("it holds a backslash; paths are written with `/`")
    } else {
        None
    }
}

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
        let Some((at, target)) = refs.iter().find(|(_, t)| !t.starts_with('#')) else {
            return Ok(Vec::new());
        };
        return Err(error_in(
            file,
            text,
            at,
            format!(
                "$ref `{}` points to another file, and no files can be read here; only local references (`#/...`) are supported",
                excerpt(target, QUOTED)
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
    let Some(document) = rewritten.as_object_mut() else {
        return Ok(Vec::new());
    };
    let components = document
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
            // The document's entry only points to the same-named component
            // of another file (`X: {$ref: 'x.yaml#/components/schemas/X'}`,
            // now a reference to itself): it is that component.
            Some(existing) if refers_to_itself(existing, &kind, &name) => {
                entries.insert(name, value);
            }
            Some(existing) if *existing != value => {
                return Err(GenerateError {
                    file: file.to_owned(),
                    line: LineIndex::new(text).line(&["components", kind.as_str(), name.as_str()]),
                    column: None,
                    place: Some(json_pointer(&["components", kind.as_str(), name.as_str()])),
                    message: format!(
                        "the document and `{}` both define the {} entry `{}`, differently; rename one",
                        excerpt(&from, QUOTED),
                        excerpt(&kind, QUOTED),
                        excerpt(&name, QUOTED)
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

/// Whether `entry`, the component `name` of `kind`, is nothing but a
/// `$ref` to itself (what a reference to another file's component of the
/// same kind and name becomes once bundled).
fn refers_to_itself(entry: &Value, kind: &str, name: &str) -> bool {
    entry.as_object().is_some_and(|m| {
        m.len() == 1
            && m.get("$ref").and_then(Value::as_str)
                == Some(json_pointer(&["components", kind, name]).as_str())
    })
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
        if let Some(why) = refused(path_part) {
            return Err(error_in(
                shown.0,
                shown.1,
                at,
                format!("$ref `{}` is refused: {why}", excerpt(target, QUOTED)),
            ));
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
            self.read(&path, target, at, shown)?;
            let file = &self.files[&path];
            let Some(found) = file.root.pointer(&pointer) else {
                return Err(error_in(
                    shown.0,
                    shown.1,
                    at,
                    format!(
                        "$ref `{}` points to nothing: `{}` has no `#{}`",
                        excerpt(target, QUOTED),
                        excerpt(&path, QUOTED),
                        excerpt(&pointer, QUOTED)
                    ),
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
            if let Some(why) = refused(next_path) {
                return Err(error_in(
                    shown.0,
                    shown.1,
                    at,
                    format!(
                        "$ref `{}` leads to `{}`, which is refused: {why}",
                        excerpt(target, QUOTED),
                        excerpt(next, QUOTED)
                    ),
                ));
            }
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
                    .map(|(p, q)| excerpt(&format!("{p}#{q}"), QUOTED))
                    .collect();
                return Err(error_in(
                    shown.0,
                    shown.1,
                    at,
                    format!(
                        "$ref `{}` starts a cycle of references: {}",
                        excerpt(target, QUOTED),
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
            .unwrap_or(Value::Null);
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
                    "$ref `{}` and `{}` both become the {} entry `{}`, differently; rename one",
                    excerpt(target, QUOTED),
                    excerpt(from, QUOTED),
                    excerpt(&kind, QUOTED),
                    excerpt(&name, QUOTED)
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

    /// Reads and parses `path` once, for the `$ref` `target` at `at`.
    fn read(
        &mut self,
        path: &str,
        target: &str,
        at: &[String],
        shown: (&str, &str),
    ) -> Result<(), GenerateError> {
        if self.files.contains_key(path) {
            return Ok(());
        }
        let text = (self.load)(path).map_err(|why| {
            let mut error = error_in(
                shown.0,
                shown.1,
                at,
                format!(
                    "$ref `{}`: cannot read `{}`: {why}",
                    excerpt(target, QUOTED),
                    excerpt(path, QUOTED)
                ),
            );
            error.source = Some(Box::new(why));
            error
        })?;
        let root: Value = super::yaml::parse(&text).map_err(|e| GenerateError {
            file: self.shown(path),
            line: e.line,
            column: e.column,
            place: None,
            message: e.describe(),
            source: e.source.map(|s| Box::new(s) as _),
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
    fn refs_with_a_scheme_an_absolute_path_a_backslash_or_a_control_are_refused() {
        for path in [
            "file:///etc/passwd",
            "https://example.com/x.yaml",
            "HTTP://x",
            "c:/x.yaml",
            "mailto:x",
            "/etc/passwd",
            "//host/share",
            "a\\b.yaml",
            "a\nb.yaml",
            "a\u{1b}.yaml",
        ] {
            assert!(refused(path).is_some(), "{path}");
        }
        for path in ["", "a.yaml", "../b/c.yaml", "./x:y.yaml", "dir/a:b.yaml"] {
            assert_eq!(refused(path), None, "{path}");
        }
    }

    #[test]
    fn local_files_stay_below_their_root() {
        let dir = std::env::temp_dir().join(format!("invitations-local-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("root/openapi/sub")).unwrap();
        std::fs::write(dir.join("root/shared.yaml"), "a: 1\n").unwrap();
        std::fs::write(dir.join("root/openapi/sub/b.yaml"), "b: 2\n").unwrap();
        std::fs::write(dir.join("outside.yaml"), "secret: 3\n").unwrap();
        let files =
            LocalFiles::new(&dir.join("root"), "the root", &dir.join("root/openapi")).unwrap();
        assert_eq!(files.load("../shared.yaml").unwrap(), "a: 1\n");
        assert_eq!(files.load("sub/b.yaml").unwrap(), "b: 2\n");
        for outside in ["../../outside.yaml", "../..", "sub/../../../outside.yaml"] {
            let error = files.load(outside).unwrap_err();
            assert!(
                matches!(&error, ReadError::Outside { root } if root == "the root"),
                "{outside}: {error}"
            );
            assert_eq!(error.to_string(), "it leads outside the root");
        }
        assert!(matches!(
            files.load("sub"),
            Err(ReadError::NotAFile {
                kind: "a directory"
            })
        ));
        assert!(matches!(files.load("missing.yaml"), Err(ReadError::Io(_))));
        // The document's folder must be inside the root.
        assert!(LocalFiles::new(&dir.join("root/openapi"), "x", &dir.join("root")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn files_are_read_up_to_the_limit() {
        let dir = std::env::temp_dir().join(format!("invitations-limit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("f.yaml");
        std::fs::write(&file, "12345").unwrap();
        assert_eq!(read_file(&file, 5).unwrap(), "12345");
        assert!(matches!(
            read_file(&file, 4),
            Err(ReadError::TooLarge { limit: 4 })
        ));
        std::fs::write(&file, [0xff, 0xfe]).unwrap();
        assert!(matches!(read_file(&file, 5), Err(ReadError::NotText)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_component_that_points_to_its_namesake_in_another_file_is_that_component() {
        let text = "openapi: 3.0.3\ncomponents:\n  schemas:\n    AcmeX:\n      $ref: 'schemas/x.yaml#/components/schemas/AcmeX'\n    AcmeY:\n      $ref: '#/components/schemas/AcmeX'\n";
        let x = "components:\n  schemas:\n    AcmeX:\n      type: string\n";
        let load = |path: &str| -> Result<String, ReadError> {
            assert_eq!(path, "schemas/x.yaml");
            Ok(x.to_owned())
        };
        let mut root = crate::yaml::parse(text).unwrap();
        let files = bundle("openapi/doc.yaml", text, &mut root, Some(&load)).unwrap();
        assert_eq!(files, ["schemas/x.yaml"]);
        assert_eq!(
            root["components"]["schemas"]["AcmeX"],
            serde_json::json!({"type": "string"})
        );
        assert_eq!(
            root["components"]["schemas"]["AcmeY"],
            serde_json::json!({"$ref": "#/components/schemas/AcmeX"})
        );
        // Another definition of the name beside it is still refused.
        let clash = text.replace(
            "      $ref: 'schemas/x.yaml#/components/schemas/AcmeX'\n    AcmeY:\n      $ref: '#/components/schemas/AcmeX'",
            "      type: integer\n    AcmeY:\n      $ref: 'schemas/x.yaml#/components/schemas/AcmeX'",
        );
        let mut root = crate::yaml::parse(&clash).unwrap();
        let e = bundle("openapi/doc.yaml", &clash, &mut root, Some(&load)).unwrap_err();
        assert!(e.message.contains("both define"), "{e}");
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
