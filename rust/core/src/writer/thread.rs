//! The writer thread and the state it shares with callers: the batch, flush tickets, the error
//! latch. The thread alone touches the storage; callers only ever wait on the condition
//! variables here, with time limits.

use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::batch::{Batch, Skipped};
use super::{Backpressure, HANDOFF_BYTES, Options};
use crate::error::{Error, IoContext, Result, os_code};
use crate::storage::Storage;

/// How long the writer thread waits after a write before it takes the next full batch.
const NAP: Duration = Duration::from_millis(1);

/// The longest `flush_secs` honoured: a longer interval (up to "never") waits this long, which
/// keeps the deadline arithmetic far from overflowing.
const LONGEST_FLUSH_INTERVAL: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The shortest: a shorter one (down to 0, "at once" for the anchors) would keep the thread
/// spinning.
const SHORTEST_FLUSH_INTERVAL: Duration = Duration::from_millis(10);

/// An open event stream: the state shared with its thread, and the thread.
pub(super) struct Stream {
    /// Where the events go, for messages and `EventWriter::path`.
    pub(super) location: String,
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
    /// Events the thread could not encode and left out; the next call reports them, once.
    skipped: Option<Skipped>,
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

    fn check(state: &mut State) -> Result<()> {
        Self::report_skipped(state)?;
        match &state.error {
            Some(latched) => Err(latched.to_error()),
            None if state.finished => Err(Error::Closed("the event file's writer thread has ended")),
            None => Ok(()),
        }
    }

    /// Whether the thread takes no more events (it failed or ended): then a call only reports.
    fn ended(state: &State) -> bool {
        state.error.is_some() || state.finished
    }

    /// The events left out since the last report, as the error of the call that reports them.
    fn report_skipped(state: &mut State) -> Result<()> {
        let Some(Skipped { first, count }) = state.skipped.take() else { return Ok(()) };
        let (arg, message) = match first {
            Error::InvalidArgument { arg, message } => (arg, message),
            other => ("event", other.to_string()),
        };
        let context = match count {
            1 => "an event queued earlier could not be encoded and was left out (the others were kept)"
                .to_string(),
            n => format!(
                "{n} events queued earlier could not be encoded and were left out (the others were \
                 kept); the first"
            ),
        };
        Err(Error::invalid(arg, format!("{context}: {message}")))
    }
}

impl Stream {
    /// Starts the thread that writes to `storage`.
    pub(super) fn start(storage: Box<dyn Storage>, location: String, options: &Options) -> Result<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            done: Condvar::new(),
            max_queue: if options.max_queue == 0 { usize::MAX } else { options.max_queue },
            max_queue_bytes: options.max_queue_bytes,
            handoff_bytes: HANDOFF_BYTES.min(options.max_queue_bytes),
        });
        let thread = Thread {
            shared: Arc::clone(&shared),
            storage,
            flush_every: Duration::try_from_secs_f64(options.flush_secs)
                .map_or(LONGEST_FLUSH_INTERVAL, |d| d.clamp(SHORTEST_FLUSH_INTERVAL, LONGEST_FLUSH_INTERVAL)),
        };
        let handle = thread::Builder::new()
            .name("turboboard-writer".into())
            .spawn(move || thread.run())
            .map_err(|e| {
                IoContext::error(
                    e.kind(),
                    format!("starting the writer thread for {location}: {e}"),
                    os_code(&e),
                )
            })?;
        Ok(Stream { location, shared, thread: Mutex::new(Some(handle)) })
    }

    /// Frames events into the batch with `push`, waking the thread if the batch is due. Events
    /// left out earlier are reported after this call's are queued, so a report costs no event.
    pub(super) fn queue(&self, push: impl FnOnce(&mut Batch)) -> Result<Backpressure> {
        let shared = &self.shared;
        let mut state = shared.lock();
        if Shared::ended(&state) {
            Shared::check(&mut state)?;
        }
        push(&mut state.batch);
        let size = state.batch.bytes();
        if (state.batch.events() >= shared.max_queue || size >= shared.handoff_bytes) && state.writer_idle {
            state.writer_idle = false;
            shared.work.notify_one();
        }
        Shared::report_skipped(&mut state)?;
        Ok(if size > shared.max_queue_bytes { Backpressure::Wait } else { Backpressure::None })
    }

    pub(super) fn wait_for_space(&self, timeout: Duration) -> Result<bool> {
        let shared = &self.shared;
        let state = shared.lock();
        let (mut state, _) = shared
            .done
            .wait_timeout_while(state, timeout, |s| {
                s.batch.bytes() > shared.max_queue_bytes && s.error.is_none() && !s.finished
            })
            .unwrap_or_else(|e| e.into_inner());
        Shared::check(&mut state)?;
        Ok(state.batch.bytes() <= shared.max_queue_bytes)
    }

    /// Asks for a flush; events left out are reported by [`Self::wait_flushed`], once it is done.
    pub(super) fn request_flush(&self, sync: bool) -> Result<u64> {
        let shared = &self.shared;
        let mut state = shared.lock();
        if Shared::ended(&state) {
            Shared::check(&mut state)?;
        }
        state.flush_requested += 1;
        state.sync_requested |= sync;
        state.writer_idle = false;
        shared.work.notify_one();
        Ok(state.flush_requested)
    }

    pub(super) fn wait_flushed(&self, ticket: u64, timeout: Duration) -> Result<bool> {
        let shared = &self.shared;
        let state = shared.lock();
        let (mut state, _) = shared
            .done
            .wait_timeout_while(state, timeout, |s| s.flushed < ticket && s.error.is_none() && !s.finished)
            .unwrap_or_else(|e| e.into_inner());
        if state.flushed >= ticket {
            // flush() promises every event before it was written: one left out is said here.
            Shared::report_skipped(&mut state)?;
            return Ok(true);
        }
        Shared::check(&mut state)?;
        Ok(false)
    }

    /// Writes and syncs everything queued, then ends the thread; see `EventWriter::close`.
    pub(super) fn close(&self, timeout: Duration) -> Result<()> {
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
            None => {
                Shared::check(&mut state).or_else(|e| if let Error::Closed(_) = e { Ok(()) } else { Err(e) })
            }
        };
        drop(state);
        if let Some(handle) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            // The thread has marked itself finished; joining only reaps it.
            let _ = handle.join();
        }
        result
    }
}

/// The writer thread's own state.
struct Thread {
    shared: Arc<Shared>,
    storage: Box<dyn Storage>,
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

            let result =
                taken.write_out(&mut scratch, |bytes| self.storage.append(bytes)).and_then(|skipped| {
                    if flushing {
                        self.storage.flush(sync)?;
                    }
                    Ok(skipped)
                });
            taken.clear();
            if flushing {
                next_flush = Instant::now() + self.flush_every;
            }
            nap_until = Instant::now() + NAP;

            let mut state = self.shared.lock();
            match result {
                Ok(skipped) => {
                    if flushing {
                        state.flushed = ticket;
                    }
                    if let Some(more) = skipped {
                        Skipped::add(&mut state.skipped, more);
                    }
                }
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
