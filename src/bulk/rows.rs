//! The CSV file: its header, its rows, and each row's validation into the
//! request body the generated client sends.
//!
//! Line numbers are the file's own (the header is line 1; a record whose
//! quoted field spans lines is numbered by its first line). Every row is
//! checked before anything is sent; a bad row becomes an [`Invalid`] with
//! its line and reason and the others go ahead. Values are trimmed.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use crate::{automox, hybridbox};

use super::Vendor;

/// A row that passed validation: its line, its email and the body to send.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The row's line in the file (header = 1).
    pub line: u64,
    /// The email as written (trimmed).
    pub email: String,
    /// The request body, built with the generated builders.
    pub body: Body,
}

impl Row {
    /// The key rows and journal entries are matched by: the email in lower
    /// case.
    pub fn key(&self) -> String {
        self.email.to_lowercase()
    }
}

/// The body of one create, per vendor.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// A Hybridbox create.
    Hybridbox(hybridbox::types::CreateInvitationRequest),
    /// An Automox create.
    Automox(automox::types::CreateInvitationRequest),
}

impl Body {
    /// The body as the client sends it, as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Body::Hybridbox(b) => serde_json::to_value(b),
            Body::Automox(b) => serde_json::to_value(b),
        }
        .unwrap_or(serde_json::Value::Null)
    }
}

/// A row refused before sending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// The row's line in the file.
    pub line: u64,
    /// The email as written (may be empty or malformed).
    pub email: String,
    /// Why it was refused.
    pub reason: String,
}

/// The rows of a file, valid and not, each in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rows {
    /// The rows to send.
    pub valid: Vec<Row>,
    /// The rows refused.
    pub invalid: Vec<Invalid>,
}

/// Why the file as a whole cannot be used (exit code 2; nothing is sent).
#[derive(Debug)]
#[non_exhaustive]
pub enum InputError {
    /// The file cannot be read.
    Read {
        /// The file.
        path: String,
        /// The failure.
        source: std::io::Error,
    },
    /// The file is not CSV the reader understands.
    Csv {
        /// The file.
        path: String,
        /// The failure.
        source: csv::Error,
    },
    /// The header row is missing a required column, names an unknown or
    /// repeated one, or is absent.
    Header {
        /// The file.
        path: String,
        /// What is wrong.
        problem: String,
    },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Read { path, .. } => write!(f, "cannot read the csv file `{path}`"),
            InputError::Csv { path, .. } => write!(f, "cannot parse the csv file `{path}`"),
            InputError::Header { path, problem } => {
                write!(f, "bad header (line 1) in `{path}`: {problem}")
            }
        }
    }
}

impl std::error::Error for InputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InputError::Read { source, .. } => Some(source),
            InputError::Csv { source, .. } => Some(source),
            InputError::Header { .. } => None,
        }
    }
}

/// The columns a vendor's file may have; the first is required for both,
/// Automox also requires `account_rbac_role`.
pub fn columns(vendor: Vendor) -> &'static [&'static str] {
    match vendor {
        Vendor::Hybridbox => &["email", "locale", "note", "role_key"],
        Vendor::Automox => &["email", "account_rbac_role", "zones"],
    }
}

fn required(vendor: Vendor) -> &'static [&'static str] {
    match vendor {
        Vendor::Hybridbox => &["email"],
        Vendor::Automox => &["email", "account_rbac_role"],
    }
}

/// Reads and validates the file at `path`.
///
/// # Errors
/// [`InputError`] when the file cannot be read or its header is wrong.
pub fn read(path: &Path, vendor: Vendor) -> Result<Rows, InputError> {
    let file = std::fs::File::open(path).map_err(|source| InputError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse(
        std::io::BufReader::new(file),
        &path.display().to_string(),
        vendor,
    )
}

/// Validates CSV text from `input`; `name` names it in errors.
///
/// # Errors
/// As [`read`].
pub fn parse(input: impl std::io::Read, name: &str, vendor: Vendor) -> Result<Rows, InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(input);
    let csv_error = |source| InputError::Csv {
        path: name.to_owned(),
        source,
    };
    let header_error = |problem: String| InputError::Header {
        path: name.to_owned(),
        problem,
    };
    let mut records = reader.records();
    let header = match records.next() {
        None => return Err(header_error("the file is empty".to_owned())),
        Some(Err(e)) => return Err(csv_error(e)),
        Some(Ok(h)) => h,
    };
    let header = Header::new(&header, vendor).map_err(header_error)?;
    let mut rows = Rows::default();
    let mut seen: HashSet<String> = HashSet::new();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => match e.kind() {
                csv::ErrorKind::Utf8 { pos, .. } => {
                    let line = pos.as_ref().map_or(0, csv::Position::line);
                    rows.invalid.push(Invalid {
                        line,
                        email: String::new(),
                        reason: "the row is not valid utf-8".to_owned(),
                    });
                    continue;
                }
                _ => return Err(csv_error(e)),
            },
        };
        let line = record.position().map_or(0, csv::Position::line);
        let field = |column: &str| header.field(&record, column);
        let email = field("email").unwrap_or_default().to_owned();
        let checked = if record.len() != header.len {
            Err(format!(
                "expected {} fields as in the header, found {}",
                header.len,
                record.len()
            ))
        } else {
            validate(vendor, &field)
        };
        match checked {
            Ok(body) if !seen.insert(email.to_lowercase()) => {
                drop(body);
                let first = rows
                    .valid
                    .iter()
                    .find(|r| r.email.eq_ignore_ascii_case(&email))
                    .map_or(0, |r| r.line);
                rows.invalid.push(Invalid {
                    line,
                    email,
                    reason: format!("duplicate email: already on line {first}"),
                });
            }
            Ok(body) => rows.valid.push(Row { line, email, body }),
            Err(reason) => rows.invalid.push(Invalid {
                line,
                email,
                reason,
            }),
        }
    }
    Ok(rows)
}

/// Where each known column is in the file.
struct Header {
    positions: Vec<(&'static str, usize)>,
    len: usize,
}

impl Header {
    fn new(record: &csv::StringRecord, vendor: Vendor) -> Result<Header, String> {
        let known = columns(vendor);
        let mut positions = Vec::new();
        for (index, name) in record.iter().enumerate() {
            let name = name.trim().trim_start_matches('\u{feff}').to_lowercase();
            let Some(column) = known.iter().find(|k| **k == name) else {
                return Err(format!(
                    "unknown column `{name}`; {vendor} files have {}",
                    known.join(", ")
                ));
            };
            if positions.iter().any(|(c, _)| c == column) {
                return Err(format!("column `{name}` appears twice"));
            }
            positions.push((*column, index));
        }
        for column in required(vendor) {
            if !positions.iter().any(|(c, _)| c == column) {
                return Err(format!("the required column `{column}` is missing"));
            }
        }
        Ok(Header {
            positions,
            len: record.len(),
        })
    }

    /// The trimmed value of `column` in `record`, `None` when the column is
    /// absent from the file or the value is empty.
    fn field<'r>(&self, record: &'r csv::StringRecord, column: &str) -> Option<&'r str> {
        let (_, index) = self.positions.iter().find(|(c, _)| *c == column)?;
        record
            .get(*index)
            .map(str::trim)
            .filter(|value| !value.is_empty())
    }
}

/// The body of a row, or why it is refused.
fn validate<'r>(vendor: Vendor, field: &dyn Fn(&str) -> Option<&'r str>) -> Result<Body, String> {
    let email = field("email").ok_or("email is empty")?;
    check_email(email)?;
    match vendor {
        Vendor::Hybridbox => {
            let mut body = hybridbox::types::CreateInvitationRequest::builder().email(email);
            if let Some(locale) = field("locale") {
                check_word("locale", locale)?;
                body = body.locale(locale.to_owned());
            }
            if let Some(note) = field("note") {
                body = body.note(note.to_owned());
            }
            if let Some(role) = field("role_key") {
                // A free string in the document (the vendor lists examples,
                // not a closed set): only its shape is checked.
                check_word("role_key", role)?;
                let assignment = hybridbox::types::AssignmentRequest::builder()
                    .role_key(role.to_owned())
                    .try_into()
                    .map_err(|e| format!("role_key: {e}"))?;
                body = body.assignments(vec![assignment]);
            }
            body.try_into()
                .map(Body::Hybridbox)
                .map_err(|e: hybridbox::types::error::ConversionError| e.to_string())
        }
        Vendor::Automox => {
            let role = field("account_rbac_role").ok_or("account_rbac_role is empty")?;
            // Both names of the role without global access are taken:
            // `no-global-access` (the vendor's own client) and
            // `non-global-admin` (its request documentation).
            let role: automox::types::AccountRbacRole = role.parse().map_err(|_| {
                format!(
                    "unknown account_rbac_role `{role}` (one of global-admin, no-global-access, \
                     non-global-admin)"
                )
            })?;
            let zones = match field("zones") {
                Some(zones) => parse_zones(zones)?,
                None => Vec::new(),
            };
            automox::types::CreateInvitationRequest::builder()
                .email(email)
                .account_rbac_role(role)
                .zone_assignments(zones)
                .try_into()
                .map(Body::Automox)
                .map_err(|e: automox::types::error::ConversionError| e.to_string())
        }
    }
}

/// Automox zones: `zone_id:role;zone_id:role`.
fn parse_zones(zones: &str) -> Result<Vec<automox::types::ZoneAssignment>, String> {
    let mut out = Vec::new();
    for entry in zones.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let (id, role) = entry
            .split_once(':')
            .ok_or_else(|| format!("zone `{entry}` is not written `zone_id:role`"))?;
        let (id, role) = (id.trim(), role.trim());
        let zone_id: uuid::Uuid = id
            .parse()
            .map_err(|_| format!("zone id `{id}` is not a valid uuid"))?;
        let rbac_role: automox::types::ZoneRbacRole = role
            .parse()
            .map_err(|_| format!("unknown zone role `{role}` for zone {zone_id}"))?;
        if out
            .iter()
            .any(|z: &automox::types::ZoneAssignment| z.zone_id == zone_id)
        {
            return Err(format!("zone {zone_id} appears twice"));
        }
        out.push(automox::types::ZoneAssignment { rbac_role, zone_id });
    }
    Ok(out)
}

/// A plausible email address: one `@`, a local part, a domain of dot-separated
/// labels with at least one dot, no spaces or control characters, at most 254
/// characters.
pub fn check_email(email: &str) -> Result<(), String> {
    let malformed = |why: &str| Err(format!("malformed email `{}`: {why}", email.escape_debug()));
    if email.len() > 254 {
        return malformed("longer than 254 characters");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return malformed("contains a space or control character");
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return malformed("no `@`");
    };
    if local.is_empty() || local.contains('@') {
        return malformed("the part before `@` is empty or holds another `@`");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 || labels.iter().any(|l| l.is_empty() || l.starts_with('-')) {
        return malformed("the domain is not a dotted name");
    }
    Ok(())
}

/// A single word: no spaces or control characters.
fn check_word(column: &str, value: &str) -> Result<(), String> {
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{column} `{}` contains a space or control character",
            value.escape_debug()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(vendor: Vendor, text: &str) -> Rows {
        parse(text.as_bytes(), "t.csv", vendor).unwrap()
    }

    #[test]
    fn hybridbox_rows_build_bodies_with_line_numbers() {
        let r = rows(
            Vendor::Hybridbox,
            "email,locale,note,role_key\nada@example.com,de-DE,\"hi,\nthere\",viewer\nbob@example.com,,,\n",
        );
        assert!(r.invalid.is_empty(), "{:?}", r.invalid);
        assert_eq!(r.valid.len(), 2);
        assert_eq!((r.valid[0].line, r.valid[1].line), (2, 4));
        let json = r.valid[0].body.to_json();
        assert_eq!(json["assignments"][0]["role_key"], "viewer");
        assert_eq!(json["note"], "hi,\nthere");
        assert_eq!(
            r.valid[1].body.to_json(),
            serde_json::json!({"email": "bob@example.com"})
        );
    }

    #[test]
    fn bad_rows_are_reported_with_their_line_and_reason() {
        let r = rows(
            Vendor::Automox,
            "email,account_rbac_role,zones\n\
             ada@example.com,global-admin,\n\
             not-an-email,global-admin,\n\
             bob@example.com,superuser,\n\
             cy@example.com,non-global-admin,nope:read-only\n\
             di@example.com,non-global-admin,3fa85f64-5717-4562-b3fc-2c963f66afa6:boss\n\
             ADA@example.com,global-admin,\n\
             ed@example.com,global-admin\n\
             fay@example.com,non-global-admin,3fa85f64-5717-4562-b3fc-2c963f66afa6:read-only\n\
             gus@example.com,no-global-access,3fa85f64-5717-4562-b3fc-2c963f66afa6:zone-admin\n",
        );
        let lines: Vec<(u64, &str)> = r
            .invalid
            .iter()
            .map(|i| (i.line, i.reason.as_str()))
            .collect();
        assert_eq!(lines.len(), 6, "{lines:?}");
        assert!(lines[0].1.starts_with("malformed email"), "{lines:?}");
        assert_eq!(lines[0].0, 3);
        assert_eq!(lines[1].0, 4);
        assert!(
            lines[1].1.starts_with(
                "unknown account_rbac_role `superuser` (one of global-admin, no-global-access,"
            ),
            "{lines:?}"
        );
        assert_eq!(lines[2], (5, "zone id `nope` is not a valid uuid"));
        assert!(lines[3].1.starts_with("unknown zone role `boss`"));
        assert_eq!(lines[4], (7, "duplicate email: already on line 2"));
        assert_eq!(lines[5].0, 8);
        assert_eq!(
            r.valid.iter().map(|v| v.line).collect::<Vec<_>>(),
            [2, 9, 10]
        );
        assert_eq!(
            r.valid[1].body.to_json()["zone_assignments"][0]["rbac_role"],
            "read-only"
        );
        // Both names of the role without global access are sent as written.
        assert_eq!(
            r.valid[1].body.to_json()["account_rbac_role"],
            "non-global-admin"
        );
        assert_eq!(
            r.valid[2].body.to_json()["account_rbac_role"],
            "no-global-access"
        );
    }

    #[test]
    fn bad_headers_are_errors() {
        for (vendor, text, expected) in [
            (Vendor::Hybridbox, "", "the file is empty"),
            (Vendor::Hybridbox, "mail\n", "unknown column `mail`"),
            (Vendor::Hybridbox, "email,email\n", "appears twice"),
            (Vendor::Automox, "email\n", "`account_rbac_role` is missing"),
            (Vendor::Hybridbox, "locale\n", "`email` is missing"),
        ] {
            let e = parse(text.as_bytes(), "t.csv", vendor).unwrap_err();
            assert!(e.to_string().contains(expected), "{e} / {expected}");
        }
    }

    #[test]
    fn emails() {
        for ok in ["a@b.co", "first.last+tag@sub.example.org"] {
            assert!(check_email(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "a", "a@b", "@b.co", "a@.co", "a b@c.de", "a@b..co", "a@b@c.de",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }
}
