"""Every public method of tensorboardX's and torch's SummaryWriter exists on turboboard's with
the same parameters (names, order, defaults), except the differences listed here on purpose;
every public attribute exists too, with the same meaning."""

import inspect
import os

import pytest
import tensorboardX
import turboboard
import turboboard.writer
from conftest import summary_events
from torch.utils.tensorboard import SummaryWriter as TorchSummaryWriter
from torch.utils.tensorboard import writer as torch_writer

ANCHORS = {"tensorboardX": tensorboardX.SummaryWriter, "torch": TorchSummaryWriter}

# Where turboboard's parameters differ from an anchor's on purpose. For these, every parameter
# of the anchor is still accepted by name with the same default, but the order (or the way it
# is passed) differs; the test checks that each listed difference is real.
DIFFERENCES = {
    ("tensorboardX", "__init__"): "comet_config is accepted through **kwargs: Comet logging "
    "is not supported",
    ("torch", "__init__"): "the first parameter is named logdir (tensorboardX's name); torch's "
    "log_dir is the eighth, an alias",
    ("torch", "add_scalar"): "new_style and double_precision come after tensorboardX's "
    "display_name and summary_description: by keyword, or positionally as bools (a bool in "
    "display_name's place is torch's new_style)",
    ("torch", "add_image_with_boxes"): "tensorboardX's order: rescale is not torch's sixth "
    "positional parameter but a keyword (a positional call says so)",
    ("torch", "add_hparams"): "tensorboardX's name and global_step come third and fourth; "
    "torch's hparam_domain_discrete and run_name follow them: pass those by keyword",
    ("torch", "add_onnx_graph"): "tensorboardX's parameter name onnx_model_file, not torch's "
    "prototxt: pass the path positionally",
}

# Parameters of an anchor that turboboard names otherwise (a listed difference): theirs -> ours.
RENAMED = {("torch", "add_onnx_graph"): {"prototxt": "onnx_model_file"}}


def public_methods(cls) -> dict[str, inspect.Signature]:
    names = [n for n in dir(cls) if not n.startswith("_")] + ["__init__"]
    return {
        name: inspect.signature(getattr(cls, name))
        for name in names
        if inspect.isfunction(getattr(cls, name))
    }


def parameters(signature: inspect.Signature) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


CASES = [(anchor, name) for anchor, cls in ANCHORS.items() for name in sorted(public_methods(cls))]


# turboboard's own class, and the one patch() puts under the anchors' names.
OURS = [turboboard.SummaryWriter, turboboard.writer.PatchedSummaryWriter]


@pytest.mark.parametrize("ours_class", OURS, ids=[c.__name__ for c in OURS])
@pytest.mark.parametrize("anchor, name", CASES)
def test_signature_matches_anchor(anchor, name, ours_class):
    theirs = public_methods(ANCHORS[anchor])[name]
    ours_method = getattr(ours_class, name, None)
    assert ours_method is not None, f"{name} is missing"
    ours = inspect.signature(ours_method)
    expected, actual = parameters(theirs), parameters(ours)
    same_prefix = actual[: len(expected)] == expected
    if (anchor, name) not in DIFFERENCES:
        assert same_prefix, f"\n{anchor}: {theirs}\nturboboard: {ours}"
        return
    assert not same_prefix, f"{anchor}.{name} no longer differs: remove it from DIFFERENCES"
    accepts_kwargs = any(p.kind is p.VAR_KEYWORD for p in ours.parameters.values())
    for param in theirs.parameters.values():
        if param.kind is param.VAR_KEYWORD:
            continue
        mine = ours.parameters.get(RENAMED.get((anchor, name), {}).get(param.name, param.name))
        if mine is None:
            assert accepts_kwargs, f"{param.name} is not accepted"
        else:
            assert mine.default == param.default, param.name


def test_lists_name_real_methods():
    anchored = {name for cls in ANCHORS.values() for name in public_methods(cls)}
    assert {name for _, name in DIFFERENCES} <= anchored


# The public attributes of the anchors' writers, made in a temporary directory with the same
# arguments, and what turboboard's holds for each: the same value, or the same meaning.
OPTIONS = dict(max_queue=7, flush_secs=30, filename_suffix=".run", purge_step=3)


def public_attributes(writer) -> set[str]:
    return {n for n in dir(writer) if not n.startswith("_") and not callable(getattr(writer, n))}


@pytest.fixture
def writers(tmp_path):
    made = {
        name: cls(str(tmp_path / name), **OPTIONS)
        for name, cls in [*ANCHORS.items(), ("turboboard", turboboard.SummaryWriter)]
    }
    yield made
    for writer in made.values():
        writer.close()


def test_every_public_attribute_of_the_anchors_exists(writers):
    ours = public_attributes(writers["turboboard"])
    for anchor in ANCHORS:
        assert public_attributes(writers[anchor]) <= ours, anchor


def test_attributes_mean_what_they_mean_in_the_anchors(writers, tmp_path):
    ours, tbx, torch = writers["turboboard"], writers["tensorboardX"], writers["torch"]
    run = str(tmp_path / "turboboard")
    # The run's directory, under tensorboardX's name and torch's.
    assert (ours.logdir, ours.log_dir) == (run, run)
    assert (tbx.logdir, torch.log_dir) == (str(tmp_path / "tensorboardX"), str(tmp_path / "torch"))
    # torch's options, as given.
    for name in ("max_queue", "flush_secs", "filename_suffix"):
        assert getattr(ours, name) == getattr(torch, name) == OPTIONS[name], name
    # The purge step is written to the first file, then None, as in torch (tensorboardX keeps
    # it to write it again to every file it reopens: a listed difference).
    assert ours.purge_step is torch.purge_step is None
    assert ours.default_bins == tbx.default_bins == torch.default_bins
    assert ours.kwargs == tbx.kwargs == {}
    # The open writers: the run's own, by directory; its file is the run's event file.
    for writer, logdir in ((ours, run), (torch, torch.log_dir), (tbx, tbx.logdir)):
        assert writer.all_writers == {logdir: writer.file_writer}
        assert writer.file_writer.get_logdir() == logdir
    # add_scalars' values, by run directory: [walltime, step, value], as tensorboardX keeps them.
    for writer in (ours, tbx):
        writer.add_scalars("m", {"a": 1.0, "b": 2.0}, 4, walltime=5.0)
        writer.add_scalars("m", {"a": 3.0}, walltime=6.0)  # no step: None, kept as None
    assert {os.path.relpath(k, run): v for k, v in ours.scalar_dict.items()} == {
        os.path.relpath(k, tbx.logdir): v for k, v in tbx.scalar_dict.items()
    }
    assert set(ours.all_writers) == {run, *ours.scalar_dict}
    # Closed: no open writer, in all three.
    for writer in (ours, tbx, torch):
        writer.close()
        assert (writer.file_writer, writer.all_writers) == (None, None)


def test_log_dir_is_where_the_events_go(tmp_path):
    with turboboard.SummaryWriter(log_dir=str(tmp_path / "torch_name")) as writer:
        writer.add_scalar("x", 1.0, 0)
        writer.flush()
        assert writer.log_dir == writer.logdir == str(tmp_path / "torch_name")
    [event] = summary_events(writer.log_dir)
    assert event.summary.value[0].tag == "x"


def test_global_writer_file_writer_writes_to_the_shared_file(tmp_path):
    from tensorboardX.proto import summary_pb2  # tensorboardX's FileWriter takes only its own

    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="s", simple_value=2.5)])
    logdirs = {}
    for name, cls in (
        ("tensorboardX", tensorboardX.GlobalSummaryWriter),
        ("turboboard", turboboard.GlobalSummaryWriter),
    ):
        logdirs[name] = str(tmp_path / name)
        writer = cls(logdirs[name])
        assert writer.file_writer.get_logdir() == logdirs[name]
        writer.file_writer.add_summary(summary, 7)
        writer.add_scalar("counted", 1.0)
        writer.close()
    for name, logdir in logdirs.items():
        steps = sorted((v.tag, e.step) for e in summary_events(logdir) for v in e.summary.value)
        assert steps == [("counted", 0), ("s", 7)], name


# The anchors' FileWriter (SummaryWriter.file_writer), and tensorboardX's stand-in for it when
# nothing is written.
FILE_WRITERS = {
    "tensorboardX": tensorboardX.writer.FileWriter,
    "torch": torch_writer.FileWriter,
}
FILE_WRITER_DIFFERENCES = {
    ("torch", "__init__"): "the first parameter is named logdir (tensorboardX's name)",
}
FILE_WRITER_CASES = [
    (anchor, name) for anchor, cls in FILE_WRITERS.items() for name in sorted(public_methods(cls))
]


@pytest.mark.parametrize("anchor, name", FILE_WRITER_CASES)
def test_file_writer_signature_matches_anchor(anchor, name):
    theirs = parameters(public_methods(FILE_WRITERS[anchor])[name])
    ours = parameters(inspect.signature(getattr(turboboard.FileWriter, name)))
    same_prefix = ours[: len(theirs)] == theirs
    assert same_prefix != ((anchor, name) in FILE_WRITER_DIFFERENCES), f"{theirs}\n{ours}"


def test_file_writer_attributes_mean_what_they_mean_in_the_anchors(writers):
    from tensorboard.compat.proto import event_pb2 as tb_event
    from tensorboard.compat.proto import summary_pb2 as tb_summary
    from tensorboardX.proto import event_pb2 as tbx_event
    from tensorboardX.proto import summary_pb2 as tbx_summary

    # Each anchor takes only its own protobuf classes; turboboard takes any.
    tensorboard_classes = (tb_event.Event, tb_summary.Summary)
    protos = {"turboboard": tensorboard_classes, "torch": tensorboard_classes}
    protos["tensorboardX"] = (tbx_event.Event, tbx_summary.Summary)

    def summary(name, tag):
        summary_class = protos[name][1]
        return summary_class(value=[summary_class.Value(tag=tag, simple_value=1.5)])

    ours = public_attributes(writers["turboboard"].file_writer)
    for anchor in ANCHORS:
        assert public_attributes(writers[anchor].file_writer) <= ours, anchor
    written = {}
    for name in ("turboboard", "tensorboardX", "torch"):
        file_writer = writers[name].file_writer
        # event_writer is the event file: an event goes in as it is, step and wall time included.
        assert file_writer.event_writer.get_logdir() == file_writer.get_logdir()
        event = protos[name][0](wall_time=5.0, step=3, summary=summary(name, "e"))
        file_writer.event_writer.add_event(event)
        # use_metadata: the step and wall time of the calls inside.
        if name != "torch":  # torch's FileWriter has no use_metadata
            with file_writer.use_metadata(global_step=9, walltime=6.0):
                file_writer.add_summary(summary(name, "m"))
        writers[name].close()  # tensorboardX's flush() returns before the events are written
        written[name] = [
            (e.wall_time, e.step, v.tag)
            for e in summary_events(file_writer.get_logdir())
            for v in e.summary.value
        ]
    assert written["turboboard"] == written["tensorboardX"] == [(5.0, 3, "e"), (6.0, 9, "m")]
    assert written["torch"] == [(5.0, 3, "e")]


def test_without_write_to_disk_file_writer_is_a_dummy_that_does_nothing(tmp_path):
    writers = {
        name: cls(str(tmp_path / name), write_to_disk=False)
        for name, cls in (
            ("tensorboardX", tensorboardX.SummaryWriter),
            ("turboboard", turboboard.SummaryWriter),
        )
    }
    dummy_methods = public_methods(tensorboardX.writer.DummyFileWriter)
    for name, writer in writers.items():
        file_writer = writer.file_writer
        assert writer.all_writers == {writer.logdir: file_writer}, name
        assert file_writer.get_logdir() == writer.logdir, name
        for method in dummy_methods:
            assert parameters(inspect.signature(getattr(type(file_writer), method)))[
                : len(parameters(dummy_methods[method]))
            ] == parameters(dummy_methods[method]), (name, method)
        file_writer.add_event(b"")
        file_writer.add_summary(b"", 1)
        file_writer.add_graph(b"")
        file_writer.add_onnx_graph(b"")
        with file_writer.use_metadata(global_step=1):
            writer.add_scalar("x", 1.0)
        file_writer.flush()
        file_writer.reopen()
        file_writer.close()
        writer.close()
        assert (writer.file_writer, writer.all_writers) == (None, None), name
        assert not os.path.exists(writer.logdir), name
