"""Every shipped chain runs at every rate a file may have, with real pedalboard: finite output of
the input's shape, even where a filter's frequency is above half the rate (lo-fi's 7 kHz
low-pass at 8, 11.025 and 12 kHz)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from semanticaudio.bridge.presets import builtin_dir, load_preset

CHAIN_FILES = sorted(builtin_dir().glob("chains/*.toml"))
RATES_HZ = [8000, 11025, 12000, 16000, 44100]


@pytest.mark.parametrize("rate_hz", RATES_HZ)
@pytest.mark.parametrize("path", CHAIN_FILES, ids=lambda p: p.stem)
def test_every_shipped_chain_gives_finite_audio_at_every_rate(path: Path, rate_hz: int) -> None:
    rng = np.random.default_rng(0)
    dry = (0.1 * rng.standard_normal((2, rate_hz))).astype(np.float32)  # one second, stereo
    wet = load_preset(path).build_chain()(dry, rate_hz)
    assert wet.shape == dry.shape
    assert np.isfinite(wet).all()
    assert float(np.sqrt(np.mean(wet**2))) > 1e-4  # not silenced either
