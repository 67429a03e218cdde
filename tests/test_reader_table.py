"""turboboard.Table's numpy columns: views of the table's memory where it is one batch (no copy,
read-only, valid after the table is dropped), copies joining the batches otherwise."""

from __future__ import annotations

import gc

import numpy as np
import pytest
import turboboard


def test_a_column_is_a_read_only_view_that_outlives_the_table(tmp_path):
    with turboboard.SummaryWriter(str(tmp_path)) as w:
        for step in range(1000):
            w.add_scalar("loss", step / 1000, step)
    table = turboboard.read_scalars(tmp_path)
    values, again = table.column("value"), table.column("value")
    assert np.shares_memory(values, again)  # both view the table's own column
    assert not values.flags.writeable
    with pytest.raises(ValueError):
        values[0] = 1.0
    del table, again
    gc.collect()
    np.testing.assert_array_equal(values, np.arange(1000, dtype=np.float32) / np.float32(1000))
    table = turboboard.read_scalars(tmp_path)
    frame = table.to_pandas()
    frame.loc[0, "value"] = 5.0  # pandas may write to its frame, never to the table's memory
    assert frame["value"][0] == 5.0
    assert table.column("value")[0] == 0.0


def test_self_destruct_gives_the_frame_the_tables_memory_and_empties_the_table(tmp_path):
    with turboboard.SummaryWriter(str(tmp_path)) as w:
        for step in range(1000):
            w.add_scalar("loss", step / 1000, step)
            w.add_scalar("lr", 0.1, step)
    expected = turboboard.read_scalars(tmp_path).to_pandas()
    table = turboboard.read_scalars(tmp_path)
    frame = table.to_pandas(self_destruct=True)
    pd = pytest.importorskip("pandas")
    pd.testing.assert_frame_equal(frame, expected)
    frame.loc[0, "step"] = 7  # the frame's arrays are its own and writable
    assert frame["step"][0] == 7
    for use in (lambda: len(table), lambda: table.column("step"), table.to_pandas):
        with pytest.raises(ValueError, match="self_destruct"):
            use()
    with pytest.raises(TypeError, match="self_destruct"):
        turboboard.read_scalars(tmp_path).to_pandas(self_destruct="yes")


def test_self_destruct_copies_what_a_view_still_shares(tmp_path):
    with turboboard.SummaryWriter(str(tmp_path)) as w:
        for step in range(100):
            w.add_scalar("loss", step, step)
    table = turboboard.read_scalars(tmp_path)
    steps = table.column("step")
    frame = table.to_pandas(self_destruct=True)
    frame["step"] *= 2
    frame.loc[1, "step"] = -1
    del table, frame
    gc.collect()
    np.testing.assert_array_equal(steps, np.arange(100))
