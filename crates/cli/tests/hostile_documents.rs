//! The document side of the tools under hostile input (issue 24, part A):
//! `invitations diff` and the build read documents from pull requests, so
//! each attack of the issue is reproduced here, mostly through the built
//! program: `$ref`s that leave the repository (by `..`, an absolute path, a
//! URL, a link), `$ref`s to a fifo, a device, a folder or a huge file, a
//! revision that git would read as an option, document text that forges
//! report lines, and a document nested deep enough to keep the YAML reader
//! busy for a minute. A property test feeds the reader random documents and
//! `$ref`s.

use invitations_test_support::build_script;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

use build_script::build_script;
use invitations_codegen::{self as codegen, LocalFiles, ReadError};
use proptest::prelude::*;

/// What the files outside the allowed folder hold: a schema with a property
/// whose name must never show up anywhere.
const SECRET: &str =
    "AcmeLeak:\n  type: object\n  properties:\n    TOP_SECRET_RUNNER_TOKEN:\n      type: string\n";
const MARKER: &str = "TOP_SECRET";
/// A file the document may read.
const INSIDE: &str = "AcmeOther:\n  type: object\n  properties:\n    code:\n      type: string\n";

/// The base document of `tests/data/diff`.
fn base() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/diff/base.yaml"))
        .unwrap()
}

/// The base document with the `$ref` of the items `GET /things` returns
/// replaced by `target` (written as a double-quoted string, escapes and
/// all), and the line of that `$ref`.
fn with_ref(target: &str) -> (String, usize) {
    let from = "$ref: '#/components/schemas/AcmeThing'";
    let quoted = serde_json::to_string(target).unwrap();
    let text = base().replacen(from, &format!("$ref: {quoted}"), 1);
    let line = base().lines().position(|l| l.contains(from)).unwrap() + 1;
    (text, line)
}

/// A fresh, empty scratch folder.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("hostile-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// A git repository at `dir` holding what is there, committed.
fn commit_all(dir: &Path) {
    if !dir.join(".git").exists() {
        git(dir, &["init", "--quiet"]);
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "--quiet", "--allow-empty", "-m", "x"]);
}

fn invitations(args: &[&str], dir: &Path, env: &[(&str, &std::ffi::OsStr)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_invitations"));
    command.args(args).current_dir(dir);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("the invitations program runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Asserts that the program refused its input (exit 2, one line on
/// stderr holding `wanted`) and showed nothing of the secret files.
fn assert_refused(output: &Output, wanted: &[&str]) {
    let (out, err) = (stdout(output), stderr(output));
    assert_eq!(output.status.code(), Some(2), "{err}{out}");
    for part in wanted {
        assert!(err.contains(part), "expected `{part}` in: {err}");
    }
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out.contains(MARKER) && !err.contains(MARKER), "{out}{err}");
}

/// The first attack: a pull request's document climbs out of the
/// repository with `../`; the file it reaches used to be parsed and shown
/// in the report (here: as a new response property).
#[test]
fn a_ref_that_climbs_out_of_the_repository_is_refused_and_its_target_never_shown() {
    let dir = scratch("climb");
    write(&dir.join("outside/secret.yaml"), SECRET);
    let repo = dir.join("repo");
    let (text, line) = with_ref("../../outside/secret.yaml#/AcmeLeak");
    write(&repo.join("openapi/old.yaml"), &base());
    write(&repo.join("openapi/new.yaml"), &text);
    commit_all(&repo);
    for extra in [&[][..], &["--format", "json"], &["--code"]] {
        let mut args = vec!["diff", "openapi/old.yaml", "openapi/new.yaml"];
        args.extend(extra);
        let output = invitations(&args, &repo, &[]);
        assert_refused(
            &output,
            &[
                &format!("error: openapi/new.yaml:{line}: "),
                "$ref `../../outside/secret.yaml#/AcmeLeak`: cannot read `../../outside/secret.yaml`: it leads outside the repository",
            ],
        );
    }
    // Inside the repository, above the document's folder: read.
    write(&repo.join("shared/errors.yaml"), INSIDE);
    let (text, _) = with_ref("../shared/errors.yaml#/AcmeOther");
    write(&repo.join("openapi/new.yaml"), &text);
    let output = invitations(
        &[
            "diff",
            "openapi/old.yaml",
            "openapi/new.yaml",
            "--format",
            "json",
        ],
        &repo,
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// A document in no repository: its `$ref`s stay in its own folder.
#[test]
fn outside_any_repository_refs_stay_in_the_documents_folder() {
    let dir = scratch("no-repository");
    write(&dir.join("docs/secret.yaml"), SECRET);
    let folder = dir.join("docs/api");
    let (text, line) = with_ref("../secret.yaml#/AcmeLeak");
    write(&folder.join("old.yaml"), &base());
    write(&folder.join("new.yaml"), &text);
    // The scratch folder is inside this crate's repository: git must not
    // look above it.
    let ceiling = [("GIT_CEILING_DIRECTORIES", dir.as_os_str())];
    let output = invitations(&["diff", "old.yaml", "new.yaml"], &folder, &ceiling);
    assert_refused(
        &output,
        &[
            &format!("error: new.yaml:{line}: "),
            "cannot read `../secret.yaml`: it leads outside the document's folder",
        ],
    );
    // A file below the document's folder is read.
    write(&folder.join("common/errors.yaml"), INSIDE);
    let (text, _) = with_ref("common/errors.yaml#/AcmeOther");
    write(&folder.join("new.yaml"), &text);
    let output = invitations(&["diff", "old.yaml", "new.yaml"], &folder, &ceiling);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// Absolute paths, URLs and any other scheme are refused before the
/// loader is asked for anything; the refusal names the `$ref` and its line.
#[test]
fn absolute_paths_urls_and_schemes_are_refused_before_anything_is_read() {
    let asked = Mutex::new(Vec::<String>::new());
    let load = |path: &str| {
        asked.lock().unwrap().push(path.to_owned());
        Err(ReadError::Other("no files here".to_owned()))
    };
    for (target, why) in [
        ("/etc/passwd#/AcmeError", "it is an absolute path"),
        ("//server/share/x.yaml#/AcmeError", "it is an absolute path"),
        ("file:///etc/passwd#/AcmeError", "it has a scheme"),
        ("http://127.0.0.1:9/x.yaml#/AcmeError", "it has a scheme"),
        ("https://example.com/x.yaml", "it has a scheme"),
        ("C:/Windows/win.ini#/AcmeError", "it has a scheme"),
        ("..\\..\\x.yaml#/AcmeError", "it holds a backslash"),
        (
            "x\u{7}.yaml#/AcmeError",
            "its path holds a control character",
        ),
    ] {
        let (text, line) = with_ref(target);
        let error = codegen::Document::parse_with("openapi/new.yaml", &text, Some(&load))
            .err()
            .unwrap_or_else(|| panic!("{target} was accepted"));
        let shown = error.to_string();
        assert_eq!(error.line, Some(line), "{shown}");
        assert!(shown.contains("is refused: "), "{shown}");
        assert!(shown.contains(why), "{target}: {shown}");
        assert!(!shown.chars().any(char::is_control), "{shown}");
    }
    assert_eq!(*asked.lock().unwrap(), Vec::<String>::new());
    // And through the program.
    let dir = scratch("schemes");
    let (text, line) = with_ref("file:///etc/passwd#/AcmeError");
    write(&dir.join("old.yaml"), &base());
    write(&dir.join("new.yaml"), &text);
    let output = invitations(&["diff", "old.yaml", "new.yaml"], &dir, &[]);
    assert_refused(
        &output,
        &[
            &format!("new.yaml:{line}: "),
            "$ref `file:///etc/passwd#/AcmeError` is refused: it has a scheme",
        ],
    );
}

/// A link inside the repository that leads outside is refused: the check
/// is made again on the path with its links followed.
#[cfg(unix)]
#[test]
fn a_link_inside_that_leads_outside_is_refused() {
    let dir = scratch("link");
    write(&dir.join("outside/secret.yaml"), SECRET);
    let repo = dir.join("repo");
    write(&repo.join("openapi/old.yaml"), &base());
    std::os::unix::fs::symlink(
        dir.join("outside/secret.yaml"),
        repo.join("openapi/errors.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink("/dev/zero", repo.join("openapi/zero.yaml")).unwrap();
    commit_all(&repo);
    for (file, target) in [
        ("errors.yaml", "errors.yaml#/AcmeLeak"),
        ("zero.yaml", "zero.yaml#/X"),
    ] {
        let (text, line) = with_ref(target);
        write(&repo.join("openapi/new.yaml"), &text);
        let output = invitations(
            &["diff", "openapi/old.yaml", "openapi/new.yaml"],
            &repo,
            &[],
        );
        assert_refused(
            &output,
            &[
                &format!("openapi/new.yaml:{line}: "),
                &format!("cannot read `{file}`: it leads outside the repository"),
            ],
        );
    }
    // A link that stays inside is followed.
    write(&repo.join("shared/errors.yaml"), INSIDE);
    std::os::unix::fs::symlink("../shared/errors.yaml", repo.join("openapi/inside.yaml")).unwrap();
    let (text, _) = with_ref("inside.yaml#/AcmeOther");
    write(&repo.join("openapi/new.yaml"), &text);
    let output = invitations(
        &["diff", "openapi/old.yaml", "openapi/new.yaml"],
        &repo,
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// A `$ref` to a fifo used to hang the job (opening it blocks), one to a
/// device to read until memory ran out: only regular files are opened, and
/// each is read up to the limit.
#[cfg(unix)]
#[test]
fn fifos_devices_folders_and_huge_files_are_refused_without_reading_them() {
    let dir = scratch("special-files");
    let repo = dir.join("repo");
    write(&repo.join("openapi/old.yaml"), &base());
    commit_all(&repo);
    let status = Command::new("mkfifo")
        .arg(repo.join("openapi/pipe.yaml"))
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::create_dir_all(repo.join("openapi/folder.yaml")).unwrap();
    let huge = usize::try_from(codegen::MAX_FILE_BYTES).unwrap() + 1;
    write(
        &repo.join("openapi/huge.yaml"),
        &format!("AcmeError:\n  type: string\n#{}\n", "x".repeat(huge)),
    );
    for (file, why) in [
        ("pipe.yaml", "it is a fifo, not a regular file"),
        ("folder.yaml", "it is a directory, not a regular file"),
        ("huge.yaml", "it is larger than the limit of 8388608 bytes"),
    ] {
        let (text, line) = with_ref(&format!("{file}#/AcmeError"));
        write(&repo.join("openapi/new.yaml"), &text);
        let output = invitations(
            &["diff", "openapi/old.yaml", "openapi/new.yaml"],
            &repo,
            &[],
        );
        assert_refused(
            &output,
            &[
                &format!("openapi/new.yaml:{line}: "),
                &format!("cannot read `{file}`: {why}"),
            ],
        );
    }
    // The reader itself, on a device and a fifo given directly.
    assert!(matches!(
        codegen::read_file(Path::new("/dev/zero"), codegen::MAX_FILE_BYTES),
        Err(ReadError::NotAFile { kind: "a device" })
    ));
    assert!(matches!(
        codegen::read_file(&repo.join("openapi/pipe.yaml"), codegen::MAX_FILE_BYTES),
        Err(ReadError::NotAFile { kind: "a fifo" })
    ));
    // The root document is read the same way.
    let output = invitations(
        &["diff", "openapi/old.yaml", "openapi/huge.yaml"],
        &repo,
        &[],
    );
    assert_refused(
        &output,
        &["cannot read `openapi/huge.yaml`: it is larger than the limit"],
    );
}

/// `build.rs` keeps to the crate's own folder (`CARGO_MANIFEST_DIR`).
#[test]
fn the_build_script_reads_only_inside_the_crate() {
    let dir = scratch("build");
    write(&dir.join("secret.yaml"), SECRET);
    let root = dir.join("crate");
    let whole = include_str!("../../../openapi/invitations.yaml");
    let from = "$ref: '#/components/schemas/HybridboxAssignmentRequest'";
    let line = whole.lines().position(|l| l.contains(from)).unwrap() + 1;
    write(
        &root.join("openapi/invitations.yaml"),
        &whole.replacen(from, "$ref: '../../secret.yaml#/AcmeLeak'", 1),
    );
    std::fs::create_dir_all(root.join("out")).unwrap();
    let output = Command::new(build_script())
        .env("CARGO_MANIFEST_DIR", &root)
        .env("OUT_DIR", root.join("out"))
        .output()
        .unwrap();
    let out = String::from_utf8(output.stdout).unwrap();
    let errors: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("cargo::error="))
        .collect();
    assert_eq!(errors.len(), 1, "{out}");
    assert!(
        errors[0].starts_with(&format!("cargo::error=openapi/invitations.yaml:{line}: ")),
        "{out}"
    );
    assert!(
        errors[0].contains("cannot read `../../secret.yaml`: it leads outside the crate's folder"),
        "{out}"
    );
    assert!(!out.contains(MARKER));
    assert!(!root.join("out/hybridbox.rs").exists());
}

/// A folder holding a `git` that logs its arguments (one a line, a `--`
/// line after each call) to `log` and runs the real git.
#[cfg(unix)]
fn logging_git(dir: &Path, log: &Path) -> std::ffi::OsString {
    use std::os::unix::fs::PermissionsExt as _;
    let real = std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|p| p.join("git"))
        .find(|p| p.is_file())
        .expect("git is installed");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("git");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> '{}'; done\necho -- >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            log.display(),
            real.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut path = std::ffi::OsString::from(bin.as_os_str());
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap());
    path
}

/// A `REV:path` revision reads its `$ref`s inside the repository at that
/// revision: one that climbs above the repository's top is refused, and
/// `git show REV:../x` is never run; every revision reaches git after
/// `--end-of-options`.
#[cfg(unix)]
#[test]
fn a_git_revision_reads_refs_inside_the_repository_only() {
    let dir = scratch("revision-refs");
    write(&dir.join("secret.yaml"), SECRET);
    let repo = dir.join("repo");
    let (text, line) = with_ref("../secret.yaml#/AcmeLeak");
    write(&repo.join("doc.yaml"), &text);
    write(&repo.join("old.yaml"), &base());
    commit_all(&repo);
    let log = dir.join("git.log");
    let path = logging_git(&dir, &log);
    let output = invitations(
        &["diff", "old.yaml", "HEAD:doc.yaml"],
        &repo,
        &[("PATH", &path)],
    );
    assert_refused(
        &output,
        &[
            &format!("HEAD:doc.yaml:{line}: "),
            "$ref `../secret.yaml#/AcmeLeak`: cannot read `../secret.yaml`: it leads outside the repository",
        ],
    );
    let log = std::fs::read_to_string(&log).unwrap();
    let calls: Vec<Vec<&str>> = log
        .split("--\n")
        .filter(|c| !c.is_empty())
        .map(|c| c.lines().collect())
        .collect();
    assert!(
        calls
            .iter()
            .all(|c| !c.iter().any(|a| a.contains(":../") || a.contains("secret"))),
        "{log}"
    );
    let reads: Vec<&Vec<&str>> = calls
        .iter()
        .filter(|c| c.contains(&"HEAD:doc.yaml"))
        .collect();
    assert!(!reads.is_empty(), "{log}");
    for call in reads {
        let at = call.iter().position(|a| *a == "HEAD:doc.yaml").unwrap();
        assert_eq!(call[at - 1], "--end-of-options", "{call:?}");
    }
    // The document itself cannot climb out either.
    let output = invitations(&["diff", "old.yaml", "HEAD:../secret.yaml"], &repo, &[]);
    assert_refused(&output, &["`../secret.yaml` leads outside the repository"]);
}

/// `invitations diff -- '--output=PATH:x' doc.yaml` made `git show` write a
/// file: a revision that starts with `-` is refused, and nothing is written.
#[test]
fn a_revision_that_looks_like_an_option_is_refused() {
    let dir = scratch("option-revision");
    let repo = dir.join("repo");
    write(&repo.join("doc.yaml"), &base());
    commit_all(&repo);
    let forged = dir.join("forged.txt");
    for revision in [
        format!("--output={}:x", forged.display()),
        "-p:doc.yaml".to_owned(),
    ] {
        let output = invitations(&["diff", "--", &revision, "doc.yaml"], &repo, &[]);
        let rev = revision.split_once(':').unwrap().0;
        assert_refused(
            &output,
            &[&format!(
                "error: `{revision}` is neither a file nor a git revision: the revision `{rev}` starts with `-`, which git would read as an option"
            )],
        );
        assert!(stdout(&output).is_empty());
        // git took `--output=` and wrote to `PATH:x`: nothing but the
        // repository may be in the folder.
        let written: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != "repo")
            .collect();
        assert!(written.is_empty(), "git wrote {written:?}");
    }
}

/// A property name holding a line break and a GitHub Actions command, and
/// an ESC sequence: text and markdown print it escaped, so no line of the
/// report is forged and nothing reaches the terminal; JSON keeps it as it is.
#[test]
fn reports_escape_what_the_document_says() {
    let dir = scratch("forged-lines");
    let name = "x\n::error file=x::forged\u{1b}[31m|red";
    let text = base().replacen(
        "    AcmeThing:\n      type: object\n      required: [id, name]\n      properties:\n",
        "    AcmeThing:\n      type: object\n      required: [id, name]\n      properties:\n        \"x\\n::error file=x::forged\\e[31m|red\":\n          type: string\n",
        1,
    );
    assert_ne!(text, base());
    write(&dir.join("old.yaml"), &base());
    write(&dir.join("new.yaml"), &text);
    for format in ["text", "markdown", "githubactions"] {
        let output = invitations(
            &["diff", "old.yaml", "new.yaml", "--code", "--format", format],
            &dir,
            &[],
        );
        let out = stdout(&output);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert!(out.contains("response-property-added"), "{format}: {out}");
        assert!(!out.contains('\u{1b}'), "{format}: an ESC in {out}");
        assert!(!out.contains('\r'), "{format}: {out}");
        for line in out.lines() {
            assert!(
                !line.starts_with("::error file=x"),
                "{format}: forged line in {out}"
            );
            if format == "githubactions" {
                assert!(line.starts_with("::"), "{format}: {line}");
            }
        }
        if format == "markdown" {
            for row in out.lines().filter(|l| l.starts_with("| ")) {
                // Seven cells: every `|` of the document is escaped.
                let cells = row.replace("\\|", "").matches('|').count();
                assert_eq!(cells, 8, "{row}");
            }
        }
        if format != "githubactions" {
            assert!(
                out.contains("x\\n::error file=x::forged\\u{1b}[31m"),
                "{format}: {out}"
            );
        }
    }
    let output = invitations(
        &["diff", "old.yaml", "new.yaml", "--format", "json"],
        &dir,
        &[],
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let messages = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["message"].as_str().unwrap())
        .collect::<Vec<_>>();
    assert!(messages.iter().any(|m| m.contains(name)), "{messages:?}");
}

/// Errors quote a short, escaped excerpt: a `$ref` of 10,000 characters
/// holding a line break, a forged command and an ESC is one short line.
#[test]
fn errors_quote_a_short_escaped_excerpt() {
    let dir = scratch("long-errors");
    let target = format!(
        "#/components/schemas/X\n::error::forged\u{1b}[2J{}",
        "y".repeat(10_000)
    );
    let (text, line) = with_ref(&target);
    write(&dir.join("old.yaml"), &base());
    write(&dir.join("new.yaml"), &text);
    let output = invitations(&["diff", "old.yaml", "new.yaml"], &dir, &[]);
    assert_refused(
        &output,
        &[
            &format!("new.yaml:{line}: "),
            "points to nothing",
            "X\\n::error::forged\\u{1b}[2J",
        ],
    );
    let err = stderr(&output);
    assert!(!err.contains('\u{1b}'), "{err}");
    assert!(err.len() < 1_000, "{} bytes: {err}", err.len());
    // A version that is a huge mapping is quoted in part only.
    let version = format!(
        "openapi: {{{}}}\n",
        (0..5_000)
            .map(|i| format!("k{i}: v"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let text = base().replacen("openapi: 3.0.3\n", &version, 1);
    write(&dir.join("new.yaml"), &text);
    let output = invitations(&["diff", "old.yaml", "new.yaml"], &dir, &[]);
    assert_refused(
        &output,
        &["new.yaml:1: openapi: the openapi version must be a string"],
    );
    assert!(stderr(&output).len() < 1_000, "{}", stderr(&output));
}

/// 100,000 nested `[` in a 200 KB document kept the YAML reader busy for a
/// minute (its scanner is quadratic in the nesting); now such a document is
/// refused before it is read, at the line where it goes too deep. Flow
/// (JSON) and block nesting count alike.
#[test]
fn documents_nested_too_deep_are_refused_before_reading() {
    let dir = scratch("deep");
    let deep = format!(
        "openapi: 3.0.3\ninfo: {{title: x, version: '1'}}\nx: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(deep.len() > 200_000);
    write(&dir.join("old.yaml"), &base());
    write(&dir.join("deep.yaml"), &deep);
    let output = invitations(&["diff", "old.yaml", "deep.yaml"], &dir, &[]);
    assert_refused(
        &output,
        &[
            "error: deep.yaml:3: the document is nested deeper than 128 levels of mappings and sequences; refused before reading it",
        ],
    );
    let json = format!(
        "{}{}",
        "{\"a\":".repeat(50_000),
        "1".to_owned() + &"}".repeat(50_000)
    );
    let block = format!("openapi: 3.0.3\nx:\n{}1\n", "- ".repeat(50_000));
    let mapping: String = (0..200)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    for (text, line) in [
        (json, 1),
        (block, 3),
        (format!("openapi: 3.0.3\n{mapping}"), 130),
    ] {
        let error = codegen::Document::parse("deep.yaml", &text).err().unwrap();
        assert_eq!(error.line, Some(line), "{error}");
        assert!(
            error.to_string().contains("nested deeper than 128 levels"),
            "{error}"
        );
    }
    // A `$ref`'d file is held to the same limit.
    write(
        &dir.join("deep-ref.yaml"),
        &deep.replace("x: ", "AcmeError: "),
    );
    let (text, _) = with_ref("deep-ref.yaml#/AcmeError");
    write(&dir.join("new.yaml"), &text);
    let output = invitations(&["diff", "old.yaml", "new.yaml"], &dir, &[]);
    assert_refused(&output, &["deep-ref.yaml:3: nested deeper than 128 levels"]);
}

/// The fuzz corpus's folders: `allowed/openapi` holds the root document
/// and, with `allowed/shared`, the files it may read; `outside` holds the
/// secret, reached by `..`, by a link, or not at all.
struct Corpus {
    allowed: PathBuf,
    folder: PathBuf,
}

fn corpus() -> &'static Corpus {
    static CORPUS: std::sync::OnceLock<Corpus> = std::sync::OnceLock::new();
    CORPUS.get_or_init(|| {
        let dir = scratch("fuzz");
        let allowed = dir.join("allowed");
        let folder = allowed.join("openapi");
        write(&dir.join("outside/secret.yaml"), SECRET);
        write(&dir.join("secret.yaml"), SECRET);
        write(
            &allowed.join("shared/kinds.yaml"),
            "Kind:\n  type: string\n  enum: [a, b]\nLoop:\n  $ref: '../openapi/a.yaml#/Loop'\n",
        );
        write(
            &folder.join("a.yaml"),
            "AcmeError:\n  type: object\nLoop:\n  $ref: '../shared/kinds.yaml#/Loop'\n",
        );
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.join("outside/secret.yaml"), folder.join("link.yaml"))
                .unwrap();
            let status = Command::new("mkfifo")
                .arg(folder.join("pipe.yaml"))
                .status()
                .unwrap();
            assert!(status.success());
        }
        std::fs::create_dir_all(folder.join("dir.yaml")).unwrap();
        Corpus { allowed, folder }
    })
}

/// `$ref` strings an attacker would try, and random ones.
fn hostile_ref() -> impl Strategy<Value = String> {
    let path = prop_oneof![
        Just(String::new()),
        Just("a.yaml".to_owned()),
        Just("../shared/kinds.yaml".to_owned()),
        Just("link.yaml".to_owned()),
        Just("pipe.yaml".to_owned()),
        Just("dir.yaml".to_owned()),
        Just("../../outside/secret.yaml".to_owned()),
        Just("../../secret.yaml".to_owned()),
        Just("/etc/passwd".to_owned()),
        Just("file:///etc/passwd".to_owned()),
        Just("http://127.0.0.1:9/x.yaml".to_owned()),
        Just("./../openapi/../../outside/secret.yaml".to_owned()),
        (
            0..6usize,
            prop::sample::select(vec![
                "a.yaml",
                "outside/secret.yaml",
                "secret.yaml",
                "shared/kinds.yaml",
                "x"
            ])
        )
            .prop_map(|(up, file)| format!("{}{file}", "../".repeat(up))),
        "[a-z./:\\\\%~\u{0}\n\u{1b}]{0,24}",
        any::<String>(),
    ];
    let pointer = prop_oneof![
        Just(String::new()),
        Just("#/AcmeError".to_owned()),
        Just("#/AcmeLeak".to_owned()),
        Just("#/Kind".to_owned()),
        Just("#/Loop".to_owned()),
        Just("#/components/schemas/AcmeThing".to_owned()),
        "#[/a-zA-Z~0-9\n]{0,16}",
    ];
    (path, pointer).prop_map(|(path, pointer)| format!("{path}{pointer}"))
}

/// A file's random text: YAML fragments with `$ref`s, brackets, quotes,
/// control characters, deep nesting.
fn hostile_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        hostile_ref().prop_map(|r| format!(
            "AcmeError:\n  $ref: {}\n",
            serde_json::to_string(&r).unwrap()
        )),
        (1..300usize).prop_map(|n| format!("AcmeError: {}{}\n", "[".repeat(n), "]".repeat(n))),
        "[ -~\n\t\u{1b}\\[\\]{}:'\"#&*!|>-]{0,200}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    /// The document reader with `$ref` bundling, on random documents and
    /// `$ref`s: never a panic, never a byte from outside the allowed
    /// folder, and either a document or one escaped line of error.
    #[test]
    fn bundling_random_documents_never_panics_nor_reads_outside(
        target in hostile_ref(),
        nesting in 0..160usize,
        fragment in hostile_fragment(),
    ) {
        let corpus = corpus();
        let files = LocalFiles::new(&corpus.allowed, "the repository", &corpus.folder).unwrap();
        std::fs::write(corpus.folder.join("fragment.yaml"), &fragment).unwrap();
        let load = |path: &str| {
            let read = files.load(path);
            if let Ok(text) = &read {
                assert!(!text.contains(MARKER), "read {path} from outside");
            }
            read
        };
        let mut schema = serde_json::json!({ "$ref": target });
        for _ in 0..nesting {
            schema = serde_json::json!({ "type": "array", "items": schema });
        }
        let document = serde_json::json!({
            "openapi": "3.0.3",
            "info": { "title": "fuzz", "version": "1" },
            "servers": [{ "url": "https://acme.test", "x-vendor": "acme" }],
            "paths": { "/things": { "get": {
                "tags": ["acme"],
                "operationId": "acme_list_things",
                "responses": {
                    "200": { "description": "ok", "content": { "application/json": { "schema": schema } } },
                    "400": { "description": "bad", "content": { "application/json": {
                        "schema": { "$ref": "fragment.yaml#/AcmeError" } } } }
                }
            } } }
        });
        let text = serde_json::to_string_pretty(&document).unwrap();
        match codegen::Document::parse_with("openapi/doc.yaml", &text, Some(&load)) {
            Ok(doc) => {
                let bundled = doc.root.to_string();
                prop_assert!(!bundled.contains(MARKER));
            }
            Err(error) => {
                let shown = error.to_string();
                prop_assert!(!shown.contains(MARKER), "{shown}");
                prop_assert!(!shown.chars().any(char::is_control), "{shown:?}");
                prop_assert!(shown.chars().count() < 2_000, "{shown}");
            }
        }
    }

    /// Reading any text (the nesting pre-scan, then YAML) never panics,
    /// and a refusal is one escaped line.
    #[test]
    fn reading_any_text_never_panics(text in "[ -~\n\t\r\u{1b}\u{85}\\[\\]{}:'\"#&*!|>-]{0,400}") {
        if let Err(error) = codegen::Document::parse("doc.yaml", &text) {
            let shown = error.to_string();
            prop_assert!(!shown.chars().any(char::is_control), "{shown:?}");
        }
    }
}
