//! Rules on enums (in a body, a parameter or a property):
//! `request-enum-*` and `response-enum-*` — a schema that became an enum or
//! stopped being one, an enum that became open (`x-open-enum`) or closed,
//! values added or removed.

use serde_json::Value;

use super::{At, Context, Diff, Direction, Mode, Place};
use crate::codegen;
use crate::diff::Level::{Breaking, Info, Warning};
use crate::diff::rules::Rule;

impl Diff<'_, '_> {
    /// Compares the enum values of a schema; `what` names its place of use.
    pub(super) fn enums(
        &mut self,
        ctx: &Context,
        dir: Direction,
        what: &str,
        old: &Value,
        new: &Value,
        here: &At,
    ) {
        let (o, n) = (
            codegen::enum_values(self.old.root(), old),
            codegen::enum_values(self.new.root(), new),
        );
        let open = |s: &Value| super::flag(s, "x-open-enum");
        let (old_open, new_open) = (open(old), open(new));
        // Whether the client of the first document reads a value its enum
        // does not list. In a drift that is ours to decide: the vendor's
        // definition never says how our code reads its values.
        let reads_unknown = match self.mode {
            Mode::Revisions => new_open,
            Mode::Drift => old_open,
        };
        let (Some(o), Some(n)) = (&o, &n) else {
            if o.is_some() != n.is_some() {
                let became = if n.is_some() {
                    "became an enum"
                } else {
                    "is no longer an enum"
                };
                let wire = match (dir, n.is_some()) {
                    // A parameter or request value that gains an enum
                    // refuses the values it took beyond the list.
                    (Direction::Request, true) => (
                        Breaking,
                        "requests with a value it does not list are refused",
                    ),
                    (Direction::Request, false) => {
                        (Info, "the server accepts any value of the type")
                    }
                    (Direction::Response, _) if self.mode == Mode::Revisions => {
                        (Warning, "the set of accepted values changes")
                    }
                    // Drift: the vendor lists values, ours reads any.
                    (Direction::Response, true) => (Info, "the server says which values it sends"),
                    (Direction::Response, false) if reads_unknown => (
                        Info,
                        "the server may send any value; ours reads one it does not list as unknown (`Other`)",
                    ),
                    (Direction::Response, false) => (
                        Breaking,
                        "the server may send any value; ours fails to read one its closed enum does not list",
                    ),
                };
                self.emit(
                    ctx,
                    dir.pick(
                        Rule::RequestEnumConstraintChanged,
                        Rule::ResponseEnumConstraintChanged,
                    ),
                    Place::New(&here.new),
                    format!("{what} {became}"),
                    wire,
                    None,
                );
            }
            return;
        };
        if self.mode == Mode::Revisions && old_open != new_open {
            let (rule, message, wire) = if new_open {
                (
                    dir.pick(Rule::RequestEnumBecameOpen, Rule::ResponseEnumBecameOpen),
                    "became an open enum",
                    (Info, "the json is unchanged"),
                )
            } else {
                (
                    dir.pick(
                        Rule::RequestEnumBecameClosed,
                        Rule::ResponseEnumBecameClosed,
                    ),
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
                ctx,
                rule,
                Place::New(&here.new),
                format!("{what} {message}"),
                wire,
                None,
            );
        }
        for value in n.iter().filter(|v| !o.contains(v)) {
            let wire = match (dir, reads_unknown) {
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
            self.emit(
                ctx,
                dir.pick(Rule::RequestEnumValueAdded, Rule::ResponseEnumValueAdded),
                Place::New(&here.new),
                format!("{what} gained the value `{value}`"),
                wire,
                None,
            );
        }
        for value in o.iter().filter(|v| !n.contains(v)) {
            let wire = match dir {
                Direction::Request => (Breaking, "requests with this value are refused"),
                Direction::Response => (Info, "the server no longer sends it"),
            };
            self.emit(
                ctx,
                dir.pick(
                    Rule::RequestEnumValueRemoved,
                    Rule::ResponseEnumValueRemoved,
                ),
                Place::New(&here.new),
                format!("{what} lost the value `{value}`"),
                wire,
                None,
            );
        }
    }
}
