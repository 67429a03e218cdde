"""turboboard.SummaryReader against tbparse's own SummaryReader on the same runs (tests/runs.py):
every frame equal with pandas.testing.assert_frame_equal (columns, dtypes, row order, values),
long and pivoted, with every extra column, on a directory tree and on one file."""

from __future__ import annotations

import glob
import io
import os
import warnings

import numpy as np
import pytest
import runs
from pandas.testing import assert_frame_equal

tbparse = pytest.importorskip("tbparse")

from turboboard._tbparse import SummaryReader  # noqa: E402

# tbparse decodes images and audio with TensorFlow, and leaves them out without it.
KINDS_WITHOUT_TENSORFLOW = ["scalars", "tensors", "histograms", "hparams", "text"]
EXTRAS = [
    set(),
    {"dir_name"},
    {"file_name"},
    {"dir_name", "file_name", "wall_time"},
    {"wall_time", "min", "max", "num", "sum", "sum_squares"},
]


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory) -> str:
    path = runs.write_logdir(str(tmp_path_factory.mktemp("runs")))
    runs.write_tf2_style(os.path.join(path, "tf2"))
    # tbparse opens every file, and reads nothing from these: neither may we.
    with open(os.path.join(path, "tbx", "notes.txt"), "w") as f:
        f.write("not events")
    os.makedirs(os.path.join(path, "empty", "dir"))
    return path


def theirs(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TensorBoard's loader warns about purges and metadata
        return tbparse.SummaryReader(path, **kwargs)


def their_frame(reader, kind: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' deprecations in tbparse's code
        return reader.get_events(kind)


def assert_same_frames(ours, other, kinds) -> None:
    for kind in kinds:
        expected = their_frame(other, kind)
        assert not expected.empty, f"tbparse read no {kind}: the comparison proves nothing"
        assert_frame_equal(ours.get_events(kind), expected, obj=kind)


@pytest.mark.parametrize("pivot", [False, True], ids=["long", "pivot"])
@pytest.mark.parametrize("extra", EXTRAS, ids=lambda e: "+".join(sorted(e)) or "plain")
def test_every_frame_equals_tbparses(runs_dir, pivot, extra):
    kwargs = {"pivot": pivot, "extra_columns": extra}
    assert_same_frames(
        SummaryReader(runs_dir, **kwargs), theirs(runs_dir, **kwargs), KINDS_WITHOUT_TENSORFLOW
    )


@pytest.mark.parametrize("pivot", [False, True], ids=["long", "pivot"])
def test_one_event_file_and_one_run(runs_dir, pivot):
    extra = {"dir_name", "file_name", "wall_time"}
    (path,) = glob.glob(os.path.join(runs_dir, "torch", "events.*"))
    for log_path in (path, os.path.join(runs_dir, "tbx")):
        kwargs = {"pivot": pivot, "extra_columns": extra}
        ours, other = SummaryReader(log_path, **kwargs), theirs(log_path, **kwargs)
        kinds = [k for k in KINDS_WITHOUT_TENSORFLOW if not their_frame(other, k).empty]
        assert "scalars" in kinds and "text" in kinds
        assert_same_frames(ours, other, kinds)


def test_event_types_and_errors_as_tbparse(runs_dir):
    ours = SummaryReader(runs_dir, event_types={"scalars"})
    assert_frame_equal(
        ours.scalars, their_frame(theirs(runs_dir, event_types={"scalars"}), "scalars")
    )
    for call in (
        lambda reader: reader.get_events("graphs"),
        lambda reader: reader.histograms,
    ):
        with pytest.raises(ValueError):
            call(theirs(runs_dir, event_types={"scalars"}))
        with pytest.raises(ValueError):
            call(ours)
    for kwargs, error in (
        ({"extra_columns": {"colour"}}, KeyError),
        ({"event_types": {"graphs"}}, KeyError),
        ({"extra_columns": ["wall_time"]}, ValueError),
    ):
        with pytest.raises(error):
            theirs(runs_dir, **kwargs)
        with pytest.raises(error):
            SummaryReader(runs_dir, **kwargs)
    with pytest.raises(ValueError, match="not found"):
        SummaryReader(os.path.join(runs_dir, "missing"))


def test_text_alone_keeps_every_event(runs_dir):
    """tbparse without "tensors" keeps one text event per tag (its accumulator then keeps one
    tensor per tag); the drop-in gives every one, as tbparse does with "tensors"."""
    ours = SummaryReader(runs_dir, event_types={"text"}).text
    assert_frame_equal(ours, their_frame(theirs(runs_dir, event_types={"text", "tensors"}), "text"))
    assert len(their_frame(theirs(runs_dir, event_types={"text"}), "text")) < len(ours)


def test_tags_as_tbparse(runs_dir):
    """Hparams by name: tbparse lists them in protobuf's map order, which changes from one
    process to the next (upb seeds its hash)."""
    kinds = set(KINDS_WITHOUT_TENSORFLOW)
    ours, other = SummaryReader(runs_dir, event_types=kinds), theirs(runs_dir, event_types=kinds)
    ours_tags, their_tags = ours.tags, other.tags
    hparams = ours_tags.pop("hparams")
    assert hparams == ["lr", "opt", "bn", "layers"]  # tbx, then tbx/hp, then torch/hp
    assert sorted(their_tags.pop("hparams")) == sorted(hparams)
    assert ours_tags == their_tags
    assert ours.get_tags("text") == ["notes/text_summary", "other note/text_summary"]
    assert SummaryReader(runs_dir, event_types={"text"}).get_tags("scalars") == []


def test_a_frame_is_a_copy(runs_dir):
    reader = SummaryReader(runs_dir)
    frame = reader.scalars
    frame["value"] = 0.0
    assert reader.scalars["value"].sum() > 0


@pytest.fixture(scope="module")
def tensorflow():
    return pytest.importorskip("tensorflow")


@pytest.mark.parametrize("pivot", [False, True], ids=["long", "pivot"])
def test_images_and_audio_equal_tbparses_with_tensorflow(runs_dir, tensorflow, pivot):
    extra = {
        "dir_name",
        "wall_time",
        "width",
        "height",
        "content_type",
        "length_frames",
        "sample_rate",
    }
    kwargs = {"pivot": pivot, "extra_columns": extra}
    assert_same_frames(
        SummaryReader(runs_dir, **kwargs), theirs(runs_dir, **kwargs), ["images", "audio"]
    )


def test_images_are_the_pixels_written(runs_dir):
    """Without TensorFlow: each image's pixels, HWC uint8 as TensorFlow decodes them, against
    Pillow's decoding of the accumulator's PNG (and the GIF of add_video frame by frame)."""
    from PIL import Image, ImageSequence

    frame = SummaryReader(runs_dir, extra_columns={"dir_name", "width", "height"}).images
    theirs_ = runs.accumulator_table(runs_dir, "images")
    assert list(frame.columns) == ["step", "tag", "value", "height", "width", "dir_name"]
    assert len(frame) == len(theirs_) > 0
    expected = {}
    for row in theirs_.itertuples():
        image = Image.open(io.BytesIO(row.encoded))
        if image.format == "GIF":
            pixels = np.stack([np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(image)])
        else:
            if image.mode == "P":  # TensorFlow expands a palette (turboboard's masks) to RGB(A)
                image = image.convert("RGBA" if "transparency" in image.info else "RGB")
            pixels = np.asarray(image)
            pixels = pixels[:, :, None] if pixels.ndim == 2 else pixels
        expected[("" if row.run == "." else row.run, row.tag, row.step)] = (
            pixels,
            row.width,
            row.height,
        )
    for row in frame.itertuples():
        pixels, width, height = expected[(row.dir_name, row.tag, row.step)]
        np.testing.assert_array_equal(row.value, pixels)
        assert row.value.dtype == np.uint8 and (row.width, row.height) == (width, height)
    assert frame["value"].map(np.ndim).max() == 4  # add_video's GIF: frames, H, W, C


def test_audio_is_the_samples_written(runs_dir):
    """Without TensorFlow: float32 samples (frames, channels) as decode_wav gives them,
    against soundfile's decoding of the accumulator's WAV."""
    soundfile = pytest.importorskip("soundfile")
    extra = {"dir_name", "content_type", "length_frames", "sample_rate"}
    frame = SummaryReader(runs_dir, extra_columns=extra).audio
    theirs_ = runs.accumulator_table(runs_dir, "audio")
    assert len(frame) == len(theirs_) > 0
    expected = {("" if r.run == "." else r.run, r.tag, r.step): r for r in theirs_.itertuples()}
    for row in frame.itertuples():
        other = expected[(row.dir_name, row.tag, row.step)]
        samples, rate = soundfile.read(io.BytesIO(other.encoded), dtype="float32", always_2d=True)
        np.testing.assert_array_equal(row.value, samples)
        assert row.value.dtype == np.float32
        assert (row.sample_rate, row.length_frames, row.content_type) == (
            other.sample_rate,
            other.length_frames,
            other.content_type,
        )
        assert row.sample_rate == rate


def test_a_corrupt_record_is_skipped_with_a_warning(tmp_path):
    """tbparse stops reading the file at the bad record without a word; the drop-in warns and
    reads the rest."""
    _, bad, _ = runs.corrupt_logdir(str(tmp_path))
    directory = os.path.dirname(bad)
    with pytest.warns(RuntimeWarning, match="corrupt"):
        ours = SummaryReader(directory).scalars
    other = their_frame(theirs(directory), "scalars")
    assert list(ours.columns) == list(other.columns) and list(ours.dtypes) == list(other.dtypes)
    assert len(ours) == 2 * runs.STEPS - 1 and len(other) == runs.CORRUPT_RECORD - 1
    merged = ours.merge(other, how="inner", on=["tag", "step", "value"])
    assert len(merged) == len(other)


def test_exported_from_turboboard():
    import turboboard

    assert turboboard.SummaryReader is SummaryReader


def test_static_helpers_as_tbparses(runs_dir):
    """tbparse's helpers for plotting, on the histograms the runs hold."""
    histograms = SummaryReader(runs_dir, event_types={"histograms"}).histograms
    assert len(histograms) > 0
    for counts, limits in zip(histograms["counts"], histograms["limits"]):
        x = np.linspace(limits[0] - 1, limits[-1] + 1, 57)
        np.testing.assert_allclose(
            SummaryReader.histogram_to_cdf(counts, limits, x),
            tbparse.SummaryReader.histogram_to_cdf(counts, limits, x),
            rtol=1e-12,
        )
        for ours, their in zip(
            SummaryReader.histogram_to_pdf(counts, limits, x),
            tbparse.SummaryReader.histogram_to_pdf(counts, limits, x),
        ):
            np.testing.assert_allclose(ours, their, rtol=1e-9, atol=1e-12)
        edges = (None, None), (float(limits[1]), float(limits[-2])), (0.5, 0.5)
        for lower, upper in edges:
            for n_bins in (1, 30):
                expected = tbparse.SummaryReader.histogram_to_bins(
                    counts, limits, lower, upper, n_bins
                )
                got = SummaryReader.histogram_to_bins(counts, limits, lower, upper, n_bins)
                np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)
    rows = np.array([[-1.0, 0.0, 3.0], [0.0, 0.5, 0.0], [0.5, 2.0, 7.0]])
    ours, their = (
        SummaryReader.tensor_to_histogram(rows),
        tbparse.SummaryReader.tensor_to_histogram(rows),
    )
    assert ours.keys() == their.keys()
    for key in ours:
        np.testing.assert_array_equal(ours[key], their[key])
    with pytest.raises(ValueError, match="counts, limits"):
        SummaryReader.histogram_to_cdf([0, 1], [0.0], [0.5])
    with pytest.raises(ValueError, match="x: "):
        SummaryReader.histogram_to_cdf([0, 1], [0.0, 1.0], [0.5, 0.2])


def test_tensor_to_image_and_audio_decode_what_was_encoded():
    """tbparse decodes these with TensorFlow; the drop-in with Pillow and the standard library,
    to the pixels and samples that were encoded."""
    import wave

    from PIL import Image

    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    png = io.BytesIO()
    Image.fromarray(pixels).save(png, format="PNG")
    image = SummaryReader.tensor_to_image(np.array([b"7", b"5", png.getvalue()], dtype=object))
    np.testing.assert_array_equal(image["image"], pixels)
    assert (image["width"], image["height"]) == (7, 5)
    two = SummaryReader.tensor_to_image(
        np.array([b"7", b"5", png.getvalue(), png.getvalue()], dtype=object)
    )
    assert two["image"].shape == (2, 5, 7, 3)

    samples = rng.integers(-32768, 32768, (11, 2), dtype=np.int16)
    wav = io.BytesIO()
    with wave.open(wav, "wb") as f:
        f.setnchannels(2)
        f.setsampwidth(2)
        f.setframerate(8000)
        f.writeframes(samples.astype("<i2").tobytes())
    audio = SummaryReader.tensor_to_audio(np.array([[wav.getvalue(), b""]], dtype=object))
    np.testing.assert_array_equal(audio["audio"], samples.astype(np.float32) / 32768)
    assert (audio["content_type"], audio["length_frames"], audio["sample_rate"]) == (
        "audio/wav",
        11,
        8000,
    )
