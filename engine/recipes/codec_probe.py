"""Does a codec's latent carry the spectrum, or only its outline? (a diagnostic for issue 4)

A codec that loses pitch can lose it in the encoder (the latent never holds it) or in the
decoder (it holds it, but cannot render it). This tells the two apart. A small MLP probe learns
to read each latent frame (the posterior mean, with its two neighbours) as the log-mel spectrum
of the audio under that frame, on one set of clips; on other clips, both the probe's reading
and the decoder's round trip are compared with the true spectra.

Two scores per reading, over the sounding frames only:
- ``l1``: mean absolute error of the log-mel spectra (lower is better);
- ``fine_recovered``: how much of the spectra's fine structure (each spectrum minus its own
  moving average over ``FINE_WIDTH`` mel bands: harmonic lines, narrow bands) comes back:
  1 - ‖fine(reading) - fine(truth)‖₁ / ‖fine(truth)‖₁. 1 is all of it, 0 is what a reading with
  no fine structure gets (a smooth outline, however right), below 0 is lines in the wrong places.

``tone_round_trip`` asks the decoder's side more simply: steady sines through the codec, and
where the output's strongest lines fall (a codec that renders pitch puts them on the input's).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from semanticaudio.engine.recipes.codec import posterior
from semanticaudio.engine.recipes.losses import log_magnitude

FINE_WIDTH = 9  # mel bands in the moving average that the fine structure is measured against
SOUNDING_RMS = 1e-4  # frames quieter than this (the corpus is digitally silent between events)


@dataclass(frozen=True)
class Reading:
    l1: float
    fine_recovered: float


@dataclass(frozen=True)
class CodecProbeReport:
    probe: Reading  # what the latent holds
    decoder: Reading  # what the codec renders
    train_frames: int
    test_frames: int

    def to_json(self) -> dict:
        return asdict(self)


class FrameSpectra:
    """Log-mel spectra of a waveform, one per codec frame (window = hop = the codec's hop)."""

    def __init__(self, sample_rate_hz: int, hop_length: int, n_mels: int = 64) -> None:
        import torchaudio

        self.hop_length = hop_length
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate_hz, n_fft=hop_length, hop_length=hop_length, n_mels=n_mels,
            power=1.0, center=False)

    def __call__(self, waveform: torch.Tensor, frames: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, S) → (B, frames, n_mels) log-mel spectra and (B, frames) sounding mask."""
        padded = F.pad(waveform, (0, max(frames * self.hop_length - waveform.shape[1], 0)))
        padded = padded[:, : frames * self.hop_length]
        spectra = log_magnitude(self.mel(padded)).transpose(1, 2)
        rms = padded.reshape(len(padded), frames, self.hop_length).pow(2).mean(-1).sqrt()
        return spectra, rms > SOUNDING_RMS


def fine_structure(spectra: torch.Tensor) -> torch.Tensor:
    """(..., n_mels) → each spectrum minus its moving average over FINE_WIDTH bands."""
    shape = spectra.shape
    flat = spectra.reshape(-1, 1, shape[-1])
    outline = F.avg_pool1d(flat, FINE_WIDTH, stride=1, padding=FINE_WIDTH // 2,
                           count_include_pad=False)
    return (flat - outline).reshape(shape)


def score(reading: torch.Tensor, truth: torch.Tensor) -> Reading:
    """(N, n_mels) each, sounding frames only → Reading."""
    fine_truth = fine_structure(truth)
    fine_error = (fine_structure(reading) - fine_truth).abs().sum()
    return Reading(l1=float((reading - truth).abs().mean()),
                   fine_recovered=float(1 - fine_error / fine_truth.abs().sum().clamp_min(1e-12)))


def with_neighbours(latent: torch.Tensor) -> torch.Tensor:
    """(B, T, C) → (B, T, 3C): each frame with the one before and after (zeros at the ends)."""
    padded = F.pad(latent, (0, 0, 1, 1))
    return torch.cat([padded[:, :-2], latent, padded[:, 2:]], dim=-1)


def fit_probe(inputs: torch.Tensor, targets: torch.Tensor, steps: int, seed: int,
              hidden: int = 512) -> torch.nn.Module:
    """An MLP from (N, D) inputs to (N, n_mels) targets, trained with L1 (Adam, batch 512)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        probe = torch.nn.Sequential(torch.nn.Linear(inputs.shape[1], hidden), torch.nn.GELU(),
                                    torch.nn.Linear(hidden, targets.shape[1]))
    optimizer = torch.optim.Adam(probe.parameters(), lr=1e-3)
    for _ in range(steps):
        rows = torch.randint(0, len(inputs), (512,), generator=generator)
        loss = (probe(inputs[rows]) - targets[rows]).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return probe.eval()


@torch.no_grad()
def encode_frames(codec, waveforms: torch.Tensor, spectra: FrameSpectra, round_trip: bool,
                  batch: int = 16):
    """(B, S) → sounding frames only: latents with neighbours (N, 3C), true spectra (N, n_mels)
    and, with ``round_trip``, the spectra of the codec's round trip (N, n_mels), else None."""
    inputs, truths, decoded = [], [], []
    for start in range(0, len(waveforms), batch):
        audio = waveforms[start:start + batch]
        mean, _ = posterior(codec, audio)  # (b, C, T)
        latent = mean.transpose(1, 2)
        frames = latent.shape[1]
        truth, sounding = spectra(audio, frames)
        inputs.append(with_neighbours(latent)[sounding])
        truths.append(truth[sounding])
        if round_trip:
            rendered, _ = spectra(codec.decode(latent)[:, : audio.shape[1]], frames)
            decoded.append(rendered[sounding])
    return torch.cat(inputs), torch.cat(truths), torch.cat(decoded) if round_trip else None


def probe_codec(codec, train: torch.Tensor, test: torch.Tensor, steps: int = 3000,
                seed: int = 0, n_mels: int = 64) -> CodecProbeReport:
    """Fit the probe on ``train`` waveforms (B, S), score probe and decoder on ``test``."""
    codec.eval()
    spectra = FrameSpectra(codec.sample_rate_hz, codec.hop_length, n_mels)
    train_inputs, train_truth, _ = encode_frames(codec, train, spectra, round_trip=False)
    test_inputs, test_truth, test_decoded = encode_frames(codec, test, spectra, round_trip=True)
    if not len(train_inputs) or not len(test_inputs):
        raise ValueError("no sounding frames to probe: the clips are silent")
    probe = fit_probe(train_inputs, train_truth, steps, seed)
    with torch.no_grad():
        reading = probe(test_inputs)
    return CodecProbeReport(score(reading, test_truth), score(test_decoded, test_truth),
                            len(train_inputs), len(test_inputs))


# Steady tones across the range the corpus's tonal classes use (siren 420-980 Hz, bell partials
# from 150 Hz up, whistle and beep above 1 kHz), off the 25 Hz frame-rate grid where they can be.
TONES_HZ = (180.0, 310.0, 437.0, 612.5, 700.0, 1000.0, 1234.0, 2000.0, 2890.0)
PITCH_TOLERANCE = 0.03  # the strongest output line within 3 % of the input (half a semitone)


@dataclass(frozen=True)
class ToneReading:
    """A steady tone through the codec: its strongest output lines and how loud it came back."""

    frequency_hz: float
    peaks_hz: tuple[float, ...]  # the strongest spectral lines of the output, strongest first
    level_kept: float  # output RMS / input RMS
    pitch_kept: bool  # the strongest line within PITCH_TOLERANCE of the input frequency


def spectral_peaks(waveform: np.ndarray, sample_rate_hz: int, count: int = 5,
                   floor: float = 0.1) -> tuple[float, ...]:
    """The ``count`` strongest local maxima of the Hann-windowed magnitude spectrum above
    ``floor`` × its maximum, in Hz, strongest first (zero-padded to 0.25 Hz bins or finer)."""
    size = max(1 << int(np.ceil(np.log2(sample_rate_hz * 4))), len(waveform))
    spectrum = np.abs(np.fft.rfft(waveform * np.hanning(len(waveform)), size))
    frequencies = np.fft.rfftfreq(size, 1.0 / sample_rate_hz)
    inner = spectrum[1:-1]
    maxima = np.flatnonzero((inner > spectrum[:-2]) & (inner > spectrum[2:])
                            & (inner > floor * spectrum.max())) + 1
    strongest = maxima[np.argsort(spectrum[maxima])[::-1][:count]]
    return tuple(round(float(frequencies[i]), 1) for i in strongest)


def tone_round_trip(codec, frequencies_hz=TONES_HZ, seconds: float = 2.0,
                    amplitude: float = 0.3) -> list[ToneReading]:
    """Round-trip a steady sine at each frequency through ``codec`` (posterior mean) and read
    the middle second of each output: does the codec render pitch, or lines of its own?"""
    from semanticaudio.engine.recipes.quality import codec_round_trip

    rate = codec.sample_rate_hz
    time_s = np.arange(int(seconds * rate)) / rate
    tones = np.stack([amplitude * np.sin(2 * np.pi * f * time_s) for f in frequencies_hz])
    decoded = codec_round_trip(codec, torch.from_numpy(tones).float()).numpy()
    middle = slice(len(time_s) // 4, 3 * len(time_s) // 4)
    readings = []
    for frequency, tone, output in zip(frequencies_hz, tones, decoded, strict=True):
        peaks = spectral_peaks(output[middle], rate)
        level = float(np.sqrt(np.mean(output[middle] ** 2)) / np.sqrt(np.mean(tone[middle] ** 2)))
        kept = bool(peaks) and abs(peaks[0] - frequency) <= PITCH_TOLERANCE * frequency
        readings.append(ToneReading(float(frequency), peaks, round(level, 3), kept))
    return readings
