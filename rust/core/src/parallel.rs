//! Spreading one large job across the machine's cores.
//!
//! Threads come from [`std::thread::scope`], not from a pool such as rayon's: they live only for
//! the duration of one call, so a process that forks (multiprocessing, `DataLoader` workers) never
//! inherits a pool whose threads did not survive the fork, and an idle writer holds no threads.
//! Starting a thread costs tens of microseconds, so callers split only work large enough to hide
//! it (see [`threads_for`]).

use std::num::NonZero;
use std::sync::OnceLock;
use std::thread::{self, ScopedJoinHandle};

/// How many threads `len` items deserve: no more than the cores, and at least `min_per_thread`
/// items for each; 1 means "run inline".
pub(crate) fn threads_for(len: usize, min_per_thread: usize) -> usize {
    let most = len / min_per_thread.max(1);
    if most < 2 {
        return 1;
    }
    // Asked once: on Linux the answer reads cgroup files, tens of microseconds.
    static CORES: OnceLock<usize> = OnceLock::new();
    (*CORES.get_or_init(|| thread::available_parallelism().map_or(1, NonZero::get))).min(most)
}

/// Splits `parts` into up to `threads` contiguous runs and returns `f` of each run, in order.
/// The calling thread takes the first run. A thread that cannot be started leaves its run to the
/// caller; a panic in `f` resumes in the caller.
pub(crate) fn map_runs<P: Sync, R: Send>(
    parts: &[P],
    threads: usize,
    f: impl Fn(&[P]) -> R + Sync,
) -> Vec<R> {
    let run_len = parts.len().div_ceil(threads.max(1)).max(1);
    if run_len >= parts.len() {
        return vec![f(parts)];
    }
    let (own, others) = parts.split_at(run_len);
    let f = &f;
    thread::scope(|scope| {
        let spawned: Vec<Result<ScopedJoinHandle<'_, R>, &[P]>> = others
            .chunks(run_len)
            .map(|run| thread::Builder::new().spawn_scoped(scope, move || f(run)).map_err(|_| run))
            .collect();
        let mut results = vec![f(own)];
        for outcome in spawned {
            results.push(match outcome {
                Ok(handle) => handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(run) => f(run),
            });
        }
        results
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_cover_the_parts_in_order() {
        let parts: Vec<usize> = (0..37).collect();
        for threads in [0, 1, 2, 3, 8, 64] {
            let runs = map_runs(&parts, threads, <[usize]>::to_vec);
            assert!(runs.len() <= threads.max(1));
            assert_eq!(runs.concat(), parts);
        }
        assert_eq!(map_runs(&[] as &[usize], 4, <[usize]>::len), [0]);
    }

    #[test]
    fn small_jobs_stay_inline() {
        assert_eq!(threads_for(1000, 1 << 16), 1);
        assert_eq!(threads_for(0, 0), 1);
        assert!(threads_for(1 << 30, 1 << 16) >= 1);
    }
}
