"""Every public method of tensorboardX's and torch's SummaryWriter exists on turboboard's with
the same parameters (names, order, defaults), except the differences listed here on purpose."""

import inspect

import pytest
import tensorboardX
import turboboard
from torch.utils.tensorboard import SummaryWriter as TorchSummaryWriter

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
    "display_name and summary_description: pass them by keyword",
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


@pytest.mark.parametrize("anchor, name", CASES)
def test_signature_matches_anchor(anchor, name):
    theirs = public_methods(ANCHORS[anchor])[name]
    ours_method = getattr(turboboard.SummaryWriter, name, None)
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
