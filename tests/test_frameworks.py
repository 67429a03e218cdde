"""Training libraries that build their own writer log through turboboard under
``turboboard.patched()``: Hugging Face's Trainer (``report_to=["tensorboard"]``) and Lightning's
``TensorBoardLogger``. Each trains a tiny model made in the test (nothing downloaded) twice, with
turboboard and with torch's writer, and the two runs must read back the same."""

from __future__ import annotations

import json
import os

import pytest
import torch
import torch.utils.tensorboard
import turboboard
import turboboard.writer
from conftest import accumulate, event_files, summary_events
from tensorboard.compat.proto import event_pb2
from tensorboard.plugins.hparams import plugin_data_pb2

# Never reach the Hugging Face hub, even by accident.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

# Trainer's end-of-training metrics that measure this machine, not the run.
TIMINGS = {"train/train_runtime", "train/train_samples_per_second", "train/train_steps_per_second"}


def comparable(event: event_pb2.Event, tmp_path) -> event_pb2.Event:
    """``event`` without what differs between two runs of the same training: wall times,
    timings, and the run's own paths in Trainer's arguments."""
    copy = event_pb2.Event()
    copy.CopyFrom(event)
    copy.wall_time = 0
    for value in copy.summary.value:
        if value.tag in TIMINGS:
            value.simple_value = 0
        if value.tag == "args/text_summary":
            args = json.loads(value.tensor.string_val[0])
            kept = {k: v for k, v in args.items() if str(tmp_path) not in str(v)}
            value.tensor.string_val[0] = json.dumps(kept, sort_keys=True).encode()
    return copy


def assert_same_runs(ours: str, theirs: str, tmp_path) -> list[event_pb2.Event]:
    [_] = event_files(ours)  # one file, one writer
    mine, other = summary_events(ours), summary_events(theirs)
    assert [comparable(e, tmp_path) for e in mine] == [comparable(e, tmp_path) for e in other]
    return mine


def scalars(logdir: str, tag: str) -> list[tuple[int, float]]:
    return [(s.step, s.value) for s in accumulate(logdir).Scalars(tag)]


def train_with_trainer(output_dir: str, monkeypatch) -> object:
    """Four steps of a two-layer BERT (hidden size 16) on random tokens; returns the
    Trainer's TensorBoardCallback."""
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("accelerate")

    class Tokens(torch.utils.data.Dataset):
        def __init__(self) -> None:
            g = torch.Generator().manual_seed(0)
            self.ids = torch.randint(0, 50, (16, 8), generator=g)
            self.labels = torch.randint(0, 2, (16,), generator=g)

        def __len__(self) -> int:
            return len(self.ids)

        def __getitem__(self, i: int) -> dict:
            return {"input_ids": self.ids[i], "labels": self.labels[i]}

    monkeypatch.setenv("TENSORBOARD_LOGGING_DIR", os.path.join(output_dir, "tb"))
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=50,
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
        num_labels=2,
    )
    args = transformers.TrainingArguments(
        output_dir=output_dir,
        report_to=["tensorboard"],
        logging_steps=1,
        max_steps=4,
        per_device_train_batch_size=4,
        use_cpu=True,
        save_strategy="no",
        disable_tqdm=True,
        seed=0,
    )
    model = transformers.BertForSequenceClassification(config)
    trainer = transformers.Trainer(model=model, args=args, train_dataset=Tokens())
    trainer.train()
    [callback] = [
        c for c in trainer.callback_handler.callbacks if type(c).__name__ == "TensorBoardCallback"
    ]
    return callback


def test_hugging_face_trainer_logs_through_turboboard(tmp_path, monkeypatch):
    with turboboard.patched():
        ours = train_with_trainer(str(tmp_path / "turboboard"), monkeypatch)
    theirs = train_with_trainer(str(tmp_path / "torch"), monkeypatch)
    assert ours._SummaryWriter is turboboard.writer.PatchedSummaryWriter
    assert theirs._SummaryWriter is torch.utils.tensorboard.SummaryWriter
    assert not issubclass(theirs._SummaryWriter, turboboard.SummaryWriter)

    run = str(tmp_path / "turboboard" / "tb")
    events = assert_same_runs(run, str(tmp_path / "torch" / "tb"), tmp_path)
    assert [step for step, _ in scalars(run, "train/loss")] == [1, 2, 3, 4]
    assert [lr for _, lr in scalars(run, "train/learning_rate")] == pytest.approx(
        [5e-5, 3.75e-5, 2.5e-5, 1.25e-5]
    )
    texts = {
        v.tag: v.tensor.string_val[0]
        for e in events
        for v in e.summary.value
        if v.tag.endswith("/text_summary")
    }
    assert json.loads(texts["model_config/text_summary"])["hidden_size"] == 16
    assert json.loads(texts["args/text_summary"])["max_steps"] == 4


def fit_lightning(root: str) -> object:
    """Four steps of a small MLP whose hyperparameters Lightning logs; returns the logger."""
    lightning = pytest.importorskip("lightning")
    from lightning.pytorch.loggers import TensorBoardLogger

    class Model(lightning.LightningModule):
        def __init__(self, lr: float = 0.1, hidden: int = 8) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.net = torch.nn.Sequential(
                torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
            )

        def training_step(self, batch, batch_idx):
            x, y = batch
            loss = torch.nn.functional.mse_loss(self.net(x), y)
            self.log("train_loss", loss)
            return loss

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    lightning.seed_everything(0)
    g = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(
        torch.randn(32, 4, generator=g), torch.randn(32, 1, generator=g)
    )
    logger = TensorBoardLogger(root, name="lit", version=0)
    trainer = lightning.Trainer(
        max_steps=4,
        logger=logger,
        log_every_n_steps=1,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        devices=1,
    )
    trainer.fit(Model(), torch.utils.data.DataLoader(data, batch_size=8))
    return logger


def test_lightning_tensorboard_logger_logs_through_turboboard(tmp_path):
    with turboboard.patched():
        ours = fit_lightning(str(tmp_path / "turboboard"))
    theirs = fit_lightning(str(tmp_path / "torch"))
    assert isinstance(ours.experiment, turboboard.SummaryWriter)
    assert not isinstance(theirs.experiment, turboboard.SummaryWriter)

    events = assert_same_runs(ours.log_dir, theirs.log_dir, tmp_path)
    assert [step for step, _ in scalars(ours.log_dir, "train_loss")] == [0, 1, 2, 3]
    assert scalars(ours.log_dir, "hp_metric") == [(0, -1.0)]
    # log_hyperparams went through SummaryWriter._get_file_writer().add_summary().
    plugin = {
        v.tag: v.metadata.plugin_data
        for e in events
        for v in e.summary.value
        if v.metadata.plugin_data.plugin_name == "hparams"
    }
    start = plugin_data_pb2.HParamsPluginData.FromString(
        plugin["_hparams_/session_start_info"].content
    ).session_start_info
    assert {k: v.number_value for k, v in start.hparams.items()} == {"lr": 0.1, "hidden": 8.0}
    assert set(plugin) == {
        "_hparams_/experiment",
        "_hparams_/session_start_info",
        "_hparams_/session_end_info",
    }
