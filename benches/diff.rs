//! `invitations diff` on a generated pair of large documents (about 1,000
//! operations, a change in about one operation of four) next to Redocly CLI's
//! `diff` (pinned in package.json) on the same pair, measured in the same
//! run: the median wall time of each as a program, their ratio, and the
//! comparison alone in-process. Run:
//! `npm ci && cargo bench --features cli --bench diff`.

#[path = "common/synthetic.rs"]
mod synthetic;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use synthetic::{synthetic_document, synthetic_revision};

const OPERATIONS: usize = 1000;

/// Median wall time of `runs` runs of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

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

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let redocly = Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/.bin/redocly");
    if !redocly.exists() {
        eprintln!("Redocly CLI is not installed: run `npm ci` first");
        std::process::exit(2);
    }
    let ours = Path::new(env!("CARGO_BIN_EXE_invitations"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diff-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let (old, new) = (
        synthetic_document(OPERATIONS),
        synthetic_revision(OPERATIONS),
    );
    std::fs::write(dir.join("old.yaml"), &old).unwrap();
    std::fs::write(dir.join("new.yaml"), &new).unwrap();
    println!(
        "pair: {OPERATIONS} operations, old {} KiB, new {} KiB ({} cores)",
        old.len() / 1024,
        new.len() / 1024,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let report = invitations::diff::compare("old.yaml", &old, "new.yaml", &new).unwrap();
    let in_process = median(5, || {
        invitations::diff::compare("old.yaml", &old, "new.yaml", &new).unwrap();
    });
    let args = ["diff", "old.yaml", "new.yaml", "--format", "json"];
    let our_time = median(5, || {
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
    let redocly_out = run(&redocly, &redocly_args, &dir);
    let redocly_time = median(3, || {
        run(&redocly, &redocly_args, &dir);
    });
    let redocly_changes = serde_json::from_str::<serde_json::Value>(&redocly_out)
        .ok()
        .and_then(|v| {
            v.get("changes")
                .and_then(|c| c.as_array())
                .map(|c| c.len().to_string())
        })
        .unwrap_or_else(|| "?".to_owned());

    println!(
        "invitations diff: {} as a program ({} of it comparing in-process), {} changes, semver {}",
        ms(our_time),
        ms(in_process),
        report.changes.len(),
        report.semver
    );
    println!(
        "redocly diff:     {} as a program, {redocly_changes} changes",
        ms(redocly_time)
    );
    println!(
        "ratio redocly / invitations: {:.1}",
        redocly_time.as_secs_f64() / our_time.as_secs_f64()
    );
}
