//! Progress on stderr: a bar on a terminal, plain periodic lines otherwise.
//! Never on stdout (the summary's).
//!
//! The bar is drawn on a terminal it shares with [`Progress`]: when the bar
//! ends, [`Progress::finish`] ends its line there, so that what is printed
//! next (the summary, an error) starts on a line of its own; while it runs,
//! [`note`] prints a line above it (the program's "stopping" message)
//! instead of into it.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
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
    bar: Option<Bar>,
    ticker: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// A bar and the terminal it is drawn on.
#[derive(Debug)]
struct Bar {
    bar: indicatif::ProgressBar,
    term: SharedTerm,
}

/// A terminal shared by a bar (its draw target) and [`Progress`].
#[derive(Clone, Debug)]
struct SharedTerm(Arc<dyn indicatif::TermLike>);

impl indicatif::TermLike for SharedTerm {
    fn width(&self) -> u16 {
        self.0.width()
    }
    fn height(&self) -> u16 {
        self.0.height()
    }
    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_up(n)
    }
    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_down(n)
    }
    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_right(n)
    }
    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        self.0.move_cursor_left(n)
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.0.write_line(s)
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.0.write_str(s)
    }
    fn clear_line(&self) -> std::io::Result<()> {
        self.0.clear_line()
    }
    fn flush(&self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The progress whose bar is on stderr now, for [`note`].
static SHOWN: Mutex<Weak<Progress>> = Mutex::new(Weak::new());

/// Prints `text` on stderr as a line of its own: above the bar while one is
/// shown (a line printed into a bar would be glued to it, then drawn
/// over), else as it is.
pub fn note(text: &str) {
    let shown = SHOWN.lock().unwrap_or_else(|e| e.into_inner()).upgrade();
    match shown {
        Some(progress) => progress.println(text),
        None => eprintln!("{text}"),
    }
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
            // What `ProgressDrawTarget::stderr()` draws on, shared.
            let term = SharedTerm(Arc::new(console::Term::buffered_stderr()));
            new_bar(total, term, Some(20))
        });
        let shown = bar.is_some();
        let progress = Progress::with_bar(total, bar);
        if shown {
            *SHOWN.lock().unwrap_or_else(|e| e.into_inner()) = Arc::downgrade(&progress);
        }
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

    fn with_bar(total: u64, bar: Option<Bar>) -> Arc<Progress> {
        Arc::new(Progress {
            total,
            counts: Default::default(),
            started: Instant::now(),
            bar,
            ticker: Mutex::new(None),
        })
    }

    /// Prints `text` on stderr as a line of its own: above the bar when
    /// there is one.
    pub fn println(&self, text: &str) {
        match &self.bar {
            Some(Bar { bar, .. }) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    /// Counts a row that ended with `outcome`.
    pub fn record(&self, outcome: Outcome) {
        self.counts[index(outcome)].fetch_add(1, Ordering::Relaxed);
        if let Some(Bar { bar, .. }) = &self.bar {
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
    /// line is ended, on the terminal it is drawn on, so what is printed
    /// next starts on a line of its own.
    pub fn finish(&self) {
        if let Some(ticker) = self.ticker.lock().unwrap_or_else(|e| e.into_inner()).take() {
            ticker.abort();
            eprintln!("{}", self.line());
        }
        if let Some(Bar { bar, term }) = &self.bar {
            // Not `bar.finish()`: that moves the bar to its length.
            if self.done() < self.total {
                bar.set_style(style("[{elapsed_precise}] {wide_bar} {pos}/{len} {msg}"));
                bar.abandon_with_message(format!("{} | stopped", self.bar_message()));
            } else {
                bar.abandon();
            }
            // The bar leaves the cursor on its line; nothing is drawn on
            // it any more. (stderr failing loses the line break only.)
            use indicatif::TermLike as _;
            let _ = term.write_line("").and_then(|()| term.flush());
        }
        let mut shown = SHOWN.lock().unwrap_or_else(|e| e.into_inner());
        if std::ptr::eq(shown.as_ptr(), self) {
            *shown = Weak::new();
        }
    }
}

/// The bar for `total` rows, drawn on `term` at most `hz` times a second
/// (`None`: at every change).
fn new_bar(total: u64, term: SharedTerm, hz: Option<u8>) -> Bar {
    let boxed = Box::new(term.clone());
    let target = match hz {
        Some(hz) => indicatif::ProgressDrawTarget::term_like_with_hz(boxed, hz),
        None => indicatif::ProgressDrawTarget::term_like(boxed),
    };
    let bar = indicatif::ProgressBar::with_draw_target(Some(total), target);
    bar.set_style(style(
        "[{elapsed_precise}] {wide_bar} {pos}/{len} {msg} eta {eta}",
    ));
    bar.enable_steady_tick(Duration::from_millis(200));
    Bar { bar, term }
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

    /// What a terminal shows, `WIDTH` columns wide: the text on each row,
    /// and the cursor. As on a terminal, a row written to its last column
    /// leaves the cursor there ("pending wrap"): the next character goes
    /// to the start of the next row, a line break (`\n`, written by the
    /// terminal as `\r\n`) or `\r` leaves the row.
    #[derive(Clone, Debug, Default)]
    struct Screen(Arc<Mutex<Cursor>>);

    #[derive(Debug, Default)]
    struct Cursor {
        rows: Vec<Vec<char>>,
        row: usize,
        column: usize,
    }

    const WIDTH: usize = 120;

    impl Cursor {
        fn put(&mut self, c: char) {
            match c {
                '\r' => self.column = 0,
                '\n' => (self.row, self.column) = (self.row + 1, 0),
                c => {
                    if self.column == WIDTH {
                        (self.row, self.column) = (self.row + 1, 0);
                    }
                    let column = self.column;
                    let row = self.row_mut();
                    if row.len() <= column {
                        row.resize(column + 1, ' ');
                    }
                    row[column] = c;
                    self.column += 1;
                }
            }
        }

        fn row_mut(&mut self) -> &mut Vec<char> {
            if self.rows.len() <= self.row {
                self.rows.resize(self.row + 1, Vec::new());
            }
            &mut self.rows[self.row]
        }
    }

    impl Screen {
        fn edit(&self, f: impl FnOnce(&mut Cursor)) -> std::io::Result<()> {
            f(&mut self.0.lock().unwrap());
            Ok(())
        }

        /// What another writer prints at the cursor.
        fn print(&self, text: &str) {
            self.edit(|c| text.chars().for_each(|ch| c.put(ch)))
                .unwrap();
        }

        /// The rows shown, trailing spaces dropped; and the cursor.
        fn shown(&self) -> (Vec<String>, (usize, usize)) {
            let cursor = self.0.lock().unwrap();
            let rows = cursor
                .rows
                .iter()
                .map(|r| r.iter().collect::<String>().trim_end().to_owned())
                .collect();
            (rows, (cursor.row, cursor.column))
        }
    }

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            WIDTH as u16
        }
        fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
            self.edit(|c| c.row = c.row.saturating_sub(n))
        }
        fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
            self.edit(|c| c.row += n)
        }
        fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
            self.edit(|c| c.column = (c.column + n).min(WIDTH))
        }
        fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
            self.edit(|c| c.column = c.column.saturating_sub(n))
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.edit(|c| s.chars().chain(['\n']).for_each(|ch| c.put(ch)))
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.edit(|c| s.chars().for_each(|ch| c.put(ch)))
        }
        fn clear_line(&self) -> std::io::Result<()> {
            self.edit(|c| {
                c.row_mut().clear();
                c.column = 0;
            })
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A progress of `total` rows with a bar drawn on a new [`Screen`].
    fn on_screen(total: u64) -> (Arc<Progress>, Screen) {
        let screen = Screen::default();
        let term = SharedTerm(Arc::new(screen.clone()));
        (
            Progress::with_bar(total, Some(new_bar(total, term, None))),
            screen,
        )
    }

    /// The rows shown after `done` rows of `total` and the end of the bar,
    /// then the summary printed as the program prints it.
    fn drawn(total: u64, done: u64) -> Vec<String> {
        let (progress, screen) = on_screen(total);
        for _ in 0..done {
            progress.record(Outcome::Invited);
        }
        progress.finish();
        screen.print("done: 5 invited, 0 already invited\n");
        screen.shown().0
    }

    #[test]
    fn a_stopped_bar_ends_at_the_rows_done() {
        let rows = drawn(300, 62);
        assert!(rows[0].contains(" 62/300 | 62 invited"), "{rows:?}");
        assert!(rows[0].ends_with("| stopped"), "{rows:?}");
        let rows = drawn(5, 5);
        assert!(rows[0].contains(" 5/5 | 5 invited"), "{rows:?}");
        assert!(!rows[0].contains("stopped"), "{rows:?}");
    }

    /// Issue 25: on a terminal the summary was glued to the bar (`… eta
    /// 0sdone: 12 invited, …`). indicatif leaves the cursor on the bar's
    /// row, past its last column, counting on the terminal to wrap the next
    /// character; [`Progress::finish`] ends the row itself, on the bar's
    /// terminal: the cursor is at the start of the next row, and the
    /// summary printed next has a row of its own.
    #[test]
    fn the_summary_starts_on_a_row_of_its_own() {
        for (total, done) in [(5, 5), (300, 62), (3, 0)] {
            let rows = drawn(total, done);
            assert_eq!(rows.len(), 2, "{rows:?}");
            assert!(rows[0].starts_with("[00:00:0"), "{rows:?}");
            assert!(rows[0].contains(&format!(" {done}/{total} ")), "{rows:?}");
            assert_eq!(rows[1], "done: 5 invited, 0 already invited", "{rows:?}");
        }
        // Not left to the terminal's wrapping: the cursor is at the start
        // of the row after the bar's.
        let (progress, screen) = on_screen(2);
        progress.record(Outcome::Invited);
        progress.finish();
        assert_eq!(screen.shown().1, (1, 0));
    }

    /// A note while the bar runs (the program's "stopping" message) is a
    /// row of its own above the bar, which goes on below it.
    #[test]
    fn a_note_is_printed_above_the_bar() {
        let (progress, screen) = on_screen(10);
        progress.record(Outcome::Invited);
        progress.println("stopping (SIGINT): no new rows");
        progress.record(Outcome::Failed);
        progress.finish();
        screen.print("interrupted: 1 invited\n");
        let rows = screen.shown().0;
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert_eq!(rows[0], "stopping (SIGINT): no new rows", "{rows:?}");
        assert!(
            rows[1].contains(" 2/10 | 1 invited, 0 already, 1 failed"),
            "{rows:?}"
        );
        assert!(rows[1].ends_with("| stopped"), "{rows:?}");
        assert_eq!(rows[2], "interrupted: 1 invited", "{rows:?}");
    }
}
