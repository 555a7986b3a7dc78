"""What a job will do: the request's options laid over its preset, laid over built-in defaults.

Precedence, highest first: an explicit option, the preset's value, the default here (None
leaves the choice to the pipeline). This is the only module that reads presets for a job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pedalboard
from semanticaudio.bridge.presets import Preset, PresetError, PresetLibrary
from semanticaudio.bridge.protocol import (
    EditRequest,
    ErrorCode,
    GenerateRequest,
    JobOptions,
    ProtocolError,
)
from semanticaudio.engine.limits import MAX_PROMPT_CHARS

DEFAULT_BIT_DEPTH = 24
DEFAULT_MATCH_LOUDNESS = True  # an edited region should sit at the level of what it replaces


@dataclass(frozen=True)
class RenderSettings:
    """Everything the renderer needs besides the request's paths and times."""

    target_prompt: str
    source_prompt: str | None  # None → the null condition
    variations: int
    bit_depth: int
    match_loudness: bool
    sample_rate_hz: int | None  # None → the source's rate (generate: the model's)
    channels: int | None  # None → the source's channel count (generate: 1)
    range_s: tuple[float, float] | None
    sampler: dict[str, Any]  # keyword arguments for pipeline.generate / pipeline.edit
    preset: Preset | None


def find_preset(library: PresetLibrary | None, name: str | None, kind: str) -> Preset | None:
    """The preset called `name` for a request of `kind`; ProtocolError(bad_option) otherwise."""
    if name is None:
        return None
    if library is None:
        raise ProtocolError(ErrorCode.BAD_OPTION, f"preset={name!r}: no presets are loaded")
    try:
        preset = library.get(name)
    except PresetError as exc:
        raise ProtocolError(ErrorCode.BAD_OPTION, str(exc)) from None
    if preset.kind != kind:
        raise ProtocolError(
            ErrorCode.BAD_OPTION,
            f"preset {name!r} is a {preset.kind} preset; /sa/{kind} takes {kind} presets",
        )
    return preset


def build_chain(preset: Preset | None) -> pedalboard.Pedalboard | None:
    """The preset's effect chain, or None; a plug-in that fails is ProtocolError(plugin_error)."""
    if preset is None or not preset.effects:
        return None
    try:
        return preset.build_chain()
    except PresetError as exc:
        raise ProtocolError(ErrorCode.PLUGIN_ERROR, str(exc)) from None
    except Exception as exc:  # a third-party plug-in may raise anything while loading
        raise ProtocolError(
            ErrorCode.PLUGIN_ERROR, f"preset {preset.name!r}: effect chain failed to load: {exc}"
        ) from None


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _fill(preset: Preset | None, source: str | None, target: str) -> tuple[str | None, str]:
    if preset is None:
        return source, target
    try:
        return preset.fill_prompts(source_prompt=source, target_prompt=target)
    except PresetError as exc:
        raise ProtocolError(ErrorCode.BAD_OPTION, str(exc)) from None


def _check_prompt_length(prompt: str, what: str) -> None:
    """The engine refuses prompts over its MAX_PROMPT_CHARS; refuse them before the job is
    queued. `what` names the prompt; a preset's template may have made it longer."""

    if len(prompt) > MAX_PROMPT_CHARS:
        raise ProtocolError(
            ErrorCode.BAD_REQUEST,
            f"{what} has {len(prompt)} characters; the model takes at most {MAX_PROMPT_CHARS}",
        )


def _output(options: JobOptions, preset: Preset | None) -> dict[str, Any]:
    out = preset.output if preset is not None else None
    return {
        "bit_depth": _first(options.bit_depth, out and out.bit_depth, DEFAULT_BIT_DEPTH),
        "sample_rate_hz": _first(options.sample_rate_hz, out and out.sample_rate_hz),
        "match_loudness": _first(
            options.match_loudness, out and out.match_loudness, DEFAULT_MATCH_LOUDNESS
        ),
        "channels": options.channels,
    }


def resolve_generate(request: GenerateRequest, library: PresetLibrary | None) -> RenderSettings:
    """Settings of a /sa/generate job; the request's duration always wins over a preset's."""
    options = request.options
    preset = find_preset(library, options.preset, "generate")
    _, target = _fill(preset, None, request.prompt)
    _check_prompt_length(target, "the prompt" if preset is None else
                         f"the prompt built by preset {preset.name!r}")
    gen = preset.generation if preset is not None else None
    sampler = {
        "seed": options.seed,
        "num_steps": _first(options.num_steps, gen and gen.num_steps),
        "guidance": _first(options.guidance, gen and gen.guidance),
        "synth_steps": options.synth_steps,
    }
    return RenderSettings(
        target_prompt=target, source_prompt=None,
        variations=_first(options.variations, gen and gen.variations, 1),
        range_s=None, sampler=sampler, preset=preset, **_output(options, preset),
    )


def resolve_edit(
    request: EditRequest, library: PresetLibrary | None, model_flowedit: Any = None
) -> RenderSettings:
    """Settings of a /sa/edit job; source_prompt "" means the null condition. A preset's
    FlowEdit settings fill in over `model_flowedit`, the loaded model's (an
    engine.config.FlowEditConfig; None: the engine's defaults)."""
    options = request.options
    preset = find_preset(library, options.preset, "edit")
    source, target = _fill(preset, request.source_prompt or None, request.target_prompt)
    _check_prompt_length(target, "target_prompt" if preset is None else
                         f"the target prompt built by preset {preset.name!r}")
    flow = {"num_steps": options.num_steps, "n_max": options.n_max, "n_min": options.n_min,
            "n_avg": options.n_avg, "source_guidance": options.source_guidance,
            "target_guidance": options.guidance}
    if preset is not None:  # the model's, the preset's, the options (the engine's one rule)
        try:
            merged = preset.flowedit.merged(model_flowedit, **flow)
        except ValueError as error:
            named = {key: getattr(preset.flowedit, key) for key in ("num_steps", "n_max", "n_min")}
            said = ", ".join(f"{k}={v}" for k, v in named.items() if v is not None) or "none"
            raise ProtocolError(
                ErrorCode.BAD_OPTION,
                f"preset {preset.name!r} cannot run with these options: {error}; an option not "
                f"given comes from the preset ({said}), else from the model",
            ) from None
        flow = {key: getattr(merged, key) for key in flow}
    sampler = {"seed": options.seed, **flow, "synth_steps": options.synth_steps}
    return RenderSettings(
        target_prompt=target, source_prompt=source, variations=options.variations or 1,
        range_s=options.range_s, sampler=sampler, preset=preset, **_output(options, preset),
    )
