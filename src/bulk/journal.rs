//! The journal: an append-only JSON Lines file of what a run did, read back
//! by the next run of the same command to skip what is done.
//!
//! Each run appends a `run` line (vendor and account; a journal of another
//! vendor or account is refused). Then, per row sent, a `started` line
//! before the request goes out and an `outcome` line when it ends. Each line
//! is on disk (`sync_data`) before the request is sent, resp. before the
//! outcome is counted or shown: after a crash, a row with `started` and no
//! `outcome` was perhaps in flight, and a row with an outcome ended so.
//! Lines are written by one thread that commits every line waiting at once
//! (one `sync_data` for all), so many workers cost few syncs.
//!
//! Rows are matched by email (lower case), not line: the file may be edited
//! between runs. No credential is ever written.
//!
//! ```text
//! {"event":"run","vendor":"automox","account":"3fa85f64-…","at":"…"}
//! {"event":"started","line":2,"email":"ada@example.com","at":"…"}
//! {"event":"outcome","line":2,"email":"ada@example.com","outcome":"invited","id":"…","at":"…"}
//! ```

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};

use serde::{Deserialize, Serialize};

use super::Vendor;
use super::summary::Outcome;

/// One line of the journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Entry {
    /// A run began.
    Run {
        /// `hybridbox` or `automox`.
        vendor: String,
        /// The account invited to.
        account: uuid::Uuid,
        /// When.
        at: String,
    },
    /// A row's request is about to be sent.
    Started {
        /// The row's line in the file at that run.
        line: u64,
        /// The row's email.
        email: String,
        /// When.
        at: String,
    },
    /// A row ended.
    Outcome {
        /// The row's line in the file at that run.
        line: u64,
        /// The row's email.
        email: String,
        /// How it ended.
        outcome: Outcome,
        /// Why, for anything but invited.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The invitation's id, when the vendor returned one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// When.
        at: String,
    },
}

/// What the journal says of an email at last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Last {
    /// Started and never ended: perhaps in flight when a run stopped.
    Started {
        /// Its line at that run.
        line: u64,
    },
    /// Ended with this outcome.
    Done {
        /// The outcome.
        outcome: Outcome,
        /// Its reason.
        reason: Option<String>,
    },
}

/// What to do with a valid row, given the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Send it.
    Send,
    /// Done by an earlier run: count its outcome, send nothing.
    Skip(Outcome, Option<String>),
    /// Started by an earlier run that never recorded its end, for a vendor
    /// whose `invite` lists before it creates (Hybridbox): send it, after
    /// the rows not started yet and no sooner than [`SETTLE`] after the
    /// journal's last line, so that a create the server was still carrying
    /// out at the crash is listed by then.
    Resend,
    /// Started by an earlier run that never recorded its end, for a vendor
    /// where sending again could invite twice (Automox): `unknown`.
    InFlight {
        /// Its line at that run.
        line: u64,
    },
}

/// How long after an interrupted run's last journal line a rerun waits
/// before sending the Hybridbox rows that were in flight: the time given to
/// the server to finish a create it was carrying out when the client died
/// (five times [`InvitePolicy`](crate::InvitePolicy)'s default wait before a
/// reconciling list).
pub const SETTLE: std::time::Duration = std::time::Duration::from_secs(5);

/// What to do with a row whose email the journal says `last` of.
///
/// Invited and already-invited rows are skipped; failed rows are sent again
/// (nothing was created by them). Automox: an unknown row stays unknown and
/// a started row becomes unknown; neither is sent. Hybridbox: unknown rows
/// are sent again through `invite`, which lists first, and started rows too,
/// last and after [`SETTLE`] ([`Plan::Resend`]).
pub fn plan(vendor: Vendor, last: Option<&Last>) -> Plan {
    match (vendor, last) {
        (_, None) => Plan::Send,
        (_, Some(Last::Done { outcome, reason })) if outcome.is_success() => {
            Plan::Skip(*outcome, reason.clone())
        }
        (Vendor::Automox, Some(Last::Done { outcome, reason })) if *outcome == Outcome::Unknown => {
            Plan::Skip(Outcome::Unknown, reason.clone())
        }
        (Vendor::Automox, Some(Last::Started { line })) => Plan::InFlight { line: *line },
        (Vendor::Hybridbox, Some(Last::Started { .. })) => Plan::Resend,
        (_, Some(_)) => Plan::Send,
    }
}

/// Why the journal cannot be used.
#[derive(Debug)]
#[non_exhaustive]
pub enum JournalError {
    /// It cannot be read, created or written.
    Io {
        /// The journal.
        path: PathBuf,
        /// The failure.
        source: Arc<std::io::Error>,
    },
    /// A line of it is not a journal entry.
    BadLine {
        /// The journal.
        path: PathBuf,
        /// The line's number (first = 1).
        line: usize,
        /// The failure.
        source: serde_json::Error,
    },
    /// It was written for another vendor or account.
    Mismatch {
        /// The journal.
        path: PathBuf,
        /// What it was written for.
        found: String,
    },
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JournalError::Io { path, .. } => {
                write!(f, "cannot use the journal `{}`", path.display())
            }
            JournalError::BadLine { path, line, .. } => write!(
                f,
                "the journal `{}` is damaged: line {line} is not a journal entry",
                path.display()
            ),
            JournalError::Mismatch { path, found } => write!(
                f,
                "the journal `{}` was written for {found}; pass another --journal",
                path.display()
            ),
        }
    }
}

impl std::error::Error for JournalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            JournalError::Io { source, .. } => Some(source.as_ref()),
            JournalError::BadLine { source, .. } => Some(source),
            JournalError::Mismatch { .. } => None,
        }
    }
}

/// What a journal says.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Read {
    /// The last entry per email (lower case).
    pub rows: HashMap<String, Last>,
    /// The time of the last entry, if any.
    pub last_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Reads the journal at `path` (absent: empty) for `vendor` and `account`.
///
/// A line cut short (a crash while writing it; the next run starts on a new
/// line) is ignored: its row's request was not sent, or its outcome not yet
/// reported.
///
/// # Errors
/// [`JournalError`] when it cannot be read, a line is damaged, or it was
/// written for another vendor or account.
pub fn read(path: &Path, vendor: Vendor, account: uuid::Uuid) -> Result<Read, JournalError> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Read::default()),
        Err(e) => return Err(io_error(path, e)),
    };
    let mut last = HashMap::new();
    let mut last_at = None;
    for (index, line) in text.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let entry: Entry = match serde_json::from_slice(line) {
            Ok(entry) => entry,
            Err(e) if e.is_eof() => continue,
            Err(source) => {
                return Err(JournalError::BadLine {
                    path: path.to_owned(),
                    line: index + 1,
                    source,
                });
            }
        };
        let at = match &entry {
            Entry::Run { at, .. } | Entry::Started { at, .. } | Entry::Outcome { at, .. } => at,
        };
        if let Ok(at) = chrono::DateTime::parse_from_rfc3339(at) {
            let at = at.with_timezone(&chrono::Utc);
            last_at = last_at.max(Some(at));
        }
        match entry {
            Entry::Run {
                vendor: v,
                account: a,
                ..
            } => {
                if v != vendor.as_str() || a != account {
                    return Err(JournalError::Mismatch {
                        path: path.to_owned(),
                        found: format!("{v} account {a}"),
                    });
                }
            }
            Entry::Started { line, email, .. } => {
                last.insert(email.to_lowercase(), Last::Started { line });
            }
            Entry::Outcome {
                email,
                outcome,
                reason,
                ..
            } => {
                last.insert(email.to_lowercase(), Last::Done { outcome, reason });
            }
        }
    }
    Ok(Read {
        rows: last,
        last_at,
    })
}

fn io_error(path: &Path, e: std::io::Error) -> JournalError {
    JournalError::Io {
        path: path.to_owned(),
        source: Arc::new(e),
    }
}

/// The current time for entries.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

type Ack = tokio::sync::oneshot::Sender<Result<(), Arc<std::io::Error>>>;

/// The journal open for appending. Cloning shares the writer.
#[derive(Clone)]
pub struct Writer {
    path: PathBuf,
    queue: mpsc::Sender<(Vec<u8>, Ack)>,
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer").field("path", &self.path).finish()
    }
}

impl Writer {
    /// Opens (creates) the journal at `path` for appending, on a thread of
    /// its own that ends when the last clone is dropped.
    ///
    /// # Errors
    /// [`JournalError::Io`] when it cannot be opened.
    pub fn open(path: &Path) -> Result<Writer, JournalError> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .map_err(|e| io_error(path, e))?;
        // After a line cut short by a crash, start on a new line.
        let len = file.metadata().map_err(|e| io_error(path, e))?.len();
        if len > 0 {
            use std::io::{Read, Seek, SeekFrom};
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))
                .and_then(|_| file.read_exact(&mut last))
                .map_err(|e| io_error(path, e))?;
            if last[0] != b'\n' {
                file.write_all(b"\n").map_err(|e| io_error(path, e))?;
            }
        }
        let (queue, receiver) = mpsc::channel::<(Vec<u8>, Ack)>();
        std::thread::Builder::new()
            .name("invitations-journal".to_owned())
            .spawn(move || commit_loop(file, &receiver))
            .map_err(|e| io_error(path, e))?;
        Ok(Writer {
            path: path.to_owned(),
            queue,
        })
    }

    /// Appends `entry` and returns once it is on disk.
    ///
    /// # Errors
    /// [`JournalError::Io`] when it could not be written or synced; every
    /// later append fails too.
    pub async fn append(&self, entry: &Entry) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(entry).expect("entries serialize");
        line.push(b'\n');
        let (ack, done) = tokio::sync::oneshot::channel();
        let closed = || {
            io_error(
                &self.path,
                std::io::Error::other("the journal writer stopped"),
            )
        };
        self.queue.send((line, ack)).map_err(|_| closed())?;
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(source)) => Err(JournalError::Io {
                path: self.path.clone(),
                source,
            }),
            Err(_) => Err(closed()),
        }
    }
}

/// Writes what is queued, every waiting line at once, one `sync_data` per
/// batch; acknowledges each line after its batch is synced. After a failure
/// every line is refused.
fn commit_loop(mut file: std::fs::File, receiver: &mpsc::Receiver<(Vec<u8>, Ack)>) {
    let mut failed: Option<Arc<std::io::Error>> = None;
    let mut buffer = Vec::new();
    let mut acks = Vec::new();
    while let Ok(first) = receiver.recv() {
        let mut next = Some(first);
        while let Some((line, ack)) = next {
            buffer.extend_from_slice(&line);
            acks.push(ack);
            next = receiver.try_recv().ok();
        }
        if failed.is_none() {
            let written = file.write_all(&buffer).and_then(|()| file.sync_data());
            if let Err(e) = written {
                failed = Some(Arc::new(e));
            }
        }
        buffer.clear();
        for ack in acks.drain(..) {
            let _ = ack.send(failed.clone().map_or(Ok(()), Err));
        }
    }
}

#[cfg(test)]
mod tests {
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
        drop(writer);
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
        drop(writer);
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
}
