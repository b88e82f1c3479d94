//! Constructs progenitor 0.15 cannot generate working code for, refused with
//! the line where they are.
//!
//! Found by the feature corpus (`crates/codegen/tests/data/features/`, compiled by
//! `crates/codegen/tests/feature_corpus.rs`): every other construct there generates code
//! that compiles. Refused here:
//! - parameters whose schema is an array, in the path, a header or the query:
//!   progenitor formats path and header values with `to_string()`, and its
//!   httpmock helpers do so for query values too, which a `Vec` does not have,
//!   so the generated code does not compile;
//! - cookie parameters, and parameter styles other than OpenAPI's defaults
//!   (`simple` for path and header, `form` for query): progenitor stops with
//!   an error that has no line, so it is reported here with one.

use serde_json::Value;

use super::{Document, GenerateError, OperationRef};

/// Refuses what progenitor cannot generate, naming the place.
pub(super) fn check(doc: &Document<'_>) -> Result<(), GenerateError> {
    for op in doc.operations() {
        // Parameters of the path item apply to each of its operations.
        let lists = [
            vec!["paths", op.path.as_str(), "parameters"],
            vec!["paths", op.path.as_str(), op.method.as_str(), "parameters"],
        ];
        for list_at in lists {
            let Some(list) = pointer(&doc.root, &list_at).and_then(Value::as_array) else {
                continue;
            };
            for index in 0..list.len() {
                let index = index.to_string();
                let mut at = list_at.clone();
                at.push(&index);
                check_parameter(doc, &op, at)?;
            }
        }
    }
    Ok(())
}

/// The default `style` of each parameter location progenitor generates.
fn default_style(location: &str) -> Option<&'static str> {
    match location {
        "path" | "header" => Some("simple"),
        "query" => Some("form"),
        _ => None,
    }
}

/// Checks the parameter at `at` (following a `$ref` to a component).
fn check_parameter<'s>(
    doc: &'s Document<'_>,
    op: &OperationRef<'_>,
    mut at: Vec<&'s str>,
) -> Result<(), GenerateError> {
    let mut parameter = pointer(&doc.root, &at);
    // A `$ref`'d parameter: point at the component, where the construct is.
    while let Some(target) = parameter
        .and_then(|p| p.get("$ref"))
        .and_then(Value::as_str)
        .and_then(|t| t.strip_prefix("#/"))
    {
        at = target.split('/').collect();
        parameter = pointer(&doc.root, &at);
        if at.iter().any(|s| s.contains('~')) {
            // Escaped names: leave them to the other checks.
            return Ok(());
        }
    }
    let Some(parameter) = parameter else {
        return Ok(());
    };
    let name = parameter.get("name").and_then(Value::as_str).unwrap_or("?");
    let location = parameter.get("in").and_then(Value::as_str).unwrap_or("?");
    let place = format!("{}, parameter `{name}`", op.describe());
    let with = |key: &'s str| {
        let mut segments = at.clone();
        segments.push(key);
        segments
    };

    if location == "cookie" {
        return Err(doc.error_at(
            &with("in"),
            place,
            "cookie parameters are not supported: progenitor 0.15 does not generate them; \
             send the value another way or leave the parameter out of the document",
        ));
    }
    if let (Some(style), Some(default)) = (
        parameter.get("style").and_then(Value::as_str),
        default_style(location),
    ) && style != default
    {
        return Err(doc.error_at(
            &with("style"),
            place,
            format!(
                "parameter style `{style}` is not supported: progenitor 0.15 generates only \
                 the default style of {location} parameters, `{default}`"
            ),
        ));
    }
    if is_array(&doc.root, parameter.get("schema")) {
        let detail = match location {
            "query" => {
                "progenitor 0.15's httpmock helpers (feature `mock`) format query values with \
                 `to_string()`, which a Vec does not have, so they do not compile"
            }
            _ => {
                "progenitor 0.15 formats path and header values with `to_string()`, which a Vec \
                 does not have, so the generated client does not compile"
            }
        };
        return Err(doc.error_at(
            &with("schema"),
            place,
            format!(
                "array {location} parameters are not supported: {detail}; take one value per \
                 parameter instead"
            ),
        ));
    }
    Ok(())
}

/// Whether a schema (following local `$ref`s) is an array.
fn is_array(root: &Value, schema: Option<&Value>) -> bool {
    let mut schema = schema;
    // Bounded, in case of a `$ref` cycle.
    for _ in 0..32 {
        let Some(s) = schema else { return false };
        match s.get("$ref").and_then(Value::as_str) {
            Some(target) => schema = target.strip_prefix('#').and_then(|p| root.pointer(p)),
            None => {
                return s.get("type").and_then(Value::as_str) == Some("array")
                    || s.get("items").is_some();
            }
        }
    }
    false
}

/// The value at unescaped JSON pointer segments.
fn pointer<'v>(root: &'v Value, segments: &[&str]) -> Option<&'v Value> {
    segments.iter().try_fold(root, |node, segment| match node {
        Value::Object(map) => map.get(*segment),
        Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}
