"""The writer's life cycle: files, flush, close, reopen, purge_step, use_metadata, FileWriter."""

import os
import re
import socket
import time

import pytest
import turboboard
from conftest import event_files, read_events, summary_events
from tensorboard.compat.proto import event_pb2, summary_pb2


def test_event_file_name_and_first_record(logdir):
    w = turboboard.SummaryWriter(logdir, filename_suffix=".v2")
    (path,) = event_files(logdir)
    name = os.path.basename(path)
    host = re.escape(socket.gethostname())
    pattern = rf"events\.out\.tfevents\.\d{{10}}\.{host}\.{os.getpid()}\.\d+\.v2"
    assert re.fullmatch(pattern, name)
    # The first record is on disk at once, before any flush.
    (first,) = read_events(logdir)
    assert first.file_version == "brain.Event:2"
    assert abs(first.wall_time - time.time()) < 60
    w.close()


def test_a_path_logdir_stays_a_path(tmp_path):
    # As both anchors keep it: `writer.log_dir / "checkpoints"` works.
    logdir = tmp_path / "run"
    with turboboard.SummaryWriter(logdir) as w:
        assert w.logdir == w.log_dir == w.get_logdir() == logdir
        assert isinstance(w.log_dir, type(logdir))
        w.add_scalar("x", 1.0, 0)
        w.add_scalars("loss", {"a": 1.0}, 0)
        assert all(isinstance(k, str) for k in w.all_writers)
    assert len(event_files(str(logdir))) == 1


def test_default_logdir_and_comment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = turboboard.SummaryWriter(comment="_lr0.1")
    assert w.logdir.startswith("runs" + os.sep)
    assert w.logdir.endswith(socket.gethostname() + "_lr0.1")
    assert w.get_logdir() == w.logdir == w.file_writer.get_logdir()
    w.close()
    assert event_files(w.logdir)


def test_log_dir_alias(tmp_path):
    w = turboboard.SummaryWriter(log_dir=str(tmp_path / "alias"))
    assert w.logdir == str(tmp_path / "alias")
    w.close()


def test_unknown_keyword_is_an_error(tmp_path):
    with pytest.raises(TypeError, match="bogus"):
        turboboard.SummaryWriter(str(tmp_path), bogus=1)


def test_flush_is_a_barrier(logdir):
    w = turboboard.SummaryWriter(logdir, max_queue=1_000_000, flush_secs=3600)
    for i in range(20_000):
        w.add_scalar("x", float(i), i)
    w.flush()
    # Read while the writer is still open: everything logged before flush() is on disk.
    assert len(summary_events(logdir)) == 20_000
    w.close()


def test_flush_secs_writes_in_the_background(logdir):
    w = turboboard.SummaryWriter(logdir, max_queue=1000, flush_secs=0.1)
    w.add_scalar("x", 1.0, 0)
    deadline = time.time() + 20
    while not summary_events(logdir):
        assert time.time() < deadline, "flush_secs never wrote the event"
        time.sleep(0.05)
    w.close()


def test_close_twice_and_log_after_close_starts_a_new_file(logdir):
    w = turboboard.SummaryWriter(logdir)
    w.add_scalar("x", 1.0, 0)
    w.close()
    w.close()
    w.flush()
    w.add_scalar("x", 2.0, 1)
    w.close()
    files = event_files(logdir)
    assert len(files) == 2
    assert [e.summary.value[0].simple_value for e in summary_events(logdir)] == [1.0, 2.0]


def test_context_manager_closes(logdir):
    with turboboard.SummaryWriter(logdir) as w:
        w.add_scalar("x", 1.0, 0)
    assert w.file_writer is None
    assert len(summary_events(logdir)) == 1


def test_write_to_disk_false_writes_nothing(tmp_path):
    logdir = tmp_path / "run"
    with turboboard.SummaryWriter(str(logdir), write_to_disk=False) as w:
        w.add_scalar("x", 1.0, 0)
        w.add_scalars("m", {"a": 1.0}, 0)
        w.add_histogram("h", [1.0, 2.0], 0)
        w.add_text("t", "x", 0)
        w.add_image("i", [[0.5]], 0, dataformats="HW")
    assert not logdir.exists()


def test_purge_step_matches_torch(tmp_path):
    from conftest import write_with

    def calls(w):
        w.add_scalar("x", 1.0, 5, walltime=1.0)

    for name in ("turboboard", "torch", "tensorboardX"):
        events = read_events(write_with(name, str(tmp_path / name), calls, purge_step=3))
        kinds = [e.WhichOneof("what") for e in events]
        assert kinds == ["file_version", "file_version", "session_log", "summary"], name
        assert events[1].step == events[2].step == 3
        assert events[2].session_log.status == event_pb2.SessionLog.START


def test_purge_step_is_written_once(logdir):
    w = turboboard.SummaryWriter(logdir, purge_step=3)
    w.close()
    w.add_scalar("x", 1.0, 4)
    w.close()
    kinds = [e.WhichOneof("what") for e in read_events(logdir)]
    assert kinds.count("session_log") == 1


def test_use_metadata_defaults_and_explicit_arguments_win(logdir):
    with turboboard.SummaryWriter(logdir) as w:
        with w.use_metadata(global_step=10):
            w.add_scalar("a", 1.0)
            w.add_scalar("b", 1.0, 11)
            w.add_text("c", "x")
        with w.use_metadata(walltime=123.0):
            w.add_scalar("d", 1.0, 1)
        with w.use_metadata(global_step=1), pytest.raises(RuntimeError):
            with w.use_metadata(global_step=2):
                pass
    events = {e.summary.value[0].tag: e for e in summary_events(logdir)}
    assert events["a"].step == 10 and events["b"].step == 11 and events["c/text_summary"].step == 10
    # tensorboardX writes wall_time 0 here; we write the current time.
    assert events["a"].wall_time > 1e9
    assert events["d"].wall_time == 123.0


def test_nan_walltime_is_refused(logdir):
    with turboboard.SummaryWriter(logdir) as w, pytest.raises(ValueError, match="walltime"):
        w.add_scalar("x", 1.0, 0, walltime=float("nan"))
    assert all(e.wall_time == e.wall_time for e in read_events(logdir))


def test_filewriter_takes_tensorboard_and_tensorboardx_protobufs(logdir):
    from tensorboardX.proto import summary_pb2 as tbx_summary_pb2

    fw = turboboard.FileWriter(logdir)
    ours = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="a", simple_value=1.0)])
    theirs = tbx_summary_pb2.Summary(
        value=[tbx_summary_pb2.Summary.Value(tag="b", simple_value=2.0)]
    )
    fw.add_summary(ours, global_step=1, walltime=5.0)
    fw.add_summary(theirs.SerializeToString(), 2)
    fw.add_event(event_pb2.Event(step=9, summary=ours), walltime=6.0)
    fw.add_event(event_pb2.Event(step=9, summary=ours), step=10)
    assert fw.get_logdir() == logdir
    fw.close()
    events = summary_events(logdir)
    assert [(e.step, e.summary.value[0].tag) for e in events] == [
        (1, "a"),
        (2, "b"),
        (9, "a"),
        (10, "a"),
    ]
    assert events[0].wall_time == 5.0 and events[2].wall_time == 6.0


def test_filewriter_reopen_starts_a_new_file(logdir):
    fw = turboboard.FileWriter(logdir)
    fw.close()
    fw.reopen()
    fw.add_summary(
        summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="a", simple_value=1.0)])
    )
    fw.close()
    assert len(event_files(logdir)) == 2 and len(summary_events(logdir)) == 1


def test_filewriter_rejects_garbage(logdir):
    fw = turboboard.FileWriter(logdir)
    with pytest.raises(ValueError, match="event"):
        fw.add_event(b"\xff\xff\xff")
    with pytest.raises(TypeError, match="summary"):
        fw.add_summary(42)
    fw.close()


def test_removed_logdir_raises_instead_of_losing_data(tmp_path):
    import shutil

    logdir = tmp_path / "run"
    w = turboboard.SummaryWriter(str(logdir))
    shutil.rmtree(logdir)
    w.add_scalar("x", 1.0, 0)
    with pytest.raises(FileNotFoundError, match="removed"):
        w.flush()
    with pytest.raises(FileNotFoundError):
        w.add_scalar("x", 2.0, 1)
    with pytest.raises(FileNotFoundError):
        w.close()


def test_every_run_file_that_fails_is_told_not_only_the_first(tmp_path):
    import shutil

    logdir = tmp_path / "run"
    w = turboboard.SummaryWriter(str(logdir))
    w.add_scalar("main", 1.0, 0)
    w.add_scalars("loss", {"a": 1.0, "b": 2.0}, 0)  # two more files: loss_a, loss_b
    assert len(w.all_writers) == 3
    shutil.rmtree(logdir)
    for call in (w.flush, w.close):
        # Each file's failure is its events lost: one raises, the other two warn.
        with pytest.warns(RuntimeWarning) as caught, pytest.raises(FileNotFoundError):
            call()
        lost = [
            str(warning.message)
            for warning in caught
            if "FileNotFoundError" in str(warning.message)
        ]
        assert len(lost) == 2, lost
        assert len(set(lost)) == 2, lost  # two files, each named
