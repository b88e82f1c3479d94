//! Unit tests of [`super`].

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

/// Input that arrives `chunk` bytes at a time, as from a pipe or a slow
/// disk: line numbers must not depend on where the reads end.
struct Chunked<'a> {
    bytes: &'a [u8],
    chunk: usize,
}

impl std::io::Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

/// The lines of the valid rows of `text` and the lines and reasons of the
/// invalid ones (Hybridbox), the same whether it is read whole, a byte at
/// a time or in chunks of 3 or 7 bytes.
fn lines_of(text: &str) -> (Vec<u64>, Vec<(u64, String)>) {
    let read = |chunk: usize| {
        let input = Chunked {
            bytes: text.as_bytes(),
            chunk,
        };
        let r = parse(input, "t.csv", Vendor::Hybridbox).unwrap();
        let valid: Vec<u64> = r.valid.iter().map(|r| r.line).collect();
        let invalid: Vec<(u64, String)> =
            r.invalid.into_iter().map(|i| (i.line, i.reason)).collect();
        (valid, invalid)
    };
    let whole = read(usize::MAX);
    for chunk in [1, 3, 7] {
        assert_eq!(read(chunk), whole, "{text:?} read {chunk} bytes at a time");
    }
    whole
}

fn reasons(lines: &[(u64, &str)]) -> Vec<(u64, String)> {
    lines.iter().map(|(l, r)| (*l, (*r).to_owned())).collect()
}

/// Issue 25: rows were a line early with CRLF when the `\n` came in a
/// later read, all on line 1 with CR, and on the first empty line's number
/// after empty lines the reader had not read yet.
#[test]
fn lf_crlf_and_cr_files_are_numbered_by_their_own_lines() {
    for end in ["\n", "\r\n", "\r"] {
        let text = [
            "email,note",
            "ada@example.com,",
            "bad,",
            "",
            "",
            &format!("bob@example.com,\"two{end}lines\""),
            "ADA@example.com,",
            "cy@example.com,",
        ]
        .join(end)
            + end;
        let (valid, invalid) = lines_of(&text);
        assert_eq!(valid, [2, 6, 9], "{text:?}");
        assert_eq!(
            invalid,
            reasons(&[
                (3, "malformed email `bad`: no `@`"),
                (8, "duplicate email: already on line 2"),
            ]),
            "{text:?}"
        );
        // Without a line break at the end, the last row keeps its line.
        let (valid, _) = lines_of(text.trim_end_matches(['\r', '\n']));
        assert_eq!(valid, [2, 6, 9], "{text:?}");
    }
}

#[test]
fn mixed_line_breaks_count_one_line_each() {
    // `\r\n` is one break, `\n\r` two, a lone `\r` one.
    let text =
        "email\r\n\n\rada@example.com\n\r\r\nbob@example.com\r\"x\r\n\ry\"@a.bc\rADA@example.com";
    let (valid, invalid) = lines_of(text);
    assert_eq!(valid, [4, 7], "{text:?}");
    assert_eq!(invalid[0].0, 8, "{invalid:?}");
    assert!(invalid[0].1.starts_with("malformed email"), "{invalid:?}");
    assert_eq!(
        invalid[1],
        (11, "duplicate email: already on line 4".to_owned())
    );
}

/// A byte order mark is dropped however the input arrives (the CSV
/// reader took one that came in a read of its own for the end of the
/// file: "the file is empty"), before a quoted header too.
#[test]
fn a_bom_at_the_start_is_no_line() {
    for (end, header) in [("\n", "email"), ("\r\n", "\"email\""), ("\r", "Email")] {
        let text = format!("\u{feff}{header}{end}ada@example.com{end}{end}ADA@example.com{end}");
        let (valid, invalid) = lines_of(&text);
        assert_eq!(valid, [2], "{text:?}");
        assert_eq!(
            invalid,
            reasons(&[(4, "duplicate email: already on line 2")]),
            "{text:?}"
        );
    }
}

#[test]
fn a_crlf_file_larger_than_the_buffer_keeps_every_line() {
    let mut text = String::from("email\r\n");
    for i in 0..3_000 {
        text.push_str(&format!("user{i}@example.com\r\n"));
    }
    text.push_str("USER0@example.com\r\n");
    let (valid, invalid) = lines_of(&text);
    assert_eq!(valid, (2..3_002).collect::<Vec<u64>>());
    assert_eq!(
        invalid,
        reasons(&[(3_002, "duplicate email: already on line 2")])
    );
}

/// Issue 25 (item 8): a duplicate found only through Unicode case mapping
/// (the Kelvin sign, a dotted capital I, Greek capitals) names the line of
/// the first occurrence, not line 0.
#[test]
fn a_duplicate_by_unicode_case_names_the_first_line() {
    for (first, again) in [
        ("kelvin@example.com", "\u{212a}ELVIN@example.com"),
        ("\u{130}i@example.com", "i\u{307}I@example.com"),
        (
            "\u{3a3}\u{3c9}\u{3ba}@example.gr",
            "\u{3c3}\u{3a9}\u{39a}@example.gr",
        ),
        ("\u{c9}mile@example.fr", "\u{e9}MILE@example.fr"),
    ] {
        for end in ["\n", "\r\n", "\r"] {
            let text = format!("email{end}{end}{first}{end}ada@example.com{end}{again}{end}");
            let (valid, invalid) = lines_of(&text);
            assert_eq!(valid, [3, 4], "{text:?}");
            assert_eq!(
                invalid,
                reasons(&[(5, "duplicate email: already on line 3")]),
                "{text:?}"
            );
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Any file of rows with one kind of line break, empty lines, rows
    /// with a quoted line break, and no break at the end or one, read in
    /// chunks of any size: each row is numbered by its first line, counted
    /// independently here.
    #[test]
    fn rows_are_numbered_by_their_first_line_whatever_the_breaks_and_reads(
        end in proptest::sample::select(vec!["\n", "\r\n", "\r"]),
        rows in proptest::collection::vec((0u64..3, proptest::prelude::any::<bool>()), 0..20),
        last_break in proptest::prelude::any::<bool>(),
        bom in proptest::prelude::any::<bool>(),
        chunk in 1usize..64,
    ) {
        let mut text = format!("{}email,note", if bom { "\u{feff}" } else { "" });
        let mut line = 1;
        let mut expected = Vec::new();
        for (i, (empty, quoted)) in rows.iter().enumerate() {
            text.push_str(end);
            line += 1;
            for _ in 0..*empty {
                text.push_str(end);
                line += 1;
            }
            expected.push(line);
            text.push_str(&format!("user{i}@example.com,"));
            if *quoted {
                text.push_str(&format!("\"a{end}b\""));
                line += 1;
            }
        }
        if last_break {
            text.push_str(end);
        }
        let input = Chunked { bytes: text.as_bytes(), chunk };
        let r = parse(input, "p.csv", Vendor::Hybridbox).unwrap();
        proptest::prop_assert!(r.invalid.is_empty(), "{:?}", r.invalid);
        let lines: Vec<u64> = r.valid.iter().map(|r| r.line).collect();
        proptest::prop_assert_eq!(lines, expected, "{:?}", text);
    }
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

/// What a file of arbitrary bytes gives: rows on lines from 2 on, each on
/// a line of its own, in file order, or an error naming a line; never a
/// panic.
fn check_any(bytes: &[u8], vendor: Vendor) -> Result<(), proptest::test_runner::TestCaseError> {
    use crate::bulk::summary::{Outcome, Summary};
    use proptest::prop_assert;
    match parse(bytes, "p.csv", vendor) {
        Ok(rows) => {
            let valid: Vec<u64> = rows.valid.iter().map(|r| r.line).collect();
            let invalid: Vec<u64> = rows.invalid.iter().map(|r| r.line).collect();
            for lines in [&valid, &invalid] {
                prop_assert!(lines.windows(2).all(|w| w[0] < w[1]), "{:?}", lines);
                prop_assert!(lines.iter().all(|l| *l >= 2), "{:?}", lines);
            }
            let all: HashSet<u64> = valid.iter().chain(&invalid).copied().collect();
            prop_assert!(
                all.len() == valid.len() + invalid.len(),
                "{:?} {:?}",
                valid,
                invalid
            );
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
