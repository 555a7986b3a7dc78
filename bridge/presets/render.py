"""A preset written back as TOML with every default made explicit (for `sa presets show`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict

from semanticaudio.bridge.presets.preset import Preset
from semanticaudio.bridge.presets.schema import SCHEMA_VERSION, EffectSpec


def to_toml(preset: Preset) -> str:
    """TOML text that loads back to an equal preset (placed in a file named <name>.toml)."""
    lines = [
        f"schema_version = {SCHEMA_VERSION}",
        f"name = {_value(preset.name)}",
        f"description = {_value(preset.description)}",
        f"kind = {_value(preset.kind)}",
    ]
    if preset.category is not None:
        lines.append(f"category = {_value(preset.category)}")
    prompts = {"target": preset.prompts.target}
    if preset.prompts.source is not None:
        prompts = {"source": preset.prompts.source} | prompts
    lines += _table("prompts", prompts)
    if preset.prompts.defaults:
        lines += _table("prompts.defaults", preset.prompts.defaults)
    if preset.prompts.help:
        lines += _table("prompts.help", preset.prompts.help)
    if preset.flowedit is not None:
        lines += _table("flowedit", asdict(preset.flowedit))
    if preset.generation is not None:
        lines += _table("generation", asdict(preset.generation))
    lines += _table("output", asdict(preset.output))
    for effect in preset.effects:
        lines += _effect(effect)
    return "\n".join(lines) + "\n"


def _table(header: str, values: Mapping[str, object]) -> list[str]:
    """A [header] block; None values are left out (TOML has no null)."""
    body = [f"{key} = {_value(value)}" for key, value in values.items() if value is not None]
    return ["", f"[{header}]", *body]


def _effect(effect: EffectSpec) -> list[str]:
    head = {
        "plugin": effect.plugin,
        "path": str(effect.path) if effect.path else None,
        "plugin_name": effect.plugin_name,
    }
    lines = ["", "[[effects]]"] + [f"{k} = {_value(v)}" for k, v in head.items() if v is not None]
    params = ", ".join(f"{k} = {_value(v)}" for k, v in effect.params.items())
    return [*lines, f"params = {{ {params} }}" if params else "params = {}"]


def _value(value: object) -> str:
    """One TOML scalar: booleans lowercase, strings as JSON (a valid TOML basic string)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)
