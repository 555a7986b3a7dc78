"""Small waveform helpers shared by the components that read audio and the pipeline."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def check_mono(waveform: torch.Tensor) -> None:
    """Raise unless ``waveform`` is a non-empty mono batch (B, num_samples)."""
    if waveform.ndim != 2 or waveform.shape[-1] == 0:
        raise ValueError(
            f"waveform must be mono (B, num_samples) with num_samples > 0, "
            f"got shape {tuple(waveform.shape)}"
        )


def pad_to_hop(waveform: torch.Tensor, hop_length: int) -> torch.Tensor:
    """(B, S) → (B, ceil(S / hop) * hop), padded at the end.

    Reflected (as the published DAC-VAE and PE feature extractor do) when the input is longer
    than the padding, with zeros otherwise (reflection needs that many samples).
    """
    pad = -waveform.shape[-1] % hop_length
    if pad == 0:
        return waveform
    mode = "reflect" if pad < waveform.shape[-1] else "constant"
    return F.pad(waveform.unsqueeze(1), (0, pad), mode=mode).squeeze(1)  # (B, S + pad)


# Below the audible range and above any musical content; a sound designer's DC filter.
DC_CUTOFF_HZ = 10.0


def remove_dc(waveforms: torch.Tensor, sample_rate_hz: int,
              cutoff_hz: float = DC_CUTOFF_HZ) -> torch.Tensor:
    """(B, S) → (B, S): a one-pole DC blocker, −3 dB near ``cutoff_hz``; same dtype and device.

    ``y[n] = x[n] − x[n−1] + p·y[n−1]`` with ``p = exp(−2π·cutoff/rate)``, in float64 (the pole
    is within 0.2 % of 1). The clip is taken to have sat at its first sample before it started,
    so a constant offset is removed from the very first sample instead of decaying away: a
    constant input gives exact zeros. On the CPU it runs sample by sample (torchaudio's
    ``lfilter``); on a GPU, where that would be one thread's work, as a convolution with the
    filter's impulse response by FFT (``_one_pole_by_fft``). Both repeat bit for bit, so a
    seed's output does; a scan (``cumsum``) would not on CUDA.
    """
    check_mono(waveforms)
    x = waveforms.detach().double()
    steps = torch.diff(x, dim=-1, prepend=x[..., :1])  # the first step is 0
    pole = math.exp(-2.0 * math.pi * cutoff_hz / sample_rate_hz)
    if x.is_cuda:
        return _one_pole_by_fft(steps, pole).to(waveforms.dtype)
    import torchaudio.functional as AF

    a = torch.tensor([1.0, -pole], dtype=torch.float64)
    b = torch.tensor([1.0, 0.0], dtype=torch.float64)
    return AF.lfilter(steps, a, b, clamp=False).to(waveforms.dtype)


# The impulse response p^k is cut where it falls below this: under float64's resolution of a
# full-scale sample, so the cut changes nothing that float64 can hold.
_RESPONSE_FLOOR = 1e-17


def _one_pole_by_fft(steps: torch.Tensor, pole: float) -> torch.Tensor:
    """``y[n] = steps[n] + pole·y[n−1]`` from y = 0, as steps convolved with pole^k by FFT."""
    length = steps.shape[-1]
    taps = min(length, math.ceil(math.log(_RESPONSE_FLOOR) / math.log(pole)))
    response = pole ** torch.arange(taps, dtype=torch.float64, device=steps.device)
    size = length + taps - 1
    product = torch.fft.rfft(steps, size) * torch.fft.rfft(response, size)
    return torch.fft.irfft(product, size)[..., :length]
