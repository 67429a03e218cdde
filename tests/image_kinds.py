"""Images as people log them, for the PNG size tests and the image benchmarks: a photograph,
a rendered plot, a segmentation mask and a float gradient (each 3 x H x W, CHW as a torch
tensor would be), beside uniform noise. Nothing is downloaded: the photograph is matplotlib's
own sample."""

from __future__ import annotations

import numpy as np


def photo() -> np.ndarray:
    """matplotlib's ``grace_hopper.jpg`` (600 x 512), decoded by Pillow, its top 512 rows."""
    from matplotlib.cbook import get_sample_data
    from PIL import Image

    with get_sample_data("grace_hopper.jpg") as f:
        pixels = np.asarray(Image.open(f).convert("RGB"))
    return np.ascontiguousarray(pixels[:512].transpose(2, 0, 1))


def plot() -> np.ndarray:
    """A 640 x 480 matplotlib line plot (three curves, legend, grid), rendered by Agg."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.8), dpi=100)
    axes = figure.subplots()
    x = np.linspace(0, 10, 500)
    for k in range(3):
        axes.plot(x, np.sin(x + k) * np.exp(-x / (5 + k)), label=f"run {k}")
    axes.set_xlabel("step")
    axes.set_ylabel("loss")
    axes.legend()
    axes.grid(True)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    rgb = np.asarray(canvas.buffer_rgba())[:, :, :3]
    return np.ascontiguousarray(rgb.transpose(2, 0, 1))


def mask() -> np.ndarray:
    """A 512 x 512 segmentation mask: background and three shapes, four colours."""
    y, x = np.mgrid[0:512, 0:512]
    labels = np.zeros((512, 512), np.uint8)
    labels[(x - 150) ** 2 + (y - 200) ** 2 < 90**2] = 1
    labels[(x > 280) & (x < 460) & (y > 60) & (y < 250)] = 2
    labels[np.abs(x - 330) + np.abs(y - 380) < 110] = 3
    colours = np.array([[0, 0, 0], [220, 20, 60], [0, 128, 255], [255, 215, 0]], np.uint8)
    return np.ascontiguousarray(colours[labels].transpose(2, 0, 1))


def gradient() -> np.ndarray:
    """A 512 x 512 float32 image in [0, 1]: horizontal, vertical and diagonal ramps."""
    y, x = np.mgrid[0:512, 0:512].astype(np.float32) / 511
    return np.stack([x, y, (x + y) / 2])


def noise() -> np.ndarray:
    """512 x 512 uniform random bytes: deflate cannot shrink them."""
    return np.random.default_rng(0).integers(0, 256, (3, 512, 512), dtype=np.uint8)


# The four kinds the size bound is over, then noise.
REAL = {"photo": photo, "plot": plot, "mask": mask, "gradient": gradient}
KINDS = {"noise": noise, **REAL}
