//! Comparing two revisions of the OpenAPI document (feature `cli`): what
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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::codegen::{self, Document, GenerateError};

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

/// Which revision a change's location and line refer to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The old document (the place is gone from the new one).
    Old,
    /// The new document.
    New,
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
    /// What it means for code written against the generated Rust API.
    pub rust: Impact,
    /// The bump this change alone needs.
    pub semver: Bump,
}

impl Change {
    fn add_operation(&mut self, operation: &String) {
        if !self.operations.contains(operation) {
            self.operations.push(operation.clone());
        }
    }
}

/// The result of comparing two revisions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The bump the crate needs: the largest of the changes' bumps.
    pub semver: Bump,
    /// The changes, most serious first.
    pub changes: Vec<Change>,
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
    let old = Revision::read(old_name, old_text)?;
    let new = Revision::read(new_name, new_text)?;
    let mut diff = Diff {
        old: &old,
        new: &new,
        changes: BTreeMap::new(),
    };
    diff.servers();
    diff.operations();
    let mut changes: Vec<Change> = diff.changes.into_values().collect();
    if changes.is_empty() && old.doc.root != new.doc.root {
        changes.push(Change {
            id: "document-changed".to_owned(),
            level: Level::Info,
            vendor: None,
            operation: None,
            operations: Vec::new(),
            location: "#".to_owned(),
            line: None,
            side: Side::New,
            message: "the documents differ only in parts that do not change the api (descriptions, examples, info)".to_owned(),
            wire: impact(Level::Info, "requests and responses are unchanged"),
            rust: impact(
                Level::Info,
                "the generated api is unchanged; its documentation may differ",
            ),
            semver: Bump::Patch,
        });
    }
    changes.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then_with(|| a.vendor.cmp(&b.vendor))
            .then_with(|| a.location.cmp(&b.location))
            .then_with(|| a.id.cmp(&b.id))
            .then_with(|| a.message.cmp(&b.message))
    });
    let semver = changes.iter().map(|c| c.semver).max().unwrap_or(Bump::None);
    Ok(Report { semver, changes })
}

fn impact(level: Level, note: impl Into<String>) -> Impact {
    Impact {
        level,
        note: note.into(),
    }
}

/// One parsed revision with its operations indexed.
struct Revision<'a> {
    text: &'a str,
    doc: Document<'a>,
    operations: Vec<Operation>,
}

/// An operation of a revision, with what the comparison needs.
struct Operation {
    id: String,
    vendor: String,
    path: String,
    method: String,
    /// The path with its parameter names blanked: `/a/{}/b`.
    shape: String,
}

impl<'a> Revision<'a> {
    fn read(name: &'a str, text: &'a str) -> Result<Self, GenerateError> {
        let doc = Document::parse(name, text)?;
        doc.check_response_types()?;
        let vendors = doc.vendors()?;
        let mut operations = Vec::new();
        for op in doc.operations() {
            let vendor = doc.vendor_of(&op, &vendors)?.name.clone();
            let id = doc.operation_id(&op)?;
            operations.push(Operation {
                id: id.to_owned(),
                vendor,
                shape: path_shape(&op.path),
                path: op.path,
                method: op.method,
            });
        }
        Ok(Revision {
            text,
            doc,
            operations,
        })
    }

    fn root(&self) -> &Value {
        &self.doc.root
    }

    /// The operation object.
    fn op(&self, op: &Operation) -> &Value {
        &self.doc.root["paths"][&op.path][&op.method]
    }

    /// The path item holding the operation.
    fn path_item(&self, op: &Operation) -> &Value {
        &self.doc.root["paths"][&op.path]
    }

    /// The request body of the operation at `at`, resolved, with where it
    /// is written.
    fn request_body(&self, at: &[String]) -> Option<(&Value, Vec<String>)> {
        let at = seg(at, &["requestBody"]);
        let raw = self.root().pointer(&json_pointer(&at))?;
        let (_, body, body_at) = self.resolve(raw, at);
        Some((body, body_at))
    }

    /// The JSON schema of the operation's first success (or error) response
    /// with a JSON body: the one type progenitor decodes such responses into.
    fn response_body(&self, at: &[String], success: bool) -> Option<(&Value, Vec<String>)> {
        let responses = self
            .root()
            .pointer(&json_pointer(&seg(at, &["responses"])))?
            .as_object()?;
        responses.iter().find_map(|(code, response)| {
            if is_success(code) != success {
                return None;
            }
            let (_, response, response_at) = self.resolve(response, seg(at, &["responses", code]));
            let schema = response.pointer("/content/application~1json/schema")?;
            Some((
                schema,
                seg(&response_at, &["content", "application/json", "schema"]),
            ))
        })
    }

    fn line(&self, segments: &[String]) -> Option<usize> {
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        codegen::locate(self.text, &self.doc.root, &segments)
    }

    /// Follows `$ref`s: the schema's component name (if it is a reference),
    /// the schema itself and where it sits.
    fn resolve<'v>(
        &'v self,
        value: &'v Value,
        at: Vec<String>,
    ) -> (Option<String>, &'v Value, Vec<String>) {
        let mut name = None;
        let mut value = value;
        let mut at = at;
        for _ in 0..16 {
            let Some(target) = value.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let Some(found) = self.root().pointer(target.trim_start_matches('#')) else {
                break;
            };
            at = target
                .trim_start_matches("#/")
                .split('/')
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect();
            name = at.last().cloned();
            value = found;
        }
        (name, value, at)
    }
}

/// `/accounts/{accountId}/x` → `/accounts/{}/x`: two paths that differ only
/// in parameter names are the same endpoint.
fn path_shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

fn seg(base: &[String], more: &[&str]) -> Vec<String> {
    base.iter()
        .cloned()
        .chain(more.iter().map(|s| (*s).to_owned()))
        .collect()
}

/// Request or response: which way a schema travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Direction {
    Request,
    Response,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Response => "response",
        }
    }
}

/// The vendor and operation a change touches.
#[derive(Clone)]
struct Context {
    vendor: String,
    operation: Option<String>,
}

/// Where a schema is used, which names the changes found in it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Site<'s> {
    /// A request or success response body.
    Body,
    /// The error response body.
    ErrorBody,
    /// A property; `required` on each side.
    Property {
        name: &'s str,
        required: (bool, bool),
    },
    /// A parameter.
    Parameter { name: &'s str },
}

/// Places: the old and new JSON pointer segments of what is compared.
#[derive(Clone)]
struct At {
    old: Vec<String>,
    new: Vec<String>,
}

impl At {
    fn join(&self, more: &[&str]) -> At {
        At {
            old: seg(&self.old, more),
            new: seg(&self.new, more),
        }
    }
}

/// Where a change is reported: the place in the new document, or in the old
/// one when it is gone from the new.
enum Place<'p> {
    New(&'p [String]),
    Old(&'p [String]),
}

struct Diff<'r, 'a> {
    old: &'r Revision<'a>,
    new: &'r Revision<'a>,
    /// Changes by (id, location, message), so that a schema reached by many
    /// operations is reported once.
    changes: BTreeMap<(String, String, String), Change>,
}

/// The three judgements of a change.
struct Verdict {
    wire: Impact,
    rust: Impact,
    semver: Bump,
}

fn verdict(wire: (Level, &str), rust: (Level, &str), semver: Bump) -> Verdict {
    Verdict {
        wire: impact(wire.0, wire.1),
        rust: impact(rust.0, rust.1),
        // A change that breaks Rust code always needs a major bump.
        semver: if rust.0 == Level::Breaking {
            Bump::Major
        } else {
            semver
        },
    }
}

use Level::{Breaking, Info, Warning};

impl Diff<'_, '_> {
    /// Records a change once per (id, location, message), adding the
    /// context's operation to it, and returns it.
    fn record(
        &mut self,
        ctx: Option<&Context>,
        id: impl Into<String>,
        place: Place<'_>,
        message: impl Into<String>,
        verdict: Verdict,
    ) -> &mut Change {
        let (side, segments) = match place {
            Place::New(s) => (Side::New, s),
            Place::Old(s) => (Side::Old, s),
        };
        let revision = match side {
            Side::New => self.new,
            Side::Old => self.old,
        };
        let id = id.into();
        let location = codegen::json_pointer(segments);
        let message = message.into();
        let key = (id.clone(), location.clone(), message.clone());
        let change = self.changes.entry(key).or_insert_with(|| Change {
            level: verdict.wire.level.max(verdict.rust.level),
            id,
            vendor: ctx.map(|c| c.vendor.clone()),
            operation: ctx.and_then(|c| c.operation.clone()),
            operations: Vec::new(),
            line: revision.line(segments),
            location,
            side,
            message,
            wire: verdict.wire,
            rust: verdict.rust,
            semver: verdict.semver,
        });
        if let Some(operation) = ctx.and_then(|c| c.operation.as_ref()) {
            change.add_operation(operation);
        }
        change
    }

    /// Records a change ([`Diff::record`] without the result).
    fn emit(
        &mut self,
        ctx: Option<&Context>,
        id: impl Into<String>,
        place: Place<'_>,
        message: impl Into<String>,
        verdict: Verdict,
    ) {
        self.record(ctx, id, place, message, verdict);
    }

    /// Servers: one per vendor.
    fn servers(&mut self) {
        let index = |r: &Revision<'_>| -> BTreeMap<String, (usize, String)> {
            let servers = r.root().get("servers").and_then(Value::as_array);
            servers
                .into_iter()
                .flatten()
                .enumerate()
                .filter_map(|(i, s)| {
                    let vendor = s.get("x-vendor")?.as_str()?.to_owned();
                    let url = s.get("url")?.as_str()?.to_owned();
                    Some((vendor, (i, url)))
                })
                .collect()
        };
        let (old, new) = (index(self.old), index(self.new));
        let scope = |vendor: &String| Context {
            vendor: vendor.clone(),
            operation: None,
        };
        for (vendor, (i, url)) in &old {
            let at = vec!["servers".to_owned(), i.to_string()];
            match new.get(vendor) {
                None => self.emit(
                    Some(&scope(vendor)),
                    "vendor-removed",
                    Place::Old(&at),
                    format!("vendor `{vendor}` ({url}) was removed"),
                    verdict(
                        (Breaking, "its server is gone from the document"),
                        (
                            Breaking,
                            &format!("the module `invitations::{vendor}` is gone"),
                        ),
                        Bump::Major,
                    ),
                ),
                Some((j, new_url)) if new_url != url => {
                    let at = vec!["servers".to_owned(), j.to_string(), "url".to_owned()];
                    self.emit(
                        Some(&scope(vendor)),
                        "server-url-changed",
                        Place::New(&at),
                        format!("the `{vendor}` server moved from {url} to {new_url}"),
                        verdict(
                            (Warning, "callers must send requests to the new url"),
                            (
                                Warning,
                                &format!("`{vendor}::DEFAULT_BASE_URL` changes: clients built without `base_url` call the new server"),
                            ),
                            Bump::Patch,
                        ),
                    );
                }
                Some(_) => {}
            }
        }
        for (vendor, (i, url)) in &new {
            if !old.contains_key(vendor) {
                let at = vec!["servers".to_owned(), i.to_string()];
                self.emit(
                    Some(&scope(vendor)),
                    "vendor-added",
                    Place::New(&at),
                    format!("vendor `{vendor}` ({url}) was added"),
                    verdict(
                        (Info, "a new api to call"),
                        (Info, &format!("a new module `invitations::{vendor}`")),
                        Bump::Minor,
                    ),
                );
            }
        }
    }

    /// Matches the operations of the two revisions and compares each pair.
    fn operations(&mut self) {
        let old_ops = &self.old.operations;
        let new_ops = &self.new.operations;
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        let mut old_done = BTreeSet::new();
        let mut new_done = BTreeSet::new();
        // Same method and path (parameter names aside) first, then the same
        // operationId at another path or method.
        for (i, o) in old_ops.iter().enumerate() {
            if let Some(j) = new_ops
                .iter()
                .position(|n| n.method == o.method && n.shape == o.shape)
            {
                pairs.push((i, j));
                old_done.insert(i);
                new_done.insert(j);
            }
        }
        for (i, o) in old_ops.iter().enumerate() {
            if old_done.contains(&i) {
                continue;
            }
            if let Some(j) =
                (0..new_ops.len()).find(|j| !new_done.contains(j) && new_ops[*j].id == o.id)
            {
                pairs.push((i, j));
                old_done.insert(i);
                new_done.insert(j);
            }
        }
        // Whole paths added or removed, else single operations.
        let removed: Vec<usize> = (0..old_ops.len())
            .filter(|i| !old_done.contains(i))
            .collect();
        let added: Vec<usize> = (0..new_ops.len())
            .filter(|j| !new_done.contains(j))
            .collect();
        self.unmatched(&removed, Side::Old);
        self.unmatched(&added, Side::New);
        for (i, j) in pairs {
            self.operation(&old_ops[i], &new_ops[j]);
        }
    }

    /// Operations with no counterpart: grouped by path when the whole path
    /// is new (or gone), one by one otherwise.
    fn unmatched(&mut self, indices: &[usize], side: Side) {
        let (this, other) = match side {
            Side::Old => (self.old, self.new),
            Side::New => (self.new, self.old),
        };
        let mut by_path: BTreeMap<&str, Vec<&Operation>> = BTreeMap::new();
        for &i in indices {
            let op = &this.operations[i];
            by_path.entry(op.path.as_str()).or_default().push(op);
        }
        for (path, ops) in by_path {
            let shape = path_shape(path);
            let path_is_new = !other.operations.iter().any(|o| o.shape == shape)
                && this.operations.iter().filter(|o| o.path == path).count() == ops.len();
            let at = vec!["paths".to_owned(), path.to_owned()];
            let ids: Vec<String> = ops.iter().map(|o| o.id.clone()).collect();
            let vendor = ops[0].vendor.clone();
            if path_is_new {
                let ctx = Context {
                    vendor,
                    operation: Some(ids[0].clone()),
                };
                let methods: Vec<String> = ops
                    .iter()
                    .map(|o| format!("{} ({})", o.method.to_uppercase(), o.id))
                    .collect();
                let (id, message, v) = match side {
                    Side::New => (
                        "path-added",
                        format!("path {path} was added with {}", methods.join(", ")),
                        verdict(
                            (Info, "new endpoints to call"),
                            (Info, "new client methods"),
                            Bump::Minor,
                        ),
                    ),
                    Side::Old => (
                        "path-removed",
                        format!("path {path} was removed with {}", methods.join(", ")),
                        verdict(
                            (Breaking, "calls to it fail"),
                            (Breaking, "its client methods are gone"),
                            Bump::Major,
                        ),
                    ),
                };
                let place = match side {
                    Side::New => Place::New(&at),
                    Side::Old => Place::Old(&at),
                };
                // One change for the path, naming all its operations.
                let change = self.record(Some(&ctx), id, place, message, v);
                for id in &ids[1..] {
                    change.add_operation(id);
                }
                continue;
            }
            for op in ops {
                let ctx = Context {
                    vendor: op.vendor.clone(),
                    operation: Some(op.id.clone()),
                };
                let at = vec!["paths".to_owned(), op.path.clone(), op.method.clone()];
                let method = format!("{}::Client::{}", op.vendor, rust_method(op));
                let (id, place, done, v) = match side {
                    Side::New => (
                        "operation-added",
                        Place::New(&at),
                        "added",
                        verdict(
                            (Info, "a new endpoint to call"),
                            (Info, &format!("a new method `{method}`")),
                            Bump::Minor,
                        ),
                    ),
                    Side::Old => (
                        "operation-removed",
                        Place::Old(&at),
                        "removed",
                        verdict(
                            (Breaking, "calls to it fail"),
                            (Breaking, &format!("the method `{method}` is gone")),
                            Bump::Major,
                        ),
                    ),
                };
                let message = format!(
                    "operation {} {} ({}) was {done}",
                    op.method.to_uppercase(),
                    op.path,
                    op.id
                );
                self.emit(Some(&ctx), id, place, message, v);
            }
        }
    }

    /// Compares one operation with its counterpart.
    fn operation(&mut self, old: &Operation, new: &Operation) {
        let ctx = Context {
            vendor: new.vendor.clone(),
            operation: Some(new.id.clone()),
        };
        let at = At {
            old: vec!["paths".to_owned(), old.path.clone(), old.method.clone()],
            new: vec!["paths".to_owned(), new.path.clone(), new.method.clone()],
        };
        let (old_method, new_method) = (
            format!("{}::Client::{}", old.vendor, rust_method(old)),
            format!("{}::Client::{}", new.vendor, rust_method(new)),
        );
        if old_method != new_method {
            self.emit(
                Some(&ctx),
                "operation-renamed",
                Place::New(&seg(&at.new, &["operationId"])),
                format!(
                    "operation {} {} was renamed from {} to {}",
                    new.method.to_uppercase(),
                    new.path,
                    old.id,
                    new.id
                ),
                verdict(
                    (Info, "requests and responses are unchanged"),
                    (
                        Breaking,
                        &format!("the method `{old_method}` is now `{new_method}`"),
                    ),
                    Bump::Major,
                ),
            );
        }
        if old.shape != new.shape || old.method != new.method {
            self.emit(
                Some(&ctx),
                "operation-path-changed",
                Place::New(&at.new),
                format!(
                    "operation {} moved from {} {} to {} {}",
                    new.id,
                    old.method.to_uppercase(),
                    old.path,
                    new.method.to_uppercase(),
                    new.path
                ),
                verdict(
                    (Breaking, "requests to the old path fail"),
                    (
                        Warning,
                        &format!("`{new_method}` keeps its name and now calls the new path"),
                    ),
                    Bump::Patch,
                ),
            );
        }
        self.parameters(&ctx, old, new);
        self.request_body(&ctx, &at);
        self.responses(&ctx, &at);
        self.security(&ctx, old, new, &at);
    }

    fn parameters(&mut self, ctx: &Context, old: &Operation, new: &Operation) {
        let old_params = parameters(self.old, old);
        let new_params = parameters(self.new, new);
        let method = format!("{}::Client::{}", new.vendor, rust_method(new));
        for ((place, name), (o, o_at)) in &old_params {
            let required = |p: &Value| p.get("required").and_then(Value::as_bool) == Some(true);
            let Some((n, n_at)) = new_params.get(&(place.clone(), name.clone())) else {
                self.emit(
                    Some(ctx),
                    "parameter-removed",
                    Place::Old(o_at),
                    format!("{place} parameter `{name}` was removed"),
                    verdict(
                        (Warning, "the server no longer reads it"),
                        (
                            Breaking,
                            &format!("the builder method `{}` of `{method}` is gone", snake(name)),
                        ),
                        Bump::Major,
                    ),
                );
                continue;
            };
            match (required(o), required(n)) {
                (false, true) => self.emit(
                    Some(ctx),
                    "parameter-became-required",
                    Place::New(n_at),
                    format!("{place} parameter `{name}` became required"),
                    verdict(
                        (Breaking, "requests without it are refused"),
                        (
                            Breaking,
                            &format!(
                                "`{method}` fails before sending unless `{}` is set",
                                snake(name)
                            ),
                        ),
                        Bump::Major,
                    ),
                ),
                (true, false) => self.emit(
                    Some(ctx),
                    "parameter-became-optional",
                    Place::New(n_at),
                    format!("{place} parameter `{name}` became optional"),
                    verdict(
                        (Info, "requests with it still work"),
                        (Info, "the builder method is unchanged"),
                        Bump::Patch,
                    ),
                ),
                _ => {}
            }
            let at = At {
                old: seg(o_at, &["schema"]),
                new: seg(n_at, &["schema"]),
            };
            let (os, ns) = (&o["schema"], &n["schema"]);
            self.schema(
                ctx,
                Direction::Request,
                Site::Parameter { name },
                "",
                os,
                ns,
                &at,
                &mut Vec::new(),
            );
        }
        for ((place, name), (n, n_at)) in &new_params {
            if old_params.contains_key(&(place.clone(), name.clone())) {
                continue;
            }
            let v = if n.get("required").and_then(Value::as_bool) == Some(true) {
                verdict(
                    (Breaking, "requests without it are refused"),
                    (
                        Breaking,
                        &format!(
                            "`{method}` fails before sending until `{}` is set",
                            snake(name)
                        ),
                    ),
                    Bump::Major,
                )
            } else {
                verdict(
                    (Info, "an optional parameter to send"),
                    (Info, &format!("a new builder method `{}`", snake(name))),
                    Bump::Minor,
                )
            };
            let required = if n.get("required").and_then(Value::as_bool) == Some(true) {
                "required"
            } else {
                "optional"
            };
            self.emit(
                Some(ctx),
                "parameter-added",
                Place::New(n_at),
                format!("{place} parameter `{name}` was added ({required})"),
                v,
            );
        }
    }

    fn request_body(&mut self, ctx: &Context, at: &At) {
        let (old, new) = (
            self.old.request_body(&at.old),
            self.new.request_body(&at.new),
        );
        let required = |b: &Value| b.get("required").and_then(Value::as_bool) == Some(true);
        match (old, new) {
            (None, None) => {}
            (None, Some((n, n_at))) => {
                let v = if required(n) {
                    verdict(
                        (Breaking, "requests without a body are refused"),
                        (
                            Breaking,
                            "the call fails before sending until `body` is set",
                        ),
                        Bump::Major,
                    )
                } else {
                    verdict(
                        (Info, "an optional body to send"),
                        (Info, "a new builder method `body`"),
                        Bump::Minor,
                    )
                };
                self.emit(
                    Some(ctx),
                    "request-body-added",
                    Place::New(&n_at),
                    "the request body was added",
                    v,
                );
            }
            (Some((_, o_at)), None) => self.emit(
                Some(ctx),
                "request-body-removed",
                Place::Old(&o_at),
                "the request body was removed",
                verdict(
                    (Warning, "the server no longer reads a body"),
                    (Breaking, "the builder method `body` is gone"),
                    Bump::Major,
                ),
            ),
            (Some((o, o_at)), Some((n, n_at))) => {
                match (required(o), required(n)) {
                    (false, true) => self.emit(
                        Some(ctx),
                        "request-body-became-required",
                        Place::New(&n_at),
                        "the request body became required",
                        verdict(
                            (Breaking, "requests without a body are refused"),
                            (
                                Info,
                                "the generated code is the same: its builder always asks for a body",
                            ),
                            Bump::Patch,
                        ),
                    ),
                    (true, false) => self.emit(
                        Some(ctx),
                        "request-body-became-optional",
                        Place::New(&n_at),
                        "the request body became optional",
                        verdict(
                            (Info, "requests with a body still work"),
                            (
                                Info,
                                "the generated code is the same: its builder always asks for a body",
                            ),
                            Bump::Patch,
                        ),
                    ),
                    _ => {}
                }
                let schema_at = ["content", "application/json", "schema"];
                let (os, ns) = (
                    o.pointer("/content/application~1json/schema"),
                    n.pointer("/content/application~1json/schema"),
                );
                if let (Some(os), Some(ns)) = (os, ns) {
                    let at = At {
                        old: seg(&o_at, &schema_at),
                        new: seg(&n_at, &schema_at),
                    };
                    self.schema(
                        ctx,
                        Direction::Request,
                        Site::Body,
                        "",
                        os,
                        ns,
                        &at,
                        &mut Vec::new(),
                    );
                }
            }
        }
    }

    fn responses(&mut self, ctx: &Context, at: &At) {
        let statuses = |r: &Revision<'_>, at: &[String]| -> Vec<String> {
            r.root()
                .pointer(&json_pointer(&seg(at, &["responses"])))
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        let (old, new) = (statuses(self.old, &at.old), statuses(self.new, &at.new));
        for code in &new {
            if old.contains(code) {
                continue;
            }
            let place = seg(&at.new, &["responses", code]);
            let v = if is_success(code) {
                verdict(
                    (
                        Warning,
                        "callers may get a success status they did not expect",
                    ),
                    (Info, "it decodes into the same success type"),
                    Bump::Patch,
                )
            } else {
                verdict(
                    (Warning, "callers may get this error"),
                    (
                        Warning,
                        "it now arrives as `Error::ErrorResponse` with the error type, not as `Error::UnexpectedResponse`",
                    ),
                    Bump::Patch,
                )
            };
            self.emit(
                Some(ctx),
                "response-status-added",
                Place::New(&place),
                format!("response status {code} was added"),
                v,
            );
        }
        for code in &old {
            if new.contains(code) {
                continue;
            }
            let place = seg(&at.old, &["responses", code]);
            let v = if is_success(code) {
                verdict(
                    (Info, "the server no longer answers with it"),
                    (
                        Warning,
                        "a response with this status now arrives as `Error::UnexpectedResponse`",
                    ),
                    Bump::Patch,
                )
            } else {
                verdict(
                    (Info, "the server no longer documents this error"),
                    (
                        Warning,
                        "this error now arrives as `Error::UnexpectedResponse`, not as `Error::ErrorResponse`",
                    ),
                    Bump::Patch,
                )
            };
            self.emit(
                Some(ctx),
                "response-status-removed",
                Place::Old(&place),
                format!("response status {code} was removed"),
                v,
            );
        }
        for success in [true, false] {
            let (old, new) = (
                self.old.response_body(&at.old, success),
                self.new.response_body(&at.new, success),
            );
            let site = if success { Site::Body } else { Site::ErrorBody };
            match (old, new) {
                (Some((os, o_at)), Some((ns, n_at))) => {
                    let at = At {
                        old: o_at,
                        new: n_at,
                    };
                    self.schema(
                        ctx,
                        Direction::Response,
                        site,
                        "",
                        os,
                        ns,
                        &at,
                        &mut Vec::new(),
                    );
                }
                (None, None) => {}
                (old, new) => {
                    let (id, what) = if success {
                        ("response-body-changed", "the success response body")
                    } else {
                        ("error-schema-changed", "the error response body")
                    };
                    let (place, message, wire) = match (&old, &new) {
                        (None, Some((_, n_at))) => (
                            Place::New(n_at),
                            format!("{what} was added"),
                            (Info, "responses now carry a json body"),
                        ),
                        (Some((_, o_at)), _) => (
                            Place::Old(o_at),
                            format!("{what} was removed"),
                            (
                                Breaking,
                                "responses no longer carry the json body callers read",
                            ),
                        ),
                        (None, None) => unreachable!("handled above"),
                    };
                    let rust = if success {
                        "the call's success type changes"
                    } else {
                        "the type parameter of the call's `Error<_>` changes"
                    };
                    self.emit(
                        Some(ctx),
                        id,
                        place,
                        message,
                        verdict(wire, (Breaking, rust), Bump::Major),
                    );
                }
            }
        }
    }

    fn security(&mut self, ctx: &Context, old: &Operation, new: &Operation, at: &At) {
        let requirements = |r: &Revision<'_>, op: &Operation| -> Vec<Vec<String>> {
            let security = r
                .op(op)
                .get("security")
                .or_else(|| r.root().get("security"));
            let mut out: Vec<Vec<String>> = security
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|req| {
                    let mut names: Vec<String> = req
                        .as_object()
                        .map(|m| m.keys().cloned().collect())
                        .unwrap_or_default();
                    names.sort();
                    names
                })
                .collect();
            out.sort();
            out
        };
        let (o, n) = (requirements(self.old, old), requirements(self.new, new));
        let show = |reqs: &[Vec<String>]| -> String {
            if reqs.is_empty() {
                return "none".to_owned();
            }
            reqs.iter()
                .map(|r| r.join(" + "))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        if o != n {
            self.emit(
                Some(ctx),
                "security-changed",
                Place::New(&seg(&at.new, &["security"])),
                format!("security changed from {} to {}", show(&o), show(&n)),
                verdict(
                    (Breaking, "callers need other credentials"),
                    (
                        Warning,
                        "the client still sends what its `Auth` gives; check that the new scheme accepts it",
                    ),
                    Bump::Patch,
                ),
            );
        }
        // The schemes both revisions use: did their definition change?
        let used: BTreeSet<&String> = o
            .iter()
            .flatten()
            .filter(|s| n.iter().flatten().any(|t| t == *s))
            .collect();
        for name in used {
            let strip = |r: &Revision<'_>| -> Option<Value> {
                let mut scheme = r
                    .root()
                    .pointer(&format!("/components/securitySchemes/{name}"))?
                    .clone();
                if let Some(m) = scheme.as_object_mut() {
                    m.retain(|k, _| k != "description" && !k.starts_with("x-"));
                }
                Some(scheme)
            };
            if strip(self.old) != strip(self.new) {
                let place = vec![
                    "components".to_owned(),
                    "securitySchemes".to_owned(),
                    name.clone(),
                ];
                self.emit(
                    Some(ctx),
                    "security-scheme-changed",
                    Place::New(&place),
                    format!("security scheme `{name}` changed"),
                    verdict(
                        (Breaking, "callers must send credentials another way"),
                        (
                            Warning,
                            "the client still sends what its `Auth` gives; check that the new scheme accepts it",
                        ),
                        Bump::Patch,
                    ),
                );
            }
        }
    }

    /// Compares a schema at a place of use, recursing into properties and
    /// items. `owner` is the Rust type the place belongs to, if known.
    #[allow(clippy::too_many_arguments)]
    fn schema(
        &mut self,
        ctx: &Context,
        dir: Direction,
        site: Site<'_>,
        owner: &str,
        old: &Value,
        new: &Value,
        at: &At,
        stack: &mut Vec<(String, String)>,
    ) {
        let (old_name, old, old_at) = self.old.resolve(old, at.old.clone());
        let (new_name, new, new_at) = self.new.resolve(new, at.new.clone());
        let here = At {
            old: old_at,
            new: new_at,
        };
        let names_type = |s: &Value| {
            s.get("properties").is_some()
                || s.get("type").and_then(Value::as_str) == Some("object")
                || codegen::enum_values(s).is_some()
        };
        let old_type = old_name.as_deref().map(|n| rust_type(&ctx.vendor, n));
        let new_type = new_name.as_deref().map(|n| rust_type(&ctx.vendor, n));
        if old_type != new_type && (names_type(old) || names_type(new)) {
            let (id, message, rust) = match (&old_name, &new_name) {
                (Some(o), Some(n)) => (
                    "schema-renamed",
                    format!("schema `{o}` was replaced by `{n}`"),
                    format!(
                        "the rust type `{}` is now `{}`",
                        old_type.clone().unwrap_or_default(),
                        new_type.clone().unwrap_or_default()
                    ),
                ),
                (Some(o), None) => (
                    "schema-moved-inline",
                    format!("schema `{o}` was written inline"),
                    format!(
                        "the rust type `{}` is replaced by one progenitor names after its place",
                        old_type.clone().unwrap_or_default()
                    ),
                ),
                (None, Some(n)) => (
                    "schema-moved-to-components",
                    format!("an inline schema became the component `{n}`"),
                    format!(
                        "the rust type progenitor named after its place is now `{}`",
                        new_type.clone().unwrap_or_default()
                    ),
                ),
                (None, None) => unreachable!("the names differ"),
            };
            // A renamed component is reported once, where it now is.
            self.emit(
                Some(ctx),
                id,
                Place::New(&here.new),
                message,
                verdict(
                    (Info, "the json is unchanged by the rename itself"),
                    (Breaking, &rust),
                    Bump::Major,
                ),
            );
        }
        let owner = new_name
            .as_deref()
            .filter(|_| new.get("properties").is_some())
            .unwrap_or(owner)
            .to_owned();
        if old_name.is_some() || new_name.is_some() {
            let key = (
                codegen::json_pointer(&here.old),
                codegen::json_pointer(&here.new),
            );
            if stack.contains(&key) {
                return;
            }
            stack.push(key);
        }
        self.schema_body(ctx, dir, site, &owner, old, new, &here, stack);
        if old_name.is_some() || new_name.is_some() {
            stack.pop();
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn schema_body(
        &mut self,
        ctx: &Context,
        dir: Direction,
        site: Site<'_>,
        owner: &str,
        old: &Value,
        new: &Value,
        here: &At,
        stack: &mut Vec<(String, String)>,
    ) {
        let d = dir.as_str();
        let what = describe_site(dir, site, owner);
        let (old_type, new_type) = (type_sig(old), type_sig(new));
        if old_type != new_type {
            let id = match site {
                Site::Body => format!("{d}-body-type-changed"),
                Site::ErrorBody => "error-schema-changed".to_owned(),
                Site::Property { .. } => format!("{d}-property-type-changed"),
                Site::Parameter { .. } => "parameter-type-changed".to_owned(),
            };
            self.emit(
                Some(ctx),
                id,
                Place::New(&here.new),
                format!("{what} changed type from {old_type} to {new_type}"),
                verdict(
                    (Breaking, "values of the old type are refused or misread"),
                    (Breaking, "its rust type changes"),
                    Bump::Major,
                ),
            );
            return;
        }
        if let Site::Property { required, .. } = site {
            self.nullable(ctx, dir, &what, required, old, new, here);
        }
        self.enums(ctx, dir, &what, old, new, here);
        if old_type.starts_with("array") {
            self.schema(
                ctx,
                dir,
                site,
                owner,
                &old["items"],
                &new["items"],
                &here.join(&["items"]),
                stack,
            );
        }
        self.properties(ctx, dir, owner, old, new, here, stack);
        for key in ["allOf", "oneOf", "anyOf", "additionalProperties"] {
            let open = |s: &Value| s.get("x-open-enum").and_then(Value::as_bool) == Some(true);
            if open(old) || open(new) {
                continue;
            }
            if old.get(key) != new.get(key) {
                self.emit(
                    Some(ctx),
                    format!("{d}-schema-changed"),
                    Place::New(&here.new),
                    format!("`{key}` of {what} changed"),
                    verdict(
                        (Warning, "this tool does not analyse the change; read it"),
                        (Breaking, "the rust type generated from it may change"),
                        Bump::Major,
                    ),
                );
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn nullable(
        &mut self,
        ctx: &Context,
        dir: Direction,
        what: &str,
        required: (bool, bool),
        old: &Value,
        new: &Value,
        here: &At,
    ) {
        let nullable = |s: &Value| s.get("nullable").and_then(Value::as_bool) == Some(true);
        let (o, n) = (nullable(old), nullable(new));
        if o == n {
            return;
        }
        let d = dir.as_str();
        // A required property's field is `T`, or `Option<T>` when nullable;
        // an optional property's field is `Option<T>` either way.
        let rust = if required.0 && required.1 {
            (Breaking, "its field changes between `T` and `Option<T>`")
        } else {
            (Info, "its field is an `Option` either way")
        };
        let (id, message, wire) = match (dir, n) {
            (Direction::Request, true) => (
                "became-nullable",
                "became nullable",
                (Info, "null is accepted too"),
            ),
            (Direction::Request, false) => (
                "became-not-nullable",
                "is no longer nullable",
                (Breaking, "requests sending null are refused"),
            ),
            (Direction::Response, true) => (
                "became-nullable",
                "became nullable",
                (Breaking, "null may arrive where callers expect a value"),
            ),
            (Direction::Response, false) => (
                "became-not-nullable",
                "is no longer nullable",
                (Info, "null no longer arrives"),
            ),
        };
        self.emit(
            Some(ctx),
            format!("{d}-property-{id}"),
            Place::New(&seg(&here.new, &["nullable"])),
            format!("{what} {message}"),
            verdict(wire, rust, Bump::Patch),
        );
    }

    fn enums(
        &mut self,
        ctx: &Context,
        dir: Direction,
        what: &str,
        old: &Value,
        new: &Value,
        here: &At,
    ) {
        let (o, n) = (codegen::enum_values(old), codegen::enum_values(new));
        let (Some(o), Some(n)) = (&o, &n) else {
            if o.is_some() != n.is_some() {
                let d = dir.as_str();
                let became = if n.is_some() {
                    "became an enum"
                } else {
                    "is no longer an enum"
                };
                self.emit(
                    Some(ctx),
                    format!("{d}-enum-constraint-changed"),
                    Place::New(&here.new),
                    format!("{what} {became}"),
                    verdict(
                        (Warning, "the set of accepted values changes"),
                        (
                            Breaking,
                            "its rust type changes between `String` and an enum",
                        ),
                        Bump::Major,
                    ),
                );
            }
            return;
        };
        let open = |s: &Value| s.get("x-open-enum").and_then(Value::as_bool) == Some(true);
        let (old_open, new_open) = (open(old), open(new));
        let d = dir.as_str();
        if old_open != new_open {
            let (id, message, wire) = if new_open {
                (
                    "enum-became-open",
                    "became an open enum",
                    (Info, "the json is unchanged"),
                )
            } else {
                (
                    "enum-became-closed",
                    "became a closed enum",
                    match dir {
                        Direction::Response => (
                            Breaking,
                            "a value the document does not list now fails the whole response",
                        ),
                        Direction::Request => (Info, "the json is unchanged"),
                    },
                )
            };
            self.emit(
                Some(ctx),
                format!("{d}-{id}"),
                Place::New(&here.new),
                format!("{what} {message}"),
                verdict(
                    wire,
                    (
                        Breaking,
                        "the enum gains or loses its `Other(String)` variant",
                    ),
                    Bump::Major,
                ),
            );
        }
        for value in n.iter().filter(|v| !o.contains(v)) {
            let wire = match (dir, new_open) {
                (Direction::Request, _) => (Info, "the server accepts one more value"),
                (Direction::Response, true) => (
                    Info,
                    "clients of the old document read it as an unknown value (`Other`)",
                ),
                (Direction::Response, false) => (
                    Breaking,
                    "clients of the old document fail to read responses holding it (the enum is closed)",
                ),
            };
            let rust = if new_open {
                "a new variant: exhaustive `match`es no longer compile, and the value no longer parses as `Other`"
            } else {
                "a new variant: exhaustive `match`es no longer compile"
            };
            self.emit(
                Some(ctx),
                format!("{d}-enum-value-added"),
                Place::New(&here.new),
                format!("{what} gained the value `{value}`"),
                verdict(wire, (Breaking, rust), Bump::Major),
            );
        }
        for value in o.iter().filter(|v| !n.contains(v)) {
            let wire = match dir {
                Direction::Request => (Breaking, "requests with this value are refused"),
                Direction::Response => (Info, "the server no longer sends it"),
            };
            let rust = if new_open {
                "its variant is gone (the value now parses as `Other`)"
            } else {
                "its variant is gone"
            };
            self.emit(
                Some(ctx),
                format!("{d}-enum-value-removed"),
                Place::New(&here.new),
                format!("{what} lost the value `{value}`"),
                verdict(wire, (Breaking, rust), Bump::Major),
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn properties(
        &mut self,
        ctx: &Context,
        dir: Direction,
        owner: &str,
        old: &Value,
        new: &Value,
        here: &At,
        stack: &mut Vec<(String, String)>,
    ) {
        let (Some(op), Some(np)) = (
            old.get("properties").and_then(Value::as_object),
            new.get("properties").and_then(Value::as_object),
        ) else {
            return;
        };
        let required = |s: &Value| -> BTreeSet<String> {
            s.get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        let (or, nr) = (required(old), required(new));
        let d = dir.as_str();
        let of = |name: &str| {
            if owner.is_empty() {
                format!("{d} property `{name}`")
            } else {
                format!("{d} property `{name}` of `{owner}`")
            }
        };
        let rust_owner = (!owner.is_empty()).then(|| rust_type(&ctx.vendor, owner));
        let field = |name: &str| match &rust_owner {
            None => format!("the field `{}`", snake(name)),
            Some(owner) => format!("`{owner}::{}`", snake(name)),
        };
        let struct_name = match &rust_owner {
            None => "the struct".to_owned(),
            Some(owner) => format!("`{owner}`"),
        };
        for (name, o) in op {
            let (o_req, n_req) = (or.contains(name), nr.contains(name));
            let Some(n) = np.get(name) else {
                let wire = match (dir, o_req) {
                    (Direction::Request, _) => (Warning, "the server no longer reads it"),
                    (Direction::Response, true) => {
                        (Breaking, "callers that read it find it missing")
                    }
                    (Direction::Response, false) => {
                        (Warning, "callers that read it find it missing")
                    }
                };
                self.emit(
                    Some(ctx),
                    format!("{d}-property-removed"),
                    Place::Old(&seg(&here.old, &["properties", name])),
                    format!("{} was removed", of(name)),
                    verdict(
                        wire,
                        (Breaking, &format!("{} is gone", field(name))),
                        Bump::Major,
                    ),
                );
                continue;
            };
            let place = seg(&here.new, &["properties", name]);
            if o_req != n_req {
                let (became, wire, types) = match (n_req, dir) {
                    (true, Direction::Request) => (
                        "required",
                        (Breaking, "requests without it are refused"),
                        "`Option<T>` to `T`",
                    ),
                    (true, Direction::Response) => (
                        "required",
                        (Info, "it is now always sent"),
                        "`Option<T>` to `T`",
                    ),
                    (false, Direction::Request) => (
                        "optional",
                        (Info, "requests with it still work"),
                        "`T` to `Option<T>`",
                    ),
                    (false, Direction::Response) => (
                        "optional",
                        (
                            Breaking,
                            "callers that expect it fail on responses without it",
                        ),
                        "`T` to `Option<T>`",
                    ),
                };
                self.emit(
                    Some(ctx),
                    format!("{d}-property-became-{became}"),
                    Place::New(&place),
                    format!("{} became {became}", of(name)),
                    verdict(
                        wire,
                        (Breaking, &format!("{} changes from {types}", field(name))),
                        Bump::Major,
                    ),
                );
            }
            let at = here.join(&["properties", name]);
            self.schema(
                ctx,
                dir,
                Site::Property {
                    name,
                    required: (o_req, n_req),
                },
                owner,
                o,
                n,
                &at,
                stack,
            );
        }
        for name in np.keys().filter(|n| !op.contains_key(*n)) {
            let n_req = nr.contains(name);
            let wire = match (dir, n_req) {
                (Direction::Request, true) => (Breaking, "requests without it are refused"),
                (Direction::Request, false) => (Info, "an optional property to send"),
                (Direction::Response, _) => (Info, "a property callers may ignore"),
            };
            let rust = format!(
                "a new field {}: struct literals and exhaustive patterns of {struct_name} no longer compile",
                field(name)
            );
            let required = if n_req { "required" } else { "optional" };
            self.emit(
                Some(ctx),
                format!("{d}-property-added"),
                Place::New(&seg(&here.new, &["properties", name])),
                format!("{} was added ({required})", of(name)),
                verdict(wire, (Breaking, &rust), Bump::Major),
            );
        }
    }
}

/// The parameters of an operation (the path item's, overridden by the
/// operation's), by (`in`, name), each resolved, with where it is written.
#[allow(clippy::type_complexity)]
fn parameters<'r>(
    r: &'r Revision<'_>,
    op: &Operation,
) -> BTreeMap<(String, String), (&'r Value, Vec<String>)> {
    let mut out = BTreeMap::new();
    let lists = [
        (r.path_item(op), vec!["paths".to_owned(), op.path.clone()]),
        (
            r.op(op),
            vec!["paths".to_owned(), op.path.clone(), op.method.clone()],
        ),
    ];
    for (holder, at) in lists {
        let Some(params) = holder.get("parameters").and_then(Value::as_array) else {
            continue;
        };
        for (i, param) in params.iter().enumerate() {
            let (_, param, param_at) = r.resolve(param, seg(&at, &["parameters", &i.to_string()]));
            let (Some(place), Some(name)) = (
                param.get("in").and_then(Value::as_str),
                param.get("name").and_then(Value::as_str),
            ) else {
                continue;
            };
            out.insert((place.to_owned(), name.to_owned()), (param, param_at));
        }
    }
    out
}

/// A JSON pointer for `Value::pointer` (no leading `#`).
fn json_pointer(segments: &[String]) -> String {
    codegen::json_pointer(segments)
        .trim_start_matches('#')
        .to_owned()
}

fn is_success(code: &str) -> bool {
    code.starts_with('2')
}

/// The Rust method of an operation: its id without the vendor prefix.
fn rust_method(op: &Operation) -> &str {
    codegen::short_operation_id(&op.vendor, &op.id)
}

/// The Rust type of a component schema: `hybridbox::types::Invitation` for
/// `HybridboxInvitation` in vendor `hybridbox`.
fn rust_type(vendor: &str, component: &str) -> String {
    format!(
        "{vendor}::types::{}",
        codegen::short_type_name(vendor, component)
    )
}

/// `accountId` → `account_id`, as the generated builder methods are named.
fn snake(name: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if previous_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            previous_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            out.push('_');
            previous_lower = false;
        }
    }
    out
}

/// `string (uuid)`, `integer (int64)`, `array`, `object`, ...
fn type_sig(s: &Value) -> String {
    let ty = match s.get("type").and_then(Value::as_str) {
        Some(t) => t,
        None if s.get("properties").is_some() => "object",
        None if s.get("items").is_some() => "array",
        None => "any",
    };
    match s.get("format").and_then(Value::as_str) {
        Some(f) => format!("{ty} ({f})"),
        None => ty.to_owned(),
    }
}

fn describe_site(dir: Direction, site: Site<'_>, owner: &str) -> String {
    let d = dir.as_str();
    match site {
        Site::Body => format!("the {d} body"),
        Site::ErrorBody => "the error body".to_owned(),
        Site::Parameter { name } => format!("parameter `{name}`"),
        Site::Property { name, .. } if owner.is_empty() => format!("{d} property `{name}`"),
        Site::Property { name, .. } => format!("{d} property `{name}` of `{owner}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_differ_in_parameter_names_have_one_shape() {
        assert_eq!(path_shape("/a/{account_id}/b/{x}"), "/a/{}/b/{}");
        assert_eq!(
            path_shape("/a/{accountId}/b/{y}"),
            path_shape("/a/{account_id}/b/{x}")
        );
        assert_ne!(path_shape("/a/{x}"), path_shape("/a/{x}/b"));
    }

    #[test]
    fn rust_names_follow_the_generator() {
        assert_eq!(snake("accountId"), "account_id");
        assert_eq!(snake("invitation_id"), "invitation_id");
        assert_eq!(snake("x-api-key"), "x_api_key");
        assert_eq!(
            rust_type("hybridbox", "HybridboxInvitation"),
            "hybridbox::types::Invitation"
        );
        // A component without the vendor prefix keeps its name.
        assert_eq!(rust_type("acme", "Error"), "acme::types::Error");
    }

    #[test]
    fn type_signatures_include_the_format() {
        let sig = |s: &str| type_sig(&serde_json::from_str(s).unwrap());
        assert_eq!(sig(r#"{"type":"string","format":"uuid"}"#), "string (uuid)");
        assert_eq!(sig(r#"{"properties":{}}"#), "object");
        assert_eq!(sig(r#"{"items":{}}"#), "array");
        assert_eq!(sig(r#"{}"#), "any");
    }

    #[test]
    fn pointers_escape_slashes_and_tildes() {
        let segments = ["paths", "/a/{b}", "post", "x~y"].map(str::to_owned);
        assert_eq!(
            codegen::json_pointer(&segments),
            "#/paths/~1a~1{b}/post/x~0y"
        );
        assert_eq!(json_pointer(&segments), "/paths/~1a~1{b}/post/x~0y");
    }

    #[test]
    fn the_verdict_is_the_largest_bump_and_a_rust_break_is_major() {
        let v = verdict((Info, "a"), (Breaking, "b"), Bump::Patch);
        assert_eq!(v.semver, Bump::Major);
        assert!(Bump::Major > Bump::Minor && Bump::Minor > Bump::Patch && Bump::Patch > Bump::None);
        assert!(Breaking > Warning && Warning > Info);
    }
}
