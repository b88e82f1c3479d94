//! `--settle LINE=invited|not-invited`: the user's finding about a row whose
//! outcome the program could not know (`unknown`, or in flight when a run
//! stopped), after checking the vendor's console.
//!
//! A finding is recorded in the journal as the row's outcome, with the
//! reason saying it was settled by hand: `invited` counts as invited from
//! then on (never sent), `not-invited` as failed, which a run sends again
//! (this one: settling happens before the rows are planned). Only a valid
//! row of the file whose journal says `unknown` or `started` can be settled;
//! anything else is refused before anything is sent or written, so a typo
//! in a line number cannot mark the wrong person invited.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use super::journal::{self, Entry, Last};
use super::rows::Row;
use super::summary::Outcome;

/// What the user found in the vendor's console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finding {
    /// The invitation exists.
    Invited,
    /// It does not.
    NotInvited,
}

impl Finding {
    /// `invited` or `not-invited`, as written on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Finding::Invited => "invited",
            Finding::NotInvited => "not-invited",
        }
    }

    /// The outcome the journal records for it.
    fn outcome(self) -> Outcome {
        match self {
            Finding::Invited => Outcome::Invited,
            Finding::NotInvited => Outcome::Failed,
        }
    }
}

/// One `--settle LINE=FINDING`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settlement {
    /// The row's line in the CSV file.
    pub line: u64,
    /// What the user found.
    pub finding: Finding,
}

/// Reads `LINE=invited` or `LINE=not-invited`.
///
/// # Errors
/// A message saying what is expected.
pub fn parse(text: &str) -> Result<Settlement, String> {
    let bad = || {
        format!(
            "`{}` is not LINE=invited or LINE=not-invited (LINE: the row's line in the file)",
            super::excerpt(text, 40)
        )
    };
    let (line, finding) = text.split_once('=').ok_or_else(bad)?;
    let line: u64 = line
        .trim()
        .parse()
        .ok()
        .filter(|l| *l > 1)
        .ok_or_else(bad)?;
    let finding = match finding.trim() {
        "invited" => Finding::Invited,
        "not-invited" => Finding::NotInvited,
        _ => return Err(bad()),
    };
    Ok(Settlement { line, finding })
}

/// Why a settlement is refused (nothing is sent or written).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SettleError {
    /// No valid row of the file is on that line.
    NoRow {
        /// The line given.
        line: u64,
    },
    /// The row's outcome is known: there is nothing to settle.
    Known {
        /// The line given.
        line: u64,
        /// The row's email.
        email: String,
        /// What the journal says of it (`invited`, `failed`, `not sent yet`).
        state: String,
    },
    /// The same line is settled twice, differently.
    Twice {
        /// The line given.
        line: u64,
    },
}

impl fmt::Display for SettleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettleError::NoRow { line } => write!(
                f,
                "--settle {line}: no valid row of the file is on line {line}"
            ),
            SettleError::Known { line, email, state } => write!(
                f,
                "--settle {line}: the row of {} is {state}, not unknown: there is nothing to settle",
                super::excerpt(email, 100)
            ),
            SettleError::Twice { line } => {
                write!(f, "--settle {line}: the line is settled twice, differently")
            }
        }
    }
}

impl std::error::Error for SettleError {}

/// The journal entries that record `settlements` of `rows`, given what the
/// journal says (`last`, by email), which they update: the rows are then
/// planned as the entries say.
///
/// # Errors
/// [`SettleError`] for a line with no valid row, a row whose outcome is
/// known, or a line settled twice differently.
pub(crate) fn apply(
    settlements: &[Settlement],
    rows: &[Row],
    last: &mut HashMap<String, Last>,
) -> Result<Vec<Entry>, SettleError> {
    let mut findings: BTreeMap<u64, Finding> = BTreeMap::new();
    for s in settlements {
        if findings
            .insert(s.line, s.finding)
            .is_some_and(|f| f != s.finding)
        {
            return Err(SettleError::Twice { line: s.line });
        }
    }
    let mut entries = Vec::new();
    for (&line, &finding) in &findings {
        let row = rows
            .iter()
            .find(|r| r.line == line)
            .ok_or(SettleError::NoRow { line })?;
        let state = match last.get(&row.key()) {
            Some(Last::Started { .. })
            | Some(Last::Done {
                outcome: Outcome::Unknown,
                ..
            }) => None,
            Some(Last::Done { outcome, .. }) => Some(outcome.as_str().replace('_', " ")),
            None => Some("not sent yet".to_owned()),
        };
        if let Some(state) = state {
            return Err(SettleError::Known {
                line,
                email: row.email.clone(),
                state,
            });
        }
        let reason = format!(
            "settled by hand (--settle {line}={}): {}",
            finding.as_str(),
            match finding {
                Finding::Invited => "the invitation exists; never sent again",
                Finding::NotInvited => "no invitation exists; sent again",
            }
        );
        last.insert(
            row.key(),
            Last::Done {
                outcome: finding.outcome(),
                reason: Some(reason.clone()),
            },
        );
        entries.push(Entry::Outcome {
            line,
            email: row.email.clone(),
            outcome: finding.outcome(),
            reason: Some(reason),
            id: None,
            at: journal::now(),
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bulk::Vendor;
    use crate::bulk::journal::Plan;

    fn row(line: u64, email: &str) -> Row {
        let text = format!("email,account_rbac_role\n{email},global-admin\n");
        let mut rows = crate::bulk::rows::parse(text.as_bytes(), "t.csv", Vendor::Automox).unwrap();
        let mut row = rows.valid.remove(0);
        row.line = line;
        row
    }

    #[test]
    fn settlements_are_read_from_the_command_line() {
        assert_eq!(
            parse("7=invited"),
            Ok(Settlement {
                line: 7,
                finding: Finding::Invited
            })
        );
        assert_eq!(
            parse("12=not-invited").unwrap().finding,
            Finding::NotInvited
        );
        for bad in [
            "7",
            "x=invited",
            "1=invited",
            "0=invited",
            "7=maybe",
            "=invited",
        ] {
            assert!(parse(bad).unwrap_err().contains("LINE=invited"), "{bad}");
        }
    }

    #[test]
    fn unknown_and_started_rows_are_settled_and_planned_so() {
        let rows = [row(2, "a@example.com"), row(3, "B@example.com")];
        let mut last = HashMap::from([
            (
                "a@example.com".to_owned(),
                Last::Done {
                    outcome: Outcome::Unknown,
                    reason: None,
                },
            ),
            ("b@example.com".to_owned(), Last::Started { line: 3 }),
        ]);
        let settle = [parse("2=invited").unwrap(), parse("3=not-invited").unwrap()];
        let entries = apply(&settle, &rows, &mut last).unwrap();
        assert_eq!(entries.len(), 2);
        let Entry::Outcome {
            line,
            outcome,
            reason,
            ..
        } = &entries[1]
        else {
            panic!("{entries:?}")
        };
        assert_eq!((*line, *outcome), (3, Outcome::Failed));
        assert!(
            reason
                .as_deref()
                .unwrap()
                .starts_with("settled by hand (--settle 3=not-invited)")
        );
        // Invited is skipped and counted; not-invited is sent (Automox too).
        assert!(matches!(
            journal::plan(Vendor::Automox, last.get("a@example.com")),
            Plan::Skip(Outcome::Invited, _)
        ));
        assert_eq!(
            journal::plan(Vendor::Automox, last.get("b@example.com")),
            Plan::Send
        );
    }

    #[test]
    fn rows_with_a_known_outcome_or_no_row_are_refused() {
        let rows = [row(2, "a@example.com"), row(3, "b@example.com")];
        let mut last = HashMap::from([(
            "a@example.com".to_owned(),
            Last::Done {
                outcome: Outcome::Invited,
                reason: None,
            },
        )]);
        let refused = |s: &str, last: &mut HashMap<String, Last>| {
            apply(&[parse(s).unwrap()], &rows, last)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            refused("2=not-invited", &mut last),
            "--settle 2: the row of a@example.com is invited, not unknown: there is nothing to settle"
        );
        assert!(refused("3=invited", &mut last).contains("is not sent yet"));
        assert_eq!(
            refused("9=invited", &mut last),
            "--settle 9: no valid row of the file is on line 9"
        );
        let twice = [parse("2=invited").unwrap(), parse("2=not-invited").unwrap()];
        assert_eq!(
            apply(&twice, &rows, &mut last),
            Err(SettleError::Twice { line: 2 })
        );
        // Nothing was changed by the refusals.
        assert_eq!(last.len(), 1);
    }
}
