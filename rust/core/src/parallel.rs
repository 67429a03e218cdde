//! Spreading one large job across the machine's cores.
//!
//! Threads come from [`std::thread::scope`], not from a pool such as rayon's: they live only for
//! the duration of one call, so a process that forks (multiprocessing, `DataLoader` workers) never
//! inherits a pool whose threads did not survive the fork, and an idle writer holds no threads.
//! Starting a thread costs tens of microseconds, so callers split only work large enough to hide
//! it (see [`threads_for`]).

use std::num::NonZero;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

/// How many threads `len` items deserve: no more than the cores, and at least `min_per_thread`
/// items for each; 1 means "run inline".
pub(crate) fn threads_for(len: usize, min_per_thread: usize) -> usize {
    let most = len / min_per_thread.max(1);
    if most < 2 {
        return 1;
    }
    cores().min(most)
}

/// The cores this process may use.
pub(crate) fn cores() -> usize {
    // Asked once: on Linux the answer reads cgroup files, tens of microseconds.
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| thread::available_parallelism().map_or(1, NonZero::get))
}

/// Runs `f` on every part on up to `threads` threads, the calling thread one of them. Each
/// thread has a state of its own from `state` and takes the next part no thread has taken yet,
/// so a thread that starts late (an idle core can take tens of microseconds to wake) or shares
/// its core with another busy thread takes fewer. Returns the results in part order, and the
/// states. A thread that cannot be started leaves its share to the others; a panic in `f`
/// resumes in the caller.
pub(crate) fn map_parts<P: Sync, S: Send, R: Send>(
    parts: &[P],
    threads: usize,
    state: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, &P) -> R + Sync,
) -> (Vec<R>, Vec<S>) {
    let next = AtomicUsize::new(0);
    let work = || {
        let mut own = state();
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(part) = parts.get(i) else { break };
            done.push((i, f(&mut own, part)));
        }
        (done, own)
    };
    let work = &work;
    let outputs = thread::scope(|scope| {
        let spawned: Vec<_> =
            (1..threads).filter_map(|_| thread::Builder::new().spawn_scoped(scope, work).ok()).collect();
        let mut outputs = vec![work()];
        for handle in spawned {
            outputs.push(handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        outputs
    });
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(parts.len()).collect();
    let mut states = Vec::with_capacity(outputs.len());
    for (done, own) in outputs {
        for (i, result) in done {
            results[i] = Some(result);
        }
        states.push(own);
    }
    (results.into_iter().map(|r| r.expect("every part taken once")).collect(), states)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_come_back_in_order_whoever_took_them() {
        let parts: Vec<usize> = (0..100).collect();
        for threads in [1, 2, 5] {
            let (results, states) = map_parts(
                &parts,
                threads,
                || 0,
                |taken, &p| {
                    *taken += 1;
                    p * 2
                },
            );
            assert_eq!(results, parts.iter().map(|p| p * 2).collect::<Vec<_>>());
            assert_eq!((states.len(), states.iter().sum::<usize>()), (threads, parts.len()));
        }
        assert!(map_parts(&[] as &[usize], 4, || (), |(), &p| p).0.is_empty());
    }

    #[test]
    fn small_jobs_stay_inline() {
        assert_eq!(threads_for(1000, 1 << 16), 1);
        assert_eq!(threads_for(0, 0), 1);
        assert!(threads_for(1 << 30, 1 << 16) >= 1);
    }
}
