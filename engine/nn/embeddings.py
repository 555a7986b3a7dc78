"""Timestep embedding and the adaLN modulation helper."""

from __future__ import annotations

import math

import torch
from torch import nn


class TimestepEmbedding(nn.Module):
    """Flow time t ∈ [0, 1] → (B, width): sinusoidal features, then a two-layer MLP."""

    def __init__(self, width: int, num_freqs: int = 256) -> None:
        super().__init__()
        self.num_freqs = num_freqs
        self.mlp = nn.Sequential(nn.Linear(num_freqs, width), nn.SiLU(), nn.Linear(width, width))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        half = self.num_freqs // 2
        freqs = torch.exp(
            -math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half
        )
        # t is scaled by 1000 so that the fastest frequencies resolve steps of 1/50
        angles = 1000.0 * t.float()[:, None] * freqs[None]  # (B, half)
        features = torch.cat([angles.cos(), angles.sin()], dim=-1)
        return self.mlp(features.to(self.mlp[0].weight.dtype))


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """adaLN: x (B, T, W) normalised elsewhere; shift, scale (B, W)."""
    return x * (1 + scale[:, None]) + shift[:, None]
