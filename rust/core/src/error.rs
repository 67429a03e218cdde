//! The one error type of the core. The bindings map each variant to a Python exception.

use std::{fmt, io};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A caller passed a value the summary cannot be built from (a Python `ValueError`).
    #[error("{arg}: {message}")]
    InvalidArgument { arg: &'static str, message: String },
    /// Reading or writing a file failed, now or earlier in the writer thread (`OSError`).
    #[error(transparent)]
    Io(#[from] io::Error),
    /// The writer was closed, or the thread that owned its file is gone (`RuntimeError`).
    #[error("{0}")]
    Closed(&'static str),
    /// An event file holds a record that cannot be read (`ValueError`): the message names the
    /// file and the record's byte offset.
    #[error("{0}")]
    Corrupt(String),
    /// A wait did not finish within its time limit (`TimeoutError`).
    #[error("{0}")]
    Timeout(&'static str),
}

impl Error {
    pub fn invalid(arg: &'static str, message: impl Into<String>) -> Self {
        Error::InvalidArgument { arg, message: message.into() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An I/O error that says what was being done to which file, keeping the operating system's
/// error code (so that Python gets `errno`, e.g. `ENOSPC`, not only a message).
#[derive(Debug)]
pub struct IoContext {
    pub message: String,
    pub code: Option<i32>,
}

impl fmt::Display for IoContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for IoContext {}

impl IoContext {
    /// An `io::Error` of `kind` with this message and code.
    pub fn error(kind: io::ErrorKind, message: String, code: Option<i32>) -> io::Error {
        io::Error::new(kind, IoContext { message, code })
    }
}

/// The operating system's error code of `e`, also when it is wrapped in an [`IoContext`].
pub fn os_code(e: &io::Error) -> Option<i32> {
    e.raw_os_error().or_else(|| e.get_ref()?.downcast_ref::<IoContext>()?.code)
}
