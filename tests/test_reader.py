"""turboboard.read_*: every kind read back from runs written by tensorboardX, torch and
turboboard (tests/runs.py), compared with what TensorBoard's own code reads from the same files:
its record loader (every row, in file order, nothing purged) and its EventAccumulator keeping
everything (what TensorBoard shows: restarts purged)."""

from __future__ import annotations

import json
import math
import os
import re
import warnings

import numpy as np
import pytest
import runs
import turboboard

SPEC_TYPES = {  # numpy dtype of Table.column(name) for the numeric columns of the spec
    "step": np.int64,
    "wall_time": np.float64,
    "scalars": {"value": np.float64},
    "histograms": {k: np.float64 for k in ("min", "max", "num", "sum", "sum_squares")},
    "images": {"width": np.int32, "height": np.int32, "colorspace": np.int32},
    "audio": {"sample_rate": np.float64, "num_channels": np.int64, "length_frames": np.int64},
}
# The accumulator keeps no hparams (only their metadata), nor these fields.
ACCUMULATED = [k for k in runs.KINDS if k != "hparams"]


@pytest.fixture(scope="session")
def runs_dir(tmp_path_factory) -> str:
    return runs.write_logdir(str(tmp_path_factory.mktemp("runs")))


@pytest.fixture(scope="session")
def odd_dir(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("odd"))
    runs.write_odd_tensors(path)
    return path


def read(kind: str, logdir: str, **kwargs):
    return getattr(turboboard, f"read_{kind}")(logdir, **kwargs)


def _plain(value):
    """A cell as a plain Python value: lists for list columns, bytes for binary ones."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def _hparam(row) -> object:
    """An hparams row's value (float, str or bool) from whichever column holds it."""
    if "value" in row:
        return row["value"]
    for name in ("number", "string", "bool"):
        value = row.get(name)
        if value is not None and not (isinstance(value, float) and math.isnan(value)):
            return value
    return None


def rows(table, kind: str) -> list[dict]:
    """The table's rows as plain dicts with the reference tables' columns."""
    frame = table.to_pandas()
    records = [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict("records")]
    if kind == "hparams":
        records = [{**r, "value": _hparam(r)} for r in records]
    return [{c: r[c] for c in runs.COLUMNS[kind] if c in r} for r in records]


def reference(frame) -> list[dict]:
    return [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict("records")]


def by_run_and_tag(records: list[dict]) -> list[dict]:
    """Rows grouped by run, then tag (stable: each tag's rows keep their order)."""
    return sorted(records, key=lambda r: (r["run"], r["tag"]))


def assert_same_rows(ours: list[dict], theirs: list[dict]) -> None:
    assert len(ours) == len(theirs)
    for i, (mine, other) in enumerate(zip(ours, theirs)):
        mine = {k: mine[k] for k in other}
        assert _same(mine, other), f"row {i}:\nturboboard: {mine}\nTensorBoard: {other}"
    assert ours, "no rows: the comparison proved nothing"


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


@pytest.mark.parametrize("kind", runs.KINDS)
def test_every_row_as_tensorboards_record_loader_reads_it(runs_dir, kind):
    """Not purged, every row in run, file and record order, every field equal."""
    table = read(kind, runs_dir, purge=False)
    assert_same_rows(rows(table, kind), reference(runs.raw_table(runs_dir, kind)))


@pytest.mark.parametrize("kind", ACCUMULATED)
def test_what_tensorboard_shows(runs_dir, kind):
    """Purged by default as the EventAccumulator purges (the restarted run), each tag's rows
    in the accumulator's order."""
    ours = by_run_and_tag(rows(read(kind, runs_dir), kind))
    theirs = by_run_and_tag(reference(runs.accumulator_table(runs_dir, kind)))
    assert_same_rows(ours, theirs)


def test_tensors_of_every_encoding(odd_dir):
    """Typed values, one value for many elements, strings, float16, bools, an untagged
    tensor; and ``data`` holds the elements as numpy reads them."""
    table = read("tensors", odd_dir)
    ours = rows(table, "tensors")
    assert_same_rows(ours, reference(runs.raw_table(odd_dir, "tensors")))
    for row in ours:
        if row["dtype"] != "object":
            array = np.frombuffer(row["data"], dtype=np.dtype(row["dtype"]).newbyteorder("<"))
            assert array.size == math.prod(row["shape"])


def test_a_restart_with_purge_step_drops_the_old_steps(runs_dir):
    table = read("scalars", runs_dir, runs="restart").to_pandas()
    assert list(table["step"]) == list(range(80))
    assert list(table["value"]) == [float(s) for s in range(50)] + [
        -float(s) for s in range(50, 80)
    ]
    kept = read("scalars", runs_dir, runs="restart", purge=False).to_pandas()
    assert list(kept["step"]) == list(range(100)) + list(range(50, 80))


def test_runs_are_named_as_tensorboard_names_them(runs_dir):
    table = read("scalars", runs_dir).to_pandas()
    names = list(dict.fromkeys(table["run"].astype(str)))
    assert names == [r for r in runs.run_dirs(runs_dir) if r in names]
    assert names[0] == "." and "nested/a/b" in names and "tbx/multi/train" in names


def test_a_truncated_last_record_ends_the_file_silently(runs_dir):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = rows(read("scalars", runs_dir, runs="truncated"), "scalars")
    theirs = reference(runs.raw_table(os.path.join(runs_dir, "truncated"), "scalars"))
    assert_same_rows(ours, [{**r, "run": "truncated"} for r in theirs])
    assert len(ours) == 2 * runs.STEPS - 1


@pytest.fixture(scope="module")
def corrupt(tmp_path_factory):
    return runs.corrupt_logdir(str(tmp_path_factory.mktemp("corrupt")))


def test_a_corrupt_record_raises_naming_file_and_offset(corrupt):
    _, bad, offset = corrupt
    with pytest.raises(ValueError) as error:
        read("scalars", os.path.dirname(bad))
    assert os.path.basename(bad) in str(error.value)
    assert str(offset) in str(error.value)


def test_on_corrupt_warn_skips_the_record_only(corrupt):
    clean, bad, offset = corrupt
    with pytest.warns(RuntimeWarning) as caught:
        ours = rows(read("scalars", os.path.dirname(bad), on_corrupt="warn"), "scalars")
    (message,) = [str(w.message) for w in caught if w.category is RuntimeWarning]
    assert os.path.basename(bad) in message and str(offset) in message
    theirs = reference(runs.raw_table(os.path.dirname(clean), "scalars"))
    del theirs[runs.CORRUPT_RECORD - 1]  # record 0 is the file version
    assert_same_rows(ours, theirs)
    # TensorBoard stops reading the file there; everything it shows is read.
    shown = reference(runs.raw_table(os.path.dirname(bad), "scalars"))
    assert len(shown) == runs.CORRUPT_RECORD - 1 and ours[: len(shown)] == shown


def test_a_bad_length_ends_its_file_with_a_warning(corrupt, tmp_path):
    """A record whose length fails its CRC leaves no way to the next one: the file ends there
    (with a warning), as TensorBoard's loader ends it."""
    clean, _, offset = corrupt
    path = tmp_path / "run" / os.path.basename(clean)
    path.parent.mkdir()
    with open(clean, "rb") as f:
        data = bytearray(f.read())
    data[offset + 9] ^= 0xFF  # in the length's CRC
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=str(offset)):
        read("scalars", str(path.parent))
    with pytest.warns(RuntimeWarning, match=str(offset)):
        ours = rows(read("scalars", str(path.parent), on_corrupt="warn"), "scalars")
    theirs = reference(runs.raw_table(str(path.parent), "scalars"))
    assert_same_rows(ours, theirs)
    assert len(ours) == runs.CORRUPT_RECORD - 1


def test_check_crc_false_reads_a_bad_payload_crc(corrupt):
    """The flipped byte is inside the value: without the payload check it decodes."""
    clean, bad, _ = corrupt
    ours = read("scalars", os.path.dirname(bad), check_crc=False).to_pandas()
    assert len(ours) == len(runs.raw_table(os.path.dirname(clean), "scalars"))


@pytest.mark.parametrize(
    "selection, keep",
    [
        ({"runs": "torch"}, lambda run, tag: run == "torch"),
        ({"runs": ["torch", "nested/a/b"]}, lambda run, tag: run in ("torch", "nested/a/b")),
        ({"runs": re.compile(r"^tbx/multi/")}, lambda run, tag: run.startswith("tbx/multi/")),
        ({"tags": "train/*"}, lambda run, tag: tag.startswith("train/")),
        ({"tags": "loss"}, lambda run, tag: tag == "loss"),
        ({"tags": re.compile(r"acc$")}, lambda run, tag: re.search(r"acc$", tag) is not None),
        (
            {"runs": "tbx", "tags": ["loss", "described"]},
            lambda r, t: r == "tbx" and t != "train/acc",
        ),
    ],
)
def test_runs_and_tags_by_glob_list_or_regex(runs_dir, selection, keep):
    everything = rows(read("scalars", runs_dir), "scalars")
    expected = [r for r in everything if keep(r["run"], r["tag"])]
    assert_same_rows(rows(read("scalars", runs_dir, **selection), "scalars"), expected)


def test_columns_and_types(runs_dir):
    for kind in runs.KINDS:
        table = read(kind, runs_dir)
        names = table.column_names
        assert names[:4] == ["run", "tag", "step", "wall_time"], kind
        assert len(table) == table.num_rows > 0
        assert table.column("step").dtype == np.int64
        assert table.column("wall_time").dtype == np.float64
        assert all(isinstance(r, str) for r in table.column("run"))
        for name, dtype in SPEC_TYPES.get(kind, {}).items():
            assert table.column(name).dtype == dtype, (kind, name)
    assert read("histograms", runs_dir).column_names[4:] == runs.COLUMNS["histograms"][4:]


def test_schema_names_each_column_and_its_type(runs_dir):
    """The spec's ``Table.schema``: (name, type) pairs, in column order."""
    for kind in runs.KINDS:
        table = read(kind, runs_dir)
        schema = table.schema
        assert [name for name, _ in schema] == table.column_names, kind
        assert all(isinstance(t, str) and t for _, t in schema), kind


def test_arrow_consumers_read_the_same_table(runs_dir):
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    table = read("histograms", runs_dir)
    frame = table.to_pandas()
    arrow = pa.table(table)
    assert arrow.column_names == table.column_names and arrow.num_rows == len(frame)
    assert arrow.column("bucket").to_pylist() == [list(b) for b in frame["bucket"]]
    polars = pl.DataFrame(table)
    assert polars["sum"].to_list() == list(frame["sum"])
    assert table.to_polars()["step"].to_list() == list(frame["step"])
    assert table.to_pyarrow().equals(arrow)
    counts = duckdb.sql("SELECT tag, count(*) AS n FROM arrow GROUP BY tag ORDER BY tag").fetchall()
    assert counts == sorted(frame.groupby(frame["tag"].astype(str)).size().items())


def test_exports_read_back(runs_dir, tmp_path):
    pd = pytest.importorskip("pandas")
    pq = pytest.importorskip("pyarrow.parquet")
    table = read("scalars", runs_dir)
    frame = table.to_pandas()
    table.to_parquet(str(tmp_path / "s.parquet"))
    table.to_csv(str(tmp_path / "s.csv"))
    table.to_jsonl(str(tmp_path / "s.jsonl"))
    back = [
        pq.read_table(str(tmp_path / "s.parquet")).to_pandas(),
        pd.read_csv(str(tmp_path / "s.csv"), keep_default_na=False),
        pd.DataFrame(
            [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
        ),
    ]
    for other in back:
        assert list(other.columns) == table.column_names
        assert list(other["run"].astype(str)) == list(frame["run"].astype(str))
        assert list(other["step"]) == list(frame["step"])
        np.testing.assert_array_equal(other["value"].to_numpy(float), frame["value"])
        np.testing.assert_array_equal(other["wall_time"].to_numpy(float), frame["wall_time"])


def test_a_file_url_reads_as_the_path(runs_dir):
    url = "file://" + os.path.abspath(runs_dir)
    assert rows(read("text", url), "text") == rows(read("text", runs_dir), "text")


@pytest.mark.parametrize("kind", ["histograms", "audio", "text", "images"])
def test_tensorboardx_and_turboboard_files_read_the_same(runs_dir, kind):
    """The same calls (tests/runs.py's _media) through both writers read back equal: images by
    size and colour space (PNG encoders differ, pixels are compared in tests/test_image.py),
    a histogram's sum of squares to 1e-12 (tensorboardX's is a BLAS dot product)."""
    drop = {"run", "encoded", "sum_squares"}

    def values(run):
        found = rows(read(kind, runs_dir, runs=run), kind)
        return [{k: v for k, v in r.items() if k not in drop} for r in found], found

    (theirs, their_rows), (ours, our_rows) = values("tbx"), values("turbo")
    ours = [r for r in ours if r["tag"] != "video"]  # turboboard's run also has add_video
    assert ours == theirs != []
    if kind == "histograms":
        squares = [r["sum_squares"] for r in our_rows], [r["sum_squares"] for r in their_rows]
        assert squares[0] == pytest.approx(squares[1], rel=1e-12)


def _two_runs(base: str) -> None:
    """Two runs of turboboard's writer under ``base``, a path or a URL."""
    rng = np.random.default_rng(3)
    for run in ("a", "b/c"):
        with turboboard.SummaryWriter(f"{base}/{run}") as w:
            for step in range(20):
                w.add_scalar("loss", 1 / (step + 1), step, walltime=runs.WALL + step)
            w.add_histogram("w", rng.standard_normal(100), 0, walltime=runs.WALL)
            w.add_text("note", run, 0, walltime=runs.WALL)


@pytest.mark.parametrize("kind", ["scalars", "histograms", "text"])
def test_an_object_store_reads_as_a_local_directory(tmp_path, kind, request):
    """The same runs written to ``memory://`` and to S3 (tests/s3server.py, skipped without
    moto) read as they read from a local directory."""
    import uuid

    local = str(tmp_path / "local")
    _two_runs(local)
    expected = rows(read(kind, local), kind)
    memory = f"memory://{uuid.uuid4().hex}/logs"
    _two_runs(memory)
    assert_same_rows(rows(read(kind, memory), kind), expected)
    s3_url = request.getfixturevalue("s3_url")
    _two_runs(s3_url)
    assert_same_rows(rows(read(kind, s3_url), kind), expected)
