"""From detector frames to events: smoothing, thresholding and segments per clip."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from semanticaudio.engine.evaluation.detector import DetectorConfig, DetectorOutput, EventDetector


@dataclass(frozen=True)
class DetectionSettings:
    """threshold: frame probability that counts as active; median_frames: smoothing window
    (odd, in output frames: 5 = 0.2 s at 25 frames/s); min_event_s: shorter runs are dropped."""

    threshold: float = 0.5
    median_frames: int = 5
    min_event_s: float = 0.1
    batch_size: int = 16

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold}")
        if self.median_frames < 1 or self.median_frames % 2 == 0:
            raise ValueError(f"median_frames must be odd and >= 1, got {self.median_frames}")
        if self.min_event_s < 0:
            raise ValueError(f"min_event_s must be >= 0, got {self.min_event_s}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")


@dataclass(frozen=True)
class DetectedEvent:
    label: str
    onset_s: float
    offset_s: float
    confidence: float  # peak smoothed probability inside the segment


@dataclass(frozen=True)
class ClipDetection:
    """What the detector heard in one clip.

    clip_posterior: (num_classes,) max over time of the smoothed frame probabilities.
    embedding: (embedding_dim,) the clip embedding (for Fréchet distances).
    """

    events: tuple[DetectedEvent, ...]
    clip_posterior: np.ndarray = field(repr=False)
    embedding: np.ndarray = field(repr=False)

    @property
    def order(self) -> tuple[str, ...]:
        """Detected classes, each once, in order of first onset."""
        ordered: list[str] = []
        for event in sorted(self.events, key=lambda e: e.onset_s):
            if event.label not in ordered:
                ordered.append(event.label)
        return tuple(ordered)

    @property
    def present(self) -> frozenset[str]:
        return frozenset(event.label for event in self.events)


def median_smooth(probabilities: torch.Tensor, window: int) -> torch.Tensor:
    """Running median over time of (B, T, C) with an odd ``window``, edges replicated."""
    if window == 1:
        return probabilities
    padded = F.pad(probabilities.transpose(1, 2), (window // 2, window // 2), mode="replicate")
    return padded.unfold(-1, window, 1).median(dim=-1).values.transpose(1, 2)  # (B, T, C)


def active_segments(active: np.ndarray) -> list[tuple[int, int]]:
    """Runs of True in a (T,) bool array as (first frame, one past last frame)."""
    edges = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _clip_events(
    smoothed: np.ndarray, frame_times_s: np.ndarray, frame_s: float, class_names, settings
) -> tuple[DetectedEvent, ...]:
    """Segments of one clip's smoothed (T, C) probabilities, sorted by onset."""
    min_frames = max(1, round(settings.min_event_s / frame_s))
    events = []
    for class_index, label in enumerate(class_names):
        column = smoothed[:, class_index]
        for start, stop in active_segments(column >= settings.threshold):
            if stop - start >= min_frames:
                onset_s = float(frame_times_s[start] - frame_s / 2)
                offset_s = float(frame_times_s[stop - 1] + frame_s / 2)
                confidence = float(column[start:stop].max())
                events.append(DetectedEvent(label, max(onset_s, 0.0), offset_s, confidence))
    return tuple(sorted(events, key=lambda e: (e.onset_s, e.label)))


def detections_from_output(
    output: DetectorOutput, config: DetectorConfig, settings: DetectionSettings
) -> list[ClipDetection]:
    """Post-process one batch of detector outputs into one :class:`ClipDetection` per clip."""
    frame_s = 1.0 / config.frame_rate_hz
    smoothed = median_smooth(torch.sigmoid(output.frame_logits.float()), settings.median_frames)
    times = config.frame_times_s(smoothed.shape[1]).numpy()
    detections = []
    for clip_probs, embedding in zip(
        smoothed.cpu().numpy(), output.embedding.float().cpu().numpy(), strict=True
    ):
        events = _clip_events(clip_probs, times, frame_s, config.class_names, settings)
        detections.append(ClipDetection(events, clip_probs.max(axis=0), embedding))
    return detections


@torch.inference_mode()
def detect(
    detector: EventDetector,
    waveforms: torch.Tensor | np.ndarray,
    sample_rate_hz: int,
    settings: DetectionSettings | None = None,
) -> list[ClipDetection]:
    """Detect events in a batch of clips.

    waveforms: (B, num_samples) mono at ``sample_rate_hz`` (resampled to the detector's rate),
    finite (a NaN clip would otherwise be scored as silence). Returns one
    :class:`ClipDetection` per clip.
    """
    settings = settings or DetectionSettings()
    waveforms = torch.as_tensor(waveforms)
    if waveforms.dim() != 2:
        raise ValueError(f"waveforms must be (clips, samples), got shape {tuple(waveforms.shape)}")
    broken = (~torch.isfinite(waveforms)).any(dim=1).nonzero().flatten().tolist()
    if broken:
        raise ValueError(f"clips {', '.join(map(str, broken))} hold NaN or infinite samples; "
                         "the detector scores finite audio only (did the model diverge?)")
    detector.eval()
    device = next(detector.parameters()).device
    results: list[ClipDetection] = []
    for start in range(0, waveforms.shape[0], settings.batch_size):
        batch = detector.prepare(waveforms[start : start + settings.batch_size], sample_rate_hz)
        output = detector(batch.to(device))
        results.extend(detections_from_output(output, detector.config, settings))
    return results
