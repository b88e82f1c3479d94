//! Rules on vendors, servers, paths and operations: `vendor-*`,
//! `server-url-changed`, `path-*`, `operation-*`. Pairs the operations of
//! the two revisions and hands each pair on to the other families.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use super::{At, Context, Diff, Place, is_deprecated};
use crate::diff::Level::{Breaking, Info, Warning};
use crate::diff::Side;
use crate::diff::revision::{Operation, Revision, path_shape, seg};
use crate::diff::rules::Rule;

impl Diff<'_, '_> {
    /// Servers: one per vendor.
    pub(super) fn servers(&mut self) {
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
                None => {
                    self.emit(
                        &scope(vendor),
                        Rule::VendorRemoved,
                        Place::Old(&at),
                        format!("vendor `{vendor}` ({url}) was removed"),
                        (Breaking, "its server is gone from the document"),
                        None,
                    );
                }
                Some((j, new_url)) if new_url != url => {
                    let at = vec!["servers".to_owned(), j.to_string(), "url".to_owned()];
                    self.emit(
                        &scope(vendor),
                        Rule::ServerUrlChanged,
                        Place::New(&at),
                        format!("the `{vendor}` server moved from {url} to {new_url}"),
                        (Warning, "callers must send requests to the new url"),
                        None,
                    );
                }
                Some(_) => {}
            }
        }
        for (vendor, (i, url)) in &new {
            if !old.contains_key(vendor) {
                let at = vec!["servers".to_owned(), i.to_string()];
                self.emit(
                    &scope(vendor),
                    Rule::VendorAdded,
                    Place::New(&at),
                    format!("vendor `{vendor}` ({url}) was added"),
                    (Info, "a new api to call"),
                    None,
                );
            }
        }
    }

    /// Matches the operations of the two revisions and compares each pair.
    pub(super) fn operations(&mut self) {
        let old_ops = &self.old.operations;
        let new_ops = &self.new.operations;
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        let mut old_done = BTreeSet::new();
        let mut new_done = BTreeSet::new();
        // Same method and path (parameter names aside) first, then the same
        // operationId at another path or method; the first of several wins.
        let mut by_shape: HashMap<(&str, &str), usize> = HashMap::new();
        for (j, n) in new_ops.iter().enumerate().rev() {
            by_shape.insert((&n.method, &n.shape), j);
        }
        for (i, o) in old_ops.iter().enumerate() {
            if let Some(&j) = by_shape.get(&(o.method.as_str(), o.shape.as_str())) {
                pairs.push((i, j));
                old_done.insert(i);
                new_done.insert(j);
            }
        }
        let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
        for (j, n) in new_ops.iter().enumerate() {
            if !new_done.contains(&j) {
                by_id.entry(&n.id).or_default().push(j);
            }
        }
        for (i, o) in old_ops.iter().enumerate() {
            if old_done.contains(&i) {
                continue;
            }
            if let Some(j) = by_id
                .get(o.id.as_str())
                .and_then(|js| js.iter().copied().find(|j| !new_done.contains(j)))
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
            let (old, new) = (&old_ops[i], &new_ops[j]);
            // Everything the rules read for the operation is in its
            // fingerprint: the same operation at the same place is unchanged.
            if old.print == new.print && old.path == new.path && old.method == new.method {
                continue;
            }
            self.operation(old, new);
        }
    }

    /// Operations with no counterpart: grouped by path when the whole path
    /// is new (or gone), one by one otherwise.
    fn unmatched(&mut self, indices: &[usize], side: Side) {
        let (this, other) = if side.is_first() {
            (self.old, self.new)
        } else {
            (self.new, self.old)
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
                // One change for the path, naming all its operations.
                let change = match side.is_first() {
                    false => self.emit(
                        &ctx,
                        Rule::PathAdded,
                        Place::New(&at),
                        format!("path {path} was added with {}", methods.join(", ")),
                        (Info, "new endpoints to call"),
                        None,
                    ),
                    true => self.emit(
                        &ctx,
                        Rule::PathRemoved,
                        Place::Old(&at),
                        format!("path {path} was removed with {}", methods.join(", ")),
                        removal(ops.iter().all(|o| is_deprecated(this.op(o)))),
                        None,
                    ),
                };
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
                let message = |done: &str| {
                    format!(
                        "operation {} {} ({}) was {done}",
                        op.method.to_uppercase(),
                        op.path,
                        op.id
                    )
                };
                match side.is_first() {
                    false => self.emit(
                        &ctx,
                        Rule::OperationAdded,
                        Place::New(&at),
                        message("added"),
                        (Info, "a new endpoint to call"),
                        None,
                    ),
                    true => self.emit(
                        &ctx,
                        Rule::OperationRemoved,
                        Place::Old(&at),
                        message("removed"),
                        removal(is_deprecated(this.op(op))),
                        None,
                    ),
                };
            }
        }
    }

    /// Compares one operation with its counterpart.
    pub(super) fn operation(&mut self, old: &Operation, new: &Operation) {
        let ctx = Context {
            vendor: new.vendor.clone(),
            operation: Some(new.id.clone()),
        };
        let at = At {
            old: vec!["paths".to_owned(), old.path.clone(), old.method.clone()],
            new: vec!["paths".to_owned(), new.path.clone(), new.method.clone()],
        };
        if old.id != new.id {
            self.emit(
                &ctx,
                Rule::OperationRenamed,
                Place::New(&seg(&at.new, &["operationId"])),
                format!(
                    "operation {} {} was renamed from {} to {}",
                    new.method.to_uppercase(),
                    new.path,
                    old.id,
                    new.id
                ),
                (Info, "requests and responses are unchanged"),
                None,
            );
        }
        if old.shape != new.shape || old.method != new.method {
            self.emit(
                &ctx,
                Rule::OperationPathChanged,
                Place::New(&at.new),
                format!(
                    "operation {} moved from {} {} to {} {}",
                    new.id,
                    old.method.to_uppercase(),
                    old.path,
                    new.method.to_uppercase(),
                    new.path
                ),
                (Breaking, "requests to the old path fail"),
                Some((
                    Warning,
                    "the client method keeps its name and now calls the new path",
                )),
            );
        }
        let (was, is) = (
            is_deprecated(self.old.op(old)),
            is_deprecated(self.new.op(new)),
        );
        if was != is {
            let (rule, message, wire) = if is {
                (
                    Rule::OperationDeprecated,
                    "is deprecated",
                    (Warning, "it may be removed; move callers off it"),
                )
            } else {
                (
                    Rule::OperationUndeprecated,
                    "is no longer deprecated",
                    (Info, "it stays"),
                )
            };
            self.emit(
                &ctx,
                rule,
                Place::New(&at.new),
                format!(
                    "operation {} {} ({}) {message}",
                    new.method.to_uppercase(),
                    new.path,
                    new.id
                ),
                wire,
                None,
            );
        }
        self.parameters(&ctx, old, new);
        self.request_body(&ctx, &at);
        self.responses(&ctx, &at);
        self.security(&ctx, old, new, &at);
    }
}

/// The wire judgement of removing operations: a lesser break when they
/// were deprecated (callers were told to move off them).
fn removal(deprecated: bool) -> (crate::diff::Level, &'static str) {
    if deprecated {
        (Warning, "calls to it fail; it was deprecated")
    } else {
        (Breaking, "calls to it fail")
    }
}
