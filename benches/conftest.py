"""Each benchmark runs for turboboard, tensorboardX and torch.utils.tensorboard in one session,
so that `pytest benches/ --benchmark-group-by=group` prints them side by side."""

import importlib

import pytest

LIBRARIES = {
    "turboboard": "turboboard",
    "tensorboardX": "tensorboardX",
    "torch": "torch.utils.tensorboard",
}


@pytest.fixture(params=list(LIBRARIES))
def writer_class(request):
    return importlib.import_module(LIBRARIES[request.param]).SummaryWriter
