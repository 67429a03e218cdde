//! Where the writer thread puts whole records: the storage backends.
//!
//! A backend is owned by one writer thread and touched by nothing else. It takes records in
//! order ([`Storage::append`]) and makes them visible to readers by the time
//! [`Storage::flush`] returns; an error leaves what readers can see made of whole records.

use std::io;
use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result, os_code};

mod local;
mod remote;
mod segments;

pub(crate) use local::LocalFile;
#[cfg(test)]
pub(crate) use local::SYNC_BYTES;
pub(crate) use remote::Client;
pub use remote::Remote;
pub(crate) use segments::Segments;

/// A log directory: a local folder, or a prefix in an object store.
#[derive(Clone)]
pub enum LogDir {
    Local(PathBuf),
    Remote(Remote),
}

impl LogDir {
    /// The log directory `logdir` names: a local path, a `file://` URL, or a remote URL with
    /// the store's `options` (see [`Remote::parse`]).
    pub fn parse(logdir: &str, options: &[(String, String)]) -> Result<LogDir> {
        Ok(match Remote::parse(logdir, options)? {
            Some(remote) => LogDir::Remote(remote),
            None => LogDir::Local(PathBuf::from(logdir.strip_prefix("file://").unwrap_or(logdir))),
        })
    }

    /// The log directory as the user wrote it (a path or a URL).
    pub fn display(&self) -> String {
        match self {
            LogDir::Local(path) => path.display().to_string(),
            LogDir::Remote(remote) => remote.url.clone(),
        }
    }
}

/// The objects under a remote log directory, as `(URL, size)` sorted by name, and their
/// contents: what the reader and the tests read back.
pub fn list_objects(remote: &Remote) -> Result<Vec<(String, u64)>> {
    Ok(objects(remote)?.into_iter().map(|(object, size)| (object.url, size)).collect())
}

/// The objects under a remote log directory, each as a remote of its own, with its size,
/// sorted by name.
pub fn objects(remote: &Remote) -> Result<Vec<(Remote, u64)>> {
    let client = Client::new(remote.clone())?;
    let objects = client.list(&remote.prefix).map_err(|e| client.error("listing", &remote.prefix, &e))?;
    Ok(objects.into_iter().map(|(path, size)| (remote.at(path), size)).collect())
}

/// The object a remote URL names.
pub fn get_object(remote: &Remote) -> Result<Vec<u8>> {
    let client = Client::new(remote.clone())?;
    match client.get(&remote.prefix) {
        Ok(Some((bytes, _))) => Ok(bytes),
        Ok(None) => {
            Err(IoContext::error(io::ErrorKind::NotFound, format!("no object at {}", remote.url), None)
                .into())
        }
        Err(e) => Err(client.error("reading", &remote.prefix, &e).into()),
    }
}

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
