"""``sa corpus``: write a procedural sound-event corpus.

Fits ``engine/cli``'s convention: ``register(parser)`` adds the options and sets ``run``; heavy
imports wait until the command runs. ``add_corpus_parser(subparsers)`` does both steps for a
caller that holds the subparsers object.
"""

from __future__ import annotations

import argparse
import sys

HELP = "write a procedural sound-event corpus (audio, manifests, timelines)"
# The same names as generate.SPLIT_CHOICES (a test checks), repeated so `sa --help` needs no numpy.
SPLIT_CHOICES = ("all", "train", "validation", "heldout")


def register(parser: argparse.ArgumentParser) -> None:
    """Add the corpus options to ``parser``; its ``run`` default is :func:`run_corpus`."""
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--clips", type=int, required=True, help="number of clips")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument("--sample-rate", type=int, default=16000, help="Hz (default 16000)")
    parser.add_argument("--duration", type=float, default=5.0, help="clip length in s (default 5)")
    parser.add_argument(
        "--split",
        choices=SPLIT_CHOICES,
        default="all",
        help="'all' spreads clips over train/validation/heldout; a split name makes only that "
        "split (default all)",
    )
    parser.add_argument(
        "--validation-fraction",
        type=float,
        default=0.1,
        help="share of non-held-out clips put in validation (default 0.1)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a corpus already in --out (its clips, manifests and timelines are deleted "
        "first); without it such a folder is refused",
    )
    parser.set_defaults(run=run_corpus)


def add_corpus_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``corpus`` subcommand to ``subparsers`` (see :func:`register`)."""
    parser = subparsers.add_parser("corpus", help=HELP, description=HELP)
    register(parser)
    return parser


def run_corpus(args: argparse.Namespace) -> int:
    """Generate the corpus that ``args`` describes; print where it went. Returns 0."""
    from semanticaudio.engine.corpus.generate import generate_corpus

    summary = generate_corpus(
        args.out,
        num_clips=args.clips,
        seed=args.seed,
        sample_rate_hz=args.sample_rate,
        clip_duration_s=args.duration,
        split=args.split,
        validation_fraction=args.validation_fraction,
        progress=True,
        overwrite=args.overwrite,
    )
    counts = ", ".join(f"{name} {count}" for name, count in summary.clips_per_split.items())
    print(f"wrote {summary.num_clips} clips to {summary.out_dir} ({counts})")
    for name, path in summary.manifests.items():
        print(f"  {name}: {path}  timelines: {summary.timelines[name]}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m semanticaudio.engine.corpus.cli ...``, the same as ``sa corpus ...``."""
    parser = argparse.ArgumentParser(prog="sa corpus", description=HELP)
    register(parser)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
