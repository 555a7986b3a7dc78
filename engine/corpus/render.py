"""Render an explicit clip spec to a waveform: synthesise, set level and distance, place, mix.

Every event is rendered from its own seed and mixed by plain addition (no clip-wide
normalisation), so changing one event of a spec leaves the others' samples untouched.
"""

from __future__ import annotations

import numpy as np
from semanticaudio.engine.corpus import dsp
from semanticaudio.engine.corpus.spec import (
    LOUDNESS_DBFS,
    PITCH_VALUES,
    SPEED_VALUES,
    ClipSpec,
    EventSpec,
)
from semanticaudio.engine.corpus.synth import SYNTHESISERS, SynthContext

# Distance: a far event is 6 dB quieter, duller (high frequencies shelved down to a quarter above
# about 1.5 kHz) and wetter, the three cues that make a source sound far away.
FAR_GAIN_DB = -6.0
FAR_SHELF_HZ = 1500.0
FAR_SHELF_FLOOR = 0.25
REVERB_WET = {"near": 0.08, "far": 0.35}
# One event's peaks bend softly above the knee and never pass the ceiling, so three overlapping
# events rarely clip the mix, while impulsive classes keep their loudness.
PEAK_KNEE = 0.35
PEAK_CEILING = 0.6
FADE_IN_S = 0.005
FADE_OUT_S = 0.02


def _jitter(rng: np.random.Generator, spread: float) -> float:
    """A multiplicative jitter in [1 − spread, 1 + spread]."""
    return float(1.0 + rng.uniform(-spread, spread))


def render_event(event: EventSpec, num_samples: int, sample_rate_hz: int) -> np.ndarray:
    """One event as a float64 signal of ``num_samples`` (its span only, not the whole clip)."""
    rng = np.random.default_rng(event.seed)
    attributes = event.attributes
    context = SynthContext(
        num_samples=num_samples,
        sample_rate_hz=sample_rate_hz,
        pitch=PITCH_VALUES[attributes.pitch] * _jitter(rng, 0.05),  # ±1 semitone within a level
        speed=SPEED_VALUES[attributes.speed] * _jitter(rng, 0.08),
        rng=rng,
    )
    signal = SYNTHESISERS[event.label](context)
    if attributes.distance == "far":
        signal = _far_shelf(signal, sample_rate_hz)
    signal = dsp.exponential_reverb(signal, sample_rate_hz, rng, REVERB_WET[attributes.distance])
    level_db = LOUDNESS_DBFS[attributes.loudness] + rng.uniform(-1.5, 1.5)
    if attributes.distance == "far":
        level_db += FAR_GAIN_DB
    signal *= 10.0 ** (level_db / 20.0) / max(dsp.active_rms(signal, sample_rate_hz), 1e-12)
    signal = dsp.fade_edges(signal, sample_rate_hz, FADE_IN_S, FADE_OUT_S)
    return dsp.soft_limit(signal, PEAK_KNEE, PEAK_CEILING)


def _far_shelf(signal: np.ndarray, sample_rate_hz: int) -> np.ndarray:
    """A high shelf: frequencies above FAR_SHELF_HZ down to FAR_SHELF_FLOOR of their level."""
    low = dsp.band_filter(signal, sample_rate_hz, 0.0, FAR_SHELF_HZ)
    return low + FAR_SHELF_FLOOR * (signal - low)


def event_span(event: EventSpec, sample_rate_hz: int) -> tuple[int, int]:
    """First sample and one-past-last sample of ``event`` at ``sample_rate_hz``."""
    start = round(event.onset_s * sample_rate_hz)
    stop = round(event.offset_s * sample_rate_hz)
    return start, max(stop, start + 1)


def render_clip(spec: ClipSpec, sample_rate_hz: int = 16000) -> np.ndarray:
    """Render ``spec`` to a mono float32 waveform (num_samples,) in [−1, 1].

    num_samples = round(spec.duration_s · sample_rate_hz).
    """
    if sample_rate_hz < 4000:
        raise ValueError(f"sample_rate_hz must be at least 4000, got {sample_rate_hz}")
    num_samples = round(spec.duration_s * sample_rate_hz)
    mix = np.zeros(num_samples)
    for event in spec.events:
        start, stop = event_span(event, sample_rate_hz)
        stop = min(stop, num_samples)
        if stop > start:
            mix[start:stop] += render_event(event, stop - start, sample_rate_hz)
    return np.clip(mix, -1.0, 1.0).astype(np.float32)
