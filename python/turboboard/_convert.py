"""Turn what users log (torch tensors, numpy arrays and scalars, lists, Python numbers) into
numpy arrays and Python numbers for the Rust core, without copying where numpy allows."""

from __future__ import annotations

import numbers
import operator
from collections.abc import Mapping
from typing import Any, Optional

import numpy as np

_NUMERIC_KINDS = frozenset("biuf")

# A global step as the writers' methods take it; None is the default (0, or use_metadata's).
Step = Optional[int]


def _is_torch(x: Any) -> bool:
    # Checked by module name so that torch is never imported here.
    return type(x).__module__.startswith("torch") and hasattr(x, "detach")


def to_numpy(x: Any, arg: str) -> np.ndarray:
    """``x`` as a numpy array of numbers or booleans; ``TypeError`` naming ``arg`` otherwise."""
    if isinstance(x, np.ndarray):
        array = x
    elif _is_torch(x):
        tensor = x.detach()
        if str(tensor.dtype) == "torch.bfloat16":
            # numpy has no bfloat16; float32 holds every bfloat16 value exactly.
            tensor = tensor.float()
        array = tensor.cpu().numpy()
    elif isinstance(x, (str, bytes)):
        raise TypeError(f"{arg}: expected an array or tensor of numbers, got {type(x).__name__}")
    else:
        try:
            array = np.asarray(x)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{arg}: expected an array or tensor of numbers: {e}") from None
    if array.dtype.kind in _NUMERIC_KINDS:
        return array
    if array.dtype.kind == "O" and all(isinstance(v, numbers.Real) for v in array.flat):
        # Numbers held as Python objects, which both anchors take (None is not one: numpy
        # would make it NaN).
        try:
            return array.astype(np.float64)
        except OverflowError:
            raise ValueError(f"{arg}: a number too large for a float") from None
    raise TypeError(f"{arg}: expected numbers or booleans, got an array of dtype {array.dtype}")


def scalar(x: Any, arg: str) -> float:
    """``x`` (a number, or an array or tensor holding exactly one) as a Python float."""
    if isinstance(x, numbers.Real) and not isinstance(x, np.ndarray):
        try:
            return float(x)
        except OverflowError:
            raise ValueError(f"{arg}: {x!r} is too large for a float") from None
    if _is_torch(x):
        _check_one_real(x, arg)
        return float(x.item())
    array = to_numpy(x, arg)
    if array.size != 1:
        raise ValueError(f"{arg}: expected a single value, got an array of shape {array.shape}")
    return float(array.reshape(()))


def _check_one_real(tensor: Any, arg: str) -> None:
    if tensor.numel() != 1:
        raise ValueError(
            f"{arg}: expected a single value, got a tensor of shape {tuple(tensor.shape)}"
        )
    if tensor.is_complex():
        raise TypeError(f"{arg}: expected a real number, got a complex tensor")


def scalars(tag_scalar_dict: Mapping[str, Any], arg: str) -> tuple[list[str], list[float]]:
    """The tags and values of ``tag_scalar_dict``, each value as ``scalar`` makes it, except
    that one-element torch tensors on an accelerator are copied to the host together, one copy
    per device: ``.item()`` on each would wait for the device (everything queued on it so far)
    once per value."""
    tags = list(tag_scalar_dict)
    values: list[float] = []
    on_device: dict[Any, list[int]] = {}
    for tag, x in tag_scalar_dict.items():
        if type(tag) is not str:
            raise TypeError(f"{arg}: expected string keys (tags), got {type(tag).__name__}")
        if type(x) is float:
            values.append(x)
        elif _is_torch(x) and not x.is_cpu:
            _check_one_real(x, f"{arg}[{tag!r}]")
            on_device.setdefault(x.device, []).append(len(values))
            values.append(0.0)
        else:
            try:
                values.append(scalar(x, arg))
            except (TypeError, ValueError):
                # Again, to name the key: formatting it for every value would cost more.
                values.append(scalar(x, f"{arg}[{tag!r}]"))
    if on_device:
        items = list(tag_scalar_dict.values())
        for indices in on_device.values():
            for i, value in zip(indices, to_host([items[i] for i in indices])):
                values[i] = value
    return tags, values


def to_host(tensors: list[Any]) -> list[float]:
    """One-element tensors, all on one device, as Python floats, with a single copy to the host
    (one device sync). Tensors of one dtype are stacked, then widened to float64 on the device,
    which holds every value ``float(t.item())`` gives."""
    import torch

    by_dtype: dict[Any, list[int]] = {}
    for i, t in enumerate(tensors):
        by_dtype.setdefault(t.dtype, []).append(i)
    stacked = [
        torch.stack([tensors[i].detach().reshape(()) for i in indices]).to(torch.float64)
        for indices in by_dtype.values()
    ]
    host = torch.cat(stacked).cpu().tolist()
    values = [0.0] * len(tensors)
    order = (i for indices in by_dtype.values() for i in indices)
    for i, value in zip(order, host):
        values[i] = value
    return values


_INT64 = range(-(1 << 63), 1 << 63)


def step(x: Any, arg: str = "global_step") -> int:
    """A step as a Python int, as tensorboardX's ``int(global_step)``."""
    if type(x) is int and x in _INT64:
        return x
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{arg}: expected an integer, got {type(x).__name__}")
    try:
        value = int(x)
    except (TypeError, ValueError, OverflowError) as e:
        raise TypeError(f"{arg}: expected an integer: {e}") from None
    if value not in _INT64:
        raise ValueError(f"{arg}: expected an integer that fits in 64 bits, got {x!r}")
    return value


def count(x: Any, arg: str, minimum: int = 0, limit: int = 1 << 63) -> int:
    """An integer argument the core takes unsigned, as a Python int. Below ``minimum`` or from
    ``limit`` on it is refused here: the binding would raise ``OverflowError``, which
    ``except ValueError`` misses. The core's own rules (most refuse 0) are checked there."""
    if isinstance(x, bool):  # PyO3 would take it as 0 or 1
        raise TypeError(f"{arg}: expected an integer, got bool")
    try:
        value = operator.index(x)
    except TypeError:
        raise TypeError(f"{arg}: expected an integer, got {type(x).__name__}") from None
    if value < minimum:
        raise ValueError(f"{arg}: expected an integer of at least {minimum}, got {value}")
    if value >= limit:
        raise ValueError(f"{arg}: expected an integer below {limit}, got {value}")
    return value
