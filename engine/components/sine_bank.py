"""A bank of free-running sine oscillators that renders a codec latent's spectrum.

Why a DAC-VAE decoder needs help at this size: a convolutional decoder at 25 frames/s is
shift-equivariant per frame, so it can place a steady tone off its frame grid only if the latent
frames carry the tone's phase. The small codec's latent carries each frame's spectral outline
but hardly any phase (docs/default-model.md), and its decoder draws the same chord of grid lines
for every tone: every bell comes back as a siren. The oscillators here need no phase from the
latent: their phases run on from the clip's first sample, and a small convolutional net reads
the decoder's input features and sets each oscillator's amplitude per latent frame (linearly
interpolated between frame centres). ``DacVae.decode`` adds the bank's sum to the decoder's
waveform. Spectral lines land within half an oscillator spacing of where the latent puts them;
noise comes back as many oscillators with fixed random-looking phases.

Frequencies are log-spaced over ``range_hz``; starting phases follow the golden-ratio sequence, so
a decode is deterministic. Rendering is a few matrix products per clip (``render``), with the
phases worked out in cycles, in float32 whatever dtype the module is cast to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

GOLDEN_RATIO_FRACTION = (math.sqrt(5.0) - 1.0) / 2.0
INITIAL_LOG_AMPLITUDE = -6.0  # softplus(-6) · scale: the bank starts near silent


@dataclass(frozen=True)
class SineBankConfig:
    """oscillators: how many; range_hz: lowest and highest frequency; hidden: the amplitude
    net's width; amplitude_scale: an oscillator's amplitude is this × softplus(net output)."""

    oscillators: int = 512
    range_hz: tuple[float, float] = (40.0, 7600.0)
    hidden: int = 256
    amplitude_scale: float = 0.01

    def __post_init__(self) -> None:
        object.__setattr__(self, "range_hz", tuple(float(f) for f in self.range_hz))
        low, high = self.range_hz if len(self.range_hz) == 2 else (0.0, 0.0)
        if self.oscillators < 2 or self.hidden < 1:
            raise ValueError(f"a sine bank needs oscillators >= 2 and hidden >= 1, got "
                             f"{self.oscillators} and {self.hidden}")
        if not 0 < low < high:
            raise ValueError(f"range_hz must be (low, high) with 0 < low < high, got "
                             f"{self.range_hz}")
        if not self.amplitude_scale > 0:
            raise ValueError(f"amplitude_scale must be > 0, got {self.amplitude_scale}")

    def check_rate(self, sample_rate_hz: int) -> None:
        if self.range_hz[1] >= sample_rate_hz / 2:
            raise ValueError(f"the sine bank's highest frequency {self.range_hz[1]} Hz must be "
                             f"below half the sample rate ({sample_rate_hz / 2} Hz)")

    def frequencies_hz(self) -> torch.Tensor:
        """(oscillators,) float64, log-spaced from range_hz[0] to range_hz[1]."""
        low, high = self.range_hz
        return torch.logspace(math.log10(low), math.log10(high), self.oscillators,
                              dtype=torch.float64)


class SineBank(nn.Module):
    """Features (B, in_dim, T) at the latent's frame rate → waveform (B, T · hop)."""

    def __init__(self, config: SineBankConfig, in_dim: int, sample_rate_hz: int,
                 hop_length: int) -> None:
        super().__init__()
        config.check_rate(sample_rate_hz)
        if hop_length % 2:
            raise ValueError(f"a sine bank needs an even hop length, got {hop_length}")
        self.config, self.sample_rate_hz, self.hop_length = config, sample_rate_hz, hop_length
        self.net = nn.Sequential(
            nn.Conv1d(in_dim, config.hidden, kernel_size=3, padding=1), nn.GELU(),
            nn.Conv1d(config.hidden, config.hidden, kernel_size=3, padding=1), nn.GELU(),
            nn.Conv1d(config.hidden, config.oscillators, kernel_size=1),
        )
        nn.init.constant_(self.net[-1].bias, INITIAL_LOG_AMPLITUDE)
        # In cycles, worked out in float64 here: each oscillator's frequency per sample, its
        # phase at render segment 0's first sample (sample -hop / 2; the golden-ratio start is
        # at sample 0) and how far it turns in a hop. Plain attributes, not buffers, so that
        # casting the module to bf16 leaves them exact.
        self._cycles_per_sample = (config.frequencies_hz() / sample_rate_hz).tolist()
        self._first_cycles = [(k * GOLDEN_RATIO_FRACTION - f * (hop_length // 2)) % 1.0
                              for k, f in enumerate(self._cycles_per_sample)]
        self._hop_cycles = [(f * hop_length) % 1.0 for f in self._cycles_per_sample]

    def amplitudes(self, features: torch.Tensor) -> torch.Tensor:
        """(B, in_dim, T) → each oscillator's amplitude per frame, (B, oscillators, T) ≥ 0."""
        return self.config.amplitude_scale * F.softplus(self.net(features))

    def render(self, amplitudes: torch.Tensor) -> torch.Tensor:
        """(B, oscillators, T) amplitudes → (B, T · hop) waveform, amplitudes interpolated
        linearly between frame centres (as ``F.interpolate(..., mode="linear")``).

        Segment t (t = 0 … T) is the hop from sample t · hop − hop / 2, between the centres of
        frames t − 1 and t (the first and the last hold the edge frame): its gain ramps from
        one frame's amplitude to the next. As sin(φ + θ) = sin φ cos θ + cos φ sin θ, with φ an
        oscillator's phase at the segment's first sample and θ what it turns within the
        segment, each end of every segment is one matrix product with a (2 · oscillators, hop)
        table of cos θ and sin θ."""
        count, frames = amplitudes.shape[1:]
        if count != self.config.oscillators:
            raise ValueError(f"expected {self.config.oscillators} oscillators' amplitudes, got "
                             f"{count}")
        device, dtype, hop = amplitudes.device, amplitudes.dtype, self.hop_length

        def constant(values: list[float]) -> torch.Tensor:
            return torch.tensor(values, dtype=torch.float32, device=device)[:, None]

        segments = torch.arange(frames + 1, dtype=torch.float32, device=device)
        turns = torch.remainder(constant(self._first_cycles)
                                + constant(self._hop_cycles) * segments, 1.0)  # (n, T + 1)
        within = torch.remainder(constant(self._cycles_per_sample)
                                 * torch.arange(hop, dtype=torch.float32, device=device), 1.0)
        basis = torch.cat([torch.cos(2 * math.pi * within),
                           torch.sin(2 * math.pi * within)]).to(dtype)  # (2n, hop)
        weights = torch.cat([torch.sin(2 * math.pi * turns),
                             torch.cos(2 * math.pi * turns)]).to(dtype)  # (2n, T + 1)
        padded = torch.cat([amplitudes[..., :1], amplitudes, amplitudes[..., -1:]], dim=-1)
        ends = torch.stack([padded[..., :-1], padded[..., 1:]], dim=1)  # (B, 2, n, T + 1)
        lines = (ends.repeat(1, 1, 2, 1) * weights).transpose(-1, -2) @ basis  # (B, 2, T+1, hop)
        ramp = (torch.arange(hop, dtype=dtype, device=device) + 0.5) / hop
        waveform = lines[:, 0] * (1 - ramp) + lines[:, 1] * ramp  # (B, T + 1, hop)
        return waveform.flatten(1)[:, hop // 2 : hop // 2 + frames * hop]

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.render(self.amplitudes(features))


def spectral_targets(waveform: torch.Tensor, config: SineBankConfig, sample_rate_hz: int,
                     hop_length: int, window: int = 1280, fft_size: int = 4096) -> torch.Tensor:
    """What each oscillator should play: (B, S) → (B, oscillators, S // hop) amplitudes.

    Each frame (a Hann window of ``window`` samples centred on the latent frame) is analysed,
    and the power of every FFT bin goes to the oscillator nearest in log-frequency; an
    oscillator's amplitude is the one whose sine has that power (a sine of amplitude a has
    power a²/2). A steady sine of amplitude a on an oscillator's frequency gives that
    oscillator a (and its neighbours what leaks past the window's main lobe).
    """
    batch, length = waveform.shape
    frames = length // hop_length
    padded = F.pad(waveform, (window // 2 - hop_length // 2, window))
    windows = padded.unfold(1, window, hop_length)[:, :frames]  # (B, T, window)
    hann = torch.hann_window(window, periodic=False, dtype=waveform.dtype,
                             device=waveform.device)
    spectrum = torch.fft.rfft(windows * hann, n=fft_size)
    power = 2 * spectrum.abs().pow(2) / (fft_size * hann.pow(2).sum())  # per bin, (B, T, F)
    bins_hz = torch.fft.rfftfreq(fft_size, 1.0 / sample_rate_hz).to(waveform.device)
    oscillators = torch.log(config.frequencies_hz()).to(waveform.device, torch.float32)
    nearest = (torch.log(bins_hz.clamp_min(1.0))[:, None] - oscillators[None]).abs().argmin(1)
    low, high = config.range_hz
    spacing = (high / low) ** (1 / (config.oscillators - 1))  # ratio between neighbours
    inside = (bins_hz >= low / spacing**0.5) & (bins_hz <= high * spacing**0.5)
    per_oscillator = torch.zeros(batch, frames, config.oscillators, dtype=power.dtype,
                                 device=power.device)
    per_oscillator.index_add_(2, nearest, power * inside)
    return (2 * per_oscillator).sqrt().transpose(1, 2)
