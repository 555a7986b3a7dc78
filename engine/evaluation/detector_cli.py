"""``sa detector train|score``: train the evaluator's event detector, or score a corpus split.

Fits ``engine/cli``'s convention (``register(parser)`` sets ``run``; torch is imported only when
a command runs). Also runnable as ``python -m semanticaudio.engine.evaluation.detector_cli``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

HELP = "train the evaluator's event detector on a corpus, or score a corpus split with it"


def register(parser: argparse.ArgumentParser) -> None:
    """Add the ``train`` and ``score`` actions to ``parser``."""
    actions = parser.add_subparsers(dest="detector_action", metavar="ACTION", required=True)
    train = actions.add_parser("train", help="train a detector on a corpus's timelines")
    train.add_argument("--corpus", required=True, help="corpus folder (from `sa corpus`)")
    train.add_argument("--out", required=True, help="folder for config.json + model.safetensors")
    train.add_argument("--steps", type=int, default=1500, help="training steps (default 1500)")
    train.add_argument("--batch-size", type=int, default=16, help="clips per step (default 16)")
    train.add_argument("--seed", type=int, default=7, help="weights and batch-order seed")
    train.add_argument("--max-clips", type=int, help="use at most this many training clips")
    _add_runtime_options(train)
    train.set_defaults(run=run_train)
    score = actions.add_parser("score", help="score a corpus split's audio against its captions")
    score.add_argument("--detector", help="detector folder (default: the shipped evaluator)")
    score.add_argument("--corpus", required=True, help="corpus folder")
    score.add_argument("--split", default="heldout", help="split to score (default heldout)")
    _add_runtime_options(score)
    score.set_defaults(run=run_score)


def _add_runtime_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:N] (default cpu)")
    parser.add_argument(
        "--threads", type=int, default=1, help="CPU threads for torch (default 1: shared CPUs)"
    )


def add_detector_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``detector`` subcommand to ``subparsers`` (see :func:`register`)."""
    parser = subparsers.add_parser("detector", help=HELP, description=HELP)
    register(parser)
    return parser


def _timelines(corpus: str, split: str) -> Path:
    from semanticaudio.engine.corpus import timelines_path

    path = timelines_path(corpus, split)
    if not path.is_file():
        raise FileNotFoundError(f"no {split} timelines at {path}; make a corpus with `sa corpus`")
    return path


def run_train(args: argparse.Namespace) -> int:
    """Train, save, and score on the corpus's validation and held-out splits when present."""
    import torch
    from semanticaudio.engine.evaluation.detector import DetectorConfig, save_detector
    from semanticaudio.engine.evaluation.detector_training import (
        DetectorTrainingConfig,
        evaluate_features,
        load_frame_dataset,
        train_detector,
    )

    torch.set_num_threads(args.threads)
    config = DetectorConfig()
    training = DetectorTrainingConfig(steps=args.steps, batch_size=args.batch_size, seed=args.seed)
    train = load_frame_dataset(_timelines(args.corpus, "train"), config, args.max_clips)
    result = train_detector(train, config, training, device=args.device)
    out = save_detector(result.detector, args.out)
    report = {
        "corpus": str(Path(args.corpus).resolve()),
        "train_clips": len(train),
        "training": asdict(training),
        "seconds": round(result.seconds, 1),
        "final_loss": sum(result.losses[-50:]) / len(result.losses[-50:]),
    }
    for split in ("validation", "heldout"):
        path = Path(args.corpus) / f"{split}_timelines.jsonl"
        if path.is_file():
            dataset = load_frame_dataset(path, config)
            report[split] = evaluate_features(result.detector, dataset).to_json()
    (out / "training.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


def run_score(args: argparse.Namespace) -> int:
    """Print the event F1, order accuracy and similarity of a corpus split's own audio."""
    import torch
    from semanticaudio.engine.evaluation.detector import load_detector
    from semanticaudio.engine.evaluation.detector_training import (
        evaluate_features,
        load_frame_dataset,
    )

    torch.set_num_threads(args.threads)
    detector = load_detector(args.detector, device=args.device)
    dataset = load_frame_dataset(_timelines(args.corpus, args.split), detector.config)
    print(json.dumps(evaluate_features(detector, dataset).to_json(), indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m semanticaudio.engine.evaluation.detector_cli ...`` = ``sa detector ...``."""
    parser = argparse.ArgumentParser(prog="sa detector", description=HELP)
    register(parser)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
