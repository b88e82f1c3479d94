//! Accepted changes (`invitations diff --ignore FILE`): a YAML list of the
//! changes a team has reviewed and accepted, each with its id, its location
//! and the reason, for example
//!
//! ```yaml
//! - id: request-property-became-required
//!   location: "#/components/schemas/HybridboxCreateInvitationRequest/properties/locale"
//!   reason: the vendor refuses invitations without a locale since 2026-10
//! ```
//!
//! An accepted change stays in the report, marked with its reason, and no
//! longer counts for `--fail-on`; the semver verdict still counts it (the
//! crate needs the bump either way). An entry that matches no change is
//! reported (a notice: once its change is merged, a pull request's check no
//! longer sees that change, rightly), and fails the run only with
//! `--fail-on-unmatched`, the way to prune the file.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Report, Rule};
use crate::codegen;

/// One accepted change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accepted {
    /// The change's id, as the report gives it.
    pub id: String,
    /// The change's location, as the report gives it (`#/...`).
    pub location: String,
    /// Why it is accepted.
    pub reason: String,
    /// The ignore file it is in, as named.
    #[serde(skip_deserializing)]
    pub file: String,
    /// 1-based line of the entry in the file.
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// An ignore file, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoreFile {
    /// The file's name, as given.
    pub file: String,
    /// Its entries, in order.
    pub entries: Vec<Accepted>,
}

/// A problem in an ignore file.
#[derive(Debug)]
pub struct IgnoreError {
    /// The file's name.
    pub file: String,
    /// 1-based line, when it can be told.
    pub line: Option<usize>,
    /// What is wrong, in lowercase.
    pub message: String,
    source: Option<serde_yaml::Error>,
}

impl fmt::Display for IgnoreError {
    /// One line, escaped and cut short ([`codegen::excerpt`]) whatever the
    /// file holds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = codegen::excerpt(&self.file, SHOWN);
        let message = codegen::excerpt(&self.message, SHOWN);
        match self.line {
            Some(line) => write!(f, "{file}:{line}: {message}"),
            None => write!(f, "{file}: {message}"),
        }
    }
}

/// How many characters of a file name or a message an error shows.
const SHOWN: usize = 1_000;
/// How many characters of the file an error quotes.
const QUOTED: usize = 200;

impl std::error::Error for IgnoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl IgnoreFile {
    /// Reads an ignore file's text; `file` names it in errors. Refuses an
    /// entry without an id, a location or a reason, and an id no rule has.
    pub fn parse(file: &str, text: &str) -> Result<IgnoreFile, IgnoreError> {
        let error = |line: Option<usize>, message: String| IgnoreError {
            file: file.to_owned(),
            line,
            message,
            source: None,
        };
        let root: Value = crate::codegen::parse_yaml(text).map_err(|e| IgnoreError {
            file: file.to_owned(),
            line: e.line,
            message: e.describe(),
            source: e.source,
        })?;
        let items = match &root {
            Value::Null => {
                return Ok(IgnoreFile {
                    file: file.to_owned(),
                    entries: Vec::new(),
                });
            }
            Value::Array(items) => items,
            _ => {
                return Err(error(
                    Some(1),
                    "an ignore file is a list of entries with `id`, `location` and `reason`"
                        .to_owned(),
                ));
            }
        };
        let lines = codegen::LineIndex::new(text);
        let mut entries = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let line = lines.line(&[i.to_string()]);
            let mut entry: Accepted = serde_json::from_value(item.clone())
                .map_err(|e| error(line, format!("entry {}: {e}", i + 1)))?;
            entry.line = line;
            entry.file = file.to_owned();
            if Rule::ALL.iter().all(|r| r.id() != entry.id) {
                return Err(error(
                    line,
                    format!(
                        "no change has the id `{}`",
                        codegen::excerpt(&entry.id, QUOTED)
                    ),
                ));
            }
            if !entry.location.starts_with('#') {
                return Err(error(
                    line,
                    format!(
                        "the location `{}` is not a `#/...` pointer",
                        codegen::excerpt(&entry.location, QUOTED)
                    ),
                ));
            }
            if entry.reason.trim().is_empty() {
                return Err(error(line, "the entry gives no reason".to_owned()));
            }
            entries.push(entry);
        }
        Ok(IgnoreFile {
            file: file.to_owned(),
            entries,
        })
    }
}

/// Marks the changes `ignore` accepts (same id and location) with the
/// entry's reason, and records the entries that match no change in
/// [`Report::unmatched_ignores`].
pub fn apply(report: &mut Report, ignore: &IgnoreFile) {
    let mut matched = vec![false; ignore.entries.len()];
    for change in &mut report.changes {
        let found = ignore
            .entries
            .iter()
            .position(|e| e.id == change.id && e.location == change.location);
        if let Some(i) = found {
            matched[i] = true;
            change.ignored = Some(ignore.entries[i].reason.clone());
        }
    }
    report.unmatched_ignores = ignore
        .entries
        .iter()
        .zip(matched)
        .filter(|(_, m)| !m)
        .map(|(e, _)| e.clone())
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Bump, Change, Impact, Level, Side};

    const FILE: &str = "\
- id: request-property-became-required
  location: '#/components/schemas/A/properties/b'
  reason: agreed with the vendor
- id: operation-removed
  location: '#/paths/~1gone/get'
  reason: long gone
";

    fn change(id: &str, location: &str) -> Change {
        Change {
            id: id.to_owned(),
            level: Level::Breaking,
            vendor: None,
            operation: None,
            operations: Vec::new(),
            location: location.to_owned(),
            line: None,
            side: Side::New,
            message: String::new(),
            wire: Impact {
                level: Level::Breaking,
                note: String::new(),
            },
            rust: Some(Impact {
                level: Level::Breaking,
                note: String::new(),
            }),
            semver: Some(Bump::Major),
            ignored: None,
        }
    }

    #[test]
    fn entries_are_read_with_their_lines() {
        let ignore = IgnoreFile::parse("ignore.yaml", FILE).unwrap();
        assert_eq!(ignore.entries.len(), 2);
        assert_eq!(ignore.entries[0].line, Some(1));
        assert_eq!(ignore.entries[1].line, Some(4));
        assert_eq!(ignore.entries[1].reason, "long gone");
        assert!(
            IgnoreFile::parse("ignore.yaml", "")
                .unwrap()
                .entries
                .is_empty()
        );
    }

    #[test]
    fn bad_entries_are_refused_at_their_line() {
        let unknown = FILE.replace("operation-removed", "operation-vanished");
        let e = IgnoreFile::parse("ignore.yaml", &unknown).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ignore.yaml:4: no change has the id `operation-vanished`"
        );
        let no_reason = FILE.replace("  reason: long gone\n", "");
        let e = IgnoreFile::parse("ignore.yaml", &no_reason).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("ignore.yaml:4: entry 2: missing field `reason`"),
            "{e}"
        );
        let e = IgnoreFile::parse("ignore.yaml", "id: x").unwrap_err();
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn matched_changes_carry_the_reason_and_the_rest_is_reported() {
        let ignore = IgnoreFile::parse("ignore.yaml", FILE).unwrap();
        let mut report = Report {
            semver: Some(Bump::Major),
            changes: vec![
                change(
                    "request-property-became-required",
                    "#/components/schemas/A/properties/b",
                ),
                change(
                    "request-property-became-required",
                    "#/components/schemas/A/properties/c",
                ),
            ],
            unmatched_ignores: Vec::new(),
        };
        apply(&mut report, &ignore);
        assert_eq!(
            report.changes[0].ignored.as_deref(),
            Some("agreed with the vendor")
        );
        assert_eq!(report.changes[1].ignored, None);
        assert_eq!(report.unmatched_ignores.len(), 1);
        assert_eq!(report.unmatched_ignores[0].id, "operation-removed");
        assert_eq!(
            report.semver,
            Some(Bump::Major),
            "the crate still needs the bump"
        );
    }
}
