"""Euler sampling with classifier-free guidance, and the step reporter shared by all loops.

A sampler holds no state between requests: every call gets its model, conditions, noise and
reporter. Guidance batches the conditional and unconditional passes into one forward.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from semanticaudio.engine.components.base import TextEmbedding
from semanticaudio.engine.errors import Cancelled
from semanticaudio.engine.models.dit import DiT

ProgressFn = Callable[[float, str], None]
CancelFn = Callable[[], bool]


class StepReporter:
    """Counts sampling steps across stages; reports progress and honours cancellation per step."""

    def __init__(
        self,
        total_steps: int,
        progress: ProgressFn | None = None,
        should_cancel: CancelFn | None = None,
    ) -> None:
        self.total_steps = max(total_steps, 1)
        self.done_steps = 0
        self._progress = progress
        self._should_cancel = should_cancel

    def check_cancel(self) -> None:
        if self._should_cancel is not None and self._should_cancel():
            raise Cancelled("cancelled by request")

    def step(self, stage: str) -> None:
        """Mark one step of ``stage`` done (call after the step's work)."""
        self.advance(1, stage)

    def advance(self, num_steps: int, stage: str) -> None:
        """Mark ``num_steps`` steps of ``stage`` done at once, with one report (a whole sampling
        loop replayed as one CUDA graph has no step boundaries to report from)."""
        self.done_steps += num_steps
        if self._progress is not None:
            self._progress(min(self.done_steps / self.total_steps, 1.0), stage)


@dataclass(frozen=True)
class VelocityQuery:
    """One velocity evaluation: frames, conditions, and whether the text is the null one."""

    x: torch.Tensor  # (B, T, C)
    text: TextEmbedding
    drop_text: bool
    frame_cond: torch.Tensor | None = None


def concat_text(texts: Sequence[TextEmbedding]) -> TextEmbedding:
    """Stack text conditions of several batches, padding token sequences to the longest."""
    length = max(t.tokens.shape[1] for t in texts)
    tokens = [F.pad(t.tokens, (0, 0, 0, length - t.tokens.shape[1])) for t in texts]
    masks = [F.pad(t.token_mask, (0, length - t.token_mask.shape[1])) for t in texts]
    return TextEmbedding(
        torch.cat([t.global_vector for t in texts]), torch.cat(tokens), torch.cat(masks)
    )


def evaluate_velocities(
    model: DiT, queries: Sequence[VelocityQuery], t: float
) -> list[torch.Tensor]:
    """Run every query in one batched forward at flow time ``t``; → one velocity per query."""
    x = torch.cat([q.x for q in queries])
    text = concat_text([q.text for q in queries])
    # built on the device: a host-to-device copy per step would wait for the queued work
    drop = torch.cat(
        [torch.full((q.x.shape[0],), q.drop_text, device=x.device) for q in queries]
    )
    frame_conds = [q.frame_cond for q in queries]
    frame_cond = None if frame_conds[0] is None else torch.cat(frame_conds)
    time = torch.full((x.shape[0],), t, device=x.device, dtype=torch.float32)
    velocity = model(x, time, text, frame_cond=frame_cond, drop_text=drop)
    return list(velocity.split([q.x.shape[0] for q in queries]))


def guided_velocity(
    model: DiT,
    x: torch.Tensor,
    t: float,
    text: TextEmbedding,
    guidance: float,
    frame_cond: torch.Tensor | None = None,
) -> torch.Tensor:
    """v_uncond + guidance·(v_cond − v_uncond); guidance 1 runs the conditional pass alone."""
    conditional = VelocityQuery(x, text, drop_text=False, frame_cond=frame_cond)
    if guidance == 1.0:
        return evaluate_velocities(model, [conditional], t)[0]
    unconditional = VelocityQuery(x, text, drop_text=True, frame_cond=frame_cond)
    v_cond, v_uncond = evaluate_velocities(model, [conditional, unconditional], t)
    return apply_guidance(v_cond, v_uncond, guidance)


def apply_guidance(
    v_cond: torch.Tensor, v_uncond: torch.Tensor, guidance: float | torch.Tensor
) -> torch.Tensor:
    """Classifier-free guidance: v_uncond + guidance·(v_cond − v_uncond)."""
    return v_uncond + guidance * (v_cond - v_uncond)


def time_grid(num_steps: int) -> list[float]:
    """Uniform grid from t = 1 (noise) to t = 0 (data), num_steps + 1 points."""
    if num_steps < 1:
        raise ValueError(f"num_steps must be at least 1, got {num_steps}")
    return torch.linspace(1.0, 0.0, num_steps + 1, dtype=torch.float64).tolist()


def euler_sample(
    velocity: Callable[[torch.Tensor, float], torch.Tensor],
    noise: torch.Tensor,
    num_steps: int,
    reporter: StepReporter,
    stage: str,
) -> torch.Tensor:
    """Integrate dx/dt = velocity(x, t) from t = 1 to t = 0 with Euler steps. → x at t = 0."""
    x = noise
    grid = time_grid(num_steps)
    for t, t_next in itertools.pairwise(grid):
        reporter.check_cancel()
        x = x + (t_next - t) * velocity(x, t)
        reporter.step(stage)
    return x


def draw_noise(
    shape: tuple[int, ...], generator: torch.Generator, device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """Gaussian noise drawn on the CPU from ``generator`` (bit-identical for a seed), then moved."""
    return torch.randn(shape, generator=generator, dtype=torch.float32).to(device, dtype)
