"""Where presets come from: the built-ins shipped in `presets/` and the user's config folder."""

from __future__ import annotations

import importlib.resources
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import platformdirs
from semanticaudio.bridge.presets.loader import load_preset
from semanticaudio.bridge.presets.plugins import suggest
from semanticaudio.bridge.presets.preset import Preset
from semanticaudio.bridge.presets.schema import PresetError, Problem

APP_NAME = "semanticaudio"


def default_user_dir() -> Path:
    """The user's preset folder: <platform config dir>/semanticaudio/presets."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "presets"


def builtin_dir() -> Path:
    """The shipped presets folder (package data of semanticaudio.presets)."""
    return Path(str(importlib.resources.files("semanticaudio.presets")))


@dataclass(frozen=True)
class PresetLibrary:
    """Presets by name. A user preset replaces a built-in of the same name.

    Files that fail validation are left out and their problems kept in `problems`, so one broken
    user file never hides the others; asking for such a preset by name raises with its problems.
    """

    presets: Mapping[str, Preset]
    problems: tuple[Problem, ...] = ()
    broken: Mapping[str, tuple[Problem, ...]] = field(default_factory=dict)
    overridden: Mapping[str, Path] = field(default_factory=dict)  # name → built-in file replaced

    @classmethod
    def load(cls, user_dir: Path | None = None, *, builtins: Path | None = None) -> PresetLibrary:
        """Built-ins (edit/*.toml, chains/*.toml) then the user's *.toml files, recursively."""
        builtin_found = _scan(sorted((builtins or builtin_dir()).glob("*/*.toml")))
        user_root = default_user_dir() if user_dir is None else Path(user_dir)
        user_found = _scan(sorted(user_root.rglob("*.toml")) if user_root.is_dir() else [])
        overridden = {
            name: builtin_found.presets[name].source
            for name in user_found.presets.keys() & builtin_found.presets.keys()
        }
        # A broken user file still claims its name: serving the built-in would hide the mistake.
        presets = {
            name: preset
            for name, preset in (builtin_found.presets | user_found.presets).items()
            if name not in user_found.broken
        }
        return cls(
            presets=MappingProxyType(presets),
            problems=builtin_found.problems + user_found.problems,
            broken=MappingProxyType(builtin_found.broken | user_found.broken),
            overridden=MappingProxyType(overridden),
        )

    def names(self) -> list[str]:
        """Every usable preset name, sorted."""
        return sorted(self.presets)

    def get(self, name: str) -> Preset:
        """The preset called `name`; PresetError suggests the closest name when there is none."""
        if name in self.presets:
            return self.presets[name]
        if name in self.broken:
            raise PresetError(f"preset {name!r} is invalid", self.broken[name])
        hint = suggest(name, self.names())
        did_you_mean = f" (did you mean {hint!r}?)" if hint else ""
        raise PresetError(
            f"unknown preset {name!r}{did_you_mean}; available: {', '.join(self.names())}"
        )

    def summaries(self) -> list[tuple[str, str, str]]:
        """(name, kind, description) for every usable preset, sorted by name."""
        return [(p.name, p.kind, p.description) for p in (self.presets[n] for n in self.names())]


@dataclass(frozen=True)
class _Scan:
    presets: dict[str, Preset]
    problems: tuple[Problem, ...]
    broken: dict[str, tuple[Problem, ...]]


def _scan(files: list[Path]) -> _Scan:
    """Load every file of one origin; a second file with the same name is a problem."""
    presets: dict[str, Preset] = {}
    problems: list[Problem] = []
    broken: dict[str, tuple[Problem, ...]] = {}
    for path in files:
        try:
            preset = load_preset(path)
        except PresetError as error:
            problems.extend(error.problems)
            broken[path.stem] = error.problems
            continue
        if preset.name in presets:
            first = presets[preset.name].source
            problems.append(
                Problem(
                    path,
                    "name",
                    f"{preset.name!r} is also defined in {first}; "
                    "names must be unique, this file is ignored",
                )
            )
            continue
        presets[preset.name] = preset
    return _Scan(presets, tuple(problems), broken)
