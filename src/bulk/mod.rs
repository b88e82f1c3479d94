//! `invitations invite`: inviting every user of a CSV file, resumable,
//! within a rate limit, never twice (feature `cli`).
//!
//! The parts, each usable and tested alone:
//! - [`rows`]: the CSV file, validated row by row into the generated
//!   request bodies;
//! - [`journal`]: the append-only record of each row's start and outcome,
//!   and what a rerun does with each row ([`journal::plan`]);
//! - [`send`]: the client (credentials from the environment) and each
//!   vendor's idempotent `invite` turned into an [`Outcome`];
//! - [`runner`]: bounded concurrency and stopping (Ctrl-C or SIGTERM);
//! - [`progress`] and [`summary`]: what is shown, and the exit code.
//!
//! [`invite`] puts them together as the command does.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::RateLimit;

pub mod journal;
pub mod progress;
pub mod rows;
pub mod runner;
pub mod send;
pub mod summary;

pub use journal::JournalError;
pub use rows::InputError;
pub use send::SetupError;
pub use summary::{Outcome, RowReport, Summary};

/// The vendor a file is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Vendor {
    /// Hybridbox.
    Hybridbox,
    /// Automox.
    Automox,
}

impl Vendor {
    /// `hybridbox` or `automox`.
    pub fn as_str(self) -> &'static str {
        match self {
            Vendor::Hybridbox => "hybridbox",
            Vendor::Automox => "automox",
        }
    }

    /// The rate used without `--rate`: for Automox, 2,500 requests per 5
    /// minutes per API key, a figure from a third-party page (the vendor
    /// documents none; unverified); none for Hybridbox (none documented).
    pub fn default_rate(self) -> Option<RateLimit> {
        match self {
            Vendor::Hybridbox => None,
            Vendor::Automox => Some(RateLimit::per(2_500, Duration::from_secs(300))),
        }
    }
}

impl std::fmt::Display for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads `COUNT/PERIOD`: a count of at least 1, and a period written as a
/// number with a unit `ms`, `s`, `m` or `h` (the number may be left out for
/// 1): `2500/5m`, `10/1s`, `10/s`.
///
/// # Errors
/// A message saying what is wrong.
pub fn parse_rate(text: &str) -> Result<RateLimit, String> {
    let bad = |why: &str| format!("`{text}` is not COUNT/PERIOD such as 2500/5m or 10/1s: {why}");
    let (count, period) = text.split_once('/').ok_or_else(|| bad("no `/`"))?;
    let count: u32 = count
        .trim()
        .parse()
        .ok()
        .filter(|c| *c > 0)
        .ok_or_else(|| bad("the count is not a whole number above 0"))?;
    let period = period.trim();
    let digits = period
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(period.len());
    let (number, unit) = period.split_at(digits);
    let number: u64 = if number.is_empty() {
        1
    } else {
        number
            .parse()
            .map_err(|_| bad("the period's number is too large"))?
    };
    let unit = match unit {
        "ms" => Duration::from_millis(1),
        "s" => Duration::from_secs(1),
        "m" => Duration::from_secs(60),
        "h" => Duration::from_secs(3600),
        _ => return Err(bad("the period's unit is not ms, s, m or h")),
    };
    let period = u32::try_from(number)
        .ok()
        .and_then(|n| unit.checked_mul(n))
        .filter(|p| !p.is_zero())
        .ok_or_else(|| bad("the period is zero or too long"))?;
    Ok(RateLimit::per(count, period))
}

/// What the command was asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// The vendor.
    pub vendor: Vendor,
    /// The account to invite into.
    pub account: uuid::Uuid,
    /// The CSV file.
    pub csv: PathBuf,
    /// The journal (default: [`default_journal`] of the CSV file).
    pub journal: Option<PathBuf>,
    /// Rows in flight at once.
    pub concurrency: usize,
    /// The rate limit (default: [`Vendor::default_rate`]).
    pub rate: Option<RateLimit>,
    /// Validate and show what would be sent; send nothing.
    pub dry_run: bool,
    /// Another base URL for the vendor's API.
    pub base_url: Option<String>,
    /// How progress is shown.
    pub progress: progress::Display,
}

/// `<csv>.journal.jsonl`, beside the CSV file.
pub fn default_journal(csv: &Path) -> PathBuf {
    let mut name = csv.as_os_str().to_owned();
    name.push(".journal.jsonl");
    PathBuf::from(name)
}

/// Why the command could not run; nothing was sent (exit code 2).
#[derive(Debug)]
#[non_exhaustive]
pub enum BulkError {
    /// The CSV file.
    Input(InputError),
    /// The journal.
    Journal(JournalError),
    /// Credentials or the client.
    Setup(SetupError),
}

impl std::fmt::Display for BulkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BulkError::Input(e) => e.fmt(f),
            BulkError::Journal(e) => e.fmt(f),
            BulkError::Setup(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for BulkError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // The wrapped error's own message is this one's; its cause is next.
        match self {
            BulkError::Input(e) => e.source(),
            BulkError::Journal(e) => e.source(),
            BulkError::Setup(e) => e.source(),
        }
    }
}

/// What a run did.
#[derive(Debug)]
pub struct Report {
    /// Counts and the rows that did not end invited.
    pub summary: Summary,
    /// For a dry run, what would be sent: each row's line, email and body.
    pub would_send: Vec<(u64, String, serde_json::Value)>,
    /// A journal failure that stopped the run (no row was started after it).
    pub error: Option<JournalError>,
}

impl Report {
    /// 0 when every valid row ended invited or already invited, else 1.
    pub fn exit_code(&self) -> u8 {
        self.summary.exit_code().max(u8::from(self.error.is_some()))
    }

    /// The report for stdout: text, or one JSON object (with `would_send`
    /// on a dry run).
    pub fn render(&self, json: bool) -> String {
        if json {
            let mut value = serde_json::to_value(&self.summary).unwrap_or_default();
            if self.summary.dry_run {
                value["would_send"] = self
                    .would_send
                    .iter()
                    .map(|(line, email, body)| {
                        serde_json::json!({"line": line, "email": email, "body": body})
                    })
                    .collect();
            }
            if let Some(e) = &self.error {
                value["error"] = error_chain(e).into();
            }
            format!("{value}\n")
        } else {
            let mut out = String::new();
            for (line, _, body) in &self.would_send {
                out.push_str(&format!("would send line {line}: {body}\n"));
            }
            out + &self.summary.to_text()
        }
    }
}

/// An error and its causes, `: `-separated.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// Runs the command: reads and checks the file and the journal, then sends
/// the rows not done yet (nothing on a dry run), until done or `stop`
/// (the program's Ctrl-C or SIGTERM): once `stop` is ready no row is
/// started, the rows in flight finish and are journaled, and the report
/// counts the rest as not started. `stop` is first polled when the first
/// row is about to start.
///
/// # Errors
/// [`BulkError`] before anything is sent.
pub async fn invite(
    options: &Options,
    stop: impl Future<Output = ()>,
) -> Result<Report, BulkError> {
    let vendor = options.vendor;
    let rows = rows::read(&options.csv, vendor).map_err(BulkError::Input)?;
    let journal_path = options
        .journal
        .clone()
        .unwrap_or_else(|| default_journal(&options.csv));
    let last = journal::read(&journal_path, vendor, options.account).map_err(BulkError::Journal)?;
    let mut summary = Summary {
        dry_run: options.dry_run,
        ..Summary::default()
    };
    for bad in &rows.invalid {
        summary.record(bad.line, &bad.email, Outcome::Invalid, Some(&bad.reason));
    }
    let mut to_send = Vec::new();
    let mut resend = Vec::new();
    let mut in_flight = Vec::new();
    for row in rows.valid {
        match journal::plan(vendor, last.rows.get(&row.key())) {
            journal::Plan::Send => to_send.push(row),
            journal::Plan::Resend => resend.push(row),
            journal::Plan::Skip(outcome, reason) => {
                summary.resumed += 1;
                summary.record(row.line, &row.email, outcome, reason.as_deref());
            }
            journal::Plan::InFlight { line } => in_flight.push((row, line)),
        }
    }
    // Rows in flight at a crash go last, and not before the server has had
    // `SETTLE` to finish what it was doing.
    let settled = last.last_at.map(|at| {
        let elapsed = (chrono::Utc::now() - at).to_std().unwrap_or_default();
        tokio::time::Instant::now() + journal::SETTLE.saturating_sub(elapsed)
    });
    let resent: Arc<std::collections::HashSet<u64>> =
        Arc::new(resend.iter().map(|r| r.line).collect());
    to_send.extend(resend);
    drop(last);
    let mut report = Report {
        summary,
        would_send: Vec::new(),
        error: None,
    };
    if options.dry_run {
        for (row, _) in &in_flight {
            report.summary.resumed += 1;
            let reason = in_flight_reason(row);
            report
                .summary
                .record(row.line, &row.email, Outcome::Unknown, Some(&reason));
        }
        report.would_send = to_send
            .iter()
            .map(|r| (r.line, r.email.clone(), r.body.to_json()))
            .collect();
        report.summary.sort();
        return Ok(report);
    }
    let sender = if to_send.is_empty() {
        None
    } else {
        let rate = options.rate.or(vendor.default_rate());
        Some(
            send::Sender::from_env(vendor, options.base_url.as_deref(), rate)
                .map_err(BulkError::Setup)?,
        )
    };
    let writer = journal::Writer::open(&journal_path).map_err(BulkError::Journal)?;
    let begin = journal::Entry::Run {
        vendor: vendor.as_str().to_owned(),
        account: options.account,
        at: journal::now(),
    };
    writer.append(&begin).await.map_err(BulkError::Journal)?;
    for (row, _) in in_flight {
        let reason = in_flight_reason(&row);
        let entry = journal::Entry::Outcome {
            line: row.line,
            email: row.email.clone(),
            outcome: Outcome::Unknown,
            reason: Some(reason.clone()),
            id: None,
            at: journal::now(),
        };
        writer.append(&entry).await.map_err(BulkError::Journal)?;
        report.summary.resumed += 1;
        report
            .summary
            .record(row.line, &row.email, Outcome::Unknown, Some(&reason));
    }
    if let Some(sender) = sender {
        let progress = progress::Progress::start(to_send.len() as u64, options.progress);
        let account = options.account;
        let ran = runner::run(
            to_send,
            options.concurrency,
            &writer,
            &progress,
            &mut report.summary,
            stop,
            move |row: Arc<rows::Row>| {
                let sender = sender.clone();
                let wait = settled.filter(|_| resent.contains(&row.line));
                async move {
                    if let Some(until) = wait {
                        tokio::time::sleep_until(until).await;
                    }
                    sender.send(account, &row).await
                }
            },
        )
        .await;
        progress.finish();
        report.summary.not_started = ran.not_started;
        report.summary.interrupted = ran.interrupted;
        report.error = ran.error;
    }
    report.summary.sort();
    Ok(report)
}

/// Why an Automox row started by an earlier run, with no outcome, is not
/// sent again.
fn in_flight_reason(row: &rows::Row) -> String {
    format!(
        "in flight when an earlier run stopped (journal: started, no outcome): the invitation may \
         have been created; check the account's invitations for {} in the Automox console before \
         inviting again: a rerun does not send this row",
        row.email
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        let r = parse_rate("2500/5m").unwrap();
        assert_eq!((r.count(), r.period()), (2500, Duration::from_secs(300)));
        let r = parse_rate("10/s").unwrap();
        assert_eq!((r.count(), r.period()), (10, Duration::from_secs(1)));
        let r = parse_rate("7/250ms").unwrap();
        assert_eq!(r.period(), Duration::from_millis(250));
        for bad in ["", "10", "0/1s", "x/1s", "10/1", "10/1d", "10/0s", "-1/1s"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_journal_is_beside_the_file() {
        assert_eq!(
            default_journal(Path::new("dir/team.csv")),
            PathBuf::from("dir/team.csv.journal.jsonl")
        );
    }
}
