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
        let bar = display
            .is_none()
            .then(|| new_bar(total, indicatif::ProgressDrawTarget::stderr()));
        let progress = Progress::with_bar(total, bar);
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

    fn with_bar(total: u64, bar: Option<indicatif::ProgressBar>) -> Arc<Progress> {
        Arc::new(Progress {
            total,
            counts: Default::default(),
            started: Instant::now(),
            bar,
            ticker: std::sync::Mutex::new(None),
        })
    }

    /// Counts a row that ended with `outcome`.
    pub fn record(&self, outcome: Outcome) {
        self.counts[index(outcome)].fetch_add(1, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(self.bar_message());
        }
    }

    /// The bar's text after `{pos}/{len}`.
    fn bar_message(&self) -> String {
        let rate = self.done() as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
        format!(
            "| {} invited, {} already, {} failed, {} unknown | {rate:.1}/s",
            self.count(Outcome::Invited),
            self.count(Outcome::AlreadyInvited),
            self.count(Outcome::Failed),
            self.count(Outcome::Unknown)
        )
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

    /// Stops the display, with a last line (or the bar's last state), at
    /// the rows actually done: a run stopped early (Ctrl-C, SIGTERM, a
    /// journal failure) ends short of the total, marked `stopped`. The bar's
    /// line is ended, so what is printed next starts on a line of its own.
    pub fn finish(&self) {
        if let Some(ticker) = self.ticker.lock().unwrap_or_else(|e| e.into_inner()).take() {
            ticker.abort();
            eprintln!("{}", self.line());
        }
        if let Some(bar) = &self.bar {
            // Not `bar.finish()`: that moves the bar to its length.
            if self.done() < self.total {
                bar.set_style(style("[{elapsed_precise}] {wide_bar} {pos}/{len} {msg}"));
                bar.abandon_with_message(format!("{} | stopped", self.bar_message()));
            } else {
                bar.abandon();
            }
            if !bar.is_hidden() {
                eprintln!();
            }
        }
    }
}

/// The bar for `total` rows, drawn to `target`.
fn new_bar(total: u64, target: indicatif::ProgressDrawTarget) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(Some(total), target);
    bar.set_style(style(
        "[{elapsed_precise}] {wide_bar} {pos}/{len} {msg} eta {eta}",
    ));
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn style(template: &str) -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template(template).expect("a valid template")
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

    /// What a terminal shows: the bar's lines as drawn, the cursor's line
    /// rewritten in place.
    #[derive(Clone, Debug, Default)]
    struct Screen(Arc<std::sync::Mutex<Vec<String>>>);

    impl Screen {
        fn edit(&self, f: impl FnOnce(&mut Vec<String>)) -> std::io::Result<()> {
            let mut lines = self.0.lock().unwrap();
            if lines.is_empty() {
                lines.push(String::new());
            }
            f(&mut lines);
            Ok(())
        }
    }

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            160
        }
        fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.edit(|l| {
                l.last_mut().unwrap().push_str(s);
                l.push(String::new());
            })
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.edit(|l| l.last_mut().unwrap().push_str(s))
        }
        fn clear_line(&self) -> std::io::Result<()> {
            self.edit(|l| l.last_mut().unwrap().clear())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn drawn(total: u64, done: u64) -> String {
        let screen = Screen::default();
        let target = indicatif::ProgressDrawTarget::term_like(Box::new(screen.clone()));
        let progress = Progress::with_bar(total, Some(new_bar(total, target)));
        for _ in 0..done {
            progress.record(Outcome::Invited);
        }
        progress.finish();
        let lines = screen.0.lock().unwrap();
        lines.last().unwrap().trim_end().to_owned()
    }

    #[test]
    fn a_stopped_bar_ends_at_the_rows_done() {
        let last = drawn(300, 62);
        assert!(last.contains(" 62/300 | 62 invited"), "{last}");
        assert!(last.ends_with("| stopped"), "{last}");
        let last = drawn(5, 5);
        assert!(last.contains(" 5/5 | 5 invited"), "{last}");
        assert!(!last.contains("stopped"), "{last}");
    }
}
