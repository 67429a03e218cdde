//! The reader against files framed here: the run-wide rules, damaged files, blocks.

use std::fs;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use prost::Message;

use super::*;
use crate::proto::{Event, SessionLog, event, session_log};
use crate::record::frame_into;
use crate::summary::{self, scalar, scalar_tensor};

fn scalars(tag: &str, steps: std::ops::Range<i64>) -> Vec<Event> {
    steps.map(|s| summary::event(vec![scalar(tag, s as f32, "", "")], Some(s), s as f64).unwrap()).collect()
}

fn version() -> Event {
    Event { what: Some(event::What::FileVersion("brain.Event:2".into())), ..Default::default() }
}

fn restart(step: i64) -> Event {
    let log = SessionLog { status: session_log::SessionStatus::Start as i32, ..Default::default() };
    Event { step, what: Some(event::What::SessionLog(log)), ..Default::default() }
}

fn write(path: &Path, events: &[Event]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for event in events {
        frame_into(&mut bytes, &event.encode_to_vec());
    }
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, &bytes).unwrap();
    bytes
}

fn query(kind: Kind) -> Query {
    Query {
        kind,
        runs: Filter::All,
        tags: Filter::All,
        check_crc: true,
        skip_corrupt: false,
        purge: true,
        tensors: true,
    }
}

fn read_dir(dir: &Path, query: &Query) -> Output {
    read(&LogDir::Local(dir.to_owned()), query).unwrap()
}

/// (run, tag, step) of every row, and the values of a scalars table.
fn rows(table: &Table) -> Vec<(String, String, i64)> {
    let mut rows = Vec::new();
    for batch in table.batches() {
        let name = |column: usize, i: usize| {
            let dictionary = batch.column(column).as_dictionary::<Int32Type>();
            let key = dictionary.keys().value(i) as usize;
            dictionary.values().as_string::<i32>().value(key).to_owned()
        };
        let steps = batch.column(2).as_primitive::<Int64Type>();
        for i in 0..batch.num_rows() {
            rows.push((name(0, i), name(1, i), steps.value(i)));
        }
    }
    rows
}

fn values(table: &Table) -> Vec<f64> {
    table.batches().iter().flat_map(|b| b.column(4).as_primitive::<Float64Type>().values().to_vec()).collect()
}

#[test]
fn restart_purges_the_run_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = vec![version()];
    first.extend(scalars("loss", 0..10));
    write(&dir.path().join("run/events.out.tfevents.1.host"), &first);
    let mut second = vec![version(), restart(5)];
    second.extend(scalars("loss", 5..7));
    write(&dir.path().join("run/events.out.tfevents.2.host"), &second);
    // Another run is not touched.
    write(&dir.path().join("other/events.out.tfevents.1.host"), &scalars("loss", 0..10));
    let table = read_dir(dir.path(), &query(Kind::Scalars)).table;
    let steps: Vec<i64> = rows(&table).into_iter().filter(|r| r.0 == "run").map(|r| r.2).collect();
    assert_eq!(steps, vec![0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(rows(&table).iter().filter(|r| r.0 == "other").count(), 10);
    // Without the rule, or without a file version of 2 (TensorBoard's condition), all stay.
    let all = read_dir(dir.path(), &Query { purge: false, ..query(Kind::Scalars) }).table;
    assert_eq!(all.num_rows(), 22);
}

#[test]
fn restart_without_file_version_purges_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut events = scalars("loss", 0..10);
    events.push(restart(3));
    write(&dir.path().join("events.out.tfevents.1.host"), &events);
    assert_eq!(read_dir(dir.path(), &query(Kind::Scalars)).table.num_rows(), 10);
}

#[test]
fn new_style_scalars_take_their_plugin_from_the_first_metadata_of_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let with_metadata = summary::event(vec![scalar_tensor("acc", 0.5, false)], Some(0), 0.0).unwrap();
    let mut without = summary::event(vec![scalar_tensor("acc", 0.75, true)], Some(1), 1.0).unwrap();
    if let Some(event::What::Summary(s)) = &mut without.what {
        s.value[0].metadata = None;
    }
    write(&dir.path().join("events.out.tfevents.1.host"), &[with_metadata]);
    write(&dir.path().join("events.out.tfevents.2.host"), &[without.clone()]);
    let table = read_dir(dir.path(), &query(Kind::Scalars)).table;
    assert_eq!(values(&table), vec![0.5, 0.75]);
    // Alone, the second file's tensor belongs to no plugin: not a scalar, but a tensor.
    let alone = tempfile::tempdir().unwrap();
    write(&alone.path().join("events.out.tfevents.2.host"), &[without]);
    assert_eq!(read_dir(alone.path(), &query(Kind::Scalars)).table.num_rows(), 0);
    assert_eq!(read_dir(alone.path(), &query(Kind::Tensors)).table.num_rows(), 1);
    // Without tensors, only the summary fields count (tbparse's rule): no scalars here, the
    // tensor still a tensor.
    let fields_only = |kind| Query { tensors: false, ..query(kind) };
    assert_eq!(read_dir(dir.path(), &fields_only(Kind::Scalars)).table.num_rows(), 0);
    assert_eq!(read_dir(alone.path(), &fields_only(Kind::Tensors)).table.num_rows(), 1);
}

#[test]
fn runs_and_tags_are_selected_by_glob_and_regex() {
    let dir = tempfile::tempdir().unwrap();
    for run in ["a/train", "a/eval", "b"] {
        let mut events = scalars("loss/x", 0..2);
        events.extend(scalars("acc", 0..2));
        write(&dir.path().join(run).join("events.out.tfevents.1.host"), &events);
    }
    let q = Query {
        runs: Filter::new("runs", Some(&["a/*".to_owned()]), None).unwrap(),
        tags: Filter::new("tags", None, Some("^loss")).unwrap(),
        ..query(Kind::Scalars)
    };
    let rows = rows(&read_dir(dir.path(), &q).table);
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|(run, tag, _)| run.starts_with("a/") && tag == "loss/x"));
    assert!(matches!(Filter::new("tags", None, Some("(")), Err(Error::InvalidArgument { arg: "tags", .. })));
}

#[test]
fn a_truncated_tail_is_ignored_and_a_corrupt_record_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.out.tfevents.1.host");
    let bytes = write(&path, &scalars("loss", 1..4)); // records of one size
    fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
    assert_eq!(read_dir(dir.path(), &query(Kind::Scalars)).table.num_rows(), 2);

    let mut corrupt = bytes.clone();
    let second = bytes.len() / 3;
    corrupt[second + 14] ^= 0xff; // inside the second record's payload
    fs::write(&path, &corrupt).unwrap();
    let error = read(&LogDir::Local(dir.path().to_owned()), &query(Kind::Scalars)).err().unwrap();
    let message = error.to_string();
    assert!(
        message.contains("events.out.tfevents.1.host") && message.contains(&format!("byte {second}")),
        "{message}"
    );
    let skipped = read_dir(dir.path(), &Query { skip_corrupt: true, ..query(Kind::Scalars) });
    assert_eq!(rows(&skipped.table).iter().map(|r| r.2).collect::<Vec<_>>(), vec![1, 3]);
    assert_eq!(skipped.warnings.len(), 1);
    // Without the CRC check the damaged value is read as it is.
    let unchecked = read_dir(dir.path(), &Query { check_crc: false, ..query(Kind::Scalars) });
    assert_eq!(unchecked.table.num_rows(), 3);
}

#[test]
fn files_larger_than_a_block_and_records_larger_than_a_block() {
    let dir = tempfile::tempdir().unwrap();
    let n = 400_000; // about 16 MB of records: blocks end inside records
    write(&dir.path().join("events.out.tfevents.1.host"), &scalars("loss", 0..n));
    let table = read_dir(dir.path(), &query(Kind::Scalars)).table;
    assert_eq!(values(&table), (0..n).map(|s| s as f32 as f64).collect::<Vec<_>>());

    let big = dir.path().join("big");
    let pixels = crate::encode::image::Image { height: 1, width: 1, channels: 3, pixels: vec![0; 3] };
    let image =
        summary::event(vec![summary::image("img", &pixels, vec![7; 10 << 20])], Some(1), 0.0).unwrap();
    let mut events = scalars("loss", 0..1);
    events.push(image);
    events.extend(scalars("loss", 2..3));
    write(&big.join("events.out.tfevents.1.host"), &events);
    let images = read_dir(&big, &query(Kind::Images)).table;
    assert_eq!(images.num_rows(), 1);
    assert_eq!(images.batches()[0].column(7).as_binary::<i32>().value(0).len(), 10 << 20);
    assert_eq!(read_dir(&big, &query(Kind::Scalars)).table.num_rows(), 2);
}

#[test]
fn variable_length_values_are_split_into_batches_in_order() {
    // The crate's tests bound a batch's values to 1 KiB (BATCH_BYTES).
    let dir = tempfile::tempdir().unwrap();
    let pixels = crate::encode::image::Image { height: 1, width: 1, channels: 3, pixels: vec![0; 3] };
    let sizes = [300, 300, 300, 600, 2000, 10, 10];
    let mut events = vec![version()];
    for (step, &size) in sizes.iter().enumerate() {
        let value = summary::image("img", &pixels, vec![step as u8; size]);
        events.push(summary::event(vec![value], Some(step as i64), 0.0).unwrap());
    }
    write(&dir.path().join("run/events.out.tfevents.1.host"), &events);
    let table = read_dir(dir.path(), &query(Kind::Images)).table;
    let batches: Vec<Vec<usize>> = table
        .batches()
        .iter()
        .map(|b| b.column(7).as_binary::<i32>().iter().map(|v| v.unwrap().len()).collect())
        .collect();
    assert_eq!(batches, vec![vec![300, 300, 300], vec![600], vec![2000], vec![10, 10]]);
    let steps: Vec<i64> = rows(&table).into_iter().map(|r| r.2).collect();
    assert_eq!(steps, (0..sizes.len() as i64).collect::<Vec<_>>());
}

#[test]
fn one_event_file_named_directly_is_the_run_dot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x/events.out.tfevents.1.host");
    write(&path, &scalars("loss", 0..2));
    let table = read_dir(&path, &query(Kind::Scalars)).table;
    assert_eq!(rows(&table), vec![(".".into(), "loss".into(), 0), (".".into(), "loss".into(), 1)]);
}

#[test]
fn garbage_never_panics() {
    let mut data = Vec::new();
    for event in scalars("loss", 0..50) {
        frame_into(&mut data, &event.encode_to_vec());
    }
    for i in (0..data.len()).step_by(7) {
        let mut damaged = data.clone();
        damaged[i] = damaged[i].wrapping_add(1);
        for kind in Kind::ALL {
            decode_records(&damaged, kind).unwrap();
        }
    }
}

#[test]
fn a_restart_purges_the_earlier_chunks_of_its_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut events = vec![version()];
    events.extend(scalars("loss", 0..400_000)); // chunks of their own, decoded in parallel
    events.push(restart(100));
    events.extend(scalars("loss", 100..110));
    write(&dir.path().join("events.out.tfevents.1.host"), &events);
    let steps: Vec<i64> =
        rows(&read_dir(dir.path(), &query(Kind::Scalars)).table).into_iter().map(|r| r.2).collect();
    assert_eq!(steps, (0..100).chain(100..110).collect::<Vec<_>>());
}
