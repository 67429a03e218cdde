"""The runs the reader tests read back, written at test time by tensorboardX, torch and
turboboard with fixed values and wall times (file names still carry the time and host).

    logdir/                   tensorboardX scalars at the top: the run TensorBoard calls "."
    logdir/tbx/               tensorboardX: every kind, custom tensors, one display_name scalar,
                              two session starts of hparams
    logdir/tbx/multi/{train,eval}/   its add_scalars
    logdir/tbx/hp/            its add_hparams
    logdir/torch/             torch: every kind, new-style scalars (float32 and float64)
    logdir/torch/hp/          its add_hparams
    logdir/turbo/             turboboard: the same calls as tbx (and a GIF from add_video)
    logdir/restart/           tensorboardX to step 99, then reopened with purge_step=50
    logdir/nested/a/b/        a run two directories down
    logdir/truncated/         a file whose last record is cut short

``corrupt_logdir`` is separate, so that the runs above read without error: a run with a bad
data CRC in its third scalar record, and beside it a clean copy of the same file.
"""

from __future__ import annotations

import os
import shutil
import struct
from typing import Any

import numpy as np

WALL = 1_700_000_000.0
STEPS = 30


def _wall(step: int) -> float:
    return WALL + step * 0.25


def _loss(step: int, run: int) -> float:
    return 1.0 / (step + 1) + 0.01 * run


def _scalars(w, run: int, steps=range(STEPS)) -> None:
    """``loss`` and ``acc`` in every run, at the same steps: rows tie on (tag, step)."""
    for step in steps:
        w.add_scalar("loss", _loss(step, run), step, walltime=_wall(step))
        w.add_scalar("train/acc", step / STEPS + 0.001 * run, step, walltime=_wall(step))


def _media(w, rng: np.random.Generator, stereo: bool = True) -> None:
    """Histograms, images, audio, text and PR curves, the same calls for every writer."""
    weights = rng.standard_normal(1000).astype(np.float32)
    for step in range(3):
        w.add_histogram("weights", weights * (step + 1), step, walltime=_wall(step))
        w.add_histogram("int/counts", np.arange(50) % 7, step, bins="auto", walltime=_wall(step))
    image = rng.integers(0, 256, (3, 8, 6), dtype=np.uint8)
    gray = rng.random((1, 5, 4), dtype=np.float32)
    batch = rng.random((4, 3, 6, 6), dtype=np.float32)
    for step in range(2):
        w.add_image("image/rgb", image, step, walltime=_wall(step))
        w.add_image("image/gray", gray, step, walltime=_wall(step))
        w.add_images("image/batch", batch, step, walltime=_wall(step))
    t = np.arange(800, dtype=np.float32) / 8000
    sound = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    w.add_audio("audio/sine", sound, 0, 8000, _wall(0))
    w.add_audio("audio/sine", sound[::-1].copy(), 1, 8000, _wall(1))
    if stereo:  # torch writes mono only
        w.add_audio("audio/stereo", np.stack([sound, -sound], axis=1), 0, 16000, _wall(0))
    for step in range(3):
        w.add_text("notes", f"step **{step}**: ünïcode ✓", step, walltime=_wall(step))
    w.add_text("other note", "", 5, walltime=_wall(5))
    labels = rng.integers(0, 2, 100)
    predictions = rng.random(100)
    for step in range(2):
        w.add_pr_curve("pr", labels, predictions ** (step + 1), step, walltime=_wall(step))


def _custom_tensors(w) -> None:
    """Tensors written through tensorboardX's protobufs: no plugin, several dtypes and shapes."""
    from tensorboardX.proto.summary_pb2 import Summary
    from tensorboardX.proto.tensor_pb2 import TensorProto
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto

    def shape(*dims):
        return TensorShapeProto(dim=[TensorShapeProto.Dim(size=d) for d in dims])

    values = {
        "tensor/matrix": TensorProto(
            dtype="DT_FLOAT",
            tensor_shape=shape(2, 3),
            tensor_content=np.arange(6, dtype="<f4").tobytes(),
        ),
        "tensor/int64": TensorProto(
            dtype="DT_INT64",
            tensor_shape=shape(3),
            tensor_content=np.array([1, -2, 3], dtype="<i8").tobytes(),
        ),
        "tensor/scalar": TensorProto(dtype="DT_DOUBLE", tensor_shape=shape(), double_val=[2.5]),
    }
    for step in range(2):
        summary = Summary(value=[Summary.Value(tag=k, tensor=v) for k, v in values.items()])
        w.file_writer.add_summary(summary, step, _wall(step))


def write_odd_tensors(logdir: str) -> None:
    """Tensors TensorBoard reads that the usual writers do not make: typed values rather than
    bytes, one value for several elements (it repeats), strings, float16, bools, and an
    untagged one named by its node. (tbparse 0.0.9 fails on integer values: not in its tests.)"""
    import tensorboardX
    from tensorboardX.proto.summary_pb2 import Summary
    from tensorboardX.proto.tensor_pb2 import TensorProto
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto

    def shape(*dims):
        return TensorShapeProto(dim=[TensorShapeProto.Dim(size=d) for d in dims])

    half = np.array([1.5, -2.0], dtype=np.float16).view(np.uint16).tolist()
    values = [
        Summary.Value(
            tag="int64",
            tensor=TensorProto(dtype="DT_INT64", tensor_shape=shape(3), int64_val=[1, -2, 3]),
        ),
        Summary.Value(
            tag="int32",
            tensor=TensorProto(dtype="DT_INT32", tensor_shape=shape(2, 2), int_val=[7, 8, 9, 10]),
        ),
        Summary.Value(
            tag="splat",
            tensor=TensorProto(dtype="DT_FLOAT", tensor_shape=shape(4), float_val=[2.0]),
        ),
        Summary.Value(
            tag="strings",
            tensor=TensorProto(
                dtype="DT_STRING", tensor_shape=shape(2), string_val=[b"a", b"\xffb"]
            ),
        ),
        Summary.Value(
            tag="half", tensor=TensorProto(dtype="DT_HALF", tensor_shape=shape(2), half_val=half)
        ),
        Summary.Value(
            tag="bool",
            tensor=TensorProto(dtype="DT_BOOL", tensor_shape=shape(2), bool_val=[True, False]),
        ),
        Summary.Value(
            node_name="node",
            tensor=TensorProto(dtype="DT_DOUBLE", tensor_shape=shape(), double_val=[0.5]),
        ),
    ]
    with tensorboardX.SummaryWriter(logdir) as w:
        for step in range(2):
            w.file_writer.add_summary(Summary(value=values), step, _wall(step))


def write_tensorboardx(logdir: str) -> None:
    import tensorboardX
    from tensorboardX.summary import hparams

    rng = np.random.default_rng(1)
    with tensorboardX.SummaryWriter(logdir) as w:
        _scalars(w, 1)
        w.add_scalar("described", 3.0, 0, walltime=WALL, display_name="Described")
        for step in range(5):
            w.add_scalars("multi", {"train": step * 1.5, "eval": -step}, step, walltime=_wall(step))
        _media(w, rng)
        _custom_tensors(w)
        # Two session starts in one file: TensorBoard (and tbparse) keep the first.
        for step, lr in enumerate((0.5, 0.25)):
            _, start, _ = hparams({"lr": lr, "opt": "x"}, {"hp/acc": 0.0})
            w.file_writer.add_summary(start, step, _wall(step))
        w.add_hparams({"lr": 0.1, "opt": "adam", "bn": True}, {"hp/acc": 0.9}, name="hp")


def write_torch(logdir: str) -> None:
    from torch.utils.tensorboard import SummaryWriter

    rng = np.random.default_rng(2)
    with SummaryWriter(logdir) as w:
        _scalars(w, 2)
        for step in range(5):
            w.add_scalar("new/f32", step * 0.1, step, walltime=_wall(step), new_style=True)
            w.add_scalar(
                "new/f64",
                step * 0.1,
                step,
                walltime=_wall(step),
                new_style=True,
                double_precision=True,
            )
        _media(w, rng, stereo=False)
        w.add_hparams({"lr": 0.01, "layers": 3, "opt": "sgd"}, {"hp/acc": 0.8}, run_name="hp")


def write_turboboard(logdir: str) -> None:
    import turboboard

    rng = np.random.default_rng(1)
    with turboboard.SummaryWriter(logdir) as w:
        _scalars(w, 3)
        _media(w, rng)
        w.add_tensor("tensor/matrix", np.arange(6, dtype=np.float32).reshape(2, 3), 0)
        frames = rng.random((1, 4, 3, 8, 8), dtype=np.float32)
        w.add_video("video", frames, 0, fps=4, walltime=WALL)


def write_restart(logdir: str) -> None:
    """Steps 0-99, then a writer reopened with purge_step=50 logs 50-79 again: TensorBoard
    shows the old 0-49 and the new 50-79. (tensorboardX names files by the second: suffixes
    keep the two apart and in write order.)"""
    import tensorboardX

    with tensorboardX.SummaryWriter(logdir, filename_suffix=".1") as w:
        for step in range(100):
            w.add_scalar("loss", float(step), step, walltime=_wall(step))
    with tensorboardX.SummaryWriter(logdir, filename_suffix=".2", purge_step=50) as w:
        for step in range(50, 80):
            w.add_scalar("loss", -float(step), step, walltime=_wall(step) + 100)


def _tensorboardx_scalars(logdir: str, run: int) -> None:
    import tensorboardX

    with tensorboardX.SummaryWriter(logdir) as w:
        _scalars(w, run)


def event_file(logdir: str) -> str:
    (name,) = [n for n in os.listdir(logdir) if "tfevents" in n]
    return os.path.join(logdir, name)


def record_offsets(path: str) -> list[int]:
    """The byte offset of each TFRecord in ``path`` (length, its CRC, data, data CRC)."""
    with open(path, "rb") as f:
        data = f.read()
    offsets, at = [], 0
    while at + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, at)
        if at + 16 + length > len(data):
            break
        offsets.append(at)
        at += 16 + length
    return offsets


def write_truncated(logdir: str) -> None:
    _tensorboardx_scalars(logdir, 5)
    path = event_file(logdir)
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size - 7)


def write_logdir(root: str) -> str:
    """Every run of the module docstring under ``root``."""
    _tensorboardx_scalars(root, 0)
    write_tensorboardx(os.path.join(root, "tbx"))
    write_torch(os.path.join(root, "torch"))
    write_turboboard(os.path.join(root, "turbo"))
    write_restart(os.path.join(root, "restart"))
    _tensorboardx_scalars(os.path.join(root, "nested", "a", "b"), 4)
    write_truncated(os.path.join(root, "truncated"))
    return root


CORRUPT_RECORD = 3  # the file_version event is record 0, then the scalars in order


def corrupt_logdir(root: str) -> tuple[str, str, int]:
    """``root/bad`` has one flipped byte in the data of record ``CORRUPT_RECORD``;
    ``root/clean`` the same file untouched. Returns the two files and the bad offset."""
    _tensorboardx_scalars(os.path.join(root, "clean"), 6)
    clean = event_file(os.path.join(root, "clean"))
    os.makedirs(os.path.join(root, "bad"))
    bad = os.path.join(root, "bad", os.path.basename(clean))
    shutil.copyfile(clean, bad)
    offset = record_offsets(bad)[CORRUPT_RECORD]
    with open(bad, "r+b") as f:
        f.seek(offset + 12 + 2)
        byte = f.read(1)
        f.seek(offset + 12 + 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    return clean, bad, offset


# What TensorBoard reads: the tables ``turboboard.read_*`` must give, built with TensorBoard's
# own record loader and EventAccumulator.

KINDS = ("scalars", "histograms", "images", "audio", "text", "tensors", "hparams")
COMMON = ["run", "tag", "step", "wall_time"]
COLUMNS = {
    "scalars": [*COMMON, "value"],
    "histograms": [*COMMON, "min", "max", "num", "sum", "sum_squares", "bucket_limit", "bucket"],
    "images": [*COMMON, "width", "height", "colorspace", "encoded"],
    "audio": [*COMMON, "sample_rate", "num_channels", "length_frames", "content_type", "encoded"],
    "text": [*COMMON, "value"],
    "tensors": [*COMMON, "plugin", "dtype", "shape", "data", "strings"],
    "hparams": [*COMMON, "value"],
}


def run_dirs(logdir: str) -> dict[str, str]:
    """TensorBoard's runs: each directory holding an event file, by its name relative to
    ``logdir`` ("." for ``logdir`` itself), sorted by name."""
    found = {}
    for directory, _, names in os.walk(logdir):
        if any("tfevents" in n for n in names):
            run = os.path.relpath(directory, logdir).replace(os.sep, "/")
            found[run] = directory
    return dict(sorted(found.items()))


def _plugin(metadata) -> str:
    return metadata.plugin_data.plugin_name if metadata is not None else ""


def _tensor_columns(tensor) -> dict:
    from tensorboard.util import tensor_util

    array = tensor_util.make_ndarray(tensor)
    dtype = "object" if array.dtype == object else array.dtype.name
    data = (
        b""
        if array.dtype == object
        else np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
    )
    strings = list(tensor.string_val) if array.dtype == object else []
    return {"dtype": dtype, "shape": list(array.shape), "data": data, "strings": strings}


def _text(tensor) -> str:
    from tensorboard.util import tensor_util

    return tensor_util.make_ndarray(tensor).reshape(-1)[0].decode("utf-8")


def _hparams(metadata) -> list[tuple[str, Any]]:
    """The hparams of a session start's metadata, by name: float, str or bool."""
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData

    data = HParamsPluginData.FromString(metadata.plugin_data.content)
    if not data.HasField("session_start_info"):
        return []
    start = data.session_start_info.hparams
    return [(name, getattr(start[name], start[name].WhichOneof("kind"))) for name in sorted(start)]


def _value_row(kind: str, value, plugin: str) -> dict | None:
    """The columns after run, tag, step and wall_time that one summary value gives for
    ``kind`` (its tag's plugin being ``plugin``), or None if it is not of that kind."""
    field = value.WhichOneof("value")
    if kind == "scalars":
        if field == "simple_value":
            return {"value": value.simple_value}
        if field == "tensor" and plugin == "scalars":
            from tensorboard.util import tensor_util

            return {"value": float(tensor_util.make_ndarray(value.tensor).item())}
    elif kind == "histograms" and field == "histo":
        h = value.histo
        return {
            "min": h.min,
            "max": h.max,
            "num": h.num,
            "sum": h.sum,
            "sum_squares": h.sum_squares,
            "bucket_limit": list(h.bucket_limit),
            "bucket": list(h.bucket),
        }
    elif kind == "images" and field == "image":
        i = value.image
        return {
            "width": i.width,
            "height": i.height,
            "colorspace": i.colorspace,
            "encoded": i.encoded_image_string,
        }
    elif kind == "audio" and field == "audio":
        a = value.audio
        return {
            "sample_rate": a.sample_rate,
            "num_channels": a.num_channels,
            "length_frames": a.length_frames,
            "content_type": a.content_type,
            "encoded": a.encoded_audio_string,
        }
    elif kind == "text" and field == "tensor" and plugin == "text":
        return {"value": _text(value.tensor)}
    elif kind == "tensors" and field == "tensor":
        return {"plugin": plugin, **_tensor_columns(value.tensor)}
    return None


def raw_table(logdir: str, kind: str):
    """Every value of ``kind`` under ``logdir`` as TensorBoard's record loader reads the files
    (stopping a file at a bad record), in run, file and record order, not purged. A tag's
    plugin is named by its first metadata in the run; hparams come one row per name of each
    session start."""
    import pandas as pd
    from tensorboard.backend.event_processing import event_file_loader

    rows = []
    for run, directory in run_dirs(logdir).items():
        plugins: dict[str, str] = {}
        files = sorted(n for n in os.listdir(directory) if "tfevents" in n)
        for name in files:
            loader = event_file_loader.LegacyEventFileLoader(os.path.join(directory, name))
            for event in loader.Load():
                for value in event.summary.value:
                    # TensorBoard names an untagged tensor by its node (old-style summaries).
                    tensor = value.WhichOneof("value") == "tensor"
                    tag = value.node_name if tensor and not value.tag else value.tag
                    if value.HasField("metadata") and tag not in plugins:
                        plugins[tag] = _plugin(value.metadata)
                    head = {
                        "run": run,
                        "tag": tag,
                        "step": event.step,
                        "wall_time": event.wall_time,
                    }
                    if kind == "hparams":
                        if value.HasField("metadata") and _plugin(value.metadata) == "hparams":
                            rows += [
                                {**head, "tag": k, "value": v} for k, v in _hparams(value.metadata)
                            ]
                        continue
                    columns = _value_row(kind, value, plugins.get(tag, ""))
                    if columns is not None:
                        rows.append({**head, **columns})
    return pd.DataFrame(rows, columns=COLUMNS[kind])


def accumulate(directory: str, purge: bool = True):
    """TensorBoard's EventAccumulator over one run, keeping every event."""
    from tensorboard.backend.event_processing import event_accumulator

    kinds = ("scalars", "histograms", "images", "audio", "tensors", "compressedHistograms")
    acc = event_accumulator.EventAccumulator(
        directory, size_guidance={k: 0 for k in kinds}, purge_orphaned_data=purge
    )
    return acc.Reload()


def accumulator_table(logdir: str, kind: str, purge: bool = True):
    """The rows of ``kind`` that TensorBoard's EventAccumulator keeps for each run (with its
    purge rule unless ``purge`` is false), run by run, then tag by tag in order of first
    appearance, each tag's events in order. Fields the accumulator drops (an image's
    colorspace, audio's channels) and hparams (it keeps their metadata only) are not in it."""
    import pandas as pd

    rows = []
    for run, directory in run_dirs(logdir).items():
        for tag, event, columns in _accumulated(accumulate(directory, purge), kind):
            head = {"run": run, "tag": tag, "step": event.step, "wall_time": event.wall_time}
            rows.append({**head, **columns})
    columns = [c for c in COLUMNS[kind] if c not in ("colorspace", "num_channels")]
    return pd.DataFrame(rows, columns=columns)


def _accumulated(acc, kind: str):
    """(tag, event, columns) for each event of ``kind`` that ``acc`` keeps."""
    from tensorboard.util import tensor_util

    tags = acc.Tags()
    plugin = {tag: _plugin(acc.summary_metadata.get(tag)) for tag in tags["tensors"]}
    if kind == "scalars":
        for tag in tags["scalars"]:
            for e in acc.Scalars(tag):
                yield tag, e, {"value": e.value}
        for tag in tags["tensors"]:
            if plugin[tag] == "scalars":
                for e in acc.Tensors(tag):
                    yield tag, e, {"value": float(tensor_util.make_ndarray(e.tensor_proto).item())}
    elif kind == "histograms":
        for tag in tags["histograms"]:
            for e in acc.Histograms(tag):
                h = e.histogram_value
                yield (
                    tag,
                    e,
                    {
                        "min": h.min,
                        "max": h.max,
                        "num": h.num,
                        "sum": h.sum,
                        "sum_squares": h.sum_squares,
                        "bucket_limit": list(h.bucket_limit),
                        "bucket": list(h.bucket),
                    },
                )
    elif kind == "images":
        for tag in tags["images"]:
            for e in acc.Images(tag):
                yield (
                    tag,
                    e,
                    {"width": e.width, "height": e.height, "encoded": e.encoded_image_string},
                )
    elif kind == "audio":
        for tag in tags["audio"]:
            for e in acc.Audio(tag):
                yield (
                    tag,
                    e,
                    {
                        "sample_rate": e.sample_rate,
                        "length_frames": e.length_frames,
                        "content_type": e.content_type,
                        "encoded": e.encoded_audio_string,
                    },
                )
    elif kind == "text":
        for tag in tags["tensors"]:
            if plugin[tag] == "text":
                for e in acc.Tensors(tag):
                    yield tag, e, {"value": _text(e.tensor_proto)}
    elif kind == "tensors":
        for tag in tags["tensors"]:
            for e in acc.Tensors(tag):
                yield tag, e, {"plugin": plugin[tag], **_tensor_columns(e.tensor_proto)}
    else:
        raise ValueError(f"the accumulator keeps no rows of {kind}")
