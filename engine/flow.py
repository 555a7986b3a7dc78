"""The flow-matching objective.

Convention (used everywhere in this project, as in REFERENCE.md's FlowEdit):
x_t = (1 − t)·x0 + t·ε, so t = 1 is pure noise and t = 0 is data; the network predicts the
velocity v = ε − x0, and sampling integrates dx/dt = v from t = 1 down to t = 0.
"""

from __future__ import annotations

import torch
from semanticaudio.engine.components.base import TextEmbedding
from semanticaudio.engine.models.dit import DiT

CFG_DROPOUT = 0.1  # paper, appendix A.2: 10 % of samples drop both text conditions


def sample_timesteps(
    batch_size: int, device: torch.device, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Logit-normal(0, 1) flow times in (0, 1) (paper, section 4.2). → (B,)."""
    normal = torch.randn(batch_size, generator=generator, device="cpu")
    return torch.sigmoid(normal).to(device)


def interpolate(data: torch.Tensor, noise: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """x_t = (1 − t)·data + t·noise, with t of shape (B,)."""
    t = t.to(data.dtype)[:, None, None]
    return (1 - t) * data + t * noise


def flow_matching_loss(
    model: DiT,
    data: torch.Tensor,
    text: TextEmbedding,
    *,
    frame_cond: torch.Tensor | None = None,
    frame_mask: torch.Tensor | None = None,
    cfg_dropout: float = CFG_DROPOUT,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Mean squared velocity error over real frames.

    data: (B, T, C) clean latents; frame_mask: (B, T) bool, True = real frame (padding is
    excluded from the loss and from attention). One Bernoulli draw per sample drops both text
    conditions jointly for classifier-free guidance.
    """
    B = data.shape[0]
    noise = torch.randn(data.shape, generator=generator, device="cpu").to(data)
    t = sample_timesteps(B, data.device, generator)
    drop = (torch.rand(B, generator=generator, device="cpu") < cfg_dropout).to(data.device)
    x_t = interpolate(data, noise, t)
    velocity = model(x_t, t, text, frame_cond=frame_cond, frame_mask=frame_mask, drop_text=drop)
    error = (velocity.float() - (noise - data).float()).pow(2).mean(dim=-1)  # (B, T)
    if frame_mask is None:
        return error.mean()
    weights = frame_mask.to(error.dtype)
    return (error * weights).sum() / weights.sum().clamp_min(1.0)
