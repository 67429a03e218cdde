"""The classic example: a small CNN learns handwritten digits, logged with turboboard.

The data is scikit-learn's digits (1,797 8x8 images that ship inside the package, so nothing is
downloaded), upscaled to 28x28. One run fills every TensorBoard dashboard: the model's graph,
loss and accuracy (and a custom multiline loss chart), weight and gradient histograms, sample
inputs, the projector's view of the learned features and a 3-D point cloud of them, a confusion
matrix drawn with matplotlib, per-class PR curves, a video and an audio clip made from inputs,
a text note and the run's hyperparameters with its final metrics. It then reads the run's scalars
back (``turboboard.read_scalars``), prints the last value of each, and prints the command that
opens the run in TensorBoard beside the others under its parent directory (``runs/``).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import time
from datetime import datetime

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
import turboboard
from sklearn.datasets import load_digits
from torch import nn
from turboboard import SummaryWriter


def load_data(seed: int) -> tuple[torch.Tensor, ...]:
    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
    images = F.interpolate(images, size=(28, 28), mode="bilinear", align_corners=False)
    labels = torch.tensor(digits.target)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    split = int(0.8 * len(labels))
    train, val = order[:split], order[split:]
    return images[train], labels[train], images[val], labels[val]


class DigitNet(nn.Module):
    """Two convolutions, two linear layers."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The penultimate layer: what the classifier separates."""
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.relu(self.fc1(x.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.features(x))


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    with torch.no_grad():
        return (model(images).argmax(1) == labels).float().mean().item()


def confusion_figure(labels: torch.Tensor, predicted: torch.Tensor) -> plt.Figure:
    """A heatmap of how often each digit (row) was predicted as each other (column)."""
    matrix = np.zeros((10, 10), dtype=int)
    np.add.at(matrix, (labels.numpy(), predicted.numpy()), 1)
    figure, axes = plt.subplots(figsize=(5, 5))
    axes.imshow(matrix, cmap="Blues")
    for (row, col), count in np.ndenumerate(matrix):
        if count:
            color = "white" if count > matrix.max() / 2 else "black"
            axes.text(col, row, count, ha="center", va="center", color=color, fontsize=8)
    axes.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true digit")
    axes.set_title("Validation confusion matrix")
    figure.tight_layout()
    return figure


def sonify(image: torch.Tensor, sample_rate: int, seconds: float) -> torch.Tensor:
    """The image as a spectrogram: each row is a tone (top row highest), each column a moment."""
    rows = image.squeeze(0).flip(0)
    frequencies = torch.linspace(300.0, 3000.0, rows.shape[0]).unsqueeze(1)
    t = torch.arange(int(sample_rate * seconds)) / sample_rate
    columns = (t / seconds * rows.shape[1]).long().clamp(max=rows.shape[1] - 1)
    wave = (rows[:, columns] * torch.sin(2 * torch.pi * frequencies * t)).sum(0)
    return wave / wave.abs().max().clamp(min=1e-6)


def log_results(writer: SummaryWriter, model: DigitNet, val_x, val_y, step: int) -> None:
    """What a finished model looks like: its features (in the projector and as a point cloud),
    mistakes, confusion matrix and PR curves."""
    with torch.no_grad():
        features = model.features(val_x)
        probabilities = F.softmax(model.fc2(features), dim=1)
    # The projector shows how the learned features cluster the digits.
    writer.add_embedding(
        features, metadata=val_y.tolist(), label_img=val_x, global_step=step, tag="features"
    )
    predicted = probabilities.argmax(1)
    mistakes = (predicted != val_y).nonzero().flatten()[:16]
    if len(mistakes):
        writer.add_images("inputs/val_mistakes", val_x[mistakes], step)
    writer.add_figure("confusion_matrix", confusion_figure(val_y, predicted), step)
    for digit in range(10):
        writer.add_pr_curve(
            f"pr_curve/digit_{digit}", val_y == digit, probabilities[:, digit], step
        )
    # The features' three principal directions as a point cloud, coloured by digit.
    centered = features - features.mean(0)
    points = centered @ torch.linalg.svd(centered, full_matrices=False).Vh[:3].T
    colors = (plt.get_cmap("tab10")(val_y.numpy())[:, :3] * 255).astype(np.uint8)
    writer.add_mesh("features_3d", points[None], colors[None], global_step=step)
    # Four videos of sixteen validation digits each, four frames a second.
    writer.add_video("inputs/video", val_x[:64].reshape(4, 16, 1, 28, 28), step, fps=4)
    writer.add_audio("inputs/sonified", sonify(val_x[0], 16000, 2.0), step, sample_rate=16000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--logdir",
        default=f"runs/digits-{datetime.now():%Y%m%d-%H%M%S}",
        help="a local directory, or a URL such as s3://bucket/runs/digits (configured by the "
        "usual environment variables: AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...)",
    )
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    train_x, train_y, val_x, val_y = load_data(args.seed)
    model = DigitNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    started = time.time()

    with SummaryWriter(args.logdir) as writer:
        writer.add_custom_scalars_multilinechart(
            ["loss/train", "loss/val"], "loss", "train and val"
        )
        writer.add_images("inputs/train_samples", train_x[:32], 0)
        writer.add_graph(model, train_x[:1])
        step = 0
        for epoch in range(args.epochs):
            model.train()
            order = torch.randperm(len(train_y))
            for start in range(0, len(order), args.batch_size):
                batch = order[start : start + args.batch_size]
                loss = F.cross_entropy(model(train_x[batch]), train_y[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                writer.add_scalar("loss/train", loss, step)
                step += 1

            model.eval()
            with torch.no_grad():
                val_loss = F.cross_entropy(model(val_x), val_y).item()
            train_acc, val_acc = accuracy(model, train_x, train_y), accuracy(model, val_x, val_y)
            writer.add_scalar("loss/val", val_loss, step)
            writer.add_scalars("accuracy", {"train": train_acc, "val": val_acc}, epoch)
            for name, param in model.named_parameters():
                writer.add_histogram(f"weights/{name}", param, epoch)
                writer.add_histogram(f"gradients/{name}", param.grad, epoch)
            print(
                f"epoch {epoch + 1}/{args.epochs}: val loss {val_loss:.3f}, val acc {val_acc:.1%}"
            )

        log_results(writer, model, val_x, val_y, step)
        writer.add_text(
            "notes",
            f"**DigitNet** on scikit-learn digits (28x28), {args.epochs} epochs, Adam lr={args.lr},"
            f" batch {args.batch_size}.\n\nFinal validation accuracy: **{val_acc:.1%}**"
            f" after {time.time() - started:.1f} s.",
            step,
        )
        writer.add_hparams(
            {
                "lr": args.lr,
                "batch_size": args.batch_size,
                "epochs": args.epochs,
                "seed": args.seed,
            },
            {"hparam/val_accuracy": val_acc, "hparam/val_loss": val_loss},
            name="hparams",
            global_step=step,
        )

    print_read_back(args.logdir)
    if "://" in args.logdir:
        runs = args.logdir.rstrip("/").rsplit("/", 1)[0]
        print(
            f"\nWrote {args.logdir}. Open it, beside the other runs in {runs}, with:\n\n"
            f"    {tensorboard_command(runs)}\n\n(TensorBoard reads s3:// through boto3, with "
            "S3_ENDPOINT for a server of your own), then browse to http://localhost:6006"
        )
        return
    runs = os.path.dirname(os.path.abspath(args.logdir))
    print(
        f"\nWrote {args.logdir}. Open it, beside the other runs in {runs}, with:\n\n"
        f"    {tensorboard_command(runs)}\n\nthen browse to http://localhost:6006"
    )


def print_read_back(logdir: str) -> None:
    """The run's scalars read back (``turboboard.read_scalars``): rows and last value of each."""
    table = turboboard.read_scalars(logdir)
    last: dict[tuple[str, str], tuple[int, int, float]] = {}
    columns = (table.column(name) for name in ("run", "tag", "step", "value"))
    for run, tag, step, value in zip(*columns):
        rows = last.get((run, tag), (0, 0, 0.0))[0]
        last[run, tag] = (rows + 1, int(step), float(value))
    print(f"\nRead back with turboboard.read_scalars({logdir!r}): {table.num_rows} scalars")
    print(f"    {'run':<16} {'tag':<24} {'rows':>5} {'last step':>9} {'last value':>10}")
    for (run, tag), (rows, step, value) in sorted(last.items()):
        print(f"    {run:<16} {tag:<24} {rows:>5} {step:>9} {value:>10.4f}")


def tensorboard_command(logdir: str) -> str:
    """A shell command that serves ``logdir`` from any directory and any shell: TensorBoard is
    installed in this interpreter's environment, which a new shell has not activated."""
    binary = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    if not os.access(binary, os.X_OK):
        binary = shutil.which("tensorboard") or ""
    if os.path.isabs(binary):
        command = [binary]
    else:  # TensorBoard installed beside this interpreter's packages, but not as a script
        command = [sys.executable, "-m", "tensorboard.main"]
    command += ["--logdir", logdir]
    return subprocess.list2cmdline(command) if os.name == "nt" else shlex.join(command)


if __name__ == "__main__":
    main()
