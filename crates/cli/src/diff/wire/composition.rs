//! Rules on composed schemas: `allOf` is flattened into one schema before
//! the comparison (so splitting an object into parts changes nothing), the
//! variants of `oneOf` / `anyOf` are matched (by component name, else by
//! their JSON) and judged per direction, and `additionalProperties` is
//! judged by how much it lets through.

use serde_json::{Map, Value};

use super::{At, Context, Diff, Direction, Place, Site, key_place};
use crate::diff::Level::{Breaking, Info, Warning};
use crate::diff::revision::{Revision, seg};
use crate::diff::rules::Rule;

/// The schema an `allOf` stands for: its members (references followed,
/// their own `allOf`s flattened) merged with the keys beside it, properties
/// and `required` united. `None` when there is no `allOf` to flatten.
pub(super) fn flatten_all_of(revision: &Revision<'_>, schema: &Value) -> Option<Value> {
    let members = schema.get("allOf")?.as_array()?;
    let mut out: Map<String, Value> = schema
        .as_object()?
        .iter()
        .filter(|(k, _)| k.as_str() != "allOf")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for member in members {
        let (_, member, _) = revision.resolve(member, Vec::new());
        let flat = flatten_all_of(revision, member);
        let Some(member) = flat.as_ref().unwrap_or(member).as_object() else {
            continue;
        };
        for (key, value) in member {
            match (key.as_str(), out.get_mut(key)) {
                ("properties", Some(Value::Object(mine))) => {
                    if let Value::Object(theirs) = value {
                        for (name, property) in theirs {
                            mine.insert(name.clone(), property.clone());
                        }
                    }
                }
                ("required", Some(Value::Array(mine))) => {
                    for name in value.as_array().into_iter().flatten() {
                        if !mine.contains(name) {
                            mine.push(name.clone());
                        }
                    }
                }
                (_, Some(_)) => {}
                (_, None) => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
    }
    if out.contains_key("properties") && !out.contains_key("type") {
        out.insert("type".to_owned(), Value::String("object".to_owned()));
    }
    Some(Value::Object(out))
}

/// How much `additionalProperties` lets through: 2 anything (absent or
/// `true`), 1 values of a schema, 0 nothing (`false`).
fn openness(schema: &Value) -> u8 {
    match schema.get("additionalProperties") {
        None | Some(Value::Bool(true)) => 2,
        Some(Value::Bool(false)) => 0,
        Some(_) => 1,
    }
}

/// A variant's identity: the component it names, else its JSON.
fn variant_key(variant: &Value) -> String {
    match variant.get("$ref").and_then(Value::as_str) {
        Some(target) => target.rsplit('/').next().unwrap_or(target).to_owned(),
        None => variant.to_string(),
    }
}

impl Diff<'_, '_> {
    /// Compares the `oneOf` and `anyOf` variants of a schema (not of an open
    /// enum, whose `anyOf` is its enum): one added to a request or removed
    /// from a response is harmless; one removed from a request refuses
    /// requests that used it, one added to a response is a value old
    /// clients cannot read. Variants in both are compared in turn.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn variants(
        &mut self,
        ctx: &Context,
        dir: Direction,
        site: Site<'_>,
        owner: &str,
        what: &str,
        old: &Value,
        new: &Value,
        here: &At,
        stack: &mut Vec<(String, String)>,
    ) {
        let open = |s: &Value| super::flag(s, "x-open-enum");
        if open(old) || open(new) {
            return;
        }
        for key in ["oneOf", "anyOf"] {
            let list = |s: &Value| -> Vec<(usize, Value)> {
                s.get(key)
                    .and_then(Value::as_array)
                    .map(|v| v.iter().cloned().enumerate().collect())
                    .unwrap_or_default()
            };
            let (o, n) = (list(old), list(new));
            for (j, variant) in &n {
                let name = variant_key(variant);
                match o.iter().find(|(_, v)| variant_key(v) == name) {
                    Some((i, before)) => {
                        let at = At {
                            old: seg(&here.old, &[key, &i.to_string()]),
                            new: seg(&here.new, &[key, &j.to_string()]),
                        };
                        self.schema(ctx, dir, site, owner, before, variant, &at, stack);
                    }
                    None => {
                        let wire = match dir {
                            Direction::Request => (Info, "requests may take one more form"),
                            Direction::Response => (
                                Breaking,
                                "responses may take a form clients of the old document cannot read",
                            ),
                        };
                        self.emit(
                            ctx,
                            dir.pick(Rule::RequestVariantAdded, Rule::ResponseVariantAdded),
                            Place::New(&seg(&here.new, &[key, &j.to_string()])),
                            format!("`{key}` of {what} gained the variant {}", short(&name)),
                            wire,
                            None,
                        );
                    }
                }
            }
            for (i, variant) in &o {
                let name = variant_key(variant);
                if n.iter().any(|(_, v)| variant_key(v) == name) {
                    continue;
                }
                let wire = match dir {
                    Direction::Request => (Breaking, "requests in that form are refused"),
                    Direction::Response => (Info, "responses no longer take that form"),
                };
                self.emit(
                    ctx,
                    dir.pick(Rule::RequestVariantRemoved, Rule::ResponseVariantRemoved),
                    Place::Old(&seg(&here.old, &[key, &i.to_string()])),
                    format!("`{key}` of {what} lost the variant {}", short(&name)),
                    wire,
                    None,
                );
            }
        }
    }

    /// Compares how much `additionalProperties` lets through.
    pub(super) fn additional_properties(
        &mut self,
        ctx: &Context,
        dir: Direction,
        what: &str,
        old: &Value,
        new: &Value,
        here: &At,
    ) {
        let (o, n) = (openness(old), openness(new));
        if o == n {
            if o == 1 && old.get("additionalProperties") != new.get("additionalProperties") {
                self.emit(
                    ctx,
                    dir.pick(Rule::RequestSchemaChanged, Rule::ResponseSchemaChanged),
                    Place::New(&seg(&here.new, &["additionalProperties"])),
                    format!("the schema of the `additionalProperties` of {what} changed"),
                    (Warning, "this tool does not analyse the change; read it"),
                    None,
                );
            }
            return;
        }
        let tightened = n < o;
        let (rule, wire) = match (dir, tightened) {
            (Direction::Request, true) => (
                Rule::RequestAdditionalPropertiesTightened,
                (
                    Breaking,
                    "requests with other properties may now be refused",
                ),
            ),
            (Direction::Request, false) => (
                Rule::RequestAdditionalPropertiesLoosened,
                (Info, "requests may carry more properties"),
            ),
            (Direction::Response, true) => (
                Rule::ResponseAdditionalPropertiesTightened,
                (Info, "responses carry fewer unknown properties"),
            ),
            (Direction::Response, false) => (
                Rule::ResponseAdditionalPropertiesLoosened,
                (
                    Warning,
                    "responses may carry properties the old document did not allow",
                ),
            ),
        };
        let show = |s: &Value| match s.get("additionalProperties") {
            None => "absent".to_owned(),
            Some(v @ Value::Bool(_)) => v.to_string(),
            Some(_) => "a schema".to_owned(),
        };
        let place = key_place(new, here, "additionalProperties");
        self.emit(
            ctx,
            rule,
            Place::New(&place),
            format!(
                "`additionalProperties` of {what} changed from {} to {}",
                show(old),
                show(new)
            ),
            wire,
            None,
        );
    }
}

/// A variant for messages: `Name`, or a JSON schema cut short.
fn short(key: &str) -> String {
    if key.starts_with('{') {
        let cut: String = key.chars().take(60).collect();
        if cut.len() < key.len() {
            format!("`{cut}…`")
        } else {
            format!("`{cut}`")
        }
    } else {
        format!("`{key}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn additional_properties_order_from_anything_to_nothing() {
        assert_eq!(openness(&json!({})), 2);
        assert_eq!(openness(&json!({"additionalProperties": true})), 2);
        assert_eq!(
            openness(&json!({"additionalProperties": {"type": "string"}})),
            1
        );
        assert_eq!(openness(&json!({"additionalProperties": false})), 0);
    }

    #[test]
    fn variants_are_known_by_component_or_by_their_json() {
        assert_eq!(
            variant_key(&json!({"$ref": "#/components/schemas/AcmeUser"})),
            "AcmeUser"
        );
        assert_eq!(
            variant_key(&json!({"type": "integer"})),
            r#"{"type":"integer"}"#
        );
    }
}
