"""``SummaryWriter``'s media methods: images (PNG), audio (WAV), video (GIF), images with boxes
and matplotlib figures, encoded in Rust: no soundfile, moviepy or Pillow (matplotlib only to
render figures)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _convert
from ._base import WriterBase
from ._convert import Step


def _dataformats(dataformats: Any, hint: str = "") -> str:
    # Only where Python reads it; elsewhere the core's conversion names it.
    if not isinstance(dataformats, str):
        raise TypeError(f"dataformats: expected a string, got {type(dataformats).__name__}{hint}")
    return dataformats


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


class MediaMethods(WriterBase):
    """``add_image``, ``add_images``, ``add_audio``, ``add_video``, ``add_image_with_boxes``
    and ``add_figure``."""

    def add_image(
        self,
        tag: str,
        img_tensor: Any,
        global_step: Step = None,
        walltime: float | None = None,
        dataformats: str = "CHW",
    ) -> None:
        """Adds an image, encoded as PNG in Rust.

        Args:
            tag: Data identifier.
            img_tensor: uint8 values in [0, 255], or floats in [0, 1] (scaled by 255; unlike
                tensorboardX, values outside are clipped instead of wrapping around).
            global_step: Global step value to record.
            walltime: Event time in seconds since the epoch (default: now).
            dataformats: The layout of ``img_tensor``: ``CHW``, ``HWC``, ``HW``, ... (1-channel
                images are stored as RGB, 4-channel ones as RGBA).
        """
        core = self._writer_core()
        if core is None:
            return
        array = _convert.to_numpy(img_tensor, "img_tensor")
        step, walltime = self._when(global_step, walltime)
        core.add_image(tag, array, step, walltime, dataformats, self._image_compression)

    def add_images(
        self,
        tag: str,
        img_tensor: Any,
        global_step: Step = None,
        walltime: float | None = None,
        dataformats: str = "NCHW",
    ) -> None:
        """Adds a batch of images, tiled 8 to a row into one image as tensorboardX does.

        ``img_tensor`` is a 4-D array in ``dataformats`` layout, or a list of 3-D images with
        ``dataformats`` ``CHW`` or ``HWC``.
        """
        if isinstance(img_tensor, (list, tuple)):
            if _dataformats(dataformats).upper() not in ("CHW", "HWC"):
                raise ValueError(
                    f"dataformats: a list of images needs 'CHW' or 'HWC', got {dataformats!r}"
                )
            if not img_tensor:
                raise ValueError("img_tensor: the list of images is empty")
            img_tensor = np.stack([_convert.to_numpy(i, "img_tensor") for i in img_tensor])
            dataformats = "N" + dataformats
        self.add_image(tag, img_tensor, global_step, walltime, dataformats)

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
        rate = _convert.count(sample_rate, "sample_rate", limit=1 << 32)
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
        image = _convert.to_numpy(img_tensor, "img_tensor")
        boxes = _convert.to_numpy(box_tensor, "box_tensor").astype(np.float64)
        # The core checks the 4 columns; it takes only 2-D boxes and draws non-finite ones.
        if boxes.ndim != 2:
            raise ValueError(
                "box_tensor: expected N x 4 boxes [xmin, ymin, xmax, ymax], "
                f"got shape {list(boxes.shape)}"
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
        core.add_image_with_boxes(
            tag, image, boxes, step, walltime, dataformats, labels, rescale, self._image_compression
        )

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
