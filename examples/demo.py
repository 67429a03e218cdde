"""The classic example: a small CNN learns handwritten digits, logged with turboboard.

The data is scikit-learn's digits (1,797 8x8 images that ship inside the package, so nothing is
downloaded), upscaled to 28x28. The run logs loss and accuracy, weight and gradient histograms,
sample inputs and a text note, then prints how to open it in TensorBoard.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime

import torch
import torch.nn.functional as F
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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    with torch.no_grad():
        return (model(images).argmax(1) == labels).float().mean().item()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default=f"runs/digits-{datetime.now():%Y%m%d-%H%M%S}")
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
        writer.add_images("inputs/train_samples", train_x[:32], 0)
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

        mistakes = (model(val_x).argmax(1) != val_y).nonzero().flatten()[:16]
        if len(mistakes):
            writer.add_images("inputs/val_mistakes", val_x[mistakes], step)
        writer.add_text(
            "notes",
            f"**DigitNet** on scikit-learn digits (28x28), {args.epochs} epochs, Adam lr={args.lr},"
            f" batch {args.batch_size}.\n\nFinal validation accuracy: **{val_acc:.1%}**"
            f" after {time.time() - started:.1f} s.",
            step,
        )

    print(
        f"\nWrote {args.logdir}. Open it in TensorBoard with:\n\n"
        f"    tensorboard --logdir {args.logdir}\n\nthen browse to http://localhost:6006"
    )


if __name__ == "__main__":
    main()
