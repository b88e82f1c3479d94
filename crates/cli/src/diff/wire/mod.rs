//! The comparison of two revisions: the walk that pairs their vendors,
//! operations and schemas, and [`Diff::emit`], through which every change
//! is recorded with its three judgements (wire, Rust, semver). The checks
//! live in one file per family of rules:
//! - `operations`: vendors, servers, paths and operations;
//! - `parameters`: an operation's parameters;
//! - `bodies`: the request body, the responses and security;
//! - `schemas`: a schema at a place of use (type, `allOf`/`oneOf`/...,
//!   renamed or moved components), recursing through `properties` (the
//!   properties of an object, their `required` and `nullable`), `enums` and
//!   `constraints` (limits, `default`, `readOnly`/`writeOnly`,
//!   `deprecated`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::revision::{Revision, seg};
use super::rules::Rule;
use super::{Change, Level, Side, impact};
use crate::codegen;

mod bodies;
mod composition;
mod constraints;
mod enums;
mod operations;
mod parameters;
mod properties;
mod schemas;

/// A change found in the documents, with what its rule knows beyond it.
pub(crate) struct Found {
    /// The change; its Rust judgement is set later, by `link`.
    pub(crate) change: Change,
    /// A change of behaviour the generated API does not show (see
    /// [`Diff::emit`]).
    pub(super) behaviour: Option<Behaviour>,
    /// For a change reported where something now is: where it was, in the
    /// old document (a renamed component's old name).
    pub(super) was_at: Option<String>,
}

/// The changes between two revisions, in no particular order.
pub(super) fn changes(old: &Revision<'_>, new: &Revision<'_>) -> Vec<Found> {
    let mut diff = Diff {
        old,
        new,
        mode: Mode::Revisions,
        changes: BTreeMap::new(),
    };
    diff.servers();
    diff.operations();
    diff.changes.into_values().collect()
}

/// What two documents are: two revisions of ours, or ours and the vendor's
/// definition (`invitations drift`). The rules are the same, judged from
/// the client of the first against a server of the second; a drift does
/// not report what only says that the two were written by different
/// people (component names) or what only our generated code knows
/// (whether an enum is open is ours to decide, not the vendor's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Revisions,
    Drift,
}

/// The changes between our document (`ours`, the client) and the vendor's
/// definition (`vendor`, the server), for the operations paired by `pairs`
/// (indices into each one's operations), in no particular order.
pub(crate) fn drift_changes(
    ours: &Revision<'_>,
    vendor: &Revision<'_>,
    pairs: &[(usize, usize)],
) -> Vec<Found> {
    let mut diff = Diff {
        old: ours,
        new: vendor,
        mode: Mode::Drift,
        changes: BTreeMap::new(),
    };
    for &(i, j) in pairs {
        diff.operation(&ours.operations[i], &vendor.operations[j]);
    }
    diff.changes.into_values().collect()
}

/// Where a change to `key` of the schema at `here` is reported: the key in
/// the new schema, or the schema itself when the key is gone.
fn key_place(new: &Value, here: &At, key: &str) -> Vec<String> {
    if new.get(key).is_some() {
        seg(&here.new, &[key])
    } else {
        here.new.clone()
    }
}

/// Whether the boolean `key` of an object (a schema's `nullable`, a
/// parameter's `required`, …) is `true`; absent counts as `false`.
fn flag(value: &Value, key: &str) -> bool {
    value.get(key).and_then(Value::as_bool) == Some(true)
}

/// Whether an operation, parameter or schema is marked `deprecated`.
fn is_deprecated(value: &Value) -> bool {
    flag(value, "deprecated")
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

    /// The rule of this direction: `request` or `response`.
    fn pick(self, request: Rule, response: Rule) -> Rule {
        match self {
            Direction::Request => request,
            Direction::Response => response,
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
    /// Reported where it now is, remembering where it was.
    Moved {
        old: &'p [String],
        new: &'p [String],
    },
}

/// The behaviour of a call once a required parameter or body is added: code
/// that compiled still compiles, and the call fails before sending.
const FAILS_BEFORE_SENDING: (Level, &str) = (
    Level::Breaking,
    "calls that worked fail before sending until it is set",
);

/// A change of behaviour of the generated client that its API does not show,
/// with how serious it is (see [`Diff::emit`]).
pub(super) type Behaviour = (Level, String);

struct Diff<'r, 'a> {
    old: &'r Revision<'a>,
    new: &'r Revision<'a>,
    mode: Mode,
    /// Changes by (rule, location, message), so that a schema reached by
    /// many operations is reported once.
    changes: BTreeMap<(Rule, String, String), Found>,
}

impl Diff<'_, '_> {
    /// Records a change of kind `rule` once per (rule, location, message),
    /// adding the context's operation to it, and returns it. `wire` is the
    /// judgement for callers of the HTTP API; `behaviour` a change of
    /// behaviour of the generated client that its API does not show (a call
    /// that now fails before sending, a method that calls another path), if
    /// the rule knows one. The Rust judgement itself comes from the
    /// generated code ([`link`](super::link)).
    fn emit(
        &mut self,
        ctx: &Context,
        rule: Rule,
        place: Place<'_>,
        message: impl Into<String>,
        wire: (Level, &str),
        behaviour: Option<(Level, &str)>,
    ) -> &mut Change {
        let (side, segments, was_at) = match place {
            Place::New(s) => (Side::New, s, None),
            Place::Old(s) => (Side::Old, s, None),
            Place::Moved { old, new } => (Side::New, new, Some(codegen::json_pointer(old))),
        };
        let revision = if side.is_first() { self.old } else { self.new };
        let location = codegen::json_pointer(segments);
        let message = message.into();
        let key = (rule, location.clone(), message.clone());
        let found = self.changes.entry(key).or_insert_with(|| {
            let change = Change {
                level: wire.0,
                id: rule.id().to_owned(),
                vendor: Some(ctx.vendor.clone()),
                operation: ctx.operation.clone(),
                operations: Vec::new(),
                line: revision.line(segments),
                location,
                side,
                message,
                wire: impact(wire.0, wire.1),
                // Set by `link` from the generated code.
                rust: None,
                semver: None,
                ignored: None,
            };
            Found {
                change,
                behaviour: behaviour.map(|(level, note)| (level, note.to_owned())),
                was_at,
            }
        });
        let change = &mut found.change;
        if let Some(operation) = &ctx.operation {
            change.add_operation(operation);
        }
        change
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn each_direction_picks_its_rule() {
        let pick = |d: Direction| d.pick(Rule::RequestPropertyAdded, Rule::ResponsePropertyAdded);
        assert_eq!(pick(Direction::Request).id(), "request-property-added");
        assert_eq!(pick(Direction::Response).id(), "response-property-added");
    }
}
