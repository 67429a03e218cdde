//! Where the writer thread puts whole records: the storage backends.
//!
//! A backend is owned by one writer thread and touched by nothing else. It takes records in
//! order ([`Storage::append`]) and makes them visible to readers by the time
//! [`Storage::flush`] returns; an error leaves what readers can see made of whole records.

use std::io;
use std::path::Path;

use crate::error::{IoContext, os_code};

mod local;

pub(crate) use local::LocalFile;
#[cfg(test)]
pub(crate) use local::SYNC_BYTES;

/// One stream of event records: a file, or a sequence of objects.
pub(crate) trait Storage: Send {
    /// Takes whole records, in order. A backend may hold them until [`Storage::flush`].
    fn append(&mut self, records: &[u8]) -> io::Result<()>;

    /// Makes every record appended so far visible to readers, and durable on the disk or in
    /// the store with `sync`.
    fn flush(&mut self, sync: bool) -> io::Result<()>;
}

/// `e`, saying what was being done to which path, with its OS error code kept.
pub(crate) fn with_path(e: io::Error, doing: &str, path: &Path) -> io::Error {
    IoContext::error(e.kind(), format!("{doing} {}: {e}", path.display()), os_code(&e))
}
