//! Event file names, TensorBoard's way:
//! `events.out.tfevents.<10-digit seconds>.<host>.<pid>.<counter><suffix>`. The pid and the
//! process-wide counter make a name unique on a host; storage creates each exclusively, and
//! takes the next name when one is taken (a recycled pid, a leftover file).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The next event file name of this process.
pub(crate) fn event_file_name(suffix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!(
        "events.out.tfevents.{:010}.{}.{}.{}{}",
        now() as u64,
        hostname(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        suffix
    )
}

/// Seconds since the epoch.
pub fn now() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

fn hostname() -> String {
    #[cfg(unix)]
    {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it.
        if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            return String::from_utf8_lossy(&buf[..end]).into_owned();
        }
    }
    std::env::var("COMPUTERNAME").unwrap_or_else(|_| "localhost".into())
}
