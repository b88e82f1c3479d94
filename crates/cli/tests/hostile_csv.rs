//! `invitations invite` under hostile input, run as a
//! program, each test the reproduction from issue 24: CSV text that forges
//! summary lines, a header that is the environment, rates that panicked,
//! input that never ends, a cell of 80,000 zones, a server that accepts and
//! never answers, two runs on one journal, and journals that are not what a
//! run wrote (no `run` line, a cut last line, a symbolic link, a device).
//!
//! Servers are on 127.0.0.1 (the stateful mock of `tests/bulk_invite.rs`,
//! or a listener that never answers). No wall-clock limits: waits are
//! bounded polls for a condition. Unix only (devices, FIFOs, symbolic
//! links, `/proc`).
#![cfg(unix)]

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;

#[path = "common/program.rs"]
mod program;
#[path = "common/vendor_mock.rs"]
#[allow(dead_code)]
mod vendor_mock;

use program::{args, command, key, run};
use vendor_mock::{ACCOUNT, Faults, Mock};

/// A fresh folder for a test's files.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("invitations-hostile-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `header`, then one row per email with `extra` appended, in `team.csv`.
fn csv(dir: &Path, header: &str, rows: usize, extra: &str) -> PathBuf {
    let mut text = format!("{header}\n");
    for i in 0..rows {
        text.push_str(&format!("user{i}@example.com{extra}\n"));
    }
    let path = dir.join("team.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The JSON summary on stdout.
fn summary(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", stderr(output)))
}

/// Exit code 2 (bad input), no panic, and `expected` in the message.
fn refused(output: &Output, expected: &str) {
    let stderr = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(expected), "{expected}: {stderr}");
}

/// An invalid row's email with CR, LF and ESC sequences cannot forge lines
/// of the text summary or drive the terminal; JSON keeps it as written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_text_summary_escapes_what_came_from_the_csv() {
    let dir = folder("forged-summary");
    let forged = "evil\r\ndone: 999 invited, 0 already invited, 0 failed, 0 unknown, 0 \
                  invalid\r\n\u{1b}[2J\u{1b}]0;owned\u{7}@x.example";
    let text = format!(
        "email,account_rbac_role\nada@example.com,global-admin\n\"{forged}\",global-admin\n\
         bob@example.com,\u{1b}[31mroot\n"
    );
    let file = dir.join("team.csv");
    std::fs::write(&file, text).unwrap();
    let mut dry = args("automox", "http://127.0.0.1:9", &file, &["--dry-run"]);
    let json = run(dry.clone(), vec![]).await;
    assert_eq!(json.status.code(), Some(1), "{}", stderr(&json));
    let summary = summary(&json);
    assert_eq!(summary["rows"][0]["email"], forged);
    // Text.
    let format = dry.iter().position(|a| a == "json").unwrap();
    dry[format] = "text".to_owned();
    let output = run(dry, vec![]).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        !stdout.chars().any(|c| c.is_control() && c != '\n'),
        "{stdout:?}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    let titles = lines.iter().filter(|l| !l.starts_with(' ')).count();
    // One `would send` line, the title and the count of rows it would
    // send, the two invalid rows.
    assert_eq!(lines.len(), 5, "{stdout}");
    assert_eq!(titles, 3, "{stdout}");
    assert!(lines[1].starts_with("dry run (nothing sent): 0 invited"));
    assert_eq!(lines[2], "1 row would be sent", "{stdout}");
    assert!(
        lines[3].starts_with("  line 3: evil\\r\\ndone: 999 invited"),
        "{stdout}"
    );
    assert!(lines[4].contains("`\\u{1b}[31mroot`"), "{stdout}");
}

/// `--csv /proc/self/environ`: the header error does not print the
/// environment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_error_does_not_print_the_environment() {
    let secret = "tok-SECRET-environ-5f3a";
    for clear in [false, true] {
        let mut command = command(
            &[
                "invite",
                "hybridbox",
                "--account",
                ACCOUNT,
                "--csv",
                "/proc/self/environ",
                "--dry-run",
            ],
            &[],
        );
        if clear {
            command.env_clear();
        }
        // First and last in the environment's order.
        command.env("AAA_INVITATIONS_TOKEN", secret);
        command.env("ZZZ_INVITATIONS_TOKEN", secret);
        let output = command.output().unwrap();
        refused(&output, "bad header (line 1)");
        let stderr = stderr(&output);
        assert!(!stderr.contains("SECRET"), "{stderr}");
        assert!(stderr.len() < 300, "{stderr}");
    }
}

/// Rates that passed validation and then panicked (exit 101) are refused
/// with the range that works; the edges of that range work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rates_that_panicked_are_refused_with_the_range() {
    let dir = folder("rates");
    let mock = Mock::start(Faults::default(), &[]).await;
    let file = csv(&dir, "email", 2, "");
    for (rate, range) in [
        ("1000000002/1s", "the count is at most 1000000001"),
        ("4294967295/1ms", "the count is at most 1000001"),
        ("1/10000000h", "the period is longer than 744 hours"),
    ] {
        let output = run(
            args("hybridbox", &mock.url, &file, &["--rate", rate]),
            key("hybridbox"),
        )
        .await;
        refused(&output, range);
    }
    assert_eq!(mock.state().requests, 0);
    // Automox: one request per row. Two rows at the fastest rate; one at
    // the slowest (the next request would wait 31 days).
    for (rows, rate) in [(2, "1000000001/1s"), (1, "1/744h")] {
        let journal = dir.join(format!("{rows}.jsonl"));
        let extra = ["--rate", rate, "--journal", journal.to_str().unwrap()];
        let file = csv(&dir, "email,account_rbac_role", rows, ",global-admin");
        let output = run(args("automox", &mock.url, &file, &extra), key("automox")).await;
        assert_eq!(output.status.code(), Some(0), "{rate}: {}", stderr(&output));
        assert_eq!(summary(&output)["invited"], rows as u64, "{rate}");
    }
}

/// Feeds `fifo` with `head`, then `chunk` over and over until the reader
/// closes it; counts the bytes written.
fn feed_forever(fifo: PathBuf, head: &'static [u8], chunk: &'static [u8]) -> Arc<Fed> {
    let fed = Arc::new(Fed::default());
    let counter = fed.clone();
    std::thread::spawn(move || {
        let mut out = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
        if out.write_all(head).is_ok() {
            counter.bytes.fetch_add(head.len() as u64, Ordering::SeqCst);
            while out.write_all(chunk).is_ok() {
                counter
                    .bytes
                    .fetch_add(chunk.len() as u64, Ordering::SeqCst);
            }
        }
        counter.done.store(true, Ordering::SeqCst);
    });
    fed
}

#[derive(Default)]
struct Fed {
    bytes: AtomicU64,
    done: AtomicBool,
}

/// A CSV that never ends (a device, a FIFO fed forever) ends the run with
/// an error naming the line, not with an allocation abort; nothing is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_that_never_ends_is_refused_at_the_record_cap() {
    let dir = folder("endless");
    let mock = Mock::start(Faults::default(), &[]).await;
    let zero = Path::new("/dev/zero");
    let output = run(args("hybridbox", &mock.url, zero, &[]), key("hybridbox")).await;
    refused(
        &output,
        "the record at line 1 of `/dev/zero` is longer than 65536 bytes",
    );
    // A FIFO: a valid row, then a quoted field that never closes.
    let fifo = dir.join("team.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let fed = feed_forever(
        fifo.clone(),
        b"email,note\nada@example.com,hi\nbob@example.com,\"",
        &[b'\n'; 4096],
    );
    let output = run(args("hybridbox", &mock.url, &fifo, &[]), key("hybridbox")).await;
    refused(&output, "the record at line 3 of");
    for _ in 0..2000 {
        if fed.done.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(fed.done.load(Ordering::SeqCst), "the feeder never stopped");
    assert!(fed.bytes.load(Ordering::SeqCst) > 65536);
    assert_eq!(mock.state().requests, 0);
    assert!(!dir.join("team.csv.journal.jsonl").exists());
}

/// 80,000 zones in one cell (27 s of a quadratic check before) are a
/// record past the cap: refused at once, naming the line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eighty_thousand_zones_in_one_cell_are_refused() {
    let dir = folder("zones");
    let zones: Vec<String> = (1..=80_000u128)
        .map(|i| format!("{}:read-only", uuid::Uuid::from_u128(i)))
        .collect();
    let file = dir.join("team.csv");
    std::fs::write(
        &file,
        format!(
            "email,account_rbac_role,zones\nada@example.com,no-global-access,{}\n",
            zones.join(";")
        ),
    )
    .unwrap();
    let output = run(
        args("automox", "http://127.0.0.1:9", &file, &["--dry-run"]),
        vec![],
    )
    .await;
    refused(&output, "the record at line 2 of");
}

/// A listener on 127.0.0.1 that accepts connections and never answers.
async fn silent_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    url
}

/// A server that accepts and never answers no longer holds a row for
/// minutes: with `--timeout 1s` the Automox create ends `unknown` (it may
/// have been received) and the Hybridbox list, after its retries, `failed`
/// (nothing was created); both runs end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_ends_the_row_at_the_timeout() {
    let dir = folder("silent");
    let url = silent_server().await;
    let automox_file = dir.join("automox.csv");
    std::fs::write(
        &automox_file,
        "email,account_rbac_role\nada@example.com,global-admin\n",
    )
    .unwrap();
    let hybridbox_file = dir.join("hybridbox.csv");
    std::fs::write(&hybridbox_file, "email\nada@example.com\n").unwrap();
    let timeout = ["--timeout", "1s"];
    let (automox, hybridbox) = tokio::join!(
        run(
            args("automox", &url, &automox_file, &timeout),
            key("automox")
        ),
        run(
            args("hybridbox", &url, &hybridbox_file, &timeout),
            key("hybridbox")
        ),
    );
    for (output, outcome) in [(&automox, "unknown"), (&hybridbox, "failed")] {
        assert_eq!(output.status.code(), Some(1), "{}", stderr(output));
        let summary = summary(output);
        assert_eq!(summary[outcome], 1, "{summary}");
        let reason = summary["rows"][0]["reason"].as_str().unwrap();
        assert!(reason.contains("timed out"), "{reason}");
    }
}

/// Lines of the journal at `path` (0 when absent).
fn journal_lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

/// Two runs of the same command on one journal: the second is refused
/// while the first holds it, and nobody is invited twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_the_journal_is_refused_and_nobody_is_invited_twice() {
    let dir = folder("two-runs");
    let slow = Faults {
        create_delay: Duration::from_millis(40),
        ..Faults::default()
    };
    let mock = Mock::start(slow, &[]).await;
    let file = csv(&dir, "email", 100, "");
    let journal = dir.join("team.csv.journal.jsonl");
    let run_args = args("hybridbox", &mock.url, &file, &["--concurrency", "2"]);
    let env = key("hybridbox");
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut first = command(&run_args, &env_refs)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = 0;
    for _ in 0..6000 {
        seen = journal_lines(&journal);
        if seen >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(seen >= 3, "the first run never started");
    let second = run(run_args.clone(), env.clone()).await;
    refused(&second, "another run holds the journal `");
    assert!(
        stderr(&second).contains(journal.to_str().unwrap()),
        "{}",
        stderr(&second)
    );
    let first = tokio::task::spawn_blocking(move || {
        let status = first.wait().unwrap();
        let mut stdout = Vec::new();
        std::io::Read::read_to_end(&mut first.stdout.take().unwrap(), &mut stdout).unwrap();
        (status, stdout)
    })
    .await
    .unwrap();
    assert_eq!(first.0.code(), Some(0));
    let summary: Value = serde_json::from_slice(&first.1).unwrap();
    assert_eq!(summary["invited"], 100, "{summary}");
    let state = mock.state();
    assert_eq!(state.attempts.len(), 100);
    assert!(
        state.attempts.values().all(|n| *n == 1),
        "a row was sent twice"
    );
    assert!(state.created.values().all(|n| *n == 1), "invited twice");
}

/// A journal line.
fn entry(value: Value) -> String {
    format!("{value}\n")
}

fn run_line(vendor: &str) -> String {
    entry(
        serde_json::json!({"event": "run", "vendor": vendor, "account": ACCOUNT,
                             "at": "2026-01-01T00:00:00.000Z"}),
    )
}

fn invited_line(email: &str) -> String {
    entry(
        serde_json::json!({"event": "outcome", "line": 2, "email": email,
                             "outcome": "invited", "at": "2026-01-01T00:00:01.000Z"}),
    )
}

/// A journal that does not start with a `run` line is refused, not taken
/// as saying its rows were invited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_without_its_run_line_is_refused() {
    let dir = folder("no-run-line");
    let mock = Mock::start(Faults::default(), &[]).await;
    let file = csv(&dir, "email", 3, "");
    let journal = dir.join("team.csv.journal.jsonl");
    let forged = invited_line("user0@example.com") + &invited_line("user1@example.com");
    std::fs::write(&journal, &forged).unwrap();
    for extra in [&[][..], &["--dry-run"][..]] {
        let output = run(args("hybridbox", &mock.url, &file, extra), key("hybridbox")).await;
        refused(&output, "line 1 is not a complete `run` line");
        assert!(stderr(&output).contains(journal.to_str().unwrap()));
    }
    assert_eq!(mock.state().requests, 0);
    assert_eq!(std::fs::read_to_string(&journal).unwrap(), forged);
}

/// A journal whose last line is cut (no newline), even one that reads as an
/// `invited` outcome: that row's outcome was not recorded, so it is in
/// flight (Automox: `unknown`, not sent), never invited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_outcome_line_leaves_its_row_in_flight() {
    let dir = folder("cut-journal");
    let mock = Mock::start(Faults::default(), &[]).await;
    let file = csv(&dir, "email,account_rbac_role", 3, ",global-admin");
    let journal = dir.join("team.csv.journal.jsonl");
    let started = entry(serde_json::json!({"event": "started", "line": 2,
        "email": "user0@example.com", "at": "2026-01-01T00:00:00.500Z"}));
    let cut = invited_line("user0@example.com");
    let text = run_line("automox") + &started + cut.trim_end();
    std::fs::write(&journal, text).unwrap();
    let output = run(args("automox", &mock.url, &file, &[]), key("automox")).await;
    let summary = summary(&output);
    assert_eq!(output.status.code(), Some(1), "{summary}");
    assert_eq!(
        (summary["invited"].as_u64(), summary["unknown"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(summary["rows"][0]["email"], "user0@example.com");
    assert!(
        summary["rows"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("in flight when an earlier run stopped")
    );
    let sent: HashSet<String> = mock.state().attempts.keys().cloned().collect();
    assert_eq!(
        sent,
        HashSet::from([
            "user1@example.com".to_owned(),
            "user2@example.com".to_owned()
        ])
    );
}

/// A symbolic link planted at the default journal path is never followed:
/// the run is refused and the file it points to is untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlink_at_the_journal_path_is_never_followed() {
    let dir = folder("symlink");
    let mock = Mock::start(Faults::default(), &[]).await;
    let file = csv(&dir, "email", 2, "");
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    let journal = dir.join("team.csv.journal.jsonl");
    std::os::unix::fs::symlink(&victim, &journal).unwrap();
    for extra in [&[][..], &["--dry-run"][..]] {
        let output = run(args("hybridbox", &mock.url, &file, extra), key("hybridbox")).await;
        refused(&output, "is a symbolic link, which is never followed");
    }
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert_eq!(mock.state().requests, 0);
}

/// `--journal /dev/zero` is refused at once instead of read until memory
/// runs out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_that_is_a_device_is_refused() {
    let dir = folder("device-journal");
    let mock = Mock::start(Faults::default(), &[]).await;
    let file = csv(&dir, "email", 2, "");
    for extra in [
        &["--journal", "/dev/zero"][..],
        &["--journal", "/dev/zero", "--dry-run"][..],
    ] {
        let output = run(args("hybridbox", &mock.url, &file, extra), key("hybridbox")).await;
        refused(&output, "the journal `/dev/zero` is not a regular file");
    }
    assert_eq!(mock.state().requests, 0);
}
