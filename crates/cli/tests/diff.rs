//! `invitations diff`, run as a program on pairs of documents
//! in `tests/data/diff/<case>/{old,new}.yaml` (written by `make_cases.py`
//! from `base.yaml`): the change ids, levels and semver verdict of each case
//! in both directions, the full reports against reviewed snapshots, the
//! generated-code diff, the output formats and the exit codes.

use invitations_test_support::snapshot;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/diff")
}

fn invitations(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_invitations"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the invitations program runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// The JSON report of `old` → `new` in a case directory (`extra`: more flags).
fn report(case: &str, old: &str, new: &str, extra: &[&str]) -> Value {
    let dir = data().join(case);
    let mut args = vec!["diff", old, new, "--format", "json"];
    args.extend(extra);
    let output = invitations(&args, &dir);
    assert_eq!(output.status.code(), Some(0), "{case}: {}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}

/// What a case must report in one direction: the semver verdict and each
/// change as (id, wire level, rust level).
type Expected = (
    &'static str,
    &'static [(&'static str, &'static str, &'static str)],
);

/// Every case, old → new and new → old. This table is the specification of
/// how each kind of change is judged.
const CASES: &[(&str, Expected, Expected)] = &[
    ("identical", ("none", &[]), ("none", &[])),
    (
        // The wire rule now names it; the field becomes a checked newtype.
        "request-property-max-length-added",
        (
            "major",
            &[("request-max-length-tightened", "breaking", "breaking")],
        ),
        (
            "major",
            &[("request-max-length-loosened", "info", "breaking")],
        ),
    ),
    (
        // Also a checked newtype (validated with `regress`).
        "request-property-pattern-added",
        (
            "major",
            &[("request-pattern-tightened", "breaking", "breaking")],
        ),
        ("major", &[("request-pattern-loosened", "info", "breaking")]),
    ),
    (
        // Length limits make a checked newtype.
        "request-string-limits",
        (
            "major",
            &[
                ("request-max-length-tightened", "breaking", "breaking"),
                ("request-min-length-tightened", "breaking", "breaking"),
            ],
        ),
        (
            "major",
            &[
                ("request-max-length-loosened", "info", "breaking"),
                ("request-min-length-loosened", "info", "breaking"),
            ],
        ),
    ),
    (
        // `minimum: 1` makes `NonZeroU64`; the others are not checked.
        "request-number-limits",
        (
            "major",
            &[
                ("request-maximum-tightened", "breaking", "breaking"),
                ("request-minimum-tightened", "breaking", "breaking"),
                ("request-multiple-of-tightened", "breaking", "breaking"),
            ],
        ),
        (
            "major",
            &[
                ("request-maximum-loosened", "info", "breaking"),
                ("request-minimum-loosened", "info", "breaking"),
                ("request-multiple-of-loosened", "info", "breaking"),
            ],
        ),
    ),
    (
        // With a limit, typify makes the optional list `Option<Vec<_>>`.
        "request-array-limits",
        (
            "major",
            &[
                ("request-max-items-tightened", "breaking", "breaking"),
                ("request-min-items-tightened", "breaking", "breaking"),
                ("request-unique-items-tightened", "breaking", "breaking"),
            ],
        ),
        (
            "major",
            &[
                ("request-max-items-loosened", "info", "breaking"),
                ("request-min-items-loosened", "info", "breaking"),
                ("request-unique-items-loosened", "info", "breaking"),
            ],
        ),
    ),
    (
        // Tightened in a response: harmless on the wire, a newtype in Rust.
        "response-string-limits",
        (
            "major",
            &[
                ("response-max-length-tightened", "info", "breaking"),
                ("response-min-length-tightened", "info", "breaking"),
                ("response-pattern-tightened", "info", "breaking"),
            ],
        ),
        // Loosened: old clients' newtypes refuse what the limits forbade.
        (
            "major",
            &[
                ("response-max-length-loosened", "breaking", "breaking"),
                ("response-min-length-loosened", "breaking", "breaking"),
                ("response-pattern-loosened", "breaking", "breaking"),
            ],
        ),
    ),
    (
        // The newtype stays and checks the new length: the same API.
        "response-max-length-raised",
        (
            "patch",
            &[("response-max-length-loosened", "breaking", "info")],
        ),
        (
            "patch",
            &[("response-max-length-tightened", "info", "info")],
        ),
    ),
    (
        "response-pattern-removed",
        (
            "major",
            &[("response-pattern-loosened", "breaking", "breaking")],
        ),
        (
            "major",
            &[("response-pattern-tightened", "info", "breaking")],
        ),
    ),
    (
        // typify reads a uuid as `Uuid` and ignores its length: identical code.
        "response-uuid-max-length-removed",
        (
            "patch",
            &[("response-max-length-loosened", "warning", "info")],
        ),
        (
            "patch",
            &[("response-max-length-tightened", "info", "info")],
        ),
    ),
    (
        // An int32 stays `i32` whatever its bounds: identical code.
        "response-maximum-raised",
        ("patch", &[("response-maximum-loosened", "warning", "info")]),
        ("patch", &[("response-maximum-tightened", "info", "info")]),
    ),
    (
        "response-number-limits",
        (
            "major",
            &[
                ("response-maximum-tightened", "info", "breaking"),
                ("response-minimum-tightened", "info", "breaking"),
                ("response-multiple-of-tightened", "info", "breaking"),
            ],
        ),
        (
            "major",
            &[
                ("response-maximum-loosened", "warning", "breaking"),
                ("response-minimum-loosened", "warning", "breaking"),
                ("response-multiple-of-loosened", "warning", "breaking"),
            ],
        ),
    ),
    (
        // typify ignores limits on a required array: identical code.
        "response-array-limits",
        (
            "patch",
            &[
                ("response-max-items-tightened", "info", "info"),
                ("response-min-items-tightened", "info", "info"),
                ("response-unique-items-tightened", "info", "info"),
            ],
        ),
        (
            "patch",
            &[
                ("response-max-items-loosened", "warning", "info"),
                ("response-min-items-loosened", "warning", "info"),
                ("response-unique-items-loosened", "warning", "info"),
            ],
        ),
    ),
    (
        // A component both directions use; neither change can be ordered.
        // In a response, the old pattern is checked by the generated
        // newtype (breaking), `multipleOf` is not (warning).
        "constraints-changed",
        (
            "patch",
            &[
                ("request-multiple-of-changed", "warning", "info"),
                ("request-pattern-changed", "warning", "info"),
                ("response-multiple-of-changed", "warning", "info"),
                ("response-pattern-changed", "breaking", "info"),
            ],
        ),
        (
            "patch",
            &[
                ("request-multiple-of-changed", "warning", "info"),
                ("request-pattern-changed", "warning", "info"),
                ("response-multiple-of-changed", "warning", "info"),
                ("response-pattern-changed", "breaking", "info"),
            ],
        ),
    ),
    (
        // A default makes the optional field plain `T` with `serde(default)`.
        "default-changed",
        (
            "major",
            &[
                ("request-default-changed", "warning", "breaking"),
                ("response-default-changed", "info", "breaking"),
            ],
        ),
        (
            "major",
            &[
                ("request-default-changed", "warning", "breaking"),
                ("response-default-changed", "info", "breaking"),
            ],
        ),
    ),
    (
        // typify ignores both: identical code.
        "read-only-write-only",
        (
            "patch",
            &[
                ("request-property-became-read-only", "warning", "info"),
                ("response-property-became-write-only", "breaking", "info"),
            ],
        ),
        (
            "patch",
            &[
                ("request-property-no-longer-read-only", "info", "info"),
                ("response-property-no-longer-write-only", "info", "info"),
            ],
        ),
    ),
    (
        // No `#[deprecated]` is generated: identical code.
        "deprecated",
        (
            "patch",
            &[
                ("operation-deprecated", "warning", "info"),
                ("parameter-deprecated", "warning", "info"),
                ("request-property-deprecated", "warning", "info"),
                ("response-property-deprecated", "warning", "info"),
            ],
        ),
        (
            "patch",
            &[
                ("operation-undeprecated", "info", "info"),
                ("parameter-undeprecated", "info", "info"),
                ("request-property-undeprecated", "info", "info"),
                ("response-property-undeprecated", "info", "info"),
            ],
        ),
    ),
    (
        // Removing a deprecated operation is a lesser break on the wire; its method is still gone.
        "deprecated-operation-removed",
        ("major", &[("path-removed", "warning", "breaking")]),
        ("minor", &[("path-added", "info", "info")]),
    ),
    (
        // A variant added to a response is a value old clients cannot read.
        "variant-added",
        (
            "major",
            &[
                ("request-variant-added", "info", "breaking"),
                ("response-variant-added", "breaking", "breaking"),
            ],
        ),
        (
            "major",
            &[
                ("request-variant-removed", "breaking", "breaking"),
                ("response-variant-removed", "info", "breaking"),
            ],
        ),
    ),
    (
        // An allOf split is flattened: the same schema, the same generated code.
        "all-of-split",
        ("patch", &[("document-changed", "info", "info")]),
        ("patch", &[("document-changed", "info", "info")]),
    ),
    (
        // The generated types gain `deny_unknown_fields`: a behaviour, a warning.
        "additional-properties-tightened",
        (
            "patch",
            &[
                (
                    "request-additional-properties-tightened",
                    "breaking",
                    "warning",
                ),
                (
                    "response-additional-properties-tightened",
                    "info",
                    "warning",
                ),
            ],
        ),
        (
            "patch",
            &[
                ("request-additional-properties-loosened", "info", "info"),
                ("response-additional-properties-loosened", "warning", "info"),
            ],
        ),
    ),
    (
        // Header parameters are judged as query ones.
        "header-parameter-added",
        ("minor", &[("parameter-added", "info", "info")]),
        ("major", &[("parameter-removed", "warning", "breaking")]),
    ),
    (
        // Byte-identical generated code: at most a patch.
        "property-wrapped-in-all-of",
        ("patch", &[("document-changed", "info", "info")]),
        ("patch", &[("document-changed", "info", "info")]),
    ),
    (
        "description-only",
        ("patch", &[("document-changed", "info", "info")]),
        ("patch", &[("document-changed", "info", "info")]),
    ),
    (
        "operation-added",
        ("minor", &[("operation-added", "info", "info")]),
        ("major", &[("operation-removed", "breaking", "breaking")]),
    ),
    (
        "path-added",
        ("minor", &[("path-added", "info", "info")]),
        ("major", &[("path-removed", "breaking", "breaking")]),
    ),
    (
        "operation-renamed",
        ("major", &[("operation-renamed", "info", "breaking")]),
        ("major", &[("operation-renamed", "info", "breaking")]),
    ),
    (
        "operation-path-changed",
        (
            "patch",
            &[("operation-path-changed", "breaking", "warning")],
        ),
        (
            "patch",
            &[("operation-path-changed", "breaking", "warning")],
        ),
    ),
    (
        "parameter-added-optional",
        ("minor", &[("parameter-added", "info", "info")]),
        ("major", &[("parameter-removed", "warning", "breaking")]),
    ),
    (
        "parameter-added-required",
        ("major", &[("parameter-added", "breaking", "breaking")]),
        ("major", &[("parameter-removed", "warning", "breaking")]),
    ),
    (
        "parameter-became-required",
        (
            "major",
            &[("parameter-became-required", "breaking", "breaking")],
        ),
        // The mock helper's setter changes from `&str` to `Into<Option<&str>>`.
        (
            "major",
            &[("parameter-became-optional", "info", "breaking")],
        ),
    ),
    (
        "parameter-type-changed",
        (
            "major",
            &[("parameter-type-changed", "breaking", "breaking")],
        ),
        (
            "major",
            &[("parameter-type-changed", "breaking", "breaking")],
        ),
    ),
    (
        "request-body-became-optional",
        ("patch", &[("request-body-became-optional", "info", "info")]),
        (
            "patch",
            &[("request-body-became-required", "breaking", "info")],
        ),
    ),
    (
        "request-property-added-optional",
        ("major", &[("request-property-added", "info", "breaking")]),
        (
            "major",
            &[("request-property-removed", "warning", "breaking")],
        ),
    ),
    (
        "request-property-added-required",
        (
            "major",
            &[("request-property-added", "breaking", "breaking")],
        ),
        (
            "major",
            &[("request-property-removed", "warning", "breaking")],
        ),
    ),
    (
        "request-property-became-required",
        (
            "major",
            &[("request-property-became-required", "breaking", "breaking")],
        ),
        (
            "major",
            &[("request-property-became-optional", "info", "breaking")],
        ),
    ),
    (
        "request-property-became-nullable",
        (
            "major",
            &[("request-property-became-nullable", "info", "breaking")],
        ),
        (
            "major",
            &[(
                "request-property-became-not-nullable",
                "breaking",
                "breaking",
            )],
        ),
    ),
    (
        "request-property-type-changed",
        (
            "major",
            &[("request-property-type-changed", "breaking", "breaking")],
        ),
        (
            "major",
            &[("request-property-type-changed", "info", "breaking")],
        ),
    ),
    (
        // A query parameter that gains an enum refuses the other values;
        // its Rust type becomes the enum.
        "parameter-enum-added",
        (
            "major",
            &[("request-enum-constraint-changed", "breaking", "breaking")],
        ),
        (
            "major",
            &[("request-enum-constraint-changed", "info", "breaking")],
        ),
    ),
    (
        "request-enum-value-added",
        ("major", &[("request-enum-value-added", "info", "breaking")]),
        (
            "major",
            &[("request-enum-value-removed", "breaking", "breaking")],
        ),
    ),
    (
        "response-property-added",
        ("major", &[("response-property-added", "info", "breaking")]),
        (
            "major",
            &[("response-property-removed", "warning", "breaking")],
        ),
    ),
    (
        "response-property-became-required",
        (
            "major",
            &[("response-property-became-required", "info", "breaking")],
        ),
        (
            "major",
            &[("response-property-became-optional", "breaking", "breaking")],
        ),
    ),
    (
        "response-property-became-nullable",
        (
            "major",
            &[("response-property-became-nullable", "breaking", "breaking")],
        ),
        (
            "major",
            &[("response-property-became-not-nullable", "info", "breaking")],
        ),
    ),
    (
        "response-property-type-changed",
        (
            "major",
            &[("response-property-type-changed", "breaking", "breaking")],
        ),
        (
            "major",
            &[("response-property-type-changed", "info", "breaking")],
        ),
    ),
    // Closed and open enums differ on the wire: clients of the old document
    // fail on a new value of a closed enum, and keep it as `Other` when open.
    (
        "response-enum-value-added-closed",
        (
            "major",
            &[("response-enum-value-added", "breaking", "breaking")],
        ),
        (
            "major",
            &[("response-enum-value-removed", "info", "breaking")],
        ),
    ),
    (
        "response-enum-value-added-open",
        (
            "major",
            &[("response-enum-value-added", "info", "breaking")],
        ),
        (
            "major",
            &[("response-enum-value-removed", "info", "breaking")],
        ),
    ),
    (
        "enum-became-open",
        (
            "major",
            &[("response-enum-became-open", "info", "breaking")],
        ),
        (
            "major",
            &[("response-enum-became-closed", "breaking", "breaking")],
        ),
    ),
    (
        "response-status-added",
        // The mock's `Then` gains (loses) a helper for the new status.
        ("minor", &[("response-status-added", "warning", "warning")]),
        ("major", &[("response-status-removed", "info", "breaking")]),
    ),
    (
        "error-schema-changed",
        ("major", &[("error-schema-changed", "breaking", "breaking")]),
        ("major", &[("error-schema-changed", "breaking", "breaking")]),
    ),
    (
        "security-changed",
        ("patch", &[("security-changed", "breaking", "warning")]),
        ("patch", &[("security-changed", "breaking", "warning")]),
    ),
    (
        "security-scheme-changed",
        (
            "patch",
            &[("security-scheme-changed", "breaking", "warning")],
        ),
        (
            "patch",
            &[("security-scheme-changed", "breaking", "warning")],
        ),
    ),
    (
        "server-url-changed",
        ("patch", &[("server-url-changed", "warning", "warning")]),
        ("patch", &[("server-url-changed", "warning", "warning")]),
    ),
    (
        "vendor-added",
        (
            "minor",
            &[
                ("path-added", "info", "info"),
                ("vendor-added", "info", "info"),
            ],
        ),
        (
            "major",
            &[
                ("path-removed", "breaking", "breaking"),
                ("vendor-removed", "breaking", "breaking"),
            ],
        ),
    ),
    (
        "schema-renamed",
        ("major", &[("schema-renamed", "info", "breaking")]),
        ("major", &[("schema-renamed", "info", "breaking")]),
    ),
    (
        "schema-moved-inline",
        ("major", &[("schema-moved-inline", "info", "breaking")]),
        (
            "major",
            &[("schema-moved-to-components", "info", "breaking")],
        ),
    ),
];

fn summary(report: &Value) -> (String, Vec<(String, String, String)>) {
    let mut changes: Vec<(String, String, String)> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["wire"]["level"].as_str().unwrap().to_owned(),
                c["rust"]["level"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    changes.sort();
    (report["semver"].as_str().unwrap().to_owned(), changes)
}

fn expected(e: &Expected) -> (String, Vec<(String, String, String)>) {
    let mut changes: Vec<(String, String, String)> =
        e.1.iter()
            .map(|(id, wire, rust)| ((*id).to_owned(), (*wire).to_owned(), (*rust).to_owned()))
            .collect();
    changes.sort();
    (e.0.to_owned(), changes)
}

#[test]
fn every_case_is_judged_as_specified_in_both_directions() {
    let mut failures = Vec::new();
    for (case, forward, reverse) in CASES {
        for (old, new, want) in [
            ("old.yaml", "new.yaml", forward),
            ("new.yaml", "old.yaml", reverse),
        ] {
            let got = summary(&report(case, old, new, &[]));
            if got != expected(want) {
                failures.push(format!(
                    "{case} ({old} -> {new}): got {got:?}, want {:?}",
                    expected(want)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_case_directory_is_in_the_table() {
    let mut dirs: Vec<String> = std::fs::read_dir(data())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    let mut cases: Vec<String> = CASES.iter().map(|c| c.0.to_owned()).collect();
    cases.sort();
    assert_eq!(dirs, cases);
}

/// The whole report (messages, locations, lines, operations) against the
/// reviewed `expected.json` (old → new) and `reverse.json` (new → old) of
/// each case. Refresh after reviewing a change:
/// `INVITATIONS_UPDATE_SNAPSHOTS=1 cargo test -p invitations-cli --test diff`.
#[test]
fn reports_match_the_reviewed_snapshots() {
    let mut stale = Vec::new();
    for (case, _, _) in CASES {
        for (old, new, file) in [
            ("old.yaml", "new.yaml", "expected.json"),
            ("new.yaml", "old.yaml", "reverse.json"),
        ] {
            let got = serde_json::to_string_pretty(&report(case, old, new, &[])).unwrap() + "\n";
            if !snapshot::matches(&data().join(case).join(file), &got) {
                stale.push(format!("{case}/{file}"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "reports differ from the snapshots {stale:?}; review them with `invitations diff`, then refresh with: INVITATIONS_UPDATE_SNAPSHOTS=1 cargo test -p invitations-cli --test diff"
    );
}

/// The Rust judgement checked against the real generator: where the
/// generated code is identical, nothing can need more than a patch release;
/// where it differs, the verdict cannot be `none`.
#[test]
fn rust_verdicts_agree_with_the_generated_code() {
    for (case, _, _) in CASES {
        let report = report(case, "old.yaml", "new.yaml", &["--code"]);
        let code = report["code"].as_object().unwrap();
        let semver = report["semver"].as_str().unwrap();
        if code.is_empty() {
            assert!(
                matches!(semver, "none" | "patch"),
                "{case}: same code, but {semver}"
            );
            for change in report["changes"].as_array().unwrap() {
                assert_ne!(
                    change["rust"]["level"], "breaking",
                    "{case}: same code, but {change}"
                );
            }
        } else {
            assert_ne!(semver, "none", "{case}: the code differs");
        }
    }
}

#[test]
fn code_diff_of_a_one_field_change_shows_only_that_field() {
    let report = report(
        "response-property-added",
        "old.yaml",
        "new.yaml",
        &["--code"],
    );
    let diff = report["code"]["acme"].as_str().unwrap();
    assert!(diff.starts_with("--- a/acme.rs\n+++ b/acme.rs\n"), "{diff}");
    let changed: Vec<&str> = diff
        .lines()
        .skip(2)
        .filter(|l| l.starts_with('+') || l.starts_with('-'))
        .collect();
    // Adding a field only adds lines, and each hunk's change is about it:
    // the struct field, the builder's field, setter, default and conversions.
    assert!(changed.iter().all(|l| l.starts_with('+')), "{diff}");
    let hunks: Vec<&str> = diff.split("\n@@").skip(1).collect();
    assert!(!hunks.is_empty());
    for hunk in &hunks {
        let first_added = hunk.lines().find(|l| l.starts_with('+')).unwrap();
        let mentions = hunk
            .lines()
            .filter(|l| l.starts_with('+'))
            .any(|l| l.contains("color"));
        assert!(
            mentions,
            "a hunk that is not about `color`: {first_added}\n{diff}"
        );
    }
    // The generated header names the document; both revisions are generated
    // under one name, so it never shows up as a change.
    assert!(!diff.contains("@generated"), "{diff}");
}

#[test]
fn text_and_markdown_say_both_judgements_and_the_verdict() {
    let dir = data().join("request-property-added-optional");
    let text = stdout(&invitations(&["diff", "old.yaml", "new.yaml"], &dir));
    assert!(text.contains("semver: major"), "{text}");
    assert!(text.contains("request-property-added"), "{text}");
    assert!(text.contains("wire: info"), "{text}");
    assert!(text.contains("rust: breaking"), "{text}");
    assert!(text.contains("new.yaml:"), "a line number: {text}");
    let markdown = stdout(&invitations(
        &["diff", "old.yaml", "new.yaml", "--format", "markdown"],
        &dir,
    ));
    assert!(markdown.contains("Semver: **major**"), "{markdown}");
    assert!(
        markdown.contains("| breaking | `request-property-added`"),
        "{markdown}"
    );
}

#[test]
fn fail_on_sets_the_exit_code() {
    let code = |case: &str, extra: &[&str]| {
        let mut args = vec!["diff", "old.yaml", "new.yaml"];
        args.extend(extra);
        invitations(&args, &data().join(case)).status.code()
    };
    assert_eq!(code("request-property-added-optional", &[]), Some(0));
    assert_eq!(
        code(
            "request-property-added-optional",
            &["--fail-on", "breaking"]
        ),
        Some(1)
    );
    assert_eq!(
        code("response-status-added", &["--fail-on", "breaking"]),
        Some(0)
    );
    assert_eq!(
        code("response-status-added", &["--fail-on", "warning"]),
        Some(1)
    );
    assert_eq!(code("operation-added", &["--fail-on", "warning"]), Some(0));
}

/// A scratch git repository holding `openapi/invitations.yaml`.
fn git_repo(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("openapi")).unwrap();
    std::fs::copy(
        data().join("base.yaml"),
        dir.join("openapi/invitations.yaml"),
    )
    .unwrap();
    for args in [
        &["init", "--quiet"][..],
        &["add", "openapi/invitations.yaml"],
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "--quiet",
            "-m",
            "base",
        ],
    ] {
        let status = Command::new("git")
            .args(args)
            .current_dir(&dir)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }
    dir
}

#[test]
fn defaults_compare_head_with_the_working_tree() {
    let dir = git_repo("diff-defaults");
    let new =
        std::fs::read_to_string(data().join("response-enum-value-added-closed/new.yaml")).unwrap();
    std::fs::write(dir.join("openapi/invitations.yaml"), new).unwrap();
    let output = invitations(&["diff", "--format", "json"], &dir);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["changes"][0]["id"], "response-enum-value-added");
    // The same through explicit revisions.
    let output = invitations(
        &[
            "diff",
            "HEAD:openapi/invitations.yaml",
            "openapi/invitations.yaml",
            "--format",
            "json",
        ],
        &dir,
    );
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&output)).unwrap(),
        report
    );
}

/// Run from a subfolder of the repository, the default document is the
/// repository's, and a path that is not there says where it is.
#[test]
fn from_a_subfolder_the_default_is_the_repositorys_document() {
    let dir = git_repo("diff-subfolder");
    let new =
        std::fs::read_to_string(data().join("response-enum-value-added-closed/new.yaml")).unwrap();
    std::fs::write(dir.join("openapi/invitations.yaml"), new).unwrap();
    let sub = dir.join("openapi");
    let output = invitations(&["diff", "--format", "json"], &sub);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["changes"][0]["id"], "response-enum-value-added");
    let output = invitations(
        &[
            "diff",
            "HEAD:openapi/invitations.yaml",
            "openapi/invitations.yaml",
        ],
        &sub,
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: cannot read `openapi/invitations.yaml`: no such file in the current folder; \
         the repository's top has it: name it `../openapi/invitations.yaml` or run from there\n"
    );
}

#[test]
fn bad_inputs_exit_2_naming_what_is_wrong() {
    let dir = git_repo("diff-bad-inputs");
    std::fs::write(dir.join("malformed.yaml"), "openapi: 3.0.3\npaths: [\n").unwrap();
    std::fs::write(
        dir.join("untagged.yaml"),
        std::fs::read_to_string(data().join("base.yaml"))
            .unwrap()
            .replace(
                "      tags: [acme]\n      operationId: acme_list_things",
                "      operationId: acme_list_things",
            ),
    )
    .unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["diff", "missing.yaml", "openapi/invitations.yaml"],
            "cannot read `missing.yaml`",
        ),
        (
            &["diff", "openapi/invitations.yaml", "malformed.yaml"],
            "malformed.yaml:3",
        ),
        (
            &["diff", "openapi/invitations.yaml", "untagged.yaml"],
            "untagged.yaml:20: operation GET /things (acme_list_things): the operation has no vendor tag",
        ),
        (
            &["diff", "no-such-rev:openapi/invitations.yaml"],
            "at git revision `no-such-rev`",
        ),
        (
            &["diff", "HEAD:openapi/missing.yaml"],
            "cannot read `openapi/missing.yaml` at git revision `HEAD`",
        ),
        (&["diff", "--format", "xml"], "invalid value 'xml'"),
    ];
    for (args, message) in cases {
        let output = invitations(args, &dir);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(message),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stdout(&output).is_empty(), "{args:?}: nothing on stdout");
        assert!(!stderr(&output).contains("panicked"), "{args:?}");
    }
}

/// The diff refuses what the build refuses, with the generator's message:
/// each broken document of `crates/codegen/tests/data/broken/` against the
/// real document.
#[test]
fn the_diff_refuses_what_the_build_refuses() {
    let root = &invitations_test_support::workspace_root();
    for name in [
        "undeclared_path_parameter",
        "invalid_schema_type",
        "other_vendor_prefix",
        "duplicate_method",
    ] {
        let file = format!("crates/codegen/tests/data/broken/{name}.yaml");
        let text = std::fs::read_to_string(root.join(&file)).unwrap();
        let build_error =
            invitations_codegen::generate(&file, &text, &invitations_codegen::Options::default())
                .expect_err("the build refuses it");
        let output = invitations(&["diff", "openapi/invitations.yaml", &file], root);
        assert_eq!(output.status.code(), Some(2), "{file}: {}", stderr(&output));
        assert_eq!(
            stderr(&output).trim(),
            format!("error: {build_error}"),
            "{file}"
        );
    }
}

/// What only openapiv3 refuses (progenitor would not read it), in a part the
/// new revision changes: the diff checks what differs between the revisions
/// and refuses it with the build's message, at the changed place.
#[test]
fn the_diff_refuses_what_openapiv3_refuses_where_the_document_changed() {
    let root = &invitations_test_support::workspace_root();
    let text = std::fs::read_to_string(root.join("openapi/invitations.yaml")).unwrap();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diff-openapiv3");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, from, to, place) in [
        (
            // A component no operation uses: progenitor never sees it, but
            // the build refuses the document.
            "unused-component",
            "components:\n  securitySchemes:\n",
            "components:\n  requestBodies:\n    Unused:\n      content: 7\n  securitySchemes:\n",
            "components.requestBodies.Unused",
        ),
        (
            // A response without its required description.
            "response-without-description",
            "        '201':\n          description: Successful operation; the created invitations.\n",
            "        '201':\n",
            "paths",
        ),
    ] {
        assert!(text.contains(from), "{name}: the document changed");
        let file = dir.join(format!("{name}.yaml"));
        let file = file.to_str().unwrap();
        let broken = text.replacen(from, to, 1);
        std::fs::write(file, &broken).unwrap();
        let Err(build_error) =
            invitations_codegen::generate(file, &broken, &invitations_codegen::Options::default())
        else {
            panic!("{name}: the build accepts it");
        };
        assert!(
            build_error
                .to_string()
                .contains("not a valid openapi 3.0 object")
                && build_error.to_string().contains(place),
            "{name}: {build_error}"
        );
        let output = invitations(&["diff", "openapi/invitations.yaml", file], root);
        assert_eq!(output.status.code(), Some(2), "{name}: {}", stderr(&output));
        assert_eq!(
            stderr(&output).trim(),
            format!("error: {build_error}"),
            "{name}"
        );
    }
}

/// `--format githubactions`: one workflow command per change, on the line
/// of the document the change is in (the old one for what was removed), and
/// a last notice with the bump.
#[test]
fn github_actions_annotations_point_at_the_changed_lines() {
    let dir = data().join("request-string-limits");
    let output = invitations(
        &["diff", "old.yaml", "new.yaml", "--format", "githubactions"],
        &dir,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    let new_text = std::fs::read_to_string(dir.join("new.yaml")).unwrap();
    for (line, id, key) in [
        (lines[0], "request-max-length-tightened", "maxLength: 64"),
        (lines[1], "request-min-length-tightened", "minLength: 2"),
    ] {
        let number = new_text.lines().position(|l| l.trim() == key).unwrap() + 1;
        let start = format!("::error file=new.yaml,line={number},title={id}::");
        assert!(line.starts_with(&start), "{line}\nwanted {start}");
        assert!(line.contains("semver: major"), "{line}");
    }
    assert_eq!(
        lines[2],
        "::notice title=invitations diff::semver: major (2 changes: 2 breaking, 0 warning, 0 info)"
    );

    // A removal is annotated in the old document.
    let output = invitations(
        &["diff", "new.yaml", "old.yaml", "--format", "githubactions"],
        &data().join("operation-added"),
    );
    let out = stdout(&output);
    assert!(out.starts_with("::error file=new.yaml,line="), "{out}");
    assert!(out.contains("title=operation-removed::"), "{out}");
}

/// `--ignore FILE`: accepted changes are marked with their reason and no
/// longer fail `--fail-on`; an entry that matches nothing is reported, and
/// fails only `--fail-on-unmatched`; a bad file is refused with its line.
#[test]
fn ignore_files_accept_changes_and_cannot_rot() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diff-ignore");
    std::fs::create_dir_all(&dir).unwrap();
    let case = data().join("request-string-limits");
    for file in ["old.yaml", "new.yaml"] {
        std::fs::copy(case.join(file), dir.join(file)).unwrap();
    }
    let accept = |id: &str, location: &str| {
        format!("- id: {id}\n  location: '{location}'\n  reason: names are short in practice\n")
    };
    let max = accept(
        "request-max-length-tightened",
        "#/components/schemas/AcmeCreateThingRequest/properties/name/maxLength",
    );
    let min = accept(
        "request-min-length-tightened",
        "#/components/schemas/AcmeCreateThingRequest/properties/name/minLength",
    );
    let stale = accept("operation-removed", "#/paths/~1gone/get");
    let run = |ignore: &str, extra: &[&str]| {
        std::fs::write(dir.join("accepted.yaml"), ignore).unwrap();
        let mut args = vec!["diff", "old.yaml", "new.yaml", "--ignore", "accepted.yaml"];
        args.extend(extra);
        invitations(&args, &dir)
    };

    // Both breaks accepted: they are listed as accepted and do not fail.
    let both = format!("{max}{min}");
    let output = run(&both, &["--fail-on", "breaking", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let changes = report["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "accepted changes stay in the report");
    assert!(
        changes
            .iter()
            .all(|c| c["ignored"] == "names are short in practice")
    );
    assert_eq!(report["semver"], "major", "the crate still needs the bump");

    // One accepted: the other still fails.
    let output = run(&max, &["--fail-on", "breaking"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("accepted (ignore file): names are short in practice"));

    // An entry that matches nothing (its change merged, say) is reported as
    // a notice and fails nothing, unless `--fail-on-unmatched` asks.
    let output = run(
        &format!("{both}{stale}"),
        &["--fail-on", "breaking", "--format", "githubactions"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.contains("::notice file=accepted.yaml,line=7,title=unmatched ignore entry::`operation-removed` at #/paths/~1gone/get matches no change"),
        "{out}"
    );
    assert_eq!(
        out.matches("::notice").count(),
        4,
        "two accepted changes, the unmatched entry and the summary: {out}"
    );
    assert!(!out.contains("::warning"), "{out}");
    let output = run(
        &format!("{both}{stale}"),
        &["--fail-on-unmatched", "--format", "json"],
    );
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["unmatched_ignores"][0]["id"], "operation-removed");
    let output = run(&both, &["--fail-on-unmatched"]);
    assert_eq!(output.status.code(), Some(0), "every entry matches");

    // A bad file: exit 2, naming the file and line.
    let output = run(
        &both.replace("request-min-length-tightened", "request-min-length-tighter"),
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output).trim(),
        "error: accepted.yaml:4: no change has the id `request-min-length-tighter`"
    );
}

/// A document split over files is diffed from git revisions, each file read
/// at its revision: a change made only in the other file is found.
#[test]
fn a_split_document_is_diffed_from_git_revisions() {
    let dir = git_repo("diff-split");
    let base = std::fs::read_to_string(data().join("base.yaml")).unwrap();
    // `AcmeError` moves to `openapi/errors.yaml`.
    let error = "    AcmeError:\n      type: object\n      required: [errors]\n      properties:\n        errors:\n          type: array\n          items:\n            type: string\n";
    assert!(base.contains(error));
    let root = base.replace(error, "").replace(
        "'#/components/schemas/AcmeError'",
        "'errors.yaml#/AcmeError'",
    );
    let errors = |extra: &str| {
        format!(
            "AcmeError:\n  type: object\n  required: [errors]\n  properties:\n    errors:\n      type: array\n      items:\n        type: string\n{extra}"
        )
    };
    let commit = |message: &str| {
        for args in [
            &["add", "-A"][..],
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "commit",
                "--quiet",
                "-m",
                message,
            ],
        ] {
            let status = Command::new("git")
                .args(args)
                .current_dir(&dir)
                .status()
                .unwrap();
            assert!(status.success(), "git {args:?}");
        }
    };
    std::fs::write(dir.join("openapi/invitations.yaml"), &root).unwrap();
    std::fs::write(dir.join("openapi/errors.yaml"), errors("")).unwrap();
    commit("split");
    // The split itself changes nothing: bundled, it is the same document.
    let output = invitations(
        &[
            "diff",
            "HEAD~1:openapi/invitations.yaml",
            "HEAD:openapi/invitations.yaml",
            "--format",
            "json",
        ],
        &dir,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["semver"], "none", "{report}");
    assert_eq!(report["changes"], serde_json::json!([]), "{report}");

    // A property added in the other file only, committed.
    std::fs::write(
        dir.join("openapi/errors.yaml"),
        errors("    code:\n      type: string\n"),
    )
    .unwrap();
    commit("error code");
    let output = invitations(
        &[
            "diff",
            "HEAD~1:openapi/invitations.yaml",
            "HEAD:openapi/invitations.yaml",
            "--format",
            "json",
        ],
        &dir,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let ids: Vec<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["response-property-added"], "{report}");
    assert_eq!(report["semver"], "major");

    // The old revision's file as it was then, not as it is now: reversed.
    let output = invitations(
        &[
            "diff",
            "HEAD:openapi/invitations.yaml",
            "HEAD~1:openapi/invitations.yaml",
            "--format",
            "json",
        ],
        &dir,
    );
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        report["changes"][0]["id"], "response-property-removed",
        "{report}"
    );

    // A file missing at a revision is named.
    let output = invitations(
        &[
            "diff",
            "HEAD~2:openapi/invitations.yaml",
            "openapi/invitations.yaml",
        ],
        &dir,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    std::fs::remove_file(dir.join("openapi/errors.yaml")).unwrap();
    let output = invitations(
        &[
            "diff",
            "HEAD:openapi/invitations.yaml",
            "openapi/invitations.yaml",
        ],
        &dir,
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("cannot read `errors.yaml`"),
        "{}",
        stderr(&output)
    );
}

/// The repository ships the ignore file the README's CI recipe names
/// (`openapi/accepted-changes.yaml`, no entries yet), so the recipe works
/// from the first pull request.
#[test]
fn the_ci_recipe_runs_with_the_shipped_ignore_file() {
    let root = invitations_test_support::workspace_root();
    let output = invitations(
        &[
            "diff",
            "openapi/invitations.yaml",
            "openapi/invitations.yaml",
            "--format",
            "githubactions",
            "--fail-on",
            "breaking",
            "--ignore",
            "openapi/accepted-changes.yaml",
        ],
        &root,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("::notice"), "{}", stdout(&output));
}
