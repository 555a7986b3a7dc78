"""``sa export RUN_DIR [RUN_DIR] --out CHECKPOINT``: trained run(s) → an inference checkpoint
that ``sa generate``, ``sa edit`` and ``sa-engine`` load."""

from __future__ import annotations

import argparse
from pathlib import Path

from semanticaudio.engine.cli import common


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR",
                        help="a stage-2 run (optionally with its stage-1 run) or a base run")
    parser.add_argument("--out", required=True,
                        help="checkpoint folder to write (a new or empty folder)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the checkpoint in a folder that is not empty, as a whole "
                             "(a failure leaves the old one; other files there are kept)")
    parser.add_argument("--no-ema", action="store_true",
                        help="export the raw weights instead of their moving average")
    parser.add_argument("--name", help="model name shown by sa info and the daemon")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    common.check_checkpoint_folder(Path(args.out), args.overwrite, "--out")
    from semanticaudio.engine.training.export import export_runs

    result = export_runs([Path(r) for r in args.runs], Path(args.out),
                         use_ema=not args.no_ema, name=args.name)
    weights = "EMA" if result.used_ema else "raw"
    print(f"exported a {result.model_type} model (step {result.step}, {weights} weights)")
    print(result.folder)
    return 0
