"""Rotary position embeddings over frame positions (RoPE, Su et al.)."""

from __future__ import annotations

import torch
from torch import nn


class RotaryEmbedding(nn.Module):
    """Gives cos/sin tables for ``num_frames`` positions; applied to queries and keys per head."""

    def __init__(self, head_dim: int, base: float = 10000.0) -> None:
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, num_frames: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """→ cos, sin, each (num_frames, head_dim), float32."""
        positions = torch.arange(num_frames, device=device, dtype=torch.float32)
        angles = torch.outer(positions, self.inv_freq.to(device))  # (T, hd/2)
        angles = torch.cat([angles, angles], dim=-1)  # (T, hd)
        return angles.cos(), angles.sin()


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate (B, heads, T, head_dim) by the tables from ``RotaryEmbedding``."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return (x * cos + rotated * sin).to(x.dtype)
