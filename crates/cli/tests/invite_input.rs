//! `invitations invite`, run as a program, on what it is given (issue 25):
//! the line numbers of files with CRLF and CR line breaks (in the summary
//! and the journal), what a dry run checks (the base URL a run refuses)
//! and says (how many rows it would send), and which half of Hybridbox's
//! client credentials is missing.
//!
//! Servers are on 127.0.0.1 (the stateful mock of `tests/bulk_invite.rs`);
//! no wall-clock limits.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

#[path = "common/program.rs"]
mod program;
#[path = "common/vendor_mock.rs"]
#[allow(dead_code)]
mod vendor_mock;

use program::{args, key, run};
use vendor_mock::{Faults, Mock};

/// A fresh folder for a test's files.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("invitations-input-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The JSON summary on stdout.
fn summary(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", stderr(output)))
}

/// The CSV reader's reads of a file, in bytes (its buffer).
const READ: usize = 8 * 1024;

/// A Hybridbox file (`email,note`) with `end` line breaks, and each row's
/// line and email. The rows that matter come right after a line break that
/// straddles one of the CSV reader's reads (the break's first byte is a
/// read's last): there, counting the reader's way, a `\r\n` file numbered
/// a row a line early; a `\r` file numbered every row 1. They are
/// `not-an-email` (invalid), `USER0@example.com` (a repeat of line 3's
/// `user0@example.com`) and `KELVIN@example.com` with a Kelvin sign (a
/// repeat, by Unicode case, of line 2's `kelvin@example.com`).
fn layout(end: &str) -> (String, Vec<(u64, String)>) {
    let mut text = format!("email,note{end}");
    let mut rows: Vec<(u64, String)> = Vec::new();
    let mut add = |text: &mut String, email: &str, note: &str| {
        text.push_str(&format!("{email},{note}{end}"));
        rows.push((rows.len() as u64 + 2, email.to_owned()));
    };
    let note = "n".repeat(100);
    add(&mut text, "kelvin@example.com", "");
    let special = [
        "not-an-email",
        "USER0@example.com",
        "\u{212a}ELVIN@example.com",
    ];
    let mut next = 0;
    for (k, special) in special.iter().enumerate() {
        let read_end = (k + 1) * READ;
        loop {
            let email = format!("user{next}@example.com");
            if text.len() + email.len() + note.len() + 2 + end.len() + 40 > read_end {
                break;
            }
            add(&mut text, &email, &note);
            next += 1;
        }
        // A row whose line break starts at the read's last byte.
        let email = format!("pad{k}@example.com");
        let pad = "p".repeat(read_end - 1 - text.len() - email.len() - 1);
        add(&mut text, &email, &pad);
        assert_eq!(text.as_bytes()[read_end - 1], end.as_bytes()[0]);
        add(&mut text, special, "");
    }
    add(&mut text, "last@example.com", "");
    (text, rows)
}

/// Issue 25: a CRLF file's invalid row and repeated emails are reported on
/// their own lines (the repeats naming the first occurrence's line), and
/// the journal keeps each row's own line; the same with CR and LF.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_of_crlf_and_cr_files_are_reported_on_their_own_lines() {
    for (name, end) in [("crlf", "\r\n"), ("cr", "\r"), ("lf", "\n")] {
        let dir = folder(name);
        let mock = Mock::start(Faults::default(), &[]).await;
        let (text, rows) = layout(end);
        let file = dir.join("team.csv");
        std::fs::write(&file, &text).unwrap();
        let line_of = |email: &str| rows.iter().find(|(_, e)| e == email).unwrap().0;
        let (bad, user0_again, kelvin_again) = (
            line_of("not-an-email"),
            line_of("USER0@example.com"),
            line_of("\u{212a}ELVIN@example.com"),
        );
        assert_eq!(
            (line_of("kelvin@example.com"), line_of("user0@example.com")),
            (2, 3)
        );
        let output = run(args("hybridbox", &mock.url, &file, &[]), key("hybridbox")).await;
        assert_eq!(output.status.code(), Some(1), "{name}: {}", stderr(&output));
        let summary = summary(&output);
        let reported: Vec<(u64, &str, &str)> = summary["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let line = r["line"].as_u64().unwrap();
                (
                    line,
                    r["email"].as_str().unwrap(),
                    r["reason"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            reported,
            [
                (
                    bad,
                    "not-an-email",
                    "malformed email `not-an-email`: no `@`"
                ),
                (
                    user0_again,
                    "USER0@example.com",
                    "duplicate email: already on line 3"
                ),
                (
                    kelvin_again,
                    "\u{212a}ELVIN@example.com",
                    "duplicate email: already on line 2"
                ),
            ],
            "{name}"
        );
        let valid = rows.len() as u64 - 3;
        assert_eq!(summary["invited"], valid, "{name}");
        assert_eq!(mock.state().attempts.len() as u64, valid, "{name}");
        // The journal: each row's `started` and `outcome` on its own line.
        let journal = std::fs::read_to_string(dir.join("team.csv.journal.jsonl")).unwrap();
        let lines: HashMap<&str, u64> = rows.iter().map(|(l, e)| (e.as_str(), *l)).collect();
        let mut entries = 0;
        for entry in journal.lines() {
            let entry: Value = serde_json::from_str(entry).unwrap();
            let Some(email) = entry["email"].as_str() else {
                continue;
            };
            assert_eq!(
                Some(lines[email]),
                entry["line"].as_u64(),
                "{name}: {entry}"
            );
            entries += 1;
        }
        assert_eq!(entries, 2 * valid, "{name}");
    }
}

/// `--base-url` as given, then `extra`, for a dry run of `file` with a
/// JSON summary.
fn with_base_url(vendor: &str, url: &str, file: &Path, extra: &[&str]) -> Vec<String> {
    args(vendor, url, file, &[&["--dry-run"][..], extra].concat())
}

/// Issue 25: a dry run refuses the base URLs a run refuses (it needs no
/// credentials, but checks everything else), with the run's message, and
/// exit code 2; a loopback or https one is taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_refuses_the_base_url_a_run_refuses() {
    let dir = folder("base-url");
    let file = dir.join("team.csv");
    std::fs::write(
        &file,
        "email,account_rbac_role\nada@example.com,global-admin\n",
    )
    .unwrap();
    for (url, expected) in [
        (
            "http://invitations.example.com",
            "refusing to send credentials over plain http",
        ),
        ("ftp://127.0.0.1/", "must start with http:// or https://"),
        ("127.0.0.1:9", "is not a valid absolute url"),
        ("https://example.com/api?x=1", "has a query"),
    ] {
        let dry = run(with_base_url("automox", url, &file, &[]), vec![]).await;
        let real = run(args("automox", url, &file, &[]), key("automox")).await;
        for (output, what) in [(&dry, "dry run"), (&real, "run")] {
            let stderr = stderr(output);
            assert_eq!(output.status.code(), Some(2), "{what} {url}: {stderr}");
            assert!(stderr.contains(expected), "{what} {url}: {stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
            assert!(output.stdout.is_empty(), "{what} {url}");
        }
        assert_eq!(stderr(&dry), stderr(&real), "{url}");
    }
    for url in ["http://127.0.0.1:9", "https://console.automox.com/api"] {
        let dry = run(with_base_url("automox", url, &file, &[]), vec![]).await;
        assert_eq!(dry.status.code(), Some(0), "{url}: {}", stderr(&dry));
        assert_eq!(summary(&dry)["would_send_count"], 1, "{url}");
    }
}

/// Issue 25: a dry run says how many rows a run would send now, in JSON
/// and in text: the valid rows the journal has not settled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_says_how_many_rows_would_be_sent() {
    let dir = folder("would-send");
    let mock = Mock::start(Faults::default(), &[]).await;
    let file = dir.join("team.csv");
    std::fs::write(
        &file,
        "email\nada@example.com\nbad\nbob@example.com\ncy@example.com\n",
    )
    .unwrap();
    let dry = run(args("hybridbox", &mock.url, &file, &["--dry-run"]), vec![]).await;
    let json = summary(&dry);
    assert_eq!(json["would_send_count"], 3, "{json}");
    assert_eq!(json["would_send"].as_array().unwrap().len(), 3, "{json}");
    let mut text = args("hybridbox", &mock.url, &file, &["--dry-run"]);
    let format = text.iter().position(|a| a == "json").unwrap();
    text[format] = "text".to_owned();
    let output = run(text.clone(), vec![]).await;
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[3].starts_with("dry run (nothing sent): 0 invited"),
        "{stdout}"
    );
    assert_eq!(lines[4], "3 rows would be sent", "{stdout}");
    // After a run has invited them, none.
    let real = run(args("hybridbox", &mock.url, &file, &[]), key("hybridbox")).await;
    assert_eq!(summary(&real)["invited"], 3);
    let dry = run(args("hybridbox", &mock.url, &file, &["--dry-run"]), vec![]).await;
    assert_eq!(summary(&dry)["would_send_count"], 0);
    let output = run(text, vec![]).await;
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("\n0 rows would be sent\n"), "{stdout}");
    assert_eq!(mock.state().attempts.len(), 3);
}

/// Issue 25: with one of `HYBRIDBOX_CLIENT_ID` and `HYBRIDBOX_CLIENT_SECRET`
/// set, the error names the other; nothing is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_of_the_client_credentials_names_the_missing_variable() {
    let dir = folder("half-credentials");
    let mock = Mock::start(Faults::default(), &[]).await;
    let file = dir.join("team.csv");
    std::fs::write(&file, "email\nada@example.com\n").unwrap();
    let endpoint = ("HYBRIDBOX_TOKEN_ENDPOINT", format!("{}/token", mock.url));
    for (set, missing) in [
        ("HYBRIDBOX_CLIENT_ID", "HYBRIDBOX_CLIENT_SECRET"),
        ("HYBRIDBOX_CLIENT_SECRET", "HYBRIDBOX_CLIENT_ID"),
    ] {
        let env = vec![(set, "SECRET-half".to_owned()), endpoint.clone()];
        let output = run(args("hybridbox", &mock.url, &file, &[]), env).await;
        let stderr = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert_eq!(
            stderr,
            format!(
                "error: incomplete credentials in the environment: {missing} is not set ({set} \
                 is): set both, or HYBRIDBOX_TOKEN\n"
            )
        );
    }
    assert_eq!(mock.state().requests, 0);
}
