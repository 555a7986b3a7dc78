"""``sa edit in.wav --source "..." --target "..." [--range 1.0 3.5] -o out.wav``."""

from __future__ import annotations

import argparse
from pathlib import Path

from semanticaudio.engine.cli import common, preset_options


def register(parser: argparse.ArgumentParser) -> None:
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
        help="edit only this range, seconds from the file's start",
    )
    parser.add_argument("-o", "--output", default="edited.wav", help="output .wav")
    parser.add_argument("--steps", type=int, help="FlowEdit grid steps (paper: 50)")
    parser.add_argument("--n-max", type=int, help="steps that FlowEdit runs (skips the rest)")
    parser.add_argument(
        "--n-min", type=int, help="final steps of plain target sampling (paper: 10)"
    )
    parser.add_argument("--n-avg", type=int, help="noise draws averaged per step")
    parser.add_argument("--source-cfg", type=float, help="source guidance (paper: 1)")
    parser.add_argument("--target-cfg", type=float, help="target guidance (paper: 5 to 7)")
    common.add_render_options(parser, run)


def run(args: argparse.Namespace) -> int:
    waveform, sample_rate_hz = read_mono(Path(args.input))
    if Path(args.output).resolve() == Path(args.input).resolve():
        raise ValueError("the output would overwrite the input; choose another -o")
    preset = preset_options.apply_preset(args, "edit")
    if not args.target:
        raise ValueError("give --target (what the edited sound should be) or a --preset")
    pipeline = common.load(args)
    with common.progress_bar("edit") as progress:
        result = pipeline.edit(
            waveform,
            sample_rate_hz,
            args.target,
            args.source or None,
            range_s=tuple(args.range) if args.range else None,
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
    waveforms = preset_options.apply_effects(preset, result.waveforms, result.sample_rate_hz)
    common.write_results(args, waveforms, result.sample_rate_hz)
    return 0


def read_mono(path: Path):
    """Read an audio file and mix it down. → (num_samples,) float32 tensor, sample rate."""
    import soundfile
    import torch

    if not path.is_file():
        raise FileNotFoundError(f"{path} is not a readable audio file")
    try:
        data, sample_rate_hz = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as error:
        raise ValueError(f"cannot read {path} as audio: {error}") from None
    return torch.from_numpy(data.mean(axis=1)), int(sample_rate_hz)
