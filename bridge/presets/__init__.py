"""Presets: edit templates and effect chains as TOML data (schema in docs/presets.md).

lib = PresetLibrary.load()             # built-ins + the user's config folder
preset = lib.get("weather-change")
source, target = preset.fill_prompts("a car passes by", "snow")  # "... in snow"
board = preset.build_chain()           # pedalboard.Pedalboard
"""

from semanticaudio.bridge.presets.library import PresetLibrary, builtin_dir, default_user_dir
from semanticaudio.bridge.presets.loader import load_preset, validate_file
from semanticaudio.bridge.presets.plugins import BUILTIN_PLUGINS
from semanticaudio.bridge.presets.preset import Preset
from semanticaudio.bridge.presets.schema import (
    SCHEMA_VERSION,
    EffectSpec,
    FlowEditSettings,
    GenerationSettings,
    OutputSettings,
    PresetError,
    Problem,
    PromptTemplates,
)

__all__ = [
    "BUILTIN_PLUGINS",
    "SCHEMA_VERSION",
    "EffectSpec",
    "FlowEditSettings",
    "GenerationSettings",
    "OutputSettings",
    "Preset",
    "PresetError",
    "PresetLibrary",
    "Problem",
    "PromptTemplates",
    "builtin_dir",
    "default_user_dir",
    "load_preset",
    "validate_file",
]
