//! The CSV file: its header, its rows, and each row's validation into the
//! request body the generated client sends.
//!
//! Line numbers are the file's own (the header is line 1; a record whose
//! quoted field spans lines is numbered by its first line). Every row is
//! checked before anything is sent; a bad row becomes an [`Invalid`] with
//! its line and reason and the others go ahead. Values are trimmed.
//!
//! The file is read as a stream, one record at a time: a record longer than
//! [`MAX_RECORD`] bytes, or more than [`MAX_ROWS`] rows, stop the reading
//! with an error naming the line, so that a file that never ends (a
//! device, a FIFO fed forever) ends the run instead of memory. What is kept
//! of a row is its body (at most a record's size) or, for a bad row, a
//! short excerpt; text from the file is quoted in reasons and errors as a
//! short excerpt with control characters escaped.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::path::Path;
use std::rc::Rc;

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

/// The longest record (a row, or the header) read, in bytes as written:
/// from the end of the record before it (empty lines between them
/// included) to its own line break, quotes and line breaks inside quoted
/// fields included.
pub const MAX_RECORD: u64 = 64 * 1024;

/// The most rows (records after the header) a file may have.
pub const MAX_ROWS: u64 = 1_000_000;

/// The longest email an invalid row keeps for the summary, in characters
/// (a valid one has at most 254).
const KEPT_EMAIL: usize = 254;

/// How much of a column name or value a message quotes, in characters.
const QUOTED: usize = 40;

/// Why the file as a whole cannot be used (exit code 2; nothing is sent).
#[derive(Debug)]
#[non_exhaustive]
pub enum InputError {
    /// The file cannot be opened or read.
    Read {
        /// The file.
        path: String,
        /// The line being read when it failed (`None`: it could not be
        /// opened).
        line: Option<u64>,
        /// The failure.
        source: std::io::Error,
    },
    /// A record is longer than [`MAX_RECORD`].
    RecordTooLong {
        /// The file.
        path: String,
        /// The record's first line.
        line: u64,
    },
    /// The file has more than [`MAX_ROWS`] rows.
    TooManyRows {
        /// The file.
        path: String,
        /// The first row past the limit.
        line: u64,
    },
    /// The header row is missing a required column, names an unknown or
    /// repeated one, is not UTF-8, or is absent.
    Header {
        /// The file.
        path: String,
        /// What is wrong (a short, escaped excerpt of the header at most).
        problem: String,
    },
}

impl InputError {
    /// The line the error is about (the header's is 1); `None` when the
    /// file could not be opened.
    pub fn line(&self) -> Option<u64> {
        match self {
            InputError::Read { line, .. } => *line,
            InputError::RecordTooLong { line, .. } | InputError::TooManyRows { line, .. } => {
                Some(*line)
            }
            InputError::Header { .. } => Some(1),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::Read {
                path, line: None, ..
            } => write!(f, "cannot read the csv file `{path}`"),
            InputError::Read {
                path,
                line: Some(line),
                ..
            } => write!(f, "cannot read the csv file `{path}` at line {line}"),
            InputError::RecordTooLong { path, line } => write!(
                f,
                "the record at line {line} of `{path}` is longer than {MAX_RECORD} bytes (is \
                 this a csv file of users?)"
            ),
            InputError::TooManyRows { path, line } => write!(
                f,
                "`{path}` has more than {MAX_ROWS} rows (line {line} is past them): split it \
                 into several files"
            ),
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
            _ => None,
        }
    }
}

/// Reading stopped by [`Capped`]: the record being read is too long.
#[derive(Debug)]
struct TooLong;

impl fmt::Display for TooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("record too long")
    }
}

impl std::error::Error for TooLong {}

/// The CSV reader's buffer, in bytes.
const BUFFER: usize = 8 * 1024;

/// The bytes [`Capped`] has read and the CSV reader has not returned in a
/// record yet: those of the record being read, and a buffer ahead.
#[derive(Default)]
struct Unread {
    /// The bytes.
    bytes: VecDeque<u8>,
    /// The offset in the file of the first.
    offset: u64,
}

impl Unread {
    /// Forgets the bytes before `offset` (the end of a record read).
    fn forget_until(&mut self, offset: u64) {
        let n = usize::try_from(offset.saturating_sub(self.offset)).unwrap_or(usize::MAX);
        let n = n.min(self.bytes.len());
        self.bytes.drain(..n);
        self.offset += n as u64;
    }

    /// How many line breaks (`\n`) the bytes from `offset` on start with,
    /// among the line breaks (`\r`, `\n`) before the first other byte: the
    /// empty lines the CSV reader skips before a record.
    fn empty_lines_at(&self, offset: u64) -> u64 {
        let skip = usize::try_from(offset.saturating_sub(self.offset)).unwrap_or(usize::MAX);
        let leading = self.bytes.iter().skip(skip);
        leading
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .filter(|b| **b == b'\n')
            .count() as u64
    }
}

/// The input, keeping what it read in [`Unread`], and failing with
/// [`TooLong`] once that holds more than `limit` bytes: the CSV reader reads
/// at most a buffer ahead of the record it returns, so a record of up to
/// [`MAX_RECORD`] bytes never trips it with `limit` = [`MAX_RECORD`] + 2 ×
/// [`BUFFER`], and an endless one stops there.
struct Capped<R> {
    inner: R,
    unread: Rc<RefCell<Unread>>,
    limit: usize,
}

impl<R: std::io::Read> std::io::Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut unread = self.unread.borrow_mut();
        if unread.bytes.len() > self.limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                TooLong,
            ));
        }
        let n = self.inner.read(buf)?;
        unread.bytes.extend(&buf[..n]);
        Ok(n)
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
/// [`InputError`] when the file cannot be read, its header is wrong, a
/// record is too long or there are too many rows.
pub fn read(path: &Path, vendor: Vendor) -> Result<Rows, InputError> {
    let file = std::fs::File::open(path).map_err(|source| InputError::Read {
        path: path.display().to_string(),
        line: None,
        source,
    })?;
    parse(file, &path.display().to_string(), vendor)
}

/// Validates CSV text from `input`, read as a stream; `name` names it in
/// errors.
///
/// # Errors
/// As [`read`].
pub fn parse(input: impl std::io::Read, name: &str, vendor: Vendor) -> Result<Rows, InputError> {
    parse_capped(input, name, vendor, MAX_ROWS)
}

/// A record of the file, as [`Records::next`] reads it.
enum Next {
    /// A record and its first line.
    Record(csv::StringRecord, u64),
    /// A record that is not UTF-8, by its first line.
    NotUtf8(u64),
    /// The end of the file.
    End,
}

/// The records of a file, read one at a time within [`MAX_RECORD`].
struct Records<'n, R> {
    reader: csv::Reader<Capped<R>>,
    /// What [`Capped`] read that no record returned yet holds.
    unread: Rc<RefCell<Unread>>,
    record: csv::ByteRecord,
    name: &'n str,
}

impl<'n, R: std::io::Read> Records<'n, R> {
    fn new(input: R, name: &'n str) -> Self {
        let unread = Rc::new(RefCell::new(Unread::default()));
        let capped = Capped {
            inner: input,
            unread: unread.clone(),
            limit: MAX_RECORD as usize + 2 * BUFFER,
        };
        let reader = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .buffer_capacity(BUFFER)
            .from_reader(capped);
        Records {
            reader,
            unread,
            record: csv::ByteRecord::new(),
            name,
        }
    }

    fn next(&mut self) -> Result<Next, InputError> {
        let start = self.reader.position().clone();
        // The reader numbers a record by where the last one ended: the
        // empty lines it skips before this one are counted here.
        let line = start.line() + self.unread.borrow().empty_lines_at(start.byte());
        let path = self.name.to_owned();
        match self.reader.read_byte_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => return Ok(Next::End),
            Err(e) => {
                let source = match e.into_kind() {
                    csv::ErrorKind::Io(e) if e.get_ref().is_some_and(|e| e.is::<TooLong>()) => {
                        return Err(InputError::RecordTooLong { path, line });
                    }
                    csv::ErrorKind::Io(source) => source,
                    // Not raised by a flexible reader of byte records.
                    other => std::io::Error::other(format!("{other:?}")),
                };
                return Err(InputError::Read {
                    path,
                    line: Some(line),
                    source,
                });
            }
        }
        let end = self.reader.position().byte();
        self.unread.borrow_mut().forget_until(end);
        if end - start.byte() > MAX_RECORD {
            return Err(InputError::RecordTooLong { path, line });
        }
        Ok(
            match csv::StringRecord::from_byte_record(std::mem::take(&mut self.record)) {
                Ok(record) => Next::Record(record, line),
                Err(_) => Next::NotUtf8(line),
            },
        )
    }
}

/// [`parse`] with at most `max_rows` rows.
fn parse_capped(
    input: impl std::io::Read,
    name: &str,
    vendor: Vendor,
    max_rows: u64,
) -> Result<Rows, InputError> {
    let mut records = Records::new(input, name);
    let header_error = |problem: String| InputError::Header {
        path: name.to_owned(),
        problem,
    };
    let header = match records.next()? {
        Next::End => return Err(header_error("the file is empty".to_owned())),
        Next::Record(header, _) => header,
        Next::NotUtf8(_) => return Err(header_error("the header is not valid utf-8".to_owned())),
    };
    let header = Header::new(&header, vendor).map_err(header_error)?;
    let mut rows = Rows::default();
    // Each email (lower case) and the line it was first valid on.
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut count = 0;
    loop {
        let (record, line) = match records.next()? {
            Next::End => break,
            Next::Record(record, line) => (Some(record), line),
            Next::NotUtf8(line) => (None, line),
        };
        count += 1;
        if count > max_rows {
            return Err(InputError::TooManyRows {
                path: name.to_owned(),
                line,
            });
        }
        let Some(record) = record else {
            rows.invalid.push(Invalid {
                line,
                email: String::new(),
                reason: "the row is not valid utf-8".to_owned(),
            });
            continue;
        };
        let field = |column: &str| header.field(&record, column);
        let email = field("email").unwrap_or_default();
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
            Ok(body) => match seen.entry(email.to_lowercase()) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    drop(body);
                    rows.invalid.push(Invalid {
                        line,
                        email: email.to_owned(),
                        reason: format!("duplicate email: already on line {}", first.get()),
                    });
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(line);
                    rows.valid.push(Row {
                        line,
                        email: email.to_owned(),
                        body,
                    });
                }
            },
            Err(reason) => rows.invalid.push(Invalid {
                line,
                email: kept(email),
                reason,
            }),
        }
    }
    Ok(rows)
}

/// What an invalid row keeps of its email: at most [`KEPT_EMAIL`]
/// characters, then `…`.
fn kept(email: &str) -> String {
    match email.char_indices().nth(KEPT_EMAIL) {
        Some((cut, _)) => format!("{}…", &email[..cut]),
        None => email.to_owned(),
    }
}

/// A short, escaped excerpt of a value from the file, for a message.
fn quoted(value: &str) -> String {
    super::excerpt(value, QUOTED)
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
        for (index, written) in record.iter().enumerate() {
            let name = written.trim().trim_start_matches('\u{feff}').to_lowercase();
            let Some(column) = known.iter().find(|k| **k == name) else {
                // Only a short excerpt, and none of a name with control
                // characters: the first line of a file that is not a CSV
                // file of users (`/proc/self/environ`) can hold secrets.
                let unknown = if written.chars().any(char::is_control) {
                    format!(
                        "column {} is unknown and holds control characters (not shown)",
                        index + 1
                    )
                } else {
                    format!("unknown column `{}`", quoted(&name))
                };
                return Err(format!(
                    "{unknown}; {vendor} files have {}",
                    known.join(", ")
                ));
            };
            if positions.iter().any(|(c, _)| c == column) {
                return Err(format!("column `{column}` appears twice"));
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
                    "unknown account_rbac_role `{}` (one of global-admin, no-global-access, \
                     non-global-admin)",
                    quoted(role)
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

/// Automox zones: `zone_id:role;zone_id:role`, each zone once (checked
/// in linear time; the number of zones is bounded by [`MAX_RECORD`]).
fn parse_zones(zones: &str) -> Result<Vec<automox::types::ZoneAssignment>, String> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for entry in zones.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let (id, role) = entry
            .split_once(':')
            .ok_or_else(|| format!("zone `{}` is not written `zone_id:role`", quoted(entry)))?;
        let (id, role) = (id.trim(), role.trim());
        let zone_id: uuid::Uuid = id
            .parse()
            .map_err(|_| format!("zone id `{}` is not a valid uuid", quoted(id)))?;
        let rbac_role: automox::types::ZoneRbacRole = role
            .parse()
            .map_err(|_| format!("unknown zone role `{}` for zone {zone_id}", quoted(role)))?;
        if !seen.insert(zone_id) {
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
    let malformed = |why: &str| {
        Err(format!(
            "malformed email `{}`: {why}",
            super::excerpt(email, 60)
        ))
    };
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
            quoted(value)
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

    #[test]
    fn lines_count_the_empty_lines_before_a_record() {
        let r = rows(
            Vendor::Hybridbox,
            "email\n\n\nada@example.com\r\n\r\nbob@example.com\n\"x\ny\"@a.bc\nzed\u{1b}@a.bc\n",
        );
        assert_eq!(r.valid.iter().map(|r| r.line).collect::<Vec<_>>(), [4, 6]);
        assert_eq!(r.invalid.iter().map(|r| r.line).collect::<Vec<_>>(), [7, 9]);
    }

    /// A row of `length` bytes with its line break.
    fn row_of(length: usize) -> String {
        let start = "ada@example.com,en,";
        let end = ",viewer\n";
        format!(
            "{start}{}{end}",
            "n".repeat(length - start.len() - end.len())
        )
    }

    #[test]
    fn a_record_longer_than_the_cap_is_an_error_naming_its_line() {
        let header = "email,locale,note,role_key\n";
        let longest = row_of(MAX_RECORD as usize);
        let text = format!("{header}{longest}");
        let r = rows(Vendor::Hybridbox, &text);
        assert_eq!(r.valid[0].line, 2);
        let text = format!("{header}{longest}{}", row_of(MAX_RECORD as usize + 1));
        let e = parse(text.as_bytes(), "t.csv", Vendor::Hybridbox).unwrap_err();
        assert!(
            matches!(e, InputError::RecordTooLong { line: 3, .. }),
            "{e}"
        );
        assert!(
            e.to_string()
                .starts_with("the record at line 3 of `t.csv` is longer than 65536 bytes"),
            "{e}"
        );
    }

    #[test]
    fn input_that_never_ends_stops_at_the_cap() {
        use std::io::Read;
        let endless = std::io::repeat(0);
        let e = parse(endless, "zero", Vendor::Hybridbox).unwrap_err();
        assert!(
            matches!(e, InputError::RecordTooLong { line: 1, .. }),
            "{e}"
        );
        // A quoted field of line breaks that never closes, after a row.
        let start = "email,note\nada@example.com,x\nbob@example.com,\"".as_bytes();
        let endless = start.chain(std::io::repeat(b'\n'));
        let e = parse(endless, "fifo", Vendor::Hybridbox).unwrap_err();
        assert!(
            matches!(e, InputError::RecordTooLong { line: 3, .. }),
            "{e}"
        );
        // Rows that never end stop at the most rows.
        let rows = "email\n"
            .as_bytes()
            .chain(std::io::repeat(b'\n').take(10))
            .chain("a@b.co\nc@d.co\ne@f.co\ng@h.co\ni@j.co\n".as_bytes());
        let e = parse_capped(rows, "fifo", Vendor::Hybridbox, 3).unwrap_err();
        assert!(matches!(e, InputError::TooManyRows { line: 15, .. }), "{e}");
        assert!(e.to_string().contains("more than 1000000 rows"), "{e}");
    }

    #[test]
    fn header_errors_quote_a_short_excerpt_and_no_control_characters() {
        let long = format!("{}\n", "k".repeat(10_000));
        let e = parse(long.as_bytes(), "t.csv", Vendor::Hybridbox).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains(&format!("unknown column `{}…`", "k".repeat(40))),
            "{text}"
        );
        assert!(text.len() < 200, "{text}");
        let environ = "PATH=/bin\0TOKEN=s3cret\0\x1b[2J,email\n";
        let e = parse(environ.as_bytes(), "environ", Vendor::Hybridbox).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("column 1 is unknown and holds control characters (not shown)"),
            "{text}"
        );
        assert!(!text.contains("s3cret") && !text.contains("PATH"), "{text}");
        let e = parse("em\u{1b}[31mail\n".as_bytes(), "t", Vendor::Hybridbox).unwrap_err();
        assert!(!e.to_string().contains('\u{1b}'), "{e}");
    }

    #[test]
    fn invalid_rows_keep_a_bounded_email_and_quote_values_escaped() {
        let email = format!("{}\u{1b}@example.com", "a".repeat(5_000));
        let text = format!("email,account_rbac_role\n{email},global-admin\nb@c.de,ro\u{1b}le\n");
        let r = rows(Vendor::Automox, &text);
        assert_eq!(r.invalid[0].email.chars().count(), KEPT_EMAIL + 1);
        assert!(r.invalid[0].reason.len() < 200, "{}", r.invalid[0].reason);
        assert!(
            r.invalid[1]
                .reason
                .starts_with("unknown account_rbac_role `ro\\u{1b}le`"),
            "{}",
            r.invalid[1].reason
        );
        for invalid in &r.invalid {
            assert!(!invalid.reason.chars().any(char::is_control), "{invalid:?}");
        }
    }

    #[test]
    fn duplicates_name_the_first_line_in_linear_time() {
        let mut text = String::from("email\n");
        for i in 0..20_000 {
            text.push_str(&format!("user{i}@example.com\n"));
        }
        for i in 0..20_000 {
            text.push_str(&format!("USER{i}@example.com\n"));
        }
        let r = rows(Vendor::Hybridbox, &text);
        assert_eq!((r.valid.len(), r.invalid.len()), (20_000, 20_000));
        assert_eq!(r.invalid[7].reason, "duplicate email: already on line 9");
    }

    /// `count` zones, `zone_id:read-only` each, the last repeating the
    /// first when `repeat`.
    fn zones(count: u128, repeat: bool) -> String {
        let mut zones: Vec<String> = (0..count)
            .map(|i| format!("{}:read-only", uuid::Uuid::from_u128(i + 1)))
            .collect();
        if repeat {
            zones.push(zones[0].clone());
        }
        zones.join(";")
    }

    #[test]
    fn the_zone_check_is_linear() {
        // 80,000 zones (3.7 MB): 27 s with the quadratic check.
        assert_eq!(parse_zones(&zones(80_000, false)).unwrap().len(), 80_000);
        let e = parse_zones(&zones(80_000, true)).unwrap_err();
        assert_eq!(
            e,
            format!("zone {} appears twice", uuid::Uuid::from_u128(1))
        );
        // In a file, such a cell is a record far past the cap.
        let text = format!(
            "email,account_rbac_role,zones\nada@example.com,no-global-access,{}\n",
            zones(80_000, false)
        );
        let e = parse(text.as_bytes(), "t.csv", Vendor::Automox).unwrap_err();
        assert!(
            matches!(e, InputError::RecordTooLong { line: 2, .. }),
            "{e}"
        );
    }

    /// What a file of arbitrary bytes gives: rows on lines from 2 on, in
    /// file order (a lone `\r` ends a record but is no line break to the
    /// reader's count, so two rows can share a line), or an error naming a
    /// line; never a panic.
    fn check_any(bytes: &[u8], vendor: Vendor) -> Result<(), proptest::test_runner::TestCaseError> {
        use crate::bulk::summary::{Outcome, Summary};
        use proptest::prop_assert;
        match parse(bytes, "p.csv", vendor) {
            Ok(rows) => {
                for lines in [
                    rows.valid.iter().map(|r| r.line).collect::<Vec<_>>(),
                    rows.invalid.iter().map(|r| r.line).collect(),
                ] {
                    prop_assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{:?}", lines);
                    prop_assert!(lines.iter().all(|l| *l >= 2), "{:?}", lines);
                }
                let mut summary = Summary::default();
                for bad in &rows.invalid {
                    summary.record(bad.line, &bad.email, Outcome::Invalid, Some(&bad.reason));
                }
                let text = summary.to_text();
                prop_assert!(text.lines().count() == 1 + rows.invalid.len(), "{}", text);
                prop_assert!(!text.chars().any(|c| c.is_control() && c != '\n'));
            }
            Err(e) => {
                prop_assert!(e.line().is_some(), "{}", e);
                prop_assert!(e.to_string().contains("line "), "{}", e);
                prop_assert!(!e.to_string().chars().any(char::is_control), "{}", e);
            }
        }
        Ok(())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_bytes_never_panic_and_errors_name_a_line(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2_000),
        ) {
            check_any(&bytes, Vendor::Hybridbox)?;
            check_any(&bytes, Vendor::Automox)?;
        }

        #[test]
        fn arbitrary_rows_never_panic_and_errors_name_a_line(
            header in proptest::sample::select(vec![
                "email", "email,locale,note,role_key", "email,account_rbac_role,zones",
                "\u{feff}Email , NOTE", "email,email", "mail", "",
            ]),
            rows in proptest::collection::vec(
                proptest::collection::vec("[a-z@.,;:\"\r\n\u{1b}\u{85} -]{0,12}|global-admin|\
                    3fa85f64-5717-4562-b3fc-2c963f66afa6:read-only|ada@example.com", 0..5),
                0..30,
            ),
            vendor in proptest::sample::select(vec![Vendor::Hybridbox, Vendor::Automox]),
        ) {
            let mut text = format!("{header}\n");
            for row in rows {
                text.push_str(&row.join(","));
                text.push('\n');
            }
            check_any(text.as_bytes(), vendor)?;
        }
    }
}
