"""add_text: the same tensor events as tensorboardX and torch, readable by the text plugin."""

import pytest
import turboboard
from conftest import accumulate, assert_same_events

WALL = 1_700_000_000.0


@pytest.mark.parametrize("anchor", ["tensorboardX", "torch"])
@pytest.mark.parametrize(
    "text", ["hello", "", "**markdown** | table |\n|---|---|", "ünïcödé ✓ 日本", "x" * 100_000]
)
def test_text_matches_anchors(tmp_path, anchor, text):
    (event,) = assert_same_events(tmp_path, lambda w: w.add_text("notes", text, 2, WALL), anchor)
    value = event.summary.value[0]
    assert value.tag == "notes/text_summary"
    assert value.tensor.string_val[0].decode() == text


def test_text_plugin_reads_it(logdir):
    with turboboard.SummaryWriter(logdir) as w:
        w.add_text("notes", "first", 0)
        w.add_text("notes", "second", 1)
    acc = accumulate(logdir)
    assert acc.Tags()["tensors"] == ["notes/text_summary"]
    assert [t.step for t in acc.Tensors("notes/text_summary")] == [0, 1]
    assert acc.SummaryMetadata("notes/text_summary").plugin_data.plugin_name == "text"


def test_text_must_be_a_string(logdir):
    with turboboard.SummaryWriter(logdir) as w, pytest.raises(TypeError, match="text_string"):
        w.add_text("notes", b"bytes", 0)
