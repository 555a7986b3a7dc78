"""``--preset NAME`` for ``sa generate`` and ``sa edit``: the preset's prompt templates and
sampler settings fill whatever the command line left unset, and its effect chain runs on the
result. Presets are the bridge's data; this is where the command line uses them, as the daemon does.
"""

from __future__ import annotations

import argparse

# command-line option → the preset settings field that fills it when the option is unset
EDIT_FIELDS = {"steps": "num_steps", "n_max": "n_max", "n_min": "n_min", "n_avg": "n_avg",
               "source_cfg": "source_guidance", "target_cfg": "target_guidance"}
GENERATE_FIELDS = {"duration": "duration_s", "steps": "num_steps", "cfg": "guidance",
                   "variations": "variations"}


def add_preset_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", help="a preset by name (`sa presets list`)")


def apply_preset(args: argparse.Namespace, kind: str):
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
    settings = preset.flowedit if kind == "edit" else preset.generation
    fields = EDIT_FIELDS if kind == "edit" else GENERATE_FIELDS
    if kind == "edit" and settings is not None and args.steps is not None:
        # a new step count keeps the preset's schedule in proportion (n_max 38 of 50 → 5 of 6)
        scale = args.steps / settings.num_steps
        for option in ("n_max", "n_min"):
            if getattr(args, option) is None:
                setattr(args, option, min(args.steps, round(getattr(settings, option) * scale)))
    for option, field in fields.items():
        if settings is not None and getattr(args, option) is None:
            setattr(args, option, getattr(settings, field))
    _fill_prompts(args, preset, kind)
    return preset


def _fill_prompts(args: argparse.Namespace, preset, kind: str) -> None:
    from semanticaudio.bridge.presets import PresetError

    try:
        if kind == "edit":
            args.source, args.target = preset.fill_prompts(args.source or None, args.target or None)
        else:
            _, args.prompt = preset.fill_prompts(None, args.prompt)
    except PresetError as error:
        raise ValueError(str(error)) from None


def apply_effects(preset, waveforms, sample_rate_hz: int):
    """Run the preset's effect chain on (V, num_samples) float waveforms; never clip."""
    if preset is None or not preset.effects:
        return waveforms
    import numpy as np
    import torch
    from semanticaudio.bridge.audio_io import fit_length, prevent_clipping

    chain = preset.build_chain()
    takes = []
    for take in waveforms.numpy()[:, None, :]:  # each (1, num_samples)
        processed = fit_length(np.asarray(chain(take, float(sample_rate_hz)), np.float32),
                               take.shape[1])
        takes.append(prevent_clipping(processed)[0][0])
    return torch.from_numpy(np.stack(takes))
