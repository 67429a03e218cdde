//! Things kept for reuse by any thread: image-sized buffers (a fresh one costs its page faults)
//! and encoders (a libdeflate compressor takes 0.5 ms to make).
//!
//! Never waited for: the lock is only tried, so a child forked while another thread held it (or
//! a rare contention) makes a fresh one instead of blocking.

use std::sync::Mutex;

pub(crate) struct Spare<T>(Mutex<Vec<T>>);

impl<T> Spare<T> {
    pub(crate) const fn new() -> Self {
        Spare(Mutex::new(Vec::new()))
    }

    /// A kept item that `fits`, if one is at hand.
    pub(crate) fn take(&self, fits: impl Fn(&T) -> bool) -> Option<T> {
        let mut items = self.0.try_lock().ok()?;
        let i = items.iter().position(fits)?;
        Some(items.swap_remove(i))
    }

    /// Keeps `item` if `room(kept, &item)` says there is room for it beside the items kept.
    pub(crate) fn give_back(&self, item: T, room: impl FnOnce(&[T], &T) -> bool) {
        if let Ok(mut items) = self.0.try_lock() {
            if room(&items, &item) {
                items.push(item);
            }
        }
    }
}
