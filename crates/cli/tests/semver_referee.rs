//! cargo-semver-checks as an independent referee for the Rust verdict of
//! `invitations diff`.
//!
//! For every case in `tests/data/diff/<case>/{old,new}.yaml` and both
//! directions (old → new, new → old), this builds the rustdoc JSON of a crate
//! holding the code generated from each document (`invitations_test_support::scratch`,
//! all features, so the `mock` helpers are in), runs
//! `cargo semver-checks check-release --baseline-rustdoc … --current-rustdoc …`
//! on the pair, and compares the bump the tool asks for with the top-level
//! `semver` of `invitations diff … --format json`:
//!
//! - the diff must cover the tool: where the tool needs a major (or minor)
//!   bump, the diff's verdict must be at least that;
//! - where the diff's verdict is higher than the tool's, [`DIFF_ABOVE_TOOL`]
//!   must say why, one row per (case, direction); a row the tool no longer
//!   disagrees with fails too, so the table cannot go stale.
//!
//! Every disagreement is collected and reported in one assertion message, and
//! a summary line per case and direction is written to stderr (not captured).
//!
//! Speed: the rustdoc JSON is built once per distinct document (most cases
//! share `old.yaml`, the base), all in one target directory under the scratch
//! target, and the tool reads those files instead of building each crate
//! itself (twice per run).
//!
//! cargo-semver-checks is pinned in `scripts/install-tools`, which
//! `scripts/test` runs before this test; a plain `cargo test` lists it as
//! ignored. Run it with
//! `cargo test --all-features --test semver_referee -- --ignored`.

use invitations_test_support::scratch;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The cargo-semver-checks version `scripts/install-tools` installs.
const PINNED: &str = "0.51.0";

/// Where the diff's verdict is higher than cargo-semver-checks' on purpose:
/// (case, direction, why the tool does not see it). A direction is
/// `old->new` or `new->old`. Each row must still be needed: the test fails
/// when the tool now agrees with the diff there. Each row was checked against
/// the generated code of its pair: in every one the diff is right and the
/// tool has no lint for the change.
const DIFF_ABOVE_TOOL: &[(&str, &str, &str)] = &[
    // New public API is a minor change (Cargo's semver rules); the tool only
    // lints breaks (and deprecations), never additions. The new methods of
    // the mocks' `MockServerExt` are not breaks either: the trait is sealed
    // (unsealed, the tool reports `trait_method_added` there, as it should).
    ("operation-added", "old->new", ADDED),
    ("path-added", "old->new", ADDED),
    ("vendor-added", "old->new", ADDED),
    ("parameter-added-optional", "old->new", ADDED),
    ("response-status-added", "old->new", ADDED),
    ("deprecated-operation-removed", "new->old", ADDED),
    ("header-parameter-added", "old->new", ADDED),
    // A required query parameter was added: the builder gains a method, and
    // a call that does not use it now fails in `send()`.
    (
        "parameter-added-required",
        "old->new",
        "a required builder value was added: old calls compile but `send()` fails with \
         \"limit was not initialized\"; a behaviour break no API lint can see",
    ),
    // Types of parameters and fields: the tool compares item names, kinds,
    // generics counts and signatures' shape, not a field's type or a bound.
    ("parameter-type-changed", "old->new", BOUND),
    ("parameter-type-changed", "new->old", BOUND),
    ("parameter-enum-added", "old->new", BOUND),
    ("request-property-max-length-added", "old->new", FIELD),
    ("request-property-pattern-added", "old->new", FIELD),
    // Limits: lengths and `pattern` make a checked newtype, `minimum: 1` a
    // `NonZeroU64`, a default a plain `T`, an array limit an `Option<Vec<_>>`.
    ("request-string-limits", "old->new", FIELD),
    ("response-string-limits", "old->new", FIELD),
    ("response-pattern-removed", "new->old", FIELD),
    ("request-number-limits", "old->new", FIELD),
    ("request-number-limits", "new->old", FIELD),
    ("response-number-limits", "old->new", FIELD),
    ("response-number-limits", "new->old", FIELD),
    ("request-array-limits", "old->new", FIELD),
    ("request-array-limits", "new->old", FIELD),
    ("default-changed", "old->new", FIELD),
    ("request-property-became-nullable", "old->new", FIELD),
    ("request-property-became-nullable", "new->old", FIELD),
    ("request-property-became-required", "old->new", FIELD),
    ("request-property-became-required", "new->old", FIELD),
    ("request-property-type-changed", "old->new", FIELD),
    ("request-property-type-changed", "new->old", FIELD),
    ("response-property-became-nullable", "old->new", FIELD),
    ("response-property-became-nullable", "new->old", FIELD),
    ("response-property-became-required", "old->new", FIELD),
    ("response-property-became-required", "new->old", FIELD),
    ("response-property-type-changed", "old->new", FIELD),
    ("response-property-type-changed", "new->old", FIELD),
];

const ADDED: &str = "public items were added (a minor change): cargo-semver-checks has no lint for \
                     added items";
const FIELD: &str = "a field's type changed (e.g. `String` to `Option<String>`): cargo-semver-checks \
                     has no lint for a changed field type";
const BOUND: &str = "a builder/mock method's `TryInto<T>`/`Into<T>` bound changed type: \
                     cargo-semver-checks has no lint for a changed trait bound";

/// A semver bump, ordered: a verdict covers every bump at or below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Bump {
    None,
    Patch,
    Minor,
    Major,
}

impl Bump {
    fn parse(s: &str) -> Option<Bump> {
        Some(match s {
            "none" => Bump::None,
            "patch" => Bump::Patch,
            "minor" => Bump::Minor,
            "major" => Bump::Major,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Bump::None => "none",
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        }
    }
}

/// What cargo-semver-checks said about one pair of rustdoc JSON files.
struct ToolReport {
    /// The highest bump any fired lint asks for (`None`: no lint fired; the
    /// tool has no lints for patch-level changes).
    bump: Bump,
    /// The lints that fired, as `id (major|minor)`, with `, warn` for lints
    /// whose default level is warn (their bump is only suggested).
    lints: Vec<String>,
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cases_dir() -> PathBuf {
    manifest_dir().join("tests/data/diff")
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn failure(what: &str, output: &Output) -> String {
    format!(
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    )
}

/// The case directories: those holding both `old.yaml` and `new.yaml`.
fn cases() -> Vec<String> {
    let mut cases: Vec<String> = std::fs::read_dir(cases_dir())
        .expect("tests/data/diff is readable")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("old.yaml").is_file() && path.join("new.yaml").is_file())
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    cases
}

/// Fails unless `cargo semver-checks --version` is the pinned version.
fn require_pinned_tool() {
    let output = cargo()
        .args(["semver-checks", "--version"])
        .output()
        .expect("cargo runs");
    let version = text(&output.stdout);
    assert!(
        output.status.success() && version.trim() == format!("cargo-semver-checks {PINNED}"),
        "cargo-semver-checks {PINNED} is not installed (found: {:?} {:?}): \
         run scripts/install-tools (scripts/test does)",
        version.trim(),
        text(&output.stderr).trim()
    );
}

/// Builds the rustdoc JSON (all features) of the crate generated from
/// `document` once per distinct text, and returns its path.
///
/// The crate lives in `<scratch target>/semver-referee/<hash>/` and builds in
/// `<scratch target>/semver-referee/target`, shared by every document so the
/// dependencies compile once. Not in the scratch target itself: rustdoc JSON
/// needs `RUSTC_BOOTSTRAP=1`, which cargo counts in every unit's fingerprint,
/// so sharing that directory with the other tests' `cargo check` would
/// rebuild all dependencies at each switch.
fn rustdoc_json(
    built: &mut BTreeMap<u64, (String, PathBuf)>,
    name: &str,
    document: &str,
) -> PathBuf {
    let mut hasher = DefaultHasher::new();
    document.hash(&mut hasher);
    let hash = hasher.finish();
    if let Some((text, json)) = built.get(&hash) {
        assert_eq!(text, document, "hash collision between documents");
        return json.clone();
    }
    let root = scratch::target_dir().join("semver-referee");
    let target = root.join("target");
    let dir = root.join(format!("{hash:016x}"));
    std::fs::create_dir_all(&dir).unwrap();
    let vendors = scratch::write_crate(&dir, name, document)
        .unwrap_or_else(|e| panic!("generating code from {name}: {e}"));
    let output = cargo()
        .args([
            "rustdoc",
            "--lib",
            "--all-features",
            "--offline",
            "--quiet",
            "--",
            "-Z",
            "unstable-options",
            "--output-format",
            "json",
        ])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target)
        // rustdoc's JSON output is unstable; stable Rust gives it only so.
        .env("RUSTC_BOOTSTRAP", "1")
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "{}",
        failure(&format!("rustdoc JSON of the crate from {name}"), &output)
    );
    // Every scratch crate is `invitations-scratch`: copy the file out before
    // the next build overwrites it.
    let out = target.join("doc/invitations_scratch.json");
    let json = root.join(format!("{hash:016x}.json"));
    std::fs::copy(&out, &json)
        .unwrap_or_else(|e| panic!("copying {} to {}: {e}", out.display(), json.display()));
    assert_eq!(
        mock_traits(&json),
        vendors.len(),
        "{name}: the rustdoc JSON should hold one `mock::MockServerExt` trait per vendor \
         ({vendors:?}): was the `mock` feature on?"
    );
    built.insert(hash, (document.to_owned(), json.clone()));
    json
}

/// Removes the crates and JSON files of earlier runs (documents change, and
/// each has its own directory), keeping the shared target directory.
fn clear_old_crates() {
    let root = scratch::target_dir().join("semver-referee");
    let Ok(entries) = std::fs::read_dir(&root) else {
        return;
    };
    for path in entries.map(|entry| entry.unwrap().path()) {
        if path.file_name().is_some_and(|name| name == "target") {
            continue;
        }
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.unwrap_or_else(|e| panic!("removing {}: {e}", path.display()));
    }
}

/// How many traits named `MockServerExt` a rustdoc JSON file documents (the
/// generated httpmock helpers, one per vendor with the `mock` feature).
fn mock_traits(json: &Path) -> usize {
    let doc: Value = serde_json::from_slice(&std::fs::read(json).unwrap())
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", json.display()));
    doc["index"]
        .as_object()
        .expect("rustdoc JSON has an index")
        .values()
        .filter(|item| item["name"] == "MockServerExt" && item["inner"].get("trait").is_some())
        .count()
}

/// Runs cargo-semver-checks on a baseline and a current rustdoc JSON file.
/// `--release-type patch` makes it run every major and minor lint (both
/// scratch crates have the same version, from which it would guess no
/// release at all) and report the bump the change needs.
fn semver_checks(baseline: &Path, current: &Path) -> Result<ToolReport, String> {
    let output = cargo()
        .args(["semver-checks", "check-release", "--baseline-rustdoc"])
        .arg(baseline)
        .arg("--current-rustdoc")
        .arg(current)
        .args(["--release-type", "patch", "--color", "never", "--verbose"])
        .output()
        .expect("cargo runs");
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    let all = format!("{stdout}\n{stderr}");
    // `--verbose` prints one line per lint run on stderr:
    // `FAIL [  0.001s]       major        trait_method_added`
    // (WARN for lints whose level is warn, PASS when nothing was found).
    let mut bump = Bump::None;
    let mut lints = Vec::new();
    for line in stderr.lines() {
        let mut words = line.split_whitespace();
        let status = words.next();
        if !matches!(status, Some("FAIL" | "WARN")) {
            continue;
        }
        let rest: Vec<&str> = words.collect();
        let (Some(&id), Some(level)) = (rest.last(), rest.iter().rev().nth(1)) else {
            return Err(format!("cannot read the lint line {line:?}:\n{all}"));
        };
        let level = Bump::parse(level)
            .filter(|b| *b >= Bump::Minor)
            .ok_or_else(|| format!("cannot read the lint line {line:?}:\n{all}"))?;
        bump = bump.max(level);
        let warn = if status == Some("WARN") { ", warn" } else { "" };
        lints.push(format!("{id} ({}{warn})", level.as_str()));
    }
    lints.sort();
    // Cross-check with the summary line, so a change in the output format is
    // caught rather than read as "no lint fired".
    let summary = if all.contains("semver requires new major version") {
        Some(Bump::Major)
    } else if all.contains("semver requires new minor version") {
        Some(Bump::Minor)
    } else if all.contains("no semver update required") {
        None
    } else {
        return Err(format!(
            "no summary line in cargo-semver-checks' output:\n{all}"
        ));
    };
    let deny_bump = stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("FAIL"))
        .filter_map(|l| l.split_whitespace().rev().nth(1).and_then(Bump::parse))
        .max();
    if deny_bump != summary {
        return Err(format!(
            "the lints that failed ({deny_bump:?}) disagree with the summary ({summary:?}):\n{all}"
        ));
    }
    // Exit status: 0 when nothing is required, non-zero (100) when a lint
    // failed.
    let expected_failure = summary.is_some();
    if output.status.success() == expected_failure {
        return Err(failure("cargo semver-checks", &output));
    }
    Ok(ToolReport { bump, lints })
}

/// The top-level `semver` of `invitations diff OLD NEW --format json`, run in
/// the case directory.
fn diff_verdict(dir: &Path, old: &str, new: &str) -> Result<Bump, String> {
    let output = Command::new(env!("CARGO_BIN_EXE_invitations"))
        .args(["diff", old, new, "--format", "json"])
        .current_dir(dir)
        .output()
        .expect("the invitations program runs");
    if !output.status.success() {
        return Err(failure(&format!("invitations diff {old} {new}"), &output));
    }
    let report: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("invitations diff {old} {new}: not JSON: {e}"))?;
    report["semver"]
        .as_str()
        .and_then(Bump::parse)
        .ok_or_else(|| format!("invitations diff {old} {new}: no top-level semver in {report}"))
}

#[test]
#[ignore = "needs cargo-semver-checks (scripts/install-tools) and builds rustdoc JSON of every case; scripts/test runs it"]
fn the_diff_covers_every_break_cargo_semver_checks_finds() {
    require_pinned_tool();
    clear_old_crates();

    let mut built = BTreeMap::new();
    let mut problems = Vec::new();
    let mut summary = String::new();
    let mut judged = BTreeSet::new();
    let table: BTreeMap<(&str, &str), &str> = DIFF_ABOVE_TOOL
        .iter()
        .map(|&(case, direction, why)| ((case, direction), why))
        .collect();
    assert_eq!(
        table.len(),
        DIFF_ABOVE_TOOL.len(),
        "DIFF_ABOVE_TOOL has a (case, direction) twice"
    );

    for case in cases() {
        let dir = cases_dir().join(&case);
        let read = |file: &str| {
            std::fs::read_to_string(dir.join(file))
                .unwrap_or_else(|e| panic!("reading {case}/{file}: {e}"))
        };
        let old = rustdoc_json(&mut built, &format!("{case}/old.yaml"), &read("old.yaml"));
        let new = rustdoc_json(&mut built, &format!("{case}/new.yaml"), &read("new.yaml"));

        for (direction, (from, to), (baseline, current)) in [
            ("old->new", ("old.yaml", "new.yaml"), (&old, &new)),
            ("new->old", ("new.yaml", "old.yaml"), (&new, &old)),
        ] {
            let place = format!("{case} {direction}");
            judged.insert((case.clone(), direction));
            let diff = diff_verdict(&dir, from, to);
            let tool = semver_checks(baseline, current);
            let (diff, tool) = match (diff, tool) {
                (Ok(diff), Ok(tool)) => (diff, tool),
                (diff, tool) => {
                    for e in [diff.err(), tool.err()].into_iter().flatten() {
                        problems.push(format!("{place}: {e}"));
                    }
                    continue;
                }
            };
            let lints = if tool.lints.is_empty() {
                "-".to_owned()
            } else {
                tool.lints.join(", ")
            };
            let line = format!(
                "{case:<36} {direction:<9} diff {:<5} tool {:<5} {lints}",
                diff.as_str(),
                tool.bump.as_str()
            );
            writeln!(summary, "{line}").unwrap();
            writeln!(std::io::stderr(), "semver_referee: {line}").unwrap();

            // The tool never asks for a patch release, so a diff verdict of
            // patch (or none) is never "above" a tool that found nothing.
            let above = diff >= Bump::Minor && diff > tool.bump;
            let row = table.get(&(case.as_str(), direction));
            if tool.bump > diff {
                problems.push(format!(
                    "{place}: cargo-semver-checks needs a {} release ({lints}), \
                     the diff says {}",
                    tool.bump.as_str(),
                    diff.as_str()
                ));
            } else if above && row.is_none() {
                problems.push(format!(
                    "{place}: the diff says {} but cargo-semver-checks needs {} ({lints}): \
                     fix the diff, or add a row to DIFF_ABOVE_TOOL saying why the tool misses it",
                    diff.as_str(),
                    tool.bump.as_str()
                ));
            } else if !above && let Some(why) = row {
                problems.push(format!(
                    "{place}: DIFF_ABOVE_TOOL says the diff is above the tool ({why}), \
                     but now the diff says {} and the tool {} ({lints}): remove the row",
                    diff.as_str(),
                    tool.bump.as_str()
                ));
            }
        }
    }

    for (case, direction, _) in DIFF_ABOVE_TOOL {
        if !judged.contains(&((*case).to_owned(), *direction)) {
            problems.push(format!(
                "DIFF_ABOVE_TOOL names {case} {direction}, which is not a case and direction \
                 in tests/data/diff (directions: old->new, new->old)"
            ));
        }
    }

    assert!(
        problems.is_empty(),
        "{} disagreement(s) between `invitations diff` and cargo-semver-checks:\n\n{}\n\n\
         every case (case, direction, diff verdict, tool verdict, lints):\n{summary}",
        problems.len(),
        problems.join("\n")
    );
}
