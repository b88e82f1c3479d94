//! Opening the journal: a regular file of its own, never through a
//! symbolic link, locked by the run that uses it.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::{JournalError, Read, Writer, io_error, read_from};
use crate::bulk::Vendor;

/// Opens the journal at `path`, not through a symbolic link, and checks
/// that it is a regular file; `None` when it is absent and `create` is
/// false.
pub(super) fn open(path: &Path, create: bool) -> Result<Option<File>, JournalError> {
    let symlink = || std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    if create {
        options.append(true).create(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // No FIFO waits for a writer: the type is checked once open.
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    #[cfg(not(unix))]
    if symlink() {
        return Err(JournalError::Symlink {
            path: path.to_owned(),
        });
    }
    let file = match options.open(path) {
        Ok(file) => file,
        Err(e) if !create && e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(_) if symlink() => {
            return Err(JournalError::Symlink {
                path: path.to_owned(),
            });
        }
        Err(e) => return Err(io_error(path, e)),
    };
    let metadata = file.metadata().map_err(|e| io_error(path, e))?;
    if !metadata.is_file() {
        return Err(JournalError::NotRegular {
            path: path.to_owned(),
        });
    }
    Ok(Some(file))
}

/// The journal of a run, open and locked: read it with
/// [`Journal::read`], then append with [`Journal::into_writer`]. The lock
/// is held until the file is closed: when the [`Writer`] and its clones
/// are gone, or this value is dropped.
#[derive(Debug)]
pub struct Journal {
    pub(super) path: PathBuf,
    pub(super) file: File,
}

impl Journal {
    /// Opens (creates) the journal at `path` and locks it.
    ///
    /// # Errors
    /// [`JournalError::Locked`] when another run holds it;
    /// [`JournalError::Symlink`] or [`JournalError::NotRegular`] when it
    /// is not a regular file of its own; [`JournalError::Io`] when it cannot
    /// be opened or locked.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let Some(file) = open(path, true)? else {
            return Err(io_error(
                path,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            ));
        };
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(JournalError::Locked {
                    path: path.to_owned(),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_error(path, e)),
        }
        Ok(Journal {
            path: path.to_owned(),
            file,
        })
    }

    /// What the journal says, for `vendor` and `account` (see [`read`](super::read)).
    ///
    /// # Errors
    /// As [`read`](super::read).
    pub fn read(&mut self, vendor: Vendor, account: uuid::Uuid) -> Result<Read, JournalError> {
        self.file
            .seek(SeekFrom::Start(0))
            .map_err(|e| io_error(&self.path, e))?;
        read_from(
            std::io::BufReader::new(&self.file),
            &self.path,
            vendor,
            account,
        )
    }

    /// The journal open for appending, still locked.
    ///
    /// # Errors
    /// [`JournalError::Io`] when it cannot be written.
    pub fn into_writer(self) -> Result<Writer, JournalError> {
        Writer::from_journal(self)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Entry, now, read};
    use super::*;

    const ACCOUNT: uuid::Uuid = uuid::Uuid::from_u128(7);

    fn temp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("invitations-journal-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let _ = std::fs::remove_file(&path);
        path
    }

    #[cfg(unix)]
    #[test]
    fn only_a_regular_file_of_its_own_is_a_journal() {
        let zero = Path::new("/dev/zero");
        let e = read(zero, Vendor::Automox, ACCOUNT).unwrap_err();
        assert!(matches!(e, JournalError::NotRegular { .. }), "{e}");
        let e = Journal::open(zero).unwrap_err();
        assert!(matches!(e, JournalError::NotRegular { .. }), "{e}");
        // A FIFO is refused, not waited on.
        let fifo = temp("fifo.jsonl");
        let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0);
        let e = read(&fifo, Vendor::Automox, ACCOUNT).unwrap_err();
        assert!(matches!(e, JournalError::NotRegular { .. }), "{e}");
        let e = Journal::open(&fifo).unwrap_err();
        assert!(matches!(e, JournalError::NotRegular { .. }), "{e}");
        // A symbolic link is never followed, to a file or to nothing.
        let target = temp("target.txt");
        std::fs::write(&target, "not a journal\n").unwrap();
        for (link, to) in [
            ("link.jsonl", target.clone()),
            ("dangling.jsonl", temp("none")),
        ] {
            let link = temp(link);
            std::os::unix::fs::symlink(&to, &link).unwrap();
            let e = read(&link, Vendor::Automox, ACCOUNT).unwrap_err();
            assert!(matches!(e, JournalError::Symlink { .. }), "{e}");
            let e = Journal::open(&link).unwrap_err();
            assert!(matches!(e, JournalError::Symlink { .. }), "{e}");
            assert!(e.to_string().contains("symbolic link"), "{e}");
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "not a journal\n");
        assert!(!temp("none").exists());
    }

    #[tokio::test]
    async fn one_run_holds_the_journal() {
        let path = temp("locked.jsonl");
        let mut first = Journal::open(&path).unwrap();
        let e = Journal::open(&path).unwrap_err();
        assert!(matches!(e, JournalError::Locked { .. }), "{e}");
        assert!(
            e.to_string().starts_with("another run holds the journal"),
            "{e}"
        );
        assert_eq!(
            first.read(Vendor::Automox, ACCOUNT).unwrap(),
            Read::default()
        );
        let writer = first.into_writer().unwrap();
        let run = Entry::Run {
            vendor: "automox".into(),
            account: ACCOUNT,
            at: now(),
        };
        writer.append(&run).await.unwrap();
        assert!(matches!(
            Journal::open(&path),
            Err(JournalError::Locked { .. })
        ));
        // Closing releases it.
        let clone = writer.clone();
        writer.close().await;
        assert!(clone.append(&run).await.is_err());
        let mut again = Journal::open(&path).unwrap();
        assert!(
            again
                .read(Vendor::Automox, ACCOUNT)
                .unwrap()
                .rows
                .is_empty()
        );
    }
}
