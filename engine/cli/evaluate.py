"""``sa eval reconstruction|clap|edit-gain``: the paper's metrics on a checkpoint.

    sa eval reconstruction --model CKPT --data CACHE        mel and multi-scale STFT losses
    sa eval clap --model CKPT --prompts FILE --scorer DIR   CLAP score of generated audio
    sa eval edit-gain --model CKPT --pairs FILE --scorer DIR  CLAP gain of edits

Results are printed as one JSON object with the seed that made them (and written to --out when
given: its folder is checked before anything runs, and the file is replaced whole).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator


def register(parser: argparse.ArgumentParser) -> None:
    metrics = parser.add_subparsers(dest="metric", metavar="METRIC", required=True)
    recon = metrics.add_parser("reconstruction", help="synthesizer reconstruction (table 3)")
    recon.add_argument("--data", required=True, help="feature cache of held-out clips")
    recon.add_argument("--max-clips", type=int, help="evaluate at most this many clips")
    recon.add_argument("--synth-steps", type=int, help="synthesizer Euler steps (paper: 25)")
    recon.set_defaults(run=run_reconstruction)
    clap = metrics.add_parser("clap", help="CLAP score of audio generated from prompts")
    clap.add_argument("--prompts", required=True, help="text file (one per line) or JSONL")
    clap.add_argument("--duration", type=float, default=10.0, help="seconds per clip (paper 10)")
    clap.set_defaults(run=run_clap)
    gain = metrics.add_parser("edit-gain", help="CLAP gain of edits toward target prompts")
    gain.add_argument("--pairs", required=True,
                      help='JSONL: {"audio": path, "target": prompt, "source": optional}')
    gain.set_defaults(run=run_edit_gain)
    for sub in (recon, clap, gain):
        sub.add_argument("--model", required=True, metavar="DIR", help="checkpoint folder")
        sub.add_argument("--device", default="auto", help="auto, cpu or cuda[:N]")
        sub.add_argument("--seed", type=int, default=0, help="noise seed (clip i uses seed + i)")
        sub.add_argument("--out", help="also write the result as JSON to this file")
    for sub in (clap, gain):
        sub.add_argument("--scorer", required=True, metavar="DIR",
                         help="local folder of a transformers ClapModel (e.g. "
                         "laion/clap-htsat-unfused: config.json + model.safetensors + "
                         "preprocessor and tokenizer files)")
        sub.add_argument("--steps", type=int, help="planner (or Base) Euler steps")


def run_reconstruction(args: argparse.Namespace) -> int:
    _check_out(args)
    from semanticaudio.engine.checkpoint import load_checkpoint
    from semanticaudio.engine.evaluation.reconstruction import evaluate_reconstruction
    from semanticaudio.engine.features.reader import FeatureCache
    from semanticaudio.engine.pipeline import resolve_device

    device = resolve_device(args.device)
    result = evaluate_reconstruction(
        load_checkpoint(args.model, device), FeatureCache(args.data), max_clips=args.max_clips,
        synth_steps=args.synth_steps, seed=args.seed, device=device,
    )
    return _report(args, result)


def run_clap(args: argparse.Namespace) -> int:
    _check_out(args)
    from semanticaudio.engine.evaluation.clap_score import ClapScorer, clap_score, read_prompts

    prompts = read_prompts(args.prompts)
    scorer = ClapScorer.from_folder(args.scorer, _device(args))
    with _bar("clap", len(prompts)) as progress:
        result = clap_score(_pipeline(args), prompts, scorer, duration_s=args.duration,
                            seed=args.seed, num_steps=args.steps, progress=progress)
    return _report(args, result)


def run_edit_gain(args: argparse.Namespace) -> int:
    _check_out(args)
    from semanticaudio.engine.evaluation.clap_score import ClapScorer, edit_gain, read_edit_pairs

    pairs = read_edit_pairs(args.pairs)
    scorer = ClapScorer.from_folder(args.scorer, _device(args))
    with _bar("edit-gain", len(pairs)) as progress:
        result = edit_gain(_pipeline(args), pairs, scorer, seed=args.seed, num_steps=args.steps,
                           progress=progress)
    return _report(args, result)


def _device(args: argparse.Namespace):
    from semanticaudio.engine.pipeline import resolve_device

    return resolve_device(args.device)


def _pipeline(args: argparse.Namespace):
    from semanticaudio.engine.pipeline import load_pipeline

    return load_pipeline(args.model, device=args.device)


@contextlib.contextmanager
def _bar(description: str, total: int) -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar over clips on stderr, driven by (done, total) callbacks."""
    import sys

    from tqdm import tqdm

    with tqdm(total=total, desc=description, unit="clip", file=sys.stderr) as bar:
        yield lambda done, _total: bar.update(done - bar.n)


def _check_out(args: argparse.Namespace) -> None:
    """Refuse an --out whose folder is missing, before hours of evaluation rather than after."""
    from pathlib import Path

    if args.out and not Path(args.out).resolve().parent.is_dir():
        raise FileNotFoundError(
            f"--out {args.out}: the folder {Path(args.out).resolve().parent} does not exist; "
            "create it first or write the result elsewhere"
        )


def _report(args: argparse.Namespace, result) -> int:
    import dataclasses
    import json
    from pathlib import Path

    from semanticaudio.engine.features.files import write_json_atomic

    document = {"metric": args.metric, "model": args.model, "seed": args.seed,
                **dataclasses.asdict(result)}
    document = json.loads(json.dumps(document, default=str))  # paths as text
    print(json.dumps(document, indent=2))
    if args.out:
        write_json_atomic(Path(args.out), document)
    return 0
