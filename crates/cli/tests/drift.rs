//! `invitations drift VENDOR_DOC --vendor automox [DOC]`, run as a program:
//! our document against the vendor's own definition, judged from our
//! client's side (ours is the client, the vendor's the server).
//!
//! Fixtures, in `tests/data/drift/`:
//! - `ours.yaml`: the Automox part of `openapi/invitations.yaml` (its one
//!   operation, `automox_create_invitation`), in our conventions;
//! - `vendor-3.0/base.yaml`: the vendor's definition in its own style
//!   (written by hand), agreeing with `ours.yaml` on everything our client
//!   relies on, plus an operation ours does not cover (`getZones`);
//! - everything else is written by `make_cases.py` from that base, with text
//!   edits: `vendor-3.1/base.yaml` (the same in OpenAPI 3.1 constructs), one
//!   file per case in both forms (`vendor-3.0/<case>.yaml`,
//!   `vendor-3.1/<case>.yaml`), the 3.1 base split over two files
//!   (`vendor-split/`), and bad input (`vendor-bad/`). Run
//!   `python3 crates/cli/tests/data/drift/make_cases.py` after editing the
//!   base or a case.
//!
//! What is tested: each case in both forms against [`CASES`] (the change
//! expected, with its id, level, side, operation and line, and what else may
//! be reported), the exit codes with and without `--fail-on`, `--ignore`,
//! the text, markdown and GitHub Actions formats, a split vendor document,
//! and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use invitations_cli::diff::rules::Rule;
use serde_json::Value;

/// Our one operation for the vendor; every change is about it.
const OPERATION: &str = "automox_create_invitation";

/// The two forms of every vendor document: a folder of `tests/data/drift/`.
const FORMS: &[&str] = &["vendor-3.0", "vendor-3.1"];

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/drift")
}

/// The program (`INVITATIONS_BIN` runs another build of it) with `args`,
/// run in `tests/data/drift/`.
fn invitations(args: &[&str]) -> Output {
    let program = std::env::var_os("INVITATIONS_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_invitations").into());
    Command::new(program)
        .args(args)
        .current_dir(data())
        .output()
        .expect("the invitations program runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `drift VENDOR --vendor automox ours.yaml`, then `extra`.
fn drift(vendor: &str, extra: &[&str]) -> Output {
    let mut args = vec!["drift", vendor, "--vendor", "automox", "ours.yaml"];
    args.extend(extra);
    invitations(&args)
}

/// The JSON report of `vendor` (a file under `tests/data/drift/`), or why
/// there is none.
fn report(vendor: &str, extra: &[&str]) -> Result<Value, String> {
    let mut args = vec!["--format", "json"];
    args.extend(extra);
    let output = drift(vendor, &args);
    if output.status.code() != Some(0) {
        return Err(format!(
            "`drift {vendor} {}` exited with {:?} (want 0): {}",
            args.join(" "),
            output.status.code(),
            stderr(&output)
        ));
    }
    serde_json::from_str(&stdout(&output))
        .map_err(|e| format!("stdout is not a JSON report ({e}): {}", stdout(&output)))
}

fn changes(report: &Value) -> &[Value] {
    report["changes"].as_array().map_or(&[], Vec::as_slice)
}

/// The rank of a level: info 0, warning 1, breaking 2.
fn rank(level: &str) -> Option<u8> {
    ["info", "warning", "breaking"]
        .iter()
        .position(|l| *l == level)
        .map(|r| r as u8)
}

fn level(change: &Value) -> &str {
    change["level"].as_str().unwrap_or("")
}

/// The highest level among the changes not accepted by an ignore file.
fn worst(report: &Value) -> Option<u8> {
    changes(report)
        .iter()
        .filter(|c| c.get("ignored").is_none())
        .filter_map(|c| rank(level(c)))
        .max()
}

/// Each change as `id (level)`, for failure messages.
fn brief(report: &Value) -> String {
    let all: Vec<String> = changes(report)
        .iter()
        .map(|c| format!("{} ({}) at {}", c["id"], c["level"], c["location"]))
        .collect();
    format!("[{}]", all.join(", "))
}

/// 1-based number of the first line of `text` that is `trimmed` once
/// trimmed.
fn line_of(text: &str, trimmed: &str) -> usize {
    text.lines()
        .position(|l| l.trim() == trimmed)
        .unwrap_or_else(|| panic!("no line `{trimmed}`"))
        + 1
}

/// The node of the YAML document `text` at the JSON pointer `location`
/// (`#/a/b~1c`), if there is one.
fn resolve(text: &str, location: &str) -> Option<Value> {
    let doc: Value = serde_yaml::from_str(text).ok()?;
    let pointer = location.strip_prefix('#')?;
    // Object keys are unescaped by `pointer`; only `~1` and `~0` are used.
    doc.pointer(pointer).cloned()
}

/// What the contract says of every change, whatever the case: a known id
/// and level, the vendor, our operation, and a location (and line) that
/// exist in the file `side` names (`vendor_text` or `ours.yaml`).
fn check_change(change: &Value, vendor_text: &str) -> Result<(), String> {
    let id = change["id"].as_str().unwrap_or("");
    if !Rule::ALL.iter().any(|r| r.id() == id) {
        return Err(format!("`{id}` is no rule's id, in {change}"));
    }
    if rank(level(change)).is_none() {
        return Err(format!(
            "{change}: `level` is not info, warning or breaking"
        ));
    }
    if change["wire"]["level"].as_str().and_then(rank).is_none() {
        return Err(format!("no `wire.level`, in {change}"));
    }
    if change["vendor"] != "automox" {
        return Err(format!("`vendor` is not automox, in {change}"));
    }
    if change["operation"] != OPERATION {
        return Err(format!("`operation` is not {OPERATION}, in {change}"));
    }
    let in_operations = change["operations"]
        .as_array()
        .is_some_and(|ops| ops.iter().any(|o| o == OPERATION));
    if !in_operations {
        return Err(format!(
            "`operations` does not name {OPERATION}, in {change}"
        ));
    }
    if change["message"].as_str().is_none_or(str::is_empty) {
        return Err(format!("no `message`, in {change}"));
    }
    let ours = std::fs::read_to_string(data().join("ours.yaml")).unwrap();
    let text = match change["side"].as_str() {
        Some("vendor") => vendor_text,
        Some("ours") => &ours,
        _ => return Err(format!("`side` is not vendor or ours, in {change}")),
    };
    let location = change["location"].as_str().unwrap_or("");
    if resolve(text, location).is_none() {
        return Err(format!(
            "`location` is not a place in the {} file, in {change}",
            change["side"]
        ));
    }
    match &change["line"] {
        Value::Null => {}
        line => match line.as_u64() {
            Some(n) if n >= 1 && n as usize <= text.lines().count() => {}
            _ => return Err(format!("`line` is not a line of its file, in {change}")),
        },
    }
    Ok(())
}

/// What else a case may report besides its expected change.
#[derive(Clone, Copy, Debug)]
enum Others {
    /// No change at all (not even the expected one: `expect` is `None`).
    Nothing,
    /// Only changes below warning.
    InfoOnly,
    /// Only changes below breaking.
    NoBreaking,
    /// Anything.
    Any,
}

/// The change a case must report.
struct Expected {
    /// Its id is one of these.
    ids: &'static [&'static str],
    /// Its level is one of these.
    levels: &'static [&'static str],
    /// Its `side`, where the contract says it.
    side: Option<&'static str>,
    /// Its `location` starts with this, where the contract says it.
    location: Option<&'static str>,
    /// Its `line` is that of this (trimmed) line of the vendor file.
    line_of: Option<&'static str>,
}

/// One vendor-side change, in both forms.
struct Case {
    /// The file name (without `.yaml`) in each form's folder.
    name: &'static str,
    expect: Option<Expected>,
    others: Others,
    /// The exit code with `--fail-on breaking`; `None`: 1 exactly when a
    /// breaking change is reported (the case allows either level).
    fail_on_breaking: Option<i32>,
}

const fn expected(ids: &'static [&'static str], levels: &'static [&'static str]) -> Expected {
    Expected {
        ids,
        levels,
        side: None,
        location: None,
        line_of: None,
    }
}

const BREAKING: &[&str] = &["breaking"];

/// Every case, in both forms. This table is the specification of how each
/// vendor-side change is judged for our client.
const CASES: &[Case] = &[
    Case {
        // Agrees with ours: nothing our client needs to know.
        name: "base",
        expect: None,
        others: Others::InfoOnly,
        fail_on_breaking: Some(0),
    },
    Case {
        // The vendor refuses invitations without `locale`, which we never send.
        name: "required-request-property",
        expect: Some(Expected {
            side: Some("vendor"),
            line_of: Some("locale:"),
            ..expected(&["request-property-added"], BREAKING)
        }),
        others: Others::Any,
        fail_on_breaking: Some(1),
    },
    Case {
        // We may send `helpdesk-operator`, which the vendor no longer takes.
        name: "request-enum-value-removed",
        expect: Some(expected(&["request-enum-value-removed"], BREAKING)),
        others: Others::Any,
        fail_on_breaking: Some(1),
    },
    Case {
        // We read an array; the vendor answers an object.
        name: "response-array-to-object",
        expect: Some(expected(&["response-body-type-changed"], BREAKING)),
        others: Others::Any,
        fail_on_breaking: Some(1),
    },
    Case {
        // A new error status: worth knowing, never breaking.
        name: "new-error-status",
        expect: Some(expected(&["response-status-added"], &["warning"])),
        others: Others::NoBreaking,
        fail_on_breaking: Some(0),
    },
    Case {
        // Our path is gone at the vendor: only we have it.
        name: "path-renamed",
        expect: Some(Expected {
            side: Some("ours"),
            location: Some("#/paths/~1accounts~1{accountId}~1invitations"),
            ..expected(&["path-removed", "operation-removed"], BREAKING)
        }),
        others: Others::Any,
        fail_on_breaking: Some(1),
    },
    Case {
        // We send a uuid; the vendor wants an integer.
        name: "path-parameter-type",
        expect: Some(expected(&["parameter-type-changed"], BREAKING)),
        others: Others::Any,
        fail_on_breaking: Some(1),
    },
    Case {
        // We send a bearer token; the vendor wants an API key header.
        name: "security-scheme",
        expect: Some(expected(
            &["security-changed", "security-scheme-changed"],
            &["warning", "breaking"],
        )),
        others: Others::Any,
        fail_on_breaking: None,
    },
    Case {
        // Our client ignores a property it does not know: MUST NOT BREAK.
        name: "new-optional-response-property",
        expect: Some(expected(&["response-property-added"], &["info"])),
        others: Others::InfoOnly,
        fail_on_breaking: Some(0),
    },
    Case {
        // Only the operation ours does not cover changed: MUST NOT BREAK.
        name: "uncovered-operation-changed",
        expect: None,
        others: Others::Nothing,
        fail_on_breaking: Some(0),
    },
];

/// The first way the report of `case` in `form` departs from [`CASES`].
fn check_case(form: &str, case: &Case) -> Result<(), String> {
    let file = format!("{form}/{}.yaml", case.name);
    let text = std::fs::read_to_string(data().join(&file)).unwrap();
    let report = report(&file, &[])?;
    let all = changes(&report);
    for change in all {
        check_change(change, &text)?;
    }

    if let Some(want) = &case.expect {
        let matching: Vec<&Value> = all
            .iter()
            .filter(|c| want.ids.iter().any(|id| c["id"] == *id))
            .filter(|c| want.levels.contains(&level(c)))
            .collect();
        if matching.is_empty() {
            return Err(format!(
                "no change {:?} at {:?}; got {}",
                want.ids,
                want.levels,
                brief(&report)
            ));
        }
        // One of the matching changes must have every property asked.
        let line = want.line_of.map(|l| line_of(&text, l));
        let fits = |c: &&Value| {
            want.side.is_none_or(|s| c["side"] == s)
                && want
                    .location
                    .is_none_or(|l| c["location"].as_str().is_some_and(|x| x.starts_with(l)))
                && line.is_none_or(|n| c["line"] == n)
        };
        if !matching.iter().any(fits) {
            return Err(format!(
                "no change {:?} with side {:?}, location starting {:?}, line {line:?}; got {}",
                want.ids,
                want.side,
                want.location,
                serde_json::to_string_pretty(&matching).unwrap()
            ));
        }
    }
    let ceiling = match case.others {
        Others::Nothing if !all.is_empty() => {
            return Err(format!("want no change at all; got {}", brief(&report)));
        }
        Others::Nothing | Others::InfoOnly => Some(0),
        Others::NoBreaking => Some(1),
        Others::Any => None,
    };
    if let Some(ceiling) = ceiling
        && worst(&report).is_some_and(|w| w > ceiling)
    {
        return Err(format!(
            "want nothing above {}; got {}",
            ["info", "warning"][usize::from(ceiling)],
            brief(&report)
        ));
    }

    // Exit codes: 0 without `--fail-on`; 1 at or above it.
    let code = |extra: &[&str]| drift(&file, extra).status.code();
    let got = code(&[]);
    if got != Some(0) {
        return Err(format!("without --fail-on: exit {got:?}, want 0"));
    }
    let want = case
        .fail_on_breaking
        .unwrap_or(i32::from(worst(&report) == Some(2)));
    let got = code(&["--fail-on", "breaking"]);
    if got != Some(want) {
        return Err(format!("--fail-on breaking: exit {got:?}, want {want}"));
    }
    let want = i32::from(worst(&report).is_some_and(|w| w >= 1));
    let got = code(&["--fail-on", "warning"]);
    if got != Some(want) {
        return Err(format!(
            "--fail-on warning: exit {got:?}, want {want} for {}",
            brief(&report)
        ));
    }
    Ok(())
}

#[test]
fn every_case_is_judged_as_specified_in_both_forms() {
    let mut failures = Vec::new();
    for form in FORMS {
        for case in CASES {
            if let Err(e) = check_case(form, case) {
                failures.push(format!("{form}/{}.yaml: {e}", case.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} runs departed from the table:\n{}",
        failures.len(),
        FORMS.len() * CASES.len(),
        failures.join("\n")
    );
}

/// Every fixture of each form is in the table and the other way round (so
/// `make_cases.py` and [`CASES`] cannot drift apart).
#[test]
fn every_case_file_is_in_the_table() {
    let mut want: Vec<String> = CASES.iter().map(|c| format!("{}.yaml", c.name)).collect();
    want.sort();
    for form in FORMS {
        let mut files: Vec<String> = std::fs::read_dir(data().join(form))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files, want, "{form}");
    }
}

/// The 3.1 base is written in the 3.1 constructs the drift must read (and
/// not in their 3.0 forms), so every 3.1 case exercises them.
#[test]
fn the_3_1_fixtures_use_3_1_constructs() {
    let text = std::fs::read_to_string(data().join("vendor-3.1/base.yaml")).unwrap();
    for construct in [
        "openapi: 3.1.0",
        "type: [string, \"null\"]",
        "examples:\n",
        "const: ",
        "exclusiveMinimum: 0",
    ] {
        assert!(text.contains(construct), "no `{construct}`");
    }
    assert!(!text.contains("nullable:") && !text.contains("exclusiveMinimum: true"));
    assert!(
        text.contains("$ref: '#/components/schemas/inviter'\n          description: "),
        "a `$ref` with a sibling `description`"
    );
}

/// The one breaking change of `required-request-property` (3.1 form).
fn the_locale_case() -> (&'static str, usize) {
    let file = "vendor-3.1/required-request-property.yaml";
    let text = std::fs::read_to_string(data().join(file)).unwrap();
    (file, line_of(&text, "locale:"))
}

/// `--ignore FILE`: an accepted change is marked with its reason and no
/// longer fails `--fail-on`; an entry that matches nothing is listed and
/// fails `--fail-on`.
#[test]
fn ignore_files_accept_changes_and_report_stale_entries() {
    let (file, _) = the_locale_case();
    let report = report(file, &[]).unwrap();
    let breaking: Vec<&Value> = changes(&report)
        .iter()
        .filter(|c| level(c) == "breaking")
        .collect();
    assert!(
        breaking.iter().any(|c| c["id"] == "request-property-added"),
        "{}",
        brief(&report)
    );
    let reason = "we send a locale from the next release";
    let accepted: String = breaking
        .iter()
        .map(|c| {
            format!(
                "- id: {}\n  location: '{}'\n  reason: {reason}\n",
                c["id"].as_str().unwrap(),
                c["location"].as_str().unwrap()
            )
        })
        .collect();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("drift-ignore");
    std::fs::create_dir_all(&dir).unwrap();
    let ignore = dir.join("accepted.yaml");
    let ignore = ignore.to_str().unwrap();
    let run = |entries: &str, extra: &[&str]| {
        std::fs::write(ignore, entries).unwrap();
        let mut args = vec!["--ignore", ignore];
        args.extend(extra);
        drift(file, &args)
    };

    // Accepted: it stays in the report, marked, and fails nothing.
    let output = run(&accepted, &["--fail-on", "breaking", "--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "an accepted change fails nothing: {}{}",
        stdout(&output),
        stderr(&output)
    );
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let locale = changes(&report)
        .iter()
        .find(|c| c["id"] == "request-property-added")
        .expect("an accepted change stays in the report");
    assert_eq!(locale["ignored"], reason, "{locale}");
    assert!(
        report["unmatched_ignores"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "every entry matches: {report}"
    );
    let accepted_count = changes(&report)
        .iter()
        .filter(|c| c.get("ignored").is_some())
        .count();
    assert_eq!(accepted_count, breaking.len(), "{}", brief(&report));

    // A stale entry: listed, and it fails `--fail-on` (only then).
    let stale = format!(
        "{accepted}- id: operation-removed\n  location: '#/paths/~1gone/post'\n  reason: long gone\n"
    );
    let output = run(&stale, &["--fail-on", "breaking", "--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "an entry that matches nothing fails --fail-on: {}{}",
        stdout(&output),
        stderr(&output)
    );
    let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
    let unmatched = report["unmatched_ignores"].as_array().expect("listed");
    assert_eq!(unmatched.len(), 1, "{report}");
    assert_eq!(unmatched[0]["id"], "operation-removed");
    assert_eq!(unmatched[0]["location"], "#/paths/~1gone/post");
    let output = run(&stale, &["--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "without --fail-on, an unmatched entry fails nothing: {}",
        stderr(&output)
    );
}

/// The text, markdown and GitHub Actions reports name the change; the
/// annotation points at the vendor file's line.
#[test]
fn text_markdown_and_github_actions_name_the_change() {
    let (file, line) = the_locale_case();
    for format in ["text", "markdown", "githubactions"] {
        let output = drift(file, &["--format", format]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{format}: {}",
            stderr(&output)
        );
        let out = stdout(&output);
        assert!(out.contains("request-property-added"), "{format}: {out}");
        if format == "githubactions" {
            let start = format!("::error file={file},line={line}");
            assert!(
                out.lines()
                    .any(|l| l.starts_with(&start) && l.contains("request-property-added")),
                "{format}: no line starting {start}: {out}"
            );
        }
    }
    // The default format is text.
    let output = drift(file, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("request-property-added"));
}

/// A vendor document split over two files (the root reaching its schemas
/// by relative `$ref`) is judged as the same document in one file.
#[test]
fn a_split_vendor_document_is_judged_as_one() {
    let ids = |report: &Value| {
        let mut ids: Vec<(String, String)> = changes(report)
            .iter()
            .map(|c| (c["id"].to_string(), c["level"].to_string()))
            .collect();
        ids.sort();
        ids
    };
    let root = std::fs::read_to_string(data().join("vendor-split/openapi.yaml")).unwrap();
    assert!(root.contains("$ref: 'schemas.yaml#/components/schemas/invitation'"));
    assert!(
        !root.contains("\n  schemas:\n"),
        "the schemas are elsewhere"
    );
    let split = report("vendor-split/openapi.yaml", &[]).unwrap();
    let one = report("vendor-3.1/base.yaml", &[]).unwrap();
    assert_eq!(worst(&split).unwrap_or(0), 0, "{}", brief(&split));
    assert_eq!(ids(&split), ids(&one));
    let output = drift("vendor-split/openapi.yaml", &["--fail-on", "warning"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// Bad input never panics: a file that is not YAML (or is missing) exits 2
/// with one line naming it; a construct that cannot be judged exits 2
/// naming the file, or is reported as a change.
#[test]
fn bad_input_exits_2_or_is_reported_never_panics() {
    for file in ["vendor-bad/not-yaml.yaml", "vendor-bad/missing.yaml"] {
        let output = drift(file, &["--format", "json"]);
        let err = stderr(&output);
        assert!(!err.contains("panicked"), "{file}: {err}");
        assert_eq!(output.status.code(), Some(2), "{file}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{file}: one line: {err}");
        assert!(err.contains(file), "{file}: names the file: {err}");
        assert!(stdout(&output).is_empty(), "{file}: no report");
    }

    let file = "vendor-bad/mixed-type.yaml";
    let text = std::fs::read_to_string(data().join(file)).unwrap();
    assert!(text.contains("type: [string, integer]"));
    let output = drift(file, &["--format", "json"]);
    let err = stderr(&output);
    assert!(!err.contains("panicked"), "{file}: {err}");
    match output.status.code() {
        Some(2) => assert!(err.contains(file), "{file}: names the file: {err}"),
        Some(0 | 1) => {
            let report: Value = serde_json::from_str(&stdout(&output)).unwrap();
            assert!(!changes(&report).is_empty(), "{file}: reported: {report}");
        }
        code => panic!("{file}: exit {code:?}: {err}"),
    }
}
