"""Comparing plugin events across writers where the anchors leave no choice: wall times they
stamp themselves (custom scalars and hparams take no ``walltime``), and hparams contents, whose
protobuf maps each writer serializes in its own order."""

from __future__ import annotations

from conftest import summary_events
from tensorboard.compat.proto import event_pb2
from tensorboard.plugins.hparams import plugin_data_pb2


def comparable(event: event_pb2.Event) -> event_pb2.Event:
    """A copy of ``event`` without its wall time, with hparams contents re-serialized with
    sorted maps."""
    copy = event_pb2.Event()
    copy.CopyFrom(event)
    copy.wall_time = 0
    for value in copy.summary.value:
        plugin_data = value.metadata.plugin_data
        if plugin_data.plugin_name == "hparams":
            content = plugin_data_pb2.HParamsPluginData.FromString(plugin_data.content)
            plugin_data.content = content.SerializeToString(deterministic=True)
    return copy


def assert_same_runs(ours: str, theirs: str, anchor: str) -> list[event_pb2.Event]:
    """Asserts the summary events of the runs in directories ``ours`` and ``theirs`` are the
    same but for wall times and map order; returns ours."""
    mine, other = summary_events(ours), summary_events(theirs)
    assert mine, "no summary written: the comparison proves nothing"
    assert [comparable(e) for e in mine] == [comparable(e) for e in other], (
        f"\nturboboard: {mine}\n{anchor}: {other}"
    )
    return mine
