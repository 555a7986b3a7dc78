"""Atomic file writes (a reader, or a resumed job, sees the old file or the whole new one), and
the one safetensors reader the engine loads weights with."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch


def _temporary_beside(path: Path) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    return Path(name)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) through a temporary file beside ``path`` and a rename."""
    temporary = _temporary_beside(path)
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def write_json_atomic(path: Path, document: Any) -> None:
    """Write ``document`` as indented JSON through a temporary file and a rename."""
    write_text_atomic(path, json.dumps(document, indent=2) + "\n")


def save_safetensors_atomic(
    path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None
) -> None:
    """``safetensors.torch.save_file`` through a temporary file and a rename."""
    from safetensors.torch import save_file

    temporary = _temporary_beside(path)
    try:
        contiguous = {name: t.detach().contiguous().cpu() for name, t in tensors.items()}
        save_file(contiguous, str(temporary), metadata=metadata)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def load_safetensors(path: str | Path) -> dict[str, torch.Tensor]:
    """``safetensors.torch.load_file``, with a CheckpointError that names the file when it is
    missing, truncated or not safetensors at all (a pickle renamed, a partial copy)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    from semanticaudio.engine.errors import CheckpointError

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights file {path} is missing")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(
            f"{path} is not a readable safetensors file ({exc}): it may be truncated or saved "
            "in another format; weights load only from safetensors, so export or copy it again"
        ) from None
