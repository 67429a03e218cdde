//! An event file on a local disk: created exclusively, appended to by the writer thread alone,
//! synced in the background as it grows and at `close()`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;

use super::{Storage, with_path};
use crate::error::{IoContext, Result};

/// Written bytes after which the file is synced in the background, so that the sync of
/// `close()` finds little left to do (on a disk with a write cache, a sync costs what was
/// written since the last one).
pub(crate) const SYNC_BYTES: u64 = 1 << 20;

/// One event file, owned by its writer thread.
pub(crate) struct LocalFile {
    /// Shared with the thread that syncs it in the background.
    file: Arc<File>,
    path: PathBuf,
    /// Bytes of whole records in the file: where to cut back to after a failed write.
    written: u64,
    /// The bytes before this are synced, or being synced by `syncer`.
    synced_to: u64,
    syncer: Syncer,
}

impl LocalFile {
    /// Creates a new event file in `dir` (and `dir` if needed) named by `name(counter)`, and
    /// writes `first` (the file-version record) to it at once, so that readers see the run.
    pub(crate) fn create(dir: &Path, name: impl Fn() -> String, first: &[u8]) -> Result<Self> {
        fs::create_dir_all(dir).map_err(|e| with_path(e, "creating the log directory", dir))?;
        let (path, mut file) = loop {
            let path = dir.join(name());
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => break (path, file),
                // Another process with a recycled pid, or a leftover file: take the next name.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(with_path(e, "creating", &path).into()),
            }
        };
        if let Err(e) = file.write_all(first) {
            // A file without its first record would be left torn (a full disk): remove it.
            let _ = fs::remove_file(&path);
            return Err(with_path(e, "writing", &path).into());
        }
        Ok(LocalFile {
            file: Arc::new(file),
            path,
            written: first.len() as u64,
            synced_to: 0,
            syncer: Syncer::default(),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Starts a background sync once [`SYNC_BYTES`] were written since the last one began,
    /// unless one is still running; reports one that failed.
    fn sync_in_background(&mut self) -> io::Result<()> {
        if !self.syncer.busy() {
            self.syncer.take_error().map_err(|e| with_path(e, "syncing", &self.path))?;
            if self.written - self.synced_to >= SYNC_BYTES && self.syncer.start(&self.file) {
                self.synced_to = self.written;
            }
        }
        Ok(())
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

impl Storage for LocalFile {
    fn append(&mut self, records: &[u8]) -> io::Result<()> {
        if let Err(e) = self.file.as_ref().write_all(records) {
            // Keep the file readable: no half record may follow the last whole one.
            let _ = self.file.set_len(self.written);
            return Err(with_path(e, "writing", &self.path));
        }
        self.written += records.len() as u64;
        self.sync_in_background()
    }

    fn flush(&mut self, sync: bool) -> io::Result<()> {
        self.check_still_there().map_err(|e| with_path(e, "writing", &self.path))?;
        if !self.syncer.busy() {
            self.syncer.take_error().map_err(|e| with_path(e, "syncing", &self.path))?;
        }
        if sync {
            self.syncer.wait().map_err(|e| with_path(e, "syncing", &self.path))?;
            // close() syncs after the flush that drained it: nothing new to sync then.
            if self.written > self.synced_to {
                self.file.sync_data().map_err(|e| with_path(e, "syncing", &self.path))?;
                self.synced_to = self.written;
            }
        }
        Ok(())
    }
}

/// The thread that syncs one file in the background, started at the first sync and ended with
/// the file. It only calls `fdatasync`; a forked child never sees it (the parent's writer is
/// abandoned untouched).
#[derive(Default)]
struct Syncer {
    shared: Option<Arc<SyncShared>>,
}

#[derive(Default)]
struct SyncShared {
    state: Mutex<SyncState>,
    changed: Condvar,
}

#[derive(Default)]
struct SyncState {
    /// A sync was asked for and has not finished.
    pending: bool,
    /// The first failed sync, until it is reported.
    error: Option<io::Error>,
    /// The file is closed: the thread ends.
    stop: bool,
}

impl SyncShared {
    fn lock(&self) -> MutexGuard<'_, SyncState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(&self, file: &File) {
        let mut state = self.lock();
        loop {
            while !state.pending && !state.stop {
                state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            if !state.pending {
                return;
            }
            drop(state);
            let result = file.sync_data();
            state = self.lock();
            if let Err(e) = result {
                state.error.get_or_insert(e);
            }
            state.pending = false;
            self.changed.notify_all();
        }
    }
}

impl Syncer {
    fn busy(&self) -> bool {
        self.shared.as_ref().is_some_and(|s| s.lock().pending)
    }

    /// Asks for a sync of `file`; false if no thread could be started for it (the sync is then
    /// left to the next flush or close).
    fn start(&mut self, file: &Arc<File>) -> bool {
        if self.shared.is_none() {
            let shared = Arc::new(SyncShared::default());
            let (theirs, file) = (Arc::clone(&shared), Arc::clone(file));
            let spawned =
                thread::Builder::new().name("turboboard-sync".into()).spawn(move || theirs.run(&file));
            if spawned.is_err() {
                return false;
            }
            self.shared = Some(shared);
        }
        let shared = self.shared.as_ref().expect("started above");
        shared.lock().pending = true;
        shared.changed.notify_all();
        true
    }

    /// Waits for a running sync, then reports any that failed.
    fn wait(&self) -> io::Result<()> {
        let Some(shared) = &self.shared else { return Ok(()) };
        let mut state = shared.lock();
        while state.pending {
            state = shared.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.error.take().map_or(Ok(()), Err)
    }

    /// Reports a finished sync that failed.
    fn take_error(&self) -> io::Result<()> {
        let Some(shared) = &self.shared else { return Ok(()) };
        shared.lock().error.take().map_or(Ok(()), Err)
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        // Ends the thread once its sync is done, without waiting for a stuck disk here.
        if let Some(shared) = &self.shared {
            shared.lock().stop = true;
            shared.changed.notify_all();
        }
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
