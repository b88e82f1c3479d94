//! Unit tests of [`super`].

use super::*;

const ACCOUNT: uuid::Uuid = uuid::Uuid::from_u128(7);

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("invitations-journal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

fn outcome(line: u64, email: &str, outcome: Outcome) -> Entry {
    Entry::Outcome {
        line,
        email: email.into(),
        outcome,
        reason: None,
        id: None,
        at: now(),
    }
}

#[tokio::test]
async fn written_entries_read_back_and_a_cut_last_line_is_ignored() {
    let path = temp("roundtrip.jsonl");
    let writer = Writer::open(&path).unwrap();
    let run = Entry::Run {
        vendor: "automox".into(),
        account: ACCOUNT,
        at: now(),
    };
    writer.append(&run).await.unwrap();
    for (line, email) in [(2, "Ada@example.com"), (3, "bob@example.com")] {
        let started = Entry::Started {
            line,
            email: email.into(),
            at: now(),
        };
        writer.append(&started).await.unwrap();
    }
    writer
        .append(&outcome(2, "ada@example.com", Outcome::Invited))
        .await
        .unwrap();
    writer.close().await;
    // A crash while writing a line.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.write_all(b"{\"event\":\"outc").unwrap();
    let read_back = read(&path, Vendor::Automox, ACCOUNT).unwrap();
    assert!(read_back.last_at.is_some());
    let last = read_back.rows;
    assert_eq!(
        last["ada@example.com"],
        Last::Done {
            outcome: Outcome::Invited,
            reason: None
        }
    );
    assert_eq!(last["bob@example.com"], Last::Started { line: 3 });
    // Appending after the cut line starts a new one.
    let writer = Writer::open(&path).unwrap();
    writer
        .append(&outcome(3, "bob@example.com", Outcome::Failed))
        .await
        .unwrap();
    writer.close().await;
    let last = read(&path, Vendor::Automox, ACCOUNT).unwrap().rows;
    assert_eq!(
        last["bob@example.com"],
        Last::Done {
            outcome: Outcome::Failed,
            reason: None
        }
    );
    // Other damage is an error, naming the line.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.write_all(b"not json\n").unwrap();
    let error = read(&path, Vendor::Automox, ACCOUNT).unwrap_err();
    assert!(
        matches!(error, JournalError::BadLine { line: 7, .. }),
        "{error}"
    );
}

#[test]
fn another_vendor_or_account_is_refused() {
    let path = temp("mismatch.jsonl");
    let run = serde_json::to_string(&Entry::Run {
        vendor: "hybridbox".into(),
        account: ACCOUNT,
        at: now(),
    })
    .unwrap();
    std::fs::write(&path, format!("{run}\n")).unwrap();
    assert!(
        read(&path, Vendor::Hybridbox, ACCOUNT)
            .unwrap()
            .rows
            .is_empty()
    );
    let e = read(&path, Vendor::Automox, ACCOUNT).unwrap_err();
    assert!(
        e.to_string().contains("written for hybridbox account"),
        "{e}"
    );
    let e = read(&path, Vendor::Hybridbox, uuid::Uuid::nil()).unwrap_err();
    assert!(matches!(e, JournalError::Mismatch { .. }));
    assert!(
        read(&temp("absent.jsonl"), Vendor::Automox, ACCOUNT)
            .unwrap()
            .rows
            .is_empty()
    );
}

#[test]
fn plans() {
    let done = |outcome| Last::Done {
        outcome,
        reason: None,
    };
    let started = Last::Started { line: 4 };
    for vendor in [Vendor::Hybridbox, Vendor::Automox] {
        assert_eq!(plan(vendor, None), Plan::Send);
        assert_eq!(
            plan(vendor, Some(&done(Outcome::Invited))),
            Plan::Skip(Outcome::Invited, None)
        );
        assert_eq!(
            plan(vendor, Some(&done(Outcome::AlreadyInvited))),
            Plan::Skip(Outcome::AlreadyInvited, None)
        );
        assert_eq!(plan(vendor, Some(&done(Outcome::Failed))), Plan::Send);
    }
    assert_eq!(plan(Vendor::Hybridbox, Some(&started)), Plan::Resend);
    assert_eq!(
        plan(Vendor::Hybridbox, Some(&done(Outcome::Unknown))),
        Plan::Send
    );
    assert_eq!(
        plan(Vendor::Automox, Some(&started)),
        Plan::InFlight { line: 4 }
    );
    assert_eq!(
        plan(Vendor::Automox, Some(&done(Outcome::Unknown))),
        Plan::Skip(Outcome::Unknown, None)
    );
}

fn run_line(vendor: &str) -> String {
    let run = Entry::Run {
        vendor: vendor.into(),
        account: ACCOUNT,
        at: now(),
    };
    format!("{}\n", serde_json::to_string(&run).unwrap())
}

#[test]
fn the_first_line_must_be_a_complete_run_line() {
    let path = temp("first-line.jsonl");
    std::fs::write(&path, "").unwrap();
    assert_eq!(
        read(&path, Vendor::Automox, ACCOUNT).unwrap(),
        Read::default()
    );
    let invited = serde_json::to_string(&outcome(2, "ada@example.com", Outcome::Invited)).unwrap();
    let run = run_line("automox");
    for text in [
        format!("{invited}\n"),
        format!("\n{run}"),
        run.trim_end().to_owned(),
        run[..20].to_owned(),
        format!("{}\n{run}{invited}\n", &run[..20]),
    ] {
        std::fs::write(&path, &text).unwrap();
        let e = read(&path, Vendor::Automox, ACCOUNT).unwrap_err();
        assert!(matches!(e, JournalError::NoRunLine { .. }), "{text}: {e}");
        assert!(
            e.to_string()
                .contains("line 1 is not a complete `run` line"),
            "{e}"
        );
    }
}

/// A last line without its newline is not trusted, even when it reads
/// as an entry: a row whose outcome line is cut stays in flight.
#[test]
fn a_cut_last_line_is_never_taken_as_invited() {
    let path = temp("cut.jsonl");
    let started = Entry::Started {
        line: 2,
        email: "ada@example.com".into(),
        at: now(),
    };
    let invited = serde_json::to_string(&outcome(2, "ada@example.com", Outcome::Invited)).unwrap();
    let text = format!(
        "{}{}\n{invited}",
        run_line("automox"),
        serde_json::to_string(&started).unwrap()
    );
    for cut in [text.len(), text.len() - 1, text.len() - 30] {
        std::fs::write(&path, &text[..cut]).unwrap();
        let rows = read(&path, Vendor::Automox, ACCOUNT).unwrap().rows;
        assert_eq!(rows["ada@example.com"], Last::Started { line: 2 }, "{cut}");
        assert_eq!(
            plan(Vendor::Automox, rows.get("ada@example.com")),
            Plan::InFlight { line: 2 }
        );
    }
}

#[test]
fn lines_have_a_size_cap() {
    let path = temp("long.jsonl");
    let long = format!("{}{}\n", run_line("automox"), "x".repeat(MAX_LINE + 1));
    std::fs::write(&path, long).unwrap();
    let e = read(&path, Vendor::Automox, ACCOUNT).unwrap_err();
    assert!(
        matches!(e, JournalError::LineTooLong { line: 2, .. }),
        "{e}"
    );
    // Endless: the cap is reached, never the end.
    let e = read_from(
        std::io::BufReader::new(run_line("automox").as_bytes().chain(std::io::repeat(b'x'))),
        &path,
        Vendor::Automox,
        ACCOUNT,
    )
    .unwrap_err();
    assert!(
        matches!(e, JournalError::LineTooLong { line: 2, .. }),
        "{e}"
    );
}
