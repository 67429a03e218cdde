//! The events between callers and the writer thread, in call order: framed records, and jobs
//! that encode theirs later, on the writer thread, framed at their place among them.
//!
//! A job takes work off the caller's thread where a copy of the input is cheap and the
//! encoding is not (a PNG, a GIF): the caller checks and converts its arguments, and the job
//! only encodes. Jobs queued together are encoded on all the cores.

use std::sync::{Mutex, PoisonError};
use std::{io, mem};

use crate::{parallel, record};

/// Encoded bytes gathered before they are written (about half of a core's L2 cache).
const WRITE_PIECE: usize = 1 << 18;

/// A buffer keeps at least this much capacity between batches (no reallocation for ordinary
/// ones), and gives back what a batch far larger than the last one left it holding.
const KEEP_BYTES: usize = 1 << 20;

/// Jobs are encoded in windows of about this much input, whose records are held until they are
/// written: the memory the writer thread adds to the queue's byte bound.
const WINDOW_BYTES: usize = 16 << 20;

/// The input a thread must have in a window to be worth starting (tens of microseconds): a
/// few hundred microseconds of PNG encoding.
const BYTES_PER_THREAD: usize = 1 << 18;

/// Appends one event's payload (its encoding) to the buffer it is given; an error leaves no
/// record behind.
pub type Job = Box<dyn FnOnce(&mut Vec<u8>) -> crate::Result<()> + Send>;

/// Events whose jobs failed and left no record: the first one's error, and how many.
#[derive(Debug)]
pub(crate) struct Skipped {
    pub(crate) first: crate::Error,
    pub(crate) count: usize,
}

impl Skipped {
    /// Counts `more` into `skipped`, whose first error stays the first.
    pub(crate) fn add(skipped: &mut Option<Skipped>, more: Skipped) {
        match skipped {
            Some(earlier) => earlier.count += more.count,
            None => *skipped = Some(more),
        }
    }
}

/// A job, where its record goes (before `records[offset..]`), and the input it holds.
struct Queued {
    offset: usize,
    bytes: usize,
    job: Job,
}

#[derive(Default)]
pub(crate) struct Batch {
    records: Vec<u8>,
    jobs: Vec<Queued>,
    /// What the jobs hold (their inputs), counted against the queue's byte bound.
    job_bytes: usize,
    events: usize,
}

impl Batch {
    /// Appends one record whose payload `payload` appends.
    pub(crate) fn push_event(&mut self, payload: impl FnOnce(&mut Vec<u8>)) {
        record::frame_with(&mut self.records, payload);
        self.events += 1;
    }

    /// Appends a job holding `bytes` of input.
    pub(crate) fn push_job(&mut self, bytes: usize, job: Job) {
        self.jobs.push(Queued { offset: self.records.len(), bytes, job });
        self.job_bytes += bytes;
        self.events += 1;
    }

    pub(crate) fn events(&self) -> usize {
        self.events
    }

    /// Memory held, as the byte bound counts it.
    pub(crate) fn bytes(&self) -> usize {
        self.records.len() + self.job_bytes
    }

    /// Empties the batch into `taken` (which must be empty), keeping both buffers' capacity.
    pub(crate) fn take_into(&mut self, taken: &mut Batch) {
        mem::swap(self, taken);
    }

    /// Runs the jobs and hands every record, in order, to `write`, whole records at a time, in
    /// pieces of about [`WRITE_PIECE`] bytes: the disk can start on the first pieces while the
    /// later jobs are encoded. Leaves the batch empty for reuse. On a job's error the records
    /// before it are still written; after a failed write no later window of jobs runs.
    pub(crate) fn write_out(
        &mut self,
        scratch: &mut Vec<u8>,
        mut write: impl FnMut(&[u8]) -> io::Result<()>,
    ) -> io::Result<Option<Skipped>> {
        self.events = 0;
        self.job_bytes = 0;
        if self.jobs.is_empty() {
            return write(&self.records).map(|()| None);
        }
        scratch.clear();
        let mut skipped = None;
        let mut peak = 0;
        let mut start = 0;
        let mut jobs = mem::take(&mut self.jobs).into_iter().peekable();
        while jobs.peek().is_some() {
            let mut window = Vec::new();
            let mut bytes = 0;
            while let Some(queued) = jobs.next_if(|_| bytes < WINDOW_BYTES) {
                bytes += queued.bytes;
                window.push(queued);
            }
            let offsets: Vec<usize> = window.iter().map(|queued| queued.offset).collect();
            for (offset, encoded) in offsets.into_iter().zip(encode(window, bytes)) {
                scratch.extend_from_slice(&self.records[start..offset]);
                start = offset;
                match encoded {
                    Ok(record) => scratch.extend_from_slice(&record),
                    Err(first) => Skipped::add(&mut skipped, Skipped { first, count: 1 }),
                }
                if scratch.len() >= WRITE_PIECE {
                    peak = peak.max(scratch.len());
                    write(scratch)?;
                    scratch.clear();
                }
            }
        }
        scratch.extend_from_slice(&self.records[start..]);
        write(scratch)?;
        release(scratch, peak.max(scratch.len()));
        Ok(skipped)
    }

    /// Forgets the records written, keeping the buffer unless this batch was far smaller than
    /// what it holds.
    pub(crate) fn clear(&mut self) {
        let used = self.records.len();
        self.records.clear();
        release(&mut self.records, used);
    }
}

/// Runs a window's jobs, on several threads when their inputs are large enough to share
/// (`bytes` in all): each job's framed record, or why it has none, in order.
fn encode(window: Vec<Queued>, bytes: usize) -> Vec<crate::Result<Vec<u8>>> {
    let threads = parallel::threads_for(bytes, BYTES_PER_THREAD).min(window.len());
    // Each thread moves the jobs it takes out of their cells.
    let cells: Vec<Mutex<Option<Job>>> =
        window.into_iter().map(|queued| Mutex::new(Some(queued.job))).collect();
    let run = |(): &mut (), cell: &Mutex<Option<Job>>| {
        let job = cell.lock().unwrap_or_else(PoisonError::into_inner).take().expect("each job runs once");
        let mut record = Vec::new();
        record::frame_with(&mut record, job).map(|()| record)
    };
    parallel::map_parts(&cells, threads, || (), run).0
}

/// Gives back the capacity of `buffer` that a batch far larger than the one just written,
/// `used` bytes, left behind, and what a very large batch took: one large event must not keep
/// its memory for the writer's life.
fn release(buffer: &mut Vec<u8>, used: usize) {
    let keep = KEEP_BYTES.max(2 * used.min(4 * KEEP_BYTES));
    if buffer.capacity() > 2 * keep {
        buffer.clear();
        buffer.shrink_to(keep);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    /// The payloads of the records `batch` writes, and how it ended.
    fn write_out(batch: &mut Batch) -> (Vec<u8>, io::Result<Option<Skipped>>) {
        let mut written = Vec::new();
        let result = batch.write_out(&mut Vec::new(), |bytes| {
            written.extend_from_slice(bytes);
            Ok(())
        });
        (payloads(&written), result)
    }

    fn payloads(records: &[u8]) -> Vec<u8> {
        record::Records::new(records).flat_map(|r| r.unwrap().to_vec()).collect()
    }

    fn job(bytes: &'static [u8]) -> Job {
        Box::new(move |out| {
            out.extend_from_slice(bytes);
            Ok(())
        })
    }

    #[test]
    fn jobs_keep_their_place_among_records() {
        let mut batch = Batch::default();
        batch.push_event(|out| out.extend_from_slice(b"a"));
        batch.push_job(10, job(b"B"));
        batch.push_event(|out| out.extend_from_slice(b"c"));
        batch.push_job(10, job(b"D"));
        batch.push_job(10, job(b"E"));
        assert_eq!((batch.events(), batch.bytes()), (5, 2 * (1 + record::OVERHEAD) + 30));
        let (written, result) = write_out(&mut batch);
        assert_eq!(written, b"aBcDE");
        assert!(matches!(result, Ok(None)));
        batch.clear();
        assert_eq!((batch.events(), batch.bytes()), (0, 0));
    }

    #[test]
    fn jobs_encoded_on_the_cores_keep_their_place() {
        let mut batch = Batch::default();
        let mut expected = Vec::new();
        for i in 0..40u8 {
            batch.push_event(|out| out.push(i));
            batch.push_job(
                BYTES_PER_THREAD,
                Box::new(move |out| {
                    // Uneven work, so that the threads finish out of order.
                    out.resize(out.len() + usize::from(i % 7) * 10_000, b'j');
                    out.push(i);
                    Ok(())
                }),
            );
            expected.push(i);
            expected.extend(std::iter::repeat_n(b'j', usize::from(i % 7) * 10_000));
            expected.push(i);
        }
        let (written, result) = write_out(&mut batch);
        assert!(matches!(result, Ok(None)));
        assert!(written == expected);
    }

    #[test]
    fn a_failed_job_leaves_no_record_and_the_others_are_written() {
        let mut batch = Batch::default();
        batch.push_event(|out| out.extend_from_slice(b"a"));
        batch.push_job(
            1,
            Box::new(|out| {
                out.extend_from_slice(b"half");
                Err(crate::Error::invalid("img_tensor", "broken"))
            }),
        );
        batch.push_event(|out| out.extend_from_slice(b"c"));
        batch.push_job(1, Box::new(|_| Err(crate::Error::invalid("vid_tensor", "broken too"))));
        let (written, result) = write_out(&mut batch);
        assert_eq!(written, b"ac");
        // Both are counted; the first one's error is the one told.
        let Ok(Some(Skipped { first: crate::Error::InvalidArgument { arg: "img_tensor", .. }, count: 2 })) =
            result
        else {
            panic!("{result:?}")
        };
    }

    #[test]
    fn large_jobs_are_written_piece_by_piece() {
        let piece = |byte: u8| -> Job {
            Box::new(move |out| {
                out.resize(out.len() + WRITE_PIECE, byte);
                Ok(())
            })
        };
        let mut batch = Batch::default();
        batch.push_event(|out| out.push(b'a'));
        batch.push_job(1, piece(b'B'));
        batch.push_job(1, piece(b'C'));
        batch.push_event(|out| out.push(b'd'));
        let mut pieces = Vec::new();
        let result = batch.write_out(&mut Vec::new(), |bytes| {
            pieces.push(bytes.to_vec());
            Ok(())
        });
        assert!(result.is_ok());
        let expected = [[&b"a"[..], &[b'B'; WRITE_PIECE]].concat(), vec![b'C'; WRITE_PIECE], b"d".to_vec()];
        assert_eq!(pieces.iter().map(|p| payloads(p)).collect::<Vec<_>>(), expected);
    }

    #[test]
    fn a_failed_write_runs_no_later_job() {
        let ran = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        let mut batch = Batch::default();
        batch.push_job(
            WINDOW_BYTES,
            Box::new(|out| {
                out.resize(WRITE_PIECE, 0);
                Ok(())
            }),
        );
        batch.push_job(
            1,
            Box::new(move |_| {
                flag.store(true, Ordering::Relaxed);
                Ok(())
            }),
        );
        let result = batch.write_out(&mut Vec::new(), |_| Err(io::Error::other("disk full")));
        assert!(result.is_err());
        assert!(!ran.load(Ordering::Relaxed));
        assert_eq!(batch.events(), 0);
    }

    #[test]
    fn a_large_batch_gives_its_memory_back() {
        let mut batch = Batch::default();
        batch.push_event(|out| out.resize(64 * KEEP_BYTES, 1));
        assert!(write_out(&mut batch).1.is_ok());
        batch.clear();
        assert!(batch.records.capacity() <= 8 * KEEP_BYTES, "{}", batch.records.capacity());
        for _ in 0..3 {
            batch.push_event(|out| out.resize(KEEP_BYTES / 2, 1));
            assert!(write_out(&mut batch).1.is_ok());
            batch.clear();
            assert!(batch.records.capacity() >= KEEP_BYTES / 2);
        }
        assert!(batch.records.capacity() <= 2 * KEEP_BYTES, "{}", batch.records.capacity());
    }
}
