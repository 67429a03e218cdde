//! Where an `EventFileWriter`'s events go: an event file written by its own thread, or memory,
//! for `turboboard.summary`, which builds summaries with the writer's own methods and hands
//! back the encoded events (never framed, so nothing is parsed back).

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use prost::Message;
use turboboard_core::proto::Event;
use turboboard_core::writer::{Backpressure, EventWriter, Waiter};
use turboboard_core::{Error, Job, Result};

pub(crate) enum Sink {
    File(EventWriter),
    /// Encoded events, in call order; jobs run at once, on the caller's thread.
    Memory(Mutex<Vec<Vec<u8>>>),
}

impl Sink {
    fn memory(events: &Mutex<Vec<Vec<u8>>>) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        events.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn logdir(&self) -> String {
        match self {
            Sink::File(writer) => writer.logdir().display(),
            Sink::Memory(_) => String::new(),
        }
    }

    pub(crate) fn path(&self) -> Result<PathBuf> {
        match self {
            Sink::File(writer) => writer.path(),
            Sink::Memory(_) => Err(Error::Closed("a writer of summaries in memory has no file")),
        }
    }

    pub(crate) fn write_event(&self, event: &Event) -> Result<Backpressure> {
        self.write_with(|out| event.encode_raw(out))
    }

    /// Queues the event `payload` encodes.
    pub(crate) fn write_with(&self, payload: impl FnOnce(&mut Vec<u8>)) -> Result<Backpressure> {
        match self {
            Sink::File(writer) => writer.write_with(payload),
            Sink::Memory(events) => {
                let mut event = Vec::new();
                payload(&mut event);
                Self::memory(events).push(event);
                Ok(Backpressure::None)
            }
        }
    }

    /// Queues one event per item, each encoded by `payload`.
    pub(crate) fn write_each<T>(
        &self,
        items: impl IntoIterator<Item = T>,
        mut payload: impl FnMut(&mut Vec<u8>, T),
    ) -> Result<Backpressure> {
        match self {
            Sink::File(writer) => writer.write_each(items, payload),
            Sink::Memory(events) => {
                let mut events = Self::memory(events);
                for item in items {
                    let mut event = Vec::new();
                    payload(&mut event, item);
                    events.push(event);
                }
                Ok(Backpressure::None)
            }
        }
    }

    pub(crate) fn write_job(&self, bytes: usize, job: Job) -> Result<Backpressure> {
        match self {
            Sink::File(writer) => writer.write_job(bytes, job),
            Sink::Memory(events) => {
                let mut event = Vec::new();
                job(&mut event)?;
                Self::memory(events).push(event);
                Ok(Backpressure::None)
            }
        }
    }

    pub(crate) fn request_flush(&self, sync: bool) -> Result<u64> {
        match self {
            Sink::File(writer) => writer.request_flush(sync),
            Sink::Memory(_) => Ok(0),
        }
    }

    /// What to wait on for a flush or for room in the queue; nothing in memory.
    pub(crate) fn waiter(&self) -> Result<Option<Waiter>> {
        match self {
            Sink::File(writer) => writer.waiter().map(Some),
            Sink::Memory(_) => Ok(None),
        }
    }

    /// The flush a close begins with, if there is an open file to flush; see
    /// [`EventWriter::request_drain`].
    pub(crate) fn request_drain(&self) -> Result<Option<(u64, Waiter)>> {
        match self {
            Sink::File(writer) => writer.request_drain(),
            Sink::Memory(_) => Ok(None),
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
        let Sink::Memory(events) = self else { return Vec::new() };
        std::mem::take(&mut *Self::memory(events))
    }
}
