//! `invitations invite`: inviting every user of a CSV file, resumable,
//! within a rate limit, never twice.
//!
//! The parts, each usable and tested alone:
//! - [`rows`]: the CSV file, validated row by row into the generated
//!   request bodies;
//! - [`journal`]: the append-only record of each row's start and outcome,
//!   and what a rerun does with each row ([`journal::plan`]);
//! - [`send`]: the client (credentials from the environment) and each
//!   vendor's idempotent `invite` turned into an [`Outcome`];
//! - [`settle`]: the user's finding about a row whose outcome is unknown
//!   (`--settle LINE=invited|not-invited`), recorded in the journal;
//! - [`runner`]: bounded concurrency and stopping (Ctrl-C or SIGTERM);
//! - [`progress`] and [`summary`]: what is shown, and the exit code.
//!
//! [`invite`] puts them together as the command does.
//!
//! The CSV file and the journal come from other people and other runs, so
//! they are read within bounds (a record of at most [`rows::MAX_RECORD`]
//! bytes, at most [`rows::MAX_ROWS`] rows, journal lines of at most
//! [`journal::MAX_LINE`]), the journal only if it is a regular file of its
//! own that no other run holds ([`journal::Journal`]), and what they say is
//! shown escaped (control characters and line breaks), in excerpts. Each
//! request is bounded by its timeout and its [`request_deadline`].

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use invitations::RateLimit;

pub mod journal;
pub mod progress;
pub mod rows;
pub mod runner;
pub mod send;
pub mod settle;
pub mod summary;

pub use journal::JournalError;
pub use rows::InputError;
pub use send::SetupError;
pub use settle::SettleError;
pub use summary::{Outcome, RowReport, Summary};

pub use invitations::Vendor;

/// The rate used without `--rate`: for Automox, 2,500 requests per 5
/// minutes per API key, a figure from a third-party page (the vendor
/// documents none; unverified); none for Hybridbox (none documented).
pub fn default_rate(vendor: Vendor) -> Option<RateLimit> {
    match vendor {
        Vendor::Hybridbox => None,
        Vendor::Automox => Some(RateLimit::per(2_500, Duration::from_secs(300))),
    }
}

/// The time `--timeout` gives each attempt of a request by default.
pub const DEFAULT_TIMEOUT: Duration = invitations::DEFAULT_TIMEOUT;

/// The longest `--timeout`.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// What a request's deadline leaves, beyond its timeout and the rate
/// limit's waits, for retries: their backoff and a 429's `Retry-After` (the
/// retry policy obeys one of up to this long).
pub const RETRY_ALLOWANCE: Duration = Duration::from_secs(60);

/// Reads `COUNT/PERIOD`: a count of at least 1, and a period written as a
/// number with a unit `ms`, `s`, `m` or `h` (the number may be left out for
/// 1): `2500/5m`, `10/1s`, `10/s`. Every rate it accepts makes a working
/// limiter ([`RateLimit::try_per`]): a period of at most 31 days
/// ([`RateLimit::MAX_PERIOD`]), at most one request per nanosecond.
///
/// # Errors
/// A message saying what is wrong and, for a rate out of range, the range.
pub fn parse_rate(text: &str) -> Result<RateLimit, String> {
    let shown = excerpt(text, 40);
    let bad = |why: &str| format!("`{shown}` is not COUNT/PERIOD such as 2500/5m or 10/1s: {why}");
    let (count, period) = text.split_once('/').ok_or_else(|| bad("no `/`"))?;
    let count: u32 = count
        .trim()
        .parse()
        .ok()
        .filter(|c| *c > 0)
        .ok_or_else(|| bad("the count is not a whole number from 1 to 4294967295"))?;
    let period = parse_duration(period).map_err(|why| bad(&format!("the period {why}")))?;
    RateLimit::try_per(count, period).map_err(|e| format!("`{shown}` is not a usable rate: {e}"))
}

/// Reads `--timeout`: a number with a unit `ms`, `s`, `m` or `h` (`30s`,
/// `500ms`), from 1 ms to [`MAX_TIMEOUT`].
///
/// # Errors
/// A message saying what is wrong and the range.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let bad = |why: &str| {
        format!(
            "`{}` is not a timeout such as 30s or 500ms (1ms to 1h): {why}",
            excerpt(text, 40)
        )
    };
    let timeout = parse_duration(text).map_err(|why| bad(&format!("the time {why}")))?;
    if timeout > MAX_TIMEOUT {
        return Err(bad("longer than 1h"));
    }
    Ok(timeout)
}

/// A duration written as a number (left out: 1) and a unit `ms`, `s`, `m`
/// or `h`; not zero. The error completes "the period …".
fn parse_duration(text: &str) -> Result<Duration, &'static str> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u32 = if number.is_empty() {
        1
    } else {
        number.parse().map_err(|_| "is too long")?
    };
    let unit = match unit {
        "ms" => Duration::from_millis(1),
        "s" => Duration::from_secs(1),
        "m" => Duration::from_secs(60),
        "h" => Duration::from_secs(3600),
        _ => return Err("has no unit ms, s, m or h"),
    };
    let duration = unit.checked_mul(number).ok_or("is too long")?;
    if duration.is_zero() {
        return Err("is zero");
    }
    Ok(duration)
}

/// How long one request of a run (a list or a create), its retries
/// included, may take: `timeout` (its first attempt), plus
/// [`RETRY_ALLOWANCE`], plus the longest the rate limit can hold it with
/// `concurrency` rows in flight (`concurrency` × the limit's
/// [`spacing`](RateLimit::spacing)). The client's retry policy gets it as its
/// [`deadline`](invitations::RetryPolicy::deadline): no retry is started that
/// would end past it.
pub fn request_deadline(
    timeout: Duration,
    rate: Option<RateLimit>,
    concurrency: usize,
) -> Duration {
    let queue = rate.map_or(Duration::ZERO, |rate| {
        let rows = u32::try_from(concurrency.max(1)).unwrap_or(u32::MAX);
        rate.spacing().saturating_mul(rows)
    });
    timeout
        .saturating_add(RETRY_ALLOWANCE)
        .saturating_add(queue)
}

/// How text from a file (a CSV, a journal) is quoted in messages: the
/// generator's excerpt, control characters escaped and cut with `…`.
pub(crate) use crate::codegen::excerpt;

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
    /// The rate limit (default: [`default_rate`]).
    pub rate: Option<RateLimit>,
    /// The most each attempt of a request may take ([`DEFAULT_TIMEOUT`] by
    /// default); each request, retries included, ends within its
    /// [`request_deadline`].
    pub timeout: Duration,
    /// Validate and show what would be sent; send nothing.
    pub dry_run: bool,
    /// Another base URL for the vendor's API.
    pub base_url: Option<String>,
    /// How progress is shown.
    pub progress: progress::Display,
    /// The user's findings about rows whose outcome is unknown
    /// (`--settle`), recorded before the rows are planned.
    pub settle: Vec<settle::Settlement>,
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
    /// A `--settle` that does not name an unknown row.
    Settle(SettleError),
}

impl std::fmt::Display for BulkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BulkError::Input(e) => e.fmt(f),
            BulkError::Journal(e) => e.fmt(f),
            BulkError::Setup(e) => e.fmt(f),
            BulkError::Settle(e) => e.fmt(f),
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
            BulkError::Settle(e) => e.source(),
        }
    }
}

/// What a run did.
#[derive(Debug)]
pub struct Report {
    /// Counts and the rows that did not end invited.
    pub summary: Summary,
    /// For a dry run, the rows that would be sent, in the order they would
    /// be.
    pub would_send: Vec<rows::Row>,
    /// A journal failure that stopped the run (no row was started after it).
    pub error: Option<JournalError>,
}

impl Report {
    /// 0 when every valid row ended invited or already invited, else 1.
    pub fn exit_code(&self) -> u8 {
        self.summary.exit_code().max(u8::from(self.error.is_some()))
    }

    /// The report for stdout: text, or one JSON object (with `would_send`
    /// on a dry run). [`Report::write`] writes it without holding it all.
    pub fn render(&self, json: bool) -> String {
        let mut out = Vec::new();
        // Writing to a `Vec` does not fail.
        let _ = self.write(&mut out, json);
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Writes the report to `out` as [`Report::render`] makes it, one row
    /// of `would_send` at a time: a dry run of a large file is not held in
    /// memory a second time as text.
    ///
    /// # Errors
    /// When `out` fails.
    pub fn write(&self, out: &mut dyn std::io::Write, json: bool) -> std::io::Result<()> {
        let would_send = |row: &rows::Row| serde_json::json!({"line": row.line, "email": row.email, "body": row.body.to_json()});
        if !json {
            for row in &self.would_send {
                writeln!(out, "would send line {}: {}", row.line, row.body.to_json())?;
            }
            return out.write_all(self.summary.to_text().as_bytes());
        }
        let mut value = serde_json::to_value(&self.summary).unwrap_or_default();
        if let Some(e) = &self.error {
            value["error"] = error_chain(e).into();
        }
        if !self.summary.dry_run {
            return writeln!(out, "{value}");
        }
        // `would_send` last, as a key sorted last would be, written row by
        // row.
        let mut head = value.to_string();
        head.pop();
        out.write_all(head.as_bytes())?;
        if head.len() > 1 {
            out.write_all(b",")?;
        }
        out.write_all(b"\"would_send\":[")?;
        for (i, row) in self.would_send.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            serde_json::to_writer(&mut *out, &would_send(row))?;
        }
        out.write_all(b"]}\n")
    }
}

/// An error and its causes, `: `-separated, control characters and line
/// breaks escaped, each cause cut at 300 characters (a cause can quote a
/// file's text: serde quotes what it could not read in a journal line).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = crate::codegen::escape_controls(&error.to_string());
    let mut source = error.source();
    while let Some(cause) = source {
        text = format!("{text}: {}", excerpt(&cause.to_string(), 300));
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
    // A run holds the journal (locked) from before it reads it until its
    // end; a dry run writes nothing and only reads it.
    let mut journal = if options.dry_run {
        None
    } else {
        Some(journal::Journal::open(&journal_path).map_err(BulkError::Journal)?)
    };
    let mut last = match &mut journal {
        Some(journal) => journal.read(vendor, options.account),
        None => journal::read(&journal_path, vendor, options.account),
    }
    .map_err(BulkError::Journal)?;
    // The user's findings first: the rows are planned as they say (a dry
    // run shows what they would do and records nothing).
    let settled_by_hand =
        settle::apply(&options.settle, &rows.valid, &mut last.rows).map_err(BulkError::Settle)?;
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
    let connection = send::Connection {
        base_url: options.base_url.clone(),
        rate: options.rate.or(default_rate(vendor)),
        timeout: options.timeout,
        concurrency: options.concurrency,
    };
    let Some(journal) = journal else {
        // A dry run: what a run checks, credentials aside.
        send::Sender::check(vendor, &connection).map_err(BulkError::Setup)?;
        for (row, _) in &in_flight {
            report.summary.resumed += 1;
            let reason = in_flight_reason(row);
            report
                .summary
                .record(row.line, &row.email, Outcome::Unknown, Some(&reason));
        }
        report.summary.would_send_count = Some(to_send.len() as u64);
        report.would_send = to_send;
        report.summary.sort();
        return Ok(report);
    };
    let sender = if to_send.is_empty() {
        // Nothing to send needs no credentials; the flags are still checked.
        send::Sender::check(vendor, &connection).map_err(BulkError::Setup)?;
        None
    } else {
        Some(send::Sender::from_env(vendor, &connection).map_err(BulkError::Setup)?)
    };
    let writer = journal.into_writer().map_err(BulkError::Journal)?;
    let begin = journal::Entry::Run {
        vendor: vendor.as_str().to_owned(),
        account: options.account,
        at: journal::now(),
    };
    writer.append(&begin).await.map_err(BulkError::Journal)?;
    for entry in &settled_by_hand {
        writer.append(entry).await.map_err(BulkError::Journal)?;
    }
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
        // Hybridbox: the account's pending invitations, listed once, so
        // that each row costs one create, not a list and a create. Without
        // the list (it failed), each row lists for itself.
        let listed = match sender.pending(account).await {
            Ok(listed) => listed.map(Arc::new),
            Err(e) => {
                progress::note(&format!(
                    "could not list the account's pending invitations once ({}): each row lists                      before its create",
                    error_chain(&e)
                ));
                None
            }
        };
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
                // A row in flight at a crash lists for itself, after the
                // wait: the listing above may predate its create.
                let listed = listed.clone().filter(|_| !resent.contains(&row.line));
                async move {
                    if let Some(until) = wait {
                        tokio::time::sleep_until(until).await;
                    }
                    sender.send(account, &row, listed.as_deref()).await
                }
            },
        )
        .await;
        progress.finish();
        report.summary.not_started = ran.not_started;
        report.summary.interrupted = ran.interrupted;
        report.error = ran.error;
    }
    // The lock is released when this returns, not a moment later.
    writer.close().await;
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

    /// The rates that panicked (issue 24) are refused with the range; the
    /// edges of the range are accepted.
    #[test]
    fn rates_out_of_range_are_refused_with_the_range() {
        for (rate, range) in [
            ("1000000002/1s", "the count is at most 1000000001"),
            ("4294967295/1ms", "the count is at most 1000001"),
            ("1/10000000h", "longer than 744 hours"),
            ("1/745h", "longer than 744 hours"),
            ("1/99999999999s", "the period is too long"),
            ("99999999999/1s", "from 1 to 4294967295"),
        ] {
            let e = parse_rate(rate).unwrap_err();
            assert!(e.contains(range), "{rate}: {e}");
        }
        for rate in ["1000000001/1s", "1000001/1ms", "1/744h", "4294967295/5s"] {
            let limit = parse_rate(rate).unwrap();
            assert!(!limit.spacing().is_zero(), "{rate}");
        }
        assert!(parse_rate("1/\u{1b}[2J").unwrap_err().contains("\\u{1b}"));
    }

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_timeout("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_timeout("1h"), Ok(MAX_TIMEOUT));
        for bad in ["", "0s", "30", "61m", "2h", "1d", "-1s", "99999999999ms"] {
            let e = parse_timeout(bad).unwrap_err();
            assert!(e.contains("1ms to 1h"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_request_deadline_covers_the_timeout_retries_and_the_rate_limit() {
        let second = Duration::from_secs(1);
        assert_eq!(request_deadline(second, None, 4), second + RETRY_ALLOWANCE);
        let rate = parse_rate("10/1s").unwrap();
        assert_eq!(
            request_deadline(second, Some(rate), 8),
            second + RETRY_ALLOWANCE + rate.spacing() * 8
        );
        let slowest = parse_rate("1/744h").unwrap();
        let longest = request_deadline(MAX_TIMEOUT, Some(slowest), usize::MAX);
        assert!(longest > Duration::from_secs(744 * 3600));
    }

    proptest::proptest! {
        /// Whatever `--rate` is given, reading it and building the client
        /// with it (as a run does) never panics. (That an accepted rate's
        /// limiter admits requests is the library's own test.)
        #[test]
        fn any_rate_is_refused_or_builds_a_working_limiter(
            text in "[0-9]{0,12}/[0-9]{0,12}(ms|s|m|h|d|)|\\PC{0,20}",
        ) {
            let Ok(rate) = parse_rate(&text) else { return Ok(()) };
            let connection = send::Connection {
                rate: Some(rate),
                concurrency: 256,
                timeout: MAX_TIMEOUT,
                ..send::Connection::new()
            };
            let vars = |_: &str| Some("key".to_owned());
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .unwrap();
            runtime.block_on(async {
                send::Sender::new(Vendor::Automox, &connection, &vars).unwrap();
            });
        }
    }

    /// The JSON of a dry run, written row by row, is one object with
    /// `would_send` last, as a map would put it.
    #[test]
    fn a_dry_run_report_is_written_row_by_row_as_one_object() {
        let rows = rows::parse(
            "email,note\nada@example.com,hi\nbad,\n".as_bytes(),
            "t.csv",
            Vendor::Hybridbox,
        )
        .unwrap();
        let mut summary = Summary {
            dry_run: true,
            ..Summary::default()
        };
        for bad in &rows.invalid {
            summary.record(bad.line, &bad.email, Outcome::Invalid, Some(&bad.reason));
        }
        let report = Report {
            summary,
            would_send: rows.valid,
            error: None,
        };
        let json = report.render(true);
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let mut expected = serde_json::to_value(&report.summary).unwrap();
        expected["would_send"] = serde_json::json!([
            {"line": 2, "email": "ada@example.com", "body": {"email": "ada@example.com", "note": "hi"}}
        ]);
        assert_eq!(value, expected);
        assert_eq!(json, format!("{expected}\n"));
        let text = report.render(false);
        assert!(
            text.starts_with(
                "would send line 2: {\"email\":\"ada@example.com\",\"note\":\"hi\"}\n\
                 dry run (nothing sent): 0 invited"
            ),
            "{text}"
        );
    }

    #[test]
    fn the_default_journal_is_beside_the_file() {
        assert_eq!(
            default_journal(Path::new("dir/team.csv")),
            PathBuf::from("dir/team.csv.journal.jsonl")
        );
    }
}
