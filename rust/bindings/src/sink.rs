//! Where an `EventFileWriter`'s events go: an event file written by its own thread, or memory,
//! for `turboboard.summary`, which builds summaries with the writer's own methods and hands
//! them back instead of writing them.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use turboboard_core::proto::Event;
use turboboard_core::record::{self, Reader};
use turboboard_core::writer::{Backpressure, EventWriter};
use turboboard_core::{Error, Job, Result};

pub(crate) enum Sink {
    File(EventWriter),
    /// Framed records, in call order; jobs run at once, on the caller's thread.
    Memory(Mutex<Vec<u8>>),
}

impl Sink {
    fn memory(records: &Mutex<Vec<u8>>) -> std::sync::MutexGuard<'_, Vec<u8>> {
        records.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn logdir(&self) -> &Path {
        match self {
            Sink::File(writer) => writer.logdir(),
            Sink::Memory(_) => Path::new(""),
        }
    }

    pub(crate) fn path(&self) -> Result<PathBuf> {
        match self {
            Sink::File(writer) => writer.path(),
            Sink::Memory(_) => Err(Error::Closed("a writer of summaries in memory has no file")),
        }
    }

    pub(crate) fn write_event(&self, event: &Event) -> Result<Backpressure> {
        self.write_with(|out| record::frame_message_into(out, event))
    }

    pub(crate) fn write_with(&self, frame: impl FnOnce(&mut Vec<u8>)) -> Result<Backpressure> {
        match self {
            Sink::File(writer) => writer.write_with(frame),
            Sink::Memory(records) => {
                frame(&mut Self::memory(records));
                Ok(Backpressure::None)
            }
        }
    }

    pub(crate) fn write_each<T>(
        &self,
        items: impl IntoIterator<Item = T>,
        mut frame: impl FnMut(&mut Vec<u8>, T),
    ) -> Result<Backpressure> {
        match self {
            Sink::File(writer) => writer.write_each(items, frame),
            Sink::Memory(records) => {
                let mut records = Self::memory(records);
                for item in items {
                    frame(&mut records, item);
                }
                Ok(Backpressure::None)
            }
        }
    }

    pub(crate) fn write_job(&self, bytes: usize, job: Job) -> Result<Backpressure> {
        match self {
            Sink::File(writer) => writer.write_job(bytes, job),
            Sink::Memory(records) => {
                // Framed apart so a failing job leaves no partial record behind.
                let mut framed = Vec::new();
                job(&mut framed)?;
                Self::memory(records).extend_from_slice(&framed);
                Ok(Backpressure::None)
            }
        }
    }

    pub(crate) fn wait_for_space(&self, timeout: Duration) -> Result<bool> {
        match self {
            Sink::File(writer) => writer.wait_for_space(timeout),
            Sink::Memory(_) => Ok(true),
        }
    }

    pub(crate) fn request_flush(&self, sync: bool) -> Result<u64> {
        match self {
            Sink::File(writer) => writer.request_flush(sync),
            Sink::Memory(_) => Ok(0),
        }
    }

    pub(crate) fn wait_flushed(&self, ticket: u64, timeout: Duration) -> Result<bool> {
        match self {
            Sink::File(writer) => writer.wait_flushed(ticket, timeout),
            Sink::Memory(_) => Ok(true),
        }
    }

    pub(crate) fn close(&self, timeout: Duration) -> Result<()> {
        match self {
            Sink::File(writer) => writer.close(timeout),
            Sink::Memory(_) => Ok(()),
        }
    }

    /// The serialized events written to memory so far, which are forgotten; none for a file.
    pub(crate) fn take_events(&self) -> Vec<Vec<u8>> {
        let Sink::Memory(records) = self else { return Vec::new() };
        let framed = std::mem::take(&mut *Self::memory(records));
        let mut reader = Reader::new(framed.as_slice());
        std::iter::from_fn(|| reader.next_record().expect("records framed in this process")).collect()
    }
}
