"""The distribution maps engine/, bridge/ and presets/ under the ``semanticaudio`` namespace."""

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAPPED = {"engine": "semanticaudio.engine", "bridge": "semanticaudio.bridge"}


def _declared_packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(config["tool"]["setuptools"]["packages"])


def test_every_source_folder_is_a_declared_package():
    declared = _declared_packages()
    for folder, dotted in MAPPED.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder).parts
            name = ".".join((dotted, *relative))
            assert name in declared, f"{init.parent} is missing from pyproject's packages list"


def test_no_generic_top_level_names_are_importable_from_elsewhere(tmp_path):
    code = "import importlib.util as u; print(u.find_spec('engine'), u.find_spec('bridge'))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "None None"


@pytest.mark.slow
def test_wheel_holds_the_namespaced_packages_and_the_preset_data(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("semanticaudio-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "semanticaudio/engine/pipeline.py" in names
    assert "semanticaudio/engine/cli/__init__.py" in names
    assert "semanticaudio/bridge/__init__.py" in names
    assert "semanticaudio/presets/__init__.py" in names
    assert not any(n.startswith(("engine/", "bridge/", "tests/")) for n in names)
    shipped_presets = sorted((ROOT / "presets").glob("*/*.toml"))
    for preset in shipped_presets:
        assert f"semanticaudio/presets/{preset.parent.name}/{preset.name}" in names
