"""A tiny random checkpoint: a two-layer DiT per stage and tiny instances of the real component
classes (DAC-VAE, PE-A-Frame, T5, CLAP). It makes no meaningful sound; it runs every code path on
the CPU in well under a second, for tests and for trying the tools."""

from __future__ import annotations

from pathlib import Path

import torch
from semanticaudio.engine.checkpoint import Checkpoint, Components, save_checkpoint
from semanticaudio.engine.config import (
    BACKBONE_SIZES,
    CheckpointConfig,
    FlowEditConfig,
    ModelConfig,
    ModelType,
    SamplingConfig,
)
from semanticaudio.engine.models.semantic_audio import SemanticAudioModel

# Few steps keep tests fast; the paper's step counts are the defaults of real checkpoints.
TINY_SAMPLING = SamplingConfig(planner_steps=4, synth_steps=3, base_steps=4)
TINY_FLOWEDIT = FlowEditConfig(num_steps=6, n_max=5, n_min=1, n_avg=1)


def build_tiny_checkpoint(seed: int = 0, model_type: ModelType = "semanticaudio") -> Checkpoint:
    """A tiny random model with tiny components, in memory."""
    from semanticaudio.engine.components.tiny import build_tiny_components

    components = Components(**build_tiny_components(seed))
    codec, encoder = components.codec, components.semantic_encoder
    config = ModelConfig(
        model_type=model_type,
        backbone=BACKBONE_SIZES["tiny"],
        acoustic_dim=codec.latent_dim,
        semantic_embed_dim=encoder.embed_dim,
        semantic_dim=8,
        head_hidden_dim=16,
        global_dim=components.text_global.embed_dim,
        token_dim=components.text_tokens.embed_dim,
    )
    torch.manual_seed(seed)
    model = SemanticAudioModel(config)
    _randomize_outputs(model, seed)
    name = f"tiny-{model_type}"
    return Checkpoint(
        CheckpointConfig(config, TINY_SAMPLING, TINY_FLOWEDIT, name=name), model.eval(), components
    )


def write_tiny_checkpoint(
    folder: str | Path, seed: int = 0, model_type: ModelType = "semanticaudio"
) -> Path:
    """Build a tiny random checkpoint and save it into ``folder``. → the folder."""
    return save_checkpoint(folder, build_tiny_checkpoint(seed, model_type))


@torch.no_grad()
def _randomize_outputs(model: SemanticAudioModel, seed: int) -> None:
    """Untrained DiTs predict zero velocity (adaLN-zero); give the random model some motion so
    that tests see conditioning, guidance and seeds make a difference."""
    generator = torch.Generator().manual_seed(seed)
    for name, parameter in model.named_parameters():
        if parameter.dim() >= 1 and ("adaln" in name or "out_proj" in name):
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.05)
