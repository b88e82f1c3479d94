//! The `invitations` command-line program (feature `cli`).
//!
//! `invitations diff [OLD] [NEW]` compares two revisions of the OpenAPI
//! document and says what changed, what it breaks for callers of the HTTP
//! API and of the generated Rust API, and which semver bump the crate needs.
//! Exit codes: 0 normally, 1 when a change at or above `--fail-on` is found,
//! 2 for bad input (unreadable file, unknown revision, invalid document).

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand, ValueEnum};
use invitations::codegen;
use invitations::diff::{self, Level, Report};

#[derive(Parser)]
#[command(
    name = "invitations",
    version,
    about = "Tools for the invitations crate's OpenAPI document."
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Compare two revisions of the document: what changed, what breaks
    /// callers of the HTTP API and of the generated Rust API, which semver
    /// bump the crate needs.
    Diff(DiffArgs),
}

#[derive(clap::Args)]
struct DiffArgs {
    /// The old revision: a file, or `REV:path` as `git show` takes it.
    #[arg(default_value = "HEAD:openapi/invitations.yaml")]
    old: String,
    /// The new revision: a file, or `REV:path` as `git show` takes it.
    #[arg(default_value = "openapi/invitations.yaml")]
    new: String,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit with 1 when a change at or above this level is found.
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Also print the unified diff of the generated Rust code per vendor.
    #[arg(long)]
    code: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Markdown,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOn {
    Breaking,
    Warning,
}

fn main() -> ExitCode {
    let Cmd::Diff(args) = Cli::parse().command;
    match run(&args) {
        Ok(failed) => ExitCode::from(u8::from(failed)),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Runs `diff`; `Ok(true)` when a change reaches `--fail-on`.
fn run(args: &DiffArgs) -> Result<bool, String> {
    let old = read_revision(&args.old)?;
    let new = read_revision(&args.new)?;
    let report = diff::compare(&args.old, &old, &args.new, &new).map_err(|e| e.to_string())?;
    let code = if args.code {
        Some(code_diff(&args.old, &old, &args.new, &new)?)
    } else {
        None
    };
    let code = code.as_deref();
    let out = match args.format {
        Format::Text => text(&args.old, &args.new, &report, code),
        Format::Markdown => markdown(&args.old, &args.new, &report, code),
        Format::Json => json(&report, code)?,
    };
    print!("{out}");
    let threshold = args.fail_on.map(|f| match f {
        FailOn::Breaking => Level::Breaking,
        FailOn::Warning => Level::Warning,
    });
    Ok(threshold.is_some_and(|t| report.changes.iter().any(|c| c.level >= t)))
}

/// Reads a revision: an existing file, else `REV:path` through `git show`.
fn read_revision(spec: &str) -> Result<String, String> {
    if Path::new(spec).is_file() {
        return std::fs::read_to_string(spec).map_err(|e| format!("cannot read `{spec}`: {e}"));
    }
    let Some((rev, path)) = spec.split_once(':').filter(|(rev, _)| !rev.is_empty()) else {
        return Err(format!(
            "cannot read `{spec}`: no such file (a git revision is written `REV:path`)"
        ));
    };
    let output = Command::new("git")
        .args(["show", "--no-textconv", spec])
        .output()
        .map_err(|e| format!("cannot run `git show {spec}`: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("git failed")
            .trim_start_matches("fatal: ");
        return Err(format!(
            "cannot read `{path}` at git revision `{rev}`: {reason}"
        ));
    }
    String::from_utf8(output.stdout).map_err(|_| format!("`{spec}` is not utf-8 text"))
}

/// The unified diff of each vendor's generated code, by vendor, for vendors
/// whose code differs. Both revisions are generated under the same name so
/// that the name in the generated header does not show up as a change.
fn code_diff(
    old_name: &str,
    old: &str,
    new_name: &str,
    new: &str,
) -> Result<Vec<(String, String)>, String> {
    let label = new_name.rsplit_once(':').map_or(new_name, |(_, p)| p);
    let options = codegen::Options::default();
    let generate = |name: &str, text: &str| {
        codegen::generate(label, text, &options)
            .map_err(|e| format!("cannot generate code from `{name}`: {e}"))
    };
    let (old, new) = (generate(old_name, old)?, generate(new_name, new)?);
    let mut vendors: Vec<&str> = old.iter().map(|m| m.vendor.as_str()).collect();
    for m in &new {
        if !vendors.contains(&m.vendor.as_str()) {
            vendors.push(&m.vendor);
        }
    }
    let mut out = Vec::new();
    for vendor in vendors {
        let code = |modules: &[codegen::VendorCode]| {
            modules
                .iter()
                .find(|m| m.vendor == vendor)
                .map(|m| m.code.clone())
                .unwrap_or_default()
        };
        let (a, b) = (code(&old), code(&new));
        if a == b {
            continue;
        }
        let file = format!("{vendor}.rs");
        let diff = similar::TextDiff::from_lines(&a, &b)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{file}"), &format!("b/{file}"))
            .to_string();
        out.push((vendor.to_owned(), diff));
    }
    Ok(out)
}

fn counts(report: &Report) -> String {
    let n = |level| report.changes.iter().filter(|c| c.level == level).count();
    format!(
        "{} change{}: {} breaking, {} warning, {} info",
        report.changes.len(),
        if report.changes.len() == 1 { "" } else { "s" },
        n(Level::Breaking),
        n(Level::Warning),
        n(Level::Info)
    )
}

fn place(change: &diff::Change, old: &str, new: &str) -> String {
    let file = match change.side {
        diff::Side::Old => old,
        diff::Side::New => new,
    };
    match change.line {
        Some(line) => format!("{file}:{line} {}", change.location),
        None => format!("{file} {}", change.location),
    }
}

fn text(old: &str, new: &str, report: &Report, code: Option<&[(String, String)]>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{old} -> {new}");
    let _ = writeln!(out, "semver: {} ({})", report.semver, counts(report));
    for c in &report.changes {
        let _ = writeln!(out);
        let scope = [c.vendor.as_deref(), c.operation.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let _ = writeln!(out, "{:<8} {}  {}", c.level, c.id, scope);
        let _ = writeln!(out, "  {}", c.message);
        let _ = writeln!(out, "  at {}", place(c, old, new));
        if c.operations.len() > 1 {
            let _ = writeln!(out, "  operations: {}", c.operations.join(", "));
        }
        let _ = writeln!(out, "  wire: {}: {}", c.wire.level, c.wire.note);
        let _ = writeln!(out, "  rust: {}: {}", c.rust.level, c.rust.note);
    }
    if code.is_some_and(|c| c.is_empty()) {
        let _ = writeln!(out, "\ngenerated code: the same for every vendor");
    }
    for (vendor, diff) in code.unwrap_or_default() {
        let _ = writeln!(out, "\ngenerated code of `{vendor}`:\n{diff}");
    }
    out
}

fn markdown(old: &str, new: &str, report: &Report, code: Option<&[(String, String)]>) -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut out = String::new();
    let _ = writeln!(out, "## `{old}` → `{new}`\n");
    let _ = writeln!(out, "Semver: **{}** ({}).\n", report.semver, counts(report));
    if !report.changes.is_empty() {
        let _ = writeln!(
            out,
            "| level | change | vendor | operation | where | wire | rust |\n|---|---|---|---|---|---|---|"
        );
    }
    for c in &report.changes {
        let _ = writeln!(
            out,
            "| {} | `{}`: {} | {} | {} | `{}` | {}: {} | {}: {} |",
            c.level,
            c.id,
            cell(&c.message),
            c.vendor.as_deref().unwrap_or(""),
            cell(&c.operations.join(", ")),
            cell(&place(c, old, new)),
            c.wire.level,
            cell(&c.wire.note),
            c.rust.level,
            cell(&c.rust.note)
        );
    }
    if code.is_some_and(|c| c.is_empty()) {
        let _ = writeln!(out, "\nGenerated code: the same for every vendor.");
    }
    for (vendor, diff) in code.unwrap_or_default() {
        let _ = writeln!(
            out,
            "\n### Generated code of `{vendor}`\n\n```diff\n{diff}```"
        );
    }
    out
}

/// The JSON output: the report's fields, and `code` with `--code`.
#[derive(serde::Serialize)]
struct JsonOutput<'a> {
    #[serde(flatten)]
    report: &'a Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<std::collections::BTreeMap<&'a str, &'a str>>,
}

fn json(report: &Report, code: Option<&[(String, String)]>) -> Result<String, String> {
    let output = JsonOutput {
        report,
        code: code.map(|c| c.iter().map(|(v, d)| (v.as_str(), d.as_str())).collect()),
    };
    let mut out = serde_json::to_string_pretty(&output).map_err(|e| e.to_string())?;
    out.push('\n');
    Ok(out)
}
