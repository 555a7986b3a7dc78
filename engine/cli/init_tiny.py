"""``sa init-tiny DIR``: a tiny random checkpoint that runs every command on the CPU in seconds."""

from __future__ import annotations

import argparse
from pathlib import Path

from semanticaudio.engine.cli import common


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", help="where to write the checkpoint (a new or empty folder)")
    parser.add_argument("--base", action="store_true", help="a Base (single-stage) model")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the random weights (default 0; 0 to 2**63 - 1)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the checkpoint in a folder that is not empty, as a whole "
                             "(a failure leaves the old one; other files there are kept)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    common.check_seed(args)
    common.check_checkpoint_folder(Path(args.folder), args.overwrite, "DIR")
    from semanticaudio.engine.tiny import write_tiny_checkpoint

    folder = write_tiny_checkpoint(
        args.folder, seed=args.seed, model_type="base" if args.base else "semanticaudio"
    )
    print(folder)
    return 0
