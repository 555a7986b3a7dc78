"""``--preset NAME`` for ``sa generate`` and ``sa edit``: the preset's prompt templates and
sampler settings fill whatever the command line left unset, and its ``[output]`` settings and
effect chain shape the files. Presets are the bridge's data; this is where the command line uses
them, through the daemon's own code (``bridge/render.py``, ``bridge/audio_io.py``), so that one
preset gives the same result from ``sa`` and from ``sa-engine``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for the hints: `sa --help` must not import numpy, torch or pedalboard
    from semanticaudio.bridge.audio_io import Audio
    from semanticaudio.bridge.presets import Preset
    from semanticaudio.bridge.presets.chain import EffectChain
    from semanticaudio.engine.pipeline import EditResult, GenerationResult

# command-line option → the preset settings field that fills it when the option is unset
EDIT_FIELDS = {"steps": "num_steps", "n_max": "n_max", "n_min": "n_min", "n_avg": "n_avg",
               "source_cfg": "source_guidance", "target_cfg": "target_guidance"}
GENERATE_FIELDS = {"duration": "duration_s", "steps": "num_steps", "cfg": "guidance",
                   "variations": "variations"}
# [output] bit_depth → soundfile's WAV subtype; 32 is IEEE float, as the daemon writes it
# (bridge.audio_io.write_wav)
WAV_SUBTYPES = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}


@dataclass(frozen=True)
class Rendered:
    """The takes to write: each `(channels, frames)` float32, at `sample_rate_hz`, as
    `subtype` (a soundfile WAV subtype)."""

    takes: list[Any]
    sample_rate_hz: int
    subtype: str


def add_preset_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", help="a preset by name (`sa presets list`)")


def apply_preset(args: argparse.Namespace, kind: str) -> Preset | None:
    """Fill unset options of ``args`` from the named preset. → the Preset, or None."""
    if not args.preset:
        return None
    from semanticaudio.bridge.presets import PresetError, PresetLibrary

    try:
        preset = PresetLibrary.load().get(args.preset)
    except PresetError as error:
        raise ValueError(str(error)) from None
    if preset.kind != kind:
        raise ValueError(f"preset {preset.name!r} is a {preset.kind} preset; "
                         f"`sa {kind}` takes {kind} presets (`sa presets list`)")
    if kind == "edit":
        _fill_flowedit(args, preset)
    else:
        for option, field in GENERATE_FIELDS.items():
            if getattr(args, option) is None:
                setattr(args, option, getattr(preset.generation, field))
    _fill_prompts(args, preset, kind)
    return preset


def _fill_flowedit(args: argparse.Namespace, preset: Preset) -> None:
    """The model's FlowEdit settings under the preset's, under the options given
    (``FlowEditSettings.merged``, the rule the daemon uses too)."""
    settings = preset.flowedit
    try:
        merged = settings.merged(
            _model_flowedit(args),
            **{field: getattr(args, option) for option, field in EDIT_FIELDS.items()},
        )
    except ValueError as error:
        named = {"--steps": settings.num_steps, "--n-max": settings.n_max,
                 "--n-min": settings.n_min, "--n-avg": settings.n_avg}
        said = ", ".join(f"{flag} {value}" for flag, value in named.items() if value is not None)
        raise ValueError(
            f"preset {preset.name!r} cannot run with these options: {error}; an option not "
            f"given comes from the preset ({said or 'it names none'}), else from the model "
            "(`sa info`), and with --steps alone n_max and n_min keep their share of the steps"
        ) from None
    for option, field in EDIT_FIELDS.items():
        setattr(args, option, getattr(merged, field))


def _model_flowedit(args: argparse.Namespace):
    """The FlowEdit settings of the model `sa` will load (its config.json, read alone; the
    model itself loads later), or None when that cannot be read: the load then says why."""
    from semanticaudio.engine.checkpoint import read_config
    from semanticaudio.engine.errors import CheckpointError
    from semanticaudio.engine.pipeline import DEFAULT_MODEL_DIR

    folder = Path(args.model) if getattr(args, "model", None) else DEFAULT_MODEL_DIR
    try:
        return read_config(folder).flowedit
    except (CheckpointError, OSError, ValueError):
        return None


def _fill_prompts(args: argparse.Namespace, preset: Preset, kind: str) -> None:
    from semanticaudio.bridge.presets import PresetError

    try:
        if kind == "edit":
            args.source, args.target = preset.fill_prompts(args.source or None, args.target or None)
        else:
            _, args.prompt = preset.fill_prompts(None, args.prompt)
    except PresetError as error:
        raise ValueError(str(error)) from None


def build_chain(preset: Preset | None) -> EffectChain | None:
    """The preset's effect chain, or None; built before the model runs, since a plug-in may
    fail to load."""
    if preset is None or not preset.effects:
        return None
    from semanticaudio.bridge.presets import PresetError

    try:
        return preset.build_chain()
    except PresetError as error:
        raise ValueError(str(error)) from None


def finish_generate(
    preset: Preset | None, chain: EffectChain | None, result: GenerationResult
) -> Rendered:
    """The engine's generation `result` (mono takes at the model's rate) → the takes to write,
    as the daemon makes them: at the preset's [output] rate (else the model's), mono, then
    the effect chain (keeping its tail, as the daemon's generate) and the clipping guard."""
    from semanticaudio.bridge.render import MAX_TAIL_S, generated_takes  # the daemon's steps

    output = _output(preset)
    rate = output.sample_rate_hz or int(result.sample_rate_hz)
    takes = generated_takes(result, rate, channels=1)
    return Rendered(_finish(takes, rate, chain, MAX_TAIL_S), rate, WAV_SUBTYPES[output.bit_depth])


def finish_edit(
    preset: Preset | None, chain: EffectChain | None, result: EditResult, source: Audio,
    range_s: tuple[float, float] | None, match_loudness: bool | None = None,
) -> Rendered:
    """The engine's edit `result` (mono takes at the model's rate) → the takes to write,
    as the daemon makes them (``bridge.render``): at the preset's [output] rate (else the
    recording's), in the recording's channels, matched to its loudness unless `match_loudness`
    (else the preset's [output], else the daemon's default: on) says not, through the effect
    chain, spliced in with the recording's own samples outside `range_s` (so the effects colour
    the edited part alone), then the clipping guard. `source`: the
    recording, or the region of it edited, a ``bridge.audio_io.Audio`` `(channels, frames)`.
    Without a preset: the recording's rate, 24-bit."""
    from semanticaudio.bridge.job_settings import RenderSettings
    from semanticaudio.bridge.render import edited_takes  # the daemon's step, not a copy

    output = _output(preset)
    settings = RenderSettings(  # the fields that shape the audio; the prompts were used already
        target_prompt="", source_prompt=None, variations=int(result.waveforms.shape[0]),
        bit_depth=output.bit_depth,
        match_loudness=output.match_loudness if match_loudness is None else match_loudness,
        sample_rate_hz=output.sample_rate_hz, channels=None, range_s=range_s, sampler={},
        preset=preset,
    )
    from semanticaudio.bridge.protocol import ProtocolError

    _note_lowered(chain, output.sample_rate_hz or source.sample_rate_hz)
    try:  # the chain runs in there, on the edit before it is spliced in
        takes, rate = edited_takes(result, source, settings, chain)
    except ProtocolError as error:
        raise ValueError(error.message) from None
    return Rendered(_finish(takes, rate, None), rate, WAV_SUBTYPES[output.bit_depth])


def _output(preset: Preset | None):
    """The preset's [output] settings; without a preset, the daemon's defaults: the source's
    (or the model's) rate, an edit at its source's loudness, 24-bit."""
    from semanticaudio.bridge.job_settings import DEFAULT_MATCH_LOUDNESS
    from semanticaudio.bridge.presets import OutputSettings

    return preset.output if preset is not None else OutputSettings(
        match_loudness=DEFAULT_MATCH_LOUDNESS)


def _note_lowered(chain: EffectChain | None, rate: int) -> None:
    """Say on stderr which of the chain's frequencies run lower than written at `rate`."""
    if chain is not None:
        for setting in chain.lowered(rate):
            print(f"note: effect chain: {setting.describe(rate)}", file=sys.stderr)


def _finish(takes: list, rate: int, chain: EffectChain | None, tail_s: float = 0.0) -> list:
    """The effect chain (at the rate written, keeping up to `tail_s` of its tail) and the
    clipping guard on every take, as the daemon's ``Renderer._finish`` (whose chain step it
    calls); a frequency the chain tunes down at this rate is noted on stderr."""
    from semanticaudio.bridge import audio_io
    from semanticaudio.bridge.protocol import ProtocolError
    from semanticaudio.bridge.render import apply_chain

    _note_lowered(chain, rate)
    finished = []
    for take in takes:
        if chain is not None:
            try:
                take = apply_chain(chain, take, rate, tail_s)
            except ProtocolError as error:
                raise ValueError(error.message) from None
        finished.append(audio_io.prevent_clipping(take)[0])
    return finished
