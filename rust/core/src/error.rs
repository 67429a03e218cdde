//! The one error type of the core. The bindings map each variant to a Python exception.

use std::io;

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
