//! Runs read back: the event files under a log directory (local or remote) into long tables
//! of one kind of value each, as TensorBoard shows them.
//!
//! Files are read in parallel, each in chunks, into rows of their own ([`rows`]); the chunks
//! are merged in order as they come, under TensorBoard's rules that need the run so far (a
//! writer restarted with `purge_step`; a tensor's plugin named by its tag's first metadata)
//! ([`merge`]), and the merged rows become Arrow record batches ([`table`]).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::parallel;
use crate::record::{ReadError, Records};
use crate::storage::LogDir;

mod files;
mod merge;
mod rows;
mod table;
mod wire;

#[cfg(test)]
mod tests;

pub use table::{Table, write_table};

use files::{EventFile, corrupt};
use merge::Merged;
use rows::{Rows, hparams_of};
use wire::{EventView, plugin_name, summary_values};

/// A kind of value, and the table it is read into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `simple_value` scalars and tensors of the scalars plugin (new-style scalars).
    Scalars,
    Histograms,
    Images,
    Audio,
    /// Tensors of the text plugin.
    Text,
    /// Every tensor value, with its tag's plugin.
    Tensors,
    /// The hyperparameters of `add_hparams` (its session start), one row per name.
    Hparams,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Scalars,
        Kind::Histograms,
        Kind::Images,
        Kind::Audio,
        Kind::Text,
        Kind::Tensors,
        Kind::Hparams,
    ];

    pub fn parse(name: &str) -> Result<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.name() == name).ok_or_else(|| {
            let names: Vec<_> = Kind::ALL.iter().map(|kind| kind.name()).collect();
            Error::invalid("kind", format!("expected one of {}, got {name:?}", names.join(", ")))
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Scalars => "scalars",
            Kind::Histograms => "histograms",
            Kind::Images => "images",
            Kind::Audio => "audio",
            Kind::Text => "text",
            Kind::Tensors => "tensors",
            Kind::Hparams => "hparams",
        }
    }
}

/// Which names (of runs or tags) to read.
pub enum Filter {
    All,
    /// Globs matched against the whole name (any one of them).
    Globs(globset::GlobSet),
    /// A regular expression searched for in the name.
    Regex(regex::Regex),
}

impl Filter {
    /// A filter from globs, or from a regular expression, named `arg` in errors.
    pub fn new(arg: &'static str, globs: Option<&[String]>, regex: Option<&str>) -> Result<Filter> {
        if let Some(pattern) = regex {
            let regex = regex::Regex::new(pattern).map_err(|e| Error::invalid(arg, e.to_string()))?;
            return Ok(Filter::Regex(regex));
        }
        let Some(globs) = globs else { return Ok(Filter::All) };
        let mut set = globset::GlobSetBuilder::new();
        for glob in globs {
            set.add(globset::Glob::new(glob).map_err(|e| Error::invalid(arg, e.to_string()))?);
        }
        Ok(Filter::Globs(set.build().map_err(|e| Error::invalid(arg, e.to_string()))?))
    }

    pub fn matches(&self, name: &str) -> bool {
        match self {
            Filter::All => true,
            Filter::Globs(globs) => globs.is_match(name),
            Filter::Regex(regex) => regex.is_match(name),
        }
    }
}

/// What to read, and how.
pub struct Query {
    pub kind: Kind,
    pub runs: Filter,
    pub tags: Filter,
    /// Check each record's payload CRC (its length's CRC is always checked).
    pub check_crc: bool,
    /// Skip a corrupt record with a warning instead of failing.
    pub skip_corrupt: bool,
    /// Apply TensorBoard's purge rule (see [`read`]).
    pub purge: bool,
    /// Read scalars, histograms, images and audio stored as tensors too (new-style scalars,
    /// TensorFlow 2's layouts), not only from their own summary fields.
    pub tensors: bool,
}

/// What a read gives: the table, and what was skipped (with `skip_corrupt`).
pub struct Output {
    pub table: Table,
    pub warnings: Vec<String>,
}

/// Reads the values of `query.kind` from every event file under `logdir`.
///
/// Rows come in run order (run names sorted), then file order (names sorted: creation time),
/// then record order. With `purge`, an event with `SessionLog.START` at step `s` (what a
/// writer opened with `purge_step=s` writes first) drops the rows read before it in that run
/// whose step is `s` or more, when the run's file version is 2 or more, as TensorBoard does.
/// A truncated last record (a writer still writing, or killed) ends its file silently.
pub fn read(logdir: &LogDir, query: &Query) -> Result<Output> {
    let files = files::event_files(logdir, &query.runs)?;
    let (table, warnings) = read_chunks(&files, query)?.finish()?;
    Ok(Output { table, warnings })
}

/// Chunks a thread may leave parked, waiting for their turn, before it waits for the others.
const PARKED_PER_THREAD: usize = 2;

/// The longest such a wait lasts before the thread looks again.
const PARKED_WAIT: Duration = Duration::from_millis(50);

/// One file being read: its chunks are taken in order, one thread at a time.
#[derive(Default)]
struct Cursor {
    chunks: Option<files::Chunks>,
    taken: usize,
    finished: bool,
}

/// Every file's chunks decoded, on up to one thread per core (a thread takes the next chunk of
/// a file no other thread is reading, and decodes it while others read on), and merged in
/// order as they come.
fn read_chunks(files: &[EventFile], query: &Query) -> Result<Merged> {
    let cursors: Vec<Mutex<Cursor>> = files.iter().map(|_| Mutex::default()).collect();
    let bytes: u64 = files.iter().map(|f| f.size).sum();
    let order = Mutex::new(InOrder {
        files,
        merged: Merged::new(query.kind, query.purge, bytes),
        next: (0, 0),
        parked: BTreeMap::new(),
        handed: vec![0; files.len()],
        ends: vec![None; files.len()],
    });
    let in_order = || order.lock().unwrap_or_else(|e| e.into_inner());
    // Signalled when a chunk is merged or a thread fails.
    let progress = Condvar::new();
    let failed = AtomicBool::new(false);
    let threads = parallel::threads_for(bytes as usize, files::CHUNK);
    // The next chunk of some file, with its file and number; None when every file is read.
    let take = || -> Result<Option<(usize, usize, files::Chunk)>> {
        loop {
            let mut pending = false;
            for blocking in [false, true] {
                for (i, cursor) in cursors.iter().enumerate() {
                    let mut cursor = if blocking {
                        cursor.lock().unwrap_or_else(|e| e.into_inner())
                    } else {
                        match cursor.try_lock() {
                            Ok(cursor) => cursor,
                            Err(_) => {
                                pending = true;
                                continue;
                            }
                        }
                    };
                    if cursor.finished {
                        continue;
                    }
                    pending = true;
                    if cursor.chunks.is_none() {
                        cursor.chunks = Some(files::Chunks::open(&files[i])?);
                    }
                    let chunk = cursor.chunks.as_mut().expect("opened").next_chunk()?;
                    match chunk {
                        Some(chunk) => {
                            cursor.taken += 1;
                            in_order().handed[i] = cursor.taken;
                            return Ok(Some((i, cursor.taken - 1, chunk)));
                        }
                        None => {
                            cursor.finished = true;
                            cursor.chunks = None;
                            in_order().end(i, cursor.taken);
                        }
                    }
                }
                if !pending {
                    return Ok(None);
                }
            }
        }
    };
    let work = |_: &mut (), _: &usize| -> Result<()> {
        let _stop_others = StopOthersOnPanic(&failed, &progress);
        while !failed.load(Ordering::Relaxed) {
            // A thread far ahead of a slow one waits for it (memory: the chunks parked), with a
            // time limit, and only while the chunk due is in another thread's hands.
            let mut order = in_order();
            while order.parked.len() >= PARKED_PER_THREAD * threads
                && order.handed.get(order.next.0).is_some_and(|&handed| handed > order.next.1)
                && !failed.load(Ordering::Relaxed)
            {
                order = progress.wait_timeout(order, PARKED_WAIT).unwrap_or_else(|e| e.into_inner()).0;
            }
            drop(order);
            let next = take().and_then(|taken| {
                let Some((file, seq, chunk)) = taken else { return Ok(None) };
                let mut rows = FileRows::new(query);
                rows.rows.reserve(chunk.records);
                rows.records(&chunk.bytes, chunk.base, &files[file].name, query)?;
                Ok(Some((file, seq, rows)))
            });
            match next {
                Ok(Some((file, seq, rows))) => {
                    in_order().add(file, seq, rows);
                    progress.notify_all();
                }
                Ok(None) => break,
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    progress.notify_all();
                    return Err(e);
                }
            }
        }
        Ok(())
    };
    let workers: Vec<usize> = (0..threads).collect();
    let (results, _) = parallel::map_parts(&workers, threads, || (), work);
    results.into_iter().collect::<Result<()>>()?;
    let order = order.into_inner().unwrap_or_else(|e| e.into_inner());
    debug_assert!(order.parked.is_empty() && order.next.0 == files.len());
    Ok(order.merged)
}

/// Stops the other threads' waits when a thread panics (its chunk will never come).
struct StopOthersOnPanic<'a>(&'a AtomicBool, &'a Condvar);

impl Drop for StopOthersOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
            self.1.notify_all();
        }
    }
}

/// Chunks decoded in any order, merged in file and chunk order (files come sorted by run).
struct InOrder<'a> {
    files: &'a [EventFile],
    merged: Merged,
    /// The next chunk to merge: (file, chunk number).
    next: (usize, usize),
    /// Chunks decoded before their turn.
    parked: BTreeMap<(usize, usize), FileRows>,
    /// How many chunks of each file have been handed to a thread.
    handed: Vec<usize>,
    /// How many chunks each file has, once its end has been read.
    ends: Vec<Option<usize>>,
}

impl InOrder<'_> {
    fn add(&mut self, file: usize, seq: usize, rows: FileRows) {
        self.parked.insert((file, seq), rows);
        self.merge();
    }

    fn end(&mut self, file: usize, chunks: usize) {
        self.ends[file] = Some(chunks);
        self.merge();
    }

    fn merge(&mut self) {
        while let Some(file) = self.files.get(self.next.0) {
            if let Some(rows) = self.parked.remove(&self.next) {
                self.merged.push(&file.run, rows);
                self.next.1 += 1;
            } else if self.ends[self.next.0] == Some(self.next.1) {
                // A run whose files hold nothing is still one of the read's runs.
                self.merged.enter(&file.run);
                self.next = (self.next.0 + 1, 0);
            } else {
                break;
            }
        }
    }
}

/// Reads the records in `data` (one event file's bytes) into a table of `kind`, skipping what
/// cannot be read: what the fuzzer drives.
pub fn decode_records(data: &[u8], kind: Kind) -> Result<Table> {
    let query = Query {
        kind,
        runs: Filter::All,
        tags: Filter::All,
        check_crc: true,
        skip_corrupt: true,
        purge: true,
        tensors: true,
    };
    let mut file = FileRows::new(&query);
    let _ = file.records(data, 0, "input", &query);
    let mut merged = Merged::new(kind, true, data.len() as u64);
    merged.push(".", file);
    Ok(merged.finish()?.0)
}

/// The tags of one file: ids in order of first appearance, and what the filter said.
#[derive(Default)]
struct Tags {
    ids: rustc_hash::FxHashMap<Box<[u8]>, Option<u32>>,
    names: Vec<String>,
    /// The plugin the first metadata of each tag names.
    plugins: Vec<Option<Vec<u8>>>,
}

impl Tags {
    /// The id of `tag`, or None if the filter leaves it out.
    fn id(&mut self, tag: &[u8], filter: &Filter) -> Option<u32> {
        if let Some(&id) = self.ids.get(tag) {
            return id;
        }
        let name = String::from_utf8_lossy(tag).into_owned();
        let id = filter.matches(&name).then(|| {
            self.names.push(name);
            self.plugins.push(None);
            (self.names.len() - 1) as u32
        });
        self.ids.insert(tag.into(), id);
        id
    }
}

/// A `SessionLog.START`: the rows before row `row` with a step of `step` or more are purged
/// if the run's file version is 2 or more (`version`: the file's version so far, if any).
struct Purge {
    row: usize,
    step: i64,
    version: Option<f64>,
}

/// What one file yields.
struct FileRows {
    rows: Rows,
    tags: Tags,
    purges: Vec<Purge>,
    /// The last `file_version` of the file ("brain.Event:2" is 2).
    version: Option<f64>,
    warnings: Vec<String>,
    /// The bytes read.
    bytes: u64,
}

impl FileRows {
    fn new(query: &Query) -> Self {
        FileRows {
            rows: Rows::new(query.kind),
            tags: Tags::default(),
            purges: Vec::new(),
            version: None,
            warnings: Vec::new(),
            bytes: 0,
        }
    }

    /// Reads the records of `data`, bytes of a file from offset `base` on.
    fn records(&mut self, data: &[u8], base: u64, file: &str, query: &Query) -> Result<()> {
        self.bytes += data.len() as u64;
        let mut records = Records::at(data, base, query.check_crc);
        loop {
            let offset = base + records.consumed() as u64;
            match records.next_record() {
                Ok(Some(record)) => {
                    if let Err(e) = self.event(record, query) {
                        self.corrupt(file, offset, e, "the record skipped", query)?;
                    }
                }
                // A cut record ends the file: a writer still writing, or one that was killed.
                Ok(None) | Err(ReadError::Truncated { .. }) => return Ok(()),
                Err(e @ ReadError::CrcMismatch { part: "payload", .. }) => {
                    self.corrupt(file, offset, e, "the record skipped", query)?
                }
                Err(e) => {
                    // A bad length: nothing after it can be framed.
                    return self.corrupt(file, offset, e, "the rest of the file skipped", query);
                }
            }
        }
    }

    /// A corrupt record: an error, or with `skip_corrupt` a warning saying what was `skipped`.
    fn corrupt(
        &mut self,
        file: &str,
        offset: u64,
        why: impl std::fmt::Display,
        skipped: &str,
        query: &Query,
    ) -> Result<()> {
        let error = corrupt(file, offset, why);
        if !query.skip_corrupt {
            return Err(error);
        }
        self.warnings.push(format!("{error}; {skipped}"));
        Ok(())
    }

    fn event(&mut self, record: &[u8], query: &Query) -> Result<(), wire::DecodeError> {
        let event = EventView::parse(record)?;
        if let Some(version) = event.file_version {
            self.version = std::str::from_utf8(version)
                .ok()
                .and_then(|v| v.strip_prefix("brain.Event:"))
                .and_then(|v| v.parse().ok())
                .or(self.version);
        }
        if event.session_start {
            self.purges.push(Purge { row: self.rows.len(), step: event.step, version: self.version });
        }
        let Some(summary) = event.summary else { return Ok(()) };
        for value in summary_values(summary) {
            let value = value?;
            if query.kind == Kind::Hparams {
                self.hparams(&value, &event, query)?;
                continue;
            }
            let Some(payload) = value.payload else { continue };
            let kind_of_tensors = matches!(query.kind, Kind::Text | Kind::Tensors);
            if !query.tensors && !kind_of_tensors && matches!(payload, wire::Payload::Tensor(_)) {
                continue;
            }
            let Some(tag) = self.tags.id(value.tag, &query.tags) else { continue };
            let plugin = &mut self.tags.plugins[tag as usize];
            if plugin.is_none() {
                if let Some(metadata) = value.metadata {
                    *plugin = Some(plugin_name(metadata)?.to_vec());
                }
            }
            self.rows.push(tag, event.step, event.wall_time, payload, plugin.as_deref())?;
        }
        Ok(())
    }

    /// An `add_hparams` session start: one row per hyperparameter, named by the tag column.
    fn hparams(
        &mut self,
        value: &wire::ValueView<'_>,
        event: &EventView<'_>,
        query: &Query,
    ) -> Result<(), wire::DecodeError> {
        // tensorboardX writes the session start as metadata alone, torch with an empty tensor.
        let Some(metadata) = value.metadata else { return Ok(()) };
        for (name, hparam) in hparams_of(metadata)? {
            if let Some(tag) = self.tags.id(name.as_bytes(), &query.tags) {
                self.rows.push_hparam(tag, event.step, event.wall_time, hparam);
            }
        }
        Ok(())
    }
}
