"""The preset data model: frozen settings dataclasses, problems and the preset error.

Only `semanticaudio.bridge.presets.loader` turns TOML into these classes; everything else reads
them. Every key is documented in docs/presets.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from semanticaudio.engine.config import FlowEditConfig  # torch-free, as this module

SCHEMA_VERSION = 1

Kind = Literal["edit", "generate"]
ParamValue = float | int | bool | str

# The paper's defaults (SemanticAudio §3.4 and appendix A: 50 Euler steps, planner guidance 4.5).
PAPER_NUM_STEPS = 50
PAPER_PLANNER_GUIDANCE = 4.5  # generation, semantic planner CFG


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a preset file: where, which key, what, and a suggestion if any."""

    file: Path
    key: str
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        where = f"{self.file}: {self.key}" if self.key else f"{self.file}"
        return f"{where}: {self.message}{hint}"


class PresetError(Exception):
    """A preset could not be loaded, found, filled or built; `problems` lists every reason."""

    def __init__(self, message: str, problems: tuple[Problem, ...] | list[Problem] = ()) -> None:
        self.problems = tuple(problems)
        details = "".join(f"\n  - {p}" for p in self.problems)
        super().__init__(message + details)


@dataclass(frozen=True)
class PromptTemplates:
    """`str.format` templates; `{source}` / `{target}` are the caller's prompts, others are fields.

    `source` is None for generate presets (there is no source audio).
    """

    source: str | None
    target: str
    defaults: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    help: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class FlowEditSettings:
    """FlowEdit in the semantic space: steps n_max … n_min of a num_steps grid (REFERENCE.md).

    A setting left out (None) is the loaded model's own (its config.json's `flowedit`, the one a
    request without a preset runs with), so a template names only what its kind of edit needs.
    """

    num_steps: int | None = None
    n_max: int | None = None
    n_min: int | None = None
    n_avg: int | None = None
    source_guidance: float | None = None
    target_guidance: float | None = None
    null_source: bool = False  # True: the source velocity uses the null condition, not a caption

    def merged(self, base: FlowEditConfig | None = None, **overrides: object) -> FlowEditConfig:
        """The model's FlowEdit settings `base` (None: the engine's defaults) under these, then
        under a request's options (None keeps the value), each step by the engine's one rule
        (FlowEditConfig.with_overrides: a new step count alone keeps n_max and n_min in
        proportion). Raises ValueError when the result cannot run."""
        own = (base or FlowEditConfig()).with_overrides(
            num_steps=self.num_steps, n_max=self.n_max, n_min=self.n_min, n_avg=self.n_avg,
            source_guidance=self.source_guidance, target_guidance=self.target_guidance)
        return own.with_overrides(**overrides)


@dataclass(frozen=True)
class GenerationSettings:
    """Text-to-audio settings: clip length (s), planner steps, CFG scale, takes per request.

    ``num_steps`` and ``guidance`` left out (None) are the model's own (its config.json): a
    checkpoint's guidance is chosen for it (the shipped default model's is 2, the paper's 4.5),
    so a preset names them only to change them on purpose.
    """

    duration_s: float = 10.0  # AudioCaps clips are 10 s
    num_steps: int | None = None
    guidance: float | None = None
    variations: int = 1


@dataclass(frozen=True)
class OutputSettings:
    """How the result is written: loudness matched to the source, rate (None: keep), bit depth."""

    match_loudness: bool = True
    sample_rate_hz: int | None = None
    bit_depth: Literal[16, 24, 32] = 24  # 32 means 32-bit float


@dataclass(frozen=True)
class EffectSpec:
    """One effect: a pedalboard built-in by class name, or a VST3/AU plug-in by file path."""

    plugin: str | None = None
    path: Path | None = None
    plugin_name: str | None = None  # picks one plug-in inside a multi-plug-in bundle
    params: Mapping[str, ParamValue] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def label(self) -> str:
        """A name for messages: the class name or the plug-in path."""
        return self.plugin if self.plugin else str(self.path)
