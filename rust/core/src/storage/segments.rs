//! An event stream in an object store, as a sequence of objects (segments) that TensorBoard
//! reads like one growing file.
//!
//! Stores cannot append, so the current segment is uploaded whole each time it grows, and a
//! new one is started when re-uploading would cost more than [`UPLOAD_BUDGET`] times the bytes
//! of events written (counted over the whole stream), or when it reaches [`SEGMENT_BYTES`].
//! So uploads grow with what is new, not with the run, and an upload carries everything
//! handed over since the last. Names are the event file's name plus `.<segment:06>`: they sort
//! in write order, and TensorBoard reads them in name order, tails the last one, and never
//! returns to one it has passed, which is why a segment is never touched once a later one
//! exists. Each segment is first created with a conditional put (`If-None-Match: *`), so no
//! other writer's object is ever overwritten; later uploads of the same segment replace
//! only ours.

use std::io;

use object_store::PutMode;
use object_store::path::Path as ObjectPath;

use super::Storage;
use super::remote::{Client, Remote};
use crate::error::Result;

/// Uploaded bytes, at most, per byte of events written, over the stream's life.
const UPLOAD_BUDGET: u64 = 3;

/// A segment is not grown past this (stores take single objects of 5 GB, TensorBoard's readers
/// buffer each segment they tail); a larger single record makes a segment of its own.
const SEGMENT_BYTES: usize = 32 << 20;

/// Records waiting for an upload after which they are uploaded without waiting for a flush,
/// which bounds the memory they hold between `flush_secs`.
const UPLOAD_BYTES: usize = 8 << 20;

/// Segments of one event stream, owned by its writer thread.
pub(crate) struct Segments {
    client: Client,
    /// Makes the stream's name; called again if the name is taken.
    name: Box<dyn Fn() -> String + Send>,
    base: String,
    segment: u32,
    /// The current segment's bytes: what was uploaded (`uploaded`) and what follows.
    buffer: Vec<u8>,
    uploaded: usize,
    /// The current segment exists in the store, written by us.
    created: bool,
    /// Bytes of events written and bytes uploaded, over the stream's life.
    events_bytes: u64,
    sent_bytes: u64,
}

impl Segments {
    /// Starts a stream with `first` (its file-version record) waiting for the first upload.
    /// Does no I/O: the writer thread uploads.
    pub(crate) fn new(
        remote: Remote,
        name: impl Fn() -> String + Send + 'static,
        first: &[u8],
    ) -> Result<Self> {
        let base = name();
        Ok(Segments {
            client: Client::new(remote)?,
            name: Box::new(name),
            base,
            segment: 0,
            buffer: first.to_vec(),
            uploaded: 0,
            created: false,
            events_bytes: 0,
            sent_bytes: 0,
        })
    }

    /// The URL of the stream's first segment.
    pub(crate) fn location(&self) -> String {
        self.client.remote.url_of(&self.path())
    }

    fn path(&self) -> ObjectPath {
        self.client.remote.child(&format!("{}.{:06}", self.base, self.segment))
    }

    /// Uploads the current segment with what is new, or a new segment with only that.
    fn upload(&mut self) -> io::Result<()> {
        let new = (self.buffer.len() - self.uploaded) as u64;
        let over_budget =
            self.sent_bytes + self.buffer.len() as u64 > UPLOAD_BUDGET * (self.events_bytes + new);
        if self.created && (over_budget || self.buffer.len() > SEGMENT_BYTES) {
            self.buffer.drain(..self.uploaded);
            // A segment that held one large record must not keep its memory for the run's life.
            self.buffer.shrink_to(self.buffer.len().max(UPLOAD_BYTES));
            self.uploaded = 0;
            self.segment += 1;
            self.created = false;
        }
        loop {
            let path = self.path();
            let mode = if self.created { PutMode::Overwrite } else { PutMode::Create };
            match self.client.put(&path, &self.buffer, mode) {
                Ok(()) => break,
                // Another writer's first segment has this name (the same host name and pid
                // elsewhere): take the next name.
                Err(object_store::Error::AlreadyExists { .. }) if self.segment == 0 && !self.created => {
                    self.base = (self.name)();
                }
                Err(e) => return Err(self.client.error("uploading", &path, &e)),
            }
        }
        self.sent_bytes += self.buffer.len() as u64;
        self.events_bytes += new;
        self.uploaded = self.buffer.len();
        self.created = true;
        Ok(())
    }
}

impl Storage for Segments {
    fn append(&mut self, records: &[u8]) -> io::Result<()> {
        self.buffer.extend_from_slice(records);
        if self.buffer.len() - self.uploaded >= UPLOAD_BYTES {
            self.upload()?;
        }
        Ok(())
    }

    fn flush(&mut self, _sync: bool) -> io::Result<()> {
        // An upload is durable once the store acknowledged it: there is nothing more to sync.
        if !self.created || self.buffer.len() > self.uploaded { self.upload() } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Records;

    fn remote(name: &str) -> Remote {
        Remote::parse(&format!("memory://{name}/team/run"), &[]).unwrap().unwrap()
    }

    /// The objects under the run, in name order, and the records they hold, in order.
    fn read_back(remote: &Remote) -> (Vec<String>, Vec<Vec<u8>>) {
        let client = Client::new(remote.clone()).unwrap();
        let mut names = Vec::new();
        let mut records = Vec::new();
        for (path, _) in client.list(&remote.prefix).unwrap() {
            names.push(path.filename().unwrap().to_owned());
            let (bytes, _) = client.get(&path).unwrap().unwrap();
            records.extend(Records::new(&bytes).map(|r| r.unwrap().to_vec()));
        }
        (names, records)
    }

    fn record(i: usize, len: usize) -> Vec<u8> {
        let mut out = Vec::new();
        crate::record::frame_into(&mut out, &vec![(i % 251) as u8; len]);
        out
    }

    fn segments(remote: &Remote) -> Segments {
        Segments::new(remote.clone(), || "events.out.tfevents.0000000001.host.1.0".to_owned(), &record(0, 10))
            .unwrap()
    }

    #[test]
    fn flushes_grow_a_segment_then_start_the_next_within_the_budget() {
        let remote = remote("budget");
        let mut stream = segments(&remote);
        let mut expected = vec![record(0, 10)];
        stream.flush(false).unwrap();
        for i in 1..=200 {
            let r = record(i, 100);
            stream.append(&r).unwrap();
            expected.push(r);
            stream.flush(false).unwrap();
        }
        let (names, records) = read_back(&remote);
        let framed: Vec<Vec<u8>> = expected.iter().map(|r| r[12..r.len() - 4].to_vec()).collect();
        assert_eq!(records, framed, "every record once, in order");
        assert!(names.len() > 1 && names.len() < 200, "{names:?}");
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(names.iter().all(|n| n.starts_with("events.out.tfevents.0000000001.host.1.0.")), "{names:?}");
        assert!(
            stream.sent_bytes <= UPLOAD_BUDGET * stream.events_bytes,
            "{} > 3 x {}",
            stream.sent_bytes,
            stream.events_bytes
        );
    }

    #[test]
    fn nothing_is_uploaded_between_flushes_below_the_upload_size() {
        let remote = remote("between");
        let mut stream = segments(&remote);
        stream.flush(false).unwrap();
        for i in 0..1000 {
            stream.append(&record(i, 100)).unwrap();
        }
        assert_eq!(read_back(&remote).1.len(), 1);
        stream.flush(false).unwrap();
        assert_eq!(read_back(&remote).1.len(), 1001);
    }

    #[test]
    fn a_name_taken_by_another_writer_is_left_alone() {
        let remote = remote("taken");
        let mut first = segments(&remote);
        first.flush(false).unwrap();
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let mut second = Segments::new(
            remote.clone(),
            move || {
                let n = calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                format!("events.out.tfevents.0000000001.host.1.{n}")
            },
            &record(1, 10),
        )
        .unwrap();
        second.flush(false).unwrap();
        let (names, records) = read_back(&remote);
        assert_eq!(
            names,
            [
                "events.out.tfevents.0000000001.host.1.0.000000",
                "events.out.tfevents.0000000001.host.1.1.000000"
            ]
        );
        assert_eq!(records.len(), 2);
        assert_ne!(records[0], records[1]);
    }

    #[test]
    fn the_memory_of_a_large_record_is_given_back_with_its_segment() {
        let remote = remote("large");
        let mut stream = segments(&remote);
        stream.append(&record(1, 2 * SEGMENT_BYTES)).unwrap();
        stream.flush(false).unwrap();
        stream.append(&record(2, 100)).unwrap();
        stream.flush(false).unwrap();
        // The next segment holds the small record in a buffer of its own size.
        assert!(stream.buffer.capacity() <= UPLOAD_BYTES, "{}", stream.buffer.capacity());
        assert_eq!(read_back(&remote).1.len(), 3);
    }

    #[test]
    fn segments_stay_under_their_size() {
        let remote = remote("size");
        let mut stream = segments(&remote);
        for i in 0..5 {
            stream.append(&record(i, SEGMENT_BYTES / 3)).unwrap();
            stream.flush(false).unwrap();
        }
        let client = Client::new(remote.clone()).unwrap();
        let sizes: Vec<u64> =
            client.list(&remote.prefix).unwrap().into_iter().map(|(_, size)| size).collect();
        assert!(sizes.len() >= 2, "{sizes:?}");
        assert!(sizes.iter().all(|&s| s as usize <= SEGMENT_BYTES), "{sizes:?}");
        assert_eq!(read_back(&remote).1.len(), 6);
    }
}
