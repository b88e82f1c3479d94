//! The checks a document passes before progenitor sees it: what progenitor
//! would panic on, what it would turn into code that does not compile, and
//! what would silently give a surprising Rust API. Each failure names the
//! file, the line and the place. `build.rs` and `invitations diff` run the
//! same checks (through [`Document::check`]), so the diff refuses exactly
//! what the build refuses.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::responses::{response_role, responses_with_role};
use super::{Document, GenerateError, OperationRef, Vendor, response_type_key, short_operation_id};

/// The schema types OpenAPI 3.0 defines.
const SCHEMA_TYPES: [&str; 6] = ["string", "number", "integer", "boolean", "array", "object"];

impl Document<'_> {
    /// Every check of the document, in the order a maintainer fixes them:
    /// vendors and operation ids, path parameters, schema types, response
    /// types, the constructs progenitor cannot generate, then what is not a
    /// valid OpenAPI 3.0 object.
    pub fn check(&self) -> Result<(), GenerateError> {
        self.check_rules()?;
        self.check_openapi(&self.root)
    }

    /// [`Document::check`] but for the OpenAPI 3.0 object check.
    pub fn check_rules(&self) -> Result<(), GenerateError> {
        let vendors = self.vendors()?;
        self.check_operation_ids(&vendors)?;
        self.check_path_parameters()?;
        self.check_schema_types()?;
        self.check_response_types()?;
        super::unsupported::check(self)
    }

    /// What openapiv3 (and so progenitor) refuses in `part`: the document,
    /// or a selection of it that keeps each value at its place (the diff
    /// checks only what differs between two revisions). Each vendor's part
    /// (`vendor_spec`) is a selection with components renamed, so what the
    /// whole passes, each part passes, and an error names the place as it
    /// is written.
    pub fn check_openapi(&self, part: &Value) -> Result<(), GenerateError> {
        self.openapi(None, part).map(drop)
    }

    /// Every operation has an id, one vendor tag, an id that does not name
    /// another vendor, and a Rust method name no other operation of its
    /// vendor has.
    fn check_operation_ids(&self, vendors: &[Vendor]) -> Result<(), GenerateError> {
        let mut methods: BTreeMap<(String, String), OperationRef<'_>> = BTreeMap::new();
        for op in self.operations() {
            let id = self.operation_id(&op)?;
            let vendor = self.vendor_of(&op, vendors)?;
            let at = ["paths", op.path.as_str(), op.method.as_str(), "operationId"];
            if let Some(other) = vendors
                .iter()
                .find(|v| v.name != vendor.name && id.starts_with(&format!("{}_", v.name)))
            {
                return Err(self.error_at(
                    &at,
                    op.describe(),
                    format!(
                        "the operationId starts with `{}_`, the prefix of vendor `{}`, but the operation is tagged `{}`: its method would be `{}::Client::{id}`; prefix it with `{}_`",
                        other.name, other.name, vendor.name, vendor.name, vendor.name
                    ),
                ));
            }
            let method = short_operation_id(&vendor.name, id).to_owned();
            let key = (vendor.name.clone(), method.clone());
            if let Some(first) = methods.get(&key) {
                return Err(self.error_at(
                    &at,
                    op.describe(),
                    format!(
                        "the operationId gives the method `{}::Client::{method}`, which {} already has; give it another operationId",
                        vendor.name,
                        first.describe()
                    ),
                ));
            }
            methods.insert(key, op);
        }
        Ok(())
    }

    /// The `{name}`s of each path template and the operation's `in: path`
    /// parameters (its own and its path item's) are the same set.
    fn check_path_parameters(&self) -> Result<(), GenerateError> {
        for op in self.operations() {
            let template = template_parameters(&op.path);
            let mut declared: BTreeMap<String, Vec<String>> = BTreeMap::new();
            let holders = [
                (
                    vec!["paths".to_owned(), op.path.clone()],
                    &self.root["paths"][&op.path],
                ),
                (
                    vec!["paths".to_owned(), op.path.clone(), op.method.clone()],
                    &self.root["paths"][&op.path][&op.method],
                ),
            ];
            for (at, holder) in holders {
                let list = holder.get("parameters").and_then(Value::as_array);
                for (i, param) in list.into_iter().flatten().enumerate() {
                    let param = self.follow(param);
                    if param.get("in").and_then(Value::as_str) != Some("path") {
                        continue;
                    }
                    if let Some(name) = param.get("name").and_then(Value::as_str) {
                        let mut place = at.clone();
                        place.extend(["parameters".to_owned(), i.to_string()]);
                        declared.insert(name.to_owned(), place);
                    }
                }
            }
            if let Some(missing) = template.iter().find(|n| !declared.contains_key(*n)) {
                let unused: Vec<&str> = declared
                    .keys()
                    .filter(|d| !template.contains(*d))
                    .map(String::as_str)
                    .collect();
                let hint = match unused.as_slice() {
                    [] => format!("declare a parameter `{missing}` with `in: path`"),
                    _ => format!(
                        "declare it with `in: path`, or name it after the declared {}",
                        unused
                            .iter()
                            .map(|u| format!("`{u}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                return Err(self.error_at(
                    &["paths", &op.path],
                    op.describe(),
                    format!("the path template has `{{{missing}}}`, which the operation does not declare as a path parameter; {hint}"),
                ));
            }
            if let Some((name, place)) = declared.iter().find(|(n, _)| !template.contains(*n)) {
                let segments: Vec<&str> = place.iter().map(String::as_str).collect();
                return Err(self.error_at(
                    &segments,
                    op.describe(),
                    format!(
                        "path parameter `{name}` is not in the path template `{}`",
                        op.path
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Every `type` of a schema is one OpenAPI 3.0 defines.
    fn check_schema_types(&self) -> Result<(), GenerateError> {
        let mut at = Vec::new();
        match find_bad_type(&self.root, &mut at) {
            None => Ok(()),
            Some((place, value)) => {
                let segments: Vec<&str> = place.iter().map(String::as_str).collect();
                Err(self.error_at(
                    &segments,
                    super::json_pointer(&place[..place.len() - 1]),
                    format!(
                        "`{value}` is not a schema type; openapi 3.0 has {}",
                        SCHEMA_TYPES.join(", ")
                    ),
                ))
            }
        }
    }

    /// progenitor asserts one success type and one error type per operation;
    /// say so with the operation's name instead of letting it panic.
    pub fn check_response_types(&self) -> Result<(), GenerateError> {
        for op in self.operations() {
            let responses = op.operation.get("responses").and_then(Value::as_object);
            let has_success_range =
                responses.is_some_and(|r| r.keys().any(|k| k.eq_ignore_ascii_case("2XX")));
            for (what, success) in [("success", true), ("error", false)] {
                let mut kinds: BTreeMap<String, Vec<&str>> = BTreeMap::new();
                for (code, response) in responses_with_role(op.operation, success) {
                    kinds
                        .entry(response_type_key(&self.root, response))
                        .or_default()
                        .push(code);
                }
                if kinds.len() > 1 {
                    let groups: Vec<String> = kinds.values().map(|codes| codes.join("/")).collect();
                    let default_note = if responses.is_some_and(|r| r.contains_key("default"))
                        && response_role("default", has_success_range).success
                        && response_role("default", has_success_range).error
                    {
                        " (a `default` response counts as both a success and an error)"
                    } else {
                        ""
                    };
                    return Err(self.error_at(
                        &["paths", &op.path, &op.method, "responses"],
                        op.describe(),
                        format!(
                            "the {what} responses have {} different body types (statuses {}){default_note}; progenitor allows one {what} type per operation, so give them one shared schema",
                            kinds.len(),
                            groups.join(" vs ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Follows one local `$ref` (the document's refs are checked to resolve).
    fn follow<'v>(&'v self, value: &'v Value) -> &'v Value {
        value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|t| self.root.pointer(t.trim_start_matches('#')))
            .unwrap_or(value)
    }
}

/// The `{name}` parameters of a path template.
fn template_parameters(path: &str) -> BTreeSet<String> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

/// The first `type: <string>` under `value` that is not a schema type, with
/// the place of its `type` key. Skips what holds data or non-schema `type`s:
/// examples, defaults, enums, extensions and security schemes.
fn find_bad_type(value: &Value, at: &mut Vec<String>) -> Option<(Vec<String>, String)> {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let parent = at.last().map(String::as_str);
                let data = matches!(
                    key.as_str(),
                    "example" | "examples" | "enum" | "securitySchemes"
                ) || (key == "default" && parent != Some("responses"))
                    || key.starts_with("x-");
                // Under `properties` every key is a property name, so its
                // value is a schema, not a `type` string.
                if data && parent != Some("properties") {
                    continue;
                }
                if key == "type"
                    && parent != Some("properties")
                    && let Some(ty) = child.as_str()
                    && !SCHEMA_TYPES.contains(&ty)
                {
                    let mut place = at.clone();
                    place.push(key.clone());
                    return Some((place, ty.to_owned()));
                }
                at.push(key.clone());
                let found = find_bad_type(child, at);
                at.pop();
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                at.push(i.to_string());
                let found = find_bad_type(child, at);
                at.pop();
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parameters_are_the_braced_names() {
        let names = template_parameters("/a/{account_id}/b/{invite}/resend");
        assert_eq!(
            names.into_iter().collect::<Vec<_>>(),
            ["account_id", "invite"]
        );
        assert!(template_parameters("/plain").is_empty());
    }

    #[test]
    fn a_misspelt_type_is_found_but_data_and_property_names_are_not() {
        let doc = serde_json::json!({
            "components": {
                "securitySchemes": {"b": {"type": "http"}},
                "schemas": {
                    "A": {"type": "object", "properties": {
                        "type": {"type": "string", "example": {"type": "anything"}},
                        "n": {"type": "strin"}
                    }}
                }
            }
        });
        let (place, value) = find_bad_type(&doc, &mut Vec::new()).unwrap();
        assert_eq!(value, "strin");
        assert_eq!(
            place,
            ["components", "schemas", "A", "properties", "n", "type"]
        );
    }
}
