"""The assembled models: SemanticAudio (planner + synthesizer + head) and the Base model.

All stages share one backbone class (``DiT``). Latents are standardised per channel by fixed
statistics measured on the training data (``LatentNorm``), so the flow always transports unit
noise to data of a similar scale.
"""

from __future__ import annotations

import torch
from semanticaudio.engine.config import ModelConfig
from semanticaudio.engine.models.dit import DiT
from semanticaudio.engine.models.head import ProjectionHead
from torch import nn


class LatentNorm(nn.Module):
    """Per-channel standardisation with stored statistics (identity until they are set)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    @torch.no_grad()
    def set_statistics(self, latents: torch.Tensor) -> None:
        """Measure mean and std over every frame of (..., dim)."""
        flat = latents.reshape(-1, latents.shape[-1]).float()
        self.mean.copy_(flat.mean(0))
        self.std.copy_(flat.std(0).clamp_min(1e-5))

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.std.to(x.dtype) + self.mean.to(x.dtype)


class SemanticAudioModel(nn.Module):
    """Holds the stages of one model type.

    semanticaudio: ``head``, ``planner`` (text → semantic latent) and ``synthesizer`` (semantic
    latent → acoustic latent); base: ``base`` (text → acoustic latent).
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        text_dims = {"global_dim": c.global_dim, "token_dim": c.token_dim}
        self.acoustic_norm = LatentNorm(c.acoustic_dim)
        if c.model_type == "base":
            self.base = DiT(c.acoustic_dim, c.acoustic_dim, c.backbone, **text_dims)
            return
        self.head = ProjectionHead(c.head, c.semantic_embed_dim, c.semantic_dim, c.head_hidden_dim)
        self.semantic_norm = LatentNorm(c.semantic_dim)
        self.planner = DiT(c.semantic_dim, c.semantic_dim, c.backbone, **text_dims)
        self.synthesizer = DiT(
            c.acoustic_dim, c.acoustic_dim, c.backbone, frame_cond_dim=c.semantic_dim, **text_dims
        )

    @property
    def is_two_stage(self) -> bool:
        return self.config.model_type == "semanticaudio"

    def semantic_latent(self, encoder_frames: torch.Tensor) -> torch.Tensor:
        """Semantic encoder frames (B, T, 1024) → standardised semantic latent (B, T, d)."""
        return self.semantic_norm.normalize(self.head(encoder_frames))

    def stage_parameter_counts(self) -> dict[str, int]:
        """Parameters per stage (the head, each DiT), for ``sa info``."""
        return {
            name: sum(p.numel() for p in module.parameters())
            for name, module in self.named_children()
            if not isinstance(module, LatentNorm)
        }
