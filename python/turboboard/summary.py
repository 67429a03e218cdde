"""tensorboardX's summary-building functions, for code that builds ``Summary`` protobufs itself
and writes them with ``FileWriter.add_summary``.

Each function runs the same Rust code as the ``SummaryWriter`` method of the same kind (so the
same checks, conversions and encoders), keeps the event in memory instead of writing it, and
returns TensorBoard's protobuf message. Those messages come from the ``tensorboard`` package,
which this module (and only this module) needs. As in ``SummaryWriter``, tags are kept as
given (tensorboardX replaces some characters).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from . import _core
from ._plugins import _check_hparams_args, _hparams
from .writer import SummaryWriter


def _event_class() -> Any:
    try:
        from tensorboard.compat.proto.event_pb2 import Event  # type: ignore[import-untyped]
    except ImportError as e:
        raise ImportError(
            "turboboard.summary returns TensorBoard's protobuf messages: "
            "install the tensorboard package (pip install tensorboard)"
        ) from e
    return Event


def _summaries(write: Callable[[SummaryWriter], object]) -> list[Any]:
    """The summaries ``write`` adds to an in-memory writer, one per event."""
    _event_class()  # fails early, before any work, without tensorboard
    writer = SummaryWriter("", write_to_disk=False, ranks=None)
    writer._core = core = _core.EventFileWriter.in_memory()
    write(writer)
    return _taken(core)


def _taken(core: _core.EventFileWriter) -> list[Any]:
    event_class = _event_class()
    return [event_class.FromString(event).summary for event in core.take_events()]


def _summary(write: Callable[[SummaryWriter], object]) -> Any:
    (summary,) = _summaries(write)
    return summary


def scalar(name: str, scalar: Any, display_name: str = "", summary_description: str = "") -> Any:
    """A ``Summary`` with one scalar (``SummaryWriter.add_scalar``)."""
    return _summary(
        lambda w: w.add_scalar(
            name, scalar, display_name=display_name, summary_description=summary_description
        )
    )


def histogram(name: str, values: Any, bins: Any, max_bins: int | None = None) -> Any:
    """A ``Summary`` with the histogram of ``values`` (``SummaryWriter.add_histogram``)."""
    return _summary(lambda w: w.add_histogram(name, values, bins=bins, max_bins=max_bins))


def make_histogram(values: Any, bins: Any, max_bins: int | None = None) -> Any:
    """The ``HistogramProto`` of ``values``."""
    return histogram("", values, bins, max_bins).value[0].histo


def histogram_raw(
    name: str,
    min: float,
    max: float,
    num: float,
    sum: float,
    sum_squares: float,
    bucket_limits: Sequence[float],
    bucket_counts: Sequence[float],
) -> Any:
    """A ``Summary`` with a histogram given by its buckets (``add_histogram_raw``)."""
    return _summary(
        lambda w: w.add_histogram_raw(
            name, min, max, num, sum, sum_squares, bucket_limits, bucket_counts
        )
    )


def image(tag: str, tensor: Any, rescale: float = 1, dataformats: str = "CHW") -> Any:
    """A ``Summary`` with one image (``SummaryWriter.add_image``), scaled by ``rescale``."""
    if rescale == 1:
        return _summary(lambda w: w.add_image(tag, tensor, dataformats=dataformats))
    return image_boxes(tag, tensor, np.zeros((0, 4)), rescale, dataformats)


def image_boxes(
    tag: str,
    tensor_image: Any,
    tensor_boxes: Any,
    rescale: float = 1,
    dataformats: str = "CHW",
    labels: Sequence[str] | None = None,
) -> Any:
    """A ``Summary`` with an image and boxes drawn on it (``add_image_with_boxes``)."""
    return _summary(
        lambda w: w.add_image_with_boxes(
            tag, tensor_image, tensor_boxes, dataformats=dataformats, labels=labels, rescale=rescale
        )
    )


def make_image(
    tensor: Any, rescale: float = 1, rois: Any = None, labels: Sequence[str] | None = None
) -> Any:
    """The ``Summary.Image`` of an HWC image, with the boxes ``rois`` drawn on it."""
    boxes = np.zeros((0, 4)) if rois is None else rois
    return image_boxes("", tensor, boxes, rescale, "HWC", labels).value[0].image


def video(tag: str, tensor: Any, fps: float = 4, dataformats: str = "NTCHW") -> Any:
    """A ``Summary`` with an animated GIF of the videos (``SummaryWriter.add_video``)."""
    return _summary(lambda w: w.add_video(tag, tensor, fps=fps, dataformats=dataformats))


def make_video(tensor: Any, fps: float) -> Any:
    """The ``Summary.Image`` (an animated GIF) of ``tensor``'s frames, T x H x W x C."""
    frames = np.asarray(tensor)
    return video("", frames[np.newaxis], fps, "NTHWC").value[0].image


def audio(tag: str, tensor: Any, sample_rate: int = 44100) -> Any:
    """A ``Summary`` with a WAV clip (``SummaryWriter.add_audio``)."""
    return _summary(lambda w: w.add_audio(tag, tensor, sample_rate=sample_rate))


def text(tag: str, text: str) -> Any:
    """A ``Summary`` with a text (``SummaryWriter.add_text``)."""
    return _summary(lambda w: w.add_text(tag, text))


def custom_scalars(layout: Mapping[str, Mapping[str, Sequence[Any]]]) -> Any:
    """A ``Summary`` with the custom scalars plugin's layout (``add_custom_scalars``)."""
    return _summary(lambda w: w.add_custom_scalars(layout))


def pr_curve(
    tag: str, labels: Any, predictions: Any, num_thresholds: int = 127, weights: Any = None
) -> Any:
    """A ``Summary`` with a precision-recall curve (``SummaryWriter.add_pr_curve``)."""
    return _summary(
        lambda w: w.add_pr_curve(
            tag, labels, predictions, num_thresholds=num_thresholds, weights=weights
        )
    )


def pr_curve_raw(
    tag: str,
    tp: Any,
    fp: Any,
    tn: Any,
    fn: Any,
    precision: Any,
    recall: Any,
    num_thresholds: int = 127,
    weights: Any = None,
) -> Any:
    """A ``Summary`` with a precision-recall curve given by its counts (``add_pr_curve_raw``)."""
    return _summary(
        lambda w: w.add_pr_curve_raw(
            tag, tp, fp, tn, fn, precision, recall, num_thresholds=num_thresholds, weights=weights
        )
    )


def mesh(
    tag: str, vertices: Any, colors: Any, faces: Any, config_dict: dict[str, Any] | None = None
) -> Any:
    """A ``Summary`` with a mesh or point cloud (``SummaryWriter.add_mesh``)."""
    return _summary(
        lambda w: w.add_mesh(tag, vertices, colors=colors, faces=faces, config_dict=config_dict)
    )


def hparams(
    hparam_dict: Mapping[str, Any] | None = None, metric_dict: Mapping[str, Any] | None = None
) -> tuple[Any, Any, Any]:
    """The hparams plugin's three summaries (experiment, session start, session end), as
    ``SummaryWriter.add_hparams`` writes them; the metrics' values are not part of them."""
    hparam_dict, metric_dict = _check_hparams_args(hparam_dict, metric_dict)
    core = _core.EventFileWriter.in_memory()
    core.add_hparams(_hparams(hparam_dict, None), list(metric_dict))
    experiment, start, end = _taken(core)
    return experiment, start, end
