//! Spreading one large job across the machine's cores.
//!
//! Threads come from [`std::thread::scope`], not from a pool such as rayon's: they live only for
//! the duration of one call, so a process that forks (multiprocessing, `DataLoader` workers) never
//! inherits a pool whose threads did not survive the fork, and an idle writer holds no threads.
//! Starting a thread costs tens of microseconds, so callers split only work large enough to hide
//! it (see [`threads_for`]).

use std::num::NonZero;
use std::thread::{self, ScopedJoinHandle};

/// How many threads `len` items deserve: no more than the cores, and at least `min_per_thread`
/// items for each; 1 means "run inline".
pub(crate) fn threads_for(len: usize, min_per_thread: usize) -> usize {
    let most = len / min_per_thread.max(1);
    if most < 2 {
        return 1;
    }
    thread::available_parallelism().map_or(1, NonZero::get).min(most)
}

/// `parts.iter().map(f).collect()`, with contiguous runs of `parts` handed to up to `threads`
/// threads, the calling thread included. Results keep the order of `parts`. A thread that cannot
/// be started leaves its run to the caller; a panic in `f` resumes in the caller.
pub(crate) fn map_parts<P: Sync, R: Send>(parts: &[P], threads: usize, f: impl Fn(&P) -> R + Sync) -> Vec<R> {
    let run_len = parts.len().div_ceil(threads.max(1)).max(1);
    if run_len >= parts.len() {
        return parts.iter().map(f).collect();
    }
    let (own, others) = parts.split_at(run_len);
    let f = &f;
    thread::scope(|scope| {
        let spawned: Vec<Result<ScopedJoinHandle<'_, Vec<R>>, &[P]>> = others
            .chunks(run_len)
            .map(|run| {
                thread::Builder::new()
                    .spawn_scoped(scope, move || run.iter().map(f).collect())
                    .map_err(|_| run)
            })
            .collect();
        let mut results: Vec<R> = own.iter().map(f).collect();
        for outcome in spawned {
            match outcome {
                Ok(handle) => match handle.join() {
                    Ok(run_results) => results.extend(run_results),
                    Err(panic) => std::panic::resume_unwind(panic),
                },
                Err(run) => results.extend(run.iter().map(f)),
            }
        }
        results
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_for_any_thread_count() {
        let parts: Vec<usize> = (0..37).collect();
        for threads in [0, 1, 2, 3, 8, 64] {
            assert_eq!(map_parts(&parts, threads, |p| p * 2), (0..74).step_by(2).collect::<Vec<_>>());
        }
        assert!(map_parts(&[] as &[usize], 4, |p| *p).is_empty());
    }

    #[test]
    fn small_jobs_stay_inline() {
        assert_eq!(threads_for(1000, 1 << 16), 1);
        assert_eq!(threads_for(0, 0), 1);
        assert!(threads_for(1 << 30, 1 << 16) >= 1);
    }
}
