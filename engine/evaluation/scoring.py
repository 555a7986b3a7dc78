"""Score audio with the detector: event F1, order accuracy, text-audio similarity, Fréchet distance.

What a clip should contain comes from its caption (``corpus.classes_in_caption``: the classes it
names, in the order it names them), so generated audio is scored against its prompt, and corpus
audio against its own caption (which names its events in onset order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from semanticaudio.engine.corpus import classes_in_caption
from semanticaudio.engine.evaluation import metrics
from semanticaudio.engine.evaluation.detection import ClipDetection, DetectionSettings, detect
from semanticaudio.engine.evaluation.detector import EventDetector


@dataclass(frozen=True)
class ClipScore:
    """One clip: the classes its caption names, what was detected, and its scores."""

    caption: str
    expected: tuple[str, ...]
    detected: tuple[str, ...]
    event_f1: float
    order_correct: bool | None
    similarity: float


@dataclass(frozen=True)
class EvaluationReport:
    """Means over clips; order accuracy over the clips that name two or more classes."""

    num_clips: int
    event_f1: float
    order_accuracy: float | None
    num_ordered_clips: int
    similarity: float
    clips: tuple[ClipScore, ...]

    def to_json(self, include_clips: bool = False) -> dict:
        summary = {
            "num_clips": self.num_clips,
            "event_f1": self.event_f1,
            "order_accuracy": self.order_accuracy,
            "num_ordered_clips": self.num_ordered_clips,
            "similarity": self.similarity,
        }
        if include_clips:
            summary["clips"] = [clip.__dict__ for clip in self.clips]
        return summary


def score_detections(
    detections: Sequence[ClipDetection], captions: Sequence[str], class_names: Sequence[str]
) -> EvaluationReport:
    """Compare each detection with the classes its caption names (same order as captions)."""
    if len(detections) != len(captions) or not captions:
        raise ValueError(
            f"need one caption per detection and at least one, got {len(detections)} "
            f"detections and {len(captions)} captions"
        )
    clips = []
    for detection, caption in zip(detections, captions, strict=True):
        expected = classes_in_caption(caption)
        clips.append(
            ClipScore(
                caption=caption,
                expected=expected,
                detected=detection.order,
                event_f1=metrics.presence_f1(detection.present, expected),
                order_correct=metrics.order_correct(detection.order, expected),
                similarity=metrics.cosine_similarity(
                    detection.clip_posterior, metrics.class_vector(expected, class_names)
                ),
            )
        )
    orders = [clip.order_correct for clip in clips]
    return EvaluationReport(
        num_clips=len(clips),
        event_f1=float(np.mean([clip.event_f1 for clip in clips])),
        order_accuracy=metrics.order_accuracy(orders),
        num_ordered_clips=sum(order is not None for order in orders),
        similarity=float(np.mean([clip.similarity for clip in clips])),
        clips=tuple(clips),
    )


def evaluate_audio(
    detector: EventDetector,
    waveforms: torch.Tensor | np.ndarray,
    sample_rate_hz: int,
    captions: Sequence[str],
    settings: DetectionSettings | None = None,
) -> EvaluationReport:
    """Detect events in ``waveforms`` (B, num_samples) and score them against ``captions``."""
    detections = detect(detector, waveforms, sample_rate_hz, settings)
    return score_detections(detections, captions, detector.config.class_names)


def audio_embeddings(
    detector: EventDetector, waveforms: torch.Tensor | np.ndarray, sample_rate_hz: int
) -> np.ndarray:
    """The detector's clip embeddings of ``waveforms`` (B, num_samples) → (B, embedding_dim)."""
    return np.stack([clip.embedding for clip in detect(detector, waveforms, sample_rate_hz)])


def frechet_audio_distance(
    detector: EventDetector,
    waveforms_a: torch.Tensor | np.ndarray,
    waveforms_b: torch.Tensor | np.ndarray,
    sample_rate_hz: int,
) -> float:
    """Fréchet distance between the detector embeddings of two sets of clips."""
    return metrics.frechet_distance(
        audio_embeddings(detector, waveforms_a, sample_rate_hz),
        audio_embeddings(detector, waveforms_b, sample_rate_hz),
    )
