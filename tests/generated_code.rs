//! The generated code as a reviewed artefact, and build.rs as a maintainer
//! meets it.
//!
//! `tests/snapshots/<vendor>.rs` (and `<vendor>_mock.rs`) hold what build.rs generated from the
//! document, so that every change to the document shows its Rust diff in
//! review. When the document changes, refresh the snapshots with
//! `INVITATIONS_UPDATE_SNAPSHOTS=1 cargo test --test generated_code`.

use invitations_test_support::{build_script, snapshot};

use build_script::build_script;

use std::path::Path;
use std::process::Command;

/// The generated files: each vendor's module and its typed mocks.
const GENERATED: [&str; 4] = ["hybridbox", "automox", "hybridbox_mock", "automox_mock"];
const REFRESH: &str = "INVITATIONS_UPDATE_SNAPSHOTS=1 cargo test --test generated_code";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn snapshots_match_the_generated_code() {
    let mut stale = Vec::new();
    for vendor in GENERATED {
        let generated =
            std::fs::read_to_string(Path::new(env!("OUT_DIR")).join(format!("{vendor}.rs")))
                .unwrap();
        let snapshot_path = manifest_dir()
            .join("tests/snapshots")
            .join(format!("{vendor}.rs"));
        if !snapshot::matches(&snapshot_path, &generated) {
            stale.push(format!("tests/snapshots/{vendor}.rs"));
        }
    }
    assert!(
        stale.is_empty(),
        "the snapshot of the generated code is stale ({}); review the change and refresh it with:\n    {REFRESH}",
        stale.join(", ")
    );
}

/// Runs the build script on a copy of the crate whose document is `text`.
fn run_build_script(name: &str, text: &str) -> std::process::Output {
    run_build_script_with(name, text, &[]).0
}

/// Runs the build script on a copy of the crate whose document is `text`,
/// with more files (paths relative to the crate); returns its output and the
/// generated Hybridbox module, if any.
fn run_build_script_with(
    name: &str,
    text: &str,
    files: &[(&str, &str)],
) -> (std::process::Output, Option<String>) {
    let root =
        std::env::temp_dir().join(format!("invitations-build-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("openapi")).unwrap();
    std::fs::create_dir_all(root.join("out")).unwrap();
    std::fs::write(root.join("openapi/invitations.yaml"), text).unwrap();
    for (path, content) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let output = Command::new(build_script())
        .env("CARGO_MANIFEST_DIR", &root)
        .env("OUT_DIR", root.join("out"))
        .output()
        .unwrap();
    let module = std::fs::read_to_string(root.join("out/hybridbox.rs")).ok();
    let generated = module.is_some();
    std::fs::remove_dir_all(&root).unwrap();
    assert_eq!(
        generated,
        output.stdout.windows(13).all(|w| w != b"cargo::error=")
    );
    (output, module)
}

#[test]
fn build_script_reports_a_broken_document_as_one_cargo_error() {
    let document =
        include_str!("../openapi/invitations.yaml").replacen("openapi: 3.0.3", "openapi: 3.1.0", 1);
    let output = run_build_script("broken", &document);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let errors: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("cargo::error="))
        .collect();
    assert_eq!(
        errors,
        [
            "cargo::error=openapi/invitations.yaml:1: openapi: openapi 3.1.0 is not supported: progenitor reads openapi 3.0.x only; write the document as 3.0.3"
        ],
        "{stdout}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn build_script_generates_from_the_real_document_and_watches_only_openapi() {
    let output = run_build_script("good", include_str!("../openapi/invitations.yaml"));
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let reruns: Vec<&str> = stdout.lines().filter(|l| l.contains("rerun-if")).collect();
    assert_eq!(reruns, ["cargo::rerun-if-changed=openapi"]);
}

/// The build error the README quotes ("Regenerating when the document
/// changes") is the one the build gives for the example it describes: the
/// Automox operation without its `operationId`.
#[test]
fn the_readme_quotes_the_build_error_as_the_build_gives_it() {
    let readme = include_str!("../README.md");
    let quoted = readme
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("error: invitations@0.1.0: "))
        .expect("the README quotes a build error");
    let whole = include_str!("../openapi/invitations.yaml");
    let without = whole.replacen("      operationId: automox_create_invitation\n", "", 1);
    assert_ne!(without, whole);
    let output = run_build_script("readme-error", &without);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let errors: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("cargo::error="))
        .collect();
    assert_eq!(errors, [quoted], "the README's quoted error is stale");
}

/// A document split over several files builds as the one document does:
/// the same generated code, and the build watches the files outside
/// `openapi/` as well.
#[test]
fn a_document_split_over_files_generates_the_same_code() {
    let whole = include_str!("../openapi/invitations.yaml");
    // `HybridboxAssignmentRequest` moves to `openapi/schemas/assignments.yaml`,
    // and its closed enums to `shared/kinds.yaml`, outside `openapi/`.
    let start = whole.find("    HybridboxAssignmentRequest:\n").unwrap();
    let end = start
        + whole[start..]
            .find("    HybridboxResendInvitationRequest:")
            .unwrap();
    let moved = &whole[start..end];
    let root = whole.replace(moved, "").replace(
        "$ref: '#/components/schemas/HybridboxAssignmentRequest'",
        "$ref: 'schemas/assignments.yaml#/components/schemas/HybridboxAssignmentRequest'",
    );
    let assignments = format!(
        "components:\n  schemas:\n{}",
        moved
            .replace(
                "'#/components/schemas/HybridboxKnownGrantKind'",
                "'../../shared/kinds.yaml#/HybridboxKnownGrantKind'"
            )
            .replace(
                "'#/components/schemas/HybridboxKnownResourceType'",
                "'../../shared/kinds.yaml#/HybridboxKnownResourceType'"
            )
    );
    let kinds = ["HybridboxKnownGrantKind", "HybridboxKnownResourceType"]
        .iter()
        .map(|name| {
            let start = whole.find(&format!("    {name}:\n")).unwrap();
            let block: String = whole[start..]
                .lines()
                .enumerate()
                .take_while(|(i, l)| *i == 0 || l.starts_with("      "))
                .map(|(_, l)| format!("{}\n", &l[4..]))
                .collect();
            block
        })
        .collect::<String>();
    assert!(!root.contains("HybridboxAssignmentRequest:\n"));
    let (output, module) = run_build_script_with(
        "split",
        &root,
        &[
            ("openapi/schemas/assignments.yaml", &assignments),
            ("shared/kinds.yaml", &kinds),
        ],
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let (_, whole_module) = run_build_script_with("whole", whole, &[]);
    assert_eq!(module, whole_module, "{stdout}");
    let reruns: Vec<&str> = stdout.lines().filter(|l| l.contains("rerun-if")).collect();
    assert_eq!(
        reruns,
        [
            "cargo::rerun-if-changed=openapi",
            "cargo::rerun-if-changed=openapi/../shared/kinds.yaml"
        ]
    );
}

/// A file that is not there: one cargo error naming the `$ref`'s file and
/// line.
#[test]
fn a_missing_file_is_one_cargo_error_at_its_reference() {
    let whole = include_str!("../openapi/invitations.yaml");
    let root = whole.replacen(
        "$ref: '#/components/schemas/HybridboxAssignmentRequest'",
        "$ref: 'schemas/missing.yaml#/components/schemas/HybridboxAssignmentRequest'",
        1,
    );
    let line = root
        .lines()
        .position(|l| l.contains("schemas/missing.yaml"))
        .unwrap()
        + 1;
    let (output, module) = run_build_script_with("missing", &root, &[]);
    assert!(module.is_none());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let errors: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("cargo::error="))
        .collect();
    assert_eq!(errors.len(), 1, "{stdout}");
    let wanted = format!("cargo::error=openapi/invitations.yaml:{line}: ");
    assert!(errors[0].starts_with(&wanted), "{stdout}");
    assert!(
        errors[0].contains("cannot read `schemas/missing.yaml`"),
        "{stdout}"
    );
}
