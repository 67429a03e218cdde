"""A drop-in for tbparse's ``SummaryReader`` (tbparse 0.0.9), built on ``turboboard.read_*``.

    from turboboard import SummaryReader      # instead of: from tbparse import SummaryReader

    reader = SummaryReader("runs", extra_columns={"dir_name"})
    reader.scalars                            # the same pandas DataFrame tbparse gives

tbparse reads every file under ``log_path`` (recursively, names sorted at each level) with
its own ``EventAccumulator`` keeping everything, builds one DataFrame per file and kind, and
concatenates and sorts them directory by directory. Its rules, which this module follows:

| kind | columns (long format; extras in brackets) | value |
| --- | --- | --- |
| scalars | step, tag, value | ``simple_value`` only (new-style scalars are tensors) |
| tensors | step, tag, value | ``make_ndarray``, ``.item()`` if 0-dim; no text, hparams |
| histograms | step, tag, counts, limits, [max, min, num, sum, sum_squares] | float64 arrays |
| images | step, tag, value, [height, width] | pixels, HWC uint8 (a GIF: NHWC) |
| audio | step, tag, value, [content_type, length_frames, sample_rate] | float32 (frames, ch) |
| text | step, tag, value | the string; the tag without "/text_summary" |
| hparams | tag, value | the file's first session start: float, str or bool |

- Every kind but hparams then has ``[wall_time]``; all have ``[dir_name, file_name]`` at the
  end. ``dir_name`` is the file's directory relative to ``log_path`` ("" for ``log_path``
  itself, TensorBoard's run "."), ``file_name`` its base name.
- Within a file, rows come tag by tag (tags in order of first appearance), each tag's events
  in file order; files are concatenated in tree order, then sorted by
  ``[dir_name, file_name,] tag, step`` (whichever are columns; stable: ties keep tree order).
  Each directory level sorts again; with several keys pandas sorts stably, so sorting once
  gives the same order. Hparams sort by tag alone, and ``pivot`` by step alone (pandas'
  unstable quicksort on numbers): for those, every level is replayed as tbparse runs it.
- ``pivot=True``: one column per tag (``tag/counts``, ``tag/limits``, ``tag/<extra>`` for
  histograms, images, audio), rows grouped by ``[dir_name, file_name,] step``; several
  values of one group become a list (NaNs dropped), columns sorted by name.
- Purging is per file (tbparse's ``EventAccumulator`` reads each file alone): a restart with
  ``purge_step`` in a new file keeps the old file's rows, as tbparse does.
- Scalars, histograms, images and audio come from legacy summary values only: new-style
  scalars and TensorFlow 2's histograms, images and audio (tensors of those plugins) are in
  tensors, as TensorBoard's ``EventAccumulator`` files them.
- An empty result is ``pd.DataFrame()``, without columns.

Where this drop-in differs on purpose: images and audio need no TensorFlow (PNG and GIF are
decoded with Pillow, WAV with the standard library), so ``event_types`` includes them by
default; a corrupt record is skipped with a warning (tbparse silently stops reading its file);
``event_types`` without "tensors" still gives every text event (tbparse's accumulator then keeps
one tensor per tag); tensors of any dtype are read (tbparse 0.0.9 fails on integer tensors
stored as values rather than bytes); only local paths are read, as tbparse does.
"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np

SCALARS, TENSORS, HISTOGRAMS, IMAGES, AUDIO, HPARAMS, TEXT = (
    "scalars",
    "tensors",
    "histograms",
    "images",
    "audio",
    "hparams",
    "text",
)
ALL_EVENT_TYPES = {SCALARS, TENSORS, HISTOGRAMS, IMAGES, AUDIO, HPARAMS, TEXT}
ALL_EXTRA_COLUMNS = {
    "dir_name",
    "file_name",
    "wall_time",
    "min",
    "max",
    "num",
    "sum",
    "sum_squares",
    "width",
    "height",
    "content_type",
    "length_frames",
    "sample_rate",
}
# Each kind's value columns after step and tag, in tbparse's order; the first ones are always
# there, the others only when asked for as extra columns.
_VALUES = {
    SCALARS: (["value"], []),
    TENSORS: (["value"], []),
    TEXT: (["value"], []),
    HPARAMS: (["value"], []),
    HISTOGRAMS: (["counts", "limits"], ["max", "min", "num", "sum", "sum_squares"]),
    IMAGES: (["value"], ["height", "width"]),
    AUDIO: (["value"], ["content_type", "length_frames", "sample_rate"]),
}
_TEXT_SUFFIX = "/text_summary"  # tensorboardX and torch append it to add_text's tag


class SummaryReader:
    """Reads the event files under ``log_path`` (a directory or one event file) into
    tbparse's DataFrames. Each kind is read when first asked for, then kept."""

    def __init__(
        self,
        log_path: str,
        *,
        pivot: bool = False,
        extra_columns: set[str] | None = None,
        event_types: set[str] | None = None,
    ) -> None:
        self._log_path = log_path
        self._extra_columns = (extra_columns or set()).copy()
        if not isinstance(self._extra_columns, set):
            raise ValueError(f"`columns` should be a {set} instead of {type(extra_columns)}")
        diff = self._extra_columns - ALL_EXTRA_COLUMNS
        if diff:
            raise KeyError(f"Invalid columns entries: {diff}")
        self._pivot = pivot
        self._event_types = (event_types or ALL_EVENT_TYPES).copy()
        if not isinstance(self._event_types, set):
            raise ValueError(f"`event_types` should be a {set} instead of {type(event_types)}")
        diff = self._event_types - ALL_EVENT_TYPES
        if diff:
            raise KeyError(f"Invalid event types: {diff}")
        if not os.path.exists(log_path):
            raise ValueError(f"File or directory not found: {log_path}")
        self._tree = _Node.of(log_path)
        self._frames: dict[str, Any] = {}
        self._rows: dict[tuple[str, str], tuple | None] = {}

    @property
    def log_path(self) -> str:
        return self._log_path

    def get_events(self, event_type: str):
        """The DataFrame of ``event_type`` (one of ``ALL_EVENT_TYPES``)."""
        if event_type not in ALL_EVENT_TYPES:
            raise ValueError(f"Unknown event_type: {event_type}")
        if event_type not in self._event_types:
            raise ValueError(f"event_type is ignored by user: {event_type}")
        if event_type not in self._frames:
            self._frames[event_type] = self._read(event_type)
        return self._frames[event_type].copy()

    @property
    def tags(self) -> dict[str, list[str]]:
        return self.get_tags()

    def get_tags(self, event_type: str | None = None):
        """tbparse's tags: each kind's tags in tree order, each once (text tags as stored, with
        tensorboardX's "/text_summary"); [] for a kind not read. A file's hparams come sorted
        by name (tbparse's come in protobuf's map order, which changes between processes)."""
        if event_type is not None and event_type not in ALL_EVENT_TYPES:
            raise ValueError(f"Unknown event_type: {event_type}")
        kinds = (
            [event_type]
            if event_type
            else [IMAGES, AUDIO, HISTOGRAMS, SCALARS, TENSORS, HPARAMS, TEXT]
        )
        tags: dict[str, list[str]] = {}
        for kind in kinds:
            found: dict[str, None] = {}
            if kind in self._event_types:
                for node in self._tree.files():
                    rows = self._leaf_rows(kind, node)
                    if rows is not None:
                        found.update(dict.fromkeys(rows[0]))
            tags[kind] = list(found)
        return tags[event_type] if event_type else tags

    @property
    def scalars(self):
        return self.get_events(SCALARS)

    @property
    def tensors(self):
        return self.get_events(TENSORS)

    @property
    def histograms(self):
        return self.get_events(HISTOGRAMS)

    @property
    def images(self):
        return self.get_events(IMAGES)

    @property
    def audio(self):
        return self.get_events(AUDIO)

    @property
    def hparams(self):
        return self.get_events(HPARAMS)

    @property
    def text(self):
        return self.get_events(TEXT)

    def __repr__(self) -> str:
        return f"SummaryReader(log_path='{self._log_path}')"

    # tbparse's static helpers, for plotting what the frames hold.

    @staticmethod
    def histogram_to_cdf(counts: Any, limits: Any, x: Any) -> np.ndarray:
        """The cumulative probability at each of the increasing values ``x``: linear between
        the bucket edges ``limits`` (the first is the left edge of the first bucket, whose
        count, ``counts[0]``, is 0), 0 up to the first edge, 1 from the last."""
        counts, limits, x = _histogram_args(counts, limits, x)
        cumulative = np.cumsum(counts)
        y = np.interp(x, limits, cumulative)
        y[x <= limits[0]] = 0.0  # (past the last edge, np.interp gives the total)
        return y / cumulative[-1]

    @staticmethod
    def histogram_to_pdf(counts: Any, limits: Any, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """The probability density between consecutive values of ``x``, at their midpoints:
        ``(centers, densities)``, from ``histogram_to_cdf``."""
        x = np.asarray(x, dtype=np.float64)
        y = SummaryReader.histogram_to_cdf(counts, limits, x)
        return (x[1:] + x[:-1]) / 2, np.diff(y) / np.diff(x)

    @staticmethod
    def histogram_to_bins(
        counts: Any,
        limits: Any,
        lower_bound: float | None = None,
        upper_bound: float | None = None,
        n_bins: int = 30,
    ) -> tuple[list[float], list[float]]:
        """The buckets re-binned into ``n_bins`` equal bins over ``[lower_bound, upper_bound]``
        as TensorBoard's histogram dashboard does (each bucket's count shared by the bins it
        overlaps, in proportion): ``(centers, counts)``. Without both bounds, or with equal
        ones, the range is widened around them (to [-1, 1] without bounds), as tbparse does."""
        counts, limits, _ = _histogram_args(counts, limits, None)
        if counts[0] != 0:
            raise ValueError("counts: the first count (left of the first edge) must be 0")
        if lower_bound is None or upper_bound is None:
            lower_bound = upper_bound = 0.0
        if upper_bound == lower_bound:
            lower_bound, upper_bound = lower_bound / 1.1 - 1, upper_bound * 1.1 + 1
        width = (upper_bound - lower_bound) / n_bins
        centers, bins = [], []
        bucket = 1
        for i in range(n_bins):
            left = lower_bound + i * width
            right = left + width
            total = 0.0
            while bucket < len(counts):
                # The outermost buckets may be unbounded: clipped to the range.
                b_left = max(lower_bound, limits[bucket - 1])
                b_right = min(upper_bound, limits[bucket])
                if b_right > b_left:
                    overlap = min(b_right, right) - max(b_left, left)
                    if overlap > 0:
                        total += overlap / (b_right - b_left) * counts[bucket]
                else:
                    # A bucket of one value counts in the bin that holds it (the last bin
                    # holds its right edge too).
                    last = right >= upper_bound
                    if left <= b_left and (b_right <= right if last else b_right < right):
                        total += counts[bucket]
                if b_right > right:
                    break
                bucket += 1
            centers.append(left + width / 2)
            bins.append(total)
        return centers, bins

    @staticmethod
    def tensor_to_histogram(tensor: Any) -> dict[str, Any]:
        """A histogram stored as a tensor of ``[left edge, right edge, count]`` rows (TensorFlow
        2's histograms) as tbparse's dict: ``limits``, ``counts`` (a 0 first), ``min``, ``max``,
        ``num``, and NaN ``sum`` and ``sum_squares``, which such a tensor does not hold."""
        rows = np.asarray(tensor, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != 3 or len(rows) == 0:
            raise ValueError(
                f"tensor: expected rows of [left, right, count], got shape {rows.shape}"
            )
        limits = np.concatenate([rows[:1, 0], rows[:, 1]])
        counts = np.concatenate([[0.0], rows[:, 2]])
        return {
            "limits": limits,
            "counts": counts,
            "min": limits[0],
            "max": limits[-1],
            "num": counts.sum(),
            "sum": np.nan,
            "sum_squares": np.nan,
        }

    buckets_to_histogram_dict = tensor_to_histogram

    @staticmethod
    def tensor_to_image(tensor: Any) -> dict[str, Any]:
        """An image summary stored as a tensor (``[width, height, encoded, ...]``, TensorFlow 2's
        images) as tbparse's dict: ``image`` (HWC, or NHWC for several), ``width``, ``height``."""
        images = [_decode_image(bytes(encoded)) for encoded in tensor[2:]]
        image = np.stack(images)
        return {
            "image": image[0] if len(images) == 1 else image,
            "width": int(tensor[0]),
            "height": int(tensor[1]),
        }

    @staticmethod
    def tensor_to_audio(tensor: Any) -> dict[str, Any]:
        """An audio summary stored as a tensor (rows of ``[encoded WAV, label]``, TensorFlow 2's
        audio) as tbparse's dict: ``audio`` (frames, channels; stacked for several),
        ``content_type``, ``length_frames``, ``sample_rate``."""
        clips = [_decode_wav(bytes(encoded)) for encoded in np.asarray(tensor, dtype=object)[:, 0]]
        audio = np.stack([samples for samples, _ in clips])
        rates = np.array([rate for _, rate in clips], dtype=np.int32)
        return {
            "audio": audio[0] if len(clips) == 1 else audio,
            "content_type": "audio/wav",
            "length_frames": audio.shape[1],
            "sample_rate": rates[0] if len(clips) == 1 else rates,
        }

    def _leaf_rows(self, kind: str, node: _Node):
        """One file's rows of ``kind`` (see ``_rows``), read once; None for a file that is not
        an event file (TensorBoard's loader reads nothing from it)."""
        key = (kind, node.path)
        if key not in self._rows:
            event_file = "tfevents" in os.path.basename(node.path)
            self._rows[key] = _rows(kind, node.path) if event_file else None
        return self._rows[key]

    def _read(self, kind: str):
        import pandas as pd

        leaves = {
            node.path: _leaf_frame(
                kind, node, self._leaf_rows(kind, node), self._pivot, self._extra_columns
            )
            for node in self._tree.files()
        }
        if self._pivot or kind == HPARAMS:
            return self._tree.combine(leaves, self._pivot, self._extra_columns)
        # Long format: several sort keys, so pandas sorts stably, and one sort of the files
        # in tree order equals tbparse's sort at every level.
        frames = [leaves[node.path] for node in self._tree.files()]
        frames = [f for f in frames if not f.empty]
        if not frames:
            return pd.DataFrame()
        stacked = pd.concat(frames, ignore_index=True)
        return stacked.sort_values(
            _group_columns(stacked, False, self._extra_columns), ignore_index=True
        )


def _group_columns(df, pivot: bool, extra: set[str]) -> list[str]:
    columns = [c for c in ("dir_name", "file_name") if c in extra]
    if not pivot:
        columns.append("tag")
    columns.append("step")
    return [c for c in columns if c in df.columns]


class _Node:
    """A file or directory under ``log_path``, as tbparse walks them: every entry, names
    sorted at each level."""

    def __init__(self, path: str, dir_name: str, children: list[_Node] | None) -> None:
        self.path = path
        self.dir_name = dir_name  # of a file: its directory relative to log_path
        self.children = children  # None for a file

    @classmethod
    def of(cls, path: str, dir_name: str = "") -> _Node:
        if not os.path.isdir(path):
            return cls(path, dir_name, None)
        children = []
        for name in sorted(os.listdir(path)):
            child = os.path.join(path, name)
            child_dir = (
                (dir_name + "/" + name if dir_name else name) if os.path.isdir(child) else dir_name
            )
            children.append(cls.of(child, child_dir))
        return cls(path, dir_name, children)

    def files(self):
        if self.children is None:
            yield self
            return
        for child in self.children:
            yield from child.files()

    def combine(self, leaves: dict, pivot: bool, extra: set[str]):
        """tbparse's ``get_events`` at this node: the children's frames, concatenated, sorted
        and (``pivot``) merged by step. A directory's frames get its name as ``dir_name``
        prefix one level at a time, as tbparse does; leaves hold the final names already."""
        if self.children is None:
            frames = [leaves[self.path]]
        else:
            frames = [child.combine(leaves, pivot, extra) for child in self.children]
        return _combine(frames, pivot, extra)


def _combine(frames: list, pivot: bool, extra: set[str]):
    import pandas as pd

    if not frames:
        return pd.DataFrame()
    stacked = pd.concat(frames, ignore_index=True)
    if stacked.empty:
        return pd.DataFrame()
    group = _group_columns(stacked, pivot, extra)
    stacked = stacked.sort_values(group, ignore_index=True)
    if not pivot:
        return stacked
    by: list = group if group else [True] * len(stacked)
    merged = stacked.groupby(by, sort=False).aggregate(_merge_values).reset_index()
    ends = ("step", "wall_time", "dir_name", "file_name")
    middle = sorted(c for c in stacked.columns if c not in ends)
    columns = ["step", *middle, "wall_time", "dir_name", "file_name"]
    return merged[[c for c in columns if c in stacked.columns]]


def _merge_values(s):
    """tbparse's merge of one group's values: NaNs dropped, lists flattened one level, a single
    value left as it is, none as NaN."""
    import pandas as pd

    if len(s) == 1:
        return s.iloc[0]
    values: list = []
    for x in s:
        if isinstance(x, list):
            values.extend(x)
        elif np.isscalar(x):
            if not pd.isnull(x):
                values.append(x)
        else:
            values.append(x)
    if not values:
        return np.nan
    return values[0] if len(values) == 1 else values


def _read_file(kind: str, path: str):
    """One event file's rows of ``kind`` as pandas (tbparse purges within a file only).
    tbparse reads scalars, histograms, images and audio from their summary fields only: new-style
    scalars and TensorFlow 2's histograms, images and audio are tensors to it."""
    from turboboard import _reader

    legacy = kind in (SCALARS, HISTOGRAMS, IMAGES, AUDIO)
    table = _reader._read(
        kind,
        path,
        runs=None,
        tags=None,
        check_crc=True,
        on_corrupt="warn",
        purge=True,
        storage_options=None,
        tensors=not legacy,
    )
    return table.to_pandas(self_destruct=True)


def _tag_order(tags) -> np.ndarray:
    """The permutation that groups rows tag by tag, tags in order of first appearance, rows of a
    tag in file order: tbparse's order within a file."""
    import pandas as pd

    codes, _ = pd.factorize(tags)  # codes count tags in order of first appearance
    small = codes.astype(np.int16) if codes.max(initial=0) < 2**15 else codes
    return np.argsort(small, kind="stable")


def _rows(kind: str, path: str):
    """The rows of ``kind`` in ``path`` in tbparse's order, with the column tbparse calls
    ``value`` (and the kind's others) as it builds them."""
    if kind == TENSORS:
        df = _read_file(TENSORS, path)
        df = df[~df["plugin"].isin(["text", "hparams"])]
    elif kind == HPARAMS:
        df = _read_file(HPARAMS, path)
        if len(df):
            # tbparse keeps a file's first session start (its accumulator keeps a tag's first
            # metadata): the rows of one add_hparams share its event's step and time.
            first = (df["step"] == df["step"].iloc[0]) & (
                df["wall_time"] == df["wall_time"].iloc[0]
            )
            df = df[first.to_numpy() & (np.cumsum(~first.to_numpy()) == 0)]
    else:
        df = _read_file(kind, path)
    tags = np.asarray(df["tag"].astype(object)) if len(df) else np.empty(0, object)
    order = _tag_order(tags)
    df = df.iloc[order].reset_index(drop=True)
    tags = tags[order]
    values: dict[str, Any] = {}
    n = len(df)
    if kind == SCALARS:
        values["value"] = df["value"].to_numpy(np.float64)
    elif kind == TENSORS:
        values["value"] = [_tensor_value(row) for row in df.itertuples(index=False)]
    elif kind == TEXT:
        values["value"] = list(df["value"].astype(object))
    elif kind == HISTOGRAMS:
        values["counts"] = [np.asarray(b, dtype=np.float64) for b in df["bucket"]]
        values["limits"] = [np.asarray(b, dtype=np.float64) for b in df["bucket_limit"]]
        for name in _VALUES[HISTOGRAMS][1]:
            values[name] = df[name].to_numpy(np.float64)
    elif kind == IMAGES:
        values["value"] = [_decode_image(bytes(b)) for b in df["encoded"]]
        values["height"] = df["height"].to_numpy(np.int64)
        values["width"] = df["width"].to_numpy(np.int64)
    elif kind == AUDIO:
        values["value"] = [_decode_wav(bytes(b))[0] for b in df["encoded"]]
        values["content_type"] = list(df["content_type"].astype(object))
        values["length_frames"] = df["length_frames"].to_numpy(np.int64)
        values["sample_rate"] = df["sample_rate"].to_numpy(np.float64)
    elif kind == HPARAMS:
        values["value"] = [_hparam_value(row) for row in df.itertuples(index=False)]
    steps = df["step"].to_numpy(np.int64) if n else np.empty(0, np.int64)
    walls = df["wall_time"].to_numpy(np.float64) if n else np.empty(0, np.float64)
    return tags, steps, walls, values


def _leaf_frame(kind: str, node: _Node, rows, pivot: bool, extra: set[str]):
    """The DataFrame tbparse builds for one file (``_parse_events``) from its ``rows``: its
    columns in tbparse's order, values typed as pandas infers them from tbparse's lists."""
    import pandas as pd

    if rows is None or len(rows[0]) == 0:
        return pd.DataFrame()
    tags, steps, walls, values = rows
    n = len(tags)
    if kind == TEXT:
        tags = np.array(
            [t[: -len(_TEXT_SUFFIX)] if t.endswith(_TEXT_SUFFIX) else t for t in tags], dtype=object
        )
    always, optional = _VALUES[kind]
    names = always + [c for c in optional if c in extra]
    cols: dict[str, Any] = {}
    if kind != HPARAMS:
        cols["step"] = steps
    if not pivot:
        cols["tag"] = tags
        for name in names:
            cols[name] = values[name]
    else:
        for tag in pd.unique(tags):
            rows = np.flatnonzero(tags == tag)
            for name in names:
                key = tag if name in ("value",) else f"{tag}/{name}"
                cols[key] = _scatter(values[name], rows, n)
    if "wall_time" in extra and kind != HPARAMS:
        cols["wall_time"] = walls
    if "dir_name" in extra:
        cols["dir_name"] = [node.dir_name] * n
    if "file_name" in extra:
        cols["file_name"] = [os.path.basename(node.path)] * n
    return pd.DataFrame.from_dict(cols)


def _scatter(values, rows: np.ndarray, n: int):
    """A pivoted column: ``values[rows]`` at ``rows``, NaN elsewhere (tbparse's default)."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        column = np.full(n, np.nan)
        column[rows] = values[rows]
        return column
    column_list: list = [np.nan] * n
    for i in rows:
        column_list[i] = values[i]
    return column_list


def _tensor_value(row) -> Any:
    """tbparse's ``make_ndarray(tensor).item()``-if-0-dim from the tensors table's row."""
    shape = [int(d) for d in row.shape]
    count = int(np.prod(shape, dtype=np.int64))
    if row.dtype == "object":
        strings = [bytes(s) for s in row.strings]
        if len(strings) < count:  # TensorFlow's rule: the last value repeats
            strings += [strings[-1] if strings else b""] * (count - len(strings))
        value = np.array(strings, dtype=object).reshape(shape)
    else:
        data = bytes(row.data)
        dtype = np.dtype(row.dtype)
        value = (
            np.frombuffer(data, dtype=dtype).copy().reshape(shape)
            if data
            else np.zeros(shape, dtype)
        )
    return value.item() if value.shape == () else value


def _hparam_value(row) -> Any:
    """The one field set of an hparam's value, as a Python float, str or bool."""
    import pandas as pd

    for name in ("number", "string", "bool"):
        value = getattr(row, name, None)
        if value is not None and not pd.isna(value):
            return value.item() if isinstance(value, np.generic) else value
    return None


def _decode_image(data: bytes) -> np.ndarray:
    """TensorFlow's ``decode_image``: PNG to HWC, a GIF to its frames, NHWC RGB."""
    try:
        from PIL import Image, ImageSequence
    except ImportError as e:
        raise ModuleNotFoundError(
            "turboboard.SummaryReader decodes images with Pillow: pip install Pillow"
        ) from e
    image = Image.open(io.BytesIO(data))
    if image.format == "GIF":
        return np.stack([np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(image)])
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    pixels = np.asarray(image)
    return pixels[:, :, None] if pixels.ndim == 2 else pixels


def _decode_wav(data: bytes) -> tuple[np.ndarray, int]:
    """TensorFlow's ``decode_wav``: 16-bit PCM to float32 (frames, channels), in [-1, 1), and
    the sample rate."""
    import wave

    with wave.open(io.BytesIO(data)) as f:
        if f.getsampwidth() != 2:
            raise ValueError(f"can only decode 16-bit WAV audio, not {8 * f.getsampwidth()}-bit")
        channels = f.getnchannels()
        rate = f.getframerate()
        frames = f.readframes(f.getnframes())
    samples = np.frombuffer(frames, dtype="<i2").reshape(-1, channels)
    return samples.astype(np.float32) / np.float32(32768), rate


def _histogram_args(counts: Any, limits: Any, x: Any) -> tuple[np.ndarray, np.ndarray, Any]:
    """The helpers' arguments as float64 arrays, checked (tbparse asserts): as many counts as
    edges, and increasing values of ``x``."""
    counts = np.asarray(counts, dtype=np.float64)
    limits = np.asarray(limits, dtype=np.float64)
    if counts.ndim != 1 or counts.shape != limits.shape or len(counts) == 0:
        raise ValueError(
            f"counts, limits: expected as many counts as edges, got {counts.shape} and "
            f"{limits.shape}"
        )
    if x is not None:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 1 or np.any(np.diff(x) <= 0):
            raise ValueError("x: expected increasing values")
    return counts, limits, x
