//! Row outcomes, the run's summary, its text and JSON forms, and the exit
//! code.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// How a row ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Invited by this run (or by an earlier run, read from the journal).
    Invited,
    /// The vendor already had a pending invitation for the email
    /// (Hybridbox); nothing was created.
    AlreadyInvited,
    /// The vendor refused the create, or it never reached the vendor;
    /// nothing was created by it. A rerun tries the row again.
    Failed,
    /// The create may or may not have been carried out. Automox: never sent
    /// again by a rerun; check the account. Hybridbox: a rerun settles it
    /// (its `invite` lists first).
    Unknown,
    /// Refused before sending (a bad row in the file).
    Invalid,
}

impl Outcome {
    /// The name used in the journal and the JSON summary.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Invited => "invited",
            Outcome::AlreadyInvited => "already_invited",
            Outcome::Failed => "failed",
            Outcome::Unknown => "unknown",
            Outcome::Invalid => "invalid",
        }
    }

    /// Whether the row is done for good: invited or already invited.
    pub fn is_success(self) -> bool {
        matches!(self, Outcome::Invited | Outcome::AlreadyInvited)
    }
}

/// A row that did not end invited, for the summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowReport {
    /// The row's line in the file (header = 1).
    pub line: u64,
    /// The row's email.
    pub email: String,
    /// `failed`, `unknown` or `invalid`.
    pub outcome: Outcome,
    /// Why, and for `unknown` what to check.
    pub reason: String,
}

/// Counts per outcome and the rows that did not end invited.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Rows invited (this run or, per the journal, an earlier one).
    pub invited: u64,
    /// Rows that already had a pending invitation.
    pub already_invited: u64,
    /// Rows the vendor refused.
    pub failed: u64,
    /// Rows whose create may or may not have been carried out.
    pub unknown: u64,
    /// Rows refused before sending.
    pub invalid: u64,
    /// Valid rows not started because the run was interrupted (Ctrl-C or SIGTERM).
    pub not_started: u64,
    /// Of the counted rows, those settled by an earlier run (journal) and
    /// not sent by this one.
    pub resumed: u64,
    /// Requests sent by this run: one per row sent (a row's own retries and
    /// lists not counted).
    pub sent: u64,
    /// Whether Ctrl-C or SIGTERM stopped the run before every row was started.
    pub interrupted: bool,
    /// Whether this was a dry run (nothing sent).
    pub dry_run: bool,
    /// For a dry run, how many rows a run would send now (absent
    /// otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub would_send_count: Option<u64>,
    /// The rows that did not end invited or already invited, by line.
    pub rows: Vec<RowReport>,
}

impl Summary {
    /// Counts `outcome` for a row; rows that did not succeed are listed.
    pub fn record(&mut self, line: u64, email: &str, outcome: Outcome, reason: Option<&str>) {
        *self.count_mut(outcome) += 1;
        if !outcome.is_success() {
            self.rows.push(RowReport {
                line,
                email: email.to_owned(),
                outcome,
                reason: reason.unwrap_or_default().to_owned(),
            });
        }
    }

    fn count_mut(&mut self, outcome: Outcome) -> &mut u64 {
        match outcome {
            Outcome::Invited => &mut self.invited,
            Outcome::AlreadyInvited => &mut self.already_invited,
            Outcome::Failed => &mut self.failed,
            Outcome::Unknown => &mut self.unknown,
            Outcome::Invalid => &mut self.invalid,
        }
    }

    /// Rows listed in line order.
    pub fn sort(&mut self) {
        self.rows.sort_by_key(|r| r.line);
    }

    /// 0 when every valid row ended invited or already invited (and none
    /// was invalid); 1 otherwise. (2, bad input, is decided before a run.)
    pub fn exit_code(&self) -> u8 {
        let clean = self.failed == 0 && self.unknown == 0 && self.invalid == 0;
        u8::from(!(clean && self.not_started == 0))
    }

    /// The summary as one JSON object (one line, then a newline).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned());
        text.push('\n');
        text
    }

    /// The summary for a person, one line per row listed: its email and
    /// reason, which can come from the CSV file or the journal, have their
    /// control characters and line breaks escaped, so that they cannot
    /// forge lines or drive a terminal.
    pub fn to_text(&self) -> String {
        use crate::codegen::escape_controls;
        let mut out = String::new();
        let title = if self.dry_run {
            "dry run (nothing sent)"
        } else if self.interrupted {
            "interrupted"
        } else {
            "done"
        };
        let _ = writeln!(
            out,
            "{title}: {} invited, {} already invited, {} failed, {} unknown, {} invalid",
            self.invited, self.already_invited, self.failed, self.unknown, self.invalid
        );
        if let Some(count) = self.would_send_count {
            let rows = if count == 1 { "row" } else { "rows" };
            let _ = writeln!(out, "{count} {rows} would be sent");
        }
        if self.resumed > 0 {
            let _ = writeln!(
                out,
                "{} of them settled by an earlier run (journal), not sent again",
                self.resumed
            );
        }
        if self.not_started > 0 {
            let _ = writeln!(
                out,
                "{} rows not started: run the same command again to continue",
                self.not_started
            );
        }
        for row in &self.rows {
            let _ = writeln!(
                out,
                "  line {}: {} {}: {}",
                row.line,
                escape_controls(&row.email),
                row.outcome.as_str(),
                escape_controls(&row.reason)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        let mut s = Summary::default();
        s.record(2, "a@b.co", Outcome::Invited, None);
        s.record(3, "c@b.co", Outcome::AlreadyInvited, None);
        assert_eq!(s.exit_code(), 0);
        assert!(s.rows.is_empty());
        for outcome in [Outcome::Failed, Outcome::Unknown, Outcome::Invalid] {
            let mut t = s.clone();
            t.record(4, "d@b.co", outcome, Some("why"));
            assert_eq!(t.exit_code(), 1, "{outcome:?}");
        }
        let mut t = s.clone();
        t.not_started = 1;
        assert_eq!(t.exit_code(), 1);
    }

    #[test]
    fn json_has_the_issue_keys() {
        let mut s = Summary::default();
        s.record(7, "x@y.zz", Outcome::Unknown, Some("check it"));
        s.record(5, "bad", Outcome::Invalid, Some("malformed"));
        s.sort();
        let v: serde_json::Value = serde_json::from_str(&s.to_json()).unwrap();
        for key in ["invited", "already_invited", "failed", "unknown", "invalid"] {
            assert!(v[key].is_u64(), "{key}");
        }
        assert_eq!(
            v["rows"],
            serde_json::json!([
                {"line": 5, "email": "bad", "outcome": "invalid", "reason": "malformed"},
                {"line": 7, "email": "x@y.zz", "outcome": "unknown", "reason": "check it"},
            ])
        );
        let text = s.to_text();
        assert!(
            text.starts_with(
                "done: 0 invited, 0 already invited, 0 failed, 1 unknown, 1 invalid\n"
            )
        );
        assert!(
            text.contains("  line 5: bad invalid: malformed\n"),
            "{text}"
        );
    }

    /// Issue 25: a dry run says how many rows a run would send, in text
    /// and JSON; a run does not.
    #[test]
    fn a_dry_run_says_how_many_rows_would_be_sent() {
        let mut s = Summary {
            dry_run: true,
            would_send_count: Some(12),
            ..Summary::default()
        };
        s.record(5, "bad", Outcome::Invalid, Some("malformed"));
        assert_eq!(
            s.to_text(),
            "dry run (nothing sent): 0 invited, 0 already invited, 0 failed, 0 unknown, 1 \
             invalid\n12 rows would be sent\n  line 5: bad invalid: malformed\n"
        );
        let v: serde_json::Value = serde_json::from_str(&s.to_json()).unwrap();
        assert_eq!(v["would_send_count"], 12);
        s.would_send_count = Some(1);
        assert!(
            s.to_text().contains("\n1 row would be sent\n"),
            "{}",
            s.to_text()
        );
        let run = Summary::default();
        assert!(
            !run.to_text().contains("would be sent"),
            "{}",
            run.to_text()
        );
        let v: serde_json::Value = serde_json::from_str(&run.to_json()).unwrap();
        assert!(v.get("would_send_count").is_none(), "{v}");
    }

    #[test]
    fn text_escapes_what_came_from_a_file() {
        let mut s = Summary::default();
        s.record(
            2,
            "x\r\ndone: 999 invited\u{1b}[2J@y.zz",
            Outcome::Invalid,
            Some("bad\n  line 3: forged\u{85}"),
        );
        let text = s.to_text();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text}");
        assert!(
            text.ends_with(
                "  line 2: x\\r\\ndone: 999 invited\\u{1b}[2J@y.zz invalid: bad\\n  line 3: \
                 forged\\u{85}\n"
            ),
            "{text}"
        );
    }
}
