//! Comparing two revisions of the OpenAPI document: what
//! changed, what it means for callers of the HTTP API (the wire) and for code
//! written against the generated Rust API, and which semver bump the crate
//! needs.
//!
//! [`compare`] is pure: it takes the two documents' texts and returns a
//! [`Report`]. The `invitations diff` program reads the revisions (files or
//! `git show` revisions), prints the report and sets its exit code.
//!
//! Every change is judged twice, because the two audiences disagree:
//! - **wire**: does a client written against the old document still talk to
//!   a server that follows the new one? Direction matters: a new required
//!   property breaks requests but is harmless in responses.
//! - **rust**: does code written against the crate generated from the old
//!   document still compile, and does a call that worked still work? The
//!   generated structs have public fields and the generated enums are
//!   exhaustive, so adding a field breaks struct literals, and adding an enum
//!   value breaks exhaustive `match`es, even where the wire does not care.
//!
//! The crate's semver bump follows the Rust judgement: a Rust-breaking change
//! needs `major`, an addition to the Rust API `minor`, any other change to
//! the document `patch`, identical documents `none`.
//!
//! This file holds the public types of a report and [`compare`]. The rest:
//! - `revision`: reading one revision (its operations, `$ref`s, request and
//!   response bodies, parameters);
//! - [`rules`]: the registry of the kinds of change ([`Rule`]), one per id;
//! - `wire`: the comparison of the documents, one file per family of rules;
//! - `generated`: both revisions generated (what the changes touch) and
//!   their public Rust APIs compared, read from the code by `surface` (with
//!   `syntax` for signatures and attributes);
//! - `link`: each Rust difference given to the document changes that explain
//!   it, the rest reported as `rust-api-changed`;
//! - [`render`]: the text, markdown and JSON forms of a [`Report`].

use std::fmt;

use serde::Serialize;

use crate::codegen::GenerateError;

mod generated;
pub mod ignore;
mod link;
pub mod render;
pub(crate) mod revision;
pub mod rules;
mod surface;
mod syntax;
pub(crate) mod wire;

pub use rules::Rule;

use revision::Revision;

/// How serious a change is for one audience.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Nothing that worked stops working.
    Info,
    /// Still compiles and still talks, but behaves differently.
    Warning,
    /// Something that worked stops working (or compiling).
    Breaking,
}

impl Level {
    /// `info`, `warning` or `breaking`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Breaking => "breaking",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The semver bump the crate needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    /// The documents are the same.
    None,
    /// The document changed; the Rust API did not.
    Patch,
    /// The Rust API gained something; nothing was lost.
    Minor,
    /// Code written against the old crate may no longer compile or work.
    Major,
}

impl Bump {
    /// `none`, `patch`, `minor` or `major`.
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

impl fmt::Display for Bump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a change means for one audience.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Impact {
    /// How serious it is.
    pub level: Level,
    /// Why, in one lowercase sentence.
    pub note: String,
}

/// Which document a change's location and line refer to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The old revision (the place is gone from the new one).
    Old,
    /// The new revision.
    New,
    /// `invitations drift`: our document (what only it has).
    Ours,
    /// `invitations drift`: the vendor's definition.
    Vendor,
}

impl Side {
    /// Whether the place is in the first of the two documents a report
    /// compares (the old revision, or our document), not the second.
    pub fn is_first(self) -> bool {
        matches!(self, Side::Old | Side::Ours)
    }
}

/// One change between the two revisions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Stable kebab-case identifier of the kind of change, such as
    /// `request-property-became-required`.
    pub id: String,
    /// The more serious of [`Change::wire`] and [`Change::rust`].
    pub level: Level,
    /// The vendor (Rust module) it touches, if it touches one.
    pub vendor: Option<String>,
    /// The first operation (`operationId`) it touches, if any.
    pub operation: Option<String>,
    /// Every operation it touches, in document order (a shared schema is
    /// reported once, with all the operations that reach it).
    pub operations: Vec<String>,
    /// JSON pointer of the place in the document ([`Change::side`] says which).
    pub location: String,
    /// 1-based line of that place, when it can be found.
    pub line: Option<usize>,
    /// Whether `location` and `line` are in the new or the old document.
    pub side: Side,
    /// What changed, in one lowercase line.
    pub message: String,
    /// What it means for callers of the HTTP API.
    pub wire: Impact,
    /// What it means for code written against the generated Rust API
    /// (`invitations diff`; `None` in `invitations drift`, which compares
    /// no generated code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rust: Option<Impact>,
    /// The bump this change alone needs (`invitations diff` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semver: Option<Bump>,
    /// Why it is accepted, when an ignore file ([`ignore`]) accepts it: it
    /// no longer counts for `--fail-on`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<String>,
}

impl Change {
    fn add_operation(&mut self, operation: &String) {
        if !self.operations.contains(operation) {
            self.operations.push(operation.clone());
        }
    }
}

/// The result of comparing two revisions (or, from `invitations drift`,
/// our document with the vendor's definition).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The bump the crate needs: the largest of the changes' bumps
    /// (`invitations diff` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semver: Option<Bump>,
    /// The changes, most serious first.
    pub changes: Vec<Change>,
    /// Entries of the ignore file that match no change ([`ignore::apply`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmatched_ignores: Vec<ignore::Accepted>,
}

impl Report {
    /// Whether the report should fail a CI check at `threshold`: a change
    /// at or above it that no ignore entry accepts. An ignore entry that
    /// matches nothing does not count here: once the change it accepted is
    /// merged, it no longer shows between the base branch and the next pull
    /// request (see [`Report::unmatched_ignores`] and `--fail-on-unmatched`).
    pub fn fails_at(&self, threshold: Level) -> bool {
        self.changes
            .iter()
            .any(|c| c.level >= threshold && c.ignored.is_none())
    }
}

/// Compares two revisions of the document.
///
/// `old_name` and `new_name` only name the documents in errors. Fails when
/// either is not a document the crate can generate from (not YAML, not
/// OpenAPI 3.0, a dangling `$ref`, an operation without a vendor tag, ...).
pub fn compare(
    old_name: &str,
    old_text: &str,
    new_name: &str,
    new_text: &str,
) -> Result<Report, GenerateError> {
    compare_with((old_name, old_text, None), (new_name, new_text, None))
}

/// One revision to compare: its name (for errors), its text, and how to read
/// the other files it refers to, if it may refer to any.
pub type Source<'s> = (&'s str, &'s str, Option<crate::codegen::Loader<'s>>);

/// [`compare`] for documents that may refer to other files: each revision's
/// files are read with its own loader (the diff reads a git revision's
/// files from that revision).
pub fn compare_with(old: Source<'_>, new: Source<'_>) -> Result<Report, GenerateError> {
    let ((old_name, old_text, old_load), (new_name, new_text, new_load)) = (old, new);
    // Both revisions are read (parsed and checked) at once.
    let (old, new) = std::thread::scope(|scope| {
        let old = scope.spawn(|| Revision::read(old_name, old_text, old_load));
        let new = Revision::read(new_name, new_text, new_load);
        (old.join(), new)
    });
    let old = old.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    let new = new?;
    if old.doc.root == new.doc.root {
        return Ok(Report {
            semver: Some(Bump::None),
            changes: Vec::new(),
            unmatched_ignores: Vec::new(),
        });
    }
    // What openapiv3 refuses, in what differs (the rest is in both).
    let (old_checked, new_checked) = std::thread::scope(|scope| {
        let old_checked = scope.spawn(|| {
            old.doc
                .check_openapi(&revision::differing_parts(&old, &new))
        });
        let new_checked = new
            .doc
            .check_openapi(&revision::differing_parts(&new, &old));
        (old_checked.join(), new_checked)
    });
    old_checked.unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
    new_checked?;
    // The document comparison and the generation of both revisions (itself
    // on two threads) run side by side.
    let (wire, rust) = std::thread::scope(|scope| {
        let wire = scope.spawn(|| wire::changes(&old, &new));
        let rust = generated::compare(&old, &new);
        (wire.join(), rust)
    });
    let wire = wire.map_err(|_| {
        new.doc
            .error_at(&[], "the document", "comparing the documents failed")
    })?;
    let rust = rust?;
    let mut changes = link::link(wire, &rust, &old, &new);
    if changes.is_empty() {
        // Located at the first place that differs.
        let at = first_difference(&old.doc.root, &new.doc.root);
        changes.push(Change {
            id: Rule::DocumentChanged.id().to_owned(),
            level: Level::Info,
            vendor: None,
            operation: None,
            operations: Vec::new(),
            location: crate::codegen::json_pointer(&at),
            line: new.line(&at),
            side: Side::New,
            message: "the documents differ only in parts that do not change the api (descriptions, examples, info)".to_owned(),
            wire: impact(Level::Info, "requests and responses are unchanged"),
            rust: Some(impact(
                Level::Info,
                "the generated api is unchanged; its documentation may differ",
            )),
            semver: Some(Bump::Patch),
            ignored: None,
        });
    }
    sort(&mut changes);
    let semver = changes
        .iter()
        .filter_map(|c| c.semver)
        .max()
        .unwrap_or(Bump::None);
    Ok(Report {
        semver: Some(semver),
        changes,
        unmatched_ignores: Vec::new(),
    })
}

/// The place (JSON pointer segments) of the first difference between two
/// documents, in the new one's key order: where a value differs, or the
/// object or array that gained or lost an entry. Empty when they are equal.
fn first_difference(old: &serde_json::Value, new: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    let mut at = Vec::new();
    let (mut old, mut new) = (old, new);
    loop {
        let next = match (old, new) {
            (Value::Object(o), Value::Object(n)) => n
                .iter()
                .find(|(k, v)| o.get(*k) != Some(*v))
                .and_then(|(k, v)| Some((k.clone(), o.get(k)?, v))),
            (Value::Array(o), Value::Array(n)) if o.len() == n.len() => o
                .iter()
                .zip(n)
                .enumerate()
                .find(|(_, (a, b))| a != b)
                .map(|(i, (a, b))| (i.to_string(), a, b)),
            _ => None,
        };
        match next {
            Some((key, o, n)) => {
                at.push(key);
                (old, new) = (o, n);
            }
            None => {
                // A key of the new document absent from the old one.
                if let (Value::Object(o), Value::Object(n)) = (old, new)
                    && let Some(key) = n.keys().find(|k| !o.contains_key(*k))
                {
                    at.push(key.clone());
                }
                return at;
            }
        }
    }
}

/// The order of a report: most serious first, then by vendor, place, id
/// and message.
pub(crate) fn sort(changes: &mut [Change]) {
    changes.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then_with(|| a.vendor.cmp(&b.vendor))
            .then_with(|| a.location.cmp(&b.location))
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.message.cmp(&b.message))
    });
}

pub(crate) fn impact(level: Level, note: impl Into<String>) -> Impact {
    Impact {
        level,
        note: note.into(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::first_difference;

    #[test]
    fn the_first_difference_is_the_deepest_place_that_differs() {
        let old = json!({"info": {"title": "a", "version": "1"}, "paths": {}});
        let new = json!({"info": {"title": "a", "version": "2"}, "paths": {}});
        assert_eq!(first_difference(&old, &new), ["info", "version"]);
        let added = json!({"info": {"title": "a", "version": "1", "summary": "s"}, "paths": {}});
        assert_eq!(first_difference(&old, &added), ["info", "summary"]);
        let items = json!({"tags": [{"name": "a"}, {"name": "b"}]});
        let other = json!({"tags": [{"name": "a"}, {"name": "c"}]});
        assert_eq!(first_difference(&items, &other), ["tags", "1", "name"]);
        assert!(first_difference(&old, &old).is_empty());
    }
}
