"""What each stage trains and the loss it minimises (paper, sections 3.2 and 3.3).

stage1: the Acoustic Synthesizer and the projection head, jointly: the head maps the cached
        PE-A-Frame frames to the semantic latent that frame-conditions the synthesizer; the loss
        is the flow loss on standardised acoustic latents.
stage2: the Semantic Planner, on targets from the frozen head (standardised semantic latents).
base:   the Base model, text → standardised acoustic latent directly.
"""

from __future__ import annotations

import torch
from semanticaudio.engine.features.reader import FeatureBatch
from semanticaudio.engine.flow import flow_matching_loss
from semanticaudio.engine.models.semantic_audio import SemanticAudioModel
from torch import nn

TRAINED_MODULES: dict[str, tuple[str, ...]] = {
    "stage1": ("head", "synthesizer"),
    "stage2": ("planner",),
    "base": ("base",),
}


def freeze_for_stage(model: SemanticAudioModel, stage: str) -> dict[str, nn.Parameter]:
    """Freeze every parameter the stage does not train. → name → trained parameter."""
    prefixes = tuple(f"{name}." for name in TRAINED_MODULES[stage])
    trained = {}
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(name.startswith(prefixes))
        if parameter.requires_grad:
            trained[name] = parameter
    return trained


class StageObjective(nn.Module):
    """``forward(batch) → loss`` for one stage; the module DDP wraps.

    ``generator`` (CPU) draws the noise, flow times and CFG drops, so that a run is
    reproducible and resumable from its saved state.
    """

    def __init__(
        self,
        model: SemanticAudioModel,
        stage: str,
        cfg_dropout: float,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        if stage not in TRAINED_MODULES:
            raise ValueError(f"stage must be one of {sorted(TRAINED_MODULES)}, got {stage!r}")
        self.model = model
        self.stage = stage
        self.cfg_dropout = cfg_dropout
        self.generator = generator

    def forward(self, batch: FeatureBatch) -> torch.Tensor:
        model = self.model
        if self.stage == "stage2":
            # targets in float32 even under bf16 autocast: they are what the planner must match
            device_type = batch.semantic_frames.device.type
            with torch.no_grad(), torch.autocast(device_type, enabled=False):
                target = model.semantic_latent(batch.semantic_frames.float())  # (B, T, d)
            return self._loss(model.planner, target, batch)
        acoustic = model.acoustic_norm.normalize(batch.acoustic)  # (B, T, acoustic_dim)
        if self.stage == "base":
            return self._loss(model.base, acoustic, batch)
        semantic = model.semantic_latent(batch.semantic_frames)  # (B, T, d), head trained
        dropout = self.cfg_dropout if model.config.synthesizer_uses_text else 1.0
        return self._loss(model.synthesizer, acoustic, batch, semantic, dropout)

    def _loss(self, dit, data, batch, frame_cond=None, dropout=None) -> torch.Tensor:
        return flow_matching_loss(
            dit,
            data,
            batch.text,
            frame_cond=frame_cond,
            frame_mask=batch.frame_mask,
            cfg_dropout=self.cfg_dropout if dropout is None else dropout,
            generator=self.generator,
        )
