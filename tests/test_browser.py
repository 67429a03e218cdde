"""TensorBoard's own web frontend, in a real headless Chromium, shows the demo's run: every tag in
the files appears on the scalars, histograms, images and text dashboards, and each card renders
what was logged (a line through every point, an outline per histogram step, the decoded image at
its logged size, the Markdown as HTML). Each dashboard is saved as a PNG screenshot into
$TURBOBOARD_SCREENSHOTS (scripts/screenshots.sh makes the README's that way) or a temporary dir.

Chromium and chromedriver are Debian's (scripts/setup_browser.sh installs them)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.wait import WebDriverWait
from tensorboard.backend.event_processing import event_accumulator, event_multiplexer
from test_demo import DEMO
from test_tensorboard_server import get, serve

TIMEOUT = 60
VIEWPORT = {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False}

# TensorBoard's dashboards are Polymer elements: their cards sit inside nested shadow roots,
# which document.querySelectorAll does not enter. `deep(root, selector)` does.
DEEP = """
const deep = (root, selector) => {
    const found = [];
    const walk = (node) => {
        found.push(...node.querySelectorAll(selector));
        node.querySelectorAll("*").forEach((e) => e.shadowRoot && walk(e.shadowRoot));
    };
    walk(root.shadowRoot || root);
    return found;
};
const dashboard = document.querySelector(arguments[0]);
if (!dashboard || !dashboard.getClientRects().length) return null;
"""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    logdir = tmp_path_factory.mktemp("browser") / "digits"
    # Two epochs keep the test short; scripts/screenshots.sh asks for more.
    epochs = os.environ.get("TURBOBOARD_DEMO_EPOCHS", "2")
    result = subprocess.run(
        [sys.executable, DEMO, "--logdir", str(logdir), "--epochs", epochs],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return logdir


@pytest.fixture(scope="module")
def files(run_dir) -> event_multiplexer.EventMultiplexer:
    """What the run's files hold, read by TensorBoard's own reader."""
    multiplexer = event_multiplexer.EventMultiplexer(
        size_guidance=event_accumulator.STORE_EVERYTHING_SIZE_GUIDANCE
    )
    multiplexer.AddRunsFromDirectory(str(run_dir.parent)).Reload()
    return multiplexer


def runs_with(
    files: event_multiplexer.EventMultiplexer, kind: str, plugin: str | None = None
) -> dict[str, list[str]]:
    """The runs holding each tag of ``kind`` (an accumulator's name: "scalars", "tensors"...),
    only the tags of ``plugin`` if given (tensors serve several plugins)."""
    runs: dict[str, list[str]] = {}
    for run, tags in files.Runs().items():
        for tag in tags[kind]:
            if plugin and files.SummaryMetadata(run, tag).plugin_data.plugin_name != plugin:
                continue
            runs.setdefault(tag, []).append(run)
    return runs


# Each dashboard checked: its element, and the accumulator's name for the data it shows (and
# the plugin, for tensors).
DASHBOARDS = {
    "scalars": ("tf-scalar-dashboard", ("scalars",)),
    "histograms": ("tf-histogram-dashboard", ("histograms",)),
    "images": ("tf-image-dashboard", ("images",)),
    "text": ("tf-text-dashboard", ("tensors", "text")),
}


@pytest.fixture(scope="module")
def tensorboard(run_dir, files):
    def serves_every_tag(base: str) -> bool:
        return all(
            {tag for tags in get(base, f"/data/plugin/{plugin}/tags").values() for tag in tags}
            == runs_with(files, *kind).keys()
            for plugin, (_, kind) in DASHBOARDS.items()
        )

    # "auto" is TensorBoard's default: the Rust data server when it is installed.
    with serve(run_dir.parent, "auto", serves_every_tag) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.fail("Chromium and chromedriver are missing: run scripts/setup_browser.sh")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(arg)
    # With chromedriver's path given, Selenium Manager (which would download one) is skipped.
    driver = webdriver.Chrome(options=options, service=Service(chromedriver))
    try:
        driver.set_page_load_timeout(TIMEOUT)
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", VIEWPORT)
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    path = Path(os.environ.get("TURBOBOARD_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def wait_until(browser, plugin: str, script: str, want: Any, *args: Any) -> Any:
    """Runs ``script`` (with ``deep``, ``plugin``'s visible ``dashboard`` element and ``args`` as
    ``arguments[1:]`` in scope) until it returns ``want`` (a value, or a predicate of what it
    returns); on timeout the failure shows the page's last answer."""
    accept = want if callable(want) else want.__eq__
    last: list[Any] = [None]

    def accepted(driver) -> bool:
        last[0] = driver.execute_script(DEEP + script, DASHBOARDS[plugin][0], *args)
        return last[0] is not None and accept(last[0])

    try:
        WebDriverWait(browser, TIMEOUT, poll_frequency=0.25).until(accepted)
        return last[0]
    except TimeoutException:
        pass
    wanted = "" if callable(want) else f"\nwanted:    {want!r}"
    pytest.fail(f"the {plugin} dashboard showed:\n{last[0]!r}{wanted}")


def show(browser, base: str, plugin: str, card: str, rendered: str, want: Any) -> None:
    """Opens ``plugin``'s dashboard and waits until it shows ``want``: a map from the tag of each
    visible ``card`` element to ``rendered``, a JS expression of ``card``."""
    browser.get(f"{base}/#{plugin}")
    # TensorBoard opens only the first categories of tags; open them all.
    script = f"""deep(dashboard, "tf-category-paginated-view").forEach((v) => (v.opened = true));
    return Object.fromEntries(deep(dashboard, "{card}")
        .filter((card) => card.getClientRects().length)
        .map((card) => [card.tag, {rendered}]));"""
    wait_until(browser, plugin, script, want)


def test_scalars_draw_a_line_through_every_point(browser, tensorboard, files, screenshots):
    # A chart has a line per run (add_scalars' runs share one chart), in the run's colour.
    expected = {
        tag: sorted(len(files.Scalars(run, tag)) for run in runs)
        for tag, runs in runs_with(files, "scalars").items()
    }
    assert {"loss/train", "loss/val", "accuracy"} <= expected.keys()
    points_per_colour = """Object.values(deep(card, "path.line").reduce((points, line) => {
            const colour = getComputedStyle(line).stroke, d = line.getAttribute("d");
            if (d && colour !== "none")
                points[colour] = Math.max(points[colour] || 0, d.split("L").length);
            return points;
        }, {})).sort((a, b) => a - b)"""
    show(browser, tensorboard, "scalars", "tf-scalar-card", points_per_colour, expected)
    browser.save_screenshot(str(screenshots / "scalars.png"))


def test_histograms_draw_an_outline_per_step(browser, tensorboard, files, screenshots):
    expected = {
        tag: len(files.Histograms(run, tag))
        for tag, (run,) in runs_with(files, "histograms").items()
    }
    assert {"weights/conv1.weight", "gradients/fc2.bias"} <= expected.keys()
    outlines = 'deep(card, "path.outline").filter((outline) => outline.getAttribute("d")).length'
    show(browser, tensorboard, "histograms", "tf-histogram-loader", outlines, expected)
    browser.save_screenshot(str(screenshots / "histograms.png"))


def test_images_load_at_their_logged_size(browser, tensorboard, files, screenshots):
    # Each card shows the tag's last step.
    last = {tag: files.Images(run, tag)[-1] for tag, (run,) in runs_with(files, "images").items()}
    expected = {tag: [image.width, image.height] for tag, image in last.items()}
    assert "inputs/train_samples" in expected
    size = """((img) => img && img.complete && [img.naturalWidth, img.naturalHeight])(
        deep(card, "img")[0])"""
    show(browser, tensorboard, "images", "tf-image-loader", size, expected)
    browser.save_screenshot(str(screenshots / "images.png"))


def test_text_renders_the_markdown(browser, tensorboard, files, screenshots):
    logged = {
        tag: files.Tensors(run, tag)[-1].tensor_proto.string_val[0].decode()
        for tag, (run,) in runs_with(files, "tensors", "text").items()
    }
    assert list(logged) == ["notes/text_summary"]

    def rendered(shown: dict[str, list]) -> bool:
        return shown.keys() == logged.keys() and all(
            bold == re.findall(r"\*\*(.+?)\*\*", logged[tag])
            and all(p.replace("**", "") in text for p in logged[tag].split("\n\n"))
            for tag, (text, bold) in shown.items()
        )

    html = """[deep(card, "#markdown").map((m) => m.innerText).join("\\n"),
        deep(card, "#markdown strong").map((b) => b.textContent)]"""
    show(browser, tensorboard, "text", "tf-text-loader", html, rendered)
    browser.save_screenshot(str(screenshots / "text.png"))


def test_tag_filter_selects_matching_histograms(browser, tensorboard, files):
    regex = "^weights/.*bias$"
    browser.get(f"{tensorboard}/#histograms")
    field = """return deep(dashboard, "paper-input")
        .find((p) => String(p.label).startsWith("Filter tags"))?.inputElement.inputElement;"""
    wait_until(browser, "histograms", field, bool).send_keys(regex)
    expected = sorted(tag for tag in runs_with(files, "histograms") if re.search(regex, tag))
    assert len(expected) == 4
    # The matches get a category of their own, named by the regex, above the others.
    matching = """return deep(dashboard, "tf-category-paginated-view")
        .map((view) => view.category).filter((c) => c && c.name === arguments[1])
        .map((c) => c.items.map((item) => item.tag).sort());"""
    wait_until(browser, "histograms", matching, [expected], regex)


def test_every_plugin_serves_the_demo(tensorboard, files):
    """Each dashboard's HTTP API serves the demo's run, which uses every kind of summary."""

    def tags(plugin: str) -> set[str]:
        return set(get(tensorboard, f"/data/plugin/{plugin}/tags").get("digits", {}))

    assert {"loss/train", "loss/val"} <= tags("scalars")
    assert "weights/fc1.weight" in tags("histograms")
    assert {"confusion_matrix", "inputs/video", "inputs/val_mistakes"} <= tags("images")
    assert tags("audio") == {"inputs/sonified"}
    assert tags("text") == {"notes/text_summary"}
    assert tags("pr_curves") == {f"pr_curve/digit_{d}" for d in range(10)}
    assert tags("mesh") == {"features_3d"}
    layout = get(tensorboard, "/data/plugin/custom_scalars/layout")
    assert layout["category"][0]["chart"][0]["multiline"]["tag"] == ["loss/train", "loss/val"]
    assert get(tensorboard, "/data/plugin/graphs/info")["digits"]["run_graph"]
    experiment = get(
        tensorboard, "/data/plugin/hparams/experiment", request='{"experimentName": ""}'
    )
    assert {h["name"] for h in experiment["hparamInfos"]} == {"lr", "batch_size", "epochs", "seed"}
    assert "digits" in get(tensorboard, "/data/plugin/projector/runs")
    (embedding,) = get(tensorboard, "/data/plugin/projector/info", run="digits")["embeddings"]
    assert embedding["tensorShape"] == [360, 64]
