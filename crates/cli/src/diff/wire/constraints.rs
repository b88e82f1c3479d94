//! Rules for what a schema allows beyond its type: length, range, item
//! count, uniqueness, pattern and `multipleOf` limits; `default`;
//! `readOnly` / `writeOnly`; `deprecated` on properties and parameters.
//!
//! A limit is judged by which way it moves, per direction, as oasdiff does:
//! a request limit that is *tightened* refuses requests that were valid
//! (breaking); a response limit that is *loosened* lets through values the
//! old limit forbade, which clients generated from the old document refuse
//! where their types check that limit (breaking) and otherwise only did not
//! expect (warning, the note says why it is not checked, see [`Checked`]);
//! the other two are harmless. A limit added is tightened from "none", one
//! removed is loosened to "none". A changed `pattern` (or a `multipleOf`
//! that is neither a multiple nor a divisor of the old one) cannot be
//! ordered: in a request it is a warning; in a response it is judged as a
//! loosened limit, since it too lets through values the old one forbade.

use serde_json::Value;

use super::{At, Context, Diff, Direction, Place, flag, is_deprecated, key_place};
use crate::diff::Level::{Breaking, Info, Warning};
use crate::diff::revision::seg;
use crate::diff::rules::Rule;

/// Which way a limit restricts.
#[derive(Clone, Copy)]
enum Kind {
    /// A maximum (`maxLength`, `maximum`, `maxItems`); `exclusive` names its
    /// OpenAPI 3.0 boolean companion, if it has one.
    Upper { exclusive: Option<&'static str> },
    /// A minimum (`minLength`, `minimum`, `minItems`); `floor` is what its
    /// absence means (0 for lengths and counts).
    Lower {
        exclusive: Option<&'static str>,
        floor: f64,
    },
    /// `uniqueItems: true` restricts.
    Flag,
    /// `pattern`: added, removed or changed.
    Pattern,
    /// `multipleOf`: a multiple of the old value restricts, a divisor frees.
    MultipleOf,
}

/// Whether clients generated from the document check a limit when they
/// read a value, as typify 0.8 (through progenitor 0.15) generates them:
/// read in typify's `convert_string`, `convert_integer`, `convert_number`
/// and `convert_array`, and tried by deserializing values outside each
/// limit with the generated types. A typify upgrade may change it.
#[derive(Clone, Copy)]
enum Checked {
    /// `maxLength`, `minLength`, `pattern`: a string (`type: string` or no
    /// `type`) with one becomes a newtype whose `Deserialize` checks it, in
    /// a property, an item, a map value, a `oneOf` variant or behind
    /// `nullable`; an enum drops the values outside it. Not checked where
    /// [`string_limits_unchecked`] says.
    OnStrings,
    /// Not checked; the wire note says why.
    Never(&'static str),
}

/// One limit: its key, how it restricts, whether generated clients check
/// it, its rules (request tightened, request loosened, response tightened,
/// response loosened) and, for limits that cannot always be ordered, its
/// "changed" rules.
struct Limit {
    key: &'static str,
    kind: Kind,
    checked: Checked,
    rules: [Rule; 4],
    changed: Option<[Rule; 2]>,
}

/// Why generated clients do not check number bounds.
const NUMBER_UNCHECKED: &str = "callers may receive values outside the old limit; the generated \
     client does not check it (typify reads a plain integer or float), unless the bounds chose the \
     integer type (a `NonZero` type for a minimum of 1; without a `format`, the rust type whose \
     whole range they are, such as `u64` for a minimum of 0), a type change the rust judgement shows";

/// Why generated clients do not check item counts.
const ITEMS_UNCHECKED: &str = "callers may receive values outside the old limit; the generated \
     client does not check it (typify reads a `Vec`), unless `minItems` equals `maxItems` (a \
     fixed-size array), a type change the rust judgement shows";

const LIMITS: &[Limit] = &[
    Limit {
        key: "maxLength",
        kind: Kind::Upper { exclusive: None },
        checked: Checked::OnStrings,
        rules: [
            Rule::RequestMaxLengthTightened,
            Rule::RequestMaxLengthLoosened,
            Rule::ResponseMaxLengthTightened,
            Rule::ResponseMaxLengthLoosened,
        ],
        changed: None,
    },
    Limit {
        key: "minLength",
        kind: Kind::Lower {
            exclusive: None,
            floor: 0.0,
        },
        checked: Checked::OnStrings,
        rules: [
            Rule::RequestMinLengthTightened,
            Rule::RequestMinLengthLoosened,
            Rule::ResponseMinLengthTightened,
            Rule::ResponseMinLengthLoosened,
        ],
        changed: None,
    },
    Limit {
        key: "maximum",
        kind: Kind::Upper {
            exclusive: Some("exclusiveMaximum"),
        },
        checked: Checked::Never(NUMBER_UNCHECKED),
        rules: [
            Rule::RequestMaximumTightened,
            Rule::RequestMaximumLoosened,
            Rule::ResponseMaximumTightened,
            Rule::ResponseMaximumLoosened,
        ],
        changed: None,
    },
    Limit {
        key: "minimum",
        kind: Kind::Lower {
            exclusive: Some("exclusiveMinimum"),
            floor: f64::NEG_INFINITY,
        },
        checked: Checked::Never(NUMBER_UNCHECKED),
        rules: [
            Rule::RequestMinimumTightened,
            Rule::RequestMinimumLoosened,
            Rule::ResponseMinimumTightened,
            Rule::ResponseMinimumLoosened,
        ],
        changed: None,
    },
    Limit {
        key: "maxItems",
        kind: Kind::Upper { exclusive: None },
        checked: Checked::Never(ITEMS_UNCHECKED),
        rules: [
            Rule::RequestMaxItemsTightened,
            Rule::RequestMaxItemsLoosened,
            Rule::ResponseMaxItemsTightened,
            Rule::ResponseMaxItemsLoosened,
        ],
        changed: None,
    },
    Limit {
        key: "minItems",
        kind: Kind::Lower {
            exclusive: None,
            floor: 0.0,
        },
        checked: Checked::Never(ITEMS_UNCHECKED),
        rules: [
            Rule::RequestMinItemsTightened,
            Rule::RequestMinItemsLoosened,
            Rule::ResponseMinItemsTightened,
            Rule::ResponseMinItemsLoosened,
        ],
        changed: None,
    },
    Limit {
        key: "uniqueItems",
        kind: Kind::Flag,
        checked: Checked::Never(
            "callers may receive values outside the old limit; the generated client does not check it (typify reads a `Vec`, not a set)",
        ),
        rules: [
            Rule::RequestUniqueItemsTightened,
            Rule::RequestUniqueItemsLoosened,
            Rule::ResponseUniqueItemsTightened,
            Rule::ResponseUniqueItemsLoosened,
        ],
        changed: None,
    },
    Limit {
        key: "pattern",
        kind: Kind::Pattern,
        checked: Checked::OnStrings,
        rules: [
            Rule::RequestPatternTightened,
            Rule::RequestPatternLoosened,
            Rule::ResponsePatternTightened,
            Rule::ResponsePatternLoosened,
        ],
        changed: Some([Rule::RequestPatternChanged, Rule::ResponsePatternChanged]),
    },
    Limit {
        key: "multipleOf",
        kind: Kind::MultipleOf,
        checked: Checked::Never(
            "callers may receive values outside the old limit; the generated client does not check `multipleOf`",
        ),
        rules: [
            Rule::RequestMultipleOfTightened,
            Rule::RequestMultipleOfLoosened,
            Rule::ResponseMultipleOfTightened,
            Rule::ResponseMultipleOfLoosened,
        ],
        changed: Some([
            Rule::RequestMultipleOfChanged,
            Rule::ResponseMultipleOfChanged,
        ]),
    },
];

/// How a limit moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Move {
    Tightened,
    Loosened,
    Changed,
}

/// How the limit `key` of `kind` moved from `old` to `new` (`None`: it did
/// not). Pure: the schemas' own values only.
fn movement(kind: Kind, key: &str, old: &Value, new: &Value) -> Option<Move> {
    let number = |s: &Value| s.get(key).and_then(Value::as_f64);
    match kind {
        Kind::Upper { exclusive } => {
            let bound = |s: &Value| {
                (
                    number(s).unwrap_or(f64::INFINITY),
                    exclusive.is_some_and(|k| flag(s, k)),
                )
            };
            let ((o, oe), (n, ne)) = (bound(old), bound(new));
            // Lower is tighter; at the same value, exclusive is tighter.
            order(
                n < o || (n == o && ne && !oe),
                o < n || (n == o && oe && !ne),
            )
        }
        Kind::Lower { exclusive, floor } => {
            let bound = |s: &Value| {
                (
                    number(s).unwrap_or(floor),
                    exclusive.is_some_and(|k| flag(s, k)),
                )
            };
            let ((o, oe), (n, ne)) = (bound(old), bound(new));
            order(
                n > o || (n == o && ne && !oe),
                o > n || (n == o && oe && !ne),
            )
        }
        Kind::Flag => order(
            flag(new, key) && !flag(old, key),
            flag(old, key) && !flag(new, key),
        ),
        Kind::Pattern => match (old.get(key), new.get(key)) {
            (None, Some(_)) => Some(Move::Tightened),
            (Some(_), None) => Some(Move::Loosened),
            (Some(o), Some(n)) if o != n => Some(Move::Changed),
            _ => None,
        },
        Kind::MultipleOf => match (number(old), number(new)) {
            (None, Some(_)) => Some(Move::Tightened),
            (Some(_), None) => Some(Move::Loosened),
            (Some(o), Some(n)) if o != n => {
                let divides = |a: f64, b: f64| a != 0.0 && (b / a).fract() == 0.0;
                if divides(o, n) {
                    Some(Move::Tightened)
                } else if divides(n, o) {
                    Some(Move::Loosened)
                } else {
                    Some(Move::Changed)
                }
            }
            _ => None,
        },
    }
}

/// The value of `key` in a schema for messages, `none` when absent.
fn shown(schema: &Value, key: &str) -> String {
    schema
        .get(key)
        .map(Value::to_string)
        .unwrap_or_else(|| "none".to_owned())
}

fn order(tightened: bool, loosened: bool) -> Option<Move> {
    match (tightened, loosened) {
        (true, _) => Some(Move::Tightened),
        (_, true) => Some(Move::Loosened),
        _ => None,
    }
}

/// Why clients generated from `schema` do not check its string limits
/// (`maxLength`, `minLength`, `pattern`), or `None` when they do.
fn string_limits_unchecked(schema: &Value) -> Option<&'static str> {
    if flag(schema, "x-open-enum") {
        return Some(
            "callers may receive values outside the old limit; the generated client does not check it (an open enum keeps any string)",
        );
    }
    let format = schema.get("format").and_then(Value::as_str);
    if matches!(
        format,
        Some("uuid" | "date" | "date-time" | "ip" | "ipv4" | "ipv6")
    ) {
        return Some(
            "callers may receive values outside the old limit; the generated client does not check it (typify reads a string of this `format` as its own rust type and ignores the limit)",
        );
    }
    match schema.get("type").and_then(Value::as_str) {
        None | Some("string") => None,
        Some(_) => Some(
            "callers may receive values outside the old limit; the generated client does not check it (typify reads string limits on strings only)",
        ),
    }
}

/// The wire judgement of a move of `limit`, per direction; `old` is the
/// schema clients of the old document were generated from.
fn judgement(
    dir: Direction,
    movement: Move,
    limit: &Limit,
    old: &Value,
) -> (crate::diff::Level, &'static str) {
    match (dir, movement) {
        (Direction::Request, Move::Tightened) => {
            (Breaking, "requests that were valid may now be refused")
        }
        (Direction::Request, Move::Loosened) => (Info, "more requests are accepted"),
        (Direction::Request, Move::Changed) => (
            Warning,
            "the set of allowed values changes both ways; read the new constraint",
        ),
        (Direction::Response, Move::Tightened) => {
            (Info, "responses stay within what callers expected")
        }
        // A changed limit lets through values the old one forbade, too.
        (Direction::Response, Move::Loosened | Move::Changed) => {
            let unchecked = match limit.checked {
                Checked::OnStrings => string_limits_unchecked(old),
                Checked::Never(why) => Some(why),
            };
            match unchecked {
                Some(why) => (Warning, why),
                None => (
                    Breaking,
                    "clients of the old document fail to read responses with values outside the old limit (their generated type checks it)",
                ),
            }
        }
    }
}

impl Diff<'_, '_> {
    /// Compares the limits, `default` and, for properties, `readOnly`,
    /// `writeOnly` and `deprecated` of a schema at a place of use; `what`
    /// names the place.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn constraints(
        &mut self,
        ctx: &Context,
        dir: Direction,
        what: &str,
        is_property: bool,
        old: &Value,
        new: &Value,
        here: &At,
    ) {
        let place = |key: &str| key_place(new, here, key);
        for limit in LIMITS {
            let Some(moved) = movement(limit.kind, limit.key, old, new) else {
                continue;
            };
            let [req_tight, req_loose, resp_tight, resp_loose] = limit.rules;
            let rule = match (moved, limit.changed) {
                (Move::Tightened, _) => dir.pick(req_tight, resp_tight),
                (Move::Loosened, _) => dir.pick(req_loose, resp_loose),
                (Move::Changed, Some([req, resp])) => dir.pick(req, resp),
                (Move::Changed, None) => continue,
            };
            let show = |s: &Value| shown(s, limit.key);
            self.emit(
                ctx,
                rule,
                Place::New(&place(limit.key)),
                format!(
                    "`{}` of {what} changed from {} to {}",
                    limit.key,
                    show(old),
                    show(new)
                ),
                judgement(dir, moved, limit, old),
                None,
            );
        }
        if old.get("default") != new.get("default") {
            let show = |s: &Value| shown(s, "default");
            self.emit(
                ctx,
                dir.pick(Rule::RequestDefaultChanged, Rule::ResponseDefaultChanged),
                Place::New(&place("default")),
                format!(
                    "the default of {what} changed from {} to {}",
                    show(old),
                    show(new)
                ),
                match dir {
                    Direction::Request => (
                        Warning,
                        "a request that leaves it out now means something else",
                    ),
                    Direction::Response => (Info, "responses carry what the server sends"),
                },
                None,
            );
        }
        if is_property {
            self.access(ctx, dir, what, old, new, here);
        }
    }

    /// `readOnly`, `writeOnly` and `deprecated` of a property.
    fn access(
        &mut self,
        ctx: &Context,
        dir: Direction,
        what: &str,
        old: &Value,
        new: &Value,
        here: &At,
    ) {
        let changes = [
            (
                Direction::Request,
                "readOnly",
                "read-only",
                Rule::RequestPropertyBecameReadOnly,
                Rule::RequestPropertyNoLongerReadOnly,
                (
                    Warning,
                    "the server ignores it in requests, or refuses requests that send it",
                ),
            ),
            (
                Direction::Response,
                "writeOnly",
                "write-only",
                Rule::ResponsePropertyBecameWriteOnly,
                Rule::ResponsePropertyNoLongerWriteOnly,
                (Breaking, "responses no longer carry it"),
            ),
        ];
        for (direction, key, noun, became, no_longer, wire) in changes {
            if direction != dir || flag(old, key) == flag(new, key) {
                continue;
            }
            if flag(new, key) {
                let at = seg(&here.new, &[key]);
                self.emit(
                    ctx,
                    became,
                    Place::New(&at),
                    format!("{what} became {noun}"),
                    wire,
                    None,
                );
            } else {
                self.emit(
                    ctx,
                    no_longer,
                    Place::New(&here.new),
                    format!("{what} is no longer {noun}"),
                    (Info, "it travels this way again"),
                    None,
                );
            }
        }
        if is_deprecated(old) != is_deprecated(new) {
            let deprecated = is_deprecated(new);
            let rule = match (dir, deprecated) {
                (Direction::Request, true) => Rule::RequestPropertyDeprecated,
                (Direction::Request, false) => Rule::RequestPropertyUndeprecated,
                (Direction::Response, true) => Rule::ResponsePropertyDeprecated,
                (Direction::Response, false) => Rule::ResponsePropertyUndeprecated,
            };
            let (message, wire) = if deprecated {
                (
                    "is deprecated",
                    (Warning, "it may be removed; stop relying on it"),
                )
            } else {
                ("is no longer deprecated", (Info, "it stays"))
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn moved(kind: Kind, key: &str, old: Value, new: Value) -> Option<Move> {
        movement(kind, key, &old, &new)
    }

    #[test]
    fn an_upper_limit_added_or_lowered_is_tightened() {
        let upper = Kind::Upper {
            exclusive: Some("exclusiveMaximum"),
        };
        assert_eq!(
            moved(upper, "maximum", json!({}), json!({"maximum": 5})),
            Some(Move::Tightened)
        );
        assert_eq!(
            moved(
                upper,
                "maximum",
                json!({"maximum": 5}),
                json!({"maximum": 9})
            ),
            Some(Move::Loosened)
        );
        assert_eq!(
            moved(upper, "maximum", json!({"maximum": 5}), json!({})),
            Some(Move::Loosened)
        );
        assert_eq!(
            moved(
                upper,
                "maximum",
                json!({"maximum": 5}),
                json!({"maximum": 5, "exclusiveMaximum": true})
            ),
            Some(Move::Tightened)
        );
        assert_eq!(
            moved(
                upper,
                "maximum",
                json!({"maximum": 5}),
                json!({"maximum": 5})
            ),
            None
        );
    }

    #[test]
    fn a_lower_limit_counts_from_its_floor() {
        let length = Kind::Lower {
            exclusive: None,
            floor: 0.0,
        };
        assert_eq!(
            moved(length, "minLength", json!({}), json!({"minLength": 0})),
            None
        );
        assert_eq!(
            moved(length, "minLength", json!({}), json!({"minLength": 1})),
            Some(Move::Tightened)
        );
        assert_eq!(
            moved(
                length,
                "minLength",
                json!({"minLength": 3}),
                json!({"minLength": 1})
            ),
            Some(Move::Loosened)
        );
    }

    #[test]
    fn flags_patterns_and_multiples() {
        assert_eq!(
            moved(
                Kind::Flag,
                "uniqueItems",
                json!({}),
                json!({"uniqueItems": true})
            ),
            Some(Move::Tightened)
        );
        assert_eq!(
            moved(
                Kind::Flag,
                "uniqueItems",
                json!({"uniqueItems": true}),
                json!({"uniqueItems": false})
            ),
            Some(Move::Loosened)
        );
        assert_eq!(
            moved(
                Kind::Pattern,
                "pattern",
                json!({"pattern": "a"}),
                json!({"pattern": "b"})
            ),
            Some(Move::Changed)
        );
        assert_eq!(
            moved(
                Kind::MultipleOf,
                "multipleOf",
                json!({"multipleOf": 2}),
                json!({"multipleOf": 4})
            ),
            Some(Move::Tightened)
        );
        assert_eq!(
            moved(
                Kind::MultipleOf,
                "multipleOf",
                json!({"multipleOf": 4}),
                json!({"multipleOf": 2})
            ),
            Some(Move::Loosened)
        );
        assert_eq!(
            moved(
                Kind::MultipleOf,
                "multipleOf",
                json!({"multipleOf": 2}),
                json!({"multipleOf": 3})
            ),
            Some(Move::Changed)
        );
    }

    /// The limit of `key` in [`LIMITS`].
    fn limit(key: &str) -> &'static Limit {
        LIMITS.iter().find(|l| l.key == key).unwrap()
    }

    #[test]
    fn a_request_tightened_breaks_and_a_response_tightened_is_harmless() {
        let level = |dir, moved| judgement(dir, moved, limit("maximum"), &json!({})).0;
        assert_eq!(level(Direction::Request, Move::Tightened), Breaking);
        assert_eq!(level(Direction::Request, Move::Loosened), Info);
        assert_eq!(level(Direction::Request, Move::Changed), Warning);
        assert_eq!(level(Direction::Response, Move::Tightened), Info);
    }

    #[test]
    fn a_response_loosened_breaks_where_the_generated_type_checks_the_limit() {
        let level =
            |key, moved, old: Value| judgement(Direction::Response, moved, limit(key), &old).0;
        let string = json!({"type": "string", "maxLength": 5});
        assert_eq!(level("maxLength", Move::Loosened, string.clone()), Breaking);
        assert_eq!(level("minLength", Move::Loosened, string.clone()), Breaking);
        assert_eq!(level("pattern", Move::Loosened, string.clone()), Breaking);
        assert_eq!(level("pattern", Move::Changed, string), Breaking);
        assert_eq!(
            level("pattern", Move::Loosened, json!({"pattern": "^a"})),
            Breaking
        );
        // A string typify reads as its own type, an open enum, a number.
        let uuid = json!({"type": "string", "format": "uuid", "maxLength": 36});
        assert_eq!(level("maxLength", Move::Loosened, uuid), Warning);
        let open = json!({"type": "string", "x-open-enum": true, "maxLength": 3});
        assert_eq!(level("maxLength", Move::Loosened, open), Warning);
        let integer = json!({"type": "integer", "maxLength": 2});
        assert_eq!(level("maxLength", Move::Loosened, integer), Warning);
        // Limits typify does not check.
        for key in ["maximum", "minimum", "maxItems", "minItems", "uniqueItems"] {
            assert_eq!(level(key, Move::Loosened, json!({})), Warning, "{key}");
        }
        assert_eq!(level("multipleOf", Move::Changed, json!({})), Warning);
    }
}
