//! The CSV file: its header, its rows, and each row's validation into the
//! request body the generated client sends.
//!
//! Line numbers are the file's own, counted from its bytes: the header is
//! line 1, `\n`, `\r\n` and a lone `\r` each end a line, empty lines
//! count, a record whose quoted field spans lines is numbered by its first
//! line, and a UTF-8 byte order mark is dropped. Every row is
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

use invitations::{automox, hybridbox};

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

    /// The bytes from `from` to `to` (those held; offsets in the file).
    fn between(&self, from: u64, to: u64) -> impl Iterator<Item = u8> + '_ {
        let skip = usize::try_from(from.saturating_sub(self.offset)).unwrap_or(usize::MAX);
        let take = usize::try_from(to.saturating_sub(from)).unwrap_or(usize::MAX);
        self.bytes.iter().skip(skip).take(take).copied()
    }
}

/// The file's own line numbers, counted from its bytes as a text editor
/// counts them: `\n`, `\r\n` and a lone `\r` each end a line. (The CSV
/// reader's own count sees `\n` only, and numbers a record by where the
/// one before it ended: the line breaks it skips before a record, and
/// the `\n` of a `\r\n` it leaves to the next record, depend on how the
/// input arrived.)
#[derive(Clone, Copy, Debug)]
struct LineCount {
    /// The line of the next byte (1 at the start of the file).
    line: u64,
    /// Whether the last byte counted was `\r`: a `\n` right after it ends
    /// no other line.
    after_cr: bool,
}

impl LineCount {
    /// At the start of the file: line 1.
    fn new() -> LineCount {
        LineCount {
            line: 1,
            after_cr: false,
        }
    }

    /// Counts `byte`.
    fn count(&mut self, byte: u8) {
        match byte {
            b'\n' if self.after_cr => self.after_cr = false,
            b'\n' => self.line += 1,
            b'\r' => {
                self.line += 1;
                self.after_cr = true;
            }
            _ => self.after_cr = false,
        }
    }

    /// Counts every byte of `bytes`.
    fn count_all(&mut self, bytes: impl Iterator<Item = u8>) {
        bytes.for_each(|byte| self.count(byte));
    }

    /// The line of the first byte of `bytes` that is not a line break:
    /// where a record starts, after the empty lines the CSV reader skips
    /// before it. (All line breaks: the line after them.)
    fn first_line(mut self, bytes: impl Iterator<Item = u8>) -> u64 {
        for byte in bytes {
            if !matches!(byte, b'\r' | b'\n') {
                break;
            }
            self.count(byte);
        }
        self.line
    }
}

/// The input without a UTF-8 byte order mark at its start, keeping what it
/// read in [`Unread`], and failing with [`TooLong`] once that holds more
/// than `limit` bytes: the CSV reader reads at most a buffer ahead of the
/// record it returns, so a record of up to [`MAX_RECORD`] bytes never
/// trips it with `limit` = [`MAX_RECORD`] + 2 × [`BUFFER`], and an endless
/// one stops there.
///
/// (The CSV reader drops a byte order mark only when its first read holds
/// all three bytes, and takes a first read of just those three for the end
/// of the file: the mark is dropped here, however the input arrives.)
struct Capped<R> {
    inner: R,
    unread: Rc<RefCell<Unread>>,
    limit: usize,
    /// The first bytes, read to look for a byte order mark, not yet given
    /// out; `None` before they are read.
    head: Option<Vec<u8>>,
}

/// The UTF-8 byte order mark.
const BOM: &[u8] = b"\xef\xbb\xbf";

impl<R> Capped<R> {
    fn new(inner: R, unread: Rc<RefCell<Unread>>, limit: usize) -> Self {
        Capped {
            inner,
            unread,
            limit,
            head: None,
        }
    }
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
        let head = match &mut self.head {
            Some(head) => head,
            None => {
                let mut head = Vec::with_capacity(BOM.len());
                (&mut self.inner)
                    .take(BOM.len() as u64)
                    .read_to_end(&mut head)?;
                if head == BOM {
                    head.clear();
                }
                self.head.insert(head)
            }
        };
        let n = if head.is_empty() {
            self.inner.read(buf)?
        } else {
            let n = head.len().min(buf.len());
            buf[..n].copy_from_slice(&head[..n]);
            head.drain(..n);
            n
        };
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
    /// The line count at the end of the last record read.
    lines: LineCount,
}

impl<'n, R: std::io::Read> Records<'n, R> {
    fn new(input: R, name: &'n str) -> Self {
        let unread = Rc::new(RefCell::new(Unread::default()));
        let capped = Capped::new(input, unread.clone(), MAX_RECORD as usize + 2 * BUFFER);
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
            lines: LineCount::new(),
        }
    }

    fn next(&mut self) -> Result<Next, InputError> {
        let start = self.reader.position().byte();
        let read = self.reader.read_byte_record(&mut self.record);
        // The record's first line, from the bytes read (all of the record
        // when it was read, what was read of it otherwise).
        let line = self
            .lines
            .first_line(self.unread.borrow().between(start, u64::MAX));
        let path = self.name.to_owned();
        match read {
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
        {
            let mut unread = self.unread.borrow_mut();
            self.lines.count_all(unread.between(start, end));
            unread.forget_until(end);
        }
        if end - start > MAX_RECORD {
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
mod tests;
