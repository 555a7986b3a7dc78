"""``sa cache-features --manifest train.jsonl --components DIR --out CACHE``: run the frozen
encoders once over a manifest (resumable: rerun the same command after an interruption)."""

from __future__ import annotations

import argparse


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--manifest", required=True, help="JSONL manifest (audio, caption, …)")
    parser.add_argument(
        "--components", required=True, metavar="DIR_OR_FILE",
        help="a checkpoint folder, a folder with components.json, or a .toml/.json file naming "
        "the codec, semantic encoder and text encoders (e.g. engine/configs/"
        "paper_components.toml)",
    )
    parser.add_argument("--out", required=True, help="cache folder (created; resumed if present)")
    parser.add_argument("--clip-seconds", type=float, default=10.0,
                        help="crop or pad every clip to this length (paper: 10)")
    parser.add_argument("--shard-size", type=int, default=256, help="clips per shard file")
    parser.add_argument("--batch-size", type=int, default=8, help="clips per encoder call")
    parser.add_argument("--feature-dtype", default="float32",
                        choices=["float32", "float16", "bfloat16"],
                        help="storage type of the semantic frames and T5 tokens (latents stay "
                        "float32); bfloat16 halves a paper-scale cache")
    parser.add_argument("--max-shards", type=int,
                        help="write at most this many new shards, then stop (resume later)")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda[:N]")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from semanticaudio.engine.features.writer import CacheRequest, cache_features
    from semanticaudio.engine.pipeline import resolve_device

    if args.max_shards is not None and args.max_shards < 1:  # would write nothing, say "rerun"
        raise ValueError(f"--max-shards must be at least 1 (leave it out to finish the cache), "
                         f"got {args.max_shards}")
    summary = cache_features(CacheRequest(
        manifest=Path(args.manifest),
        components=Path(args.components),
        out_dir=Path(args.out),
        clip_seconds=args.clip_seconds,
        shard_size=args.shard_size,
        batch_size=args.batch_size,
        feature_dtype=args.feature_dtype,
        device=str(resolve_device(args.device)),
        max_new_shards=args.max_shards,
    ))
    state = "complete" if summary.complete else "incomplete (rerun the command to finish)"
    print(
        f"{summary.out_dir}: {summary.num_clips} clips cached, {summary.num_skipped} skipped; "
        f"{summary.shards_written} shards written, {summary.shards_reused} reused; {state}",
        file=sys.stderr,
    )
    print(summary.out_dir)
    return 0
