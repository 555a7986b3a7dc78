"""Shared builders for the optimised path's tests: tiny models, texts, configs."""

from __future__ import annotations

import torch
from semanticaudio.engine.accel.config import FastConfig
from semanticaudio.engine.accel.runtime import Accelerator
from semanticaudio.engine.components.base import TextEmbedding
from semanticaudio.engine.tiny import build_tiny_checkpoint

FP32_TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}  # padding and batching change only rounding
BF16_RELATIVE_L2 = 0.03  # bf16 copies vs the fp32 plain path (tiny model: about 0.006)


def fp32_config(**overrides) -> FastConfig:
    """The bucketed path on the CPU in fp32: equal to the plain path up to rounding."""
    settings = {"dtype": "float32", "codec_dtype": "float32", "compile": False,
                "allow_cpu": True, "bucket_durations_s": (1.0, 2.0), "token_capacity": 12}
    return FastConfig(**(settings | overrides))


def accelerator(model_type="semanticaudio", device="cpu", **overrides) -> Accelerator:
    checkpoint = build_tiny_checkpoint(seed=0, model_type=model_type)
    checkpoint.model.to(device)
    return Accelerator(checkpoint.model, checkpoint.components.codec.to(device),
                       torch.device(device), fp32_config(**overrides), 25.0)


def random_text(dit, batch: int, lengths: tuple[int, ...], seed: int) -> TextEmbedding:
    """Text conditions for ``dit`` with padded tokens (mask False after each length)."""
    generator = torch.Generator().manual_seed(seed)
    L = max(lengths)
    mask = torch.arange(L)[None] < torch.tensor(lengths)[:, None]
    text = TextEmbedding(
        torch.randn(batch, dit.global_proj.in_features, generator=generator),
        torch.randn(batch, L, dit.token_proj.in_features, generator=generator),
        mask,
    )
    return text.to(dit.in_proj.weight.device)


def relative_l2(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.float() - b.float()).norm() / b.float().norm())
