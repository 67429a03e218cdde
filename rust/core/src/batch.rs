//! The events between callers and the writer thread, in call order: framed records, and jobs
//! that frame theirs later, on the writer thread, at their place among them.
//!
//! A job takes work off the caller's thread where a copy of the input is cheap and the
//! encoding is not (a PNG, a GIF): the caller checks and converts its arguments, and the job
//! only encodes.

use std::mem;

/// Appends one whole framed record to the buffer it is given.
pub type Job = Box<dyn FnOnce(&mut Vec<u8>) -> crate::Result<()> + Send>;

#[derive(Default)]
pub(crate) struct Batch {
    records: Vec<u8>,
    /// Each job's record goes before `records[offset..]`.
    jobs: Vec<(usize, Job)>,
    /// What the jobs hold (their inputs), counted against the queue's byte bound.
    job_bytes: usize,
    events: usize,
}

impl Batch {
    /// Appends one record with `frame`.
    pub(crate) fn push_record(&mut self, frame: impl FnOnce(&mut Vec<u8>)) {
        frame(&mut self.records);
        self.events += 1;
    }

    /// Appends a job holding `bytes` of input.
    pub(crate) fn push_job(&mut self, bytes: usize, job: Job) {
        self.jobs.push((self.records.len(), job));
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

    /// Runs the jobs and returns every record in order, as the bytes to write; leaves the batch
    /// empty for reuse. On a job's error the records before it are still returned.
    pub(crate) fn materialize<'a>(&'a mut self, scratch: &'a mut Vec<u8>) -> (&'a [u8], crate::Result<()>) {
        self.events = 0;
        self.job_bytes = 0;
        if self.jobs.is_empty() {
            return (&self.records, Ok(()));
        }
        scratch.clear();
        let mut start = 0;
        let mut result = Ok(());
        for (offset, job) in self.jobs.drain(..) {
            scratch.extend_from_slice(&self.records[start..offset]);
            start = offset;
            let whole = scratch.len();
            if let Err(e) = job(scratch) {
                scratch.truncate(whole);
                result = Err(e);
                break;
            }
        }
        if result.is_ok() {
            scratch.extend_from_slice(&self.records[start..]);
        }
        self.jobs.clear();
        (scratch, result)
    }

    /// Forgets the records written (keeping the buffer).
    pub(crate) fn clear(&mut self) {
        self.records.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(bytes: &'static [u8]) -> Job {
        Box::new(move |out| {
            out.extend_from_slice(bytes);
            Ok(())
        })
    }

    #[test]
    fn jobs_keep_their_place_among_records() {
        let mut batch = Batch::default();
        batch.push_record(|out| out.extend_from_slice(b"a"));
        batch.push_job(10, job(b"B"));
        batch.push_record(|out| out.extend_from_slice(b"c"));
        batch.push_job(10, job(b"D"));
        batch.push_job(10, job(b"E"));
        assert_eq!((batch.events(), batch.bytes()), (5, 32));
        let mut scratch = Vec::new();
        let (bytes, result) = batch.materialize(&mut scratch);
        assert_eq!(bytes, b"aBcDE");
        assert!(result.is_ok());
        batch.clear();
        assert_eq!((batch.events(), batch.bytes()), (0, 0));
    }

    #[test]
    fn a_failed_job_keeps_what_came_before() {
        let mut batch = Batch::default();
        batch.push_record(|out| out.extend_from_slice(b"a"));
        batch.push_job(
            1,
            Box::new(|out| {
                out.extend_from_slice(b"half");
                Err(crate::Error::invalid("img_tensor", "broken"))
            }),
        );
        batch.push_record(|out| out.extend_from_slice(b"c"));
        let mut scratch = Vec::new();
        let (bytes, result) = batch.materialize(&mut scratch);
        assert_eq!(bytes, b"a");
        assert!(result.is_err());
    }
}
