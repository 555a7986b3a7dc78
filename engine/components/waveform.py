"""Small waveform helpers shared by the components that read audio."""

from __future__ import annotations

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
