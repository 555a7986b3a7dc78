"""FlowEdit (Kulikov et al. 2025): inversion-free editing with a pretrained flow model.

Used in the semantic space with the planner (the paper's method, section 3.4) and in the
acoustic space with the Base model (the paper's baseline). Same convention as ``flow.py``; the
loop follows REFERENCE.md step by step. A region mask restricts the delta velocity to a range of
frames, which the paper does not offer: frames outside it keep the source's values.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
from semanticaudio.engine.components.base import TextEmbedding
from semanticaudio.engine.config import FlowEditConfig
from semanticaudio.engine.models.dit import DiT
from semanticaudio.engine.sampling import (
    StepReporter,
    VelocityQuery,
    apply_guidance,
    draw_noise,
    evaluate_velocities,
    guided_velocity,
    time_grid,
)


@dataclass(frozen=True)
class EditConditions:
    """The texts of one edit. ``source`` None means the null condition (no source caption)."""

    target: TextEmbedding
    source: TextEmbedding | None = None
    frame_cond: torch.Tensor | None = None  # (B, T, C) when the edited model is frame-conditioned


def flow_edit(
    model: DiT,
    x_src: torch.Tensor,
    conditions: EditConditions,
    settings: FlowEditConfig,
    generator: torch.Generator,
    reporter: StepReporter,
    region_mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Edit the clean latent ``x_src`` (B, T, C) from the source toward the target condition.

    region_mask: (B, T) in [0, 1], 1 where the edit acts (crossfaded at its borders); None edits
    every frame. Returns the edited clean latent (B, T, C).
    """
    mask = None if region_mask is None else region_mask[..., None].to(x_src)  # (B, T, 1)
    grid = time_grid(settings.num_steps)
    T = settings.num_steps
    z_edit = x_src.clone()
    x_tar = None
    for i, (t, t_next) in enumerate(itertools.pairwise(grid)):
        if T - i > settings.n_max:  # skip the noisiest T − n_max steps
            continue
        reporter.check_cancel()
        if T - i > settings.n_min:  # the FlowEdit phase: integrate the delta velocity
            delta = _delta_velocity(model, x_src, z_edit, t, conditions, settings, generator)
            z_edit = z_edit + (t_next - t) * (delta if mask is None else mask * delta)
        else:  # the last n_min steps: plain target sampling from the edited trajectory
            if x_tar is None:
                noise = draw_noise(tuple(x_src.shape), generator, x_src.device, x_src.dtype)
                x_tar = z_edit + (t * noise + (1 - t) * x_src) - x_src
            velocity = guided_velocity(
                model, x_tar, t, conditions.target, settings.target_guidance, conditions.frame_cond
            )
            x_tar = x_tar + (t_next - t) * velocity
        reporter.step("edit")
    edited = z_edit if x_tar is None else x_tar
    return edited if mask is None else mask * edited + (1 - mask) * x_src


def _delta_velocity(
    model: DiT,
    x_src: torch.Tensor,
    z_edit: torch.Tensor,
    t: float,
    conditions: EditConditions,
    settings: FlowEditConfig,
    generator: torch.Generator,
) -> torch.Tensor:
    """V_delta = v_tar(z_tar) − v_src(z_src), averaged over n_avg fresh noise draws (eq. 5)."""
    delta = torch.zeros_like(x_src)
    for _ in range(settings.n_avg):
        noise = draw_noise(tuple(x_src.shape), generator, x_src.device, x_src.dtype)
        z_src = (1 - t) * x_src + t * noise
        z_tar = z_edit + z_src - x_src
        v_src, v_tar = _source_and_target_velocities(model, z_src, z_tar, t, conditions, settings)
        delta = delta + (v_tar - v_src) / settings.n_avg
    return delta


def _source_and_target_velocities(
    model: DiT,
    z_src: torch.Tensor,
    z_tar: torch.Tensor,
    t: float,
    conditions: EditConditions,
    settings: FlowEditConfig,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The guided source and target velocities of one draw, in one batched forward.

    A guidance of 1 runs the conditional pass alone (``v_u + 1·(v_c − v_u)`` is ``v_c`` up to
    rounding): the paper's source caption at guidance 1 costs three passes per draw, not four.
    Without a source caption the source velocity is the null condition's, one pass.
    """
    target, source, frame_cond = conditions.target, conditions.source, conditions.frame_cond
    target_guided = settings.target_guidance != 1.0
    source_guided = source is not None and settings.source_guidance != 1.0
    queries = [VelocityQuery(z_tar, target, False, frame_cond)]
    if target_guided:
        queries.append(VelocityQuery(z_tar, target, True, frame_cond))
    if source is None:  # the null condition
        queries.append(VelocityQuery(z_src, target, True, frame_cond))
    else:
        if source_guided:
            queries.append(VelocityQuery(z_src, source, True, frame_cond))
        queries.append(VelocityQuery(z_src, source, False, frame_cond))
    v = evaluate_velocities(model, queries, t)
    v_tar = apply_guidance(v[0], v[1], settings.target_guidance) if target_guided else v[0]
    v_src = v[-1]
    if source_guided:
        v_src = apply_guidance(v[-1], v[-2], settings.source_guidance)
    return v_src, v_tar
