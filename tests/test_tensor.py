"""add_tensor (torch's): the same TensorProto as torch for every dtype TensorBoard can read back
from torch, and the 16-bit and uint8 encodings TensorFlow defines where torch's cannot be."""

import numpy as np
import pytest
import torch
import turboboard
from conftest import accumulate, assert_same_events, summary_events, write_with
from tensorboard.compat.proto import types_pb2
from tensorboard.util import tensor_util
from torch.utils.tensorboard.summary import int_to_half

WALL = 1_700_000_000.0

TENSORS = {
    "float32": torch.tensor([[1.5, -2.25, 3.1]]),
    "float64": torch.arange(24, dtype=torch.float64).reshape(2, 3, 4) / 7,
    "scalar": torch.tensor(3.5),
    "int8": torch.tensor([-128, 0, 127], dtype=torch.int8),
    "int16": torch.tensor([-32768, 32767], dtype=torch.int16),
    "int32": torch.tensor([[-(2**31), 2**31 - 1]], dtype=torch.int32),
    "int64": torch.tensor([-(2**63), 2**63 - 1]),
    "bool": torch.tensor([[True, False], [False, True]]),
    "complex64": torch.tensor([1 + 2j, -3.5j], dtype=torch.complex64),
    "complex128": torch.tensor([[1 + 2j], [3 - 4j]], dtype=torch.complex128),
    "transposed": torch.arange(6, dtype=torch.float32).reshape(2, 3).t(),
    "empty": torch.zeros((0, 3)),
    "nan_inf": torch.tensor([float("nan"), float("inf"), -float("inf"), -0.0]),
}


@pytest.mark.parametrize("name", TENSORS)
def test_tensor_matches_torch(tmp_path, name):
    tensor = TENSORS[name]
    (event,) = assert_same_events(
        tmp_path, lambda w: w.add_tensor("t", tensor, 7, WALL), anchor="torch"
    )
    (value,) = event.summary.value
    assert value.metadata.plugin_data.plugin_name == "tensor"
    read = tensor_util.make_ndarray(value.tensor)
    np.testing.assert_array_equal(read, tensor.resolve_conj().numpy())


# torch writes float32 bit patterns into half_val for these, and uint8 into uint32_val: neither
# reads back in TensorBoard. turboboard writes what TensorFlow defines, with torch's dtype.
DIFFERENT = {
    "float16": (torch.tensor([1.0, -0.5, 65504.0, 6e-8], dtype=torch.half), types_pb2.DT_HALF),
    "bfloat16": (torch.tensor([[1.0, 3.140625], [-2e38, 0.0]], dtype=torch.bfloat16), 14),
    "uint8": (torch.tensor([0, 1, 255], dtype=torch.uint8), types_pb2.DT_UINT8),
}


@pytest.mark.parametrize("name", DIFFERENT)
def test_sixteen_bit_and_uint8_tensors_read_back(tmp_path, name):
    tensor, dtype = DIFFERENT[name]
    calls = lambda w: w.add_tensor("t", tensor, 1, WALL)  # noqa: E731
    (ours,) = summary_events(write_with("turboboard", str(tmp_path / "ours"), calls))
    (theirs,) = summary_events(write_with("torch", str(tmp_path / "torch"), calls))
    mine, other = ours.summary.value[0].tensor, theirs.summary.value[0].tensor
    assert mine.dtype == other.dtype == dtype
    assert mine.tensor_shape == other.tensor_shape
    expected = tensor.float().numpy()
    if name == "uint8":
        np.testing.assert_array_equal(tensor_util.make_ndarray(mine), tensor.numpy())
        assert list(other.uint32_val) == list(mine.int_val)
    else:
        # The 16-bit patterns, which TensorBoard's make_ndarray reads for DT_HALF.
        bits = tensor.contiguous().view(torch.int16).numpy().view(np.uint16).ravel()
        assert list(mine.half_val) == bits.tolist()
        torch_values = [int_to_half(v) for v in other.half_val]
        np.testing.assert_array_equal(torch_values, expected.ravel())
        if name == "float16":
            np.testing.assert_array_equal(tensor_util.make_ndarray(mine), tensor.numpy())


def test_numpy_arrays_write_what_their_torch_tensors_do(tmp_path):
    arrays = {
        "f16": np.array([1.0, 0.1], dtype=np.float16),
        "c64": np.array([[1 + 2j]], dtype=np.complex64),
        "f64": np.linspace(0, 1, 5)[::2],
        "u8": np.arange(4, dtype=np.uint8),
    }

    def with_numpy(w):
        for tag, array in arrays.items():
            w.add_tensor(tag, array, 0, WALL)

    def with_torch(w):
        for tag, array in arrays.items():
            w.add_tensor(tag, torch.from_numpy(np.ascontiguousarray(array)), 0, WALL)

    ours = summary_events(write_with("turboboard", str(tmp_path / "numpy"), with_numpy))
    same = summary_events(write_with("turboboard", str(tmp_path / "torch"), with_torch))
    assert ours == same


def test_fortran_order_and_conjugate_views_keep_their_values(logdir):
    # torch cannot write a lazily conjugated tensor; numpy's transpose is in Fortran order.
    conjugated = torch.tensor([1 + 2j, 3 - 1j]).conj()
    fortran = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    with turboboard.SummaryWriter(logdir) as w:
        w.add_tensor("conj", conjugated)
        w.add_tensor("fortran", fortran)
    conj, fort = (e.summary.value[0].tensor for e in summary_events(logdir))
    np.testing.assert_array_equal(tensor_util.make_ndarray(conj), [1 - 2j, 3 + 1j])
    np.testing.assert_array_equal(tensor_util.make_ndarray(fort), fortran)


def test_tensorboard_loads_tensors(logdir):
    with turboboard.SummaryWriter(logdir) as w:
        for step in range(3):
            w.add_tensor("weights", torch.full((2, 2), float(step)), step)
    acc = accumulate(logdir)
    assert [t.step for t in acc.Tensors("weights")] == [0, 1, 2]
    last = tensor_util.make_ndarray(acc.Tensors("weights")[-1].tensor_proto)
    np.testing.assert_array_equal(last, np.full((2, 2), 2.0, dtype=np.float32))


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch: complex32 and quantized dtypes
@pytest.mark.parametrize(
    "make",
    [
        lambda: torch.tensor([1 + 1j], dtype=torch.complex32),
        lambda: torch.quantize_per_tensor(torch.ones(2), 0.1, 0, torch.qint8),
        lambda: "text",
        lambda: np.array(["a"]),
        lambda: np.array([1.0], dtype=np.longdouble),
    ],
)
def test_bad_tensors(logdir, make):
    with turboboard.SummaryWriter(logdir) as w, pytest.raises(TypeError, match="tensor"):
        w.add_tensor("t", make())
