"""Checkpoints are folders: ``config.json`` (with a format version) + safetensors.

Layout::

    config.json          format_version, name, model, sampling, flowedit, components
    model.safetensors    the DiT stages, the projection head, latent statistics
    codec/ semantic_encoder/ text_global/ text_tokens/   components saved by the checkpoint
                                                          (or named by path / hub id instead)

Pickle is never loaded: tensors come only from safetensors files. A folder is written whole
beside its place and renamed into it, so a reader sees the old checkpoint or the new one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
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
from semanticaudio.engine.features.files import (
    load_safetensors,
    replace_folder_atomic,
    save_safetensors_atomic,
)
from semanticaudio.engine.models.semantic_audio import SemanticAudioModel
from torch import nn

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
OWN_ENTRIES = frozenset({CONFIG_FILE, WEIGHTS_FILE, *ROLES})  # what save_checkpoint writes
LOAD_TRIES = 3  # a folder replaced while it was read is read again


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
    """Write ``checkpoint`` as ``folder`` (created, or replaced as a whole). A failure leaves an
    existing folder as it was; its entries that are not checkpoint files (notes, audio) are kept.
    → the folder."""
    folder = Path(folder)
    replace_folder_atomic(folder, lambda new: _write(new, checkpoint),
                          keep=lambda name: name not in OWN_ENTRIES)
    return folder


def _write(folder: Path, checkpoint: Checkpoint) -> None:
    entries = {
        role: save_component(module, role, folder)
        for role, module in checkpoint.components.by_role().items()
    }
    save_safetensors_atomic(folder / WEIGHTS_FILE, checkpoint.model.state_dict(),
                            metadata={"format_version": str(FORMAT_VERSION)})
    document = {"format_version": FORMAT_VERSION, **to_dict(checkpoint.config)}
    document["components"] = entries
    (folder / CONFIG_FILE).write_text(json.dumps(document, indent=2) + "\n")


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
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{path} is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise CheckpointError(
            f"{path} must hold a JSON object of settings "
            f'({{"format_version": {FORMAT_VERSION}, "model": {{...}}, ...}}), '
            f"got {json.dumps(document)[:40]}"
        )
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
    """Load a checkpoint folder onto ``device`` in eval mode. Its files are read one by one, so a
    folder replaced meanwhile (``sa export --overwrite``) is read again: never a mix of both."""
    folder = Path(folder)
    for attempt in range(1, LOAD_TRIES + 1):
        before = _identity(folder)
        try:
            checkpoint = _load(folder, device)
        except Exception:  # a mix of two folders fails in any loader's words (torch's too)
            if attempt == LOAD_TRIES or _identity(folder) == before:
                raise
            continue
        if _identity(folder) == before:
            return checkpoint
    raise CheckpointError(f"{folder} was replaced {LOAD_TRIES} times while it was read; try again")


def _identity(folder: Path) -> tuple[int, int, int] | None:
    """Which folder stands at ``folder`` now: a replaced one is another inode, or the same inode
    number made again later (ext4 hands a freed inode to the next folder: two replacements during
    one load can bring the first one's number back), hence the change time too."""
    try:
        info = folder.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino, info.st_ctime_ns


def _load(folder: Path, device: str | torch.device) -> Checkpoint:
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
