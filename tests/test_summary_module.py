"""turboboard.summary: tensorboardX's summary-building functions, with the same signatures and
the same messages (pixels compared decoded), written through FileWriter.add_summary."""

import inspect
import io
import sys
import wave

import numpy as np
import pytest
import tensorboardX.summary as tbx
import torch
import turboboard
from conftest import decode_png, normalized, summary_events
from plugin_events import comparable
from tensorboard.compat.proto import event_pb2, summary_pb2
from turboboard import summary as ours

rng = np.random.default_rng(5)
# Helpers of tensorboardX's module that return arrays, not summaries.
NOT_BUILDERS = {"draw_boxes", "compute_curve"}
BUILDERS = sorted(
    name
    for name, f in inspect.getmembers(tbx, inspect.isfunction)
    if f.__module__ == tbx.__name__ and not name.startswith("_") and name not in NOT_BUILDERS
)


@pytest.mark.parametrize("name", BUILDERS)
def test_same_signature_as_tensorboardx(name):
    def parameters(f):
        return [(p.name, p.kind, p.default) for p in inspect.signature(f).parameters.values()]

    assert parameters(getattr(ours, name)) == parameters(getattr(tbx, name))


def same(mine, theirs) -> None:
    """Compares two messages of the same type as the writer tests do: images by their decoded
    pixels, hparams with sorted maps, a histogram's sum of squares (a BLAS dot product in
    tensorboardX) to rounding."""
    theirs = type(mine).FromString(theirs.SerializeToString())
    if isinstance(mine, summary_pb2.Summary):
        mine, theirs = (comparable(normalized(event_pb2.Event(summary=s))) for s in (mine, theirs))
        pairs = zip(mine.summary.value, theirs.summary.value)
        histograms = [(a.histo, b.histo) for a, b in pairs if a.HasField("histo")]
    else:
        histograms = [(mine, theirs)] if isinstance(mine, summary_pb2.HistogramProto) else []
    for a, b in histograms:
        assert a.sum_squares == pytest.approx(b.sum_squares, rel=1e-12)
        b.sum_squares = a.sum_squares
    assert mine == theirs


labels = rng.integers(0, 2, 300).astype(bool)
predictions = rng.uniform(0, 1, 300)
counts = [rng.integers(0, 50, 9).astype(float) for _ in range(4)]
layout = {"Loss": {"both": ["Multiline", ["loss/train", "loss/val"]]}}
vertices = rng.uniform(-1, 1, (1, 20, 3)).astype(np.float32)
colors = rng.integers(0, 255, (1, 20, 3)).astype(np.uint8)
faces = rng.integers(0, 20, (1, 10, 3)).astype(np.int32)
normal = rng.normal(size=1000)
chw = rng.integers(0, 255, (3, 16, 12), dtype=np.uint8)
hwc = rng.uniform(0, 1, (5, 7, 3))
boxed = rng.integers(0, 255, (3, 32, 32), dtype=np.uint8)
weights = rng.uniform(0, 1, 300)
clip = rng.uniform(-1, 1, 800)
CASES = {
    "scalar": lambda m: m.scalar("loss", 0.25),
    "scalar/described": lambda m: m.scalar("loss", np.float64(2.5), "Loss", "the training loss"),
    "histogram/int bins": lambda m: m.histogram("w", normal, 30),
    "histogram/edges": lambda m: m.histogram("w", torch.arange(50.0), [0.0, 10, 20, 49]),
    "histogram/max_bins": lambda m: m.histogram("w", np.arange(100), 64, max_bins=10),
    "histogram_raw": lambda m: m.histogram_raw("h", 0, 9, 10, 45, 285, [3, 6, 9], [4, 3, 3]),
    "image/uint8": lambda m: m.image("img", chw),
    "image/float HWC": lambda m: m.image("img", hwc, dataformats="HWC"),
    "image/rescaled": lambda m: m.image("img", chw, rescale=2),
    "image_boxes": lambda m: m.image_boxes(
        "boxed",
        boxed,
        np.array([[2, 3, 20, 25], [10, 10, 30, 30]]),
    ),
    "text": lambda m: m.text("notes", "**bold** and ünïcode"),
    "custom_scalars": lambda m: m.custom_scalars(layout),
    "pr_curve": lambda m: m.pr_curve("pr", labels, predictions, num_thresholds=50),
    "pr_curve/weights": lambda m: m.pr_curve("pr", labels, predictions, 20, weights),
    "pr_curve_raw": lambda m: m.pr_curve_raw(
        "pr", *counts, counts[0] / 50, counts[1] / 50, num_thresholds=9
    ),
    "mesh": lambda m: m.mesh("m", vertices, colors, faces, {"camera": {"fov": 75}}),
    "audio": lambda m: m.audio("clip", clip, 8000),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_summary_as_tensorboardx(case):
    same(CASES[case](ours), CASES[case](tbx))


def test_make_functions_match_tensorboardx():
    values = rng.normal(size=500)
    same(ours.make_histogram(values, 20), tbx.make_histogram(values, 20))
    pixels = rng.integers(0, 255, (10, 9, 3), dtype=np.uint8)
    mine, theirs = ours.make_image(pixels), tbx.make_image(pixels)
    assert (mine.height, mine.width, mine.colorspace) == (10, 9, 3)
    assert (theirs.height, theirs.width, theirs.colorspace) == (10, 9, 3)
    assert np.array_equal(decode_png(mine.encoded_image_string), pixels)
    boxes = np.array([[1.0, 1, 6, 7]])
    assert np.array_equal(
        decode_png(ours.make_image(pixels, rois=boxes).encoded_image_string),
        decode_png(tbx.make_image(pixels, rois=boxes).encoded_image_string),
    )


def test_hparams_match_tensorboardx():
    hparams = {"lr": 0.1, "optimizer": "adam", "layers": 3, "augment": True}
    metrics = {"accuracy": 0.9, "loss/val": 0.3}
    for mine, theirs in zip(ours.hparams(hparams, metrics), tbx.hparams(hparams, metrics)):
        same(mine, theirs)


def test_video_frames_are_the_input_frames():
    frames = rng.integers(0, 255, (4, 16, 20, 3), dtype=np.uint8)
    from PIL import Image, ImageSequence

    for image in (
        ours.make_video(frames, 5),
        ours.video("v", frames[None], 5, "NTHWC").value[0].image,
    ):
        assert (image.height, image.width, image.colorspace) == (16, 20, 3)
        gif = Image.open(io.BytesIO(image.encoded_image_string))
        decoded = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(gif)]
        assert len(decoded) == 4
        assert gif.info["duration"] == 200


def test_audio_decodes_to_the_samples():
    samples = np.sin(np.linspace(0, 100, 4000))
    audio = ours.audio("clip", samples, 16000).value[0].audio
    with wave.open(io.BytesIO(audio.encoded_audio_string)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getnframes()) == (16000, 1, 4000)
        decoded = np.frombuffer(wav.readframes(4000), "<i2") / 32768
    assert np.abs(decoded - samples).max() < 2 / 32768


def test_summaries_written_by_file_writer_read_back(logdir):
    writer = turboboard.FileWriter(logdir)
    writer.add_summary(ours.scalar("loss", 0.5), global_step=3)
    writer.add_summary(ours.text("notes", "hello").SerializeToString(), global_step=4)
    writer.close()
    loss, notes = summary_events(logdir)
    assert (loss.step, loss.summary.value[0].simple_value) == (3, 0.5)
    assert (notes.step, notes.summary.value[0].tag) == (4, "notes/text_summary")


def test_bad_input_is_reported_as_for_the_writer_methods():
    with pytest.raises(ValueError, match="img_tensor"):
        ours.image("img", np.zeros((2, 4, 4)))
    with pytest.raises(TypeError, match="hparam_dict"):
        ours.hparams(None, {})
    with pytest.raises(ValueError, match="values"):
        ours.make_histogram(np.array([]), 10)


def test_without_tensorboard_it_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard.compat.proto.event_pb2", None)
    with pytest.raises(ImportError, match="pip install tensorboard"):
        ours.scalar("loss", 1.0)
