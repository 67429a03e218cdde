"""add_custom_scalars and its two shorthands: the same Layout tensor as tensorboardX and torch,
loaded by the custom scalars plugin's reader."""

import pytest
import turboboard
from conftest import accumulate, write_with
from plugin_events import assert_same_runs
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.util import tensor_util

LAYOUT = {
    "Taiwan": {"twse": ["Multiline", ["twse/0050", "twse/2330"]]},
    "USA": {
        "dow": ["Margin", ["dow/aaa", "dow/bbb", "dow/ccc"]],
        "nasdaq": ["Margin", ("nasdaq/aaa", "nasdaq/bbb", "nasdaq/ccc")],
        "regex": ["anything but Margin is a multiline chart", [r"loss.*", "ünï/cödé"]],
    },
    "empty": {},
}

CALLS = {
    "layout": lambda w: w.add_custom_scalars(LAYOUT),
    "multiline": lambda w: w.add_custom_scalars_multilinechart(["a", "b", "c", "d"]),
    "multiline_titled": lambda w: w.add_custom_scalars_multilinechart(["a"], "cat", "title"),
    "margin": lambda w: w.add_custom_scalars_marginchart(["v", "lo", "hi"]),
    "margin_titled": lambda w: w.add_custom_scalars_marginchart(
        ["v", "lo", "hi"], category="c", title="t"
    ),
}


def layout_of(event) -> layout_pb2.Layout:
    (value,) = event.summary.value
    return layout_pb2.Layout.FromString(value.tensor.string_val[0])


@pytest.mark.parametrize("anchor", ["tensorboardX", "torch"])
@pytest.mark.parametrize("call", CALLS)
def test_custom_scalars_match_anchors(tmp_path, anchor, call):
    # Neither anchor takes a step or a wall time here: compare all but the wall time.
    ours = write_with("turboboard", str(tmp_path / "ours"), CALLS[call])
    theirs = write_with(anchor, str(tmp_path / "theirs"), CALLS[call])
    (event,) = assert_same_runs(ours, theirs, anchor)
    (value,) = event.summary.value
    assert value.tag == "custom_scalars__config__"
    assert event.step == 0
    assert value.metadata.plugin_data.plugin_name == "custom_scalars"
    assert layout_of(event).category


def test_layout_holds_the_charts(tmp_path):
    ours = write_with("turboboard", str(tmp_path), CALLS["layout"])
    acc = accumulate(ours)
    (tensor,) = acc.Tensors("custom_scalars__config__")
    layout = layout_pb2.Layout.FromString(tensor_util.make_ndarray(tensor.tensor_proto).item())
    usa = layout.category[1]
    assert [c.title for c in usa.chart] == ["dow", "nasdaq", "regex"]
    assert usa.chart[0].margin.series[0].upper == "dow/ccc"
    assert list(usa.chart[2].multiline.tag) == ["loss.*", "ünï/cödé"]


def test_use_metadata_sets_the_wall_time(tmp_path):
    # tensorboardX's use_metadata applies to the layout too; compare wall times with it.
    def calls(w):
        with w.use_metadata(walltime=1234.5):
            w.add_custom_scalars(LAYOUT)

    ours = write_with("turboboard", str(tmp_path / "ours"), calls)
    theirs = write_with("tensorboardX", str(tmp_path / "theirs"), calls)
    (event,) = assert_same_runs(ours, theirs, "tensorboardX")
    assert event.wall_time == 1234.5


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda w: w.add_custom_scalars_marginchart(["a", "b"]), ValueError, "tags"),
        (lambda w: w.add_custom_scalars_marginchart("abc"), TypeError, "tags"),
        (lambda w: w.add_custom_scalars_multilinechart([1, 2]), TypeError, "untitled"),
        (
            lambda w: w.add_custom_scalars({"c": {"t": ["Margin", ["a"]]}}),
            ValueError,
            r"layout\[.c.\]\[.t.\]: a margin",
        ),
        (lambda w: w.add_custom_scalars({"c": {"t": "Margin"}}), TypeError, r"layout\['c'\]"),
        (lambda w: w.add_custom_scalars({"c": ["t"]}), TypeError, r"layout\['c'\]"),
        (lambda w: w.add_custom_scalars([("c", {})]), TypeError, "layout"),
    ],
)
def test_bad_layouts(logdir, call, error, match):
    with turboboard.SummaryWriter(logdir) as w, pytest.raises(error, match=match):
        call(w)
