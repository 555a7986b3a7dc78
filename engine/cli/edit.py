"""``sa edit in.wav --source "..." --target "..." [--range 1.0 3.5] -o out.wav``.

The model hears the recording in mono. The result keeps the recording's sample rate (a --preset's
[output] may set another) and channel count, as the daemon's edits do (``bridge/render.py``): the
edited sound in every channel, and outside --range the recording's own samples in its own
channels. A result that would clip is scaled down as a whole to a −0.1 dBFS peak, never clipped
(``bridge.audio_io.prevent_clipping``).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from semanticaudio.engine.cli import common, outputs, preset_options

CHANNELS_HELP = (
    "The result has the recording's sample rate (or a --preset's [output] rate) and channels. "
    "The model hears and renders mono: "
    "a whole-file edit puts the edited sound in every channel (a stereo recording comes back "
    "with the same sound left and right), as sa-engine does; with --range, the audio outside "
    "the range is the recording's own, every channel untouched. A result that would clip is "
    "turned down as a whole to a -0.1 dBFS peak."
)


def register(parser: argparse.ArgumentParser) -> None:
    parser.epilog = CHANNELS_HELP
    parser.add_argument("input", help="the recording to edit (WAV, FLAC, OGG …)")
    parser.add_argument("--target", default="",
                        help="what the edited sound should be (a --preset may build it)")
    parser.add_argument(
        "--source", default="", help="what the recording is (empty: null condition)"
    )
    parser.add_argument(
        "--range",
        nargs=2,
        type=float,
        metavar=("START", "END"),
        help="edit only this range, seconds from the file's start (outside it the recording's "
             "own samples are kept, in all its channels)",
    )
    parser.add_argument("-o", "--output", default="edited.wav",
                        help="output .wav (default edited.wav; never the input, even with "
                             "--overwrite)")
    parser.add_argument("--steps", type=int,
                        help=f"FlowEdit grid steps ({common.FROM_MODEL}; paper: 50); --n-max and "
                             "--n-min not given keep their share of them")
    parser.add_argument("--n-max", type=int,
                        help="the last N steps of the grid run, the noisier rest are skipped "
                             f"({common.FROM_MODEL})")
    parser.add_argument("--n-min", type=int,
                        help="of those, the final steps of plain target sampling "
                             f"({common.FROM_MODEL}; paper: 10)")
    parser.add_argument("--n-avg", type=int,
                        help=f"noise draws averaged per step ({common.FROM_MODEL})")
    parser.add_argument("--match-loudness", type=int, choices=(0, 1),
                        help="1: scale the edit to the recording's level over the edited range, "
                             "0: keep the model's level (default: the preset's, else 1, as "
                             "sa-engine)")
    parser.add_argument("--source-cfg", type=float,
                        help=f"source guidance ({common.FROM_MODEL}; paper: 1)")
    parser.add_argument("--target-cfg", type=float,
                        help=f"target guidance ({common.FROM_MODEL}; paper: 5 to 7)")
    common.add_render_options(parser, run)


def run(args: argparse.Namespace) -> int:
    import numpy as np
    import torch
    from semanticaudio.bridge import audio_io
    from semanticaudio.bridge.render import model_input

    # 1. Everything that can be refused is refused before the model loads.
    source = read_source(Path(args.input))
    preset = common.apply_preset(args, "edit")
    if not args.target.strip():
        raise ValueError("give --target (what the edited sound should be) or a --preset")
    common.check_options(args)
    mono = audio_io.mixdown(source.samples)  # (frames,): what the model hears
    range_s = _check_source(Path(args.input), mono, source.sample_rate_hz, args.range)
    paths = outputs.output_paths(args.output, args.variations or 1)
    outputs.check_outputs(paths, args.overwrite, input_path=Path(args.input))
    chain = preset_options.build_chain(preset)  # a plug-in may fail to load
    # 2. The model edits the mono mixdown.
    pipeline = common.load(args)
    _check_flowedit(pipeline, args)
    # The recording at the model's rate, as sa-engine hands it over (bridge/render.py), so that
    # both give the same edit; the range held inside that audio (it may be a sample shorter).
    model_rate = int(pipeline.sample_rate_hz)
    model_in = model_input(source, len(mono) / source.sample_rate_hz, model_rate)
    model_range = None if range_s is None else (
        range_s[0], min(range_s[1], model_in.shape[0] / model_rate))
    with common.progress_bar("edit") as progress:
        result = pipeline.edit(
            torch.from_numpy(np.ascontiguousarray(model_in)),
            model_rate,
            args.target,
            args.source or None,
            range_s=model_range,
            seed=args.seed,
            variations=args.variations or 1,
            num_steps=args.steps,
            n_max=args.n_max,
            n_min=args.n_min,
            n_avg=args.n_avg,
            source_guidance=args.source_cfg,
            target_guidance=args.target_cfg,
            synth_steps=args.synth_steps,
            progress=progress,
        )
    common.report_seed(args, result.seed)
    # 3. Back to the recording's channels (its own samples outside the range) at the preset's
    #    [output] rate and loudness, effects, level: the daemon's steps (bridge/render.py).
    match = None if args.match_loudness is None else bool(args.match_loudness)
    rendered = preset_options.finish_edit(preset, chain, result, source, range_s, match)
    outputs.write_takes(paths, rendered.takes, rendered.sample_rate_hz, args.overwrite,
                        subtype=rendered.subtype)
    for path in paths:
        print(path)
    return 0


def read_source(path: Path):
    """Read an audio file in all its channels. → ``bridge.audio_io.Audio``, samples
    `(channels, frames)` float32. A file longer than any edit is refused after reading one
    frame more than the longest edit, never whole (a two-hour take would fill the memory)."""
    import numpy as np
    import soundfile
    from semanticaudio.bridge.audio_io import Audio
    from semanticaudio.engine.limits import MAX_DURATION_S, MIN_DURATION_S

    if not path.is_file():
        raise FileNotFoundError(f"{path} is not a readable audio file")
    try:
        with soundfile.SoundFile(str(path)) as audio:
            sample_rate_hz = audio.samplerate
            most = math.floor(MAX_DURATION_S * sample_rate_hz) + 1  # one frame too many
            data = audio.read(frames=most, dtype="float32", always_2d=True)
            total_frames = audio.frames
    except (RuntimeError, soundfile.LibsndfileError) as error:
        raise ValueError(f"cannot read {path} as audio: {error}") from None
    if len(data) == most:  # the engine's message (engine.validation.check_waveform)
        duration_s = max(total_frames, most) / sample_rate_hz
        raise ValueError(f"{path}: the audio lasts {duration_s:.3f} s; edits take "
                         f"{MIN_DURATION_S} to {MAX_DURATION_S} s")
    return Audio(np.ascontiguousarray(data.T), int(sample_rate_hz))  # (channels, frames)


def _check_source(path: Path, mono, sample_rate_hz: int, range_s) -> tuple[float, float] | None:
    """The engine's own checks of the audio and the range, run before the model loads."""
    import torch
    from semanticaudio.engine import regions
    from semanticaudio.engine.errors import EngineError
    from semanticaudio.engine.pipeline import Pipeline
    from semanticaudio.engine.validation import check_waveform

    try:
        check_waveform(torch.from_numpy(mono), sample_rate_hz, Pipeline.min_duration_s,
                       Pipeline.max_duration_s)
    except EngineError as error:
        raise ValueError(f"{path}: {error}") from None
    if range_s is None:
        return None
    try:
        return regions.check_range(tuple(range_s), len(mono) / sample_rate_hz)
    except EngineError as error:
        raise ValueError(f"--range: {error}") from None


def _check_flowedit(pipeline, args: argparse.Namespace) -> None:
    """The FlowEdit settings merged with the checkpoint's defaults, as the engine merges them,
    refused in sa's option names before the edit runs."""
    defaults = pipeline.checkpoint.config.flowedit
    try:
        defaults.with_overrides(num_steps=args.steps, n_max=args.n_max, n_min=args.n_min,
                                n_avg=args.n_avg)
    except ValueError as error:
        raise ValueError(
            f"these FlowEdit settings cannot run ({error}): sa edit needs 0 ≤ --n-min ≤ --n-max "
            f"≤ --steps and --n-avg ≥ 1; what is not given comes from the model (--steps "
            f"{defaults.num_steps}, --n-max {defaults.n_max}, --n-min {defaults.n_min}, --n-avg "
            f"{defaults.n_avg}), so set --n-min and --n-max together with --steps"
        ) from None
