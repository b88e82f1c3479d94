//! The README's commands, as written, on this checkout:
//! - every ```` ```console ```` block is run by trycmd from the repository's
//!   top with the built `invitations` program, and what it prints (stdout
//!   and stderr) and its exit code (`? N`) must be as the README quotes them
//!   (`[..]` and `...` elide what the README leaves out);
//! - every `cargo` command the README names (in a block or inline) must
//!   name what exists: its package (`-p`), bench, test, example or binary
//!   target, features and `--path`, as `cargo metadata` lists them; every
//!   script it names (`scripts/…`, `bash …`) must be a file of the
//!   repository.
//!
//! So a renamed bench, a removed script or an output that changed fails
//! here, not on a new user's machine.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use invitations_test_support::workspace_root;
use serde_json::Value;

#[test]
fn console_blocks_print_what_the_readme_quotes() {
    let root = workspace_root();
    // trycmd runs each command in the current folder when the case has no
    // `README.in/`; the README's commands are written from the top. No
    // other test of this binary depends on the current folder.
    std::env::set_current_dir(&root).unwrap();
    trycmd::TestCases::new()
        .register_bin("invitations", Path::new(env!("CARGO_BIN_EXE_invitations")))
        .case(root.join("README.md"));
}

/// A package's targets (kind → names) and features.
struct Package {
    targets: BTreeMap<String, BTreeSet<String>>,
    features: BTreeSet<String>,
}

/// The targets of the workspace's packages, from `cargo metadata`.
struct Workspace {
    /// By package name.
    packages: BTreeMap<String, Package>,
    /// The package a command without `-p` means (the root package).
    default: String,
    /// Each package's folder, relative to the root.
    folders: BTreeMap<String, String>,
}

fn workspace(root: &Path) -> Workspace {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(output.status.success(), "cargo metadata failed");
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut packages = BTreeMap::new();
    let mut folders = BTreeMap::new();
    for package in metadata["packages"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap().to_owned();
        let mut targets: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for target in package["targets"].as_array().unwrap() {
            for kind in target["kind"].as_array().unwrap() {
                targets
                    .entry(kind.as_str().unwrap().to_owned())
                    .or_default()
                    .insert(target["name"].as_str().unwrap().to_owned());
            }
        }
        let features = package["features"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let manifest = Path::new(package["manifest_path"].as_str().unwrap());
        let folder = manifest.parent().unwrap().strip_prefix(root).unwrap();
        folders.insert(name.clone(), folder.to_string_lossy().into_owned());
        packages.insert(name, Package { targets, features });
    }
    let default = folders
        .iter()
        .find(|(_, folder)| folder.is_empty())
        .map(|(name, _)| name.clone())
        .expect("a root package");
    Workspace {
        packages,
        default,
        folders,
    }
}

/// The commands of the README: each line of its shell blocks (with `\`
/// continuations joined) and each inline code span that starts like a
/// command.
fn commands(readme: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_shell = false;
    let mut pending = String::new();
    for line in readme.lines() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            in_shell = !in_shell && matches!(info.trim(), "sh" | "bash" | "shell");
            continue;
        }
        if in_shell {
            let code = line.split(" #").next().unwrap_or("").trim();
            if code.starts_with('#') || code.is_empty() {
                continue;
            }
            match code.strip_suffix('\\') {
                Some(part) => pending.push_str(part),
                None => {
                    pending.push_str(code);
                    out.push(std::mem::take(&mut pending));
                }
            }
            continue;
        }
        for (i, span) in line.split('`').enumerate() {
            let starts = [
                "cargo ",
                "scripts/",
                "bash ",
                "INVITATIONS_UPDATE_SNAPSHOTS=1 cargo ",
            ];
            if i % 2 == 1 && starts.iter().any(|s| span.starts_with(s)) {
                out.push(span.to_owned());
            }
        }
    }
    out
}

/// What is wrong with one command, if anything.
fn check(command: &str, ws: &Workspace, root: &Path) -> Option<String> {
    let words: Vec<&str> = command
        .split_whitespace()
        .filter(|w| !w.contains('='))
        .collect();
    match words.first().copied() {
        Some("cargo") => {}
        Some("bash") => {
            let script = words.get(1)?;
            return (!root.join(script).is_file()).then(|| format!("no script `{script}`"));
        }
        Some(first) if first.starts_with("scripts/") => {
            return (!root.join(first).is_file()).then(|| format!("no script `{first}`"));
        }
        _ => return None,
    }
    let value = |flags: &[&str]| {
        words
            .windows(2)
            .find(|w| flags.contains(&w[0]))
            .map(|w| w[1].trim_matches(['"', '\'']))
    };
    if let Some(path) = value(&["--path"]) {
        return (!root.join(path).join("Cargo.toml").is_file())
            .then(|| format!("no package at `--path {path}`"));
    }
    let package = value(&["-p", "--package"]).unwrap_or(&ws.default);
    let Some(Package { targets, features }) = ws.packages.get(package) else {
        return Some(format!("no package `{package}`"));
    };
    for (flag, kind) in [
        ("--bench", "bench"),
        ("--test", "test"),
        ("--example", "example"),
        ("--bin", "bin"),
    ] {
        if let Some(name) = value(&[flag])
            && !targets.get(kind).is_some_and(|t| t.contains(name))
        {
            return Some(format!(
                "package `{package}` (`{}`) has no {kind} `{name}`",
                ws.folders[package]
            ));
        }
    }
    if let Some(list) = value(&["--features", "-F"]) {
        for feature in list.split(',') {
            if !features.contains(feature) {
                return Some(format!("package `{package}` has no feature `{feature}`"));
            }
        }
    }
    None
}

#[test]
fn every_cargo_command_and_script_names_what_exists() {
    let root = workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let ws = workspace(&root);
    let commands = commands(&readme);
    assert!(
        commands.len() > 20,
        "only {} commands found: {commands:#?}",
        commands.len()
    );
    let wrong: Vec<String> = commands
        .iter()
        .filter_map(|c| check(c, &ws, &root).map(|why| format!("`{c}`: {why}")))
        .collect();
    assert!(
        wrong.is_empty(),
        "README commands that name nothing:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checks_find_a_stale_command() {
    let root = workspace_root();
    let ws = workspace(&root);
    for (command, problem) in [
        (
            "cargo bench -p invitations-cli --bench nothing",
            "has no bench `nothing`",
        ),
        (
            "cargo test --test no_such_test",
            "has no test `no_such_test`",
        ),
        (
            "cargo run -p no-such-package",
            "no package `no-such-package`",
        ),
        (
            "cargo build --features no-such-feature",
            "no feature `no-such-feature`",
        ),
        (
            "cargo install --path crates/nothing --locked",
            "no package at",
        ),
        ("scripts/no-such-script", "no script"),
    ] {
        let found = check(command, &ws, &root);
        assert!(
            found.as_deref().is_some_and(|f| f.contains(problem)),
            "`{command}`: {found:?}"
        );
    }
    assert_eq!(
        check("cargo bench -p invitations-cli --bench drift", &ws, &root),
        None
    );
    assert_eq!(
        commands(
            "run `cargo test --test public_api` and\n```sh\ncargo run -p a -- x \\\n  --y   # z\n```\n"
        ),
        ["cargo test --test public_api", "cargo run -p a -- x --y"]
    );
}
