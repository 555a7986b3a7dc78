"""``sa generate "a dog barks twice" --duration 5 --seed 1 --variations 2 -o out.wav``."""

from __future__ import annotations

import argparse

from semanticaudio.engine.cli import common, outputs, preset_options


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompt", help="what the sound should be")
    parser.add_argument("--duration", type=float,
                        help="seconds, 0.5 to 30 (default: the preset's, else 5)")
    parser.add_argument("-o", "--output", default="out.wav", help="output .wav (default out.wav)")
    parser.add_argument("--steps", type=int,
                        help=f"planner (or Base) Euler steps ({common.FROM_MODEL}; paper: 50)")
    parser.add_argument("--cfg", type=float,
                        help=f"planner (or Base) guidance scale ({common.FROM_MODEL}; paper: 4.5)")
    common.add_render_options(parser, run)


def run(args: argparse.Namespace) -> int:
    # 1. Everything that can be refused is refused before the model loads.
    preset = common.apply_preset(args, "generate")
    common.check_options(args)
    paths = outputs.output_paths(args.output, args.variations or 1)
    outputs.check_outputs(paths, args.overwrite)
    chain = preset_options.build_chain(preset)
    # 2. The model.
    pipeline = common.load(args)
    with common.progress_bar("generate") as progress:
        result = pipeline.generate(
            args.prompt,
            5.0 if args.duration is None else args.duration,
            seed=args.seed,
            variations=args.variations or 1,
            num_steps=args.steps,
            guidance=args.cfg,
            synth_steps=args.synth_steps,
            progress=progress,
        )
    common.report_seed(args, result.seed)
    # 3. The preset's [output] rate, effects, level, then the files (mono).
    rendered = preset_options.finish_generate(preset, chain, result)
    outputs.write_takes(paths, rendered.takes, rendered.sample_rate_hz, args.overwrite,
                        subtype=rendered.subtype)
    for path in paths:
        print(path)
    return 0
