"""``sa edit in.wav --source "..." --target "..." [--start S --length L] [--range A B] -o out.wav``.

The model hears the recording in mono. The result keeps the recording's sample rate (a --preset's
[output] may set another) and channel count, as the daemon's edits do (``bridge/render.py``): the
edited sound in every channel, and outside --range the recording's own samples in its own
channels. Never clipped: with --range an edit that would clip is turned down by itself before it
is spliced in, so the recording's samples around it stay as they are; a result that would still
clip (a whole-file edit, a recording that itself passes full scale) is scaled down as a whole to
a −0.1 dBFS peak (``bridge.render.edited_takes``, ``bridge.audio_io.prevent_clipping``).

--start and --length pick a region of a longer recording, as ``sa-client edit`` does, and the
result is that region only, as sa-engine writes it for a DAW: a file --length long that belongs
at --start on the recording's timeline. Not the whole file with the region replaced: a recording
can last hours, and an edit's steps (the clipping guard's one gain, a preset's effects and
[output] rate) would then change, or have to skip, audio the edit never touched. Only the region
is read from the file.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from semanticaudio.engine.cli import common, outputs, preset_options
from semanticaudio.engine.limits import MAX_DURATION_S, MIN_DURATION_S

if TYPE_CHECKING:  # only for the hints: `sa --help` must not import numpy or pedalboard
    from semanticaudio.bridge.audio_io import Audio

CHANNELS_HELP = (
    "The result has the recording's sample rate (or a --preset's [output] rate) and channels. "
    "The model hears and renders mono: "
    "a whole-file edit puts the edited sound in every channel (a stereo recording comes back "
    "with the same sound left and right), as sa-engine does; with --range, the audio outside "
    "the range is the recording's own, every channel untouched. Never clipped: an edit that "
    "would clip is turned down (with --range, the edited part alone), to a -0.1 dBFS peak. "
    "With --start or --length the result is that "
    "region only, --length long (as sa-engine writes it for a DAW): place it at --start; only "
    "the region is read, so a recording may be hours long."
)


@dataclass(frozen=True)
class Region:
    """The part of a recording an edit reads and writes: `num_frames` frames from `start_frame`
    at the file's rate. `length_s` is how long the engine is told it is (--length as given, or
    the frames to the end of the file), as sa-engine is told ``length_s``; `chosen`: --start or
    --length was given (else the region is the whole file)."""

    start_frame: int
    num_frames: int
    length_s: float
    chosen: bool


@dataclass(frozen=True)
class Source:
    """The region's samples, `audio` `(channels, frames)` float32 at the file's rate."""

    audio: Audio
    region: Region


def register(parser: argparse.ArgumentParser) -> None:
    parser.epilog = CHANNELS_HELP
    parser.add_argument("input", help="the recording to edit (WAV, FLAC, OGG …)")
    parser.add_argument("--target", default="",
                        help="what the edited sound should be (a --preset may build it)")
    parser.add_argument(
        "--source", default="", help="what the recording is (empty: null condition)"
    )
    parser.add_argument("--start", type=float, metavar="S",
                        help="edit the region that starts S seconds into the file (default 0); "
                             "the result is the region only")
    parser.add_argument("--length", type=float, metavar="L",
                        help="the region lasts L seconds, "
                             f"{MIN_DURATION_S:g} to {MAX_DURATION_S:g} (default: to the end of "
                             "the file)")
    parser.add_argument(
        "--range",
        nargs=2,
        type=float,
        metavar=("START", "END"),
        help="edit only this range, seconds from the region's start (--start; without it the "
             "file's); outside it the recording's own samples are kept, in all its channels",
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
    from semanticaudio.bridge.render import model_input

    # 1. Everything that can be refused is refused before the model loads.
    source = read_source(Path(args.input), args.start, args.length)
    preset = common.apply_preset(args, "edit")
    if not args.target.strip():
        raise ValueError("give --target (what the edited sound should be) or a --preset")
    common.check_options(args)
    _check_samples(Path(args.input), source.audio)
    range_s = check_range(args.range, source.region)
    paths = outputs.output_paths(args.output, args.variations or 1)
    outputs.check_outputs(paths, args.overwrite, input_path=Path(args.input))
    chain = preset_options.build_chain(preset)  # a plug-in may fail to load
    # 2. The model edits the mono mixdown.
    pipeline = common.load(args)
    _check_flowedit(pipeline, args)
    # The region at the model's rate, as sa-engine hands it over (bridge/render.py), so that
    # both give the same edit; the range held inside that audio (it may be a sample shorter).
    model_rate = int(pipeline.sample_rate_hz)
    model_in = model_input(source.audio, source.region.length_s, model_rate)
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
    # 3. Back to the region's channels (its own samples outside the range) at the preset's
    #    [output] rate and loudness, effects, level: the daemon's steps (bridge/render.py).
    match = None if args.match_loudness is None else bool(args.match_loudness)
    rendered = preset_options.finish_edit(preset, chain, result, source.audio, range_s, match)
    outputs.write_takes(paths, rendered.takes, rendered.sample_rate_hz, args.overwrite,
                        subtype=rendered.subtype)
    for path in paths:
        print(path)
    return 0


def read_source(path: Path, start_s: float | None = None,
                length_s: float | None = None) -> Source:
    """Read the region of an audio file an edit works on, `[start_s, start_s + length_s)` in
    all its channels (the whole file when neither is given; `length_s` None: to the end).
    Only the region is read, from where soundfile seeks to, never the whole file (a two-hour
    take would fill the memory); a region the engine or the file cannot take is refused from
    the header (``find_region``). → ``Source``."""
    import numpy as np
    import soundfile
    from semanticaudio.bridge.audio_io import Audio, fit_length

    if not path.is_file():
        raise FileNotFoundError(f"{path} is not a readable audio file")
    try:
        with soundfile.SoundFile(str(path)) as audio:
            sample_rate_hz = int(audio.samplerate)
            region = find_region(path, sample_rate_hz, audio.frames, start_s, length_s)
            audio.seek(region.start_frame)
            data = audio.read(frames=region.num_frames, dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as error:
        raise ValueError(f"cannot read {path} as audio: {error}") from None
    # frames the file lacks (a region reaching up to REGION_TOLERANCE_S past its end, an MP3's
    # estimated length) are silence, as sa-engine reads them (bridge.audio_io.read_region)
    samples = fit_length(np.ascontiguousarray(data.T), region.num_frames)  # (channels, frames)
    return Source(Audio(samples, sample_rate_hz), region)


def find_region(path: Path, sample_rate_hz: int, total_frames: int, start_s: float | None,
                length_s: float | None) -> Region:
    """--start and --length (None: not given) checked against the engine's limits and the
    file's `total_frames`, as sa-engine checks ``start_s`` and ``length_s``, in sa's option
    names. Frames are counted as sa-engine counts them (``bridge.audio_io.frames_for``)."""
    from semanticaudio.bridge.audio_io import frames_for

    duration_s = total_frames / sample_rate_hz
    chosen = start_s is not None or length_s is not None
    if duration_s < MIN_DURATION_S or (not chosen and duration_s > MAX_DURATION_S):
        # the engine's words (engine.validation.check_waveform), and what to do about them
        hint = ("; to edit a part of it, give --start S and --length L (seconds, L at most "
                f"{MAX_DURATION_S:g})" if duration_s > MAX_DURATION_S else "")
        raise ValueError(f"{path}: the audio lasts {duration_s:.3f} s; edits take "
                         f"{MIN_DURATION_S} to {MAX_DURATION_S} s{hint}")
    start_s = 0.0 if start_s is None else start_s
    start_frame = _check_start(path, start_s, sample_rate_hz, total_frames)
    if length_s is None:  # to the end of the file
        num_frames = total_frames - start_frame
        length_s = num_frames / sample_rate_hz
        if length_s > MAX_DURATION_S:
            raise ValueError(
                f"from --start {start_s:g} to the end of {path} is {length_s:.3f} s; edits take "
                f"{MIN_DURATION_S} to {MAX_DURATION_S} s: give --length (at most "
                f"{MAX_DURATION_S:g})")
        return Region(start_frame, num_frames, length_s, chosen)
    _check_length(path, start_s, length_s, duration_s)
    return Region(start_frame, frames_for(length_s, sample_rate_hz), length_s, chosen)


def _check_start(path: Path, start_s: float, sample_rate_hz: int, total_frames: int) -> int:
    """--start: a time in the file that leaves at least an edit's shortest length after it.
    → its frame."""
    from semanticaudio.bridge.audio_io import frames_for

    duration_s = total_frames / sample_rate_hz
    inside = math.isfinite(start_s) and 0 <= start_s <= duration_s  # else no frame to count
    start_frame = frames_for(start_s, sample_rate_hz) if inside else -1
    left_s = (total_frames - start_frame) / sample_rate_hz
    if not (inside and left_s >= MIN_DURATION_S):
        raise ValueError(
            f"--start must be from 0 to {duration_s - MIN_DURATION_S:.3f} seconds ({path} lasts "
            f"{duration_s:.3f} s, an edit at least {MIN_DURATION_S:g} s), got {start_s:g}")
    return start_frame


def _check_length(path: Path, start_s: float, length_s: float, duration_s: float) -> None:
    """--length: within the engine's limits, and the region inside the file (up to sa-engine's
    REGION_TOLERANCE_S past its end, which is read as silence)."""
    from semanticaudio.bridge.validation import REGION_TOLERANCE_S

    if not (math.isfinite(length_s) and MIN_DURATION_S <= length_s <= MAX_DURATION_S):
        raise ValueError(f"--length must be from {MIN_DURATION_S} to {MAX_DURATION_S} seconds, "
                         f"got {length_s:g}")
    end_s = start_s + length_s
    if end_s > duration_s + REGION_TOLERANCE_S:
        raise ValueError(
            f"--start {start_s:g} --length {length_s:g} ends at {end_s:.3f} s, past the end of "
            f"{path}, which lasts {duration_s:.3f} s; from --start {start_s:g}, --length may be "
            f"at most {duration_s - start_s:.3f} seconds (or leave it out: to the end)")


def check_range(range_s: list[float] | None, region: Region) -> tuple[float, float] | None:
    """--range as sa-engine takes ``range=A:B``: seconds from the region's start, `0 ≤ A < B ≤
    length_s` (an end up to RANGE_ROUNDING_S past the region is its end), at least MIN_RANGE_S
    long. → (A, B), or None without --range."""
    from semanticaudio.bridge.protocol import MIN_RANGE_S, RANGE_ROUNDING_S

    if range_s is None:
        return None
    start_s, end_s = range_s
    length_s = region.length_s
    inside = (f"seconds from --start, inside the {length_s:.3f} s region" if region.chosen
              else f"seconds from the file's start, inside its {length_s:.3f} s")
    if not (math.isfinite(start_s) and math.isfinite(end_s)
            and 0 <= start_s < end_s <= length_s + RANGE_ROUNDING_S):
        raise ValueError(f"--range {start_s:g} {end_s:g} is not inside the audio edited; "
                         f"--range takes START END with 0 ≤ START < END ≤ {length_s:.3f} "
                         f"({inside})")
    end_s = min(end_s, length_s)
    if end_s - start_s < MIN_RANGE_S:
        raise ValueError(f"--range {start_s:g} {end_s:g} lasts {end_s - start_s:.3g} s; a range "
                         f"must last at least {MIN_RANGE_S:g} s (the edit fades in and out over "
                         "that much)")
    return start_s, end_s


def _check_samples(path: Path, audio: Audio) -> None:
    """The engine's own checks of the audio (its sample rate, finite samples), run before the
    model loads; its length was checked in seconds (``find_region``), as sa-engine checks it."""
    import torch
    from semanticaudio.bridge.audio_io import mixdown
    from semanticaudio.engine.errors import EngineError
    from semanticaudio.engine.validation import check_waveform

    try:
        check_waveform(torch.from_numpy(mixdown(audio.samples)), audio.sample_rate_hz, 0.0,
                       math.inf)
    except EngineError as error:
        raise ValueError(f"{path}: {error}") from None


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
