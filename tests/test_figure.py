"""add_figure: the same pixels as tensorboardX's (matplotlib's Agg canvas); and none of the
media methods needs Pillow, soundfile or moviepy (nor matplotlib, outside add_figure)."""

import subprocess
import sys
import textwrap

import matplotlib
import numpy as np
import pytest
import turboboard
from conftest import accumulate, assert_same_events, decode_png, summary_events

matplotlib.use("Agg")
import matplotlib.pyplot as plt

WALL = 1_700_000_000.0


def make_figure(seed: int = 0, size: tuple[float, float] = (3, 2)):
    rng = np.random.default_rng(seed)
    figure = plt.figure(figsize=size, dpi=50)
    plt.plot(rng.standard_normal(20), color="tab:orange")
    plt.title(f"run {seed}")
    return figure


def test_figure_matches_tensorboardx(tmp_path):
    (event,) = assert_same_events(
        tmp_path, lambda w: w.add_figure("fig", make_figure(), 3, True, WALL)
    )
    image = event.summary.value[0].image
    assert (image.height, image.width, image.colorspace) == (100, 150, 3)


def test_a_list_of_figures_is_a_grid(tmp_path):
    (event,) = assert_same_events(
        tmp_path,
        lambda w: w.add_figure("figs", [make_figure(i) for i in range(3)], 0, walltime=WALL),
    )
    assert decode_png(event.summary.value[0].image.encoded_image_string).shape == (100, 450, 3)


def test_close_is_honoured(logdir):
    plt.close("all")
    with turboboard.SummaryWriter(logdir) as w:
        kept = make_figure()
        w.add_figure("kept", kept, 0, close=False)
        assert plt.fignum_exists(kept.number)
        closed = make_figure()
        w.add_figure("closed", closed, 0)
        assert not plt.fignum_exists(closed.number)
        # The kept figure can be drawn again.
        w.add_figure("kept", kept, 1)
    images = accumulate(logdir).Images("kept")
    assert [i.step for i in images] == [0, 1]
    assert images[0].encoded_image_string == images[1].encoded_image_string


def test_write_to_disk_false_still_closes(tmp_path):
    plt.close("all")
    w = turboboard.SummaryWriter(str(tmp_path), write_to_disk=False)
    figure = make_figure()
    w.add_figure("fig", figure, 0)
    assert not plt.fignum_exists(figure.number)
    w.close()


def test_figures_of_different_sizes_are_refused(logdir):
    with turboboard.SummaryWriter(logdir) as w:
        with pytest.raises(ValueError, match="figure"):
            w.add_figure("figs", [make_figure(0), make_figure(1, (2, 2))], 0)
        with pytest.raises(ValueError, match="figure"):
            w.add_figure("figs", [], 0)
    assert summary_events(logdir) == []


def test_media_methods_need_no_heavy_dependency(tmp_path):
    """Pillow, soundfile, moviepy and matplotlib cannot even be imported; the media methods
    still work and import none of them."""
    script = textwrap.dedent(
        f"""
        import sys

        BLOCKED = ("PIL", "soundfile", "moviepy", "imageio", "matplotlib")

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"{{name}} is blocked")

        sys.meta_path.insert(0, Block())
        import numpy as np
        import turboboard

        with turboboard.SummaryWriter({str(tmp_path)!r}) as w:
            w.add_audio("audio", np.zeros((100, 2)), 0)
            w.add_video("video", np.random.rand(3, 4, 3, 64, 64), 0)
            w.add_image_with_boxes("boxes", np.zeros((3, 8, 8)), [[1, 1, 5, 5]], 0,
                                   labels=["x"], rescale=2)
            w.add_image("image", np.zeros((3, 8, 8)), 0)
        assert not [m for m in sys.modules if m.split(".")[0] in BLOCKED]
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    assert {e.summary.value[0].tag for e in summary_events(str(tmp_path))} == {
        "audio",
        "video",
        "boxes",
        "image",
    }
