"""The projection head: PE-A-Frame embeddings (1024) → the compact semantic latent (d)."""

from __future__ import annotations

import torch
from semanticaudio.engine.config import HeadKind
from torch import nn


class ProjectionHead(nn.Module):
    """mlp: 1024 → 512 → d with GELU (paper eq. 1); linear: the "DDT" variant; none: raw PE."""

    def __init__(self, kind: HeadKind, in_dim: int, out_dim: int, hidden_dim: int = 512) -> None:
        super().__init__()
        self.kind = kind
        if kind == "mlp":
            self.net: nn.Module = nn.Sequential(
                nn.Linear(in_dim, hidden_dim), nn.GELU(), nn.Linear(hidden_dim, out_dim)
            )
        elif kind == "linear":
            self.net = nn.Linear(in_dim, out_dim)
        else:
            self.net = nn.Identity()

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, T, in_dim) → (B, T, out_dim)."""
        return self.net(frames)
