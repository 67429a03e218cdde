"""``SummaryWriter``'s media methods: audio (WAV), video (GIF), images with boxes (PNG) and
matplotlib figures, encoded in Rust: no soundfile, moviepy or Pillow (matplotlib only to
render figures)."""

from __future__ import annotations

import math
import numbers
import operator
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from . import _convert

if TYPE_CHECKING:
    from ._core import EventFileWriter

Step = Optional[int]


def _dataformats(dataformats: Any, hint: str = "") -> str:
    if not isinstance(dataformats, str):
        raise TypeError(f"dataformats: expected a string, got {type(dataformats).__name__}{hint}")
    return dataformats


def _positive(value: Any, arg: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{arg}: expected a positive number, got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{arg}: expected a positive number, got {value}")
    return value


def _render_figure(figure: Any, close: bool) -> np.ndarray:
    """The figure drawn by matplotlib's Agg canvas, as HWC uint8 RGB (alpha dropped)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[:, :, :3]
    if close:
        import matplotlib.pyplot as plt

        plt.close(figure)
    return rgb


class MediaMixin:
    """``add_audio``, ``add_video``, ``add_image_with_boxes`` and ``add_figure``."""

    if TYPE_CHECKING:

        def _writer_core(self) -> EventFileWriter | None: ...
        def _when(self, global_step: Any, walltime: float | None) -> tuple[Step, float | None]: ...
        def add_image(
            self,
            tag: str,
            img_tensor: Any,
            global_step: Step = None,
            walltime: float | None = None,
            dataformats: str = "CHW",
        ) -> None: ...
        def add_images(
            self,
            tag: str,
            img_tensor: Any,
            global_step: Step = None,
            walltime: float | None = None,
            dataformats: str = "NCHW",
        ) -> None: ...

    def add_audio(
        self,
        tag: str,
        snd_tensor: Any,
        global_step: Step = None,
        sample_rate: int = 44100,
        walltime: float | None = None,
    ) -> None:
        """Adds audio, encoded as a 16-bit PCM WAV in Rust.

        Args:
            tag: Data identifier.
            snd_tensor: Samples in [-1, 1] (clipped), shaped ``(L,)`` or ``(L, C)`` with C = 1
                (mono) or 2 (stereo). Quantised as tensorboardX (libsndfile) does, about
                ``floor(x * 32768)`` (torch truncates ``x * 32767``); NaN is silence.
            global_step: Global step value to record.
            sample_rate: Samples per second, a positive integer.
            walltime: Event time in seconds since the epoch (default: now).
        """
        core = self._writer_core()
        if core is None:
            return
        array = _convert.to_numpy(snd_tensor, "snd_tensor")
        if isinstance(sample_rate, bool):
            raise TypeError("sample_rate: expected an integer, got bool")
        try:
            rate = operator.index(sample_rate)
        except TypeError:
            raise TypeError(
                f"sample_rate: expected an integer, got {type(sample_rate).__name__}"
            ) from None
        if not 0 < rate < 2**32:
            raise ValueError(f"sample_rate: expected a positive number of Hz, got {rate}")
        step, walltime = self._when(global_step, walltime)
        core.add_audio(tag, array, step, rate, walltime)

    def add_video(
        self,
        tag: str,
        vid_tensor: Any,
        global_step: Step = None,
        fps: float = 4,
        walltime: float | None = None,
        dataformats: str = "NTCHW",
    ) -> None:
        """Adds a video, encoded as an animated GIF in Rust (no moviepy).

        The N videos of the batch are tiled into each frame as tensorboardX tiles them (N padded
        to a power of two). Frames with at most 256 colours are stored exactly; others are
        quantised to 256 colours (NeuQuant).

        Args:
            tag: Data identifier.
            vid_tensor: Video data, uint8 in [0, 255] or floats in [0, 1] (values outside are
                clipped, where tensorboardX's uint8 cast wraps them around).
            global_step: Global step value to record.
            fps: Frames per second.
            walltime: Event time in seconds since the epoch (default: now).
            dataformats: The layout of ``vid_tensor``, a permutation of ``NTCHW``; C is 1, 3
                or 4 (alpha is dropped, as moviepy does).
        """
        core = self._writer_core()
        if core is None:
            return
        dataformats = _dataformats(dataformats)
        fps = _positive(fps, "fps")
        array = _convert.to_numpy(vid_tensor, "vid_tensor")
        step, walltime = self._when(global_step, walltime)
        core.add_video(tag, array, step, fps, walltime, dataformats)

    def add_image_with_boxes(
        self,
        tag: str,
        img_tensor: Any,
        box_tensor: Any,
        global_step: Step = None,
        walltime: float | None = None,
        dataformats: str = "CHW",
        labels: Sequence[str] | str | None = None,
        **kwargs: Any,
    ) -> None:
        """Adds an image with bounding boxes drawn on it (red, 2 pixels wide, as tensorboardX
        draws them), encoded as PNG in Rust (no Pillow).

        Arguments follow tensorboardX's order; torch's 6th positional argument is ``rescale``,
        which turboboard takes by keyword only.

        Args:
            tag: Data identifier.
            img_tensor: The image, as for ``add_image``.
            box_tensor: N x 4 boxes ``[xmin, ymin, xmax, ymax]`` in pixels.
            global_step: Global step value to record.
            walltime: Event time in seconds since the epoch (default: now).
            dataformats: The layout of ``img_tensor`` (``CHW``, ``HWC``, ...).
            labels: One string per box, drawn in a red tag on its bottom edge (in an 8x8 bitmap
                font, not Pillow's). With a count other than N, warns and drops them, as
                tensorboardX does.
            rescale: Keyword only: scale the picture by this factor (Lanczos, as Pillow's);
                the recorded height and width stay the unscaled ones, as in tensorboardX.
        """
        rescale = kwargs.pop("rescale", 1)
        if kwargs:
            raise TypeError(f"add_image_with_boxes() got unexpected keywords {sorted(kwargs)}")
        core = self._writer_core()
        if core is None:
            return
        dataformats = _dataformats(
            dataformats, " (torch's 6th positional argument is rescale: pass it by keyword)"
        )
        rescale = _positive(rescale, "rescale")
        image = _convert.to_numpy(img_tensor, "img_tensor")
        boxes = _convert.to_numpy(box_tensor, "box_tensor").astype(np.float64)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError(
                f"box_tensor: expected N x 4 boxes (xmin, ymin, xmax, ymax), got {boxes.shape}"
            )
        if not np.isfinite(boxes).all():
            raise ValueError("box_tensor: expected finite coordinates, got NaN or infinity")
        if labels is not None:
            if isinstance(labels, str):
                labels = [labels]
            labels = [str(label) for label in labels]
            if len(labels) != boxes.shape[0]:
                warnings.warn(
                    f"labels: {len(labels)} labels for {boxes.shape[0]} boxes; drawing no labels",
                    stacklevel=2,
                )
                labels = None
        step, walltime = self._when(global_step, walltime)
        core.add_image_with_boxes(tag, image, boxes, step, walltime, dataformats, labels, rescale)

    def add_figure(
        self,
        tag: str,
        figure: Any,
        global_step: Step = None,
        close: bool = True,
        walltime: float | None = None,
    ) -> None:
        """Renders a matplotlib figure (or a list of them, tiled as ``add_images`` does) with
        the Agg canvas and adds it as an image.

        Args:
            tag: Data identifier.
            figure: A ``matplotlib.figure.Figure``, or a list of figures of the same size.
            global_step: Global step value to record.
            close: Close the figure(s) once rendered.
            walltime: Event time in seconds since the epoch (default: now).
        """
        figures = figure if isinstance(figure, (list, tuple)) else [figure]
        if self._writer_core() is None:
            if close and figures:
                import matplotlib.pyplot as plt

                for f in figures:
                    plt.close(f)
            return
        if not isinstance(figure, (list, tuple)):
            self.add_image(tag, _render_figure(figure, close), global_step, walltime, "HWC")
            return
        images = [_render_figure(f, close) for f in figures]
        if not images:
            raise ValueError("figure: the list of figures is empty")
        shapes = [i.shape for i in images]
        if len(set(shapes)) > 1:
            raise ValueError(f"figure: the figures of a list must have the same size, got {shapes}")
        self.add_images(tag, np.stack(images), global_step, walltime, "NHWC")
