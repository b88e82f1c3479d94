//! Rules on the properties of an object schema, in requests and responses:
//! `request-property-*` and `response-property-*` — added, removed, became
//! required or optional, became nullable or not. Each property's own
//! schema goes back to `schemas`.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{At, Context, Diff, Direction, Place, Site, is_deprecated};
use crate::diff::Level::{Breaking, Info, Warning};
use crate::diff::revision::seg;
use crate::diff::rules::Rule;

impl Diff<'_, '_> {
    /// Compares the properties of an object schema; `owner` is the Rust
    /// type they belong to, if known.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn properties(
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
        for (name, o) in op {
            let (o_req, n_req) = (or.contains(name), nr.contains(name));
            let Some(n) = np.get(name) else {
                let wire = match (dir, o_req) {
                    (Direction::Request, _) => (Warning, "the server no longer reads it"),
                    (Direction::Response, _)
                        if is_deprecated(self.old.resolve(o, Vec::new()).1) =>
                    {
                        (
                            Warning,
                            "callers that read it find it missing; it was deprecated",
                        )
                    }
                    (Direction::Response, true) => {
                        (Breaking, "callers that read it find it missing")
                    }
                    (Direction::Response, false) => {
                        (Warning, "callers that read it find it missing")
                    }
                };
                self.emit(
                    ctx,
                    dir.pick(Rule::RequestPropertyRemoved, Rule::ResponsePropertyRemoved),
                    Place::Old(&seg(&here.old, &["properties", name])),
                    format!("{} was removed", of(name)),
                    wire,
                    None,
                );
                continue;
            };
            let place = seg(&here.new, &["properties", name]);
            if o_req != n_req {
                let (rule, became, wire) = match (n_req, dir) {
                    (true, Direction::Request) => (
                        Rule::RequestPropertyBecameRequired,
                        "required",
                        (Breaking, "requests without it are refused"),
                    ),
                    (true, Direction::Response) => (
                        Rule::ResponsePropertyBecameRequired,
                        "required",
                        (Info, "it is now always sent"),
                    ),
                    (false, Direction::Request) => (
                        Rule::RequestPropertyBecameOptional,
                        "optional",
                        (Info, "requests with it still work"),
                    ),
                    (false, Direction::Response) => (
                        Rule::ResponsePropertyBecameOptional,
                        "optional",
                        (
                            Breaking,
                            "callers that expect it fail on responses without it",
                        ),
                    ),
                };
                self.emit(
                    ctx,
                    rule,
                    Place::New(&place),
                    format!("{} became {became}", of(name)),
                    wire,
                    None,
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
            let required = if n_req { "required" } else { "optional" };
            self.emit(
                ctx,
                dir.pick(Rule::RequestPropertyAdded, Rule::ResponsePropertyAdded),
                Place::New(&seg(&here.new, &["properties", name])),
                format!("{} was added ({required})", of(name)),
                wire,
                None,
            );
        }
    }

    /// Compares `nullable` of a property; `what` names it.
    pub(super) fn nullable(
        &mut self,
        ctx: &Context,
        dir: Direction,
        what: &str,
        old: &Value,
        new: &Value,
        here: &At,
    ) {
        let nullable = |s: &Value| super::flag(s, "nullable");
        let (o, n) = (nullable(old), nullable(new));
        if o == n {
            return;
        }
        let (rule, message, wire) = match (dir, n) {
            (Direction::Request, true) => (
                Rule::RequestPropertyBecameNullable,
                "became nullable",
                (Info, "null is accepted too"),
            ),
            (Direction::Request, false) => (
                Rule::RequestPropertyBecameNotNullable,
                "is no longer nullable",
                (Breaking, "requests sending null are refused"),
            ),
            (Direction::Response, true) => (
                Rule::ResponsePropertyBecameNullable,
                "became nullable",
                (Breaking, "null may arrive where callers expect a value"),
            ),
            (Direction::Response, false) => (
                Rule::ResponsePropertyBecameNotNullable,
                "is no longer nullable",
                (Info, "null no longer arrives"),
            ),
        };
        self.emit(
            ctx,
            rule,
            Place::New(&seg(&here.new, &["nullable"])),
            format!("{what} {message}"),
            wire,
            None,
        );
    }
}
