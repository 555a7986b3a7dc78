"""The shipped chains as a sound designer hears them, measured on real pedalboard output at the
rates a file is written at: no clipping, about the input's level (a generate preset cannot match
loudness afterwards), and the bands that docs/presets.md names."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from scipy import signal
from semanticaudio.bridge.presets import Preset, builtin_dir, load_preset

CHAIN_FILES = sorted(builtin_dir().glob("chains/*.toml"))
RATES_HZ = [16000, 22050, 44100, 48000, 96000]  # 16 kHz: the default model's rate
# Level change (dB) each chain means to make; the others should keep the input's level.
INTENDED_LEVEL_DB = {"distant-outdoor": -10.0}
LEVEL_TOLERANCE_DB = 3.0
REVERB_LEVEL_TOLERANCE_DB = 5.0  # a tail fills the gaps between syllables and raises the RMS
# The bands docs/presets.md names, set by each chain's high- and low-pass filters (-3 dB edges).
NAMED_BANDS_HZ = {"telephone": (300.0, 3400.0), "radio": (200.0, 5000.0),
                  "megaphone": (500.0, 4000.0)}


def _chain(name: str) -> Preset:
    return load_preset(builtin_dir() / "chains" / f"{name}.toml")


def _speech_like(rate_hz: int, peak_db: float, seconds: float = 3.0) -> np.ndarray:
    """(2, frames) float32: a ~120 Hz glottal pulse train through three vowel formants, in
    4 Hz syllables with breath noise; no DC; peak at `peak_db` dBFS."""
    frames = int(rate_hz * seconds)
    t = np.arange(frames) / rate_hz
    phase = np.cumsum(120.0 * (1 + 0.1 * np.sin(2 * np.pi * 0.7 * t)) / rate_hz)
    pulses = (np.diff(np.floor(phase), prepend=0.0) > 0).astype(np.float64)
    voice = np.zeros(frames)
    for centre_hz, bandwidth_hz in ((700, 130), (1220, 70), (2600, 160)):
        radius = np.exp(-np.pi * bandwidth_hz / rate_hz)
        angle = 2 * np.pi * centre_hz / rate_hz
        voice += signal.lfilter([1 - radius, radius - 1],
                                [1, -2 * radius * np.cos(angle), radius**2], pulses)
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0.0, None) ** 0.5
    breath = 0.02 * np.abs(voice).max() * np.random.default_rng(1).standard_normal(frames)
    voice = (voice + breath) * envelope
    voice -= voice.mean()
    voice *= 10 ** (peak_db / 20) / np.abs(voice).max()
    return np.repeat(voice[None].astype(np.float32), 2, axis=0)


def _noise(rate_hz: int, rms_db: float, seconds: float = 4.0) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (10 ** (rms_db / 20) * rng.standard_normal((2, int(rate_hz * seconds)))).astype(
        np.float32
    )


def _rms_db(audio: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(audio.astype(np.float64) ** 2))))


def _response_db(preset: Preset, rate_hz: int, freqs_hz: list[float]) -> list[float]:
    """The chain's gain (dB) at `freqs_hz` relative to 1 kHz, from quiet noise (Welch)."""
    dry = _noise(rate_hz, -30.0, seconds=6.0)
    wet = preset.build_chain()(dry, rate_hz)
    freqs, dry_power = signal.welch(dry[0], rate_hz, nperseg=4096)
    _, wet_power = signal.welch(wet[0], rate_hz, nperseg=4096)
    gain_db = 10 * np.log10(wet_power / dry_power)
    at_1k = np.interp(1000.0, freqs, gain_db)
    return [float(np.interp(f, freqs, gain_db) - at_1k) for f in freqs_hz]


@pytest.mark.parametrize("rate_hz", RATES_HZ)
@pytest.mark.parametrize("path", CHAIN_FILES, ids=lambda p: p.stem)
def test_no_chain_clips_a_full_scale_input(path: Path, rate_hz: int) -> None:
    """pedalboard's Limiter adds make-up gain and hard-clips at 0 dBFS; a chain must not."""
    for dry in (_speech_like(rate_hz, peak_db=-0.1), _noise(rate_hz, rms_db=-12.0)):
        wet = load_preset(path).build_chain()(dry, rate_hz)
        peak = float(np.abs(wet).max())
        assert np.isfinite(wet).all()
        assert peak < 0.99, f"peak {20 * np.log10(peak):+.2f} dBFS"
        # A hard clip flattens the tops: runs of samples at the peak (a clip at 0 dBFS before a
        # Gain too). A brick-wall limiter's ceiling is touched by isolated samples only.
        at_peak = np.abs(wet[0]) >= peak * (1 - 1e-6)
        assert not (at_peak[1:] & at_peak[:-1]).any(), "flat tops: the chain hard-clips"


@pytest.mark.parametrize("rate_hz", RATES_HZ)
@pytest.mark.parametrize("path", CHAIN_FILES, ids=lambda p: p.stem)
def test_chain_keeps_about_the_input_level(path: Path, rate_hz: int) -> None:
    dry = _speech_like(rate_hz, peak_db=-3.0)
    change_db = _rms_db(load_preset(path).build_chain()(dry, rate_hz)) - _rms_db(dry)
    intended_db = INTENDED_LEVEL_DB.get(path.stem, 0.0)
    has_reverb = any(effect.plugin == "Reverb" for effect in load_preset(path).effects)
    tolerance_db = REVERB_LEVEL_TOLERANCE_DB if has_reverb else LEVEL_TOLERANCE_DB
    assert abs(change_db - intended_db) <= tolerance_db, f"{change_db:+.1f} dB"


@pytest.mark.parametrize("name", sorted(NAMED_BANDS_HZ))
def test_band_filters_are_minus_3_db_at_the_named_edges(name: str) -> None:
    """Two first-order filters in a row are -6 dB at their cutoff: the cutoffs must sit outside
    the band for its -3 dB edges to be where the docs say."""
    preset = _chain(name)
    filters = tuple(e for e in preset.effects if e.plugin in ("HighpassFilter", "LowpassFilter"))
    only_filters = dataclasses.replace(preset, effects=filters)
    low_hz, high_hz = NAMED_BANDS_HZ[name]
    rate_hz = 48000
    impulse = np.zeros((1, rate_hz), dtype=np.float32)
    impulse[0, 0] = 1.0
    spectrum = np.abs(np.fft.rfft(only_filters.build_chain()(impulse, rate_hz)[0]))
    freqs = np.fft.rfftfreq(rate_hz, 1.0 / rate_hz)
    gain_db = 20 * np.log10(spectrum / spectrum[(freqs > low_hz) & (freqs < high_hz)].max())
    for edge_hz in (low_hz, high_hz):
        assert float(np.interp(edge_hz, freqs, gain_db)) == pytest.approx(-3.0, abs=1.0), edge_hz


@pytest.mark.parametrize("rate_hz", RATES_HZ)
def test_telephone_band_is_about_300_to_3400_hz(rate_hz: int) -> None:
    at_100, at_300, at_3400, at_4500 = _response_db(
        _chain("telephone"), rate_hz, [100.0, 300.0, 3400.0, 4500.0]
    )
    assert at_300 >= -6.0 and at_3400 >= -6.0, (at_300, at_3400)
    assert at_100 <= -12.0 and at_4500 <= -20.0, (at_100, at_4500)
