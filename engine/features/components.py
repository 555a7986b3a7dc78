"""Which frozen components a feature cache is made with, and loading them.

``sa cache-features --components SOURCE`` accepts:

- a checkpoint folder (its ``config.json`` names the components, paths relative to it);
- a folder with a ``components.json``, or a ``.json`` / ``.toml`` file, mapping each role to
  ``{"kind": ..., "path": ...}`` (paths relative to that file's folder, absolute, or hub ids);
  ``engine/configs/paper_components.toml`` names the paper's four published models.

The specs are stored in the cache with local paths made absolute, so that ``sa export`` can
build a checkpoint with exactly the components the model was trained on. A path or hub id names
where weights live, not which weights: ``component_digests`` fingerprints the files themselves,
so that a cache notices new weights saved behind an unchanged path.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any

from semanticaudio.engine.checkpoint import CONFIG_FILE, Components, read_config
from semanticaudio.engine.components.registry import COMPONENT_KINDS, ROLES, load_component

COMPONENTS_FILE = "components.json"
TRAINING_ROLES = ROLES  # training needs all four: codec, semantic encoder and both text encoders

ComponentSpecs = dict[str, dict[str, Any]]


def read_component_specs(source: str | Path) -> ComponentSpecs:
    """role → {"kind", "path"} from a checkpoint folder, a components folder or a file."""
    source = Path(source)
    if source.is_file():
        return _checked(_read_table(source), source.parent, source)
    if (source / CONFIG_FILE).is_file() and not (source / COMPONENTS_FILE).is_file():
        return _checked(read_config(source).components, source, source / CONFIG_FILE)
    if (source / COMPONENTS_FILE).is_file():
        return _checked(_read_table(source / COMPONENTS_FILE), source, source / COMPONENTS_FILE)
    raise FileNotFoundError(
        f"{source} names no components: expected a checkpoint folder (with {CONFIG_FILE}), a "
        f"folder with {COMPONENTS_FILE}, or a .json / .toml file mapping each role "
        f"({', '.join(TRAINING_ROLES)}) to {{kind, path}}"
    )


def load_components(specs: ComponentSpecs) -> Components:
    """Load every role of ``specs`` (paths already absolute or hub ids), in eval mode."""
    loaded = {role: load_component(role, spec, None).eval() for role, spec in specs.items()}
    return Components(**loaded)


def component_digests(specs: ComponentSpecs) -> dict[str, str]:
    """role → sha256 of the component's files (relative names and bytes), in ``specs`` order.

    A local path is hashed as it is; a hub id through the cached snapshot it loads from. This
    reads every weights file once (seconds for the paper's components).
    """
    return {role: _digest_files(_component_location(spec["path"])) for role, spec in specs.items()}


def _component_location(path: str) -> Path:
    local = Path(path).expanduser()
    if local.exists():
        return local
    from semanticaudio.engine.components.hub import resolve_folder

    return resolve_folder(path, [])  # the hub snapshot the loaders read (never downloads)


# Files in a component folder or hub snapshot that no loader reads: documentation, and weights in
# formats the engine never loads (it loads safetensors only). Adding a README to a snapshot must
# not make stage 2 or `sa export` refuse a cache as made with other weights.
NOT_READ = ("README*", "LICENSE*", "*.md", "*.bin", "*.pt", "*.pth", "*.ckpt", "*.h5",
            "*.msgpack", "*.onnx", "*.ot")


def _digest_files(location: Path) -> str:
    files = [location] if location.is_file() else sorted(
        p for p in location.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(location).parts)
        and not any(p.match(pattern) for pattern in NOT_READ)
    )  # hidden files (.DS_Store, editor swap files) are not part of a component either
    digest = hashlib.sha256()
    for file in files:
        name = file.name if file == location else file.relative_to(location).as_posix()
        digest.update(name.encode() + b"\0")
        with file.open("rb") as handle:
            digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


def _read_table(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        return tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{path} cannot be parsed: {error}") from None


def _checked(table: dict[str, Any], base: Path, where: Path) -> ComponentSpecs:
    """Every training role present with a known kind; local paths made absolute."""
    missing = [role for role in TRAINING_ROLES if role not in table]
    unknown = sorted(set(table) - set(TRAINING_ROLES))
    if missing or unknown:
        raise ValueError(
            f"{where}: components missing {missing}, unknown roles {unknown}; training needs "
            f"exactly {list(TRAINING_ROLES)}"
        )
    specs = {}
    for role in TRAINING_ROLES:
        spec = table[role]
        if not isinstance(spec, dict) or spec.get("kind") not in COMPONENT_KINDS or not isinstance(
            spec.get("path"), str
        ):
            raise ValueError(
                f"{where}: component {role!r} must be {{kind, path}} with kind one of "
                f"{sorted(COMPONENT_KINDS)}, got {spec!r}"
            )
        local = base / spec["path"]
        path = str(local.resolve()) if local.exists() else spec["path"]
        specs[role] = {"kind": spec["kind"], "path": path}
    return specs
