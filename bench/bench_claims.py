"""The micro-benchmark of the paper's two claims on the default model's setting (issue 4).

    sa build-default --out build/default --profile cpu --threads 2     # first: the default model
    python bench/bench_claims.py --build build/default                 # then this

Trains the variants the build does not have (a two-stage model at another d, the Base model of
the same total size and budget) under ``--work``, scores every model with the independent
evaluator on held-out captions, and writes ``bench/results/claims-<profile>.json`` and the
Markdown tables beside it. Run again after an interruption: finished training is reused.
See ``engine/recipes/claims.py`` for what is compared and how.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", required=True, type=Path, help="a `sa build-default` folder")
    parser.add_argument("--work", type=Path, help="where variants train (default BUILD/claims)")
    parser.add_argument("--other-dim", type=int,
                        help="the second model's d (default: 128, or 32 if the build's d is 128)")
    parser.add_argument("--prompts", type=int, default=64, help="held-out captions generated")
    parser.add_argument("--edits", type=int, default=32, help="held-out recordings edited")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    import torch
    from semanticaudio.engine.features.files import write_json_atomic, write_text_atomic
    from semanticaudio.engine.recipes.claims import ClaimsSettings, markdown_tables, run_claims

    torch.set_num_threads(args.threads)
    settings = ClaimsSettings(args.other_dim, args.prompts, args.edits, args.seed)
    record = run_claims(args.build, args.work or args.build / "claims", settings, args.device)
    words = sys.argv[1:] if argv is None else argv
    record["command"] = "python bench/bench_claims.py " + " ".join(words)
    args.results.mkdir(parents=True, exist_ok=True)
    stem = args.results / f"claims-{record['profile']}"
    tables = markdown_tables(record)
    # through temporary files: an interrupted write leaves the committed results whole
    write_json_atomic(stem.with_suffix(".json"), record)
    write_text_atomic(stem.with_suffix(".md"), tables)
    print(tables)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
