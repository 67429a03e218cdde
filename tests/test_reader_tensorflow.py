"""Runs in TensorFlow 2's layout read as the anchors' runs read: TF2 writes every value as a
tensor of its plugin (a histogram as [k, 3] buckets, images as a string tensor of width,
height and PNGs, audio as [k, 2] of WAV and label). TensorFlow is not installed here, so the
summaries are built with TensorBoard's own helpers (``histogram_pb``, ``scalar_pb``, each
plugin's ``create_summary_metadata`` and ``tensor_util``) and written by TensorBoard's own
event file writer: the same protobufs TF's summary ops produce."""

from __future__ import annotations

import io

import numpy as np
import pytest
import turboboard
from PIL import Image
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.audio import metadata as audio_metadata
from tensorboard.plugins.histogram import summary as histogram_summary
from tensorboard.plugins.image import metadata as image_metadata
from tensorboard.plugins.scalar import summary as scalar_summary
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.util import tensor_util

rng = np.random.default_rng(7)


def png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def wav(frames: int, channels: int, rate: int) -> bytes:
    from turboboard import summary

    value = summary.audio("a", np.zeros((frames, channels), np.float32), sample_rate=rate)
    return value.value[0].audio.encoded_audio_string


def tensor_value(tag: str, array: np.ndarray, metadata: summary_pb2.SummaryMetadata):
    return summary_pb2.Summary.Value(
        tag=tag, tensor=tensor_util.make_tensor_proto(array), metadata=metadata
    )


@pytest.fixture(scope="module")
def tf2_run(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("tf2")
    writer = EventFileWriter(str(logdir))
    images = [
        rng.integers(0, 256, (6, 5, 3), dtype=np.uint8),
        rng.integers(0, 256, (6, 5, 4), dtype=np.uint8),
    ]
    clips = [wav(100, 1, 8000), wav(50, 2, 16000)]
    for step in range(3):
        values = [
            *histogram_summary.histogram_pb("weights", rng.normal(size=1000), 12).value,
            *scalar_summary.scalar_pb("loss", 1.0 / (step + 1)).value,
            tensor_value(
                "pictures",
                np.array([b"5", b"6", *(png(i) for i in images)], dtype=object),
                image_metadata.create_summary_metadata("", ""),
            ),
            tensor_value(
                "clips",
                np.array([[clip, b"label"] for clip in clips], dtype=object),
                audio_metadata.create_summary_metadata(
                    "", "", encoding=audio_metadata.Encoding.Value("WAV")
                ),
            ),
        ]
        writer.add_event(
            event_pb2.Event(
                step=step, wall_time=100.0 + step, summary=summary_pb2.Summary(value=values)
            )
        )
    writer.close()
    accumulator = event_accumulator.EventAccumulator(str(logdir), size_guidance={"tensors": 0})
    accumulator.Reload()
    return logdir, accumulator, images, clips


def test_histogram_tensors_read_as_histograms(tf2_run):
    logdir, accumulator, _, _ = tf2_run
    table = turboboard.read_histograms(logdir)
    expected = accumulator.Tensors("weights")
    assert table.num_rows == len(expected) == 3
    for i, event in enumerate(expected):
        buckets = tensor_util.make_ndarray(event.tensor_proto)  # (left, right, count) rows
        assert table.column("step")[i] == event.step
        np.testing.assert_array_equal(table.column("bucket_limit")[i], buckets[:, 1])
        np.testing.assert_array_equal(table.column("bucket")[i], buckets[:, 2])
        assert table.column("min")[i] == buckets[0, 0]
        assert table.column("max")[i] == buckets[-1, 1]
        assert table.column("num")[i] == buckets[:, 2].sum()
    assert np.isnan(table.column("sum")).all()  # TF2 keeps no sums


def test_scalar_tensors_read_as_scalars(tf2_run):
    logdir, accumulator, _, _ = tf2_run
    table = turboboard.read_scalars(logdir)
    expected = accumulator.Tensors("loss")
    assert list(table.column("step")) == [e.step for e in expected]
    np.testing.assert_array_equal(
        table.column("value"), [tensor_util.make_ndarray(e.tensor_proto) for e in expected]
    )


def test_image_tensors_read_one_row_per_image(tf2_run):
    logdir, _, images, _ = tf2_run
    table = turboboard.read_images(logdir)
    assert table.num_rows == 3 * len(images)
    assert list(table.column("step")) == [0, 0, 1, 1, 2, 2]
    assert set(table.column("width")) == {5} and set(table.column("height")) == {6}
    assert list(table.column("colorspace")) == [3, 4] * 3
    for i, encoded in enumerate(table.column("encoded")):
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(encoded))), images[i % 2])


def test_audio_tensors_read_one_row_per_clip(tf2_run):
    logdir, _, _, clips = tf2_run
    table = turboboard.read_audio(logdir)
    assert table.num_rows == 3 * len(clips)
    assert list(table.column("sample_rate")) == [8000.0, 16000.0] * 3
    assert list(table.column("num_channels")) == [1, 2] * 3
    assert list(table.column("length_frames")) == [100, 50] * 3
    assert table.column("encoded") == clips * 3
    # Every value is also a tensor of its plugin.
    tensors = turboboard.read_tensors(logdir)
    assert sorted(set(tensors.column("plugin"))) == ["audio", "histograms", "images", "scalars"]
