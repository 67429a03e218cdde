"""add_hparams: the hparams plugin's three summaries and the metrics, in a sub-run, as
tensorboardX writes them (and torch, for hparam_domain_discrete and run_name); compared as
parsed messages, since each writer orders the hparams map its own way."""

import os

import numpy as np
import pytest
import torch
import turboboard
from conftest import accumulate, summary_events, write_with
from plugin_events import assert_same_runs
from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2


def relu():
    pass


HPARAMS = {
    "lr": 0.001,
    "batch": 32,
    "optimizer": "adam",
    "nesterov": True,
    "dropout": np.float64(0.5),
    "skipped": None,
    "activation": relu,
    "layers": [64, 32],  # no type the plugin shows: listed without a value
    "ünïcödé name": "välue",
}
METRICS = {"hparam/accuracy": 0.9, "hparam/loss": np.float32(0.25), "hparam/count": 7}


def contents(events) -> dict:
    """The hparams plugin data of each hparams summary, by tag."""
    out = {}
    for event in events:
        for value in event.summary.value:
            if value.metadata.plugin_data.plugin_name == "hparams":
                data = value.metadata.plugin_data.content
                out[value.tag] = plugin_data_pb2.HParamsPluginData.FromString(data)
    return out


@pytest.mark.parametrize("global_step", [None, 5])
def test_hparams_match_tensorboardx(tmp_path, global_step):
    calls = lambda w: w.add_hparams(HPARAMS, METRICS, "trial", global_step)  # noqa: E731
    ours = write_with("turboboard", str(tmp_path / "ours"), calls)
    theirs = write_with("tensorboardX", str(tmp_path / "theirs"), calls)
    events = assert_same_runs(f"{ours}/trial", f"{theirs}/trial", "tensorboardX")
    assert [e.step for e in events] == [0, 0, 0] + [global_step or 0] * len(METRICS)
    assert summary_events(ours) == summary_events(theirs) == []
    start = contents(events)["_hparams_/session_start_info"].session_start_info
    assert start.hparams["nesterov"].bool_value is True
    assert start.hparams["activation"].string_value == "relu"
    assert "skipped" not in start.hparams and "layers" not in start.hparams


def test_domains_and_run_name_match_torch(tmp_path):
    hparams = {"lr": 0.1, "batch": 32, "optimizer": "sgd", "off": None}
    domains = {"lr": [0.1, 0.01], "batch": [16, 32], "optimizer": ["adam", "sgd"]}

    def calls(w):
        w.add_hparams(hparams, METRICS, hparam_domain_discrete=domains, run_name="r1")

    ours = write_with("turboboard", str(tmp_path / "ours"), calls)
    theirs = write_with("torch", str(tmp_path / "theirs"), calls)
    events = assert_same_runs(f"{ours}/r1", f"{theirs}/r1", "torch")
    infos = contents(events)["_hparams_/experiment"].experiment.hparam_infos
    read = [[v.string_value or v.number_value for v in i.domain_discrete.values] for i in infos]
    assert read == [[0.1, 0.01], [16, 32], ["adam", "sgd"]]


def test_values_are_typed_for_the_plugin(tmp_path):
    hparams = {
        "flag": True,
        "np_flag": np.bool_(False),
        "f32": np.float32(0.5),
        "i64": np.int64(3),
        "tensor": torch.tensor(0.25),
        "tensor1": torch.tensor([2]),
        "array": np.array([1.5]),
    }
    logdir = str(tmp_path)
    with turboboard.SummaryWriter(logdir) as w:
        domains = {"flag": [True, False]}
        w.add_hparams(hparams, {"m": 1.0}, name="typed", hparam_domain_discrete=domains)
    data = contents(summary_events(f"{logdir}/typed"))
    start = data["_hparams_/session_start_info"].session_start_info.hparams
    assert start["flag"].WhichOneof("kind") == "bool_value" and start["flag"].bool_value
    assert start["np_flag"].WhichOneof("kind") == "bool_value"
    numbers = {k: start[k].number_value for k in ("f32", "i64", "tensor", "tensor1", "array")}
    assert numbers == {"f32": 0.5, "i64": 3.0, "tensor": 0.25, "tensor1": 2.0, "array": 1.5}
    infos = {i.name: i for i in data["_hparams_/experiment"].experiment.hparam_infos}
    assert infos["flag"].type == api_pb2.DATA_TYPE_BOOL
    assert [v.bool_value for v in infos["flag"].domain_discrete.values] == [True, False]
    assert infos["f32"].type == api_pb2.DATA_TYPE_FLOAT64


def test_metrics_are_scalars_of_the_run(tmp_path):
    logdir = str(tmp_path)
    with turboboard.SummaryWriter(logdir) as w:
        w.add_hparams({"lr": 0.1}, {"hparam/acc": 0.75}, "run", global_step=3)
    acc = accumulate(f"{logdir}/run")
    (point,) = acc.Scalars("hparam/acc")
    assert (point.step, point.value) == (3, 0.75)


def test_default_run_name_is_the_time(tmp_path):
    logdir = str(tmp_path)
    with turboboard.SummaryWriter(logdir) as w:
        w.add_hparams({"lr": 0.1}, {"m": 1.0})
    (run,) = [d for d in os.listdir(logdir) if os.path.isdir(os.path.join(logdir, d))]
    assert abs(float(run) - os.path.getmtime(os.path.join(logdir, run))) < 60


def test_nothing_is_written_without_disk(tmp_path):
    w = turboboard.SummaryWriter(str(tmp_path / "run"), write_to_disk=False)
    w.add_hparams({"lr": 0.1}, {"m": 1.0}, "trial")
    w.close()
    assert list(tmp_path.iterdir()) == []


def test_nested_names_stay_inside(tmp_path):
    logdir = str(tmp_path)
    with turboboard.SummaryWriter(logdir) as w:
        w.add_hparams({"lr": 0.1}, {"m": 1.0}, "group/trial")
        for name in ("../escape", "a/../../b"):
            with pytest.raises(ValueError, match="name"):
                w.add_hparams({"lr": 0.1}, {"m": 1.0}, name)
        with pytest.raises(ValueError, match="run_name"):
            w.add_hparams({"lr": 0.1}, {"m": 1.0}, run_name="..")
    assert summary_events(f"{logdir}/group/trial")
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == ["group"]


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        (([("lr", 0.1)], {}), {}, TypeError, "hparam_dict"),
        (({}, [0.5]), {}, TypeError, "metric_dict"),
        (({}, {"m": "high"}), {}, TypeError, "metric_dict"),
        (({"lr": torch.ones(2)}, {}), {}, ValueError, "hparam_dict"),
        (({"lr": 0.1}, {}), {"hparam_domain_discrete": {"lr": [1]}}, TypeError, "domain"),
        (({"lr": 0.1}, {}), {"hparam_domain_discrete": {"x": [1.0]}}, TypeError, "domain"),
        (({"lr": 0.1}, {}), {"name": "a", "run_name": "b"}, ValueError, "run_name"),
        # torch's positional order: (hparam_dict, metric_dict, hparam_domain_discrete, run_name).
        (({"lr": 0.1}, {}, {"lr": [0.1]}), {}, TypeError, "hparam_domain_discrete"),
        (({"lr": 0.1}, {}, None, "run"), {}, TypeError, "run_name"),
    ],
)
def test_bad_hparams(tmp_path, args, kwargs, error, match):
    with turboboard.SummaryWriter(str(tmp_path)) as w, pytest.raises(error, match=match):
        w.add_hparams(*args, **kwargs)
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == []
