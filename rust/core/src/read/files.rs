//! Which files a log directory holds, grouped into runs, and their bytes.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::Filter;
use crate::error::Result;
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

/// Bytes read from a local file at a time: large enough that a read costs little per record,
/// small enough that reading every file at once stays far below the rows they make.
const BLOCK: usize = 8 << 20;

/// Feeds the file's bytes to `consume` in order: each call gets the bytes not consumed yet
/// (starting at the given file offset) and returns how many it consumed as whole records, and
/// how many bytes the record it stopped at needs in all, if it knows; `at_end` says no more
/// bytes will come.
pub(super) fn read_blocks(
    file: &EventFile,
    mut consume: impl FnMut(&[u8], u64, bool) -> Result<(usize, Option<u64>)>,
) -> Result<()> {
    match &file.location {
        Location::Remote(object) => {
            let bytes = storage::get_object(object)?;
            consume(&bytes, 0, true)?;
            Ok(())
        }
        Location::Local(path) => {
            let mut input = File::open(path).map_err(|e| with_path(e, "opening", path))?;
            let mut buf = vec![0u8; BLOCK.min(file.size as usize + 1).max(64)];
            let (mut filled, mut base) = (0usize, 0u64);
            loop {
                let n =
                    read_some(&mut input, &mut buf[filled..]).map_err(|e| with_path(e, "reading", path))?;
                filled += n;
                let at_end = n == 0;
                let (used, needed) = consume(&buf[..filled], base, at_end)?;
                if at_end {
                    return Ok(());
                }
                buf.copy_within(used..filled, 0);
                filled -= used;
                base += used as u64;
                // A record larger than the buffer: make room for all of it (bounded by what
                // the file holds, whatever its header claims).
                let want = needed.map_or(0, |n| n.min(file.size.saturating_sub(base) + 1) as usize);
                if want > buf.len() || filled == buf.len() {
                    buf.resize(want.max(buf.len() * 2), 0);
                }
            }
        }
    }
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
