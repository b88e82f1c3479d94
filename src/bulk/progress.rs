//! Progress on stderr: a bar on a terminal, plain periodic lines otherwise.
//! Never on stdout (the summary's).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::summary::Outcome;

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Display {
    /// A bar when stderr is a terminal, else a line every 5 s.
    Auto,
    /// A line on stderr at this interval.
    Lines(Duration),
    /// Nothing.
    Hidden,
}

/// Counts of the rows this run sends, shared by the workers.
#[derive(Debug)]
pub struct Progress {
    total: u64,
    counts: [AtomicU64; 5],
    started: Instant,
    bar: Option<indicatif::ProgressBar>,
    ticker: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

fn index(outcome: Outcome) -> usize {
    match outcome {
        Outcome::Invited => 0,
        Outcome::AlreadyInvited => 1,
        Outcome::Failed => 2,
        Outcome::Unknown => 3,
        Outcome::Invalid => 4,
    }
}

impl Progress {
    /// Starts showing the progress of `total` rows (call from a tokio
    /// runtime: lines are printed by a task).
    pub fn start(total: u64, display: Display) -> Arc<Progress> {
        let display = match display {
            Display::Auto if std::io::stderr().is_terminal() => None,
            Display::Auto => Some(Display::Lines(Duration::from_secs(5))),
            other => Some(other),
        };
        let bar = display.is_none().then(|| {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(total),
                indicatif::ProgressDrawTarget::stderr(),
            );
            let style = indicatif::ProgressStyle::with_template(
                "[{elapsed_precise}] {wide_bar} {pos}/{len} {msg} eta {eta}",
            )
            .expect("a valid template");
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let progress = Arc::new(Progress {
            total,
            counts: Default::default(),
            started: Instant::now(),
            bar,
            ticker: std::sync::Mutex::new(None),
        });
        if let Some(Display::Lines(every)) = display {
            let shown = Arc::downgrade(&progress);
            let ticker = tokio::spawn(async move {
                let mut interval = tokio::time::interval(every.max(Duration::from_millis(10)));
                interval.tick().await;
                loop {
                    interval.tick().await;
                    let Some(progress) = shown.upgrade() else {
                        return;
                    };
                    eprintln!("{}", progress.line());
                }
            });
            *progress.ticker.lock().unwrap_or_else(|e| e.into_inner()) = Some(ticker);
        }
        progress
    }

    /// Counts a row that ended with `outcome`.
    pub fn record(&self, outcome: Outcome) {
        self.counts[index(outcome)].fetch_add(1, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc(1);
            let rate = self.done() as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "| {} invited, {} already, {} failed, {} unknown | {rate:.1}/s",
                self.count(Outcome::Invited),
                self.count(Outcome::AlreadyInvited),
                self.count(Outcome::Failed),
                self.count(Outcome::Unknown)
            ));
        }
    }

    fn count(&self, outcome: Outcome) -> u64 {
        self.counts[index(outcome)].load(Ordering::Relaxed)
    }

    /// Rows done so far.
    pub fn done(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    fn counts_text(&self) -> String {
        format!(
            "{} invited, {} already invited, {} failed, {} unknown",
            self.count(Outcome::Invited),
            self.count(Outcome::AlreadyInvited),
            self.count(Outcome::Failed),
            self.count(Outcome::Unknown)
        )
    }

    /// The progress as a plain line.
    pub fn line(&self) -> String {
        let done = self.done();
        let elapsed = self.started.elapsed();
        let rate = done as f64 / elapsed.as_secs_f64().max(1e-3);
        let eta = if rate > 0.0 && done < self.total {
            format!("{}s", ((self.total - done) as f64 / rate).ceil() as u64)
        } else {
            "-".to_owned()
        };
        format!(
            "progress [{}s]: {done}/{} rows: {}; {rate:.1} rows/s, eta {eta}",
            elapsed.as_secs(),
            self.total,
            self.counts_text()
        )
    }

    /// Stops the display, with a last line (or the bar's last state).
    pub fn finish(&self) {
        if let Some(ticker) = self.ticker.lock().unwrap_or_else(|e| e.into_inner()).take() {
            ticker.abort();
            eprintln!("{}", self.line());
        }
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_count_each_outcome() {
        let progress = Progress::start(4, Display::Hidden);
        progress.record(Outcome::Invited);
        progress.record(Outcome::Unknown);
        let line = progress.line();
        assert!(
            line.contains("2/4 rows: 1 invited, 0 already invited, 0 failed, 1 unknown"),
            "{line}"
        );
        progress.finish();
    }
}
