//! Rules on a schema at a place of use (a body, a parameter, a property):
//! `schema-renamed`, `schema-moved-inline`, `schema-moved-to-components`,
//! the type changes (`parameter-type-changed`, `request-body-type-changed`,
//! `response-body-type-changed`, `request-property-type-changed`,
//! `response-property-type-changed`, `error-schema-changed`). Flattens
//! `allOf` first, recurses into array items, and hands on to `properties`,
//! `enums`, `constraints` and `composition` (`oneOf` / `anyOf` variants,
//! `additionalProperties`).

use serde_json::Value;

use super::{At, Context, Diff, Direction, Mode, Place, Site, composition};
use crate::codegen;
use crate::diff::Level::{Breaking, Info};
use crate::diff::rules::Rule;

impl Diff<'_, '_> {
    /// Compares a schema at a place of use, recursing into properties and
    /// items. `owner` is the Rust type the place belongs to, if known.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn schema(
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
        // An `allOf` is compared as the one schema it stands for.
        let (old_flat, new_flat) = (
            composition::flatten_all_of(self.old, old),
            composition::flatten_all_of(self.new, new),
        );
        let (old, new) = (
            old_flat.as_ref().unwrap_or(old),
            new_flat.as_ref().unwrap_or(new),
        );
        let here = At {
            old: old_at,
            new: new_at,
        };
        let names_type = |root: &Value, s: &Value| {
            s.get("properties").is_some()
                || s.get("type").and_then(Value::as_str) == Some("object")
                || codegen::enum_values(root, s).is_some()
        };
        // Named as the generator names the component in the vendor's module.
        let short = |name: &Option<String>| {
            name.as_deref()
                .map(|n| codegen::short_type_name(&ctx.vendor, n).to_owned())
        };
        if self.mode == Mode::Revisions
            && short(&old_name) != short(&new_name)
            && (names_type(self.old.root(), old) || names_type(self.new.root(), new))
        {
            let (rule, message) = match (&old_name, &new_name) {
                (Some(o), Some(n)) => (
                    Rule::SchemaRenamed,
                    format!("schema `{o}` was replaced by `{n}`"),
                ),
                (Some(o), None) => (
                    Rule::SchemaMovedInline,
                    format!("schema `{o}` was written inline"),
                ),
                (None, Some(n)) => (
                    Rule::SchemaMovedToComponents,
                    format!("an inline schema became the component `{n}`"),
                ),
                (None, None) => unreachable!("the names differ"),
            };
            // A renamed component is reported once, where it now is.
            self.emit(
                ctx,
                rule,
                Place::Moved {
                    old: &here.old,
                    new: &here.new,
                },
                message,
                (Info, "the json is unchanged by the rename itself"),
                None,
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
        let what = describe_site(dir, site, owner);
        let (old_type, new_type) = (type_sig(old), type_sig(new));
        if old_type != new_type {
            let rule = match site {
                Site::Body => dir.pick(Rule::RequestBodyTypeChanged, Rule::ResponseBodyTypeChanged),
                Site::ErrorBody => Rule::ErrorSchemaChanged,
                Site::Property { .. } => dir.pick(
                    Rule::RequestPropertyTypeChanged,
                    Rule::ResponsePropertyTypeChanged,
                ),
                Site::Parameter { .. } => Rule::ParameterTypeChanged,
            };
            let (old_base, new_base) = (base_type(old), base_type(new));
            let wire = if old_base == new_base {
                format_change(dir, old_base, format(old), format(new))
            } else {
                (Breaking, "values of the old type are refused or misread")
            };
            self.emit(
                ctx,
                rule,
                Place::New(&here.new),
                format!("{what} changed type from {old_type} to {new_type}"),
                wire,
                None,
            );
            if old_base != new_base {
                return;
            }
        }
        if matches!(site, Site::Property { .. }) {
            self.nullable(ctx, dir, &what, old, new, here);
        }
        self.enums(ctx, dir, &what, old, new, here);
        let is_property = matches!(site, Site::Property { .. });
        self.constraints(ctx, dir, &what, is_property, old, new, here);
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
        self.variants(ctx, dir, site, owner, &what, old, new, here, stack);
        self.additional_properties(ctx, dir, &what, old, new, here);
    }
}

/// `string (uuid)`, `integer (int64)`, `array`, `object`, ...
fn type_sig(s: &Value) -> String {
    let ty = base_type(s);
    match format(s) {
        Some(f) => format!("{ty} ({f})"),
        None => ty.to_owned(),
    }
}

/// `string`, `integer`, `array`, `object`, ..., `any`: the type without
/// its format.
fn base_type(s: &Value) -> &str {
    match s.get("type").and_then(Value::as_str) {
        Some(t) => t,
        None if s.get("properties").is_some() => "object",
        None if s.get("items").is_some() => "array",
        None => "any",
    }
}

/// The schema's `format`, if any.
fn format(s: &Value) -> Option<&str> {
    s.get("format").and_then(Value::as_str)
}

/// String formats the generated code checks when it reads a value (typify
/// gives them a type that parses: `Uuid`, `chrono` dates, IP addresses);
/// any other format is read as a `String`.
const CHECKED_FORMATS: [&str; 6] = ["uuid", "date-time", "date", "ip", "ipv4", "ipv6"];

/// The bits of an integer format (`int32` → 32); no format reads as a
/// 64-bit integer, as typify generates it. `None` for another format.
fn integer_bits(format: Option<&str>) -> Option<u8> {
    match format {
        None | Some("int64") => Some(64),
        Some("int32") => Some(32),
        Some("int16") => Some(16),
        Some("int8") => Some(8),
        _ => None,
    }
}

/// The wire judgement of a value of one type whose `format` changed from
/// `old` to `new`, for the client of the old document talking to a server
/// of the new. A request is refused when the server's format takes less
/// than the client sends; a response fails to read when the client checks
/// a format (or an integer width) the server no longer promises.
fn format_change(
    dir: Direction,
    ty: &str,
    old: Option<&str>,
    new: Option<&str>,
) -> (crate::diff::Level, &'static str) {
    use crate::diff::Level::Info;
    if ty == "integer"
        && let (Some(old_bits), Some(new_bits)) = (integer_bits(old), integer_bits(new))
    {
        let narrower = match dir {
            Direction::Request => new_bits < old_bits,
            Direction::Response => old_bits < new_bits,
        };
        return match (dir, narrower) {
            (_, false) => (Info, "every value still fits"),
            (Direction::Request, true) => {
                (Breaking, "values beyond the server's width are refused")
            }
            (Direction::Response, true) => {
                (Breaking, "values beyond the client's width fail to read")
            }
        };
    }
    if ty != "string" {
        return (
            Info,
            "the format is a hint; the values are of the same type",
        );
    }
    match dir {
        Direction::Request if new.is_none() => (Info, "the server takes any string"),
        Direction::Request => (
            Breaking,
            "the server takes only values of its format; values in another form are refused",
        ),
        Direction::Response => match old {
            Some(checked) if CHECKED_FORMATS.contains(&checked) => (
                Breaking,
                "the client reads values of its format and fails on values in another form",
            ),
            Some(_) => (Info, "the client does not check its format"),
            None => (Info, "the client reads any string"),
        },
    }
}

/// How the messages name a place of use: `the request body`, `parameter
/// `x``, `response property `y` of `Z``, ...
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
    fn a_format_change_breaks_what_the_other_side_checks() {
        use crate::diff::Level::Info;
        use Direction::{Request, Response};
        let level = |dir, ty, old, new| format_change(dir, ty, old, new).0;
        // The server stops checking: fine; starts checking: refused.
        assert_eq!(level(Request, "string", Some("uuid"), None), Info);
        assert_eq!(level(Request, "string", None, Some("uuid")), Breaking);
        assert_eq!(
            level(Request, "string", Some("email"), Some("uuid")),
            Breaking
        );
        // The client checks uuids and dates, not emails.
        assert_eq!(level(Response, "string", Some("uuid"), None), Breaking);
        assert_eq!(
            level(Response, "string", Some("date-time"), Some("date")),
            Breaking
        );
        assert_eq!(level(Response, "string", Some("email"), None), Info);
        assert_eq!(level(Response, "string", None, Some("uuid")), Info);
        // Integer widths: no format is 64 bits.
        assert_eq!(
            level(Request, "integer", Some("int64"), Some("int32")),
            Breaking
        );
        assert_eq!(level(Request, "integer", Some("int32"), None), Info);
        assert_eq!(
            level(Response, "integer", Some("int32"), Some("int64")),
            Breaking
        );
        assert_eq!(level(Response, "integer", None, Some("int32")), Info);
        assert_eq!(
            level(Response, "number", Some("float"), Some("double")),
            Info
        );
    }

    #[test]
    fn type_signatures_include_the_format() {
        let sig = |s: &str| type_sig(&serde_json::from_str(s).unwrap());
        assert_eq!(sig(r#"{"type":"string","format":"uuid"}"#), "string (uuid)");
        assert_eq!(sig(r#"{"properties":{}}"#), "object");
        assert_eq!(sig(r#"{"items":{}}"#), "array");
        assert_eq!(sig(r#"{}"#), "any");
    }
}
