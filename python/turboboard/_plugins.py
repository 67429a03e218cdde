"""``SummaryWriter`` methods for TensorBoard's plugins: PR curves, custom scalars, meshes,
hparams, and torch's ``add_tensor``. Arguments are checked and normalized here; the summaries
are computed and encoded in Rust."""

from __future__ import annotations

import json
import numbers
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import _convert, _errors, _paths
from ._base import WriterBase
from ._convert import Step

# The core caps thresholds at 127, as both anchors do; this cap only fits its u32 argument.
_U32_MAX = (1 << 32) - 1

# An hparam value the hparams plugin cannot show: listed without a value, as tensorboardX does.
_UNSET = None
# An hparam whose value is None: left out entirely, as both anchors do.
_SKIP = object()


class PluginMethods(WriterBase):
    """The plugin methods of ``SummaryWriter``."""

    def add_pr_curve(
        self,
        tag: str,
        labels: Any,
        predictions: Any,
        global_step: Step = None,
        num_thresholds: int = 127,
        weights: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Adds a precision-recall curve.

        Args:
            tag: Data identifier.
            labels: Ground truth, one binary label per prediction (used as weights, as
                tensorboardX does).
            predictions: The probability that each element is positive, in [0, 1]; values
                outside are not counted.
            global_step: Global step value to record.
            num_thresholds: Number of thresholds used to draw the curve (at most 127).
            weights: A weight for each label, or one weight for all.
            walltime: Event time in seconds since the epoch (default: now).

        ``labels`` and ``predictions`` need the same number of elements, not the same shape.
        """
        core = self._writer_core()
        if core is None:
            return
        thresholds = _thresholds(num_thresholds)
        # tensorboardX's labels.astype(float); predictions keep their dtype, which decides the
        # precision their buckets are computed in.
        label_array = _convert.to_numpy(labels, "labels").astype(np.float64, copy=False)
        prediction_array = _convert.to_numpy(predictions, "predictions")
        weight_array = None
        if weights is not None:
            weight_array = _convert.to_numpy(weights, "weights").astype(np.float64, copy=False)
            try:
                weight_array = np.broadcast_to(weight_array, label_array.shape)
            except ValueError:
                raise ValueError(
                    "weights: expected one weight or one per label "
                    f"(labels have shape {label_array.shape}), got shape {weight_array.shape}"
                ) from None
        step, walltime = self._when(global_step, walltime)
        core.add_pr_curve(
            tag,
            label_array,
            prediction_array,
            step,
            thresholds,
            weight_array,
            walltime,
        )

    def add_pr_curve_raw(
        self,
        tag: str,
        true_positive_counts: Any,
        false_positive_counts: Any,
        true_negative_counts: Any,
        false_negative_counts: Any,
        precision: Any,
        recall: Any,
        global_step: Step = None,
        num_thresholds: int = 127,
        weights: Any = None,
        walltime: float | None = None,
    ) -> None:
        """Adds a precision-recall curve from precomputed counts, precision and recall (1-D
        arrays of equal length, one value per threshold).

        ``weights`` is accepted and ignored, as in tensorboardX and torch.
        """
        core = self._writer_core()
        if core is None:
            return
        thresholds = _thresholds(num_thresholds)
        rows = {
            "true_positive_counts": true_positive_counts,
            "false_positive_counts": false_positive_counts,
            "true_negative_counts": true_negative_counts,
            "false_negative_counts": false_negative_counts,
            "precision": precision,
            "recall": recall,
        }
        # The core checks that they are 1-D and of one length.
        arrays = [
            _convert.to_numpy(x, name).astype(np.float64, copy=False) for name, x in rows.items()
        ]
        step, walltime = self._when(global_step, walltime)
        core.add_pr_curve_raw(tag, *arrays, step, thresholds, walltime)

    def add_custom_scalars(self, layout: Mapping[str, Mapping[str, Sequence[Any]]]) -> None:
        """Lays out the custom scalars dashboard: charts that gather several scalar tags.

        Args:
            layout: ``{category: {chart title: [chart type, tags]}}``: a ``'Margin'`` chart
                takes three tags (value, lower, upper); any other type is a ``'Multiline'``
                chart of all its tags (or regular expressions over tags).

        Examples::

            writer.add_custom_scalars({
                'Taiwan': {'twse': ['Multiline', ['twse/0050', 'twse/2330']]},
                'USA': {'dow': ['Margin', ['dow/aaa', 'dow/bbb', 'dow/ccc']]},
            })
        """
        core = self._writer_core()
        if core is None:
            return
        if not isinstance(layout, Mapping):
            raise TypeError(
                "layout: expected a dict {category: {chart title: [chart type, tags]}}, "
                f"got {type(layout).__name__}"
            )
        categories = []
        for category, charts in layout.items():
            if not isinstance(category, str) or not isinstance(charts, Mapping):
                raise TypeError(
                    f"layout[{category!r}]: expected a str category holding a dict "
                    f"{{chart title: [chart type, tags]}}, got {type(charts).__name__}"
                )
            entries = []
            for title, chart in charts.items():
                arg = f"layout[{category!r}][{title!r}]"
                if not isinstance(title, str):
                    raise TypeError(f"{arg}: expected a str chart title")
                if not isinstance(chart, Sequence) or isinstance(chart, str) or len(chart) < 2:
                    raise TypeError(f"{arg}: expected [chart type, tags], got {chart!r}")
                entries.append((title, chart[0] == "Margin", _tags(chart[1], arg)))
            categories.append((category, entries))
        with _errors.asserted():  # a margin chart without 3 tags, as tensorboardX asserts
            core.add_custom_scalars(categories, *self._when(None, None))

    def add_custom_scalars_multilinechart(
        self, tags: Sequence[str], category: str = "default", title: str = "untitled"
    ) -> None:
        """Adds a chart of several scalar ``tags`` to the custom scalars dashboard."""
        self.add_custom_scalars({category: {title: ["Multiline", tags]}})

    def add_custom_scalars_marginchart(
        self, tags: Sequence[str], category: str = "default", title: str = "untitled"
    ) -> None:
        """Adds a chart of one scalar drawn between two others to the custom scalars
        dashboard: ``tags`` is exactly ``[value, lower, upper]`` (otherwise an
        ``ArgumentError``, both the ``ValueError`` and the ``AssertionError`` of the anchors)."""
        try:
            self.add_custom_scalars({category: {title: ["Margin", _tags(tags, "tags")]}})
        except _errors.ArgumentError as e:
            raise _errors.ArgumentError(f"tags: {e}") from None

    def add_mesh(
        self,
        tag: str,
        vertices: Any,
        colors: Any = None,
        faces: Any = None,
        config_dict: Any = None,
        global_step: Step = None,
        walltime: float | None = None,
    ) -> None:
        """Adds a mesh or a point cloud, shown in 3-D by the mesh plugin (three.js).

        Args:
            tag: Data identifier; the parts are written under ``<tag>_1`` (vertices), ``_2``
                (faces) and ``_3`` (colors), as tensorboardX writes them (torch writes
                ``<tag>_VERTEX``...).
            vertices: ``(B, N, 3)`` coordinates of the vertices.
            colors: ``(B, N, 3)`` colors of the vertices, in [0, 255].
            faces: ``(B, F, 3)`` indices of each triangle's vertices.
            config_dict: three.js classes and their configuration (camera, lights,
                material), written as JSON.
            global_step: Global step value to record.
            walltime: Event time in seconds since the epoch (default: now).
        """
        core = self._writer_core()
        if core is None:
            return
        if vertices is None:
            raise _errors.ArgumentError("vertices: expected an array of shape (B, N, 3), got None")
        parts = {"vertices": vertices, "colors": colors, "faces": faces}
        arrays = {
            name: None if part is None else _convert.to_numpy(part, name)
            for name, part in parts.items()
        }
        try:
            # tensorboardX's json_config, "null" when there is none.
            json_config = json.dumps(config_dict, sort_keys=True)
        except (TypeError, ValueError) as e:
            raise TypeError(f"config_dict: expected a JSON-serializable dict: {e}") from None
        step, walltime = self._when(global_step, walltime)
        with _errors.asserted():  # shapes other than (B, N, 3), which the anchors refuse
            core.add_mesh(
                tag,
                arrays["vertices"],
                arrays["colors"],
                arrays["faces"],
                json_config,
                step,
                walltime,
            )

    def add_tensor(
        self,
        tag: str,
        tensor: Any,
        global_step: Step = None,
        walltime: float | None = None,
    ) -> None:
        """Adds a whole tensor (torch's ``add_tensor``), in the ``TensorProto`` field of its
        dtype. TensorBoard has no dashboard for it; its readers load it with its dtype.

        Unlike torch, half and bfloat16 values are stored as their 16-bit patterns and uint8
        in ``int_val``, as TensorFlow defines them (TensorBoard cannot read back what torch
        writes for these); numpy arrays and numbers are accepted too.
        """
        core = self._writer_core()
        if core is None:
            return
        array, kind = _tensor_array(tensor)
        step, walltime = self._when(global_step, walltime)
        core.add_tensor(tag, array, step, walltime, kind)

    def add_hparams(
        self,
        hparam_dict: Mapping[str, Any],
        metric_dict: Mapping[str, Any],
        name: str | None = None,
        global_step: Step = None,
        hparam_domain_discrete: Mapping[str, Sequence[Any]] | None = None,
        run_name: str | None = None,
    ) -> None:
        """Adds a set of hyperparameters and their metrics, compared in the hparams plugin.

        They go to a run of their own, ``<logdir>/<name or run_name or the current time>``,
        which holds the hparams summaries and each metric as a scalar.

        Args:
            hparam_dict: Hyperparameter values: str, bool (kept as a bool, as tensorboardX
                does; torch logs 1.0), numbers (numpy's too) and one-element tensors, or a
                callable (logged by its name). None is left out; other types are listed
                without a value, as tensorboardX lists them.
            metric_dict: Metric values, each written as a scalar under its key.
            name: The run's name (tensorboardX's argument).
            global_step: Global step value of the metrics (the hparams summaries have none,
                as in tensorboardX).
            hparam_domain_discrete: The values each hyperparameter can take (torch's).
            run_name: The run's name (torch's argument; same as ``name``).

        Positional arguments follow tensorboardX: pass torch's ``hparam_domain_discrete`` and
        ``run_name`` by keyword. Unlike tensorboardX, nothing is written with
        ``write_to_disk=False``.
        """
        _check_hparams_args(hparam_dict, metric_dict)
        if isinstance(name, Mapping):
            raise TypeError(
                "name: expected a str, got a dict (torch's third positional argument, "
                "hparam_domain_discrete, is passed by keyword to turboboard)"
            )
        if isinstance(global_step, str):
            raise TypeError(
                "global_step: expected an integer, got a str (torch's fourth positional "
                "argument, run_name, is passed by keyword to turboboard)"
            )
        if name and run_name and name != run_name:
            raise ValueError(
                f"name and run_name: two different run names, {name!r} and {run_name!r}"
            )
        hparams = _hparams(hparam_dict, hparam_domain_discrete)
        metrics = []
        for key, value in metric_dict.items():
            metrics.append((key, _convert.scalar(value, f"metric_dict[{key!r}]")))
        core = self._writer_core()
        if core is None:
            return
        run = name or run_name or str(time.time())
        path = _paths.join_inside(self._logdir, run, "name" if name else "run_name")
        step, walltime = self._when(global_step, None)
        writer = self._run_writer(path)
        try:
            writer.core.add_hparams(hparams, [key for key, _ in metrics], walltime)
            for key, value in metrics:
                writer.core.add_scalar(key, value, step, walltime)
        finally:
            writer.close()


def _check_hparams_args(
    hparam_dict: Any, metric_dict: Any
) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    for arg, mapping in (("hparam_dict", hparam_dict), ("metric_dict", metric_dict)):
        if not isinstance(mapping, Mapping):
            raise TypeError(f"{arg}: expected a dict, got {type(mapping).__name__}")
    for key in metric_dict:
        if not isinstance(key, str):
            raise TypeError(f"metric_dict: expected str keys (scalar tags), got {key!r}")
    return hparam_dict, metric_dict


def _thresholds(num_thresholds: Any) -> int:
    return min(_convert.count(num_thresholds, "num_thresholds"), _U32_MAX)


def _tags(tags: Any, arg: str) -> list[str]:
    if isinstance(tags, (str, bytes)) or not isinstance(tags, Sequence):
        raise TypeError(f"{arg}: expected a list of tags, got {type(tags).__name__}")
    for tag in tags:
        if not isinstance(tag, str):
            raise TypeError(f"{arg}: expected str tags, got {tag!r}")
    return list(tags)


def _hparam_value(value: Any, arg: str) -> Any:
    """``value`` typed for the hparams plugin: str, bool, float, ``_UNSET`` or ``_SKIP``."""
    if value is None:
        return _SKIP
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, np.ndarray) or _convert._is_torch(value):
        array = _convert.to_numpy(value, arg)
        if array.size != 1:
            raise ValueError(f"{arg}: expected a single value, got shape {array.shape}")
        item = array.reshape(()).item()
        return item if isinstance(item, bool) else float(item)
    if callable(value):
        return getattr(value, "__name__", str(value))
    return _UNSET


def _hparams(
    hparam_dict: Mapping[str, Any], domains: Mapping[str, Sequence[Any]] | None
) -> list[tuple[str, Any, list[Any] | None]]:
    """``(name, value, discrete domain)`` for each hparam the plugin lists."""
    if domains is None:
        domains = {}
    if not isinstance(domains, Mapping):
        raise TypeError(
            f"hparam_domain_discrete: expected a dict of lists, got {type(domains).__name__}"
        )
    for key, values in domains.items():
        # torch's rule: a list of values of the hyperparameter's own type.
        if (
            key not in hparam_dict
            or not isinstance(values, list)
            or not all(isinstance(v, type(hparam_dict[key])) for v in values)
        ):
            raise TypeError(
                f"hparam_domain_discrete[{key!r}]: expected a list of values of the type of "
                f"hparam_dict[{key!r}]"
            )
    hparams = []
    for key, value in hparam_dict.items():
        if not isinstance(key, str):
            raise TypeError(f"hparam_dict: expected str keys, got {key!r}")
        typed = _hparam_value(value, f"hparam_dict[{key!r}]")
        if typed is _SKIP:
            continue
        domain = None
        if key in domains and typed is not _UNSET:
            arg = f"hparam_domain_discrete[{key!r}]"
            domain = [_hparam_value(v, arg) for v in domains[key]]
        hparams.append((key, typed, domain))
    return hparams


def _tensor_array(tensor: Any) -> tuple[np.ndarray, str | None]:
    """``tensor`` as the core's ``add_tensor`` takes it: a numpy array, and its kind (None,
    ``"bfloat16"`` for bit patterns, ``"complex"`` for (real, imaginary) pairs)."""
    if _convert._is_torch(tensor):
        import torch  # already imported: ``tensor`` is one of its tensors

        t = tensor.detach().cpu()
        if t.is_quantized or t.dtype == torch.complex32:
            raise TypeError(f"tensor: unsupported dtype {t.dtype}")
        if t.dtype == torch.bfloat16:
            return t.contiguous().view(torch.int16).numpy().view(np.uint16), "bfloat16"
        if t.is_complex():
            return torch.view_as_real(t.resolve_conj()).numpy(), "complex"
        return _convert.to_numpy(t, "tensor"), None
    array = tensor if isinstance(tensor, np.ndarray) else None
    if array is not None and array.dtype.kind == "c":
        return np.stack([array.real, array.imag], axis=-1), "complex"
    if array is not None and array.dtype.name == "bfloat16":  # ml_dtypes' numpy bfloat16
        return array.view(np.uint16), "bfloat16"
    return _convert.to_numpy(tensor, "tensor"), None
