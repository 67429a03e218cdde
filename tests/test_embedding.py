"""add_embedding: the projector's files compared with tensorboardX's and torch's for the same
input, the cases where turboboard deliberately differs (escaped separators, safe folders,
write_to_disk, bad input), and a real TensorBoard's projector plugin reading the run."""

from __future__ import annotations

import os
import threading
import warnings

import numpy as np
import pytest
import test_tensorboard_server as tensorboard_server
import torch
import turboboard
from conftest import decode_png, read_events, write_with
from google.protobuf import text_format
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig

ANCHORS = ["tensorboardX", "torch"]
rng = np.random.default_rng(7)
MAT = rng.standard_normal((10, 5)).astype(np.float32)
LABELS = [f"point {i} ü猫" for i in range(10)]
HEADER = ["name", "index", "even"]
ROWS = [[f"p{i}", i, i % 2 == 0] for i in range(10)]
IMAGES = torch.from_numpy(rng.random((10, 3, 6, 6)).astype(np.float32))
GRAY = torch.from_numpy(rng.random((10, 1, 4, 4)))


def files(logdir: str) -> dict[str, bytes]:
    """Every file under ``logdir`` but the event files, by '/'-separated relative path."""
    found = {}
    for root, _, names in os.walk(logdir):
        for name in names:
            if "tfevents" not in name:
                path = os.path.join(root, name)
                found[os.path.relpath(path, logdir).replace(os.sep, "/")] = open(path, "rb").read()
    return found


def config(data: bytes) -> ProjectorConfig:
    return text_format.Parse(data.decode(), ProjectorConfig())


def write(name: str, logdir: str, calls) -> dict[str, bytes]:
    with warnings.catch_warnings():
        # tensorboardX pads the sprite with uninitialized memory and warns when it overflows.
        warnings.simplefilter("ignore", RuntimeWarning)
        write_with(name, logdir, calls)
    return files(logdir)


def assert_same_files(tmp_path, anchor: str, calls) -> dict[str, bytes]:
    """The same files, the same bytes for the TSVs, the same sprite pixels (tensorboardX's
    padding aside) and the same parsed config; returns turboboard's files."""
    ours = write("turboboard", str(tmp_path / "turboboard"), calls)
    theirs = write(anchor, str(tmp_path / anchor), calls)
    assert sorted(ours) == sorted(theirs)
    for path, data in ours.items():
        if path.endswith(".tsv"):
            assert data == theirs[path], path
        elif path.endswith(".png"):
            mine, other = decode_png(data), decode_png(theirs[path])
            assert mine.shape == other.shape and mine.shape[0] == mine.shape[1]
            # tensorboardX pads below the last row of images with uninitialized memory.
            rows = (
                np.flatnonzero(mine.any(axis=(1, 2)))[-1] + 1 if anchor == "tensorboardX" else None
            )
            np.testing.assert_array_equal(mine[:rows], other[:rows], err_msg=path)
        else:
            assert config(data) == config(theirs[path])
            # Byte for byte where tensorboardX's raw strings need no text-format escape.
            if anchor == "tensorboardX" and b"\\" not in theirs[path]:
                assert data == theirs[path]
    return ours


CASES = {
    "matrix only": lambda w: w.add_embedding(MAT),
    "labels": lambda w: w.add_embedding(MAT, LABELS, global_step=3),
    "columns": lambda w: w.add_embedding(MAT, ROWS, global_step=12, metadata_header=HEADER),
    "array labels": lambda w: w.add_embedding(MAT, np.arange(10) * 0.5, tag="numpy"),
    "tensor labels": lambda w: w.add_embedding(MAT, torch.arange(10), tag="torch"),
    "sprite": lambda w: w.add_embedding(MAT, label_img=IMAGES, tag="faces"),
    "gray sprite": lambda w: w.add_embedding(MAT, LABELS, GRAY, 123456, "gray"),
    "unicode tag": lambda w: w.add_embedding(MAT, LABELS, tag="émbed/ding 向量\\%"),
    "several": lambda w: [
        w.add_embedding(MAT * step, LABELS, IMAGES, step, tag) for step in (0, 5) for tag in "ab"
    ],
}


@pytest.mark.parametrize("anchor", ANCHORS)
@pytest.mark.parametrize("case", CASES)
def test_files_match_anchors(tmp_path, anchor, case):
    ours = assert_same_files(tmp_path, anchor, CASES[case])
    assert any(path.endswith("tensors.tsv") for path in ours)


def test_layout_and_values(logdir):
    write("turboboard", logdir, CASES["several"])
    embeddings = config(open(os.path.join(logdir, "projector_config.pbtxt"), "rb").read())
    names = [e.tensor_name for e in embeddings.embeddings]
    assert names == ["a:00000", "b:00000", "a:00005", "b:00005"]
    (last,) = [e for e in embeddings.embeddings if e.tensor_name == "b:00005"]
    assert last.tensor_path == "00005/b/tensors.tsv"
    assert list(last.sprite.single_image_dim) == [6, 6]
    tensors = np.loadtxt(os.path.join(logdir, "00005/b/tensors.tsv"), delimiter="\t")
    np.testing.assert_array_equal(tensors, (MAT * 5).astype(np.float64))
    # 10 images: 4 to a row, 3 rows, on a 24x24 canvas; each 6x6 tile is x * 255 truncated.
    sprite = decode_png(open(os.path.join(logdir, "00005/b/sprite.png"), "rb").read())
    assert sprite.shape == (24, 24, 3)
    tile = sprite[6:12, 12:18]  # image 6: row 1, column 2
    expected = (IMAGES[6].numpy().astype(np.float64) * 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(tile, expected)
    assert not sprite[12:, 12:].any() and not sprite[18:].any()


RANDOM = rng.standard_normal((50, 40)) * 10.0 ** rng.integers(-40, 40, (50, 40))
NUMBERS = np.array(
    [[0.0, -0.0, 1.0, 0.1, 1e-4, 1e-5, 9.999e-5, 1e-7, 1e16, 1.5e16, 1e15, 5e-324],
     [np.inf, -np.inf, np.nan, 1.7976931348623157e308, -2.5, 1 / 3, 100.0, 123456789.0, 1e-300,
      2.0**-1074 * 3, 0.5, 7.0]]
)  # fmt: skip


with np.errstate(over="ignore"):  # the largest values become inf
    NARROW = [NUMBERS.astype(np.float32), NUMBERS.astype(np.float16), RANDOM.astype(np.float32)]


@pytest.mark.parametrize(
    "mat",
    [
        NUMBERS,
        NARROW[0],
        NARROW[1],
        RANDOM,
        NARROW[2],
        rng.integers(-(2**62), 2**62, (4, 3)),
        np.array([[True, False]]),
        np.arange(12, dtype=np.uint8).reshape(3, 4),
        torch.arange(12, dtype=torch.bfloat16).reshape(3, 4) / 7,
        np.asfortranarray(NUMBERS)[:, ::-2],
    ],
    ids=["f64", "f32", "f16", "random f64", "random f32", "i64", "bool", "u8", "bf16", "strided"],
)
def test_numbers_byte_exact(tmp_path, mat):
    """Each value is written as Python's str(x.item()): compared byte for byte."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # tensorboardX warns about inf/nan
        ours = write("turboboard", str(tmp_path / "ours"), lambda w: w.add_embedding(mat))
        if isinstance(mat, torch.Tensor):  # tensorboardX cannot read bfloat16; torch can
            theirs = write("torch", str(tmp_path / "theirs"), lambda w: w.add_embedding(mat))
        else:
            theirs = write("tensorboardX", str(tmp_path / "theirs"), lambda w: w.add_embedding(mat))
    assert ours["00000/default/tensors.tsv"] == theirs["00000/default/tensors.tsv"]


def test_separators_in_labels_are_escaped(logdir):
    """A tab, newline or CR inside a label would shift the projector's columns or rows (the
    anchors write them raw); turboboard writes them as \\t, \\n, \\r."""
    labels = ["a\tb", "line\nbreak", "cr\r", "back\\slash", "plain"]
    with turboboard.SummaryWriter(logdir) as w:
        w.add_embedding(MAT[:5], labels, tag="single")
        w.add_embedding(
            MAT[:5], [[x, x] for x in labels], tag="multi", metadata_header=["x\ty", "z"]
        )
    single = open(os.path.join(logdir, "00000/single/metadata.tsv"), "rb").read()
    assert single == b"a\\tb\nline\\nbreak\ncr\\r\nback\\slash\nplain\n"
    multi = open(os.path.join(logdir, "00000/multi/metadata.tsv"), "rb").read().split(b"\n")
    assert multi[0] == b"x\\ty\tz"
    assert multi[2] == b"line\\nbreak\tline\\nbreak"
    assert len(multi) == 7 and all(row.count(b"\t") == 1 for row in multi[:-1])


@pytest.mark.parametrize(
    "tag, folder",
    [
        ("../../escape", "00000/..%2f..%2fescape"),
        ("/etc/absolute", "00000/%2fetc%2fabsolute"),
        ("C:\\windows", "00000/C:%5cwindows"),
        ("100%", "00000/100%25"),
        ("", "00000"),
        (".", "00000"),
    ],
)
def test_tag_folders_stay_inside(tmp_path, tag, folder):
    logdir = tmp_path / "run"
    with turboboard.SummaryWriter(str(logdir)) as w:
        w.add_embedding(MAT, tag=tag)
    assert sorted(os.listdir(tmp_path)) == ["run"]
    assert os.path.isfile(logdir / folder / "tensors.tsv")
    (embedding,) = config((logdir / "projector_config.pbtxt").read_bytes()).embeddings
    assert embedding.tensor_name == f"{tag}:00000"
    assert embedding.tensor_path == f"{folder}/tensors.tsv"


def test_dot_dot_tag_raises(tmp_path):
    with turboboard.SummaryWriter(str(tmp_path / "run")) as w:
        with pytest.raises(
            ValueError,
            match=r"tag '\.\.' \(folder '00000/\.\.'\): .* would leave the log directory",
        ):
            w.add_embedding(MAT, tag="..")
    assert not (tmp_path / "run" / "tensors.tsv").exists()
    assert not (tmp_path / "run" / "projector_config.pbtxt").exists()


def test_quotes_in_tag_keep_the_config_valid(logdir):
    """tensorboardX writes the tag raw into the config, so a quote breaks its file."""
    tag = 'say "hi"\n'
    with turboboard.SummaryWriter(logdir) as w:
        w.add_embedding(MAT, tag=tag, global_step=2)
    (embedding,) = config(
        open(os.path.join(logdir, "projector_config.pbtxt"), "rb").read()
    ).embeddings
    assert embedding.tensor_name == f"{tag}:00002"
    assert os.path.isfile(os.path.join(logdir, embedding.tensor_path))


def test_writers_append_to_one_config(logdir):
    """Like tensorboardX (torch rewrites the file with only its own writer's embeddings)."""
    for step in range(2):
        with turboboard.SummaryWriter(logdir) as w:
            w.add_embedding(MAT, global_step=step)
    embeddings = config(open(os.path.join(logdir, "projector_config.pbtxt"), "rb").read())
    assert [e.tensor_name for e in embeddings.embeddings] == ["default:00000", "default:00001"]


def test_threads_logging_one_embedding_leave_whole_files(logdir):
    mats = [np.full((300, 40), k, np.float32) for k in range(8)]
    with turboboard.SummaryWriter(logdir) as w:
        threads = [
            threading.Thread(target=w.add_embedding, args=(mat,), kwargs={"tag": "same"})
            for mat in mats
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(files(logdir)) == ["00000/same/tensors.tsv", "projector_config.pbtxt"]
    tensors = np.loadtxt(os.path.join(logdir, "00000/same/tensors.tsv"), delimiter="\t")
    assert tensors.shape == (300, 40) and len(np.unique(tensors)) == 1
    embeddings = config(open(os.path.join(logdir, "projector_config.pbtxt"), "rb").read())
    assert len(embeddings.embeddings) == 8


@pytest.mark.parametrize("library", ["turboboard", "tensorboardX", "torch"])
def test_event_file_holds_no_summary(tmp_path, library):
    """The anchors write no event for an embedding, but open the run's event file (which is
    how TensorBoard finds the run); so does turboboard."""
    logdir = str(tmp_path / library)
    write(library, logdir, CASES["labels"])
    events = read_events(logdir)
    assert [e.file_version for e in events] == ["brain.Event:2"]


def test_write_to_disk_false_writes_nothing(tmp_path):
    """tensorboardX and torch write the projector files anyway."""
    with turboboard.SummaryWriter(str(tmp_path / "run"), write_to_disk=False) as w:
        w.add_embedding(MAT, LABELS, IMAGES)
    assert not (tmp_path / "run").exists()


def test_uint8_images_are_used_as_they_are(logdir):
    """The anchors multiply uint8 images by 255 too, so every non-zero byte becomes white;
    turboboard keeps them, as add_image does."""
    images = rng.integers(0, 256, (4, 1, 3, 3), dtype=np.uint8)
    with turboboard.SummaryWriter(logdir) as w:
        w.add_embedding(MAT[:4], label_img=images)
    sprite = decode_png(open(os.path.join(logdir, "00000/default/sprite.png"), "rb").read())
    assert sprite.shape == (6, 6, 3)
    np.testing.assert_array_equal(sprite[3:6, 0:3, 1], images[2, 0])


BAD = [
    ({"mat": MAT[0]}, ValueError, r"mat: expected a 2-D array \(N, D\), got shape \[5\]"),
    ({"mat": MAT[None]}, ValueError, "mat: expected a 2-D array"),
    ({"mat": np.ones((2, 2), complex)}, TypeError, "mat: expected numbers"),
    ({"mat": "abc"}, TypeError, "mat: expected an array"),
    ({"metadata": LABELS[:9]}, ValueError, r"metadata: .* one label per row of mat \(10\), got 9"),
    ({"metadata": "abcdefghij"}, TypeError, "metadata: expected a list of labels"),
    ({"metadata": iter(LABELS)}, TypeError, "metadata: expected a list of labels"),
    ({"metadata": LABELS, "metadata_header": HEADER}, ValueError, "each row needs 3 values; row 0"),
    ({"metadata": [r[:2] for r in ROWS], "metadata_header": HEADER}, ValueError, "row 0 is"),
    ({"metadata": ROWS, "metadata_header": "abc"}, TypeError, "metadata_header: expected a"),
    ({"label_img": IMAGES[:9]}, ValueError, r"label_img: .* per row of mat \(10\), got 9"),
    ({"label_img": IMAGES[:, :, :, :5]}, ValueError, "label_img: .* needs square images, got 6x5"),
    ({"label_img": IMAGES[:, :2]}, ValueError, "label_img: expected 1 .* or 3 .* channels, got 2"),
    ({"label_img": torch.rand(10, 4, 2, 2)}, ValueError, "channels, got 4"),
    ({"label_img": IMAGES[0]}, ValueError, r"label_img: expected a 4-D array \(N, C, H, W\)"),
    ({"label_img": np.zeros((10, 1, 3000, 3000), np.uint8)}, ValueError, "12000 pixels wide"),
    ({"tag": 3}, TypeError, "tag: expected a str, got int"),
    ({"global_step": "one"}, TypeError, "global_step: expected an integer"),
]  # fmt: skip


@pytest.mark.parametrize("kwargs, error, message", BAD, ids=[b[2][:40] for b in BAD])
def test_bad_input_raises_and_writes_nothing(logdir, kwargs, error, message):
    with turboboard.SummaryWriter(logdir) as w:
        with pytest.raises(error, match=message):
            w.add_embedding(**{"mat": MAT, **kwargs})
    assert files(logdir) == {}


def test_io_errors_raise(logdir):
    with turboboard.SummaryWriter(logdir) as w:
        open(os.path.join(logdir, "00000"), "w").close()  # a file where the folder goes
        with pytest.raises(OSError, match="00000"):
            w.add_embedding(MAT)
        os.makedirs(os.path.join(logdir, "projector_config.pbtxt"))
        with pytest.raises(OSError, match=r"projector_config\.pbtxt"):
            w.add_embedding(MAT, global_step=1)


# A real TensorBoard's projector plugin reads turboboard's run.

get = tensorboard_server.get
server = tensorboard_server.server
SERVED_IMAGES = rng.random((5, 3, 4, 4)).astype(np.float32)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("projector") / "demo"
    with turboboard.SummaryWriter(str(logdir)) as w:
        w.add_scalar("loss", 1.0, 0)
        w.add_embedding(MAT[:5], ["a\tb", "ü", "c", "d", "e"], SERVED_IMAGES, 7, "vec/tors")
        w.add_embedding(MAT, ROWS, global_step=8, tag="rows", metadata_header=HEADER)
    return logdir.parent


def test_projector_serves_the_run(server):
    assert get(server, "/data/plugin/projector/runs") == ["demo"]
    info = get(server, "/data/plugin/projector/info", run="demo")
    shapes = {e["tensorName"]: e["tensorShape"] for e in info["embeddings"]}
    assert shapes == {"vec/tors:00007": [5, 5], "rows:00008": [10, 5]}
    tensor = get(server, "/data/plugin/projector/tensor", run="demo", name="vec/tors:00007")
    np.testing.assert_array_equal(np.frombuffer(tensor, np.float32).reshape(5, 5), MAT[:5])
    metadata = get(server, "/data/plugin/projector/metadata", run="demo", name="vec/tors:00007")
    assert metadata.decode().split("\n") == ["a\\tb", "ü", "c", "d", "e", ""]
    rows = get(server, "/data/plugin/projector/metadata", run="demo", name="rows:00008")
    lines = rows.decode().splitlines()
    assert lines[0] == "name\tindex\teven" and lines[3] == "p2\t2\tTrue" and len(lines) == 11
    sprite = decode_png(
        get(server, "/data/plugin/projector/sprite_image", run="demo", name="vec/tors:00007")
    )
    assert sprite.shape == (12, 12, 3)
    expected = (SERVED_IMAGES[4].astype(np.float64) * 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(sprite[4:8, 4:8], expected)
