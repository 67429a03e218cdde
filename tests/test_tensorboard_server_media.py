"""A real TensorBoard server on 127.0.0.1 serves turboboard's audio, video and boxed images through
its audio and images plugins' HTTP API, with both of its loaders."""

import numpy as np
import pytest
import turboboard
from conftest import decode_png, summary_events, write_with
from test_tensorboard_server import LOADERS, get, serve

RUN = "media"
TBX_RUN = "tbx"  # the same audio written by tensorboardX


def log_audio(w):
    t = np.linspace(0, 1, 8000, endpoint=False)
    for step in range(3):
        tone = 0.5 * np.sin(2 * np.pi * 440 * (step + 1) * t)
        w.add_audio("tone", np.stack([tone, -tone], axis=1), step, 8000, 1_700_000_000.0 + step)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("tb")
    with turboboard.SummaryWriter(str(root / RUN)) as w:
        log_audio(w)
        w.add_video("clip", np.random.default_rng(0).random((2, 3, 3, 8, 8)), 0)
        w.add_image_with_boxes("boxes", np.zeros((3, 16, 16)), [[2, 2, 12, 12]], 0, rescale=2)
    write_with("tensorboardX", str(root / TBX_RUN), log_audio)
    return root


def both_runs_served(base):
    tags = get(base, "/data/plugin/audio/tags")
    return tags.get(RUN) and tags.get(TBX_RUN)


@pytest.fixture(scope="module", **LOADERS)
def server(request, run_dir):
    with serve(run_dir, request.param, both_runs_served) as base:
        yield base


def test_audio(server, run_dir):
    tags = get(server, "/data/plugin/audio/tags")
    assert tags[RUN] == tags[TBX_RUN]
    assert list(tags[RUN]) == ["tone"] and tags[RUN]["tone"]["samples"] == 1
    written = {
        e.step: e.summary.value[0].audio.encoded_audio_string
        for e in summary_events(str(run_dir / RUN))
        if e.summary.value[0].tag == "tone"
    }
    served = {}
    for run in (RUN, TBX_RUN):
        entries = get(server, "/data/plugin/audio/audio", run=run, tag="tone", sample=0)
        assert [e["step"] for e in entries] == [0, 1, 2]
        for entry in entries:
            wav = get(server, "/data/plugin/audio/individualAudio?" + entry["query"])
            served[run, entry["step"]] = (entry["contentType"], entry["wall_time"], wav)
    for step, wav in written.items():
        # What the server gives for our run is what we wrote, and what it gives for
        # tensorboardX's (the content type too: audio/wav from the Python loader; the data
        # server does not read the encoding of legacy audio values).
        assert served[RUN, step][2] == wav and wav[:4] == b"RIFF"
        assert served[RUN, step] == served[TBX_RUN, step]


def test_video_and_boxes_as_images(server, run_dir):
    written = {
        e.summary.value[0].tag: e.summary.value[0].image.encoded_image_string
        for e in summary_events(str(run_dir / RUN))
    }
    assert sorted(get(server, "/data/plugin/images/tags")[RUN]) == ["boxes", "clip"]
    for tag in ("clip", "boxes"):
        (entry,) = get(server, "/data/plugin/images/images", run=RUN, tag=tag, sample=0)
        served = get(server, "/data/plugin/images/individualImage?" + entry["query"])
        assert served == written[tag]
    assert written["clip"].startswith(b"GIF89a")
    assert decode_png(written["boxes"]).shape == (32, 32, 3)
