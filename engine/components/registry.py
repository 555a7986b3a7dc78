"""Components are chosen by name in a checkpoint's ``config.json``.

Each role (``codec``, ``semantic_encoder``, ``text_global``, ``text_tokens``) has an entry::

    "codec": {"kind": "dacvae", "path": "codec"}

``path`` is a folder relative to the checkpoint, an absolute folder, or a model-hub id (looked up
in the local hub cache only; nothing is downloaded at run time). Every kind is a class with
``from_pretrained(path_or_id) -> instance`` and ``save_pretrained(folder)`` writing safetensors,
and a ``build_tiny(seed)`` classmethod used by tests and ``sa init-tiny``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

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
    cls = component_class(kind)
    if checkpoint_dir is not None and (checkpoint_dir / path).exists():
        path = str(checkpoint_dir / path)
    return cls.from_pretrained(path)


def save_component(component: nn.Module, role: str, checkpoint_dir: Path) -> dict[str, Any]:
    """Save ``component`` under ``checkpoint_dir/role`` and return its config entry."""
    component.save_pretrained(checkpoint_dir / role)
    return {"kind": kind_of(component), "path": role}
