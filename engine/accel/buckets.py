"""Static shapes: frames padded up to a duration bucket, prompts padded to a token capacity.

Padding is invisible to the DiT: padded frames are masked out of self-attention keys (every
other layer works frame by frame) and padded tokens are masked out of cross-attention.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from semanticaudio.engine.components.base import TextEmbedding


def bucket_frames(bucket_durations_s: tuple[float, ...], frame_rate_hz: float) -> tuple[int, ...]:
    """Bucket durations (s) → bucket lengths in frames, increasing."""
    return tuple(math.ceil(d * frame_rate_hz) for d in bucket_durations_s)


def choose_bucket(num_frames: int, buckets: tuple[int, ...]) -> int | None:
    """The smallest bucket holding ``num_frames`` frames; None when none does."""
    if num_frames < 1:
        raise ValueError(f"num_frames must be at least 1, got {num_frames}")
    return next((b for b in buckets if b >= num_frames), None)


def pad_frames(x: torch.Tensor, length: int, dim: int = 1) -> torch.Tensor:
    """Zero-pad the frame axis ``dim`` (default: (B, T, ...)) up to ``length`` frames."""
    dim = dim % x.dim()
    if x.shape[dim] > length:
        raise ValueError(f"cannot pad {x.shape[dim]} frames into a bucket of {length}")
    pad = [0, 0] * (x.dim() - 1 - dim) + [0, length - x.shape[dim]]
    return F.pad(x, pad)


def frame_mask(batch_size: int, num_frames: int, length: int) -> torch.Tensor:
    """(B, length) bool, True for the first ``num_frames`` frames (the real ones)."""
    return (torch.arange(length) < num_frames).expand(batch_size, length).contiguous()


def pad_tokens(text: TextEmbedding, capacity: int) -> TextEmbedding:
    """Pad the token sequence to ``capacity`` (masked out); the global vector is unchanged."""
    length = text.tokens.shape[1]
    if length > capacity:
        raise ValueError(f"{length} tokens do not fit a token capacity of {capacity}")
    return TextEmbedding(
        text.global_vector,
        F.pad(text.tokens, (0, 0, 0, capacity - length)),
        F.pad(text.token_mask, (0, capacity - length)),
    )
