//! Everything the generator accepts compiles.
//!
//! Each document in `tests/data/features/` is the minimal set-up of the
//! crate's documents (one `x-vendor` server, vendor tag, vendor-prefixed
//! operation ids and component names) plus one OpenAPI construct a vendor may
//! start using. Each is generated with the same generation module build.rs
//! uses and compiled, with its mocks, in a throwaway crate that has the
//! invitations crate's own dependencies (see `invitations_test_support::scratch`); or, for the
//! constructs listed in [`REFUSED`], generation must refuse it with an error
//! naming the file, the line and the construct.

use invitations_test_support::scratch;

use std::path::{Path, PathBuf};

/// Documents generation must refuse (`crates/codegen/src/unsupported.rs`): file
/// name in `tests/data/features/`, the 1-based line of the construct, and a
/// fragment of the error naming it.
const REFUSED: &[(&str, usize, &str)] = &[
    // The client compiles; progenitor's httpmock helpers call `to_string()`
    // on the Vec.
    (
        "array_query_parameters.yaml",
        22,
        "array query parameters are not supported",
    ),
    // progenitor's client calls `to_string()` on the Vec.
    (
        "array_header_parameters.yaml",
        22,
        "array header parameters are not supported",
    ),
    (
        "array_path_parameters.yaml",
        22,
        "array path parameters are not supported",
    ),
    // progenitor stops with an error that has no line.
    (
        "cookie_parameters.yaml",
        19,
        "cookie parameters are not supported",
    ),
    (
        "query_parameter_style.yaml",
        39,
        "parameter style `deepObject` is not supported",
    ),
];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/features")
}

/// The corpus's documents (file names), sorted.
fn documents() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .expect("tests/data/features exists")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    names.sort();
    names
}

#[test]
fn every_document_starts_with_a_comment_saying_what_it_exercises() {
    for name in documents() {
        let text = std::fs::read_to_string(corpus_dir().join(&name)).unwrap();
        assert!(
            text.starts_with("# Exercises "),
            "tests/data/features/{name} must start with `# Exercises <construct>`"
        );
    }
}

#[test]
fn refused_documents_exist() {
    let names = documents();
    for (name, _, _) in REFUSED {
        assert!(
            names.iter().any(|n| n == name),
            "REFUSED lists tests/data/features/{name}, which does not exist"
        );
    }
}

/// Generates every document and compiles what is generated (one scratch crate,
/// rebuilt per document, so the dependencies compile once); refused documents
/// must fail generation with `<file>:<line>` and the construct's name. All
/// documents are tried before failing, so one run reports every problem.
#[test]
fn every_document_compiles_or_is_refused_with_its_line() {
    let names = documents();
    assert!(
        names.len() >= 10,
        "the corpus in tests/data/features has {} documents",
        names.len()
    );
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("feature_corpus");
    let mut failures = Vec::new();
    for name in &names {
        let file = format!("tests/data/features/{name}");
        let text = std::fs::read_to_string(corpus_dir().join(name)).unwrap();
        let refused = REFUSED.iter().find(|(n, _, _)| n == name);
        match (scratch::write_crate(&dir, &file, &text), refused) {
            (Ok(vendors), None) => {
                if vendors != ["acme"] {
                    failures.push(format!(
                        "{file}: expected the one vendor acme, got {vendors:?}"
                    ));
                    continue;
                }
                let output = scratch::check(&dir);
                if !output.status.success() {
                    failures.push(format!(
                        "{file}: the generated code does not compile (crate in {}):\n{}",
                        dir.display(),
                        String::from_utf8_lossy(&output.stderr)
                    ));
                }
            }
            (Ok(_), Some((_, _, construct))) => failures.push(format!(
                "{file}: generated code, but it uses {construct}, which generation must refuse"
            )),
            (Err(error), None) => {
                failures.push(format!("{file}: generation failed: {error}"));
            }
            (Err(error), Some((_, line, construct))) => {
                let shown = error.to_string();
                if !shown.starts_with(&format!("{file}:{line}")) || !shown.contains(construct) {
                    failures.push(format!(
                        "{file}: expected a refusal starting with `{file}:{line}` naming `{construct}`, got: {shown}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} feature documents failed:\n\n{}",
        failures.len(),
        names.len(),
        failures.join("\n\n")
    );
}
