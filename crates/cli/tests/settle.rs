//! `invitations invite … --settle LINE=invited|not-invited` (issue 25), run
//! as a program against the stateful mock on 127.0.0.1: Automox rows left
//! `unknown` by ambiguous failures are settled by the user's finding, which
//! the journal records; `invited` is counted and never sent, `not-invited`
//! is sent by that run; a line that names no unknown row is refused before
//! anything is sent or written.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Output;

use serde_json::Value;

#[path = "common/program.rs"]
mod program;
#[path = "common/vendor_mock.rs"]
#[allow(dead_code)]
mod vendor_mock;

use program::{args, key, run};
use vendor_mock::{Faults, Mock};

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("invitations-settle-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn summary(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}\n{}", String::from_utf8_lossy(&output.stderr)))
}

/// The rows of the summary: line → (email, outcome).
fn rows(summary: &Value) -> HashMap<u64, (String, String)> {
    summary["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                (
                    r["email"].as_str().unwrap().to_owned(),
                    r["outcome"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_rows_are_settled_by_the_users_finding() {
    let dir = folder("automox");
    let csv = dir.join("team.csv");
    let mut text = "email,account_rbac_role\n".to_owned();
    for i in 0..60 {
        text.push_str(&format!("user{i}@example.com,global-admin\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let faults = Faults {
        creates: true,
        ..Faults::default()
    };
    let mock = Mock::start(faults, &[]).await;
    let invite = |extra: &[&str]| run(args("automox", &mock.url, &csv, extra), key("automox"));

    let first = summary(&invite(&[]).await);
    let unknown: Vec<(u64, String)> = {
        let mut u: Vec<(u64, String)> = rows(&first)
            .into_iter()
            .filter(|(_, (_, outcome))| outcome == "unknown")
            .map(|(line, (email, _))| (line, email))
            .collect();
        u.sort();
        u
    };
    assert!(unknown.len() >= 2, "{first}");
    let (invited, not_invited) = (&unknown[0], &unknown[1]);
    let requests = mock.state().requests;

    // A line with no unknown row is refused: exit 2, nothing sent.
    let done = (2..62u64)
        .find(|l| !unknown.iter().any(|(u, _)| u == l))
        .unwrap();
    for (settle, says) in [
        (
            "999=invited".to_owned(),
            "no valid row of the file is on line 999",
        ),
        (format!("{done}=not-invited"), "is invited, not unknown"),
    ] {
        let refused = invite(&["--settle", &settle]).await;
        assert_eq!(refused.status.code(), Some(2), "{settle}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(says), "{settle}: {stderr}");
        assert_eq!(
            mock.state().requests,
            requests,
            "{settle}: something was sent"
        );
    }

    let settled = invite(&[
        "--settle",
        &format!("{}=invited", invited.0),
        "--settle",
        &format!("{}=not-invited", not_invited.0),
    ])
    .await;
    let second = summary(&settled);
    // Both end invited: the summary lists only the rows that did not.
    let after = rows(&second);
    assert!(
        !after.contains_key(&invited.0) && !after.contains_key(&not_invited.0),
        "{second}"
    );
    assert_eq!(second["invited"], first["invited"].as_u64().unwrap() + 2);
    {
        let state = mock.state();
        // The `not-invited` row was sent once more, the `invited` one not.
        assert_eq!(state.attempts[&not_invited.1], 2);
        assert_eq!(state.attempts[&invited.1], 1);
    }
    assert_eq!(
        second["unknown"].as_u64().unwrap(),
        unknown.len() as u64 - 2,
        "{second}"
    );
    // The journal says what the user found, with the line.
    let journal = std::fs::read_to_string(dir.join("team.csv.journal.jsonl")).unwrap();
    for (line, email, finding) in [
        (invited.0, &invited.1, "invited"),
        (not_invited.0, &not_invited.1, "not-invited"),
    ] {
        let entry: Value = journal
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|e| {
                e["email"] == email.as_str()
                    && e["reason"]
                        .as_str()
                        .is_some_and(|r| r.starts_with("settled by hand"))
            })
            .unwrap_or_else(|| panic!("no settled entry for {email}: {journal}"));
        assert_eq!(entry["line"], line);
        assert!(
            entry["reason"]
                .as_str()
                .unwrap()
                .contains(&format!("--settle {line}={finding}"))
        );
    }

    // Once settled, the rows are known: settling them again is refused.
    let again = invite(&["--settle", &format!("{}=not-invited", invited.0)]).await;
    assert_eq!(again.status.code(), Some(2));
}
