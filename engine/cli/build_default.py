"""``sa build-default --out DIR --profile tiny|cpu|gpu|mixed``: train the whole default model from
nothing (corpus, components, both DiT stages, export). Rerun the same command to resume."""

from __future__ import annotations

import argparse

PROFILE_CHOICES = ("tiny", "cpu", "gpu", "mixed")  # = recipes.profiles.PROFILES (a test checks)
STEP_CHOICES = ("corpus", "codec", "sine_bank", "semantic", "cache", "stage1", "stage2", "base",
                "export", "guidance", "quality")


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="build folder (resumed when it exists)")
    parser.add_argument("--profile", choices=PROFILE_CHOICES, default="cpu",
                        help="tiny: about a minute, for tests; cpu: at most 3 h on two cores; "
                        "gpu: one H100; mixed: the codec on a GPU, the rest as cpu (default cpu)")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda[:N] (default auto)")
    parser.add_argument("--threads", type=int,
                        help="CPU threads for torch (default: torch's choice)")
    parser.add_argument("--until", choices=STEP_CHOICES,
                        help="stop after this step (run the command again to go on)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    import torch
    from semanticaudio.engine.recipes.build import BuildRequest, build_default

    if args.threads is not None:
        if args.threads < 1:
            raise ValueError(f"--threads must be at least 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    result = build_default(BuildRequest(Path(args.out), args.profile, args.device,
                                        until=args.until))
    done = ", ".join(result.ran) or "nothing (every step was already done)"
    print(f"ran: {done}; log: {result.log_path}")
    if result.checkpoint is not None:
        print(result.checkpoint)
    return 0
