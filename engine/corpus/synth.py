"""One small synthesiser per event class.

Each takes a :class:`SynthContext` and returns a dry mono signal (num_samples,) at any level;
``render.py`` sets its loudness, distance and placement. ``pitch`` and ``speed`` are multipliers
around 1.0 (see ``spec.py``): pitch scales the class's frequencies, speed its rhythm or
modulation rate. The classes are built to differ in identity (tonal vs. noisy, sustained vs.
rhythmic, spectral band) so that a detector and a listener can tell them apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from semanticaudio.engine.corpus import dsp


@dataclass(frozen=True)
class SynthContext:
    """What a synthesiser needs: length, rate, pitch and speed multipliers and its own RNG."""

    num_samples: int
    sample_rate_hz: int
    pitch: float
    speed: float
    rng: np.random.Generator

    @property
    def duration_s(self) -> float:
        return self.num_samples / self.sample_rate_hz

    @property
    def time_s(self) -> np.ndarray:
        return dsp.time_axis_s(self.num_samples, self.sample_rate_hz)

    def grain_length(self, length_s: float) -> int:
        return max(1, round(length_s * self.sample_rate_hz))


def siren(ctx: SynthContext) -> np.ndarray:
    """A wailing tone sweeping up and down around 700 Hz."""
    sweep = np.sin(2 * np.pi * 0.45 * ctx.speed * ctx.time_s - np.pi / 2)
    frequency = 700.0 * ctx.pitch * (1.0 + 0.4 * sweep)
    phase = dsp.tone_from_frequency(frequency, ctx.sample_rate_hz)
    return dsp.harmonic_sum(phase, 980.0 * ctx.pitch, [1.0, 0.3, 0.1], ctx.sample_rate_hz)


def _struck_partials(
    ctx: SynthContext, base_hz: float, ratios: list[float], decay_s: float, bloom_s: float
) -> np.ndarray:
    """Inharmonic partials struck at t = 0; higher partials decay faster and swell for bloom_s."""
    t = ctx.time_s
    out = np.zeros(ctx.num_samples)
    for k, ratio in enumerate(ratios):
        frequency = base_hz * ratio
        if frequency >= dsp.max_frequency_hz(ctx.sample_rate_hz):
            continue
        tau = decay_s / (1.0 + 0.5 * k)
        swell = 1.0 - np.exp(-t / bloom_s) if (bloom_s > 0 and k > 0) else 1.0
        beating = np.sin(2 * np.pi * (frequency + 0.4) * t)  # a slightly detuned twin
        out += (
            (np.sin(2 * np.pi * frequency * t) + 0.5 * beating)
            * np.exp(-t / tau)
            * swell
            / (1.0 + k)
        )
    return out


def bell(ctx: SynthContext) -> np.ndarray:
    """A bright bell: inharmonic partials over 900 Hz, one strike with a ringing decay."""
    ratios = [0.5, 1.0, 1.19, 1.5, 2.0, 2.74]
    return _struck_partials(ctx, 900.0 * ctx.pitch, ratios, 1.2 / ctx.speed, bloom_s=0.0)


def gong(ctx: SynthContext) -> np.ndarray:
    """A low gong around 95 Hz whose upper partials bloom after the strike and decay slowly."""
    ratios = [1.0, 1.47, 2.09, 2.56, 3.12, 4.31, 5.2]
    return _struck_partials(ctx, 95.0 * ctx.pitch, ratios, 2.4 / ctx.speed, bloom_s=0.15)


def _grain_rhythm(ctx: SynthContext, grain: np.ndarray, rate_hz: float, jitter: float):
    """The grain repeated at rate_hz·speed with random gains between 0.7 and 1."""
    times = dsp.regular_times_s(ctx.duration_s, rate_hz * ctx.speed, ctx.rng, jitter)
    gains = ctx.rng.uniform(0.7, 1.0, size=len(times))
    return dsp.place_grains(ctx.num_samples, times, grain, ctx.sample_rate_hz, gains)


def knock(ctx: SynthContext) -> np.ndarray:
    """Knocks on wood: a 160 Hz thump plus a short noise click, about 4.5 per second."""
    n = ctx.grain_length(0.08)
    t = dsp.time_axis_s(n, ctx.sample_rate_hz)
    thump = np.sin(2 * np.pi * 160.0 * ctx.pitch * t) * np.exp(-t / 0.015)
    click = dsp.band_noise(ctx.rng, n, ctx.sample_rate_hz, 100.0, 1500.0 * ctx.pitch)
    return _grain_rhythm(ctx, thump + 0.5 * click * np.exp(-t / 0.006), 4.5, 0.08)


def footsteps(ctx: SynthContext) -> np.ndarray:
    """Steps: a low 70 Hz thud with a muffled scuff, about 1.9 per second, alternating feet."""
    n = ctx.grain_length(0.2)
    t = dsp.time_axis_s(n, ctx.sample_rate_hz)
    thud = np.sin(2 * np.pi * 70.0 * ctx.pitch * t) * np.exp(-t / 0.05)
    scuff = dsp.band_noise(ctx.rng, n, ctx.sample_rate_hz, 60.0, 700.0 * ctx.pitch)
    times = dsp.regular_times_s(ctx.duration_s, 1.9 * ctx.speed, ctx.rng, 0.05)
    gains = np.where(np.arange(len(times)) % 2 == 0, 1.0, 0.75)
    grain = thud + 0.8 * scuff * np.exp(-t / 0.035)
    return dsp.place_grains(ctx.num_samples, times, grain, ctx.sample_rate_hz, gains)


def clap(ctx: SynthContext) -> np.ndarray:
    """Hand claps: three quick 800-4000 Hz noise bursts per clap, about 3 claps per second."""
    n = ctx.grain_length(0.06)
    t = dsp.time_axis_s(n, ctx.sample_rate_hz)
    burst = dsp.band_noise(ctx.rng, n, ctx.sample_rate_hz, 800.0 * ctx.pitch, 4000.0 * ctx.pitch)
    grain = burst * np.exp(-t / 0.012)
    flutter = dsp.place_grains(n, np.array([0.0, 0.004, 0.009]), grain, ctx.sample_rate_hz)
    return _grain_rhythm(ctx, flutter, 3.0, 0.1)


def drip(ctx: SynthContext) -> np.ndarray:
    """Water drops: a 25 ms upward pitch blip from 700 to 1800 Hz, about 1.6 per second."""
    n = ctx.grain_length(0.12)
    t = dsp.time_axis_s(n, ctx.sample_rate_hz)
    frequency = ctx.pitch * (700.0 + 1100.0 * np.minimum(t / 0.025, 1.0))
    blip = np.sin(dsp.tone_from_frequency(frequency, ctx.sample_rate_hz)) * np.exp(-t / 0.03)
    return _grain_rhythm(ctx, blip, 1.6, 0.25)


def chirp(ctx: SynthContext) -> np.ndarray:
    """Bird chirps: 70 ms upward sweeps from 2400 to 3800 Hz, about 5 per second."""
    n = ctx.grain_length(0.07)
    t = dsp.time_axis_s(n, ctx.sample_rate_hz)
    frequency = ctx.pitch * (2400.0 + 1400.0 * t / 0.07)
    window = np.sin(np.pi * np.arange(n) / n) ** 2
    syllable = np.sin(dsp.tone_from_frequency(frequency, ctx.sample_rate_hz)) * window
    return _grain_rhythm(ctx, syllable, 5.0, 0.2)


def rain(ctx: SynthContext) -> np.ndarray:
    """Rain: a broadband 800-7000 Hz wash with about 120 random droplet clicks per second."""
    bed = dsp.band_noise(ctx.rng, ctx.num_samples, ctx.sample_rate_hz, 800.0 * ctx.pitch, 7000.0)
    count = ctx.rng.poisson(120.0 * ctx.speed * ctx.duration_s)
    times = ctx.rng.uniform(0.0, ctx.duration_s, size=count)
    n = ctx.grain_length(0.01)
    t = dsp.time_axis_s(n, ctx.sample_rate_hz)
    drop = np.sin(2 * np.pi * 3000.0 * ctx.pitch * t) * np.exp(-t / 0.002)
    gains = ctx.rng.uniform(0.5, 3.0, size=count)
    return 0.5 * bed + dsp.place_grains(ctx.num_samples, times, drop, ctx.sample_rate_hz, gains)


def wind(ctx: SynthContext) -> np.ndarray:
    """Wind: two low noise bands (150-900 Hz, 300-1800 Hz) swelling slowly out of phase."""
    out = np.zeros(ctx.num_samples)
    for low_hz, high_hz, phase in ((150.0, 900.0, 0.0), (300.0, 1800.0, 2.0)):
        band = dsp.band_noise(
            ctx.rng, ctx.num_samples, ctx.sample_rate_hz, low_hz * ctx.pitch, high_hz * ctx.pitch
        )
        swell = 0.55 + 0.45 * np.sin(2 * np.pi * 0.35 * ctx.speed * ctx.time_s + phase)
        out += band * swell
    return out


def engine(ctx: SynthContext) -> np.ndarray:
    """An engine hum: a 55 Hz harmonic series with a rumbling 6 Hz amplitude flutter."""
    base_hz = 55.0 * ctx.pitch
    phase = 2 * np.pi * base_hz * ctx.time_s
    amplitudes = [1.0 / k**0.8 for k in range(1, 21)]
    tone = dsp.harmonic_sum(phase, base_hz, amplitudes, ctx.sample_rate_hz)
    flutter = 1.0 + 0.3 * np.sin(2 * np.pi * 6.0 * ctx.speed * ctx.time_s)
    rumble = dsp.band_noise(ctx.rng, ctx.num_samples, ctx.sample_rate_hz, 30.0, 400.0)
    return tone * flutter + 0.3 * rumble


def buzz(ctx: SynthContext) -> np.ndarray:
    """An electric buzz: a band-limited 110 Hz sawtooth with an 8 Hz tremolo."""
    base_hz = 110.0 * ctx.pitch
    phase = 2 * np.pi * base_hz * ctx.time_s
    amplitudes = [1.0 / k for k in range(1, 61)]
    tone = dsp.harmonic_sum(phase, base_hz, amplitudes, ctx.sample_rate_hz)
    return tone * (0.85 + 0.15 * np.sin(2 * np.pi * 8.0 * ctx.speed * ctx.time_s))


def whistle(ctx: SynthContext) -> np.ndarray:
    """A whistle: a near-pure 1700 Hz tone with 5.5 Hz vibrato and a little breath noise."""
    vibrato = 1.0 + 0.012 * np.sin(2 * np.pi * 5.5 * ctx.speed * ctx.time_s)
    frequency = 1700.0 * ctx.pitch * vibrato
    tone = np.sin(dsp.tone_from_frequency(frequency, ctx.sample_rate_hz))
    centre_hz = min(1700.0 * ctx.pitch, dsp.max_frequency_hz(ctx.sample_rate_hz))
    breath = dsp.band_noise(
        ctx.rng, ctx.num_samples, ctx.sample_rate_hz, 0.8 * centre_hz, 1.25 * centre_hz
    )
    return tone + 0.08 * breath


def hiss(ctx: SynthContext) -> np.ndarray:
    """Steam hiss: a 2-6 kHz noise band with a slow random flutter."""
    high = dsp.band_noise(
        ctx.rng,
        ctx.num_samples,
        ctx.sample_rate_hz,
        2000.0 * ctx.pitch,
        6000.0 * ctx.pitch,
        order=3,
    )
    flutter = dsp.band_noise(ctx.rng, ctx.num_samples, ctx.sample_rate_hz, 0.0, 3.0 * ctx.speed)
    return high * (1.0 + 0.2 * np.clip(flutter, -2.0, 2.0))


def crackle(ctx: SynthContext) -> np.ndarray:
    """Fire crackle: sparse 1-6 kHz clicks of uneven size, about 25 per second, over a murmur."""
    count = max(1, ctx.rng.poisson(25.0 * ctx.speed * ctx.duration_s))
    times = ctx.rng.uniform(0.0, ctx.duration_s, size=count)
    n = ctx.grain_length(0.01)
    t = dsp.time_axis_s(n, ctx.sample_rate_hz)
    click = dsp.band_noise(ctx.rng, n, ctx.sample_rate_hz, 1000.0 * ctx.pitch, 6000.0 * ctx.pitch)
    gains = np.minimum(ctx.rng.lognormal(0.0, 0.5, size=count), 4.0)
    grain = click * np.exp(-t / 0.0025)
    pops = dsp.place_grains(ctx.num_samples, times, grain, ctx.sample_rate_hz, gains)
    murmur = dsp.band_noise(ctx.rng, ctx.num_samples, ctx.sample_rate_hz, 40.0, 300.0)
    return pops + 0.05 * murmur


def beep(ctx: SynthContext) -> np.ndarray:
    """Electronic beeps: a 1000 Hz square-ish tone gated on and off 2.5 times per second."""
    phase = 2 * np.pi * 1000.0 * ctx.pitch * ctx.time_s
    tone = dsp.harmonic_sum(
        phase, 1000.0 * ctx.pitch, [1.0, 0.0, 0.3, 0.0, 0.15], ctx.sample_rate_hz
    )
    gate = (np.floor(ctx.time_s * 2.5 * ctx.speed * 2.0) % 2 == 0).astype(float)
    smooth = dsp.band_filter(gate, ctx.sample_rate_hz, 0.0, 150.0)  # soften the gate's clicks
    return tone * np.clip(smooth, 0.0, 1.0)


Synthesiser = Callable[[SynthContext], np.ndarray]

SYNTHESISERS: dict[str, Synthesiser] = {
    "siren": siren,
    "bell": bell,
    "knock": knock,
    "rain": rain,
    "wind": wind,
    "engine": engine,
    "chirp": chirp,
    "clap": clap,
    "whistle": whistle,
    "footsteps": footsteps,
    "drip": drip,
    "buzz": buzz,
    "gong": gong,
    "hiss": hiss,
    "crackle": crackle,
    "beep": beep,
}
