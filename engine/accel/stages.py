"""The sampling loops of the optimised path, written for static shapes and CUDA graph capture.

Each loop takes a plan (Python constants: step counts and which passes run, part of the graph
key) and one frozen dataclass of tensors whose shapes are fixed per key. It creates no tensor from
host data and never synchronises, so it can be captured as is. Conditions are computed once per
call: the text projections, every step's adaLN modulation (the time grid is known in advance)
and the rotary tables. Latents stay float32; the DiT runs in its own parameter dtype. The maths
is the plain path's (``sampling.py``, ``flowedit.py``), step for step.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import torch
from semanticaudio.engine.components.base import TextEmbedding
from semanticaudio.engine.models.dit import DiT, StepModulation, TextState
from semanticaudio.engine.sampling import apply_guidance, concat_text, time_grid

SourceKind = Literal["null", "conditional", "guided"]


@dataclass(frozen=True)
class EulerPlan:
    """An Euler loop of ``num_steps`` steps; ``guided``: a conditional and a null-text pass;
    ``null_text``: one pass with the null text only (a synthesizer trained without text)."""

    num_steps: int
    guided: bool
    null_text: bool = False

    def __post_init__(self) -> None:
        if self.guided and self.null_text:
            raise ValueError("a null-text loop has nothing to guide: guided must be False")


@dataclass(frozen=True)
class EulerInputs:
    """noise: (V, L, C) float32, zero after the real frames; frame_mask: (V, L) bool; text: V
    prompts with tokens padded to the capacity; times: (num_steps,) float32, each step's t;
    guidance: () float32; frame_cond: (V, L, C') or None."""

    noise: torch.Tensor
    frame_mask: torch.Tensor
    text: TextEmbedding
    times: torch.Tensor
    guidance: torch.Tensor
    frame_cond: torch.Tensor | None = None


@dataclass(frozen=True)
class FlowEditPlan:
    """FlowEdit's schedule (``FlowEditConfig``) and which velocity passes each draw needs."""

    num_steps: int
    n_max: int
    n_min: int
    n_avg: int
    source: SourceKind  # null text; source caption at guidance 1; source caption guided
    target_guided: bool
    has_region: bool

    @property
    def edit_steps(self) -> range:
        """Grid indices of the FlowEdit phase (the noisiest num_steps − n_max are skipped)."""
        return range(self.num_steps - self.n_max, self.num_steps - self.n_min)

    @property
    def target_steps(self) -> range:
        """Grid indices of the last n_min steps: plain target sampling."""
        return range(self.num_steps - self.n_min, self.num_steps)


@dataclass(frozen=True)
class FlowEditInputs:
    """x_src: (V, L, C) float32; frame_mask: (V, L); target, source: V prompts each (source is
    the target again when the source is null); noise: (n_max − n_min, n_avg, V, L, C), the
    FlowEdit phase's draws in order; target_noise: (V, L, C), the draw of the first target step;
    times: (num_steps,); target_guidance, source_guidance: (); region: (V, L, 1) or None."""

    x_src: torch.Tensor
    frame_mask: torch.Tensor
    target: TextEmbedding
    source: TextEmbedding
    noise: torch.Tensor
    target_noise: torch.Tensor
    times: torch.Tensor
    target_guidance: torch.Tensor
    source_guidance: torch.Tensor
    region: torch.Tensor | None = None


@dataclass(frozen=True)
class _Pass:
    """One velocity pass of a FlowEdit draw: which latent, which text, whether it is dropped."""

    latent: Literal["target", "source"]
    text: Literal["target", "source"]
    drop: bool


class _Field:
    """A DiT with one batch layout's conditions prepared: text, modulations, rotary, masks."""

    def __init__(
        self,
        dit: DiT,
        text: TextEmbedding,
        drop: torch.Tensor,
        times: torch.Tensor,
        frame_mask: torch.Tensor,
        frame_cond: torch.Tensor | None = None,
    ) -> None:
        self.dit = dit
        self.dtype = dit.in_proj.weight.dtype
        self.state: TextState = dit.prepare_text(text.to(drop.device, self.dtype), drop)
        self.modulations = _modulations(dit, times, self.state.global_features)
        self.rotary = dit.rotary(frame_mask.shape[1], frame_mask.device)
        self.frame_mask = frame_mask
        self.frame_cond = None if frame_cond is None else frame_cond.to(self.dtype)

    def velocity(self, x: torch.Tensor, step: int) -> torch.Tensor:
        """x: (N, L, C) float32 at the ``step``-th prepared time → float32 velocity."""
        v = self.dit.velocity(
            x.to(self.dtype), self.modulations[step], self.state, self.rotary,
            self.frame_cond, self.frame_mask,
        )
        return v.float()


def _modulations(dit: DiT, times: torch.Tensor, global_features: torch.Tensor
                 ) -> list[StepModulation]:
    """Every step's adaLN inputs in one batched pass: times (S,), global_features (N, W)."""
    S, N = times.shape[0], global_features.shape[0]
    stacked = dit.step_modulation(times.repeat_interleave(N), global_features.repeat(S, 1))
    blocks = stacked.blocks.view(S, N, *stacked.blocks.shape[1:]).unbind(0)  # S × (N, 6, W)
    final = stacked.final.view(S, N, -1).unbind(0)  # S × (N, 2W)
    return [StepModulation(b, f) for b, f in zip(blocks, final, strict=True)]


def _guided_field(
    dit: DiT, text: TextEmbedding, guided: bool, times: torch.Tensor, frame_mask: torch.Tensor,
    frame_cond: torch.Tensor | None = None, null_text: bool = False,
) -> _Field:
    """The batch [conditional; null text] when guided, else [conditional] (or [null text])."""
    copies = 2 if guided else 1
    V = frame_mask.shape[0]
    first_dropped = 0 if null_text else V
    drop = torch.arange(copies * V, device=frame_mask.device) >= first_dropped  # (copies·V,)
    cond = None if frame_cond is None else frame_cond.repeat(copies, 1, 1)
    return _Field(dit, concat_text([text] * copies), drop, times, frame_mask.repeat(copies, 1),
                  cond)


def _guided_velocity(field: _Field, x: torch.Tensor, step: int, guided: bool,
                     guidance: torch.Tensor) -> torch.Tensor:
    """v_uncond + guidance·(v_cond − v_uncond), both passes in one forward; x (V, L, C)."""
    if not guided:
        return field.velocity(x, step)
    v_cond, v_uncond = field.velocity(torch.cat([x, x]), step).chunk(2)
    return apply_guidance(v_cond, v_uncond, guidance)


def euler_loop(dit: DiT, plan: EulerPlan, inputs: EulerInputs) -> torch.Tensor:
    """Integrate from t = 1 to 0 with guided Euler steps. → (V, L, C) float32."""
    field = _guided_field(dit, inputs.text, plan.guided, inputs.times, inputs.frame_mask,
                          inputs.frame_cond, plan.null_text)
    x = inputs.noise
    for step, (t, t_next) in enumerate(itertools.pairwise(time_grid(plan.num_steps))):
        x = x + (t_next - t) * _guided_velocity(field, x, step, plan.guided, inputs.guidance)
    return x


def edit_passes(plan: FlowEditPlan) -> list[_Pass]:
    """The velocity passes of one draw, in batch order (the plain path's order)."""
    passes = [_Pass("target", "target", False)]
    if plan.target_guided:
        passes.append(_Pass("target", "target", True))
    if plan.source == "null":
        return [*passes, _Pass("source", "target", True)]
    if plan.source == "guided":
        passes.append(_Pass("source", "source", True))
    return [*passes, _Pass("source", "source", False)]


def flowedit_loop(dit: DiT, plan: FlowEditPlan, inputs: FlowEditInputs) -> torch.Tensor:
    """FlowEdit (``flowedit.flow_edit``) with every draw and pass of a step in one forward.

    → the edited clean latent (V, L, C) float32.
    """
    grid = time_grid(plan.num_steps)
    z_edit = _edit_phase(dit, plan, inputs, grid)
    edited = _target_phase(dit, plan, inputs, grid, z_edit) if plan.n_min else z_edit
    if inputs.region is None:
        return edited
    return inputs.region * edited + (1 - inputs.region) * inputs.x_src


def _edit_phase(dit: DiT, plan: FlowEditPlan, inputs: FlowEditInputs, grid: list[float]
                ) -> torch.Tensor:
    """Integrate the averaged delta velocity over the FlowEdit steps. → z_edit (V, L, C)."""
    x_src = inputs.x_src
    steps = plan.edit_steps
    if not steps:
        return x_src
    passes = edit_passes(plan)
    V, L, C = x_src.shape
    texts = [inputs.target if p.text == "target" else inputs.source for p in passes]
    drop = torch.cat([torch.full((V,), p.drop, device=x_src.device) for p in passes])
    field = _Field(dit, concat_text(texts * plan.n_avg), drop.repeat(plan.n_avg),
                   inputs.times[steps.start:steps.stop],
                   inputs.frame_mask.repeat(plan.n_avg * len(passes), 1))
    z_edit = x_src
    for k, i in enumerate(steps):
        t, t_next = grid[i], grid[i + 1]
        z_src = (1 - t) * x_src + t * inputs.noise[k]  # (n_avg, V, L, C)
        z_tar = z_edit + z_src - x_src
        batch = torch.stack([z_tar if p.latent == "target" else z_src for p in passes], dim=1)
        v = field.velocity(batch.reshape(-1, L, C), k).view(plan.n_avg, len(passes), V, L, C)
        delta = torch.zeros_like(x_src)
        for draw in v.unbind(0):
            v_tar, v_src = _combine(draw, plan, inputs)
            delta = delta + (v_tar - v_src) / plan.n_avg
        z_edit = z_edit + (t_next - t) * (delta if inputs.region is None else inputs.region * delta)
    return z_edit


def _combine(v: torch.Tensor, plan: FlowEditPlan, inputs: FlowEditInputs
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """One draw's passes (P, V, L, C) → guided target and source velocities."""
    v_tar = v[0]
    if plan.target_guided:
        v_tar = apply_guidance(v[0], v[1], inputs.target_guidance)
    first = 2 if plan.target_guided else 1
    v_src = v[first]
    if plan.source == "guided":
        v_src = apply_guidance(v[first + 1], v[first], inputs.source_guidance)
    return v_tar, v_src


def _target_phase(dit: DiT, plan: FlowEditPlan, inputs: FlowEditInputs, grid: list[float],
                  z_edit: torch.Tensor) -> torch.Tensor:
    """The last n_min steps: guided target sampling from the edited trajectory."""
    steps = plan.target_steps
    field = _guided_field(dit, inputs.target, plan.target_guided,
                          inputs.times[steps.start:steps.stop], inputs.frame_mask)
    t0, x_src = grid[steps.start], inputs.x_src
    x_tar = z_edit + (t0 * inputs.target_noise + (1 - t0) * x_src) - x_src
    for k, i in enumerate(steps):
        velocity = _guided_velocity(field, x_tar, k, plan.target_guided, inputs.target_guidance)
        x_tar = x_tar + (grid[i + 1] - grid[i]) * velocity
    return x_tar
