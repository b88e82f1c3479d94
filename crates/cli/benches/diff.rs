//! `invitations diff` on generated pairs of large documents next to Redocly
//! CLI's `diff` (pinned in package.json) on the same pairs, measured in the
//! same run: 1,000 operations with a change in about one operation of four,
//! 1,000 operations with a handful of changes, and 5,000 operations with one
//! change in four, to show how the cost grows. For each: the median wall
//! time of each program, their ratio, and each one's peak memory (maximum
//! resident set, read with `/usr/bin/time -f %M` where it exists). Run:
//! `npm ci && cargo bench -p invitations-cli --bench diff`.

use invitations_test_support::measure::{median, mib, ms, peak_mib};
use invitations_test_support::synthetic;

use std::path::Path;
use std::process::Command;

use synthetic::{synthetic_document, synthetic_revision_with};

/// Runs a program, failing the benchmark when it fails; returns its stdout.
fn run(program: &Path, args: &[&str], dir: &Path) -> String {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    assert!(
        output.status.success(),
        "{} {args:?} failed: {}",
        program.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Measures both programs on one pair and prints the figures.
fn measure(
    name: &str,
    operations: usize,
    stride: usize,
    added: usize,
    ours: &Path,
    redocly: &Path,
) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("diff-bench-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let (old, new) = (
        synthetic_document(operations),
        synthetic_revision_with(operations, stride, added),
    );
    std::fs::write(dir.join("old.yaml"), &old).unwrap();
    std::fs::write(dir.join("new.yaml"), &new).unwrap();
    let report = invitations_cli::diff::compare("old.yaml", &old, "new.yaml", &new).unwrap();
    let args = ["diff", "old.yaml", "new.yaml", "--format", "json"];
    let our_time = median(3, || {
        run(ours, &args, &dir);
    });
    let redocly_args = [
        "diff",
        "old.yaml",
        "new.yaml",
        "--format",
        "json",
        "--fail-on",
        "none",
    ];
    let redocly_out = run(redocly, &redocly_args, &dir);
    let redocly_time = median(3, || {
        run(redocly, &redocly_args, &dir);
    });
    let redocly_changes = serde_json::from_str::<serde_json::Value>(&redocly_out)
        .ok()
        .and_then(|v| {
            v.get("changes")
                .and_then(|c| c.as_array())
                .map(|c| c.len().to_string())
        })
        .unwrap_or_else(|| "?".to_owned());
    let (our_peak, redocly_peak) = (
        peak_mib(ours, &args, &dir),
        peak_mib(redocly, &redocly_args, &dir),
    );
    println!(
        "\n{name}: {operations} operations, old {} KiB, new {} KiB ({} cores)",
        old.len() / 1024,
        new.len() / 1024,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "  invitations diff: {}, peak {}, {} changes, semver {}",
        ms(our_time),
        mib(our_peak),
        report.changes.len(),
        report.semver.map_or("none", |b| b.as_str())
    );
    println!(
        "  redocly diff:     {}, peak {}, {redocly_changes} changes",
        ms(redocly_time),
        mib(redocly_peak)
    );
    let memory = match (our_peak, redocly_peak) {
        (Some(o), Some(r)) => format!("{:.2}", o / r),
        _ => "n/a".to_owned(),
    };
    println!(
        "  invitations / redocly: time {:.2}, peak memory {memory}",
        our_time.as_secs_f64() / redocly_time.as_secs_f64()
    );
}

fn main() {
    let redocly = invitations_test_support::workspace_root().join("node_modules/.bin/redocly");
    if !redocly.exists() {
        eprintln!("Redocly CLI is not installed: run `npm ci` first");
        std::process::exit(2);
    }
    let ours = Path::new(env!("CARGO_BIN_EXE_invitations"));
    measure("many-changes", 1000, 1, 10, ours, &redocly);
    measure("few-changes", 1000, 50, 1, ours, &redocly);
    measure("large", 5000, 1, 10, ours, &redocly);
}
