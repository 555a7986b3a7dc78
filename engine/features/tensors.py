"""Small tensor helpers for frame sequences and token sequences of different lengths."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def fit_samples(waveforms: torch.Tensor, num_samples: int) -> torch.Tensor:
    """(B, S) → (B, num_samples): cut, or pad with zeros (silence) at the end."""
    if waveforms.shape[-1] >= num_samples:
        return waveforms[:, :num_samples]
    return F.pad(waveforms, (0, num_samples - waveforms.shape[-1]))


def fit_frames(frames: torch.Tensor, num_frames: int) -> torch.Tensor:
    """(B, T', C) → (B, num_frames, C): cut, or repeat the last frame.

    Encoders may round a hop-aligned length differently by a frame; every feature of a clip
    must have exactly ``num_frames`` frames so that they pair one to one.
    """
    missing = num_frames - frames.shape[1]
    if missing <= 0:
        return frames[:, :num_frames]
    return torch.cat([frames, frames[:, -1:].expand(-1, missing, -1)], dim=1)


def pad_tokens(
    tokens: list[torch.Tensor], masks: list[torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Stack token batches [(b, L_i, D)] and masks [(b, L_i)] → (Σb, max L, D), (Σb, max L).

    Padding tokens are zeros with mask False (ignored by cross-attention).
    """
    length = max(t.shape[1] for t in tokens)
    padded = [F.pad(t, (0, 0, 0, length - t.shape[1])) for t in tokens]
    padded_masks = [F.pad(m.bool(), (0, length - m.shape[1]), value=False) for m in masks]
    return torch.cat(padded), torch.cat(padded_masks)
