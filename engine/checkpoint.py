"""Checkpoints are folders: ``config.json`` (with a format version) + safetensors.

Layout::

    config.json          format_version, name, model, sampling, flowedit, components
    model.safetensors    the DiT stages, the projection head, latent statistics
    codec/ semantic_encoder/ text_global/ text_tokens/   components saved by the checkpoint
                                                          (or named by path / hub id instead)

Pickle is never loaded: tensors come only from safetensors files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import save_file
from semanticaudio.engine.components.base import (
    AcousticCodec,
    GlobalTextEncoder,
    SemanticEncoder,
    TextEmbedding,
    TokenTextEncoder,
)
from semanticaudio.engine.components.registry import ROLES, load_component, save_component
from semanticaudio.engine.config import CheckpointConfig, from_dict, to_dict
from semanticaudio.engine.errors import CheckpointError
from semanticaudio.engine.features.files import load_safetensors
from semanticaudio.engine.models.semantic_audio import SemanticAudioModel
from torch import nn

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


@dataclass
class Components:
    """The frozen parts a model runs with. ``semantic_encoder`` is needed to edit and to train."""

    codec: AcousticCodec
    text_global: GlobalTextEncoder
    text_tokens: TokenTextEncoder
    semantic_encoder: SemanticEncoder | None = None

    def by_role(self) -> dict[str, nn.Module]:
        return {role: getattr(self, role) for role in ROLES if getattr(self, role) is not None}

    def to(self, device: torch.device) -> Components:
        for module in self.by_role().values():
            module.to(device).eval()
        return self

    @torch.no_grad()
    def encode_text(self, prompts: list[str]) -> TextEmbedding:
        """Both text conditions of ``prompts`` (the CLAP-style vector and the T5-style tokens)."""
        tokens, mask = self.text_tokens.encode(prompts)
        return TextEmbedding(self.text_global.encode(prompts), tokens, mask.bool())


@dataclass
class Checkpoint:
    config: CheckpointConfig
    model: SemanticAudioModel
    components: Components


def save_checkpoint(folder: str | Path, checkpoint: Checkpoint) -> Path:
    """Write ``checkpoint`` into ``folder`` (created if needed). → the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    entries = {
        role: save_component(module, role, folder)
        for role, module in checkpoint.components.by_role().items()
    }
    state = {k: v.detach().contiguous().cpu() for k, v in checkpoint.model.state_dict().items()}
    save_file(state, str(folder / WEIGHTS_FILE), metadata={"format_version": str(FORMAT_VERSION)})
    document = {"format_version": FORMAT_VERSION, **to_dict(checkpoint.config)}
    document["components"] = entries
    (folder / CONFIG_FILE).write_text(json.dumps(document, indent=2) + "\n")
    return folder


def read_config(folder: str | Path) -> CheckpointConfig:
    """Parse and check ``config.json`` of a checkpoint folder."""
    folder = Path(folder)
    path = folder / CONFIG_FILE
    if not path.is_file():
        raise CheckpointError(
            f"{folder} is not a checkpoint folder: {CONFIG_FILE} is missing "
            "(a checkpoint is a folder with config.json and model.safetensors; "
            "`sa init-tiny DIR` writes a small one)"
        )
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise CheckpointError(f"{path} is not valid JSON: {error}") from None
    version = document.pop("format_version", None)
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has format_version {version!r}; this engine reads version {FORMAT_VERSION}"
        )
    try:
        return from_dict(CheckpointConfig, document)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: {error}") from None


def load_checkpoint(folder: str | Path, device: str | torch.device = "cpu") -> Checkpoint:
    """Load a checkpoint folder onto ``device`` in eval mode."""
    folder = Path(folder)
    config = read_config(folder)
    model = SemanticAudioModel(config.model)
    load_weights(model, folder / WEIGHTS_FILE)
    components = _load_components(config, folder)
    model.to(device).eval()
    return Checkpoint(config, model, components.to(torch.device(device)))


def load_weights(model: nn.Module, path: Path) -> None:
    """Load safetensors into ``model``; every missing, unexpected or misshapen tensor is named."""
    if not path.is_file():
        raise CheckpointError(f"weights file {path} is missing (expected {WEIGHTS_FILE})")
    stored = load_safetensors(path)
    expected = model.state_dict()
    problems = [f"missing tensor {k!r}" for k in expected if k not in stored]
    problems += [f"unexpected tensor {k!r}" for k in stored if k not in expected]
    problems += [
        f"tensor {k!r} has shape {tuple(stored[k].shape)}, the model needs {tuple(v.shape)}"
        for k, v in expected.items()
        if k in stored and stored[k].shape != v.shape
    ]
    if problems:
        shown = "; ".join(problems[:8]) + (
            f"; and {len(problems) - 8} more" if len(problems) > 8 else ""
        )
        raise CheckpointError(f"{path} does not fit the model in config.json: {shown}")
    model.load_state_dict(stored, strict=True)


def _load_components(config: CheckpointConfig, folder: Path) -> Components:
    missing = [r for r in ("codec", "text_global", "text_tokens") if r not in config.components]
    if missing:
        raise CheckpointError(f"{folder / CONFIG_FILE} names no component for {missing}")
    loaded = {role: load_component(role, spec, folder) for role, spec in config.components.items()}
    return Components(**loaded)
