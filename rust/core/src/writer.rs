//! The event file writer: one file, one thread that owns it, and a bounded batch between them.
//!
//! Callers frame each event whole into a shared batch under a mutex (no allocation per event).
//! The thread swaps the batch out and writes it to the file (in one call, or a piece at a time
//! where it encodes images) when `max_queue` events or [`HANDOFF_BYTES`] are waiting (at most one
//! write a millisecond), when `flush_secs` have passed, or when a caller flushes or closes. The
//! batch is bounded in bytes: a caller that finds it full is told to wait
//! ([`Backpressure::Wait`]), so the bindings can release the GIL while it does. Every MiB
//! written (`SYNC_BYTES`) is synced to the disk on a short-lived thread of its own.
//!
//! Failures never hang or tear a file: a failed write is cut back to the last whole record and
//! the error is latched and returned by every later call, as is a failed background sync. A
//! file removed from under the writer is noticed at the next flush. In a forked child the parent's state is abandoned untouched and
//! a new file is started (see `fork`).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::batch::{Batch, Job};
use crate::error::{Error, IoContext, Result, os_code};
use crate::proto::{self, Event};
use crate::{fork, record};

/// A batch this large is handed to the writer thread even before `max_queue` events are in it.
pub const HANDOFF_BYTES: usize = 1 << 16;

/// Written bytes after which the writer thread has another thread sync them to the disk, so
/// that the fsync of `close()` finds little left to do. On a virtual disk with the host's write
/// cache, the cost of a sync grows with what was written since the last one: 50 images (40 MB)
/// took 50-60 ms to sync at close, 3-4 ms with syncs on the way. (Starting the kernel's
/// write-back early with `sync_file_range` did not help: the device's cache flush is the cost.)
/// Every 4 MiB left 50 audio clips (4.4 MB) waiting at close for a sync started near their end.
const SYNC_BYTES: u64 = 1 << 20;

/// How long the writer thread waits after a write before it takes the next full batch.
const NAP: Duration = Duration::from_millis(1);

/// The longest `flush_secs` honoured: a longer interval (up to "never") waits this long, which
/// keeps the deadline arithmetic far from overflowing.
const LONGEST_FLUSH_INTERVAL: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// What the `source_metadata` of each file's first record names as its writer.
const WRITER_NAME: &str = "turboboard";

/// How a writer batches and flushes.
#[derive(Clone, Debug)]
pub struct Options {
    /// Events held before they are handed to the writer thread (tensorboardX's `max_queue`).
    pub max_queue: usize,
    /// Bytes of framed events that may wait for the writer thread before callers must wait.
    pub max_queue_bytes: usize,
    /// Longest time an event waits before it is written to the operating system.
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
    /// The queue is over its byte bound: call [`EventWriter::wait_for_space`] (without the GIL).
    Wait,
}

/// Writes events to one event file at a time in `logdir`.
pub struct EventWriter {
    logdir: PathBuf,
    options: Options,
    slot: Mutex<Slot>,
}

struct Slot {
    /// The fork generation `file` belongs to.
    generation: u64,
    file: Option<Arc<OpenFile>>,
    closed: bool,
}

/// An open event file: the state shared with its thread, and the thread.
struct OpenFile {
    path: PathBuf,
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when the writer thread has work: a full batch, a flush, a close.
    work: Condvar,
    /// Signalled when the writer thread took a batch, finished a flush, or failed.
    done: Condvar,
    max_queue: usize,
    max_queue_bytes: usize,
    /// A batch this large wakes the writer thread: [`HANDOFF_BYTES`], or less if the bound is.
    handoff_bytes: usize,
}

#[derive(Default)]
struct State {
    /// Events waiting for the writer thread.
    batch: Batch,
    /// Flushes asked for and finished, as counters: a flush waits until `flushed` reaches its
    /// ticket, so each waiter is served by the first flush that started after it asked.
    flush_requested: u64,
    flushed: u64,
    sync_requested: bool,
    closing: bool,
    /// The writer thread is waiting on `work` (only then does a caller pay for a wake-up).
    writer_idle: bool,
    /// The first I/O error of the writer thread; every later call reports it.
    error: Option<Latched>,
    /// The writer thread has ended (closed, failed, or panicked).
    finished: bool,
}

#[derive(Clone)]
struct Latched {
    kind: io::ErrorKind,
    message: String,
    code: Option<i32>,
}

impl Latched {
    fn new(e: &io::Error) -> Self {
        Latched { kind: e.kind(), message: e.to_string(), code: os_code(e) }
    }

    fn to_error(&self) -> Error {
        Error::Io(IoContext::error(self.kind, self.message.clone(), self.code))
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-updated in a way that
        // matters more than the panic itself; keep serving the error latch.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn check(state: &State) -> Result<()> {
        match &state.error {
            Some(latched) => Err(latched.to_error()),
            None if state.finished => Err(Error::Closed("the event file's writer thread has ended")),
            None => Ok(()),
        }
    }
}

impl EventWriter {
    /// Creates `logdir` if needed and opens a new event file in it.
    pub fn open(logdir: impl Into<PathBuf>, options: Options) -> Result<Self> {
        if !(options.flush_secs > 0.0 && options.flush_secs.is_finite()) {
            return Err(Error::invalid(
                "flush_secs",
                format!("expected a positive number of seconds, got {}", options.flush_secs),
            ));
        }
        // The suffix ends a file name: a separator in it would put the file somewhere else.
        if options.filename_suffix.contains(['/', '\\', '\0']) {
            return Err(Error::invalid(
                "filename_suffix",
                format!("expected no path separator or NUL, got {:?}", options.filename_suffix),
            ));
        }
        let logdir = logdir.into();
        let file = OpenFile::create(&logdir, &options)?;
        Ok(EventWriter {
            logdir,
            options,
            slot: Mutex::new(Slot {
                generation: fork::generation(),
                file: Some(Arc::new(file)),
                closed: false,
            }),
        })
    }

    pub fn logdir(&self) -> &Path {
        &self.logdir
    }

    /// The file events are written to now.
    pub fn path(&self) -> Result<PathBuf> {
        Ok(self.current()?.path.clone())
    }

    /// Queues one event. It is framed into the batch at once, so it is never torn.
    pub fn write_event(&self, event: &Event) -> Result<Backpressure> {
        self.write_with(|batch| record::frame_message_into(batch, event))
    }

    /// Queues one event that `frame` appends to the batch as one whole framed record.
    pub fn write_with(&self, frame: impl FnOnce(&mut Vec<u8>)) -> Result<Backpressure> {
        self.queue(|batch| batch.push_record(frame))
    }

    /// Queues one event per item, each appended by `frame` as one whole framed record, all under
    /// one lock: a batch of scalars costs one queue round trip instead of one per scalar.
    pub fn write_each<T>(
        &self,
        items: impl IntoIterator<Item = T>,
        mut frame: impl FnMut(&mut Vec<u8>, T),
    ) -> Result<Backpressure> {
        self.queue(|batch| {
            for item in items {
                batch.push_record(|out| frame(out, item));
            }
        })
    }

    /// Queues one event that `job` frames later, on the writer thread, in its place among the
    /// others. `bytes` is the memory the job holds; a job's error is latched like an I/O error.
    pub fn write_job(&self, bytes: usize, job: Job) -> Result<Backpressure> {
        self.queue(|batch| batch.push_job(bytes, job))
    }

    fn queue(&self, push: impl FnOnce(&mut Batch)) -> Result<Backpressure> {
        let file = self.current()?;
        let shared = &file.shared;
        let mut state = shared.lock();
        Shared::check(&state)?;
        push(&mut state.batch);
        let size = state.batch.bytes();
        if (state.batch.events() >= shared.max_queue || size >= shared.handoff_bytes) && state.writer_idle {
            state.writer_idle = false;
            shared.work.notify_one();
        }
        Ok(if size > shared.max_queue_bytes { Backpressure::Wait } else { Backpressure::None })
    }

    /// Waits up to `timeout` for the batch to drop below its byte bound; true if it did.
    pub fn wait_for_space(&self, timeout: Duration) -> Result<bool> {
        let file = self.current()?;
        let shared = &file.shared;
        let state = shared.lock();
        let (state, _) = shared
            .done
            .wait_timeout_while(state, timeout, |s| {
                s.batch.bytes() > shared.max_queue_bytes && s.error.is_none() && !s.finished
            })
            .unwrap_or_else(|e| e.into_inner());
        Shared::check(&state)?;
        Ok(state.batch.bytes() <= shared.max_queue_bytes)
    }

    /// Asks the writer thread to write everything queued so far to the operating system (and
    /// to the disk with `sync`). Returns a ticket for [`Self::wait_flushed`].
    pub fn request_flush(&self, sync: bool) -> Result<u64> {
        let file = self.current()?;
        let shared = &file.shared;
        let mut state = shared.lock();
        Shared::check(&state)?;
        state.flush_requested += 1;
        state.sync_requested |= sync;
        state.writer_idle = false;
        shared.work.notify_one();
        Ok(state.flush_requested)
    }

    /// Waits up to `timeout` for the flush of `ticket`; true once it is done.
    pub fn wait_flushed(&self, ticket: u64, timeout: Duration) -> Result<bool> {
        let file = self.current()?;
        let shared = &file.shared;
        let state = shared.lock();
        let (state, _) = shared
            .done
            .wait_timeout_while(state, timeout, |s| s.flushed < ticket && s.error.is_none() && !s.finished)
            .unwrap_or_else(|e| e.into_inner());
        if state.flushed >= ticket {
            return Ok(true);
        }
        Shared::check(&state)?;
        Ok(false)
    }

    /// Flushes and waits; a barrier: every event queued before the call is written when it
    /// returns `Ok`.
    pub fn flush(&self, sync: bool, timeout: Duration) -> Result<()> {
        let ticket = self.request_flush(sync)?;
        if self.wait_flushed(ticket, timeout)? {
            Ok(())
        } else {
            Err(Error::Timeout("flush did not finish in time"))
        }
    }

    /// Writes and syncs everything queued, then ends the writer thread and closes the file.
    ///
    /// Idempotent. Waits at most `timeout` for the disk: if it is stuck, the thread is left to
    /// finish on its own and `Timeout` is returned. A latched I/O error is returned once more.
    pub fn close(&self, timeout: Duration) -> Result<()> {
        let file = {
            let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
            if slot.generation != fork::generation() {
                // The parent's file: not ours to flush. Forget it without touching it.
                std::mem::forget(slot.file.take());
                slot.generation = fork::generation();
            }
            slot.closed = true;
            match slot.file.take() {
                Some(file) => file,
                None => return Ok(()),
            }
        };
        file.close(timeout)
    }

    /// The open file of this process, reopened after a fork.
    fn current(&self) -> Result<Arc<OpenFile>> {
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        let generation = fork::generation();
        if slot.generation != generation {
            std::mem::forget(slot.file.take());
            slot.generation = generation;
            if !slot.closed {
                slot.file = Some(Arc::new(OpenFile::create(&self.logdir, &self.options)?));
            }
        }
        slot.file.clone().ok_or(Error::Closed("the writer is closed"))
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        // Callers close explicitly (Python does at exit); this only keeps a forgotten writer
        // from losing its last events. Errors have nowhere to go here.
        let _ = self.close(Duration::from_secs(10));
    }
}

impl OpenFile {
    /// Creates a new event file, writes its first record and starts its thread.
    fn create(logdir: &Path, options: &Options) -> Result<Self> {
        fs::create_dir_all(logdir).map_err(|e| with_path(e, "creating the log directory", logdir))?;
        let (path, mut file) = create_unique(logdir, &options.filename_suffix)?;
        let first = Event {
            wall_time: now(),
            what: Some(proto::event::What::FileVersion("brain.Event:2".into())),
            source_metadata: Some(proto::SourceMetadata { writer: WRITER_NAME.into() }),
            ..Default::default()
        };
        let mut bytes = Vec::new();
        record::frame_message_into(&mut bytes, &first);
        if let Err(e) = file.write_all(&bytes) {
            // A file without its first record would be left torn (a full disk): remove it.
            let _ = fs::remove_file(&path);
            return Err(with_path(e, "writing", &path).into());
        }
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            done: Condvar::new(),
            max_queue: options.max_queue.max(1),
            max_queue_bytes: options.max_queue_bytes,
            // At least one byte: with 0 the thread would find an empty batch due, for ever.
            handoff_bytes: HANDOFF_BYTES.min(options.max_queue_bytes).max(1),
        });
        let thread = Thread {
            shared: Arc::clone(&shared),
            file: Arc::new(file),
            path: path.clone(),
            written: bytes.len() as u64,
            synced_to: 0,
            syncing: None,
            flush_every: Duration::try_from_secs_f64(options.flush_secs)
                .map_or(LONGEST_FLUSH_INTERVAL, |d| d.min(LONGEST_FLUSH_INTERVAL)),
        };
        let handle = thread::Builder::new()
            .name("turboboard-writer".into())
            .spawn(move || thread.run())
            .map_err(|e| with_path(e, "starting the writer thread for", &path))?;
        Ok(OpenFile { path, shared, thread: Mutex::new(Some(handle)) })
    }

    fn close(&self, timeout: Duration) -> Result<()> {
        let shared = &self.shared;
        let mut state = shared.lock();
        if !state.finished {
            state.closing = true;
            state.sync_requested = true;
            state.writer_idle = false;
            shared.work.notify_one();
            let (s, _) = shared
                .done
                .wait_timeout_while(state, timeout, |s| !s.finished)
                .unwrap_or_else(|e| e.into_inner());
            state = s;
            if !state.finished {
                return Err(Error::Timeout("close: the event file could not be written in time"));
            }
        }
        let result = match &state.error {
            Some(latched) => Err(latched.to_error()),
            None => Ok(()),
        };
        drop(state);
        if let Some(handle) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            // The thread has marked itself finished; joining only reaps it.
            let _ = handle.join();
        }
        result
    }
}

/// The writer thread's own state: it alone touches the file.
struct Thread {
    shared: Arc<Shared>,
    /// Shared with the thread that syncs it in the background.
    file: Arc<File>,
    path: PathBuf,
    /// Bytes of whole records in the file: where to cut back to after a failed write.
    written: u64,
    /// The bytes before this are synced, or being synced by `syncing`.
    synced_to: u64,
    syncing: Option<JoinHandle<io::Result<()>>>,
    flush_every: Duration,
}

impl Thread {
    fn run(mut self) {
        let _finish = FinishOnExit(Arc::clone(&self.shared));
        let mut taken = Batch::default();
        let mut scratch = Vec::new();
        let mut next_flush = Instant::now() + self.flush_every;
        // After each write the thread naps before it takes the next batch: under a steady
        // stream, callers then never pay for waking it, and each write carries many events.
        let mut nap_until = Instant::now();
        loop {
            let mut state = self.shared.lock();
            loop {
                let urgent = state.closing || state.flush_requested > state.flushed;
                let full = state.batch.events() >= self.shared.max_queue
                    || state.batch.bytes() >= self.shared.handoff_bytes;
                let now = Instant::now();
                let napping = now < nap_until;
                if urgent || now >= next_flush || (full && !napping) {
                    break;
                }
                let until = if napping { nap_until.min(next_flush) } else { next_flush };
                // Only a thread that is not napping needs a caller to wake it for a full batch.
                state.writer_idle = !napping;
                state =
                    self.shared.work.wait_timeout(state, until - now).unwrap_or_else(|e| e.into_inner()).0;
                state.writer_idle = false;
            }
            state.batch.take_into(&mut taken);
            let ticket = state.flush_requested;
            let flushing = ticket > state.flushed || Instant::now() >= next_flush || state.closing;
            let sync = std::mem::take(&mut state.sync_requested);
            let closing = state.closing;
            drop(state);
            // Callers waiting for space can go on while this batch is written.
            self.shared.done.notify_all();

            let result = taken
                .write_out(&mut scratch, |bytes| self.append(bytes))
                .map_err(|e| match e {
                    Error::Io(e) => e,
                    other => io::Error::other(format!("encoding an event failed: {other}")),
                })
                .and_then(|()| self.finish_batch(flushing, sync));
            taken.clear();
            if flushing {
                next_flush = Instant::now() + self.flush_every;
            }
            nap_until = Instant::now() + NAP;

            let mut state = self.shared.lock();
            match result {
                Ok(()) if flushing => state.flushed = ticket,
                Ok(()) => {}
                Err(e) => state.error = Some(Latched::new(&e)),
            }
            let end = closing || state.error.is_some();
            state.finished = end;
            drop(state);
            self.shared.done.notify_all();
            if end {
                return;
            }
        }
    }

    /// Appends whole records to the file; on failure cuts it back to the last whole one.
    fn append(&mut self, records: &[u8]) -> io::Result<()> {
        if let Err(e) = self.file.as_ref().write_all(records) {
            // Keep the file readable: no half record may follow the last whole one.
            let _ = self.file.set_len(self.written);
            return Err(with_path(e, "writing", &self.path));
        }
        self.written += records.len() as u64;
        self.sync_in_background()
    }

    /// Ends a batch's writes: on a flush, checks that the file is still there, and syncs it
    /// to the disk if asked to.
    fn finish_batch(&mut self, flushing: bool, sync: bool) -> io::Result<()> {
        if flushing {
            self.check_still_there().map_err(|e| with_path(e, "writing", &self.path))?;
        }
        if sync {
            self.join_sync()?;
            // close() syncs after the flush that drained it: nothing new to sync then.
            if self.written > self.synced_to {
                self.file.sync_data().map_err(|e| with_path(e, "syncing", &self.path))?;
                self.synced_to = self.written;
            }
        }
        Ok(())
    }

    /// Reports a background sync that failed (at the first write after it), and starts one on
    /// another thread once [`SYNC_BYTES`] were written since the last one began, unless one is
    /// still running.
    fn sync_in_background(&mut self) -> io::Result<()> {
        if self.syncing.as_ref().is_some_and(JoinHandle::is_finished) {
            self.join_sync()?;
        }
        if self.syncing.is_some() || self.written - self.synced_to < SYNC_BYTES {
            return Ok(());
        }
        let file = Arc::clone(&self.file);
        let started = thread::Builder::new().name("turboboard-sync".into()).spawn(move || file.sync_data());
        // Without a thread the sync is only left to the next flush or close.
        if let Ok(handle) = started {
            self.syncing = Some(handle);
            self.synced_to = self.written;
        }
        Ok(())
    }

    /// Waits for the background sync, if one was started, and returns how it ended.
    fn join_sync(&mut self) -> io::Result<()> {
        let Some(handle) = self.syncing.take() else { return Ok(()) };
        let result = handle.join().unwrap_or_else(|_| Err(io::Error::other("the sync thread panicked")));
        result.map_err(|e| with_path(e, "syncing", &self.path))
    }

    /// Writes into a file that was deleted (or whose directory was) succeed and are lost:
    /// report it instead.
    fn check_still_there(&self) -> io::Result<()> {
        // ENOENT is 2 everywhere, Windows included.
        let missing = || {
            let message = "the event file was removed while being written".into();
            IoContext::error(io::ErrorKind::NotFound, message, Some(2))
        };
        let on_disk = fs::metadata(&self.path).map_err(|_| missing())?;
        if !same_file(&on_disk, &self.file.metadata()?) {
            return Err(missing());
        }
        Ok(())
    }
}

/// Marks the thread finished however it ends, so no caller waits for it in vain.
struct FinishOnExit(Arc<Shared>);

impl Drop for FinishOnExit {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        if !state.finished {
            state.finished = true;
            state.error.get_or_insert(Latched {
                kind: io::ErrorKind::Other,
                message: "the event file's writer thread failed unexpectedly".into(),
                code: None,
            });
        }
        drop(state);
        self.0.done.notify_all();
    }
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
fn same_file(_: &fs::Metadata, _: &fs::Metadata) -> bool {
    true
}

/// Names and exclusively creates a new event file, TensorBoard's way:
/// `events.out.tfevents.<10-digit seconds>.<host>.<pid>.<counter><suffix>`. The pid and the
/// process-wide counter make it unique; `create_new` makes sure no file is ever reused.
fn create_unique(logdir: &Path, suffix: &str) -> Result<(PathBuf, File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let host = hostname();
    loop {
        let name = format!(
            "events.out.tfevents.{:010}.{}.{}.{}{}",
            now() as u64,
            host,
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            suffix
        );
        let path = logdir.join(name);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            // Another process with a recycled pid, or a leftover file: take the next number.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(with_path(e, "creating", &path).into()),
        }
    }
}

pub(crate) fn with_path(e: io::Error, doing: &str, path: &Path) -> io::Error {
    IoContext::error(e.kind(), format!("{doing} {}: {e}", path.display()), os_code(&e))
}

/// Seconds since the epoch.
pub fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

fn hostname() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it.
        if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            return String::from_utf8_lossy(&buf[..end]).into_owned();
        }
    }
    std::env::var("COMPUTERNAME").unwrap_or_else(|_| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary;
    use prost::Message;

    const LONG: Duration = Duration::from_secs(30);

    fn scalar_event(step: i64) -> Event {
        summary::event(vec![summary::scalar("loss", step as f32, "", "")], Some(step), 1.0).unwrap()
    }

    fn read_events(path: &Path) -> Vec<Event> {
        record::Reader::new(File::open(path).unwrap())
            .map(|r| Event::decode(&r.unwrap()[..]).unwrap())
            .collect()
    }

    fn writer(dir: &Path, options: Options) -> EventWriter {
        EventWriter::open(dir, options).unwrap()
    }

    #[test]
    fn first_record_is_file_version_and_on_disk_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let w = writer(dir.path(), Options::default());
        let events = read_events(&w.path().unwrap());
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].what, Some(proto::event::What::FileVersion("brain.Event:2".into())));
        assert!(events[0].wall_time > 1e9);
    }

    #[test]
    fn flush_is_a_barrier() {
        let dir = tempfile::tempdir().unwrap();
        // A long flush interval and a large queue: only flush() can have written these.
        let w = writer(dir.path(), Options { max_queue: 1 << 20, flush_secs: 3600.0, ..Options::default() });
        for step in 0..20_000 {
            assert_eq!(w.write_event(&scalar_event(step)).unwrap(), Backpressure::None);
        }
        w.flush(false, LONG).unwrap();
        let events = read_events(&w.path().unwrap());
        assert_eq!(events.len(), 20_001);
        assert_eq!(events.last().unwrap().step, 19_999);
    }

    #[test]
    fn syncs_on_the_way_leave_every_record_whole() {
        let dir = tempfile::tempdir().unwrap();
        let w = writer(dir.path(), Options::default());
        let steps = 100_000; // about 3 MB: syncs on the way
        for step in 0..steps {
            if w.write_event(&scalar_event(step)).unwrap() == Backpressure::Wait {
                assert!(w.wait_for_space(LONG).unwrap());
            }
        }
        let path = w.path().unwrap();
        w.close(LONG).unwrap();
        assert!(fs::metadata(&path).unwrap().len() > 2 * SYNC_BYTES);
        let events = read_events(&path);
        assert_eq!(events.len() as i64, steps + 1);
        assert_eq!(events.last().unwrap().step, steps - 1);
    }

    #[test]
    fn flush_secs_writes_without_a_flush() {
        let dir = tempfile::tempdir().unwrap();
        let w = writer(dir.path(), Options { max_queue: 1000, flush_secs: 0.05, ..Options::default() });
        let _ = w.write_event(&scalar_event(1)).unwrap();
        let deadline = Instant::now() + LONG;
        while read_events(&w.path().unwrap()).len() < 2 {
            assert!(Instant::now() < deadline, "the periodic flush never came");
            thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn close_is_idempotent_and_later_writes_fail() {
        let dir = tempfile::tempdir().unwrap();
        let w = writer(dir.path(), Options::default());
        let _ = w.write_event(&scalar_event(1)).unwrap();
        w.close(LONG).unwrap();
        w.close(LONG).unwrap();
        assert!(matches!(w.write_event(&scalar_event(2)), Err(Error::Closed(_))));
        assert!(matches!(w.flush(false, LONG), Err(Error::Closed(_))));
        assert_eq!(read_events(&w.logdir().read_dir().unwrap().next().unwrap().unwrap().path()).len(), 2);
    }

    #[test]
    fn names_are_unique_within_a_second() {
        let dir = tempfile::tempdir().unwrap();
        let writers: Vec<_> = (0..20)
            .map(|_| writer(dir.path(), Options { filename_suffix: ".x".into(), ..Options::default() }))
            .collect();
        let mut names: Vec<_> = writers.iter().map(|w| w.path().unwrap()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 20);
        let name = names[0].file_name().unwrap().to_str().unwrap().to_owned();
        let parts: Vec<_> = name.split('.').collect();
        assert_eq!(&parts[..3], &["events", "out", "tfevents"]);
        assert_eq!(parts[3].len(), 10);
        assert!(name.ends_with(".x"));
        assert!(name.contains(&format!(".{}.", std::process::id())));
    }

    #[test]
    fn a_removed_file_is_an_error_not_a_silent_loss() {
        let dir = tempfile::tempdir().unwrap();
        let logdir = dir.path().join("run");
        let w = writer(&logdir, Options::default());
        fs::remove_dir_all(&logdir).unwrap();
        let _ = w.write_event(&scalar_event(1)).unwrap();
        let err = w.flush(false, LONG).unwrap_err();
        assert!(matches!(&err, Error::Io(e) if e.kind() == io::ErrorKind::NotFound), "{err}");
        // Latched: every later call says so too.
        assert!(matches!(w.write_event(&scalar_event(2)), Err(Error::Io(_))));
        assert!(matches!(w.close(LONG), Err(Error::Io(_))));
    }

    #[test]
    fn jobs_are_written_in_call_order_before_flush_returns() {
        let dir = tempfile::tempdir().unwrap();
        let w = writer(dir.path(), Options::default());
        let _ = w.write_event(&scalar_event(1)).unwrap();
        let job = Box::new(|out: &mut Vec<u8>| {
            thread::sleep(Duration::from_millis(50)); // a slow encoder must not be overtaken
            record::frame_message_into(out, &scalar_event(2));
            Ok(())
        });
        let _ = w.write_job(100, job).unwrap();
        let _ = w.write_event(&scalar_event(3)).unwrap();
        w.flush(false, LONG).unwrap();
        let steps: Vec<_> = read_events(&w.path().unwrap())[1..].iter().map(|e| e.step).collect();
        assert_eq!(steps, vec![1, 2, 3]);
    }

    #[test]
    fn a_failed_job_is_latched_and_leaves_whole_records() {
        let dir = tempfile::tempdir().unwrap();
        let w = writer(dir.path(), Options::default());
        let _ = w.write_event(&scalar_event(1)).unwrap();
        let _ = w
            .write_job(1, Box::new(|_: &mut Vec<u8>| Err(Error::invalid("img_tensor", "cannot encode"))))
            .unwrap();
        let err = w.flush(false, LONG).unwrap_err();
        assert!(err.to_string().contains("cannot encode"), "{err}");
        assert!(w.write_event(&scalar_event(2)).is_err());
        let steps: Vec<_> = read_events(&w.path().unwrap())[1..].iter().map(|e| e.step).collect();
        assert_eq!(steps, vec![1]);
    }

    #[test]
    fn a_latched_error_keeps_its_os_error_code() {
        let dir = tempfile::tempdir().unwrap();
        let logdir = dir.path().join("run");
        let w = writer(&logdir, Options::default());
        fs::remove_dir_all(&logdir).unwrap();
        let _ = w.write_event(&scalar_event(1)).unwrap();
        for _ in 0..2 {
            match w.flush(false, LONG).unwrap_err() {
                Error::Io(e) => assert_eq!(os_code(&e), Some(2), "{e}"),
                other => panic!("{other}"),
            }
        }
    }

    #[test]
    fn a_suffix_with_a_separator_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for suffix in ["/../x", "a\\b", "nul\0"] {
            let options = Options { filename_suffix: suffix.into(), ..Options::default() };
            let err = EventWriter::open(dir.path().join("run"), options).err().unwrap();
            assert!(matches!(err, Error::InvalidArgument { arg: "filename_suffix", .. }), "{err}");
        }
        assert!(!dir.path().join("run").exists());
    }

    #[test]
    fn any_positive_flush_interval_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        for flush_secs in [1e-9, 1e30, f64::MAX] {
            let w = writer(dir.path(), Options { flush_secs, ..Options::default() });
            let _ = w.write_event(&scalar_event(1)).unwrap();
            w.close(LONG).unwrap();
        }
        for flush_secs in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(EventWriter::open(dir.path(), Options { flush_secs, ..Options::default() }).is_err());
        }
    }

    #[test]
    fn backpressure_when_the_byte_bound_is_reached() {
        let dir = tempfile::tempdir().unwrap();
        let w =
            writer(dir.path(), Options { max_queue_bytes: 1000, max_queue: 1 << 20, ..Options::default() });
        let mut waited = false;
        for step in 0..1000 {
            if w.write_event(&scalar_event(step)).unwrap() == Backpressure::Wait {
                waited = true;
                assert!(w.wait_for_space(LONG).unwrap());
            }
        }
        assert!(waited);
        w.close(LONG).unwrap();
        assert_eq!(read_events(&w.path_for_test()).len(), 1001);
    }

    #[test]
    fn threads_logging_at_once_write_whole_records() {
        let dir = tempfile::tempdir().unwrap();
        let w = writer(dir.path(), Options::default());
        let path = w.path().unwrap();
        thread::scope(|s| {
            for t in 0..8 {
                let w = &w;
                s.spawn(move || {
                    for i in 0..5000 {
                        if w.write_event(&scalar_event(t * 10_000 + i)).unwrap() == Backpressure::Wait {
                            w.wait_for_space(LONG).unwrap();
                        }
                    }
                });
            }
        });
        w.close(LONG).unwrap();
        let mut steps: Vec<_> = read_events(&path)[1..].iter().map(|e| e.step).collect();
        steps.sort();
        let expected: Vec<_> = (0..8).flat_map(|t| (0..5000).map(move |i| t * 10_000 + i)).collect();
        assert_eq!(steps, expected);
    }

    #[cfg(unix)]
    #[test]
    fn a_forked_child_writes_its_own_file_and_leaves_the_parents_alone() {
        let dir = tempfile::tempdir().unwrap();
        let w = writer(dir.path(), Options { max_queue: 1 << 20, flush_secs: 3600.0, ..Options::default() });
        let parent_path = w.path().unwrap();
        let _ = w.write_event(&scalar_event(1)).unwrap(); // unflushed at the fork
        // SAFETY: the child only uses the writer (whose state it must not trust) and exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let ok = w.path().unwrap() != parent_path
                && w.write_event(&scalar_event(2)).is_ok()
                && w.close(LONG).is_ok();
            // SAFETY: leaves the child at once, as a forked test child must.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: waits for the child forked above.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "child failed: {status}");
        w.close(LONG).unwrap();
        let mut files: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        assert_eq!(files.len(), 2);
        let child_path = files.iter().find(|p| **p != parent_path).unwrap();
        let steps = |p: &Path| read_events(p)[1..].iter().map(|e| e.step).collect::<Vec<_>>();
        assert_eq!(steps(&parent_path), vec![1]);
        assert_eq!(steps(child_path), vec![2]);
    }

    impl EventWriter {
        fn path_for_test(&self) -> PathBuf {
            fs::read_dir(&self.logdir).unwrap().next().unwrap().unwrap().path()
        }
    }
}
