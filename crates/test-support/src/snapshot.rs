//! Snapshot files kept in the repository and compared by tests; with
//! `INVITATIONS_UPDATE_SNAPSHOTS` set, a stale one is rewritten instead.

use std::path::Path;

/// Whether `path` holds `actual`. When it does not and
/// `INVITATIONS_UPDATE_SNAPSHOTS` is set, writes `actual` there (creating
/// its directory) and returns `true`.
pub fn matches(path: &Path, actual: &str) -> bool {
    if std::fs::read_to_string(path).ok().as_deref() == Some(actual) {
        return true;
    }
    if std::env::var_os("INVITATIONS_UPDATE_SNAPSHOTS").is_none() {
        return false;
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, actual).unwrap();
    true
}
