"""Which training objective lets a 25 frames/s codec render steady tones off its frame grid?

    python bench/codec_tone_arms.py --arms mel gan stft --steps 1500 \
        --out bench/results/codec-tone-arms.json

Trains one fresh codec per arm, from scratch, with ``--profile``'s codec recipe (default mixed:
the shipped codec's size and loss) on synthetic tones: ``--clips`` one-second clips of one to
three steady sines each, 150-3000 Hz (log-uniform), random phase, clip RMS 0.02-0.1 (the
corpus's levels), batch 8 x 0.48 s. Arms: ``mel`` the recipe as it is (mixed: DAC's multi-scale
mel + waveform L1), ``gan`` the recipe plus DAC's multi-resolution STFT discriminators
(``AdversarialRecipe(periods=())``, MPD left out for the CPU's sake), ``stft`` the recipe with
the "stft+mel" reconstruction (log-STFT at windows up to 2048 + one mel). Then each codec
round-trips the probe's steady tones (``tone_round_trip`` at amplitude 0.05): does the strongest
line land on the tone, or on a multiple of 25 Hz of the codec's own? The shipped codec draws the
same lines at multiples of 50 Hz for every tone (bench/results/codec-tones-mixed.json).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch

ARMS = ("mel", "gan", "stft")
TONE_AMPLITUDE = 0.05  # within the corpus's levels, as the training tones are
WARMUP_STEPS = 50  # short runs: the profiles' warm-ups (300 for mixed) are for 6000-step ones


def tone_bank(num_clips: int, seed: int, sample_rate_hz: int = 16_000, seconds: float = 1.0):
    """A ClipBank of steady tones: 1-3 sines, 150-3000 Hz, random phase, RMS 0.02-0.1."""
    from semanticaudio.engine.recipes.clips import ClipBank

    rng = np.random.default_rng(seed)
    time_s = np.arange(int(seconds * sample_rate_hz)) / sample_rate_hz
    clips = []
    for _ in range(num_clips):
        wave = np.zeros_like(time_s)
        for _ in range(rng.integers(1, 4)):
            frequency = np.exp(rng.uniform(np.log(150.0), np.log(3000.0)))
            wave += rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * frequency * time_s
                                                   + rng.uniform(0, 2 * np.pi))
        wave *= rng.uniform(0.02, 0.1) / np.sqrt(np.mean(wave**2))
        clips.append(np.round(wave * 32767).astype(np.int16))
    return ClipBank(torch.from_numpy(np.stack(clips)), sample_rate_hz, ("",) * num_clips,
                    (None,) * num_clips)


def arm_recipe(base, arm: str, steps: int, batch_size: int):
    """``base`` (a CodecRecipe) as ``arm`` trains it, for ``steps`` at ``batch_size``."""
    from semanticaudio.engine.recipes.adversarial import AdversarialRecipe

    optimizer = replace(base.optimizer, steps=steps, batch_size=batch_size,
                        warmup_steps=min(WARMUP_STEPS, steps))
    recipe = replace(base, crop_s=0.48, optimizer=optimizer)
    if arm == "gan":
        return replace(recipe, adversarial=AdversarialRecipe(periods=()))
    if arm == "stft":
        return replace(recipe, reconstruction="stft+mel")
    return recipe


def off_grid(peaks_hz, frame_rate_hz: float = 25.0, tolerance_hz: float = 1.0) -> bool:
    """Does the strongest line lie off the multiples of the frame rate (beyond the peak
    finder's resolution), i.e. could a decoder fed the same latent every frame not draw it?"""
    if not peaks_hz:
        return False
    offset = peaks_hz[0] % frame_rate_hz
    return min(offset, frame_rate_hz - offset) > tolerance_hz


def run_arm(arm: str, args: argparse.Namespace, bank) -> dict:
    from semanticaudio.engine.recipes.codec import build_codec, train_codec
    from semanticaudio.engine.recipes.codec_probe import tone_round_trip
    from semanticaudio.engine.recipes.profiles import get_profile

    recipe = arm_recipe(get_profile(args.profile).codec, arm, args.steps, args.batch)
    codec = build_codec(recipe, bank.sample_rate_hz, seed=args.seed)
    start = time.perf_counter()
    log = train_codec(codec, bank, recipe, seed=args.seed, progress=args.progress)
    seconds = time.perf_counter() - start
    readings = tone_round_trip(codec, amplitude=TONE_AMPLITUDE)
    return {"arm": arm, "reconstruction": recipe.reconstruction,
            "adversarial": None if recipe.adversarial is None else asdict(recipe.adversarial),
            "seconds": round(seconds, 1), "seconds_per_step": round(seconds / args.steps, 3),
            "last_terms": {k: round(v, 4) for k, v in log.terms.items()},
            "pitch_kept": sum(r.pitch_kept for r in readings),
            "off_grid_lines": sum(off_grid(r.peaks_hz) for r in readings),
            "tones": [asdict(r) for r in readings]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arms", nargs="+", choices=ARMS, default=list(ARMS))
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--clips", type=int, default=2000, help="synthetic tone clips (1 s)")
    parser.add_argument("--profile", default="mixed", help="whose codec recipe (size, loss)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--progress", action="store_true", help="show training progress bars")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.clips < 1:
        parser.error(f"--steps and --clips must be >= 1, got {args.steps} and {args.clips}")
    torch.set_num_threads(args.threads)
    bank = tone_bank(args.clips, args.seed)
    words = sys.argv[1:] if argv is None else argv
    record = {"command": " ".join(["python bench/codec_tone_arms.py", *words]),
              "profile": args.profile, "steps": args.steps, "batch_size": args.batch,
              "clips": args.clips, "seed": args.seed, "tone_amplitude": TONE_AMPLITUDE,
              "threads": args.threads, "arms": []}
    for arm in args.arms:
        record["arms"].append(run_arm(arm, args, bank))
        summary = record["arms"][-1]
        print(f"{arm}: {summary['pitch_kept']}/{len(summary['tones'])} tones kept, "
              f"{summary['off_grid_lines']} strongest lines off the 25 Hz grid, "
              f"{summary['seconds_per_step']} s/step", flush=True)
        if args.out is not None:  # after every arm, so a long run keeps what it measured
            from semanticaudio.engine.features.files import write_json_atomic

            args.out.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomic(args.out, record)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
