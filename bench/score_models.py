"""Score model folders on the single-event captions of corpus splits, as the build's quality step.

    python bench/score_models.py --corpus build/default/corpus --model A --model B \
        --split validation --split heldout --out scores.json

Each model generates one clip per caption (caption k with seed k, at the checkpoint's own
guidance) and the independent evaluator scores them: event F1 and text-audio similarity. Use it
to compare builds (a longer planner run, another codec) on the same prompts: choose on the
validation split, report on the held-out one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, type=Path)
    parser.add_argument("--model", required=True, type=Path, action="append",
                        help="a model folder (repeat to compare several)")
    parser.add_argument("--split", action="append", choices=["train", "validation", "heldout"],
                        help="repeat for several (default: heldout)")
    parser.add_argument("--count", type=int, default=None,
                        help="the first N single-event clips (default: all of the split's)")
    parser.add_argument("--out", required=True, type=Path, help="JSON file to write")
    parser.add_argument("--device", default="cpu", help="where the models generate: cpu, cuda")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    from semanticaudio.engine.corpus import single_event_records, timelines_path
    from semanticaudio.engine.evaluation.detector import default_detector_dir, load_detector
    from semanticaudio.engine.evaluation.scoring import evaluate_audio
    from semanticaudio.engine.features.files import write_json_atomic
    from semanticaudio.engine.pipeline import load_pipeline
    from semanticaudio.engine.recipes.quality import generate_clips

    splits = args.split or ["heldout"]
    missing = [split for split in splits if not timelines_path(args.corpus, split).is_file()]
    if missing:
        raise SystemExit(f"{args.corpus} has no {' or '.join(missing)} split "
                         f"(no {timelines_path(args.corpus, missing[0]).name})")
    records = {split: single_event_records(args.corpus, split, args.count) for split in splits}
    captions = {split: [record.caption for record in records[split]] for split in splits}
    empty = [split for split in splits if not records[split]]
    if empty:
        raise SystemExit(f"{args.corpus}: no single-event clips in {', '.join(empty)}")
    duration_s = records[splits[0]][0].spec.duration_s  # a corpus's clips share one length
    detector = load_detector(default_detector_dir())
    models = []
    for folder in args.model:
        pipeline = load_pipeline(folder, device=args.device)
        scores = {}
        for split in splits:
            clips = generate_clips(pipeline, captions[split], duration_s, True, desc=split)
            report = evaluate_audio(detector, clips, pipeline.sample_rate_hz, captions[split])
            scores[split] = {"clips": len(captions[split]), "event_f1": report.event_f1,
                             "similarity": report.similarity}
            print(f"{folder}  {split}: event F1 {report.event_f1:.3f}, "
                  f"similarity {report.similarity:.3f} ({len(captions[split])} clips)")
        guidance = pipeline.checkpoint.config.sampling.text_guidance(pipeline.model.is_two_stage)
        models.append({"model": str(folder), "name": pipeline.model_name,
                       "guidance": guidance, "scores": scores})
    words = sys.argv[1:] if argv is None else argv
    write_json_atomic(args.out, {"command": "python bench/score_models.py " + " ".join(words),
                                 "corpus": str(args.corpus), "models": models})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
