//! A broken document fails generation with one message naming the file, the
//! line and the problem, never with a panic. Each case is a small document in
//! `tests/data/broken/`, run through the same generation module build.rs uses.

use invitations_codegen as codegen;

use std::path::Path;

/// Generates from a broken document and returns the error's message.
fn error_for(name: &str) -> codegen::GenerateError {
    let file = format!("tests/data/broken/{name}.yaml");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&file)).unwrap();
    match codegen::generate(&file, &text, &codegen::Options::default()) {
        Ok(_) => panic!("{file} generated code, but it is broken"),
        Err(e) => e,
    }
}

fn assert_error(name: &str, line: usize, place: Option<&str>, fragment: &str) {
    let error = error_for(name);
    let shown = error.to_string();
    let file = format!("tests/data/broken/{name}.yaml");
    assert_eq!(error.file, file, "{shown}");
    assert_eq!(error.line, Some(line), "{shown}");
    assert_eq!(error.place.as_deref(), place, "{shown}");
    assert!(shown.starts_with(&format!("{file}:{line}")), "{shown}");
    assert!(
        shown.contains(fragment),
        "expected `{fragment}` in: {shown}"
    );
    assert_eq!(shown.lines().count(), 1, "one line: {shown}");
}

#[test]
fn malformed_yaml_names_the_line_and_column() {
    let error = error_for("malformed_yaml");
    assert_eq!(error.line, Some(12), "{error}");
    assert!(error.column.is_some(), "{error}");
    assert!(
        error.to_string().contains("the document is not valid yaml"),
        "{error}"
    );
    assert!(
        std::error::Error::source(&error).is_some(),
        "the yaml error is chained"
    );
}

/// YAML forbids a key written twice in one mapping; read into a map, the
/// second would silently replace the first (here: the `GET /things`
/// operation would vanish from the client).
#[test]
fn a_key_written_twice_is_refused_at_the_second() {
    assert_error(
        "duplicate_key",
        23,
        None,
        "the key `/things` is written twice in one mapping (lines 9 and 23)",
    );
}

#[test]
fn openapi_3_1_is_refused_with_the_reason() {
    assert_error(
        "openapi_3_1",
        1,
        Some("openapi"),
        "openapi 3.1.0 is not supported",
    );
}

#[test]
fn missing_operation_id_names_the_operation() {
    assert_error(
        "missing_operation_id",
        16,
        Some("operation POST /things"),
        "the operation has no operationId",
    );
}

#[test]
fn operation_without_vendor_tag_names_the_operation_and_the_vendors() {
    assert_error(
        "no_vendor_tag",
        19,
        Some("operation GET /widgets (list_widgets)"),
        "the operation has no vendor tag; give it exactly one of: acme, globex",
    );
}

#[test]
fn two_success_types_name_the_operation_and_statuses() {
    assert_error(
        "two_success_types",
        13,
        Some("operation POST /things (acme_create_thing)"),
        "the success responses have 2 different body types (statuses",
    );
}

#[test]
fn two_error_types_name_the_operation_and_statuses() {
    assert_error(
        "two_error_types",
        13,
        Some("operation GET /things (acme_list_things)"),
        "the error responses have 2 different body types (statuses 400 vs 500)",
    );
}

#[test]
fn dangling_ref_names_the_reference() {
    assert_error(
        "dangling_ref",
        19,
        Some("#/paths/~1things/get/responses/200/content/application~1json/schema"),
        "$ref `#/components/schemas/AcmeThing` points to nothing",
    );
}

#[test]
fn a_progenitor_panic_is_caught_and_pinned_to_its_operation() {
    assert_error(
        "progenitor_panics",
        16,
        Some("operation POST /things (acme_create_thing)"),
        "progenitor failed on this operation (it panicked: not yet implemented: more media types than expected for create_thing: 2)",
    );
}

#[test]
fn the_real_document_generates_both_vendors() {
    let file = "openapi/invitations.yaml";
    let text = include_str!("../../../openapi/invitations.yaml");
    let modules = codegen::generate(file, text, &codegen::Options::default()).unwrap();
    let vendors: Vec<&str> = modules.iter().map(|m| m.vendor.as_str()).collect();
    assert_eq!(vendors, ["hybridbox", "automox"]);
}

#[test]
fn places_inside_arrays_are_found_on_their_own_lines() {
    let text = include_str!("../../../openapi/invitations.yaml");
    let index = codegen::LineIndex::new(text);
    let line_of = |needle: &str| text.lines().position(|l| l.trim() == needle).map(|i| i + 1);
    // The first key of an array item is on the item's `- ` line.
    assert_eq!(
        index.line(&["servers", "1", "url"]),
        line_of("- url: https://console.automox.com/api")
    );
    assert_eq!(
        index.line(&["servers", "1", "x-vendor"]),
        line_of("x-vendor: automox")
    );
    assert_eq!(
        index.line(&[
            "components",
            "schemas",
            "AutomoxZone",
            "properties",
            "rbac_role"
        ]),
        text.lines()
            .enumerate()
            .skip_while(|(_, l)| l.trim() != "AutomoxZone:")
            .find(|(_, l)| l.trim() == "rbac_role:")
            .map(|(i, _)| i + 1)
    );
}

#[test]
fn a_path_template_parameter_that_is_not_declared_is_refused() {
    assert_error(
        "undeclared_path_parameter",
        9,
        Some("operation POST /things/{invite}/resend (acme_resend_thing)"),
        "the path template has `{invite}`, which the operation does not declare as a path parameter; declare it with `in: path`, or name it after the declared `invitation_id`",
    );
}

#[test]
fn an_invalid_schema_type_is_refused_at_its_line() {
    assert_error(
        "invalid_schema_type",
        26,
        Some("#/components/schemas/AcmeThing/properties/name"),
        "`strin` is not a schema type",
    );
}

#[test]
fn an_operation_id_naming_another_vendor_is_refused() {
    assert_error(
        "other_vendor_prefix",
        14,
        Some("operation GET /things (acme_list_things)"),
        "the operationId starts with `acme_`, the prefix of vendor `acme`, but the operation is tagged `globex`",
    );
}

#[test]
fn two_operations_with_one_rust_method_are_refused() {
    assert_error(
        "duplicate_method",
        12,
        Some("operation GET /things (acme_list_things)"),
        "the operationId gives the method `acme::Client::list_things`, which operation GET /other-things (list_things) already has",
    );
}

/// Other files are read through the loader given to the generator: a chain
/// of references that comes back to itself, and a pointer into a file that
/// has nothing there, are errors at the `$ref` that starts them.
#[test]
fn references_to_other_files_that_cannot_resolve_are_refused_at_their_line() {
    let root = "\
openapi: 3.0.3
info:
  title: split
  version: '1'
servers:
  - url: https://acme.test
    x-vendor: acme
paths:
  /things:
    get:
      tags: [acme]
      operationId: acme_list_things
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: 'a.yaml#/Thing'
";
    let files = |a: &'static str| {
        move |path: &str| match path {
            "a.yaml" => Ok(a.to_owned()),
            "b.yaml" => Ok("Other:\n  $ref: 'a.yaml#/Thing'\nThing:\n  type: string\n".to_owned()),
            other => Err(codegen::ReadError::Other(format!("no such file: {other}"))),
        }
    };
    let generate = |a: &'static str| {
        let load = files(a);
        codegen::generate_with(
            "openapi/split.yaml",
            root,
            &codegen::Options::default(),
            Some(&load),
        )
    };
    // A cycle: a.yaml#/Thing → b.yaml#/Other → a.yaml#/Thing.
    let error = generate("Thing:\n  $ref: 'b.yaml#/Other'\n").unwrap_err();
    let shown = error.to_string();
    assert!(shown.starts_with("openapi/split.yaml:19: "), "{shown}");
    assert!(
        shown.contains(
            "starts a cycle of references: a.yaml#/Thing → b.yaml#/Other → a.yaml#/Thing"
        ),
        "{shown}"
    );
    // A pointer to nothing.
    let error = generate("Other:\n  type: string\n").unwrap_err();
    assert!(
        error.to_string().starts_with("openapi/split.yaml:19: #/paths/~1things/get/responses/200/content/application~1json/schema: $ref `a.yaml#/Thing` points to nothing"),
        "{error}"
    );
    // A bad file is named with its own line.
    let error = generate("Thing: [unclosed\n").unwrap_err();
    assert_eq!(error.file, "openapi/a.yaml", "{error}");
    // And a good one generates: the target became a component.
    let (modules, files) =
        generate("Thing:\n  type: object\n  properties:\n    name:\n      type: string\n").unwrap();
    assert_eq!(files, ["a.yaml"]);
    assert!(
        modules[0].code.contains("pub struct Thing"),
        "{}",
        modules[0].code
    );
    // Without a loader, another file cannot be read.
    let error =
        codegen::generate("openapi/split.yaml", root, &codegen::Options::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("points to another file, and no files can be read here"),
        "{error}"
    );
}
