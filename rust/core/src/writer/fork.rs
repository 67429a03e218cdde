//! Fork detection without a system call per event.
//!
//! A forked child inherits the writer's memory but not its thread, and the bytes it holds belong
//! to the parent's file. Every writer remembers the generation it was made in; a child sees a
//! newer one and starts afresh instead of touching inherited state (see `writer`).

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);
static REGISTER: Once = Once::new();

#[cfg(unix)]
extern "C" fn after_fork_in_child() {
    // Async-signal-safe: one atomic add, nothing else.
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// The current process's generation: it changes in a child after every `fork()`.
pub(crate) fn generation() -> u64 {
    REGISTER.call_once(|| {
        #[cfg(unix)]
        // SAFETY: registers a handler that only touches an atomic; no preconditions.
        unsafe {
            libc::pthread_atfork(None, None, Some(after_fork_in_child));
        }
    });
    GENERATION.load(Ordering::Relaxed)
}
