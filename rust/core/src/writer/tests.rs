//! The writer against real files: barriers, flush intervals, closing, naming, failures, fork.

use std::fs;
use std::path::Path;
use std::time::Instant;
use std::{io, thread};

use prost::Message;

use super::*;
use crate::error::os_code;
use crate::storage::SYNC_BYTES;
use crate::summary;

const LONG: Duration = Duration::from_secs(30);

fn scalar_event(step: i64) -> Event {
    summary::event(vec![summary::scalar("loss", step as f32, "", "")], Some(step), 1.0).unwrap()
}

fn read_events(path: &Path) -> Vec<Event> {
    let bytes = std::fs::read(path).unwrap();
    record::Records::new(&bytes).map(|r| Event::decode(r.unwrap()).unwrap()).collect()
}

fn local(dir: &Path) -> LogDir {
    LogDir::Local(dir.to_path_buf())
}

fn writer(dir: &Path, options: Options) -> EventWriter {
    EventWriter::open(local(dir), options).unwrap()
}

#[test]
fn first_record_is_file_version_and_on_disk_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let w = writer(dir.path(), Options::default());
    let events = read_events(&w.path().unwrap());
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].what, Some(proto::event::What::FileVersion("brain.Event:2".into())));
    assert!(events[0].wall_time > 1e9);
}

#[test]
fn flush_is_a_barrier() {
    let dir = tempfile::tempdir().unwrap();
    // A long flush interval and a large queue: only flush() can have written these.
    let w = writer(dir.path(), Options { max_queue: 1 << 20, flush_secs: 3600.0, ..Options::default() });
    for step in 0..20_000 {
        assert_eq!(w.write_event(&scalar_event(step)).unwrap(), Backpressure::None);
    }
    w.flush(false, LONG).unwrap();
    let events = read_events(&w.path().unwrap());
    assert_eq!(events.len(), 20_001);
    assert_eq!(events.last().unwrap().step, 19_999);
}

#[test]
fn syncs_on_the_way_leave_every_record_whole() {
    let dir = tempfile::tempdir().unwrap();
    let w = writer(dir.path(), Options::default());
    let steps = 100_000; // about 3 MB: syncs on the way
    for step in 0..steps {
        if w.write_event(&scalar_event(step)).unwrap() == Backpressure::Wait {
            assert!(w.waiter().unwrap().wait_for_space(LONG).unwrap());
        }
    }
    let path = w.path().unwrap();
    w.close(LONG).unwrap();
    assert!(fs::metadata(&path).unwrap().len() > 2 * SYNC_BYTES);
    let events = read_events(&path);
    assert_eq!(events.len() as i64, steps + 1);
    assert_eq!(events.last().unwrap().step, steps - 1);
}

#[test]
fn flush_secs_writes_without_a_flush() {
    let dir = tempfile::tempdir().unwrap();
    let w = writer(dir.path(), Options { max_queue: 1000, flush_secs: 0.05, ..Options::default() });
    let _ = w.write_event(&scalar_event(1)).unwrap();
    let deadline = Instant::now() + LONG;
    while read_events(&w.path().unwrap()).len() < 2 {
        assert!(Instant::now() < deadline, "the periodic flush never came");
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn close_is_idempotent_and_later_writes_fail() {
    let dir = tempfile::tempdir().unwrap();
    let w = writer(dir.path(), Options::default());
    let _ = w.write_event(&scalar_event(1)).unwrap();
    w.close(LONG).unwrap();
    w.close(LONG).unwrap();
    assert!(matches!(w.write_event(&scalar_event(2)), Err(Error::Closed(_))));
    assert!(matches!(w.flush(false, LONG), Err(Error::Closed(_))));
    assert_eq!(read_events(&fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path()).len(), 2);
}

#[test]
fn names_are_unique_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let writers: Vec<_> = (0..20)
        .map(|_| writer(dir.path(), Options { filename_suffix: ".x".into(), ..Options::default() }))
        .collect();
    let mut names: Vec<_> = writers.iter().map(|w| w.path().unwrap()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 20);
    let name = names[0].file_name().unwrap().to_str().unwrap().to_owned();
    let parts: Vec<_> = name.split('.').collect();
    assert_eq!(&parts[..3], &["events", "out", "tfevents"]);
    assert_eq!(parts[3].len(), 10);
    assert!(name.ends_with(".x"));
    assert!(name.contains(&format!(".{}.", std::process::id())));
}

#[test]
fn a_removed_file_is_an_error_not_a_silent_loss() {
    let dir = tempfile::tempdir().unwrap();
    let logdir = dir.path().join("run");
    let w = writer(&logdir, Options::default());
    fs::remove_dir_all(&logdir).unwrap();
    let _ = w.write_event(&scalar_event(1)).unwrap();
    let err = w.flush(false, LONG).unwrap_err();
    assert!(matches!(&err, Error::Io(e) if e.kind() == io::ErrorKind::NotFound), "{err}");
    // Latched: every later call says so too.
    assert!(matches!(w.write_event(&scalar_event(2)), Err(Error::Io(_))));
    assert!(matches!(w.close(LONG), Err(Error::Io(_))));
}

#[test]
fn jobs_are_written_in_call_order_before_flush_returns() {
    let dir = tempfile::tempdir().unwrap();
    let w = writer(dir.path(), Options::default());
    let _ = w.write_event(&scalar_event(1)).unwrap();
    let job = Box::new(|out: &mut Vec<u8>| {
        thread::sleep(Duration::from_millis(50)); // a slow encoder must not be overtaken
        scalar_event(2).encode_raw(out);
        Ok(())
    });
    let _ = w.write_job(100, job).unwrap();
    let _ = w.write_event(&scalar_event(3)).unwrap();
    w.flush(false, LONG).unwrap();
    let steps: Vec<_> = read_events(&w.path().unwrap())[1..].iter().map(|e| e.step).collect();
    assert_eq!(steps, vec![1, 2, 3]);
}

#[test]
fn a_failed_job_is_reported_once_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let w = writer(dir.path(), Options::default());
    let _ = w.write_event(&scalar_event(1)).unwrap();
    let _ = w
        .write_job(1, Box::new(|_: &mut Vec<u8>| Err(Error::invalid("img_tensor", "cannot encode"))))
        .unwrap();
    let _ = w.write_event(&scalar_event(2)).unwrap();
    // The flush says so (it promises every event before it was written), whether the job
    // failed before it asked or while it waited.
    let err = w.flush(false, LONG).unwrap_err();
    assert!(matches!(&err, Error::InvalidArgument { arg: "img_tensor", .. }), "{err}");
    assert!(err.to_string().contains("cannot encode") && err.to_string().contains("left out"), "{err}");
    let _ = w.write_event(&scalar_event(3)).unwrap();
    w.flush(false, LONG).unwrap();
    w.close(LONG).unwrap();
    let steps: Vec<_> = read_events(&w.path_for_test())[1..].iter().map(|e| e.step).collect();
    assert_eq!(steps, vec![1, 2, 3]);
}

#[test]
fn the_call_that_reports_events_left_out_keeps_its_own_and_all_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    // The two jobs wake the thread together, and so does every second event after them.
    let w = writer(dir.path(), Options { max_queue: 2, ..Options::default() });
    let fail = |arg| -> Job { Box::new(move |_: &mut Vec<u8>| Err(Error::invalid(arg, "cannot encode"))) };
    let _ = w.write_job(1, fail("img_tensor")).unwrap();
    let _ = w.write_job(1, fail("vid_tensor")).unwrap();
    let deadline = Instant::now() + LONG;
    let mut step = 0;
    let err = loop {
        step += 1;
        match w.write_event(&scalar_event(step)) {
            Ok(_) => assert!(Instant::now() < deadline, "the failed jobs were never reported"),
            Err(e) => break e,
        }
        thread::sleep(Duration::from_millis(1));
    };
    assert!(matches!(&err, Error::InvalidArgument { arg: "img_tensor", .. }), "{err}");
    assert!(err.to_string().contains("2 events") && err.to_string().contains("cannot encode"), "{err}");
    w.flush(false, LONG).unwrap();
    w.close(LONG).unwrap();
    // The event of the call that raised was written, like every other.
    let steps: Vec<_> = read_events(&w.path_for_test())[1..].iter().map(|e| e.step).collect();
    assert_eq!(steps, (1..=step).collect::<Vec<_>>());
}

#[test]
fn a_latched_error_keeps_its_os_error_code() {
    let dir = tempfile::tempdir().unwrap();
    let logdir = dir.path().join("run");
    let w = writer(&logdir, Options::default());
    fs::remove_dir_all(&logdir).unwrap();
    let _ = w.write_event(&scalar_event(1)).unwrap();
    for _ in 0..2 {
        match w.flush(false, LONG).unwrap_err() {
            Error::Io(e) => assert_eq!(os_code(&e), Some(2), "{e}"),
            other => panic!("{other}"),
        }
    }
}

#[test]
fn a_suffix_with_a_separator_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for suffix in ["/../x", "a\\b", "nul\0"] {
        let options = Options { filename_suffix: suffix.into(), ..Options::default() };
        let err = EventWriter::open(local(&dir.path().join("run")), options).err().unwrap();
        assert!(matches!(err, Error::InvalidArgument { arg: "filename_suffix", .. }), "{err}");
    }
    assert!(!dir.path().join("run").exists());
}

#[test]
fn an_empty_byte_bound_is_refused_and_no_count_bound_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let err = EventWriter::open(local(dir.path()), Options { max_queue_bytes: 0, ..Options::default() });
    assert!(matches!(err.err().unwrap(), Error::InvalidArgument { arg: "max_queue_bytes", .. }));
    // max_queue=0, as the anchors' unbounded queues: events wait for the flush interval.
    let w = writer(dir.path(), Options { max_queue: 0, flush_secs: 3600.0, ..Options::default() });
    for step in 0..100 {
        let _ = w.write_event(&scalar_event(step)).unwrap();
    }
    thread::sleep(Duration::from_millis(100));
    assert_eq!(read_events(&w.path().unwrap()).len(), 1);
    w.flush(false, LONG).unwrap();
    assert_eq!(read_events(&w.path().unwrap()).len(), 101);
}

#[test]
fn any_flush_interval_from_zero_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    for flush_secs in [0.0, 1e-9, 1e30, f64::MAX] {
        let w = writer(dir.path(), Options { flush_secs, ..Options::default() });
        let _ = w.write_event(&scalar_event(1)).unwrap();
        w.close(LONG).unwrap();
    }
    for flush_secs in [-1.0, f64::NAN, f64::INFINITY] {
        assert!(EventWriter::open(local(dir.path()), Options { flush_secs, ..Options::default() }).is_err());
    }
}

#[test]
fn backpressure_when_the_byte_bound_is_reached() {
    let dir = tempfile::tempdir().unwrap();
    let w = writer(dir.path(), Options { max_queue_bytes: 1000, max_queue: 1 << 20, ..Options::default() });
    let mut waited = false;
    for step in 0..1000 {
        if w.write_event(&scalar_event(step)).unwrap() == Backpressure::Wait {
            waited = true;
            assert!(w.waiter().unwrap().wait_for_space(LONG).unwrap());
        }
    }
    assert!(waited);
    w.close(LONG).unwrap();
    assert_eq!(read_events(&w.path_for_test()).len(), 1001);
}

#[test]
fn threads_logging_at_once_write_whole_records() {
    let dir = tempfile::tempdir().unwrap();
    let w = writer(dir.path(), Options::default());
    let path = w.path().unwrap();
    thread::scope(|s| {
        for t in 0..8 {
            let w = &w;
            s.spawn(move || {
                for i in 0..5000 {
                    if w.write_event(&scalar_event(t * 10_000 + i)).unwrap() == Backpressure::Wait {
                        w.waiter().unwrap().wait_for_space(LONG).unwrap();
                    }
                }
            });
        }
    });
    w.close(LONG).unwrap();
    let mut steps: Vec<_> = read_events(&path)[1..].iter().map(|e| e.step).collect();
    steps.sort();
    let expected: Vec<_> = (0..8).flat_map(|t| (0..5000).map(move |i| t * 10_000 + i)).collect();
    assert_eq!(steps, expected);
}

#[cfg(unix)]
#[test]
fn a_forked_child_writes_its_own_file_and_leaves_the_parents_alone() {
    let dir = tempfile::tempdir().unwrap();
    let w = writer(dir.path(), Options { max_queue: 1 << 20, flush_secs: 3600.0, ..Options::default() });
    let parent_path = w.path().unwrap();
    let _ = w.write_event(&scalar_event(1)).unwrap(); // unflushed at the fork
    // SAFETY: the child only uses the writer (whose state it must not trust) and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let ok = w.path().unwrap() != parent_path
            && w.write_event(&scalar_event(2)).is_ok()
            && w.close(LONG).is_ok();
        // SAFETY: leaves the child at once, as a forked test child must.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waits for the child forked above.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "child failed: {status}");
    w.close(LONG).unwrap();
    let mut files: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), 2);
    let child_path = files.iter().find(|p| **p != parent_path).unwrap();
    let steps = |p: &Path| read_events(p)[1..].iter().map(|e| e.step).collect::<Vec<_>>();
    assert_eq!(steps(&parent_path), vec![1]);
    assert_eq!(steps(child_path), vec![2]);
}

impl EventWriter {
    fn path_for_test(&self) -> PathBuf {
        fs::read_dir(match &self.logdir {
            LogDir::Local(dir) => dir,
            LogDir::Remote(_) => unreachable!(),
        })
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
    }
}

fn remote_events(url: &str) -> Vec<Event> {
    let LogDir::Remote(remote) = LogDir::parse(url, &[]).unwrap() else { unreachable!() };
    let mut events = Vec::new();
    for (object, _) in crate::storage::list_objects(&remote).unwrap() {
        let LogDir::Remote(one) = LogDir::parse(&object, &[]).unwrap() else { unreachable!() };
        let bytes = crate::storage::get_object(&one).unwrap();
        events.extend(record::Records::new(&bytes).map(|r| Event::decode(r.unwrap()).unwrap()));
    }
    events
}

#[test]
fn a_remote_stream_is_in_the_store_once_flushed() {
    let url = "memory://writer-test/runs/a";
    let w = EventWriter::open(LogDir::parse(url, &[]).unwrap(), Options::default()).unwrap();
    assert!(
        w.path().unwrap().to_str().unwrap().starts_with("memory://writer-test/runs/a/events.out.tfevents.")
    );
    for step in 0..1000 {
        let _ = w.write_event(&scalar_event(step)).unwrap();
    }
    w.flush(false, LONG).unwrap();
    let steps: Vec<_> = remote_events(url)[1..].iter().map(|e| e.step).collect();
    assert_eq!(steps, (0..1000).collect::<Vec<_>>());
    let _ = w.write_event(&scalar_event(1000)).unwrap();
    w.close(LONG).unwrap();
    assert_eq!(remote_events(url).len(), 1002);
}

#[test]
fn an_unreachable_store_is_an_error_in_bounded_time_not_a_hang() {
    // Nothing listens on port 1: every connection is refused.
    let options = [
        ("aws_endpoint".to_owned(), "http://127.0.0.1:1".to_owned()),
        ("aws_access_key_id".to_owned(), "k".to_owned()),
        ("aws_secret_access_key".to_owned(), "s".to_owned()),
        ("aws_region".to_owned(), "us-east-1".to_owned()),
        ("retry_timeout".to_owned(), "1".to_owned()),
    ];
    let logdir = LogDir::parse("s3://bucket/run", &options).unwrap();
    let started = Instant::now();
    let w = EventWriter::open(logdir, Options::default()).unwrap();
    let _ = w.write_event(&scalar_event(1));
    let err = w.flush(false, LONG).unwrap_err();
    assert!(err.to_string().contains("s3://bucket/run/events.out.tfevents."), "{err}");
    assert!(w.close(LONG).is_err());
    assert!(started.elapsed() < Duration::from_secs(25), "{:?}", started.elapsed());
}

#[test]
fn an_unsupported_url_scheme_names_the_supported_ones() {
    for url in ["ftp://host/run", "hdfs://namenode/run"] {
        let err = LogDir::parse(url, &[]).err().unwrap();
        assert!(matches!(&err, Error::InvalidArgument { arg: "logdir", .. }), "{err}");
        assert!(err.to_string().contains("s3://") && err.to_string().contains("memory://"), "{err}");
    }
    let err = LogDir::parse("s3://bucket/run", &[("no_such_option".into(), "1".into())]).err().unwrap();
    assert!(matches!(&err, Error::InvalidArgument { arg: "storage_options", .. }), "{err}");
    assert!(
        matches!(LogDir::parse("file:///tmp/x", &[]).unwrap(), LogDir::Local(p) if p == Path::new("/tmp/x"))
    );
}
