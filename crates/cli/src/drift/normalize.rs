//! The vendor's schemas written the way the rules read them: OpenAPI 3.1
//! (JSON Schema 2020-12) constructs turned into their OpenAPI 3.0 form, in
//! place, and what has no 3.0 form listed with its place.
//!
//! - `type: [T, "null"]` is `type: T` with `nullable: true`; an
//!   `anyOf`/`oneOf` member `{type: "null"}`, or `null` in an `enum`, makes
//!   its schema nullable (the `null` goes from the list);
//! - `const: v` is `enum: [v]`;
//! - a numeric `exclusiveMinimum: n` is `minimum: n` with
//!   `exclusiveMinimum: true` (and the same for the maximum);
//! - `examples` in a schema, `$schema`, `$id`, `$anchor`, `$comment`,
//!   `contentMediaType` and `contentEncoding` are words and go;
//! - a `$ref` with keys beside it keeps only the reference when those keys
//!   are words (`description`, `title`, …), and becomes an `allOf` of the
//!   reference with the other keys beside it otherwise (in 3.1 they apply).
//!
//! A `type` list of several types, and keywords 3.0 has no form for
//! (`prefixItems`, `if`, `unevaluatedProperties`, …), are [`Unjudged`]:
//! left as they are and reported at their place. A 3.0 document passes
//! through unchanged.

use serde_json::{Map, Value};

/// A construct the rules cannot compare, at its place (JSON pointer
/// segments), with what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unjudged {
    pub(crate) at: Vec<String>,
    pub(crate) what: String,
}

/// Keys of a schema that are only words: beside a `$ref` they change
/// nothing the rules compare.
const WORDS: [&str; 8] = [
    "description",
    "title",
    "summary",
    "example",
    "examples",
    "deprecated",
    "$comment",
    "externalDocs",
];

/// Keywords that only annotate, and go.
const DROPPED: [&str; 7] = [
    "examples",
    "$schema",
    "$id",
    "$anchor",
    "$comment",
    "contentMediaType",
    "contentEncoding",
];

/// JSON Schema keywords with no OpenAPI 3.0 form.
const NO_FORM: [&str; 11] = [
    "prefixItems",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "unevaluatedProperties",
    "unevaluatedItems",
    "patternProperties",
    "$dynamicRef",
    "contains",
];

/// Normalises every schema of the document `root` (components, parameters,
/// request and response bodies, headers), in place; returns what it could
/// not.
pub(crate) fn normalize(root: &mut Value) -> Vec<Unjudged> {
    let mut out = Vec::new();
    let mut at = Vec::new();
    holder(root, &mut at, &mut out);
    out
}

/// Walks what is not a schema (the document, path items, operations,
/// media types, …) to the schemas it holds: each `schema` value, and the
/// entries of `components/schemas`. Examples and extensions are not walked.
fn holder(value: &mut Value, at: &mut Vec<String>, out: &mut Vec<Unjudged>) {
    match value {
        Value::Object(map) => {
            let in_components = at.len() == 1 && at[0] == "components";
            for (key, child) in map.iter_mut() {
                if matches!(key.as_str(), "example" | "examples") || key.starts_with("x-") {
                    continue;
                }
                at.push(key.clone());
                if key == "schema" {
                    schema(child, at, out);
                } else if in_components && key == "schemas" {
                    if let Value::Object(schemas) = child {
                        for (name, s) in schemas.iter_mut() {
                            at.push(name.clone());
                            schema(s, at, out);
                            at.pop();
                        }
                    }
                } else {
                    holder(child, at, out);
                }
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                at.push(i.to_string());
                holder(child, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

/// Normalises one schema at `at`, then the schemas inside it.
fn schema(value: &mut Value, at: &mut Vec<String>, out: &mut Vec<Unjudged>) {
    let Value::Object(map) = value else {
        return;
    };
    reference_siblings(map);
    for key in DROPPED {
        map.remove(key);
    }
    types(map, at, out);
    null_in_enum(map);
    if let Some(value) = map.remove("const") {
        map.entry("enum").or_insert(Value::Array(vec![value]));
    }
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        exclusive_bound(map, exclusive, bound);
    }
    null_members(map);
    for key in NO_FORM {
        if map.contains_key(key) {
            out.push(Unjudged {
                at: with(at, key),
                what: format!("`{key}` (json schema) has no openapi 3.0 form"),
            });
        }
    }
    // The schemas inside.
    for key in ["items", "not", "additionalProperties"] {
        if let Some(child) = map.get_mut(key) {
            at.push(key.to_owned());
            schema(child, at, out);
            at.pop();
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(members)) = map.get_mut(key) {
            for (i, member) in members.iter_mut().enumerate() {
                at.extend([key.to_owned(), i.to_string()]);
                schema(member, at, out);
                at.truncate(at.len() - 2);
            }
        }
    }
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        for (name, property) in properties.iter_mut() {
            at.extend(["properties".to_owned(), name.clone()]);
            schema(property, at, out);
            at.truncate(at.len() - 2);
        }
    }
}

/// `at` followed by `key`.
fn with(at: &[String], key: &str) -> Vec<String> {
    at.iter().cloned().chain([key.to_owned()]).collect()
}

/// A `$ref` with keys beside it: only the reference when they are words,
/// else an `allOf` of the reference with them beside it.
fn reference_siblings(map: &mut Map<String, Value>) {
    if !map.contains_key("$ref") || map.len() == 1 {
        return;
    }
    if map
        .keys()
        .all(|k| k == "$ref" || WORDS.contains(&k.as_str()) || k.starts_with("x-"))
    {
        map.retain(|k, _| k == "$ref");
        return;
    }
    if let Some(reference) = map.remove("$ref") {
        let mut member = Map::new();
        member.insert("$ref".to_owned(), reference);
        map.insert(
            "allOf".to_owned(),
            Value::Array(vec![Value::Object(member)]),
        );
    }
}

/// `type: [T, "null"]` → `type: T, nullable: true`; `type: "null"` alone
/// stays (a member that only says null, see [`null_members`]).
fn types(map: &mut Map<String, Value>, at: &[String], out: &mut Vec<Unjudged>) {
    let Some(Value::Array(list)) = map.get("type") else {
        return;
    };
    let nullable = list.iter().any(|t| t == "null");
    let others: Vec<Value> = list.iter().filter(|t| *t != "null").cloned().collect();
    match others.as_slice() {
        [] => {
            map.insert("type".to_owned(), Value::String("null".to_owned()));
        }
        [one] => {
            map.insert("type".to_owned(), one.clone());
            if nullable {
                map.insert("nullable".to_owned(), Value::Bool(true));
            }
        }
        _ => out.push(Unjudged {
            at: with(at, "type"),
            what: format!(
                "a value of several types ({}) has no openapi 3.0 form",
                others
                    .iter()
                    .map(|t| t.as_str().unwrap_or("?"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

/// `null` in an `enum` says the value may be null (as OpenAPI 3.0.3 asks
/// beside `nullable: true`, and 3.1 beside a `"null"` type): it goes from
/// the list, and the schema is nullable.
fn null_in_enum(map: &mut Map<String, Value>) {
    let Some(Value::Array(values)) = map.get_mut("enum") else {
        return;
    };
    let before = values.len();
    values.retain(|v| !v.is_null());
    if values.len() != before {
        map.insert("nullable".to_owned(), Value::Bool(true));
    }
}

/// A numeric `exclusiveMinimum` (3.1) as the 3.0 pair: the bound in
/// `minimum` and `exclusiveMinimum: true`; the stricter of the two when
/// both bounds are given.
fn exclusive_bound(map: &mut Map<String, Value>, exclusive: &str, bound: &str) {
    let Some(n) = map.get(exclusive).and_then(Value::as_f64) else {
        return;
    };
    let limit = map.remove(exclusive).unwrap_or(Value::Null);
    let lower = bound == "minimum";
    let inclusive = map.get(bound).and_then(Value::as_f64);
    let exclusive_is_stricter = match inclusive {
        None => true,
        Some(i) if lower => n >= i,
        Some(i) => n <= i,
    };
    if exclusive_is_stricter {
        map.insert(bound.to_owned(), limit);
        map.insert(exclusive.to_owned(), Value::Bool(true));
    }
}

/// `anyOf`/`oneOf` members that only say null (`{type: "null"}`, once
/// normalised) go, and make the schema nullable; a single member left with
/// nothing beside it but words becomes an `allOf` of it (the one schema it
/// stands for).
fn null_members(map: &mut Map<String, Value>) {
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(members)) = map.get_mut(key) else {
            continue;
        };
        let is_null = |m: &Value| {
            m.as_object().is_some_and(|o| {
                o.get("type").and_then(Value::as_str) == Some("null")
                    && o.keys().all(|k| k == "type" || WORDS.contains(&k.as_str()))
            })
        };
        let before = members.len();
        members.retain(|m| !is_null(m));
        if members.len() == before {
            continue;
        }
        map.insert("nullable".to_owned(), Value::Bool(true));
        if let Some(Value::Array(members)) = map.get(key)
            && members.len() == 1
        {
            let only = map.remove(key).unwrap_or(Value::Null);
            if let Value::Array(mut only) = only {
                map.insert("allOf".to_owned(), Value::Array(vec![only.remove(0)]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn normalized(schema: Value) -> (Value, Vec<Unjudged>) {
        let mut root = json!({"components": {"schemas": {"S": schema}}});
        let unjudged = normalize(&mut root);
        (root["components"]["schemas"]["S"].clone(), unjudged)
    }

    #[test]
    fn type_lists_with_null_become_nullable() {
        let (s, u) = normalized(json!({"type": ["string", "null"], "format": "uuid"}));
        assert_eq!(
            s,
            json!({"type": "string", "format": "uuid", "nullable": true})
        );
        assert!(u.is_empty());
        let (s, _) = normalized(json!({"type": ["integer"]}));
        assert_eq!(s, json!({"type": "integer"}));
    }

    #[test]
    fn null_in_an_enum_is_nullability() {
        let (s, _) = normalized(json!({"type": ["string", "null"], "enum": ["a", null]}));
        assert_eq!(
            s,
            json!({"type": "string", "nullable": true, "enum": ["a"]})
        );
    }

    #[test]
    fn several_types_are_reported_at_their_place() {
        let (s, u) = normalized(json!({"properties": {"a": {"type": ["string", "integer"]}}}));
        assert_eq!(s["properties"]["a"]["type"], json!(["string", "integer"]));
        assert_eq!(
            u,
            vec![Unjudged {
                at: ["components", "schemas", "S", "properties", "a", "type"]
                    .map(str::to_owned)
                    .to_vec(),
                what: "a value of several types (string, integer) has no openapi 3.0 form"
                    .to_owned(),
            }]
        );
    }

    #[test]
    fn const_examples_and_exclusive_bounds_take_their_3_0_form() {
        let (s, _) = normalized(json!({
            "type": "integer", "const": 3, "examples": [3],
            "exclusiveMinimum": 0, "minimum": -5, "exclusiveMaximum": 10, "maximum": 8
        }));
        assert_eq!(
            s,
            json!({
                "type": "integer", "enum": [3],
                "minimum": 0, "exclusiveMinimum": true, "maximum": 8
            })
        );
    }

    #[test]
    fn a_reference_keeps_siblings_that_are_more_than_words() {
        let (s, _) = normalized(json!({"$ref": "#/components/schemas/T", "description": "d"}));
        assert_eq!(s, json!({"$ref": "#/components/schemas/T"}));
        let (s, _) = normalized(json!({"$ref": "#/components/schemas/T", "maxLength": 3}));
        assert_eq!(
            s,
            json!({"allOf": [{"$ref": "#/components/schemas/T"}], "maxLength": 3})
        );
    }

    #[test]
    fn a_null_member_makes_the_schema_nullable() {
        let (s, _) =
            normalized(json!({"anyOf": [{"$ref": "#/components/schemas/T"}, {"type": "null"}]}));
        assert_eq!(
            s,
            json!({"allOf": [{"$ref": "#/components/schemas/T"}], "nullable": true})
        );
        let (s, _) = normalized(
            json!({"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}),
        );
        assert_eq!(
            s,
            json!({"oneOf": [{"type": "string"}, {"type": "integer"}], "nullable": true})
        );
    }

    #[test]
    fn schemas_in_operations_are_normalised_and_examples_left_alone() {
        let mut root = json!({"paths": {"/a": {"post": {
            "requestBody": {"content": {"application/json": {
                "schema": {"type": ["object", "null"]},
                "examples": {"x": {"value": {"type": ["a", "b"]}}}
            }}},
            "parameters": [{"name": "p", "in": "query", "schema": {"const": "x"}}]
        }}}});
        assert!(normalize(&mut root).is_empty());
        let op = &root["paths"]["/a"]["post"];
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["schema"],
            json!({"type": "object", "nullable": true})
        );
        assert_eq!(op["parameters"][0]["schema"], json!({"enum": ["x"]}));
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["examples"]["x"]["value"]["type"],
            json!(["a", "b"])
        );
    }

    #[test]
    fn keywords_without_a_3_0_form_are_reported() {
        let (_, u) = normalized(json!({"type": "array", "prefixItems": [{"type": "string"}]}));
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].at.last().map(String::as_str), Some("prefixItems"));
    }
}
