"""Where a two-stage model loses its events: corpus audio → codec → synthesizer → planner.

    python bench/stage_ceilings.py --corpus build/default/corpus --out stage-ceilings.json

On the single-event clips of a split (all of them, as the mixed build's quality step, or the
first ``--count``), the independent evaluator scores four versions of each clip: the recording,
its codec round trip, the synthesizer's rendering of the recording's own semantic plan
(``Pipeline.resynthesize``) and the model's clip from the caption. Each step down the chain can
only lose what the one before kept, so the drops say which stage to improve. Per class it also
reports the level kept over the event's span (1 = the recording's loudness).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, type=Path)
    parser.add_argument("--split", default="heldout")
    parser.add_argument("--count", type=int, default=None,
                        help="the first N single-event clips (default: all of the split's)")
    parser.add_argument("--model", type=Path, default=None, help="default: the shipped model")
    parser.add_argument("--out", required=True, type=Path, help="JSON file to write")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    from semanticaudio.engine.corpus import single_event_records
    from semanticaudio.engine.evaluation.detector import default_detector_dir, load_detector
    from semanticaudio.engine.features.files import write_json_atomic
    from semanticaudio.engine.pipeline import load_pipeline
    from semanticaudio.engine.recipes.quality import stage_ceilings

    records = single_event_records(args.corpus, args.split, args.count)
    pipeline = load_pipeline(args.model, device="cpu")
    stages = stage_ceilings(pipeline, load_detector(default_detector_dir()), records)
    words = sys.argv[1:] if argv is None else argv
    result = {"command": "python bench/stage_ceilings.py " + " ".join(words),
              "model": pipeline.model_name, "split": args.split, "clips": len(records),
              "stages": stages}
    write_json_atomic(args.out, result)
    for stage, report in stages.items():
        found = ", ".join(f"{label} {c['found']}/{c['clips']}"
                          for label, c in report["per_class"].items())
        print(f"{stage:17s} F1 {report['scores']['event_f1']:.3f}  {found}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
