"""Shared builders for the optimised path's tests: tiny models, texts, configs."""

from __future__ import annotations

import torch
from semanticaudio.engine.accel.config import FastConfig
from semanticaudio.engine.accel.runtime import Accelerator
from semanticaudio.engine.components.base import TextEmbedding
from semanticaudio.engine.tiny import build_tiny_checkpoint

FP32_TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}  # padding and batching change only rounding
# bf16 copies vs the fp32 plain path. Latents: relative L2 (tiny model: about 0.005). Waveforms:
# the RMS of the difference as a fraction of full scale, -40 dBFS (tiny model: 0.0028). Waveforms
# are not judged against their own level: the tiny random codec rounds at the scale of a 0.6 DC
# offset that the pipeline's DC filter removes, leaving 0.04 RMS of sound (relative L2 0.07).
BF16_RELATIVE_L2 = 0.03
BF16_WAVEFORM_RMS = 0.01


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


def bf16_error(field: str, output: torch.Tensor, reference: torch.Tensor) -> tuple[float, float]:
    """(error, bound) of one output field of the bf16 path against the fp32 plain path."""
    if field == "waveforms":
        return float((output.float() - reference.float()).pow(2).mean().sqrt()), BF16_WAVEFORM_RMS
    return relative_l2(output, reference), BF16_RELATIVE_L2
