"""Choose a trained model's text guidance on validation captions, and write it into its config.

The paper samples its planner (and the Base model) at guidance 4.5. A small model trained
briefly need not share that optimum: the cpu default model's plans at 4.5 lost nearly all their
variation over time (std over frames 0.19 against 0.67 for real clips' plans) and decoded to
near silence. So the build tries a few scales on single-event captions of the *validation*
split (never the held-out one the quality step and the benchmark report on) and keeps the one
with the best event F1 by the evaluator (ties: the smaller scale).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

GUIDANCE_GRID = (1.0, 2.0, 3.0, 4.5)


@dataclass(frozen=True)
class GuidanceChoice:
    """scale: the chosen guidance; scores: event F1 and similarity per tried scale."""

    scale: float
    key: str  # the config's field: planner_guidance (two-stage) or base_guidance
    scores: dict[float, dict[str, float]]

    def to_json(self) -> dict:
        return {"scale": self.scale, "field": self.key,
                "tried": {str(scale): score for scale, score in self.scores.items()}}


def choose_guidance(model_dir: Path, records, duration_s: float, device: str = "cpu",
                    grid: tuple[float, ...] = GUIDANCE_GRID, progress: bool = True
                    ) -> GuidanceChoice:
    """Generate one clip per record's caption at each scale of ``grid`` (seed k for record k)
    and pick the scale with the best evaluator event F1. → the choice (nothing is written)."""
    from semanticaudio.engine.evaluation.detector import default_detector_dir, load_detector
    from semanticaudio.engine.evaluation.scoring import evaluate_audio
    from semanticaudio.engine.pipeline import load_pipeline
    from semanticaudio.engine.recipes.quality import generate_clips

    if not records:
        raise ValueError("choose_guidance needs at least one validation caption, got none")
    pipeline = load_pipeline(model_dir, device=device)
    detector = load_detector(default_detector_dir())
    captions = [record.caption for record in records]
    scores = {}
    for scale in grid:
        clips = generate_clips(pipeline, captions, duration_s, progress, guidance=scale,
                               desc=f"guidance {scale:g}")
        report = evaluate_audio(detector, clips, pipeline.sample_rate_hz, captions)
        scores[scale] = {"event_f1": report.event_f1, "similarity": report.similarity}
    best = max(grid, key=lambda scale: (scores[scale]["event_f1"], -scale))
    key = pipeline.checkpoint.config.sampling.guidance_field(pipeline.model.is_two_stage)
    return GuidanceChoice(best, key, scores)


def write_guidance(model_dir: Path, choice: GuidanceChoice) -> None:
    """Set the checkpoint's default guidance to ``choice.scale`` (config.json, atomically)."""
    from semanticaudio.engine.checkpoint import read_config
    from semanticaudio.engine.features.files import write_json_atomic

    path = Path(model_dir) / "config.json"
    document = json.loads(path.read_text())
    document["sampling"][choice.key] = choice.scale
    write_json_atomic(path, document)
    read_config(model_dir)  # still a valid checkpoint


def guidance_step(profile, layout, device: str, progress: bool) -> dict:
    """The build's step after export: choose and write the exported models' guidance."""
    from semanticaudio.engine.corpus import single_event_records
    from semanticaudio.engine.evaluation.detector import default_detector_dir

    if not (default_detector_dir() / "config.json").is_file():
        return {"skipped": f"no evaluator in {default_detector_dir()}"}
    records = single_event_records(layout.corpus, "validation", profile.guidance_prompts)
    if not records:
        return {"skipped": "the validation split has no single-event clips"}
    folders = {"model": layout.model}
    if profile.train_base:
        folders["model_base"] = layout.base_model
    chosen = {}
    for name, folder in folders.items():
        choice = choose_guidance(folder, records, profile.clip_duration_s, device,
                                 progress=progress)
        write_guidance(folder, choice)
        chosen[name] = choice.to_json()
    return chosen
