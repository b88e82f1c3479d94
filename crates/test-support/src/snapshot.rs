//! Snapshot files kept in the repository and compared by tests; with
//! `INVITATIONS_UPDATE_SNAPSHOTS` set, a stale one is rewritten instead, and
//! each rewrite is said on stderr (past the test harness's capture, so that
//! it shows even for a test that passes).

use std::io::Write;
use std::path::Path;

/// Whether `path` holds `actual`. When it does not and
/// `INVITATIONS_UPDATE_SNAPSHOTS` is set, writes `actual` there (creating
/// its directory), says so on stderr and returns `true`.
pub fn matches(path: &Path, actual: &str) -> bool {
    let update = std::env::var_os("INVITATIONS_UPDATE_SNAPSHOTS").is_some();
    // `std::io::stderr()` is not captured by the test harness (only the
    // `print!` family is).
    matches_with(path, actual, update, &mut std::io::stderr())
}

/// [`matches`] with the update switch and where rewrites are reported
/// given.
fn matches_with(path: &Path, actual: &str, update: bool, report: &mut dyn Write) -> bool {
    let before = std::fs::read_to_string(path).ok();
    if before.as_deref() == Some(actual) {
        return true;
    }
    if !update {
        return false;
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, actual).unwrap();
    let what = match &before {
        None => "created".to_owned(),
        Some(before) => format!(
            "rewritten ({} lines differ)",
            lines_differing(before, actual)
        ),
    };
    let _ = writeln!(report, "snapshot {what}: {}", path.display());
    true
}

/// How many lines one text has that the other lacks, counted both ways
/// (as a multiset: a line moved counts nothing, a line changed counts two:
/// removed and added). Enough to size a change.
fn lines_differing(a: &str, b: &str) -> usize {
    let mut count: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for line in a.lines() {
        *count.entry(line).or_default() += 1;
    }
    for line in b.lines() {
        *count.entry(line).or_default() -= 1;
    }
    count.values().map(|n| n.unsigned_abs() as usize).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_is_reported_and_a_match_is_not() {
        let dir = std::env::temp_dir().join(format!("snapshot-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("sub/s.txt");
        let mut said = Vec::new();
        assert!(!matches_with(&path, "a\nb\n", false, &mut said));
        assert!(!path.exists() && said.is_empty());
        assert!(matches_with(&path, "a\nb\n", true, &mut said));
        assert!(matches_with(&path, "a\nc\nd\n", true, &mut said));
        assert!(matches_with(&path, "a\nc\nd\n", true, &mut said));
        assert_eq!(
            String::from_utf8(said).unwrap(),
            format!(
                "snapshot created: {0}\nsnapshot rewritten (3 lines differ): {0}\n",
                path.display()
            )
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
