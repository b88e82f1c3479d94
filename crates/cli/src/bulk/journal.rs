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
//! The journal is trusted only as far as it could have been written by a
//! run ([`Journal::open`], [`read`]):
//! - it is a regular file, never reached through a symbolic link (the last
//!   component is opened with `O_NOFOLLOW`, and non-blocking so that a FIFO
//!   is refused rather than waited on);
//! - a run holds it locked ([`std::fs::File::try_lock`]) from before it
//!   reads it until it ends; a second run on it is refused
//!   ([`JournalError::Locked`]);
//! - its first line is a complete `run` line, or it is refused (an empty
//!   file is a journal with nothing in it: a run that stopped before its
//!   `run` line was written);
//! - lines are read one at a time, each at most [`MAX_LINE`] bytes;
//! - a last line without its newline (a crash while it was written, or a
//!   copy cut short) is ignored, even when it reads as an entry: a row whose
//!   `outcome` line is cut is left at its `started` line, in flight, never
//!   taken as invited. A line cut by a crash and followed by later lines
//!   (the next run starts on a new line) is ignored too, when it is an
//!   entry cut short; any other line that is not an entry is refused.
//!
//! ```text
//! {"event":"run","vendor":"automox","account":"3fa85f64-…","at":"…"}
//! {"event":"started","line":2,"email":"ada@example.com","at":"…"}
//! {"event":"outcome","line":2,"email":"ada@example.com","outcome":"invited","id":"…","at":"…"}
//! ```

use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, Read as _, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};

use serde::{Deserialize, Serialize};

use super::Vendor;
use super::summary::Outcome;

mod file;

pub use file::Journal;

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
/// (five times [`InvitePolicy`](invitations::InvitePolicy)'s default wait before a
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
        /// What it was written for (an excerpt, escaped).
        found: String,
    },
    /// Another run holds it.
    Locked {
        /// The journal.
        path: PathBuf,
    },
    /// Its path is a symbolic link.
    Symlink {
        /// The journal.
        path: PathBuf,
    },
    /// It is not a regular file (a device, a FIFO, a folder).
    NotRegular {
        /// The journal.
        path: PathBuf,
    },
    /// Its first line is not a complete `run` line.
    NoRunLine {
        /// The journal.
        path: PathBuf,
    },
    /// A line of it is longer than [`MAX_LINE`].
    LineTooLong {
        /// The journal.
        path: PathBuf,
        /// The line's number (first = 1).
        line: usize,
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
            JournalError::Locked { path } => write!(
                f,
                "another run holds the journal `{}`: wait for it to end, or pass another \
                 --journal",
                path.display()
            ),
            JournalError::Symlink { path } => write!(
                f,
                "the journal `{}` is a symbolic link, which is never followed: pass the file it \
                 points to with --journal",
                path.display()
            ),
            JournalError::NotRegular { path } => {
                write!(f, "the journal `{}` is not a regular file", path.display())
            }
            JournalError::NoRunLine { path } => write!(
                f,
                "the journal `{}` is refused: line 1 is not a complete `run` line, as every \
                 journal starts (not written by `invitations invite`, or cut short); pass \
                 another --journal",
                path.display()
            ),
            JournalError::LineTooLong { path, line } => write!(
                f,
                "the journal `{}` is damaged: line {line} is longer than {MAX_LINE} bytes",
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
            JournalError::Mismatch { .. }
            | JournalError::Locked { .. }
            | JournalError::Symlink { .. }
            | JournalError::NotRegular { .. }
            | JournalError::NoRunLine { .. }
            | JournalError::LineTooLong { .. } => None,
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

/// The longest journal line read, in bytes (those written are a few
/// hundred).
pub const MAX_LINE: usize = 64 * 1024;

/// Reads the journal at `path` (absent: empty) for `vendor` and `account`,
/// without locking it (a dry run's read); see the [module](self) for what
/// is refused and what is ignored.
///
/// # Errors
/// [`JournalError`] when it cannot be read, is not a regular file, is a
/// symbolic link, does not start with a complete `run` line, has a damaged
/// or too long line, or was written for another vendor or account.
pub fn read(path: &Path, vendor: Vendor, account: uuid::Uuid) -> Result<Read, JournalError> {
    match file::open(path, false)? {
        Some(file) => read_from(std::io::BufReader::new(file), path, vendor, account),
        None => Ok(Read::default()),
    }
}

/// How a line of the journal ended.
enum LineEnd {
    /// With its newline.
    Complete,
    /// At the end of the file, without a newline.
    Cut,
    /// No line: the end of the file.
    End,
}

/// Reads the next line into `line` (without its newline), at most
/// [`MAX_LINE`] bytes; `Err(None)` when it is longer.
fn next_line(
    input: &mut impl BufRead,
    line: &mut Vec<u8>,
) -> Result<LineEnd, Option<std::io::Error>> {
    line.clear();
    loop {
        let available = match input.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Some(e)),
        };
        if available.is_empty() {
            return Ok(if line.is_empty() {
                LineEnd::End
            } else {
                LineEnd::Cut
            });
        }
        let (take, complete) = match available.iter().position(|b| *b == b'\n') {
            Some(end) => (end, true),
            None => (available.len(), false),
        };
        if line.len() + take > MAX_LINE {
            return Err(None);
        }
        line.extend_from_slice(&available[..take]);
        input.consume(take + usize::from(complete));
        if complete {
            return Ok(LineEnd::Complete);
        }
    }
}

/// Reads a journal from `input`, line by line; `path` names it.
fn read_from(
    mut input: impl BufRead,
    path: &Path,
    vendor: Vendor,
    account: uuid::Uuid,
) -> Result<Read, JournalError> {
    let mut last = HashMap::new();
    let mut last_at = None;
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        let end = next_line(&mut input, &mut line).map_err(|e| match e {
            Some(e) => io_error(path, e),
            None => JournalError::LineTooLong {
                path: path.to_owned(),
                line: number + 1,
            },
        })?;
        number += 1;
        let complete = match end {
            LineEnd::End => break,
            LineEnd::Complete => true,
            LineEnd::Cut => false,
        };
        if number == 1 {
            let run = complete && matches!(serde_json::from_slice(&line), Ok(Entry::Run { .. }));
            if !run {
                return Err(JournalError::NoRunLine {
                    path: path.to_owned(),
                });
            }
        }
        // A last line without its newline is never trusted.
        if !complete || line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let entry: Entry = match serde_json::from_slice(&line) {
            Ok(entry) => entry,
            // Cut by a crash; the next run went on on a new line.
            Err(e) if e.is_eof() => continue,
            Err(source) => {
                return Err(JournalError::BadLine {
                    path: path.to_owned(),
                    line: number,
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
                        found: format!("{} account {a}", super::excerpt(&v, 20)),
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

/// What the writer's thread is asked.
enum Message {
    /// Append a line and say when it is on disk.
    Line(Vec<u8>, Ack),
    /// Close the file (releasing the lock) and say when it is closed.
    Close(tokio::sync::oneshot::Sender<()>),
}

/// The journal open for appending. Cloning shares the writer.
#[derive(Clone)]
pub struct Writer {
    path: PathBuf,
    queue: mpsc::Sender<Message>,
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer").field("path", &self.path).finish()
    }
}

impl Writer {
    /// Opens (creates) and locks the journal at `path` for appending
    /// ([`Journal::open`]), on a thread of its own that ends, closing it,
    /// when the last clone is dropped.
    ///
    /// # Errors
    /// As [`Journal::open`].
    pub fn open(path: &Path) -> Result<Writer, JournalError> {
        Journal::open(path)?.into_writer()
    }

    fn from_journal(journal: Journal) -> Result<Writer, JournalError> {
        let Journal { path, mut file } = journal;
        let path = path.as_path();
        // After a line cut short by a crash, start on a new line.
        let len = file.metadata().map_err(|e| io_error(path, e))?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))
                .and_then(|_| file.read_exact(&mut last))
                .map_err(|e| io_error(path, e))?;
            if last[0] != b'\n' {
                file.write_all(b"\n").map_err(|e| io_error(path, e))?;
            }
        }
        let (queue, receiver) = mpsc::channel::<Message>();
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
        self.queue
            .send(Message::Line(line, ack))
            .map_err(|_| closed())?;
        match done.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(source)) => Err(JournalError::Io {
                path: self.path.clone(),
                source,
            }),
            Err(_) => Err(closed()),
        }
    }

    /// Closes the journal once the lines appended before are on disk, and
    /// returns once it is closed and its lock released; appending with a
    /// clone afterwards fails. (Dropping the last clone closes it too, a
    /// moment later.)
    pub async fn close(self) {
        let (done, closed) = tokio::sync::oneshot::channel();
        if self.queue.send(Message::Close(done)).is_ok() {
            let _ = closed.await;
        }
    }
}

/// Writes what is queued, every waiting line at once, one `sync_data` per
/// batch; acknowledges each line after its batch is synced. After a failure
/// every line is refused. Ends, closing the file, on [`Message::Close`] or
/// when every writer is gone.
fn commit_loop(mut file: std::fs::File, receiver: &mpsc::Receiver<Message>) {
    let mut failed: Option<Arc<std::io::Error>> = None;
    let mut buffer = Vec::new();
    let mut acks = Vec::new();
    let mut close = None;
    while let Ok(first) = receiver.recv() {
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Line(line, ack) => {
                    buffer.extend_from_slice(&line);
                    acks.push(ack);
                }
                Message::Close(done) => {
                    close = Some(done);
                    break;
                }
            }
            next = receiver.try_recv().ok();
        }
        if failed.is_none() && !buffer.is_empty() {
            let written = file.write_all(&buffer).and_then(|()| file.sync_data());
            if let Err(e) = written {
                failed = Some(Arc::new(e));
            }
        }
        buffer.clear();
        for ack in acks.drain(..) {
            let _ = ack.send(failed.clone().map_or(Ok(()), Err));
        }
        if let Some(done) = close {
            drop(file);
            let _ = done.send(());
            return;
        }
    }
}

#[cfg(test)]
mod tests;
