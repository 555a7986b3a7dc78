"""Fixtures for the bridge: user presets, a real sa-engine on the tiny model, OSC clients.

The tiny checkpoint and pipeline come from tests/conftest.py (`tiny_checkpoint_dir`,
`tiny_pipeline`).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bridge.helpers import FAKE_PLUGIN_PRESET, Engine, OscClient, start_engine


@pytest.fixture(scope="session")
def user_presets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("user-presets")
    (folder / "broken-plugin.toml").write_text(FAKE_PLUGIN_PRESET)
    (folder / "fake.vst3").write_text("this is not a plug-in\n")
    return folder


@pytest.fixture(scope="session")
def engine(tiny_checkpoint_dir: Path, user_presets: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One sa-engine for the socket tests of the whole session."""
    running = start_engine(tiny_checkpoint_dir, tmp_path_factory.mktemp("engine"),
                           "--presets", str(user_presets))
    try:
        yield running
    finally:
        status = running.stop(signal.SIGINT)  # Ctrl-C
        assert status == 0, running.log()[-2000:]
        assert "stopped" in running.log()


@pytest.fixture
def osc(engine: Engine) -> Iterator[OscClient]:
    client = engine.client()
    yield client
    client.close()
