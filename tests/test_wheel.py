"""The distributions: each wheel holds the package, its types and the extension and nothing from
tests/; the sdist holds every file the build needs; under CI, turboboard is imported from the
installed wheel, not from the source tree.

scripts/test.sh (and the wheels workflow) pass the built distributions in TURBOBOARD_DIST; without
it, they are built here with maturin.
"""

import importlib.machinery
import os
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest
import turboboard
import turboboard._core

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "python" / "turboboard"
# What building the extension reads, besides the crates' own files.
SDIST_ROOT_FILES = ["Cargo.toml", "Cargo.lock", "pyproject.toml", "README.md"]
SDIST_TREES = ["python/turboboard", "rust/core", "rust/bindings"]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if "TURBOBOARD_DIST" in os.environ:
        return Path(os.environ["TURBOBOARD_DIST"])
    maturin = shutil.which("maturin")
    if maturin is None:
        pytest.skip("maturin is needed to build the distributions")
    out = tmp_path_factory.mktemp("dist")
    for command in (["sdist"], ["build", "--profile", "dev"]):
        subprocess.run([maturin, *command, "--out", str(out)], cwd=ROOT, check=True)
    return out


def wheels(dist: Path) -> list[Path]:
    found = sorted(dist.rglob("turboboard-*.whl"))
    assert found, f"no wheel in {dist}"
    return found


def package_sources() -> set[str]:
    """The package's files in the source tree, as the wheel names them."""
    return {
        f"turboboard/{path.name}"
        for path in PACKAGE.iterdir()
        if path.is_file() and path.suffix in (".py", ".pyi", ".typed")
    }


def extension_members(names: list[str]) -> list[str]:
    return [
        name
        for name in names
        if name.startswith("turboboard/_core.") and name.endswith((".abi3.so", ".pyd"))
    ]


def test_wheel_holds_the_package_its_types_and_the_extension(dist: Path) -> None:
    for wheel in wheels(dist):
        # abi3: one wheel per platform serves CPython 3.9 and every later version.
        assert "-cp39-abi3-" in wheel.name
        names = zipfile.ZipFile(wheel).namelist()
        assert {"turboboard/py.typed", "turboboard/_core.pyi"} <= set(names), wheel.name
        assert package_sources() <= set(names), wheel.name
        assert len(extension_members(names)) == 1, names
        # Nothing from tests/ or elsewhere: only the package and its metadata.
        outside = [n for n in names if not n.startswith(("turboboard/", "turboboard-"))]
        assert outside == [], f"{wheel.name} holds files outside the package: {outside}"


def test_sdist_holds_every_file_the_build_reads(dist: Path) -> None:
    sdists = sorted(dist.glob("turboboard-*.tar.gz"))
    if not sdists:
        pytest.skip(f"no sdist in {dist}")
    tracked = subprocess.run(
        ["git", "ls-files", "--", *SDIST_ROOT_FILES, *SDIST_TREES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "rust/core/proto/event.proto" in tracked
    for sdist in sdists:
        with tarfile.open(sdist) as archive:
            members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
            missing = sorted(set(tracked) - set(members))
            assert missing == [], f"{sdist.name} lacks {missing}"
            top = archive.getnames()[0].split("/", 1)[0]
            lock = archive.extractfile(f"{top}/Cargo.lock")
            assert lock is not None
            assert lock.read() == (ROOT / "Cargo.lock").read_bytes()


def test_turboboard_is_imported_from_the_installed_wheel(dist: Path) -> None:
    if "TURBOBOARD_DIST" not in os.environ:
        pytest.skip("runs against the wheel that scripts/test.sh installs")
    module = Path(turboboard.__file__).resolve()
    assert ROOT not in module.parents, f"turboboard imported from the source tree: {module}"
    extension = Path(turboboard._core.__file__)
    assert extension.name.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    # The extension loaded is byte for byte one that a wheel carries.
    carried = []
    for wheel in wheels(dist):
        with zipfile.ZipFile(wheel) as archive:
            carried += [archive.read(name) for name in extension_members(archive.namelist())]
    assert extension.read_bytes() in carried
