//! The printed forms of a [`Report`]: [`text`] for a terminal, [`markdown`]
//! for a pull request, [`json`] for tools. Pure functions of the report,
//! the names of the two revisions (which the places of the changes are
//! printed with) and, optionally, the unified diff of the generated code of
//! each vendor whose code differs.
//!
//! Everything in a report may come from a document or an ignore file that a
//! stranger wrote (a pull request), so every form escapes it at the edge:
//! text and markdown escape control characters (a line break, ESC) wherever
//! they print such text, so each line of the report is one of its own;
//! markdown also keeps `|` from ending a table cell and backticks from
//! ending a code span or block; GitHub Actions commands escape what would
//! end a command; JSON is escaped by its serializer.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use super::{Change, Level, Report};
use crate::codegen::escape_controls as esc;

/// The unified diff of the generated Rust code of one vendor: (vendor,
/// diff).
pub type CodeDiff = (String, String);

/// The report as plain text: a heading with the bump and the counts, then
/// one block per change. `old` and `new` name the revisions; `code`, when
/// given, is the generated code's diff per vendor (empty: the same code).
pub fn text(report: &Report, old: &str, new: &str, code: Option<&[CodeDiff]>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} -> {}", esc(old), esc(new));
    match report.semver {
        Some(semver) => writeln!(out, "semver: {semver} ({})", counts(report)),
        None => writeln!(out, "{}", counts(report)),
    }
    .unwrap_or_default();
    for c in &report.changes {
        let _ = writeln!(out);
        let scope = [c.vendor.as_deref(), c.operation.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let _ = writeln!(out, "{:<8} {}  {}", c.level, esc(&c.id), esc(&scope));
        let _ = writeln!(out, "  {}", esc(&c.message));
        let _ = writeln!(out, "  at {}", esc(&place(c, old, new)));
        if c.operations.len() > 1 {
            let _ = writeln!(out, "  operations: {}", esc(&c.operations.join(", ")));
        }
        let _ = writeln!(out, "  wire: {}: {}", c.wire.level, esc(&c.wire.note));
        if let Some(rust) = &c.rust {
            let _ = writeln!(out, "  rust: {}: {}", rust.level, esc(&rust.note));
        }
        if let Some(reason) = &c.ignored {
            let _ = writeln!(out, "  accepted (ignore file): {}", esc(reason));
        }
    }
    for e in &report.unmatched_ignores {
        let _ = writeln!(
            out,
            "\nunmatched ignore entry at {}: `{}` at {} matches no change (the change it accepted is merged, or gone): it can be removed",
            esc(&entry_place(e)),
            esc(&e.id),
            esc(&e.location)
        );
    }
    if code.is_some_and(|c| c.is_empty()) {
        let _ = writeln!(out, "\ngenerated code: the same for every vendor");
    }
    for (vendor, diff) in code.unwrap_or_default() {
        let _ = writeln!(
            out,
            "\ngenerated code of `{}`:\n{}",
            esc(vendor),
            escape_lines(diff)
        );
    }
    out
}

/// `text` with control characters escaped line by line: its line breaks
/// stay (a unified diff keeps its lines), nothing else does.
fn escape_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        match line.strip_suffix('\n') {
            Some(line) => {
                out.push_str(&esc(line));
                out.push('\n');
            }
            None => out.push_str(&esc(line)),
        }
    }
    out
}

/// A markdown table cell: control characters escaped, and `|`, which
/// would end the cell.
fn cell(text: &str) -> String {
    esc(text).replace('|', "\\|")
}

/// A markdown code span holding `text`, its control characters escaped:
/// fenced with more backticks than `text` has in a row, so none of them
/// ends it.
fn code_span(text: &str) -> String {
    fenced(esc(text))
}

/// A [`code_span`] in a table cell: `|` escaped too.
fn code_cell(text: &str) -> String {
    fenced(cell(text))
}

/// `text`, already escaped, as a code span.
fn fenced(text: String) -> String {
    let fence = "`".repeat(longest_run(&text, '`') + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// The length of the longest run of `c` in `text`.
fn longest_run(text: &str, c: char) -> usize {
    let (mut longest, mut run) = (0, 0);
    for x in text.chars() {
        run = if x == c { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// The report as markdown: a heading, the bump and the counts, then a
/// table with one row per change. Arguments as for [`text`].
pub fn markdown(report: &Report, old: &str, new: &str, code: Option<&[CodeDiff]>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## {} → {}\n", code_span(old), code_span(new));
    match report.semver {
        Some(semver) => writeln!(out, "Semver: **{semver}** ({}).\n", counts(report)),
        None => writeln!(out, "{}.\n", upper_first(&counts(report))),
    }
    .unwrap_or_default();
    // The Rust column, for a report that judges the generated code.
    let rust = report.semver.is_some();
    if !report.changes.is_empty() {
        let _ = writeln!(
            out,
            "| level | change | vendor | operation | where | wire |{}\n|---|---|---|---|---|---|{}",
            if rust { " rust |" } else { "" },
            if rust { "---|" } else { "" }
        );
    }
    for c in &report.changes {
        let level = match &c.ignored {
            Some(reason) => format!("{} (accepted: {})", c.level, cell(reason)),
            None => c.level.to_string(),
        };
        let _ = write!(
            out,
            "| {} | {}: {} | {} | {} | {} | {}: {} |",
            level,
            code_cell(&c.id),
            cell(&c.message),
            cell(c.vendor.as_deref().unwrap_or("")),
            cell(&c.operations.join(", ")),
            code_cell(&place(c, old, new)),
            c.wire.level,
            cell(&c.wire.note),
        );
        if rust {
            let (level, note) = c
                .rust
                .as_ref()
                .map_or((Level::Info, ""), |r| (r.level, r.note.as_str()));
            let _ = write!(out, " {level}: {} |", cell(note));
        }
        out.push('\n');
    }
    for e in &report.unmatched_ignores {
        let _ = writeln!(
            out,
            "\nUnmatched ignore entry at {}: {} at {} matches no change (the change it accepted is merged, or gone): it can be removed.",
            code_span(&entry_place(e)),
            code_span(&e.id),
            code_span(&e.location)
        );
    }
    if code.is_some_and(|c| c.is_empty()) {
        let _ = writeln!(out, "\nGenerated code: the same for every vendor.");
    }
    for (vendor, diff) in code.unwrap_or_default() {
        // A fence longer than any run of backticks in the diff.
        let diff = escape_lines(diff);
        let fence = "`".repeat(longest_run(&diff, '`').max(2) + 1);
        let _ = writeln!(
            out,
            "\n### Generated code of {}\n\n{fence}diff\n{diff}{fence}",
            code_span(vendor)
        );
    }
    out
}

/// The JSON output: the report's fields, and `code` when it is given.
#[derive(Serialize)]
struct JsonOutput<'a> {
    #[serde(flatten)]
    report: &'a Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<BTreeMap<&'a str, &'a str>>,
}

/// The report as pretty-printed JSON, ending with a newline: the fields of
/// [`Report`], and with `code` an object `code` of the diffs by vendor.
pub fn json(report: &Report, code: Option<&[CodeDiff]>) -> String {
    let output = JsonOutput {
        report,
        code: code.map(|c| c.iter().map(|(v, d)| (v.as_str(), d.as_str())).collect()),
    };
    // Strings, numbers and maps with string keys: serializing cannot fail.
    let mut out = serde_json::to_string_pretty(&output).expect("a report serializes to JSON");
    out.push('\n');
    out
}

/// The report as GitHub Actions workflow commands: one `::error` (breaking),
/// `::warning` or `::notice` (info, or accepted by the ignore file) per
/// change, on the line of the document it is in (`old_file` for what was
/// removed, `new_file` otherwise: paths in the repository); a `::warning` on
/// each ignore entry that matches nothing; a last `::notice` with the bump.
pub fn github_actions(report: &Report, old_file: &str, new_file: &str) -> String {
    let mut out = String::new();
    for c in &report.changes {
        let command = match (&c.ignored, c.level) {
            (Some(_), _) | (None, Level::Info) => "notice",
            (None, Level::Warning) => "warning",
            (None, Level::Breaking) => "error",
        };
        let file = if c.side.is_first() {
            old_file
        } else {
            new_file
        };
        let mut text = format!("{} (wire: {}: {}", c.message, c.wire.level, c.wire.note);
        if let Some(rust) = &c.rust {
            text.push_str(&format!("; rust: {}: {}", rust.level, rust.note));
        }
        if let Some(semver) = c.semver {
            text.push_str(&format!("; semver: {semver}"));
        }
        text.push(')');
        if let Some(reason) = &c.ignored {
            text.push_str(&format!("; accepted: {reason}"));
        }
        let _ = writeln!(
            out,
            "::{command} {}::{}",
            properties(file, c.line, &c.id),
            escape_data(&text)
        );
    }
    for e in &report.unmatched_ignores {
        let _ = writeln!(
            out,
            "::notice {}::{}",
            properties(&e.file, e.line, "unmatched ignore entry"),
            escape_data(&format!(
                "`{}` at {} matches no change (the change it accepted is merged, or gone): it can be removed",
                e.id, e.location
            ))
        );
    }
    let (tool, summary) = match report.semver {
        Some(semver) => ("diff", format!("semver: {semver} ({})", counts(report))),
        None => ("drift", counts(report)),
    };
    let _ = writeln!(
        out,
        "::notice title=invitations {tool}::{}",
        escape_data(&summary)
    );
    out
}

/// `file=…,line=…,title=…` of a workflow command, escaped.
fn properties(file: &str, line: Option<usize>, title: &str) -> String {
    let mut out = format!("file={}", escape_property(file));
    if let Some(line) = line {
        out.push_str(&format!(",line={line}"));
    }
    out.push_str(&format!(",title={}", escape_property(title)));
    out
}

/// A workflow command's message: `%`, CR and LF escaped as the runner
/// reads them, and any other control character (ESC, …) as Rust writes it.
fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// A workflow command's property value: as data, and `:` and `,` too.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `file:line` of an ignore entry.
fn entry_place(e: &super::ignore::Accepted) -> String {
    match e.line {
        Some(line) => format!("{}:{line}", e.file),
        None => e.file.clone(),
    }
}

/// `3 changes: 1 breaking, 1 warning, 1 info`.
fn counts(report: &Report) -> String {
    let n = |level| report.changes.iter().filter(|c| c.level == level).count();
    let accepted = report
        .changes
        .iter()
        .filter(|c| c.ignored.is_some())
        .count();
    format!(
        "{} change{}: {} breaking, {} warning, {} info{}",
        report.changes.len(),
        if report.changes.len() == 1 { "" } else { "s" },
        n(Level::Breaking),
        n(Level::Warning),
        n(Level::Info),
        if accepted > 0 {
            format!("; {accepted} accepted by the ignore file")
        } else {
            String::new()
        }
    )
}

/// `text` with its first letter in upper case.
fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `file:line #/pointer` of a change, in the document it refers to.
fn place(change: &Change, old: &str, new: &str) -> String {
    let file = if change.side.is_first() { old } else { new };
    match change.line {
        Some(line) => format!("{file}:{line} {}", change.location),
        None => format!("{file} {}", change.location),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Bump, Impact, Side};

    fn report() -> Report {
        let impact = |level, note: &str| Impact {
            level,
            note: note.to_owned(),
        };
        Report {
            semver: Some(Bump::Major),
            unmatched_ignores: Vec::new(),
            changes: vec![
                Change {
                    id: "request-property-added".to_owned(),
                    level: Level::Breaking,
                    vendor: Some("acme".to_owned()),
                    operation: Some("acmeCreate".to_owned()),
                    operations: vec!["acmeCreate".to_owned(), "acmeUpdate".to_owned()],
                    location: "#/components/schemas/AcmeThing/properties/x".to_owned(),
                    line: Some(12),
                    side: Side::New,
                    message: "request property `x` was added (a|b)".to_owned(),
                    wire: impact(Level::Info, "an optional property to send"),
                    rust: Some(impact(Level::Breaking, "a new field")),
                    semver: Some(Bump::Major),
                    ignored: None,
                },
                Change {
                    id: "path-removed".to_owned(),
                    level: Level::Breaking,
                    vendor: None,
                    operation: None,
                    operations: Vec::new(),
                    location: "#/paths/~1x".to_owned(),
                    line: None,
                    side: Side::Old,
                    message: "path /x was removed".to_owned(),
                    wire: impact(Level::Breaking, "calls to it fail"),
                    rust: Some(impact(Level::Breaking, "gone")),
                    semver: Some(Bump::Major),
                    ignored: None,
                },
            ],
        }
    }

    fn code() -> Vec<CodeDiff> {
        vec![(
            "acme".to_owned(),
            "--- a/acme.rs\n+++ b/acme.rs\n".to_owned(),
        )]
    }

    #[test]
    fn text_names_each_change_with_its_place_in_its_revision() {
        let out = text(&report(), "old.yaml", "new.yaml", None);
        assert_eq!(
            out,
            "old.yaml -> new.yaml\n\
             semver: major (2 changes: 2 breaking, 0 warning, 0 info)\n\
             \n\
             breaking request-property-added  acme acmeCreate\n  \
             request property `x` was added (a|b)\n  \
             at new.yaml:12 #/components/schemas/AcmeThing/properties/x\n  \
             operations: acmeCreate, acmeUpdate\n  \
             wire: info: an optional property to send\n  \
             rust: breaking: a new field\n\
             \n\
             breaking path-removed  \n  \
             path /x was removed\n  \
             at old.yaml #/paths/~1x\n  \
             wire: breaking: calls to it fail\n  \
             rust: breaking: gone\n"
        );
        let same = text(&report(), "a", "b", Some(&[]));
        assert!(same.ends_with("\ngenerated code: the same for every vendor\n"));
        let code = text(&report(), "a", "b", Some(&code()));
        assert!(code.ends_with("\ngenerated code of `acme`:\n--- a/acme.rs\n+++ b/acme.rs\n\n"));
    }

    #[test]
    fn text_of_no_changes_is_the_heading() {
        let empty = Report {
            semver: Some(Bump::None),
            unmatched_ignores: Vec::new(),
            changes: Vec::new(),
        };
        assert_eq!(
            text(&empty, "a", "b", None),
            "a -> b\nsemver: none (0 changes: 0 breaking, 0 warning, 0 info)\n"
        );
    }

    #[test]
    fn markdown_is_a_table_with_escaped_pipes() {
        let out = markdown(&report(), "old.yaml", "new.yaml", None);
        assert_eq!(
            out,
            "## `old.yaml` → `new.yaml`\n\n\
             Semver: **major** (2 changes: 2 breaking, 0 warning, 0 info).\n\n\
             | level | change | vendor | operation | where | wire | rust |\n\
             |---|---|---|---|---|---|---|\n\
             | breaking | `request-property-added`: request property `x` was added (a\\|b) | acme | acmeCreate, acmeUpdate | `new.yaml:12 #/components/schemas/AcmeThing/properties/x` | info: an optional property to send | breaking: a new field |\n\
             | breaking | `path-removed`: path /x was removed |  |  | `old.yaml #/paths/~1x` | breaking: calls to it fail | breaking: gone |\n"
        );
        let empty = Report {
            semver: Some(Bump::None),
            unmatched_ignores: Vec::new(),
            changes: Vec::new(),
        };
        assert!(!markdown(&empty, "a", "b", None).contains("| level |"));
        let code = markdown(&report(), "a", "b", Some(&code()));
        assert!(code.ends_with(
            "\n### Generated code of `acme`\n\n```diff\n--- a/acme.rs\n+++ b/acme.rs\n```\n"
        ));
        let same = markdown(&report(), "a", "b", Some(&[]));
        assert!(same.ends_with("\nGenerated code: the same for every vendor.\n"));
    }

    #[test]
    fn json_is_the_report_with_the_code_when_given() {
        let out = json(&report(), None);
        assert!(out.ends_with("}\n"));
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value, serde_json::to_value(report()).unwrap());
        assert_eq!(value["changes"][0]["id"], "request-property-added");
        assert_eq!(value["changes"][1]["side"], "old");
        assert_eq!(value["changes"][1]["line"], serde_json::Value::Null);
        assert!(value.get("code").is_none());
        let with_code: serde_json::Value =
            serde_json::from_str(&json(&report(), Some(&code()))).unwrap();
        assert_eq!(with_code["code"]["acme"], "--- a/acme.rs\n+++ b/acme.rs\n");
        assert_eq!(with_code["semver"], "major");
    }

    /// A report whose document text holds line breaks, ESC, `|` and
    /// backticks.
    fn forged() -> Report {
        let mut report = report();
        let c = &mut report.changes[0];
        c.message = "property `x\n::error file=a::forged\u{1b}[31m` was added".to_owned();
        c.location = "#/components/schemas/A/properties/x\n::error::b|c`d".to_owned();
        c.operations = vec!["op\r\nop".to_owned(), "acmeUpdate".to_owned()];
        c.wire.note = "a\u{7}b".to_owned();
        c.ignored = Some("why\nnot".to_owned());
        report
    }

    #[test]
    fn text_and_markdown_escape_document_text_so_no_line_is_forged() {
        let code = vec![(
            "acme".to_owned(),
            "--- a/acme.rs\n+++ b/acme.rs\n+    /// ```\u{1b}[2J\n+    /// ````\n".to_owned(),
        )];
        for out in [
            text(&forged(), "old.yaml", "new\n.yaml", Some(&code)),
            markdown(&forged(), "old.yaml", "new\n.yaml", Some(&code)),
        ] {
            assert!(!out.contains('\u{1b}') && !out.contains('\r') && !out.contains('\u{7}'));
            assert!(out.lines().all(|l| !l.starts_with("::")), "{out}");
            assert!(
                out.contains("x\\n::error file=a::forged\\u{1b}[31m"),
                "{out}"
            );
        }
        let out = markdown(&forged(), "a", "b", Some(&code));
        let row = out.lines().find(|l| l.contains("forged")).unwrap();
        assert_eq!(row.replace("\\|", "").matches('|').count(), 8, "{row}");
        // The place has a backtick: a longer fence keeps it in its span.
        assert!(
            row.contains("``b:12 #/components/schemas/A/properties/x\\n::error::b\\|c`d``"),
            "{row}"
        );
        // The code block's fence is longer than any run of backticks in it.
        assert!(out.contains("\n`````diff\n"), "{out}");
        assert!(out.ends_with("/// ````\n`````\n"), "{out}");
    }

    #[test]
    fn workflow_commands_escape_what_would_end_them() {
        assert_eq!(escape_data("50% a\nb"), "50%25 a%0Ab");
        assert_eq!(escape_data("a\u{1b}[31m\r"), "a\\u{1b}[31m%0D");
        let forged = github_actions(&forged(), "old.yaml", "new.yaml");
        assert!(!forged.contains('\u{1b}'));
        assert!(
            forged.lines().all(|l| l.starts_with("::error ")
                || l.starts_with("::warning ")
                || l.starts_with("::notice ")),
            "{forged}"
        );
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
        let out = github_actions(&report(), "old.yaml", "new.yaml");
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].starts_with("::error file=new.yaml,line=12,title=request-property-added::"),
            "{out}"
        );
        assert!(
            lines[1].starts_with("::error file=old.yaml,title=path-removed::"),
            "{out}"
        );
        assert!(
            lines
                .last()
                .unwrap()
                .starts_with("::notice title=invitations diff::semver: major")
        );
    }
}
