"""Small numpy signal helpers for the procedural synthesisers.

Every function works on mono float64 arrays of ``num_samples`` at ``sample_rate_hz``. Filters
are applied in the frequency domain (one FFT each way) because that is vectorised numpy and costs
a few milliseconds per clip, where a per-sample recursive filter in Python would cost far more.
"""

from __future__ import annotations

import numpy as np

# Keep every synthesised frequency below this fraction of the sample rate, so that a corpus at
# 8 kHz never aliases a tone meant for 16 kHz.
NYQUIST_MARGIN = 0.45


def max_frequency_hz(sample_rate_hz: int) -> float:
    """The highest frequency a synthesiser may place at ``sample_rate_hz``."""
    return NYQUIST_MARGIN * sample_rate_hz


def time_axis_s(num_samples: int, sample_rate_hz: int) -> np.ndarray:
    """Sample times in seconds, shape (num_samples,)."""
    return np.arange(num_samples) / sample_rate_hz


def tone_from_frequency(frequency_hz: np.ndarray, sample_rate_hz: int) -> np.ndarray:
    """Phase (radians) of an oscillator whose instantaneous frequency is ``frequency_hz``.

    frequency_hz: (num_samples,) in Hz, clamped below Nyquist. Returns (num_samples,) phase.
    """
    clamped = np.minimum(frequency_hz, max_frequency_hz(sample_rate_hz))
    return 2.0 * np.pi * np.cumsum(clamped) / sample_rate_hz


def harmonic_sum(
    phase: np.ndarray,
    base_frequency_hz: float,
    amplitudes: list[float],
    sample_rate_hz: int,
) -> np.ndarray:
    """Sum of harmonics k·phase (k = 1, 2, …) weighted by ``amplitudes``, none above Nyquist.

    The caller passes the top frequency of the fundamental in ``base_frequency_hz`` so that a
    harmonic that would alias at its highest excursion is left out.
    """
    out = np.zeros_like(phase)
    for k, amplitude in enumerate(amplitudes, start=1):
        if k * base_frequency_hz < max_frequency_hz(sample_rate_hz):
            out += amplitude * np.sin(k * phase)
    return out


def fft_length(min_length: int) -> int:
    """The smallest 2^a·3^b·5^c ≥ min_length: FFTs of such sizes are several times faster."""
    best = 1 << max(0, (min_length - 1).bit_length())
    power5 = 1
    while power5 < best:
        power35 = power5
        while power35 < best:
            candidate = power35
            while candidate < min_length:
                candidate *= 2
            best = min(best, candidate)
            power35 *= 3
        power5 *= 5
    return best


def band_magnitude(
    num_bins: int, sample_rate_hz: int, low_hz: float, high_hz: float, order: int = 2
) -> np.ndarray:
    """Magnitude response (num_bins,) of a Butterworth-like band-pass between low_hz and high_hz.

    ``low_hz = 0`` gives a low-pass; ``high_hz >= Nyquist`` gives a high-pass.
    """
    freqs = np.linspace(0.0, sample_rate_hz / 2.0, num_bins)
    magnitude = np.ones(num_bins)
    if high_hz < sample_rate_hz / 2.0:
        magnitude /= np.sqrt(1.0 + (freqs / max(high_hz, 1.0)) ** (2 * order))
    if low_hz > 0.0:
        ratio = np.divide(low_hz, freqs, out=np.full(num_bins, np.inf), where=freqs > 0)
        magnitude /= np.sqrt(1.0 + ratio ** (2 * order))
    return magnitude


def band_filter(
    signal: np.ndarray, sample_rate_hz: int, low_hz: float, high_hz: float, order: int = 2
) -> np.ndarray:
    """Zero-phase band-pass of ``signal`` (num_samples,) → (num_samples,).

    The signal is zero-padded by half its length so the circular FFT does not wrap a loud end
    onto the start.
    """
    num_samples = signal.shape[0]
    padded_length = fft_length(num_samples + num_samples // 2 + 1)
    spectrum = np.fft.rfft(signal, n=padded_length)
    spectrum *= band_magnitude(spectrum.shape[0], sample_rate_hz, low_hz, high_hz, order)
    return np.fft.irfft(spectrum, n=padded_length)[:num_samples]


def band_noise(
    rng: np.random.Generator,
    num_samples: int,
    sample_rate_hz: int,
    low_hz: float,
    high_hz: float,
    order: int = 2,
) -> np.ndarray:
    """Gaussian noise shaped to a band, normalised to unit RMS, shape (num_samples,)."""
    noise = band_filter(rng.standard_normal(num_samples), sample_rate_hz, low_hz, high_hz, order)
    return noise / max(float(np.sqrt(np.mean(noise**2))), 1e-12)


def decay(num_samples: int, sample_rate_hz: int, time_constant_s: float) -> np.ndarray:
    """Exponential decay exp(−t / time_constant_s), shape (num_samples,)."""
    return np.exp(-time_axis_s(num_samples, sample_rate_hz) / time_constant_s)


def fade_edges(
    signal: np.ndarray, sample_rate_hz: int, fade_in_s: float, fade_out_s: float
) -> np.ndarray:
    """A copy of ``signal`` with raised-cosine fades at both ends, shape unchanged."""
    out = signal.copy()
    fade_in = _ramp(fade_in_s, sample_rate_hz, out.shape[0])
    fade_out = _ramp(fade_out_s, sample_rate_hz, out.shape[0])
    out[: fade_in.shape[0]] *= fade_in
    out[out.shape[0] - fade_out.shape[0] :] *= fade_out[::-1]
    return out


def _ramp(length_s: float, sample_rate_hz: int, num_samples: int) -> np.ndarray:
    """A rising raised-cosine ramp of length_s, at most half the signal long."""
    ramp_length = min(round(length_s * sample_rate_hz), num_samples // 2)
    return 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp_length) / max(ramp_length, 1))


def place_grains(
    num_samples: int,
    times_s: np.ndarray,
    grain: np.ndarray,
    sample_rate_hz: int,
    gains: np.ndarray | None = None,
) -> np.ndarray:
    """Add copies of ``grain`` starting at ``times_s`` into a silent (num_samples,) buffer."""
    out = np.zeros(num_samples)
    gains = np.ones(len(times_s)) if gains is None else gains
    for time_s, gain in zip(times_s, gains, strict=True):
        start = round(time_s * sample_rate_hz)
        if 0 <= start < num_samples:
            stop = min(num_samples, start + grain.shape[0])
            out[start:stop] += gain * grain[: stop - start]
    return out


def regular_times_s(
    duration_s: float, rate_hz: float, rng: np.random.Generator, jitter: float = 0.1
) -> np.ndarray:
    """Onset times of a rhythm at ``rate_hz`` inside [0, duration_s), each but the first
    jittered by a fraction ``jitter`` of the period. The first onset is at 0 so the event starts
    when the timeline says; the last starts at least 30 ms before the end."""
    period_s = 1.0 / rate_hz
    times = np.arange(0.0, max(duration_s - 0.03, 1e-9), period_s)
    times[1:] += rng.uniform(-jitter, jitter, size=times.shape[0] - 1) * period_s
    return times


def rms(signal: np.ndarray) -> float:
    """Root mean square of a signal (a float; 0.0 for an empty one)."""
    return float(np.sqrt(np.mean(signal**2))) if signal.size else 0.0


def active_rms(
    signal: np.ndarray, sample_rate_hz: int, frame_s: float = 0.05, top_fraction: float = 0.2
) -> float:
    """RMS of the loudest ``top_fraction`` of ``frame_s`` frames: the level of a sound while it
    sounds, so a sparse rhythm of knocks and a steady hum of equal loudness get equal values."""
    frame_length = max(1, round(frame_s * sample_rate_hz))
    num_frames = max(1, signal.shape[0] // frame_length)
    frames = signal[: num_frames * frame_length].reshape(num_frames, -1)  # (num_frames, length)
    frame_power = np.sort(np.mean(frames**2, axis=1))
    top = max(1, int(np.ceil(top_fraction * num_frames)))
    return float(np.sqrt(np.mean(frame_power[-top:])))


def soft_limit(signal: np.ndarray, knee: float, ceiling: float) -> np.ndarray:
    """Linear below ``knee``; above it, magnitudes bend smoothly towards ``ceiling`` (tanh)."""
    magnitude = np.abs(signal)
    span = ceiling - knee
    bent = knee + span * np.tanh((magnitude - knee) / span)
    return np.where(magnitude > knee, np.sign(signal) * bent, signal)


def exponential_reverb(
    signal: np.ndarray,
    sample_rate_hz: int,
    rng: np.random.Generator,
    wet: float,
    decay_s: float = 0.25,
) -> np.ndarray:
    """A small room: ``signal`` convolved with exponentially decaying noise, mixed ``wet``.

    The tail is cut at the signal's end so an event never sounds outside its timeline span.
    """
    num_samples = signal.shape[0]
    ir_length = max(1, min(num_samples, int(0.6 * sample_rate_hz)))
    impulse = rng.standard_normal(ir_length) * decay(ir_length, sample_rate_hz, decay_s)
    impulse[: int(0.01 * sample_rate_hz)] = 0.0  # 10 ms pre-delay: early reflections come later
    impulse /= max(float(np.sqrt(np.sum(impulse**2))), 1e-12)
    size = fft_length(num_samples + ir_length)
    tail = np.fft.irfft(np.fft.rfft(signal, n=size) * np.fft.rfft(impulse, n=size), n=size)
    return (1.0 - wet) * signal + wet * tail[:num_samples]
