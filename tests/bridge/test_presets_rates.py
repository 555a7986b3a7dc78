"""Effect chains and the sample rate: a filter frequency above half the rate the chain runs at is
tuned down to just under it (chain.py), in the daemon as in `sa`, and `sa presets check` says
from which rate a chain runs as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pedalboard
import pytest
import soundfile
from semanticaudio.bridge.jobs import JobHooks
from semanticaudio.bridge.presets import BUILTIN_PLUGINS, PresetLibrary, load_preset
from semanticaudio.bridge.presets.chain import MAX_FREQUENCY_SHARE, FrequencySetting
from semanticaudio.bridge.presets_cli import main
from semanticaudio.bridge.protocol import decode_request
from semanticaudio.bridge.render import Renderer

LOWPASS_PRESET = """schema_version = 1
name = "lowpass"
description = "a 10 kHz low-pass"
kind = "generate"

[output]
match_loudness = false

[[effects]]
plugin = "LowpassFilter"
params = { cutoff_frequency_hz = 10000.0 }
"""
FREQUENCY_PARAMS = [(plugin, param) for plugin, table in sorted(BUILTIN_PLUGINS.items())
                    for param, spec in table.items() if spec.frequency]


def _noise(rate_hz: int, channels: int = 1) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (0.1 * rng.standard_normal((channels, rate_hz))).astype(np.float32)


@pytest.fixture
def lowpass(tmp_path: Path) -> Path:
    path = tmp_path / "lowpass.toml"
    path.write_text(LOWPASS_PRESET, encoding="utf-8")
    return path


def test_a_frequency_above_half_the_rate_runs_just_under_it(lowpass: Path) -> None:
    dry = _noise(16000)
    wet = load_preset(lowpass).build_chain()(dry, 16000)
    assert np.isfinite(wet).all()
    np.testing.assert_array_equal(wet, pedalboard.LowpassFilter(7840.0)(dry, 16000))


def test_the_same_chain_runs_as_written_where_the_rate_allows(lowpass: Path) -> None:
    chain = load_preset(lowpass).build_chain()
    chain(_noise(16000), 16000)  # tuned down for this call only
    dry = _noise(44100)
    np.testing.assert_array_equal(chain(dry, 44100), pedalboard.LowpassFilter(10000.0)(dry, 44100))
    assert [s.key for s in chain.lowered(16000)] == ["effects[0].params.cutoff_frequency_hz"]
    assert chain.lowered(44100) == []


@pytest.mark.parametrize(("plugin", "param"), FREQUENCY_PARAMS)
@pytest.mark.parametrize("rate_hz", [8000, 11025, 12000])
def test_every_frequency_parameter_at_its_highest_runs_at_low_rates(
    tmp_path: Path, plugin: str, param: str, rate_hz: int
) -> None:
    path = tmp_path / "lowpass.toml"
    path.write_text(LOWPASS_PRESET.replace('"LowpassFilter"', f'"{plugin}"').replace(
        "cutoff_frequency_hz = 10000.0", f"{param} = 20000.0"), encoding="utf-8")
    chain = load_preset(path).build_chain()
    wet = chain(_noise(rate_hz, channels=2), rate_hz)
    assert np.isfinite(wet).all()
    assert getattr(chain[0], param) == pytest.approx(float(MAX_FREQUENCY_SHARE) * rate_hz)


@pytest.mark.parametrize("frequency_hz", [3920.0, 4000.0, 4900.0, 7000.0, 8000.0, 20000.0])
def test_the_lowest_rate_is_where_the_frequency_first_runs_as_set(frequency_hz: float) -> None:
    setting = FrequencySetting(0, "LowpassFilter", "cutoff_frequency_hz", frequency_hz)
    assert setting.at_rate(setting.lowest_rate_hz) == frequency_hz
    assert setting.at_rate(setting.lowest_rate_hz - 1) < frequency_hz


def test_check_says_from_which_rate_a_chain_runs_as_written(
    lowpass: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(lowpass)]) == 0
    out = capsys.readouterr().out
    assert "runs as written at sample rates from 20409 Hz" in out
    assert "effects[0].params.cutoff_frequency_hz (LowpassFilter) 10000 Hz" in out
    assert "1 valid, 0 with 0 problem(s)" in out


def test_check_names_the_presets_own_output_rate(
    lowpass: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lowpass.write_text(LOWPASS_PRESET.replace("match_loudness = false",
                                              "match_loudness = false\nsample_rate_hz = 16000"))
    assert main(["check", str(lowpass)]) == 0
    assert "7840 Hz at this preset's 16000 Hz output" in capsys.readouterr().out


def test_check_adds_nothing_for_a_chain_that_runs_as_written_at_every_rate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "lowpass.toml"
    path.write_text(LOWPASS_PRESET.replace("10000.0", "3000.0"), encoding="utf-8")
    assert main(["check", str(path)]) == 0
    assert "note" not in capsys.readouterr().out


def test_the_daemon_renders_such_a_chain_at_the_models_rate(
    tiny_pipeline: Any, lowpass: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    request = decode_request("/sa/generate", ["g1", 9000, "rain", 0.5, str(out_dir),
                                              "preset=lowpass;steps=2;synth_steps=2;seed=0"])
    hooks = JobHooks(lambda fraction, stage: None, lambda: False)
    renderer = Renderer(tiny_pipeline, PresetLibrary.load(lowpass.parent))
    (path,) = renderer.render(request, hooks).paths
    data, rate = soundfile.read(str(path))
    assert rate == 16000 and np.isfinite(data).all() and np.abs(data).max() > 0
