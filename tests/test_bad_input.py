# ruff: noqa: E501 (the tables read best one case a line)
"""Bad input, method by method: each call raises a TypeError or ValueError that names the
argument (in the message, or in the note PyO3 adds for arguments it converts), or is handled as
tensorboardX and torch handle it. Nothing crashes, nothing is written outside the log directory,
and the event file written around the bad calls reads back whole."""

from __future__ import annotations

import math
import os
import time

import numpy as np
import pytest
import torch
import turboboard
from conftest import WRITERS, event_files
from scenarios import event_files as files_under
from scenarios import scan_records
from tensorboard.compat.proto import event_pb2

BIG = 100 << 20  # a 100 MiB record

# (id, call, expected exception, the argument it must name). `w` is a SummaryWriter.
RAISES = [
    # Constructor and options.
    ("max_queue_negative", lambda d: turboboard.SummaryWriter(d, max_queue=-1), ValueError, "max_queue"),
    ("max_queue_str", lambda d: turboboard.SummaryWriter(d, max_queue="9"), TypeError, "max_queue"),
    ("flush_secs_negative", lambda d: turboboard.SummaryWriter(d, flush_secs=-1), ValueError, "flush_secs"),
    ("flush_secs_nan", lambda d: turboboard.SummaryWriter(d, flush_secs=math.nan), ValueError, "flush_secs"),
    ("flush_secs_str", lambda d: turboboard.SummaryWriter(d, flush_secs="1"), TypeError, "flush_secs"),
    ("suffix_escapes", lambda d: turboboard.SummaryWriter(d, filename_suffix="/../../x"), ValueError, "filename_suffix"),
    ("suffix_nul", lambda d: turboboard.SummaryWriter(d, filename_suffix="a\0b"), ValueError, "filename_suffix"),
    ("suffix_int", lambda d: turboboard.SummaryWriter(d, filename_suffix=3), TypeError, "filename_suffix"),
    ("max_queue_bytes_negative", lambda d: turboboard.SummaryWriter(d, max_queue_bytes=-1), ValueError, "max_queue_bytes"),
    ("logdir_nul", lambda d: turboboard.SummaryWriter(d + "\0x"), ValueError, "logdir"),
    ("logdir_int", lambda d: turboboard.SummaryWriter(5), TypeError, "logdir"),
    ("comment_escapes", lambda d: turboboard.SummaryWriter(comment="/../../../../x"), ValueError, "comment"),
    ("unknown_keyword", lambda d: turboboard.SummaryWriter(d, bogus=1), TypeError, "bogus"),
]  # fmt: skip

CALLS = [
    # add_scalar
    ("scalar_str", lambda w: w.add_scalar("t", "abc", 0), TypeError, "scalar_value"),
    ("scalar_none", lambda w: w.add_scalar("t", None, 0), TypeError, "scalar_value"),
    ("scalar_list", lambda w: w.add_scalar("t", [1.0, 2.0], 0), ValueError, "scalar_value"),
    ("scalar_matrix", lambda w: w.add_scalar("t", np.zeros((2, 2)), 0), ValueError, "scalar_value"),
    ("scalar_empty", lambda w: w.add_scalar("t", np.array([]), 0), ValueError, "scalar_value"),
    ("scalar_complex", lambda w: w.add_scalar("t", np.array(1 + 2j), 0), TypeError, "scalar_value"),
    ("scalar_tensor_vector", lambda w: w.add_scalar("t", torch.ones(3), 0), ValueError, "scalar_value"),
    ("scalar_complex_tensor", lambda w: w.add_scalar("t", torch.tensor(1 + 1j), 0), TypeError, "scalar_value"),
    ("step_str", lambda w: w.add_scalar("t", 1.0, "x"), TypeError, "global_step"),
    ("step_huge", lambda w: w.add_scalar("t", 1.0, 2**70), ValueError, "global_step"),
    ("step_huge_text", lambda w: w.add_text("t", "x", -(2**64)), ValueError, "global_step"),
    ("step_nan", lambda w: w.add_scalar("t", 1.0, math.nan), TypeError, "global_step"),
    ("walltime_nan", lambda w: w.add_scalar("t", 1.0, 0, walltime=math.nan), ValueError, "walltime"),
    ("walltime_inf", lambda w: w.add_text("t", "x", 0, walltime=math.inf), ValueError, "walltime"),
    ("walltime_str", lambda w: w.add_scalar("t", 1.0, 0, walltime="now"), TypeError, "walltime"),
    ("walltime_huge_int", lambda w: w.add_scalar("t", 1.0, 0, walltime=10**400), ValueError, "walltime"),
    ("walltime_huge_int_text", lambda w: w.add_text("t", "x", 0, walltime=10**400), ValueError, "walltime"),
    ("walltime_huge_int_dict", lambda w: w.add_scalar_dict({"t": 1.0}, 0, walltime=-10**400), ValueError, "walltime"),
    ("walltime_huge_int_histogram", lambda w: w.add_histogram("h", np.ones(3), 0, walltime=10**400), ValueError, "walltime"),
    ("walltime_huge_int_image", lambda w: w.add_image("i", np.ones((3, 2, 2)), 0, walltime=10**400), ValueError, "walltime"),
    ("scalar_huge_int", lambda w: w.add_scalar("t", 10**400, 0), ValueError, "scalar_value"),
    ("tag_none", lambda w: w.add_scalar(None, 1.0, 0), TypeError, "tag"),
    ("tag_int", lambda w: w.add_histogram(3, [1.0], 0), TypeError, "tag"),
    ("tag_lone_surrogate", lambda w: w.add_scalar("\ud800", 1.0, 0), ValueError, "tag"),
    ("dict_tag_surrogate", lambda w: w.add_scalar_dict({"\ud800": 1.0}, 0), ValueError, "tag_scalar_dict"),
    ("display_name_surrogate", lambda w: w.add_scalar("t", 1.0, 0, display_name="\udcff"), ValueError, "display_name"),
    # add_scalars: anything that becomes a path
    ("scalars_main_tag_dotdot", lambda w: w.add_scalars("../escape", {"a": 1.0}, 0), ValueError, "main_tag"),
    ("scalars_key_dotdot", lambda w: w.add_scalars("m", {"..": 1.0}, 0), ValueError, "main_tag"),
    ("scalars_key_dotdot_nested", lambda w: w.add_scalars("m", {"a/../../..": 1.0}, 0), ValueError, "main_tag"),
    ("scalars_key_nul", lambda w: w.add_scalars("m", {"a\0": 1.0}, 0), ValueError, "main_tag"),
    ("scalars_not_a_dict", lambda w: w.add_scalars("m", [1.0], 0), TypeError, "tag_scalar_dict"),
    ("scalars_bad_value", lambda w: w.add_scalars("m", {"a": "x"}, 0), TypeError, "tag_scalar_dict"),
    # add_histogram
    ("histogram_empty", lambda w: w.add_histogram("h", [], 0), ValueError, "values"),
    ("histogram_str", lambda w: w.add_histogram("h", "abc", 0), TypeError, "values"),
    ("histogram_strings", lambda w: w.add_histogram("h", np.array(["a", "b"]), 0), TypeError, "values"),
    ("histogram_ragged", lambda w: w.add_histogram("h", [[1.0, 2.0], [3.0]], 0), TypeError, "values"),
    ("histogram_complex", lambda w: w.add_histogram("h", np.ones(3, np.complex64), 0), TypeError, "values"),
    ("histogram_object", lambda w: w.add_histogram("h", np.array([1, None], dtype=object), 0), TypeError, "values"),
    ("histogram_object_huge", lambda w: w.add_histogram("h", np.array([1, 10**400], dtype=object), 0), ValueError, "values"),
    ("histogram_all_nan", lambda w: w.add_histogram("h", np.full(5, np.nan), 0), ValueError, "values"),
    ("histogram_bins_negative", lambda w: w.add_histogram("h", [1.0], 0, bins=-1), ValueError, "bins"),
    ("histogram_bins_decreasing", lambda w: w.add_histogram("h", [1.0], 0, bins=[3.0, 2.0, 1.0]), ValueError, "bins"),
    ("histogram_bins_nan", lambda w: w.add_histogram("h", [1.0], 0, bins=[0.0, math.nan]), ValueError, "bins"),
    ("histogram_bins_unknown", lambda w: w.add_histogram("h", [1.0], 0, bins="nonsense"), ValueError, "bins"),
    ("histogram_bins_object", lambda w: w.add_histogram("h", [1.0], 0, bins=object()), TypeError, "bins"),
    ("histogram_bins_strings", lambda w: w.add_histogram("h", [1.0], 0, bins=["a", "b"]), ValueError, "bins"),
    ("histogram_bins_2d", lambda w: w.add_histogram("h", [1.0], 0, bins=[[0.0, 1.0], [2.0, 3.0]]), ValueError, "bins"),
    ("histogram_max_bins_zero", lambda w: w.add_histogram("h", [1.0], 0, max_bins=0), ValueError, "max_bins"),
    ("histogram_raw_lengths", lambda w: w.add_histogram_raw("h", 0, 1, 2, 1, 1, [1.0, 2.0], [1.0], 0), ValueError, "bucket_limits"),
    ("histogram_raw_min_str", lambda w: w.add_histogram_raw("h", "x", 1, 2, 1, 1, [1.0], [1.0], 0), TypeError, "min"),
    # add_image / add_images
    ("image_1d", lambda w: w.add_image("i", np.zeros(3), 0), ValueError, "img_tensor"),
    ("image_0d", lambda w: w.add_image("i", np.float32(0.5), 0), ValueError, "img_tensor"),
    ("image_two_channels", lambda w: w.add_image("i", np.zeros((2, 4, 4)), 0), ValueError, "img_tensor"),
    ("image_bad_dataformats", lambda w: w.add_image("i", np.zeros((3, 4, 4)), 0, dataformats="XYZ"), ValueError, "dataformats"),
    ("image_dataformats_int", lambda w: w.add_image("i", np.zeros((3, 4, 4)), 0, dataformats=5), TypeError, "dataformats"),
    ("image_str", lambda w: w.add_image("i", "abc", 0), TypeError, "img_tensor"),
    ("image_complex", lambda w: w.add_image("i", np.zeros((3, 2, 2), np.complex64), 0), TypeError, "img_tensor"),
    ("images_empty_list", lambda w: w.add_images("i", [], 0, dataformats="CHW"), ValueError, "img_tensor"),
    ("images_list_nchw", lambda w: w.add_images("i", [np.zeros((3, 2, 2))], 0), ValueError, "dataformats"),
    ("images_list_dataformats_int", lambda w: w.add_images("i", [np.zeros((3, 2, 2))], 0, dataformats=5), TypeError, "dataformats"),
    ("images_zero_images", lambda w: w.add_images("i", np.zeros((0, 3, 4, 4)), 0), ValueError, "img_tensor"),
    ("image_five_dims", lambda w: w.add_image("i", np.zeros((1, 1, 3, 4, 4)), 0), ValueError, "img_tensor"),
    # add_text
    ("text_int", lambda w: w.add_text("t", 5, 0), TypeError, "text_string"),
    ("text_surrogate", lambda w: w.add_text("t", "ok \udcff", 0), ValueError, "text_string"),
    # use_metadata
    ("metadata_step_str", lambda w: w.use_metadata(global_step="x").__enter__(), TypeError, "global_step"),
    # FileWriter
    ("event_garbage", lambda w: w.file_writer.add_event(b"\xff\xff\xff"), ValueError, "event"),
    ("summary_int", lambda w: w.file_writer.add_summary(42), TypeError, "summary"),
    ("event_walltime_nan", lambda w: w.file_writer.add_event(event_pb2.Event(step=1, file_version="x"), walltime=math.nan), ValueError, "walltime"),
]  # fmt: skip

# Calls that are not errors: stored as given, as the anchors do.
ACCEPTED = [
    ("tag_nul", lambda w: w.add_scalar("a\0b", 1.0, 7), "a\0b"),
    ("tag_huge", lambda w: w.add_scalar("t" * (1 << 20), 1.0, 7), "t" * (1 << 20)),
    ("tag_unicode", lambda w: w.add_scalar("损失/λ ☃", 1.0, 7), "损失/λ ☃"),
    ("value_nan", lambda w: w.add_scalar("nan", math.nan, 7), "nan"),
    ("value_inf", lambda w: w.add_scalar("inf", -math.inf, 7), "inf"),
    ("value_0d_array", lambda w: w.add_scalar("zero_d", np.array(2.5), 7), "zero_d"),
    ("histogram_0d", lambda w: w.add_histogram("h0", np.float32(3.0), 7), "h0"),
    ("histogram_inf", lambda w: w.add_histogram("hinf", [1.0, np.inf, -np.inf], 7), "hinf"),
    ("scalars_absolute_key", lambda w: w.add_scalars("m", {"/abs": 1.0}, 7), "m"),
    ("text_huge", lambda w: w.add_text("big", "x" * BIG, 7), "big/text_summary"),
    (
        "image_huge",
        lambda w: w.add_image("bigimg", np.zeros((3, 5800, 5800), np.uint8), 7),
        "bigimg",
    ),
    ("image_empty", lambda w: w.add_image("empty", np.zeros((3, 0, 4)), 7), None),
]


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return tmp_path_factory.mktemp("bad_input")


@pytest.fixture(scope="module")
def writer(base):
    w = turboboard.SummaryWriter(str(base / "run"))
    yield w
    w.close()


def _events(logdir: str) -> list[event_pb2.Event]:
    """The events of every file under ``logdir``, checked record by record (both CRCs) with a
    native CRC32C: TensorBoard's reader computes it in pure Python, minutes for 200 MiB."""
    events = []
    for path in files_under(logdir):
        records, tail = scan_records(path)
        assert tail == "clean"
        events.extend(event_pb2.Event.FromString(r) for r in records)
    return events


def _tags(logdir: str) -> set[str]:
    return {v.tag for e in _events(logdir) for v in e.summary.value}


def _names_arg(error: BaseException, arg: str) -> bool:
    return arg in str(error) or any(arg in n for n in getattr(error, "__notes__", []))


MARKS: list[int] = []


def _mark(w) -> None:
    """A marker event between bad calls: the file must hold all of them at the end."""
    MARKS.append(len(MARKS))
    w.add_scalar("mark", float(len(MARKS)), MARKS[-1])


@pytest.mark.parametrize("call, error, arg", [c[1:] for c in RAISES], ids=[c[0] for c in RAISES])
def test_bad_options_raise_naming_the_argument(base, tmp_path, monkeypatch, call, error, arg):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error) as info:
        call(str(base / "options"))
    assert _names_arg(info.value, arg), repr(info.value)
    assert not os.path.exists(tmp_path / ".." / "x") and not event_files(str(base / "options"))


@pytest.mark.parametrize("call, error, arg", [c[1:] for c in CALLS], ids=[c[0] for c in CALLS])
def test_bad_calls_raise_naming_the_argument(writer, call, error, arg):
    _mark(writer)
    with pytest.raises(error) as info:
        call(writer)
    assert _names_arg(info.value, arg), repr(info.value)
    _mark(writer)


@pytest.mark.parametrize("call, tag", [c[1:] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_unusual_but_valid_calls_are_stored(writer, call, tag):
    _mark(writer)
    if tag is None:
        # tensorboardX and torch refuse an empty image too (PIL cannot encode it).
        with pytest.raises(ValueError, match="img_tensor"):
            call(writer)
    else:
        call(writer)
        writer.flush()
        assert tag in _tags(writer.logdir)
    _mark(writer)


def test_the_file_reads_back_whole_after_all_of_it(base, writer):
    writer.flush()
    events = _events(writer.logdir)
    marks = [e.step for e in events if e.summary.value[:1] and e.summary.value[0].tag == "mark"]
    assert marks == MARKS
    (path,) = event_files(writer.logdir)
    # Nothing was written outside the log directories the tests named.
    assert sorted(os.listdir(base)) == ["run"]
    assert sorted(os.listdir(os.path.join(base, "run"))) == [os.path.basename(path), "m"]
    assert os.listdir(os.path.join(base, "run", "m")) == ["abs"]


def test_zero_queue_and_zero_interval_mean_what_the_anchors_mean(tmp_path):
    # max_queue=0: no count bound (the anchors' unbounded queue); flush_secs=0: write as soon
    # as the writer thread can (its shortest interval: never a spinning thread).
    w = turboboard.SummaryWriter(str(tmp_path / "run"), max_queue=0, flush_secs=0)
    w.add_scalar("x", 1.0, 0)
    deadline = time.monotonic() + 10
    while not [e for e in _events(str(tmp_path / "run")) if e.summary.value]:
        assert time.monotonic() < deadline, "flush_secs=0 never wrote"
        time.sleep(0.01)
    w.close()


def test_extreme_intervals_and_timeouts_are_not_a_panic(tmp_path):
    # Durations beyond what std::time can hold used to panic in Rust (PanicException).
    w = turboboard.SummaryWriter(str(tmp_path / "run"), flush_secs=1e300)
    w.add_scalar("x", 1.0, 0)
    core = w.file_writer.core
    w.flush()
    for timeout in (math.inf, 1e300, -1.0, math.nan):
        core.close(timeout=timeout)
    assert [e.step for e in _events(str(tmp_path / "run")) if e.summary.value] == [0]


# Where an anchor refuses bad input with `assert` (tensorboardX; for meshes torch, with a
# ValueError): (id, call, the anchor, the argument named). turboboard raises an ArgumentError,
# which both `except AssertionError` (code written for tensorboardX) and `except ValueError` catch.
IMAGES = np.zeros((2, 3, 4, 4))
ASSERTED = [
    ("embedding_not_square", lambda w: w.add_embedding(np.zeros((2, 3)), label_img=IMAGES[..., :3]), "tensorboardX", "label_img"),
    ("embedding_image_count", lambda w: w.add_embedding(np.zeros((3, 3)), label_img=IMAGES), "tensorboardX", "label_img"),
    ("embedding_sprite_too_large", lambda w: w.add_embedding(np.zeros((4, 3)), label_img=np.zeros((4, 3, 5000, 5000), np.uint8)), "tensorboardX", "label_img"),
    ("embedding_mat_1d", lambda w: w.add_embedding(np.zeros(2)), "tensorboardX", "mat"),
    ("embedding_metadata_count", lambda w: w.add_embedding(np.zeros((2, 3)), metadata=["a"]), "tensorboardX", "metadata"),
    ("marginchart_two_tags", lambda w: w.add_custom_scalars_marginchart(["a", "b"]), "tensorboardX", "tags"),
    ("layout_margin_two_tags", lambda w: w.add_custom_scalars({"c": {"t": ["Margin", ["a", "b"]]}}), "tensorboardX", "layout"),
    ("mesh_vertices_2d", lambda w: w.add_mesh("m", np.zeros((4, 3))), "torch", "vertices"),
    ("mesh_faces_2d", lambda w: w.add_mesh("m", np.zeros((1, 4, 3)), faces=np.zeros((4, 3))), "torch", "faces"),
    ("mesh_colors_2d", lambda w: w.add_mesh("m", np.zeros((1, 4, 3)), colors=np.zeros((4, 3))), "torch", "colors"),
]  # fmt: skip


@pytest.mark.parametrize(
    "call, anchor, arg", [c[1:] for c in ASSERTED], ids=[c[0] for c in ASSERTED]
)
def test_what_the_anchors_assert_is_an_assertion_and_a_value_error(tmp_path, call, anchor, arg):
    anchor_writer = WRITERS[anchor]()(str(tmp_path / anchor))
    with pytest.raises(AssertionError if anchor == "tensorboardX" else ValueError):
        call(anchor_writer)
    anchor_writer.close()

    logdir = str(tmp_path / "turboboard")
    with turboboard.SummaryWriter(logdir) as writer:
        try:
            call(writer)
        except AssertionError as e:  # what code written for tensorboardX catches
            caught = e
        assert isinstance(caught, turboboard.ArgumentError)
        assert isinstance(caught, ValueError)
        assert _names_arg(caught, arg), repr(caught)
    assert [e for e in _events(logdir) if e.HasField("summary")] == []
    assert sorted(os.listdir(logdir)) == [os.path.basename(p) for p in event_files(logdir)]
