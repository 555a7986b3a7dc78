"""The build's last step: score the exported model with the project's independent evaluator.

Issue 4's quality bar: on single-event held-out prompts the default model's event F1 should be
at least 0.8 by the evaluator (``engine/evaluation``, a detector trained separately on another
corpus seed). Two references are scored beside the model, on the same held-out clips, so that a
low score can be traced: the corpus audio itself (what the evaluator can do) and its round trip
through the model's codec (the best any latent the model makes could sound).
"""

from __future__ import annotations

import torch
from semanticaudio.engine.recipes.layout import BuildLayout
from semanticaudio.engine.recipes.profiles import BuildProfile

QUALITY_BAR_F1 = 0.8  # issue 4, item 6


def quality_step(profile: BuildProfile, layout: BuildLayout, device: str, progress: bool) -> dict:
    """Generate one clip per held-out single-event caption and score it (see module doc)."""
    from semanticaudio.engine.corpus import single_event_records
    from semanticaudio.engine.evaluation.detector import default_detector_dir, load_detector
    from semanticaudio.engine.evaluation.scoring import evaluate_audio
    from semanticaudio.engine.pipeline import load_pipeline

    if not (default_detector_dir() / "config.json").is_file():
        return {"skipped": f"no evaluator in {default_detector_dir()}"}
    records = single_event_records(layout.corpus, "heldout", profile.quality_prompts)
    if not records:
        return {"skipped": "the held-out split has no single-event clips"}
    detector = load_detector(default_detector_dir())
    pipeline = load_pipeline(layout.model, device=device)
    captions = [record.caption for record in records]
    recordings = corpus_audio(records)
    generated = generate_clips(pipeline, captions, profile.clip_duration_s, progress,
                               desc="quality")
    rate = pipeline.sample_rate_hz
    report = evaluate_audio(detector, generated, rate, captions)
    return {
        "prompts": len(captions),
        "generated": report.to_json(),
        "meets_bar": report.event_f1 >= QUALITY_BAR_F1,
        "corpus_audio": evaluate_audio(detector, recordings, rate, captions).to_json(),
        "codec_round_trip": evaluate_audio(detector, round_trip(pipeline, recordings), rate,
                                           captions).to_json(),
    }


def corpus_audio(records) -> torch.Tensor:
    """(N, num_samples) float32 of the records' audio files (one length, mono)."""
    import soundfile

    rows = [soundfile.read(record.audio_path, dtype="float32", always_2d=True)[0][:, 0]
            for record in records]
    return torch.stack([torch.from_numpy(row) for row in rows])


@torch.no_grad()
def generate_clips(pipeline, captions: list[str], duration_s: float, progress: bool,
                   seed: int = 0, guidance: float | None = None,
                   desc: str = "generate") -> torch.Tensor:
    """One clip per caption (caption k with seed + k; guidance None: the checkpoint's)
    → (N, num_samples); ``desc`` labels the progress bar."""
    from tqdm import tqdm

    clips = [pipeline.generate(caption, duration_s, seed=seed + index,
                               guidance=guidance).waveforms[0]
             for index, caption in enumerate(tqdm(captions, desc=desc, unit="clip",
                                                  disable=not progress))]
    return torch.stack(clips)  # (N, num_samples)


def round_trip(pipeline, waveforms: torch.Tensor) -> torch.Tensor:
    """(N, num_samples) through the pipeline's codec (posterior mean) and back."""
    return codec_round_trip(pipeline.codec, waveforms, pipeline.device)


@torch.no_grad()
def codec_round_trip(codec, waveforms: torch.Tensor, device: str | torch.device = "cpu",
                     batch: int = 8) -> torch.Tensor:
    """(N, num_samples) through ``codec`` (posterior mean) and back, ``batch`` clips at a time
    on ``device``; the result is on the CPU."""
    parts = [codec.decode(codec.encode(waveforms[i : i + batch].to(device))).cpu()
             for i in range(0, waveforms.shape[0], batch)]
    return torch.cat(parts)[:, : waveforms.shape[1]]


STAGES = ("corpus_audio", "codec_round_trip", "true_plan", "generated")


def stage_ceilings(pipeline, detector, records, progress: bool = True, seed: int = 0) -> dict:
    """Where a two-stage model loses events, on single-event ``records``: the evaluator's scores
    on the recordings, their codec round trip (the best any latent can sound), the synthesizer's
    rendering of each recording's own semantic plan (the best any planner can give) and the
    model's clip from the caption; for each, per class, in how many clips the class was found and
    the level kept (RMS over the event's span against the recording's).
    → {stage: {"scores": …, "per_class": {class: {"clips", "found", "level"}}}}."""
    from semanticaudio.engine.evaluation.scoring import evaluate_audio
    from tqdm import tqdm

    if not records or any(len(record.spec.events) != 1 for record in records):
        raise ValueError("stage_ceilings needs single-event records (at least one)")
    captions = [record.caption for record in records]
    recordings = corpus_audio(records)
    rate = pipeline.sample_rate_hz
    pairs = tqdm(list(zip(recordings, captions, strict=True)), desc="true plan", unit="clip",
                 disable=not progress)
    true_plan = [pipeline.resynthesize(recording, rate, caption, seed=seed + k).waveforms[0]
                 for k, (recording, caption) in enumerate(pairs)]
    duration_s = recordings.shape[1] / rate
    audio = {"corpus_audio": recordings,
             "codec_round_trip": round_trip(pipeline, recordings),
             "true_plan": torch.stack(true_plan),
             "generated": generate_clips(pipeline, captions, duration_s, progress, seed=seed)}
    return {stage: {"scores": (report := evaluate_audio(detector, clips, rate, captions)).to_json(),
                    "per_class": _per_class(records, recordings, clips, report, rate)}
            for stage, clips in audio.items()}


def _per_class(records, recordings: torch.Tensor, clips: torch.Tensor, report,
               rate: int) -> dict[str, dict]:
    found: dict[str, list[bool]] = {}
    levels: dict[str, list[float]] = {}
    for record, recording, clip, score in zip(records, recordings, clips, report.clips,
                                              strict=True):
        event = record.spec.events[0]
        span = slice(round(event.onset_s * rate), round((event.onset_s + event.duration_s) * rate))
        reference = float(recording[span].pow(2).mean().sqrt())
        found.setdefault(event.label, []).append(event.label in score.detected)
        if reference > 0:
            levels.setdefault(event.label, []).append(
                float(clip[span].pow(2).mean().sqrt()) / reference)
    return {label: {"clips": len(hits), "found": sum(hits),
                    "level": (round(sum(levels[label]) / len(levels[label]), 3)
                              if levels.get(label) else None)}
            for label, hits in sorted(found.items())}
