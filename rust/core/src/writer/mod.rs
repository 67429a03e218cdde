//! The event writer: the handle callers share, one stream of events at a time behind it.
//!
//! Callers frame each event whole into a shared batch under a mutex (no allocation per event).
//! The writer thread ([`thread`]) swaps the batch out and hands it to storage (in one piece, or
//! a piece at a time where it encodes images) when `max_queue` events or [`HANDOFF_BYTES`] are
//! waiting (at most one write a millisecond), when `flush_secs` have passed, or when a caller
//! flushes or closes. The batch is bounded in bytes: a caller that finds it full is told to
//! wait ([`Backpressure::Wait`]), so the bindings can release the GIL while it does.
//!
//! Failures never hang or tear a file: storage keeps readers' view made of whole records, and
//! the error is latched and returned by every later call. In a forked child the parent's
//! stream is abandoned untouched and a new one is started (see [`fork`]).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::{Error, Result};
use prost::Message;

use crate::proto::{self, Event};
use crate::record;
use crate::storage::{LocalFile, LogDir, Segments, Storage};

mod batch;
mod fork;
mod naming;
#[cfg(test)]
mod tests;
mod thread;

pub use batch::Job;
pub use naming::now;
use thread::Stream;

/// A batch this large is handed to the writer thread even before `max_queue` events are in it.
pub const HANDOFF_BYTES: usize = 1 << 16;

/// What the `source_metadata` of each file's first record names as its writer.
const WRITER_NAME: &str = "turboboard";

/// How a writer batches and flushes.
#[derive(Clone, Debug)]
pub struct Options {
    /// Events held before they are handed to the writer thread (tensorboardX's `max_queue`);
    /// 0, as in the anchors' queues, sets no such count.
    pub max_queue: usize,
    /// Bytes of framed events that may wait for the writer thread before callers must wait.
    pub max_queue_bytes: usize,
    /// Longest time an event waits before it is written to the operating system (0: as short
    /// as the writer thread's shortest interval).
    pub flush_secs: f64,
    /// Appended verbatim to the file name.
    pub filename_suffix: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_queue: 10,
            max_queue_bytes: 64 << 20,
            flush_secs: 120.0,
            filename_suffix: String::new(),
        }
    }
}

/// What a caller must do after an event was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Backpressure {
    /// Nothing: go on.
    None,
    /// The queue is over its byte bound: call [`Waiter::wait_for_space`] (without the GIL).
    Wait,
}

/// Writes events to one event file (or stream of objects) at a time in `logdir`.
pub struct EventWriter {
    logdir: LogDir,
    options: Options,
    slot: Mutex<Slot>,
}

struct Slot {
    /// The fork generation `stream` belongs to.
    generation: u64,
    stream: Option<Arc<Stream>>,
    closed: bool,
}

impl EventWriter {
    /// Opens a new event file in `logdir` (a local one is created at once, with `logdir` if
    /// needed; a remote one by the writer thread's first upload).
    pub fn open(logdir: LogDir, options: Options) -> Result<Self> {
        if options.max_queue_bytes == 0 {
            return Err(Error::invalid("max_queue_bytes", "expected a positive integer, got 0"));
        }
        if !(options.flush_secs >= 0.0 && options.flush_secs.is_finite()) {
            return Err(Error::invalid(
                "flush_secs",
                format!("expected a finite number of seconds, 0 or more, got {}", options.flush_secs),
            ));
        }
        // The suffix ends a file name: a separator in it would put the file somewhere else.
        if options.filename_suffix.contains(['/', '\\', '\0']) {
            return Err(Error::invalid(
                "filename_suffix",
                format!("expected no path separator or NUL, got {:?}", options.filename_suffix),
            ));
        }
        let stream = open_stream(&logdir, &options)?;
        Ok(EventWriter {
            logdir,
            options,
            slot: Mutex::new(Slot {
                generation: fork::generation(),
                stream: Some(Arc::new(stream)),
                closed: false,
            }),
        })
    }

    pub fn logdir(&self) -> &LogDir {
        &self.logdir
    }

    /// Where events are written now.
    pub fn path(&self) -> Result<PathBuf> {
        Ok(PathBuf::from(&self.current()?.location))
    }

    /// Queues one event. It is framed into the batch at once, so it is never torn.
    pub fn write_event(&self, event: &Event) -> Result<Backpressure> {
        self.write_with(|out| event.encode_raw(out))
    }

    /// Queues one event whose encoding `payload` appends to the batch (framed around it).
    pub fn write_with(&self, payload: impl FnOnce(&mut Vec<u8>)) -> Result<Backpressure> {
        self.current()?.queue(|batch| batch.push_event(payload))
    }

    /// Queues one event per item, each encoded by `payload`, all under one lock: a batch of
    /// scalars costs one queue round trip instead of one per scalar.
    pub fn write_each<T>(
        &self,
        items: impl IntoIterator<Item = T>,
        mut payload: impl FnMut(&mut Vec<u8>, T),
    ) -> Result<Backpressure> {
        self.current()?.queue(|batch| {
            for item in items {
                batch.push_event(|out| payload(out, item));
            }
        })
    }

    /// Queues one event that `job` encodes later, on the writer thread, in its place among the
    /// others. `bytes` is the memory the job holds; a job's error is latched like an I/O error.
    pub fn write_job(&self, bytes: usize, job: Job) -> Result<Backpressure> {
        self.current()?.queue(|batch| batch.push_job(bytes, job))
    }

    /// Asks the writer thread to write everything queued so far to storage (and to the disk
    /// with `sync`). Returns a ticket for [`Waiter::wait_flushed`].
    pub fn request_flush(&self, sync: bool) -> Result<u64> {
        self.current()?.request_flush(sync)
    }

    /// Asks for the synced flush a close begins with, on the stream this process has open, and
    /// returns its ticket and what to wait on; `None` without such a stream. Never opens one: a
    /// forked child that never logged has nothing to close, and must leave no empty file behind.
    pub fn request_drain(&self) -> Result<Option<(u64, Waiter)>> {
        let stream = {
            let slot = self.slot();
            match &slot.stream {
                Some(stream) if slot.generation == fork::generation() && !slot.closed => Arc::clone(stream),
                _ => return Ok(None),
            }
        };
        let ticket = stream.request_flush(true)?;
        Ok(Some((ticket, Waiter(stream))))
    }

    /// What a caller waits on (a flush, room in the queue), taken while it can still block
    /// others (with the GIL held): the waits themselves never lock the writer, so a fork from
    /// another thread during one cannot leave the child a lock held for ever.
    pub fn waiter(&self) -> Result<Waiter> {
        Ok(Waiter(self.current()?))
    }

    /// Flushes and waits; a barrier: every event queued before the call is written when it
    /// returns `Ok`.
    pub fn flush(&self, sync: bool, timeout: Duration) -> Result<()> {
        let ticket = self.request_flush(sync)?;
        if self.waiter()?.wait_flushed(ticket, timeout)? {
            Ok(())
        } else {
            Err(Error::Timeout("flush did not finish in time"))
        }
    }

    /// Writes and syncs everything queued, then ends the writer thread and closes the file.
    ///
    /// Waits at most `timeout` for storage: if it is stuck, `Timeout` is returned and the
    /// stream is kept, so that a later `close()` waits again rather than reporting success. A
    /// latched I/O error is returned once more; after that, and after a close that succeeded,
    /// `close()` does nothing.
    pub fn close(&self, timeout: Duration) -> Result<()> {
        let stream = {
            let mut slot = self.slot();
            if slot.generation != fork::generation() {
                // The parent's stream: not ours to flush. Forget it without touching it.
                std::mem::forget(slot.stream.take());
                slot.generation = fork::generation();
            }
            slot.closed = true;
            match &slot.stream {
                Some(stream) => Arc::clone(stream),
                None => return Ok(()),
            }
        };
        let result = stream.close(timeout);
        if !matches!(result, Err(Error::Timeout(_))) {
            self.slot().stream = None;
        }
        result
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The open stream of this process, reopened after a fork.
    fn current(&self) -> Result<Arc<Stream>> {
        let mut slot = self.slot();
        let generation = fork::generation();
        if slot.generation != generation {
            std::mem::forget(slot.stream.take());
            slot.generation = generation;
            if !slot.closed {
                slot.stream = Some(Arc::new(open_stream(&self.logdir, &self.options)?));
            }
        }
        match &slot.stream {
            Some(stream) if !slot.closed => Ok(Arc::clone(stream)),
            _ => Err(Error::Closed("the writer is closed")),
        }
    }
}

/// Registers the fork handler now, before any thread could be registering it when the process
/// forks.
pub fn watch_forks() {
    fork::generation();
}

/// The stream of a writer, to wait on; see [`EventWriter::waiter`].
pub struct Waiter(Arc<Stream>);

impl Waiter {
    /// Waits up to `timeout` for the batch to drop below its byte bound; true if it did.
    pub fn wait_for_space(&self, timeout: Duration) -> Result<bool> {
        self.0.wait_for_space(timeout)
    }

    /// Waits up to `timeout` for the flush of `ticket`; true once it is done.
    pub fn wait_flushed(&self, ticket: u64, timeout: Duration) -> Result<bool> {
        self.0.wait_flushed(ticket, timeout)
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        // Callers close explicitly (Python does at exit); this only keeps a forgotten writer
        // from losing its last events. Errors have nowhere to go here. After a close that
        // timed out, the thread is left to finish on its own: a drop (in Python, with the GIL
        // held) never waits on stuck storage again.
        let timeout = if self.slot().closed { Duration::ZERO } else { Duration::from_secs(10) };
        let _ = self.close(timeout);
    }
}

/// Creates a new event file with its first record, and starts the thread that writes it.
fn open_stream(logdir: &LogDir, options: &Options) -> Result<Stream> {
    let first = Event {
        wall_time: now(),
        what: Some(proto::event::What::FileVersion("brain.Event:2".into())),
        source_metadata: Some(proto::SourceMetadata { writer: WRITER_NAME.into() }),
        ..Default::default()
    };
    let mut bytes = Vec::new();
    record::frame_message_into(&mut bytes, &first);
    let suffix = options.filename_suffix.clone();
    let name = move || naming::event_file_name(&suffix);
    let (storage, location): (Box<dyn Storage>, String) = match logdir {
        LogDir::Local(dir) => {
            let file = LocalFile::create(dir, name, &bytes)?;
            let location = file.path().display().to_string();
            (Box::new(file), location)
        }
        LogDir::Remote(remote) => {
            let segments = Segments::new(remote.clone(), name, &bytes)?;
            let location = segments.location();
            (Box::new(segments), location)
        }
    };
    let stream = Stream::start(storage, location, options)?;
    if let LogDir::Remote(_) = logdir {
        // The first upload creates the run in the store, and finds a wrong bucket or key early.
        stream.request_flush(false)?;
    }
    Ok(stream)
}
