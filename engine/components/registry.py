"""Components are chosen by name in a checkpoint's ``config.json``.

Each role (``codec``, ``semantic_encoder``, ``text_global``, ``text_tokens``) has an entry::

    "codec": {"kind": "dacvae", "path": "codec"}

``path`` is a folder relative to the checkpoint, an absolute folder, or a model-hub id (looked up
in the local hub cache only; nothing is downloaded at run time). A relative path is only ever read
inside the checkpoint, never from the working folder: a checkpoint that lost a component's folder
is reported as such instead of loading whatever folder of that name the caller stands in.

Every kind is a class with ``from_pretrained(path_or_id) -> instance`` and
``save_pretrained(folder)`` writing safetensors, and a ``build_tiny(seed)`` classmethod used by
tests and ``sa init-tiny``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from semanticaudio.engine.components.hub import cached_snapshot, looks_like_hub_id
from torch import nn

ROLES = ("codec", "semantic_encoder", "text_global", "text_tokens")

# kind → "module:Class" under semanticaudio.engine.components; imported only when used, so that
# `sa --help` and the daemon's start-up never pay for transformers unless a model needs it.
COMPONENT_KINDS: dict[str, str] = {
    "dacvae": "dacvae:DacVae",
    "pe-a-frame": "pe_frame:PeAudioFrameEncoder",
    "t5": "text:T5TokenEncoder",
    "clap": "text:ClapGlobalEncoder",
}


def component_class(kind: str) -> type[nn.Module]:
    """The class that implements ``kind``; a clear error lists the known kinds."""
    if kind not in COMPONENT_KINDS:
        known = ", ".join(sorted(COMPONENT_KINDS))
        raise ValueError(f"unknown component kind {kind!r}; known kinds: {known}")
    module_name, class_name = COMPONENT_KINDS[kind].split(":")
    module = importlib.import_module(f"semanticaudio.engine.components.{module_name}")
    return getattr(module, class_name)


def kind_of(component: nn.Module) -> str:
    """The registry name of a component instance."""
    for kind, target in COMPONENT_KINDS.items():
        if type(component).__name__ == target.split(":")[1]:
            return kind
    raise ValueError(f"{type(component).__name__} is not a registered component")


def load_component(role: str, spec: dict[str, Any], checkpoint_dir: Path | None) -> nn.Module:
    """Build the component of ``role`` described by ``spec`` (see the module docstring)."""
    if role not in ROLES:
        raise ValueError(f"unknown component role {role!r}; roles: {', '.join(ROLES)}")
    try:
        kind, path = spec["kind"], spec["path"]
    except KeyError as missing:
        raise ValueError(f"component {role!r} needs a {missing} entry, got {spec}") from None
    if not isinstance(path, str) or not path:
        raise ValueError(
            f"component {role!r} needs 'path' to be a folder or a model-hub id (a non-empty "
            f"string), got {path!r}"
        )
    cls = component_class(kind)
    return cls.from_pretrained(_source(path, checkpoint_dir))


def _source(path: str, checkpoint_dir: Path | None) -> str:
    """What ``from_pretrained`` gets for ``path``: the folder inside the checkpoint when it is
    there or when ``path`` can only be a relative folder; an absolute folder or a hub id as is.

    ``org/name`` is both a hub id and a relative folder, and ``from_pretrained`` looks for the
    folder first: where the working folder holds one of that name, the hub id goes to its cached
    snapshot directly (or, uncached, to the missing folder inside the checkpoint)."""
    if checkpoint_dir is None:
        return path
    inside = checkpoint_dir / path
    if inside.exists() or not (Path(path).expanduser().is_absolute() or looks_like_hub_id(path)):
        return str(inside)
    if looks_like_hub_id(path) and Path(path).exists():  # relative: in the working folder
        snapshot = cached_snapshot(path)
        return str(inside if snapshot is None else snapshot)
    return path


def save_component(component: nn.Module, role: str, checkpoint_dir: Path) -> dict[str, Any]:
    """Save ``component`` under ``checkpoint_dir/role`` and return its config entry."""
    component.save_pretrained(checkpoint_dir / role)
    return {"kind": kind_of(component), "path": role}
