//! Sending the rows: at most `concurrency` at once, each journaled
//! `started` before it is sent and with its outcome before that outcome is
//! counted; `stop` (Ctrl-C or SIGTERM) stops starting rows and waits for
//! those in flight, so the journal stays consistent.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::journal::{self, Entry, JournalError, Writer};
use super::progress::Progress;
use super::rows::Row;
use super::send::Sent;
use super::summary::Summary;

/// How the run ended, beside the rows' outcomes.
#[derive(Debug, Default)]
pub struct Ran {
    /// Rows not started (after `stop`, or a journal failure).
    pub not_started: u64,
    /// Whether `stop` ended the run early.
    pub interrupted: bool,
    /// The first journal failure: no row was started after it.
    pub error: Option<JournalError>,
}

/// Sends `rows` with `send`, at most `concurrency` at a time, recording each
/// outcome into `summary` (after it is in the journal) and `progress`.
pub async fn run<F, Fut>(
    rows: Vec<Row>,
    concurrency: usize,
    journal: &Writer,
    progress: &Arc<Progress>,
    summary: &mut Summary,
    stop: impl Future<Output = ()>,
    send: F,
) -> Ran
where
    F: Fn(Arc<Row>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Sent> + Send + 'static,
{
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks: JoinSet<Result<(Arc<Row>, Sent), JournalError>> = JoinSet::new();
    let mut ran = Ran::default();
    let mut rows = rows.into_iter();
    let mut stop = std::pin::pin!(stop);
    loop {
        while let Some(joined) = tasks.try_join_next() {
            collect(joined, summary, &mut ran);
        }
        if ran.error.is_some() {
            break;
        }
        let Some(row) = rows.next() else { break };
        let permit = tokio::select! {
            biased;
            () = &mut stop => {
                ran.interrupted = true;
                ran.not_started = 1 + rows.len() as u64;
                break;
            }
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let (journal, progress, send) = (journal.clone(), progress.clone(), send.clone());
        let row = Arc::new(row);
        tasks.spawn(async move {
            let _permit = permit;
            journal
                .append(&Entry::Started {
                    line: row.line,
                    email: row.email.clone(),
                    at: journal::now(),
                })
                .await?;
            let sent = send(row.clone()).await;
            journal
                .append(&Entry::Outcome {
                    line: row.line,
                    email: row.email.clone(),
                    outcome: sent.outcome,
                    reason: sent.reason.clone(),
                    id: sent.id.clone(),
                    at: journal::now(),
                })
                .await?;
            progress.record(sent.outcome);
            Ok((row, sent))
        });
    }
    if ran.error.is_some() {
        ran.not_started += rows.len() as u64;
    }
    while let Some(joined) = tasks.join_next().await {
        collect(joined, summary, &mut ran);
    }
    ran
}

/// Counts a finished row, or keeps the first journal failure (that row is
/// not counted: its outcome is not in the journal, so the next run treats it
/// as in flight).
fn collect(
    joined: Result<Result<(Arc<Row>, Sent), JournalError>, tokio::task::JoinError>,
    summary: &mut Summary,
    ran: &mut Ran,
) {
    match joined {
        Ok(Ok((row, sent))) => {
            summary.sent += 1;
            summary.record(row.line, &row.email, sent.outcome, sent.reason.as_deref());
        }
        Ok(Err(e)) => {
            ran.not_started += 1;
            ran.error.get_or_insert(e);
        }
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => ran.not_started += 1,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::bulk::progress::Display;
    use crate::bulk::rows::{self, Rows};
    use crate::bulk::{Vendor, summary::Outcome};

    fn rows(n: usize) -> Rows {
        let mut text = String::from("email\n");
        for i in 0..n {
            text.push_str(&format!("user{i}@example.com\n"));
        }
        rows::parse(text.as_bytes(), "t.csv", Vendor::Hybridbox).unwrap()
    }

    /// A new journal with its `run` line.
    async fn journal(name: &str) -> (std::path::PathBuf, Writer) {
        let dir = std::env::temp_dir().join(format!("invitations-runner-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        let writer = Writer::open(&path).unwrap();
        let run = Entry::Run {
            vendor: "hybridbox".to_owned(),
            account: uuid::Uuid::nil(),
            at: journal::now(),
        };
        writer.append(&run).await.unwrap();
        (path, writer)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_concurrency_rows_in_flight_and_each_journaled() {
        let (path, writer) = journal("concurrency.jsonl").await;
        let progress = Progress::start(50, Display::Hidden);
        let in_flight = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut summary = Summary::default();
        let (now, peak) = (in_flight.clone(), most.clone());
        let ran = run(
            rows(50).valid,
            3,
            &writer,
            &progress,
            &mut summary,
            std::future::pending(),
            move |row: Arc<Row>| {
                let (now, peak) = (now.clone(), peak.clone());
                async move {
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(n, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    now.fetch_sub(1, Ordering::SeqCst);
                    let failed = row.line.is_multiple_of(10);
                    Sent {
                        outcome: if failed {
                            Outcome::Failed
                        } else {
                            Outcome::Invited
                        },
                        reason: failed.then(|| "no".to_owned()),
                        id: None,
                    }
                }
            },
        )
        .await;
        assert!(ran.error.is_none() && !ran.interrupted);
        assert_eq!(most.load(Ordering::SeqCst), 3);
        assert_eq!((summary.invited, summary.failed, summary.sent), (45, 5, 50));
        assert_eq!(progress.done(), 50);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text.lines().filter(|l| l.contains("\"started\"")).count(),
            50
        );
        assert_eq!(
            text.lines().filter(|l| l.contains("\"outcome\"")).count(),
            50
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stop_waits_for_rows_in_flight_and_starts_no_more() {
        let (path, writer) = journal("stop.jsonl").await;
        let progress = Progress::start(100, Display::Hidden);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let stop_tx = Arc::new(std::sync::Mutex::new(Some(stop_tx)));
        let mut summary = Summary::default();
        let ran = run(
            rows(100).valid,
            4,
            &writer,
            &progress,
            &mut summary,
            async move {
                let _ = stop_rx.await;
            },
            move |row: Arc<Row>| {
                let stop_tx = stop_tx.clone();
                async move {
                    if row.line == 11
                        && let Some(tx) = stop_tx.lock().unwrap().take()
                    {
                        let _ = tx.send(());
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Sent {
                        outcome: Outcome::Invited,
                        reason: None,
                        id: None,
                    }
                }
            },
        )
        .await;
        assert!(ran.interrupted);
        assert_eq!(summary.invited + ran.not_started, 100);
        assert!(
            summary.invited >= 10 && summary.invited <= 14,
            "{}",
            summary.invited
        );
        let last = journal::read(&path, Vendor::Hybridbox, uuid::Uuid::nil()).unwrap();
        assert_eq!(last.rows.len() as u64, summary.invited);
        assert!(
            last.rows
                .values()
                .all(|l| matches!(l, journal::Last::Done { .. }))
        );
    }
}
