"""Building the model a fresh run starts from, and the latent statistics it needs.

stage1 / base: a new model; ``acoustic_norm`` is measured on the cache's acoustic latents.
stage2: the stage-1 model (head and synthesizer, EMA weights when kept); ``semantic_norm`` is
measured on the frozen head's outputs over the cache, so the planner learns unit-scale targets.
The synthesizer was trained on the head's raw outputs, so the inverse of that standardisation is
folded into its frame-conditioning projection: after the fold, the synthesizer computes exactly
what it computed in stage 1, now from standardised semantic latents (what the planner produces
and what ``SemanticAudioModel.semantic_latent`` returns).
"""

from __future__ import annotations

from pathlib import Path

import torch
from semanticaudio.engine.config import ModelConfig
from semanticaudio.engine.features.reader import FeatureCache, collate_clips
from semanticaudio.engine.models.semantic_audio import LatentNorm, SemanticAudioModel
from semanticaudio.engine.training.config import TrainConfig
from semanticaudio.engine.training.run import RunError, RunInfo, final_weights, read_run_info

STATISTICS_BATCH = 64  # clips per pass while measuring statistics


def model_config_for(stage: str, config: TrainConfig, dims: dict[str, int]) -> ModelConfig:
    """The model of ``stage``: sizes from the training config, input widths from the cache."""
    arch = config.model
    return ModelConfig(
        model_type="base" if stage == "base" else "semanticaudio",
        backbone=arch.backbone,
        acoustic_dim=dims["acoustic_dim"],
        semantic_embed_dim=dims["semantic_embed_dim"],
        semantic_dim=arch.semantic_dim,
        head=arch.head,
        head_hidden_dim=arch.head_hidden_dim,
        global_dim=dims["global_dim"],
        token_dim=dims["token_dim"],
        synthesizer_uses_text=arch.synthesizer_uses_text,
    )


def fresh_model(
    stage: str, config: TrainConfig, cache: FeatureCache, device: torch.device
) -> SemanticAudioModel:
    """A new model (same initial weights in every process) with acoustic statistics set."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.training.seed)
        model = SemanticAudioModel(model_config_for(stage, config, cache.header.dims))
    model.to(device)
    clips = statistics_clips(cache, config)
    set_statistics(model.acoustic_norm, _moments(cache, clips, lambda b: b.acoustic, device))
    return model


def stage2_model(
    config: TrainConfig, cache: FeatureCache, head_from: Path, device: torch.device
) -> SemanticAudioModel:
    """The stage-1 model, its semantic statistics measured and folded (see module docstring)."""
    source = check_stage1_run(head_from, config, cache)
    model = SemanticAudioModel(source.model)
    weights, _ = final_weights(head_from)
    model.load_state_dict(weights)
    model.to(device)
    clips = statistics_clips(cache, config)
    with torch.no_grad():
        mean, std = _moments(cache, clips, lambda b: model.head(b.semantic_frames), device)
    fold_semantic_statistics(model, mean, std)
    return model


def check_stage1_run(head_from: Path, config: TrainConfig, cache: FeatureCache) -> RunInfo:
    """The stage-1 run must have finished a checkpoint, on features of the same encoders."""
    if not str(head_from):
        raise RunError("stage2 needs the stage-1 run: pass --head-from RUN_DIR "
                       "(or set [stage2] head_from in the config)")
    source = read_run_info(head_from)
    if source.stage != "stage1":
        raise RunError(f"{head_from} is a {source.stage} run; stage2 needs a stage1 run")
    digests = source.cache.component_digests, cache.header.component_digests
    if source.cache.components != cache.header.components or source.cache.dims != dict(
        cache.header.dims
    ) or (all(digests) and digests[0] != digests[1]):  # runs from before digests: not compared
        raise RunError(
            f"{head_from} was trained on features of other components (or other weights at the "
            f"same paths) than the cache {cache.folder}; cache the stage-2 data with the same "
            "--components"
        )
    wanted = model_config_for("stage2", config, cache.header.dims)
    if wanted != source.model:
        raise RunError(
            f"the [model] settings differ from the stage-1 run's ({source.model}); the planner "
            "shares the stage-1 model's configuration: use the same [model] table"
        )
    return source


@torch.no_grad()
def fold_semantic_statistics(
    model: SemanticAudioModel, mean: torch.Tensor, std: torch.Tensor
) -> None:
    """Set ``semantic_norm`` to (mean, std) without changing what the synthesizer computes.

    The synthesizer's input u = (h − m₀)/s₀ becomes u′ = (h − m₁)/s₁, i.e. u = (s₁u′ + m₁ − m₀)/s₀;
    its projection W·u + b is rewritten as W′·u′ + b′ with W′ = W·diag(s₁/s₀) and
    b′ = b + W·(m₁ − m₀)/s₀.
    """
    norm = model.semantic_norm
    projection = model.synthesizer.frame_cond_proj
    old_mean, old_std = norm.mean.clone(), norm.std.clone()
    new_std = std.to(old_std).clamp_min(1e-5)
    new_mean = mean.to(old_mean)
    projection.bias.add_(projection.weight @ ((new_mean - old_mean) / old_std))
    projection.weight.mul_((new_std / old_std)[None, :])
    norm.mean.copy_(new_mean)
    norm.std.copy_(new_std)


def set_statistics(norm: LatentNorm, moments: tuple[torch.Tensor, torch.Tensor]) -> None:
    mean, std = moments
    norm.mean.copy_(mean)
    norm.std.copy_(std.clamp_min(1e-5))


def statistics_clips(cache: FeatureCache, config: TrainConfig) -> list[int]:
    """A seeded random subset of at most ``norm_max_clips`` clips (the same in every process)."""
    generator = torch.Generator().manual_seed(config.training.seed)
    order = torch.randperm(len(cache), generator=generator)
    return sorted(order[: config.training.norm_max_clips].tolist())


def _moments(cache: FeatureCache, clips: list[int], latent_of, device: torch.device):
    """Per-channel mean and std (unbiased) of ``latent_of(batch)`` over real frames only."""
    count, total, squares = 0, None, None
    for start in range(0, len(clips), STATISTICS_BATCH):
        batch = collate_clips([cache[i] for i in clips[start : start + STATISTICS_BATCH]])
        batch = batch.to(device)
        frames = latent_of(batch)[batch.frame_mask].double()  # (real frames, C)
        count += frames.shape[0]
        total = frames.sum(0) if total is None else total + frames.sum(0)
        squares = frames.pow(2).sum(0) if squares is None else squares + frames.pow(2).sum(0)
    if count < 2:
        raise RunError("the cache holds fewer than two real frames; cannot measure statistics")
    mean = total / count
    variance = (squares - count * mean.pow(2)) / (count - 1)
    return mean.float(), variance.clamp_min(0).sqrt().float()
