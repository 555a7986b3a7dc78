"""The interfaces that the pipeline and the trainers use to talk to frozen components.

Every component is an ``nn.Module`` (so ``.to(device)``, ``state_dict`` and safetensors work) with
a few plain attributes that describe its rates and sizes. Shapes are batch-first:
waveforms are ``(B, num_samples)`` mono at the component's own ``sample_rate_hz``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class TextEmbedding:
    """Both text conditions of a batch of prompts.

    global_vector: (B, global_dim), the CLAP-style sentence embedding (adaLN input).
    tokens: (B, L, token_dim), the T5-style token embeddings (cross-attention keys).
    token_mask: (B, L) bool, True where a token is real, False for padding.
    """

    global_vector: torch.Tensor
    tokens: torch.Tensor
    token_mask: torch.Tensor

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> TextEmbedding:
        return TextEmbedding(
            self.global_vector.to(device=device, dtype=dtype),
            self.tokens.to(device=device, dtype=dtype),
            self.token_mask.to(device=device),
        )

    def repeat(self, times: int) -> TextEmbedding:
        """Repeat every prompt ``times`` times along the batch (for variations)."""
        return TextEmbedding(
            self.global_vector.repeat_interleave(times, dim=0),
            self.tokens.repeat_interleave(times, dim=0),
            self.token_mask.repeat_interleave(times, dim=0),
        )

    @property
    def batch_size(self) -> int:
        return self.global_vector.shape[0]


class AcousticCodec(nn.Module):
    """Waveform ↔ continuous acoustic latent (the paper's DAC-VAE: 48 kHz, hop 1920, 128-dim)."""

    sample_rate_hz: int
    hop_length: int
    latent_dim: int

    @property
    def frame_rate_hz(self) -> float:
        return self.sample_rate_hz / self.hop_length

    def encode(self, waveform: torch.Tensor) -> torch.Tensor:
        """(B, num_samples) → posterior mean latent (B, num_frames, latent_dim)."""
        raise NotImplementedError

    def decode(self, latent: torch.Tensor) -> torch.Tensor:
        """(B, num_frames, latent_dim) → waveform (B, num_frames * hop_length)."""
        raise NotImplementedError


class SemanticEncoder(nn.Module):
    """Waveform → frame-level semantic embeddings (the paper's PE-A-Frame: 25 fps, 1024-dim)."""

    sample_rate_hz: int
    frame_rate_hz: float
    embed_dim: int

    def encode(self, waveform: torch.Tensor) -> torch.Tensor:
        """(B, num_samples) at ``sample_rate_hz`` → (B, num_frames, embed_dim)."""
        raise NotImplementedError


class GlobalTextEncoder(nn.Module):
    """Prompts → one vector each (the paper's CLAP text tower, 1024-dim in the paper's setup)."""

    embed_dim: int

    def encode(self, prompts: list[str]) -> torch.Tensor:
        """list of B prompts → (B, embed_dim)."""
        raise NotImplementedError


class TokenTextEncoder(nn.Module):
    """Prompts → token sequence + mask (the paper's Flan-T5-Large encoder, 1024-dim)."""

    embed_dim: int

    def encode(self, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """list of B prompts → tokens (B, L, embed_dim) and mask (B, L) bool (True = real)."""
        raise NotImplementedError
