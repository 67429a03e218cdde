"""Property tests (hypothesis): random events round-trip through turboboard's files unchanged,
and histograms of random arrays (extremes, every dtype) equal tensorboardX's."""

from __future__ import annotations

import itertools
import math
import os

import numpy as np
import pytest
import turboboard
from conftest import summary_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from tensorboardX.summary import histogram as tbx_histogram

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_dirs = itertools.count()
TENSORFLOW_EDGES = turboboard._core.default_bucket_limits()

steps = st.integers(-(2**63), 2**63 - 1)
walltimes = st.floats(allow_nan=False, allow_infinity=False)
# Text without lone surrogates (not UTF-8 encodable: refused, see test_bad_input).
texts = st.text(max_size=300)
scalar_event = st.tuples(
    st.just("scalar"), texts, st.floats(width=64), steps, walltimes
)  # fmt: skip
text_event = st.tuples(st.just("text"), texts, texts, steps, walltimes)
events = st.lists(st.one_of(scalar_event, text_event), min_size=1, max_size=30)


def _fresh_dir(tmp_path) -> str:
    return str(tmp_path / f"run{next(_dirs)}")


@SETTINGS
@given(events=events)
def test_events_round_trip_unchanged(tmp_path, events):
    logdir = _fresh_dir(tmp_path)
    with turboboard.SummaryWriter(logdir) as w:
        for kind, tag, value, step, walltime in events:
            if kind == "scalar":
                w.add_scalar(tag, value, step, walltime=walltime)
            else:
                w.add_text(tag, value, step, walltime=walltime)
    read = summary_events(logdir)
    assert len(read) == len(events)
    for (kind, tag, value, step, walltime), event in zip(events, read):
        (v,) = event.summary.value
        assert (event.step, event.wall_time) == (step, walltime)
        if kind == "scalar":
            assert v.tag == tag
            expected = np.float32(value)  # simple_value is a float32, as in tensorboardX
            assert v.simple_value == expected or (math.isnan(v.simple_value) and np.isnan(expected))
        else:
            assert v.tag == f"{tag}/text_summary"
            assert [s.decode() for s in v.tensor.string_val] == [value]


DTYPES = [
    np.float16, np.float32, np.float64, np.bool_,
    np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
]  # fmt: skip


@st.composite
def arrays(draw):
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    elements = None
    if dtype.kind == "f":
        # Everything a float can be, with the extremes drawn often.
        extremes = [np.nan, np.inf, -np.inf, 0.0, -0.0, np.finfo(dtype).max, np.finfo(dtype).min]
        extremes += [np.finfo(dtype).smallest_subnormal, np.finfo(dtype).tiny]
        elements = st.one_of(
            hnp.from_dtype(dtype, allow_nan=True, allow_infinity=True, allow_subnormal=True),
            st.sampled_from(extremes).map(dtype.type),
        )
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=40))
    return draw(hnp.arrays(dtype, shape, elements=elements))


@SETTINGS
@given(values=arrays(), bins=st.one_of(st.just("tensorflow"), st.integers(1, 60)))
def test_histogram_equals_tensorboardx(tmp_path, values, bins):
    tbx_bins = TENSORFLOW_EDGES if bins == "tensorflow" else bins  # as tbx's add_histogram
    try:
        expected = tbx_histogram("h", values, tbx_bins).value[0].histo
    except ValueError:
        expected = None  # nothing to bin into (NaN or inf only, or an infinite range)
    logdir = _fresh_dir(tmp_path)
    with turboboard.SummaryWriter(logdir) as w:
        if expected is None:
            with pytest.raises(ValueError):
                w.add_histogram("h", values, 0, bins=bins)
            return
        w.add_histogram("h", values, 0, bins=bins)
    (event,) = summary_events(logdir)
    got = event.summary.value[0].histo
    assert list(got.bucket_limit) == list(expected.bucket_limit)
    assert list(got.bucket) == list(expected.bucket)
    for field in ("min", "max", "num", "sum"):
        assert getattr(got, field) == pytest.approx(getattr(expected, field), nan_ok=True, rel=0)
    # sum_squares is a BLAS dot product in tensorboardX: equal to rounding.
    assert got.sum_squares == pytest.approx(expected.sum_squares, nan_ok=True, rel=1e-12)
    assert os.listdir(logdir)
