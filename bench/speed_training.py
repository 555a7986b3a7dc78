"""Training throughput of one DiT for bench_speed.py: samples per second at the largest batch
that fits, and what the paper's schedule (500k steps at batch 256) would take at that rate."""

from __future__ import annotations

import time

import torch

PAPER_STEPS, PAPER_BATCH = 500_000, 256  # paper, appendix A.2
LATENT_DIM, TEXT_DIM, NUM_TOKENS = 128, 1024, 32  # paper: d = 128, CLAP and Flan-T5 are 1024


def measure_training(size: str, duration_s: float, device: torch.device) -> dict:
    """Planner-shaped DiT steps (bf16 autocast on CUDA, fp32 on the CPU), fused AdamW."""
    from semanticaudio.engine.config import BACKBONE_SIZES
    from semanticaudio.engine.models.dit import DiT

    batches = (64, 32, 16, 8) if device.type == "cuda" else (4,)
    for batch in batches:
        try:
            torch.manual_seed(0)
            with torch.device(device):  # initialise on the device: no host-side copy
                dit = DiT(LATENT_DIM, LATENT_DIM, BACKBONE_SIZES[size], TEXT_DIM, TEXT_DIM)
            return _train_steps(dit, batch, round(duration_s * 25), device) | {"size": size}
        except torch.OutOfMemoryError:
            dit = None
            torch.cuda.empty_cache()
    return {"error": f"no batch of {batches} fits"}


def _train_steps(dit: torch.nn.Module, batch: int, frames: int, device: torch.device) -> dict:
    from semanticaudio.engine.components.base import TextEmbedding
    from semanticaudio.engine.flow import flow_matching_loss

    data = torch.randn(batch, frames, LATENT_DIM, device=device)
    text = TextEmbedding(torch.randn(batch, TEXT_DIM, device=device),
                         torch.randn(batch, NUM_TOKENS, TEXT_DIM, device=device),
                         torch.ones(batch, NUM_TOKENS, dtype=torch.bool, device=device))
    cuda = device.type == "cuda"
    optimizer = torch.optim.AdamW(dit.parameters(), lr=1e-4, fused=cuda)
    dtype = torch.bfloat16 if cuda else torch.float32
    warm, steps = (3, 10) if cuda else (1, 2)
    for step in range(warm + steps):
        if step == warm:
            _sync(device)
            start = time.perf_counter()
        with torch.autocast(device.type, dtype=dtype, enabled=cuda):
            loss = flow_matching_loss(dit, data, text)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    _sync(device)
    rate = batch * steps / (time.perf_counter() - start)
    return {
        "dtype": str(dtype).removeprefix("torch."), "batch": batch, "frames": frames,
        "samples_per_s": round(rate, 2),
        "peak_memory_gb": round(torch.cuda.max_memory_allocated(device) / 1e9, 2) if cuda else None,
        "paper_500k_steps_at_256_hours_per_dit": round(PAPER_STEPS * PAPER_BATCH / rate / 3600, 1),
        "note": "eager, fused AdamW, one DiT (planner-shaped); the paper trains two",
    }


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
