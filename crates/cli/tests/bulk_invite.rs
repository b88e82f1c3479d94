//! `invitations invite`, run as a program against a
//! stateful mock of both vendors on 127.0.0.1: the mock keeps the
//! invitations per email (and lists Hybridbox's pending ones), counts every
//! request (token endpoint included), answers bursts of 429 with
//! `Retry-After: 1`, and on the first create of some emails resets the
//! connection after carrying it out, answers 500 after carrying it out, or
//! answers 500 without. Counts are exact and bounded; no wall-clock limits.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

#[path = "common/program.rs"]
mod program;
#[path = "common/vendor_mock.rs"]
mod vendor_mock;

use program::{args, command, key, run};
use vendor_mock::{Faults, Mock};

/// A fresh folder for a test's files.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("invitations-bulk-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn emails(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user{i}@example.com")).collect()
}

/// A CSV file of `emails`, one row each, with `extra` appended per row.
fn csv(dir: &Path, header: &str, emails: &[String], extra: &str) -> PathBuf {
    let mut text = format!("{header}\n");
    for email in emails {
        text.push_str(&format!("{email}{extra}\n"));
    }
    let path = dir.join("team.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// The JSON summary on stdout, checked to hold no credential.
fn summary(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    for secret in ["SECRET", "tok-from-endpoint"] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret));
    }
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"))
}

/// The emails of the summary's rows with `outcome`.
fn rows_with(summary: &Value, outcome: &str) -> HashSet<String> {
    summary["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == outcome)
        .map(|r| r["email"].as_str().unwrap().to_owned())
        .collect()
}

fn faulty() -> Faults {
    Faults {
        // Within the requests of both vendors' 2,000-row runs (a Hybridbox
        // run lists once, then about one create per row).
        bursts: vec![300, 1200, 1800],
        burst_len: 4,
        creates: true,
        create_delay: Duration::ZERO,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hybridbox_2000_rows_through_faults_each_invited_exactly_once() {
    let dir = folder("hybridbox-2000");
    let all = emails(2000);
    let seeded: Vec<String> = all.iter().step_by(100).cloned().collect();
    let mock = Mock::start(faulty(), &seeded).await;
    let file = csv(&dir, "email,locale,role_key", &all, ",en,viewer");
    let output = run(
        args("hybridbox", &mock.url, &file, &["--concurrency", "32"]),
        key("hybridbox"),
    )
    .await;
    let summary = summary(&output);
    assert_eq!(output.status.code(), Some(0), "{summary}");
    let state = mock.state();
    assert_eq!(state.created.len(), 2000);
    assert!(
        state.created.values().all(|n| *n == 1),
        "an email was invited twice"
    );
    assert!(state.faulted.len() >= 100, "{} faults", state.faulted.len());
    assert_eq!(state.throttled, 12);
    let made = 2000 - seeded.len() as u64;
    assert_eq!(summary["invited"], made);
    assert_eq!(summary["already_invited"], seeded.len() as u64);
    for key in ["failed", "unknown", "invalid", "not_started"] {
        assert_eq!(summary[key], 0, "{key}");
    }
    assert_eq!(summary["rows"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automox_2000_rows_through_faults_never_twice_and_ambiguous_rows_unknown() {
    let dir = folder("automox-2000");
    let all = emails(2000);
    let mock = Mock::start(faulty(), &[]).await;
    let file = csv(&dir, "email,account_rbac_role", &all, ",non-global-admin");
    let output = run(
        args("automox", &mock.url, &file, &["--concurrency", "32"]),
        key("automox"),
    )
    .await;
    let summary = summary(&output);
    assert_eq!(output.status.code(), Some(1), "{summary}");
    let faulted: HashSet<String> = {
        let state = mock.state();
        assert!(
            state.attempts.values().all(|n| *n == 1),
            "a row was sent twice"
        );
        assert_eq!(state.attempts.len(), 2000);
        assert_eq!(state.throttled, 12);
        assert_eq!(summary["invited"], state.answered as u64);
        state.faulted.keys().cloned().collect()
    };
    assert!(faulted.len() >= 100, "{} faults", faulted.len());
    assert_eq!(rows_with(&summary, "unknown"), faulted);
    assert_eq!(summary["unknown"], faulted.len() as u64);
    assert_eq!(summary["failed"], 0);
    // A rerun sends nothing: the invited are done, the unknown never resent.
    let again = run(
        args("automox", &mock.url, &file, &["--concurrency", "32"]),
        key("automox"),
    )
    .await;
    let again = self::summary(&again);
    assert!(mock.state().attempts.values().all(|n| *n == 1));
    assert_eq!(again["resumed"], 2000);
    assert_eq!(again["unknown"], faulted.len() as u64);
}

/// Starts a slow run, kills it with SIGKILL once the journal has `lines`
/// lines, and returns the journal's rows started with no outcome.
async fn kill_mid_run(
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    journal: &Path,
    lines: usize,
) -> HashSet<String> {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut child = command(&refs, &env)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = 0;
    for _ in 0..6000 {
        seen = std::fs::read_to_string(journal).map_or(0, |t| t.lines().count());
        if seen >= lines {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(seen >= lines, "the journal never reached {lines} lines");
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9)
    );
    let mut started = HashSet::new();
    for line in std::fs::read_to_string(journal).unwrap().lines() {
        let Ok(entry) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let email = entry["email"].as_str().unwrap_or_default().to_owned();
        match entry["event"].as_str() {
            Some("started") => started.insert(email),
            Some("outcome") => started.remove(&email),
            _ => false,
        };
    }
    started
}

fn slow() -> Faults {
    Faults {
        create_delay: Duration::from_millis(40),
        ..Faults::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hybridbox_killed_mid_run_resumes_exactly_once() {
    let dir = folder("hybridbox-kill");
    let all = emails(300);
    let mock = Mock::start(slow(), &[]).await;
    let file = csv(&dir, "email", &all, "");
    let journal = dir.join("team.csv.journal.jsonl");
    let run_args = args("hybridbox", &mock.url, &file, &["--concurrency", "8"]);
    let in_flight = kill_mid_run(run_args.clone(), key("hybridbox"), &journal, 60).await;
    // Let the mock finish the creates it was carrying out at the kill.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let carried: HashSet<String> = {
        let state = mock.state();
        assert!(
            state.created.len() < 300,
            "the run finished before it was killed"
        );
        in_flight
            .iter()
            .filter(|e| state.created.contains_key(*e))
            .cloned()
            .collect()
    };
    assert!(!in_flight.is_empty(), "no row was in flight at the kill");
    let output = run(run_args, key("hybridbox")).await;
    let summary = summary(&output);
    assert_eq!(output.status.code(), Some(0), "{summary}");
    let state = mock.state();
    assert_eq!(state.created.len(), 300);
    assert!(
        state.created.values().all(|n| *n == 1),
        "an email was invited twice"
    );
    let settled =
        summary["invited"].as_u64().unwrap() + summary["already_invited"].as_u64().unwrap();
    assert_eq!(settled, 300);
    assert!(summary["resumed"].as_u64().unwrap() > 0);
    // Rows in flight at the kill whose create the mock carried out are
    // found by the rerun's list (already invited), the others created.
    assert_eq!(summary["already_invited"], carried.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automox_killed_mid_run_sends_no_row_twice_and_reports_rows_in_flight() {
    let dir = folder("automox-kill");
    let all = emails(300);
    let mock = Mock::start(slow(), &[]).await;
    let file = csv(&dir, "email,account_rbac_role", &all, ",global-admin");
    let journal = dir.join("run.jsonl");
    let extra = ["--concurrency", "8", "--journal", journal.to_str().unwrap()];
    let run_args = args("automox", &mock.url, &file, &extra);
    let in_flight = kill_mid_run(run_args.clone(), key("automox"), &journal, 60).await;
    assert!(!in_flight.is_empty(), "no row was in flight at the kill");
    let output = run(run_args, key("automox")).await;
    let summary = summary(&output);
    assert_eq!(output.status.code(), Some(1), "{summary}");
    let state = mock.state();
    assert!(
        state.attempts.values().all(|n| *n == 1),
        "a row was sent twice"
    );
    assert_eq!(rows_with(&summary, "unknown"), in_flight);
    for email in &in_flight {
        assert!(!state.attempts.contains_key(email) || state.attempts[email] == 1);
    }
    assert_eq!(summary["invited"], 300 - in_flight.len() as u64);
    let reason = summary["rows"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("check the account's invitations"),
        "{reason}"
    );
}

/// The exit code of a run stopped by Ctrl-C or SIGTERM (README: 1 when the
/// run was interrupted).
const STOPPED: i32 = 1;

/// The journal's last event per email: `started` or the outcome.
fn journal_rows(journal: &Path) -> std::collections::HashMap<String, String> {
    let mut rows = std::collections::HashMap::new();
    for line in std::fs::read_to_string(journal).unwrap().lines() {
        let entry: Value = serde_json::from_str(line).unwrap();
        let Some(email) = entry["email"].as_str() else {
            continue;
        };
        let last = match entry["event"].as_str() {
            Some("outcome") => entry["outcome"].as_str().unwrap().to_owned(),
            other => other.unwrap().to_owned(),
        };
        rows.insert(email.to_owned(), last);
    }
    rows
}

/// Runs `vendor` over 300 rows at 40 requests/s, sends `signal` (`INT` or
/// `TERM`) once the mock has had 12 creates, and checks that the run stopped
/// cleanly: the stop exit code, every create the mock got journaled as
/// invited, no row left in flight, rows not started, the progress ending at
/// the rows done; then that a rerun with the same journal invites the rest,
/// nobody twice.
async fn stopped_mid_run_by(signal: &str, vendor: &str) {
    let dir = folder(&format!("{vendor}-sig{}", signal.to_lowercase()));
    let all = emails(300);
    let mock = Mock::start(Faults::default(), &[]).await;
    let file = match vendor {
        "automox" => csv(&dir, "email,account_rbac_role", &all, ",global-admin"),
        _ => csv(&dir, "email", &all, ""),
    };
    let journal = dir.join("team.csv.journal.jsonl");
    // `args` with a slow rate instead of its fast one (given once only).
    let mut slow_args = args(vendor, &mock.url, &file, &["--concurrency", "4"]);
    let rate = slow_args.iter().position(|a| a == "--rate").unwrap();
    slow_args[rate + 1] = "40/1s".to_owned();
    let refs: Vec<&str> = slow_args.iter().map(String::as_str).collect();
    let env = key(vendor);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (stdout, stderr) = (dir.join("stdout"), dir.join("stderr"));
    let mut child = command(&refs, &env)
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let mut seen = 0;
    for _ in 0..6000 {
        seen = mock.state().attempts.len();
        if seen >= 12 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(seen >= 12, "the mock never had 12 creates");
    let kill = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut status = None;
    for _ in 0..6000 {
        status = child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let Some(status) = status else {
        child.kill().unwrap();
        panic!("the run did not end after SIG{signal}");
    };
    let output = Output {
        status,
        stdout: std::fs::read(&stdout).unwrap(),
        stderr: std::fs::read(&stderr).unwrap(),
    };
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        None,
        "killed by the signal: {stderr}"
    );
    let summary = summary(&output);
    assert_eq!(status.code(), Some(STOPPED), "{summary}\n{stderr}");
    assert!(
        stderr.contains(&format!("stopping (SIG{signal})")),
        "{stderr}"
    );
    assert_eq!(summary["interrupted"], true);
    // Every create the mock got is journaled as invited; nothing else is
    // journaled, and no row is left in flight.
    let created: HashSet<String> = {
        let state = mock.state();
        assert!(state.attempts.values().all(|n| *n == 1));
        state.attempts.keys().cloned().collect()
    };
    let journaled = journal_rows(&journal);
    let invited: HashSet<String> = journaled
        .iter()
        .filter(|(_, last)| *last == "invited")
        .map(|(email, _)| email.clone())
        .collect();
    assert_eq!(invited, created, "journal: {journaled:?}");
    assert_eq!(journaled.len(), invited.len(), "journal: {journaled:?}");
    // Some rows were not started; the summary counts each row once.
    let done = invited.len() as u64;
    assert!(done < 300, "the run finished before the signal");
    assert_eq!(summary["invited"], done);
    assert_eq!(summary["not_started"], 300 - done);
    assert!(summary["rows"].as_array().unwrap().is_empty(), "{summary}");
    // The last progress line (stderr is not a terminal) is at the rows done.
    let last = stderr
        .lines()
        .rfind(|l| l.starts_with("progress "))
        .unwrap();
    assert!(last.contains(&format!(": {done}/300 rows")), "{last}");
    // A rerun with the same journal (at full speed) invites the rest.
    let output = run(args(vendor, &mock.url, &file, &[]), key(vendor)).await;
    let again = self::summary(&output);
    assert_eq!(output.status.code(), Some(0), "{again}");
    assert_eq!(again["resumed"], done);
    assert_eq!(again["sent"], 300 - done);
    assert_eq!(again["invited"], 300);
    assert_eq!(again["interrupted"], false);
    let state = mock.state();
    assert_eq!(state.attempts.len(), 300);
    assert!(
        state.attempts.values().all(|n| *n == 1),
        "a row was sent twice"
    );
    assert!(
        state.created.values().all(|n| *n == 1),
        "an email was invited twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hybridbox_sigterm_mid_run_stops_cleanly_and_resumes_exactly_once() {
    stopped_mid_run_by("TERM", "hybridbox").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automox_sigterm_mid_run_stops_cleanly_and_resumes_exactly_once() {
    stopped_mid_run_by("TERM", "automox").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hybridbox_ctrl_c_mid_run_stops_cleanly_and_resumes_exactly_once() {
    stopped_mid_run_by("INT", "hybridbox").await;
}

/// A Hybridbox run lists the account's pending invitations once, then
/// sends one create per row not in that list: under a rate limit of N
/// requests per second that is close to N rows per second, not N/2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hybridbox_lists_once_then_one_create_per_row() {
    let dir = folder("hybridbox-list-once");
    let all = emails(50);
    let seeded: Vec<String> = all[..10].to_vec();
    let mock = Mock::start(Faults::default(), &seeded).await;
    let file = csv(&dir, "email", &all, "");
    let output = run(args("hybridbox", &mock.url, &file, &[]), key("hybridbox")).await;
    let summary = summary(&output);
    assert_eq!(output.status.code(), Some(0), "{summary}");
    assert_eq!(summary["invited"], 40);
    assert_eq!(summary["already_invited"], 10);
    let state = mock.state();
    assert_eq!(state.lists, 1, "one list for the run");
    assert_eq!(state.creates_seen, 40, "one create per new row");
    assert_eq!(state.requests, 41);
    assert!(state.attempts.keys().all(|e| !seeded.contains(e)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_are_reported_by_line_and_not_sent() {
    let dir = folder("bad-rows");
    let mock = Mock::start(Faults::default(), &[]).await;
    let file = dir.join("team.csv");
    let text = "email,account_rbac_role,zones\n\
                ada@example.com,global-admin,\n\
                not-an-email,global-admin,\n\
                bob@example.com,root,\n\
                cy@example.com,non-global-admin,zone-1:read-only\n\
                Ada@Example.com,global-admin,\n\
                di@example.com,non-global-admin,3fa85f64-5717-4562-b3fc-2c963f66afa6:read-only\n";
    std::fs::write(&file, text).unwrap();
    let output = run(args("automox", &mock.url, &file, &[]), key("automox")).await;
    let summary = summary(&output);
    assert_eq!(output.status.code(), Some(1));
    let state = mock.state();
    let sent: HashSet<&str> = state.attempts.keys().map(String::as_str).collect();
    assert_eq!(sent, HashSet::from(["ada@example.com", "di@example.com"]));
    assert_eq!(state.requests, 2);
    assert_eq!(
        (summary["invited"].as_u64(), summary["invalid"].as_u64()),
        (Some(2), Some(4))
    );
    let lines: Vec<(u64, &str)> = summary["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [
            (3, "invalid"),
            (4, "invalid"),
            (5, "invalid"),
            (6, "invalid")
        ]
    );
    assert_eq!(
        summary["rows"][3]["reason"],
        "duplicate email: already on line 2"
    );
    assert_eq!(
        summary["rows"][2]["reason"],
        "zone id `zone-1` is not a valid uuid"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_sends_nothing_not_even_a_token_request() {
    let dir = folder("dry-run");
    let mock = Mock::start(Faults::default(), &[]).await;
    let file = csv(&dir, "email,note", &emails(5), ",welcome");
    let credentials = vec![
        ("HYBRIDBOX_CLIENT_ID", "cli".to_owned()),
        ("HYBRIDBOX_CLIENT_SECRET", "SECRET-2".to_owned()),
        ("HYBRIDBOX_TOKEN_ENDPOINT", format!("{}/token", mock.url)),
    ];
    let output = run(
        args("hybridbox", &mock.url, &file, &["--dry-run"]),
        credentials.clone(),
    )
    .await;
    let summary = summary(&output);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(mock.state().requests, 0);
    assert_eq!(summary["dry_run"], true);
    assert_eq!(summary["would_send"].as_array().unwrap().len(), 5);
    assert_eq!(
        summary["would_send"][0]["body"],
        json!({"email": "user0@example.com", "note": "welcome"})
    );
    assert!(!dir.join("team.csv.journal.jsonl").exists());
    // Without --dry-run the same command does reach the token endpoint.
    let output = run(args("hybridbox", &mock.url, &file, &[]), credentials).await;
    assert_eq!(output.status.code(), Some(0), "{}", self::summary(&output));
    let state = mock.state();
    assert_eq!((state.tokens, state.created.len()), (1, 5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_and_the_json_summary() {
    let dir = folder("exit-codes");
    let mock = Mock::start(Faults::default(), &[]).await;
    let file = csv(&dir, "email", &emails(3), "");
    let output = run(args("hybridbox", &mock.url, &file, &[]), key("hybridbox")).await;
    assert_eq!(output.status.code(), Some(0));
    let summary = summary(&output);
    let keys: Vec<&str> = summary
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "invited",
        "already_invited",
        "failed",
        "unknown",
        "invalid",
        "rows",
    ] {
        assert!(keys.contains(&key), "{key} missing: {keys:?}");
    }
    assert_eq!(summary["invited"], 3);
    // Text output: the counts on stdout; progress only on stderr.
    let mut text_args = args("hybridbox", &mock.url, &file, &[]);
    text_args.truncate(text_args.len() - 2);
    let output = run(text_args, key("hybridbox")).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("done: 3 invited, 0 already invited"),
        "{stdout}"
    );
    assert!(
        stdout.contains("3 of them settled by an earlier run"),
        "{stdout}"
    );
    // 2: bad input, nothing sent.
    let before = mock.state().requests;
    let bad_header = dir.join("bad.csv");
    std::fs::write(&bad_header, "mail\nx@y.zz\n").unwrap();
    let missing = dir.join("missing.csv");
    let automox = dir.join("automox.csv");
    std::fs::write(
        &automox,
        "email,account_rbac_role\nada@example.com,global-admin\n",
    )
    .unwrap();
    type Case = (Vec<String>, Vec<(&'static str, String)>, &'static str);
    let cases: Vec<Case> = vec![
        (
            args("hybridbox", &mock.url, &missing, &[]),
            key("hybridbox"),
            "cannot read the csv file",
        ),
        (
            args("hybridbox", &mock.url, &bad_header, &[]),
            key("hybridbox"),
            "unknown column `mail`",
        ),
        (
            args("hybridbox", &mock.url, &file, &["--rate", "fast"]),
            key("hybridbox"),
            "COUNT/PERIOD",
        ),
        (
            args("hybridbox", &mock.url, &file, &["--concurrency", "0"]),
            key("hybridbox"),
            "concurrency",
        ),
        (
            args("automox", &mock.url, &automox, &[]),
            vec![],
            "AUTOMOX_API_KEY",
        ),
        (
            args("automox", &mock.url, &file, &["--dry-run"]),
            vec![],
            "`account_rbac_role` is missing",
        ),
    ];
    for (args, env, expected) in cases {
        let output = run(args, env).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    // The hybridbox journal is refused for automox: another vendor.
    let journal = dir.join("team.csv.journal.jsonl");
    let extra = ["--journal", journal.to_str().unwrap()];
    let output = run(args("automox", &mock.url, &automox, &extra), key("automox")).await;
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(mock.state().requests, before);
}
