//! Which files a log directory holds, grouped into runs, and their bytes.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::Filter;
use crate::error::Result;
use crate::record::OVERHEAD;
use crate::storage::{self, LogDir, Remote, with_path};

/// An event file: TensorBoard reads every file whose name contains "tfevents".
pub(super) struct EventFile {
    /// The directory holding it, relative to the log directory ("." for the log directory).
    pub run: String,
    /// The path or URL, for messages.
    pub name: String,
    pub size: u64,
    pub location: Location,
}

pub(super) enum Location {
    Local(PathBuf),
    Remote(Remote),
}

fn is_event_file(name: &str) -> bool {
    name.contains("tfevents")
}

/// The event files under `logdir` whose run `runs` selects, sorted by run, then by name
/// (event file names start with their creation time, so this is the order they were written).
pub(super) fn event_files(logdir: &LogDir, runs: &Filter) -> Result<Vec<EventFile>> {
    let mut files = match logdir {
        LogDir::Local(root) => local_files(root)?,
        LogDir::Remote(remote) => remote_files(remote)?,
    };
    files.retain(|file| runs.matches(&file.run));
    files.sort_by(|a, b| (&a.run, &a.name).cmp(&(&b.run, &b.name)));
    Ok(files)
}

fn run_name(relative: &[&str]) -> String {
    if relative.is_empty() { ".".to_owned() } else { relative.join("/") }
}

fn local_files(root: &Path) -> Result<Vec<EventFile>> {
    let meta = fs::metadata(root).map_err(|e| with_path(e, "reading the log directory", root))?;
    let mut files = Vec::new();
    if meta.is_file() {
        // One event file named directly: its own run.
        files.push(EventFile {
            run: ".".into(),
            name: root.display().to_string(),
            size: meta.len(),
            location: Location::Local(root.to_owned()),
        });
        return Ok(files);
    }
    // Directories are followed through symbolic links, each once (a link to a parent would
    // loop otherwise).
    let mut seen = HashSet::new();
    let mut pending = vec![(root.to_owned(), Vec::<String>::new())];
    while let Some((dir, relative)) = pending.pop() {
        if !seen.insert(fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone())) {
            continue;
        }
        let entries = fs::read_dir(&dir).map_err(|e| with_path(e, "listing", &dir))?;
        for entry in entries {
            let entry = entry.map_err(|e| with_path(e, "listing", &dir))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            // A file removed while listing is skipped, as a file added after it is.
            let Ok(meta) = fs::metadata(&path) else { continue };
            if meta.is_dir() {
                let mut inner = relative.clone();
                inner.push(name);
                pending.push((path, inner));
            } else if is_event_file(&name) {
                let parts: Vec<&str> = relative.iter().map(String::as_str).collect();
                files.push(EventFile {
                    run: run_name(&parts),
                    name: path.display().to_string(),
                    size: meta.len(),
                    location: Location::Local(path),
                });
            }
        }
    }
    Ok(files)
}

fn remote_files(remote: &Remote) -> Result<Vec<EventFile>> {
    let mut files = Vec::new();
    let base = remote.url.trim_end_matches('/');
    for (object, size) in storage::objects(remote)? {
        let relative = object.url.strip_prefix(base).unwrap_or(&object.url).trim_start_matches('/');
        let mut parts: Vec<&str> = relative.split('/').collect();
        let name = parts.pop().unwrap_or_default();
        if !is_event_file(name) {
            continue;
        }
        let run = run_name(&parts);
        files.push(EventFile { run, name: object.url.clone(), size, location: Location::Remote(object) });
    }
    Ok(files)
}

/// Bytes read from a file at a time, and about the size of the chunks decoded in parallel:
/// large enough that a chunk costs little to hand over, small enough that the chunks in
/// flight stay far below the rows they make, and that one file spreads over the cores.
pub(super) const CHUNK: usize = 8 << 20;

/// One file's bytes cut into chunks of whole records, in order: several threads may take the
/// chunks of one file, each decoding the one it took while another reads the next.
pub(super) struct Chunks {
    source: Source,
    /// Bytes read but not handed out: the start of a record cut by the end of a read.
    carry: Vec<u8>,
    /// The file offset of `carry`'s first byte.
    base: u64,
    done: bool,
}

enum Source {
    File(File, PathBuf),
    /// An object's bytes, fetched whole.
    Memory,
}

/// A chunk: whole records (the file's last chunk may end in a cut record), the file offset of
/// its first byte, and how many records it holds.
pub(super) struct Chunk {
    pub bytes: Vec<u8>,
    pub base: u64,
    pub records: usize,
}

impl Chunks {
    pub fn open(file: &EventFile) -> Result<Chunks> {
        Ok(match &file.location {
            Location::Local(path) => {
                let input = File::open(path).map_err(|e| with_path(e, "opening", path))?;
                Chunks { source: Source::File(input, path.clone()), carry: Vec::new(), base: 0, done: false }
            }
            Location::Remote(object) => {
                let carry = storage::get_object(object)?;
                Chunks { source: Source::Memory, carry, base: 0, done: false }
            }
        })
    }

    /// The next chunk, None once the file is read.
    pub fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        loop {
            let (whole, records, bad_length) = whole_records(&self.carry);
            if !(self.done || whole >= CHUNK || bad_length) {
                match &mut self.source {
                    Source::Memory => self.done = true,
                    Source::File(input, path) => {
                        // Read on until the chunk is full, or the record that is cut is whole:
                        // a CHUNK at a time, so a length that lies costs only what the file holds.
                        let start = self.carry.len();
                        self.carry.resize(start + CHUNK, 0);
                        let n = read_full(input, &mut self.carry[start..])
                            .map_err(|e| with_path(e, "reading", path))?;
                        self.carry.truncate(start + n);
                        self.done = n == 0;
                        continue;
                    }
                }
            }
            if self.carry.is_empty() {
                return Ok(None);
            }
            // At the end, or at a bad length, the rest goes as it is: the decoder reports it.
            let cut = if self.done || bad_length { self.carry.len() } else { whole };
            self.done |= bad_length;
            let rest = self.carry.split_off(cut);
            let bytes = std::mem::replace(&mut self.carry, rest);
            let chunk = Chunk { base: self.base, records, bytes };
            self.base += cut as u64;
            return Ok(Some(chunk));
        }
    }
}

/// How many bytes at the start of `data` are whole records, how many records they are, and
/// whether a length whose CRC fails follows them (nothing after it can be framed; the decoder
/// reports it).
fn whole_records(data: &[u8]) -> (usize, usize, bool) {
    let (mut at, mut records) = (0usize, 0usize);
    while let Some(header) = data.get(at..at + 12) {
        if crate::record::masked_crc(&header[..8]).to_le_bytes() != header[8..12] {
            return (at, records, true);
        }
        let total =
            u64::from_le_bytes(header[..8].try_into().expect("8 bytes")).saturating_add(OVERHEAD as u64);
        if total > (data.len() - at) as u64 {
            break;
        }
        at += total as usize;
        records += 1;
    }
    (at, records, false)
}

/// Reads until `buf` is full or the file ends; returns how many bytes were read.
fn read_full(input: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match read_some(input, &mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

fn read_some(input: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match input.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// An error reading `file`, naming it.
pub(super) fn corrupt(file: &str, offset: u64, why: impl std::fmt::Display) -> crate::Error {
    crate::Error::Corrupt(format!("{file}: corrupt record at byte {offset}: {why}"))
}
