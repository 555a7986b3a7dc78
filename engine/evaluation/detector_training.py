"""Train the event detector on a corpus's ground-truth timelines.

Log-mel features are computed once (the front end has no trainable parameters), then the CRNN
trains on random batches of them with frame-level binary cross-entropy. Two augmentations keep
the detector honest on audio that is not the corpus's: a random gain, and a random noise floor,
because corpus clips are digitally silent between events while generated audio never is.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import torch
import torch.nn.functional as F
from semanticaudio.engine.corpus import ClipSpec, read_timelines
from semanticaudio.engine.evaluation.detection import DetectionSettings, detections_from_output
from semanticaudio.engine.evaluation.detector import DetectorConfig, EventDetector, LogMel
from semanticaudio.engine.evaluation.scoring import EvaluationReport, score_detections
from tqdm import tqdm


@dataclass(frozen=True)
class DetectorTrainingConfig:
    """Optimisation settings. ``seed`` fixes the initial weights and the batch order."""

    steps: int = 1500
    batch_size: int = 16
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 100
    seed: int = 7
    gain_db: float = 6.0  # random gain in ±gain_db
    noise_floor_dbfs: tuple[float, float] = (-80.0, -45.0)  # random coloured-noise floor (RMS)

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError(
                f"steps and batch_size must be >= 1, got {self.steps} and {self.batch_size}"
            )


@dataclass(frozen=True)
class FrameDataset:
    """Cached features: log_mel (N, n_mels, num_mel_frames), targets (N, T, num_classes)."""

    log_mel: torch.Tensor
    targets: torch.Tensor
    captions: tuple[str, ...]

    def __len__(self) -> int:
        return self.log_mel.shape[0]


@dataclass(frozen=True)
class DetectorTrainingResult:
    detector: EventDetector
    losses: tuple[float, ...]  # training loss per step
    validation: EvaluationReport | None
    seconds: float


def frame_targets(spec: ClipSpec, config: DetectorConfig, num_frames: int) -> torch.Tensor:
    """(num_frames, num_classes) 0/1: a class is active in a frame whose centre lies in an event."""
    times = config.frame_times_s(num_frames)
    targets = torch.zeros(num_frames, len(config.class_names))
    for event in spec.events:
        inside = (times >= event.onset_s) & (times < event.offset_s)
        targets[inside, config.class_names.index(event.label)] = 1.0
    return targets


def _read_audio(path: Path, config: DetectorConfig, num_samples: int) -> torch.Tensor:
    """One mono file at the detector's rate, cropped or zero-padded to ``num_samples``."""
    audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    waveform = torch.from_numpy(audio.mean(axis=1))[None]  # (1, samples)
    if rate != config.sample_rate_hz:
        import torchaudio

        waveform = torchaudio.functional.resample(waveform, rate, config.sample_rate_hz)
    return F.pad(waveform, (0, max(0, num_samples - waveform.shape[1])))[:, :num_samples]


@torch.inference_mode()
def load_frame_dataset(
    timelines: Path | str, config: DetectorConfig, max_clips: int | None = None
) -> FrameDataset:
    """Read a ``*_timelines.jsonl`` file and its audio into cached log-mels and frame targets."""
    records = read_timelines(timelines)[:max_clips]
    if not records:
        raise ValueError(f"{timelines} holds no clips")
    num_samples = round(records[0].spec.duration_s * config.sample_rate_hz)
    front_end = LogMel(config)
    log_mels, targets = [], []
    for record in tqdm(records, desc="features", unit="clip", leave=False):
        log_mel = front_end(_read_audio(record.audio_path, config, num_samples))[0]
        num_frames = log_mel.shape[-1] // config.time_pool
        log_mels.append(log_mel)
        targets.append(frame_targets(record.spec, config, num_frames))
    captions = tuple(record.caption for record in records)
    return FrameDataset(torch.stack(log_mels), torch.stack(targets), captions)


def coloured_noise(
    num_clips: int, num_samples: int, generator: torch.Generator
) -> torch.Tensor:
    """Unit-RMS noise clips (num_clips, num_samples) whose power spectra fall as 1/f^k, k drawn
    in [−1, 2] per clip (blue-ish, white, pink, brown and between)."""
    spectrum = torch.fft.rfft(torch.randn(num_clips, num_samples, generator=generator))
    frequency = torch.arange(spectrum.shape[-1]).clamp(min=1).float()  # in bins
    exponent = torch.rand(num_clips, 1, generator=generator) * 3.0 - 1.0
    noise = torch.fft.irfft(spectrum * frequency ** (-exponent / 2), n=num_samples)
    return noise / noise.pow(2).mean(dim=-1, keepdim=True).sqrt()


@torch.inference_mode()
def noise_bank(
    config: DetectorConfig, num_samples: int, num_clips: int = 64, seed: int = 0
) -> torch.Tensor:
    """Mel power (num_clips, n_mels, num_mel_frames) of unit-RMS coloured noise clips: real
    frame-to-frame fluctuations, so the detector learns that a noise floor is no event."""
    noise = coloured_noise(num_clips, num_samples, torch.Generator().manual_seed(seed))
    return LogMel(config).mel(noise)


def augment(
    log_mel: torch.Tensor,
    noise: torch.Tensor,
    training: DetectorTrainingConfig,
    generator: torch.Generator,
) -> torch.Tensor:
    """Random gain, and a random noise floor from ``noise`` (K, n_mels, F) added in the power
    domain (independent signals add in power on average). (B, n_mels, F) → same shape."""
    batch = log_mel.shape[0]
    gain_db = (torch.rand(batch, 1, 1, generator=generator) * 2 - 1) * training.gain_db
    low, high = training.noise_floor_dbfs
    floor_db = low + torch.rand(batch, 1, 1, generator=generator) * (high - low)
    floor = noise[torch.randint(noise.shape[0], (batch,), generator=generator)]
    shift = int(torch.randint(floor.shape[-1], (1,), generator=generator))
    floor = torch.roll(floor, shifts=shift, dims=-1)[..., : log_mel.shape[-1]]
    power = torch.exp(log_mel) * 10 ** (gain_db / 10) + floor * 10 ** (floor_db / 10)
    return torch.log(power + 1e-8)


def _learning_rate(step: int, training: DetectorTrainingConfig) -> float:
    """Linear warm-up, then cosine decay to a tenth."""
    if step < training.warmup_steps:
        return training.learning_rate * (step + 1) / training.warmup_steps
    progress = (step - training.warmup_steps) / max(1, training.steps - training.warmup_steps)
    return training.learning_rate * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))


def build_detector(config: DetectorConfig, seed: int) -> EventDetector:
    """A freshly initialised detector whose weights depend only on ``seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return EventDetector(config)


def train_detector(
    train: FrameDataset,
    config: DetectorConfig,
    training: DetectorTrainingConfig,
    validation: FrameDataset | None = None,
    device: torch.device | str = "cpu",
    progress: bool = True,
) -> DetectorTrainingResult:
    """Train a detector from scratch on ``train``; score it on ``validation`` if given."""
    started = time.perf_counter()
    detector = build_detector(config, training.seed).to(device)
    optimizer = torch.optim.AdamW(
        detector.parameters(), lr=training.learning_rate, weight_decay=training.weight_decay
    )
    generator = torch.Generator().manual_seed(training.seed)
    num_samples = (train.log_mel.shape[-1] - 1) * config.hop_length  # mel frames are centred
    noise = noise_bank(config, num_samples, seed=training.seed)
    losses = []
    detector.train()
    bar = tqdm(range(training.steps), desc="detector", unit="step", disable=not progress)
    for step in bar:
        index = torch.randint(len(train), (training.batch_size,), generator=generator)
        log_mel = augment(train.log_mel[index], noise, training, generator)
        output = detector.forward_features(log_mel.to(device))
        loss = F.binary_cross_entropy_with_logits(
            output.frame_logits, train.targets[index].to(device)
        )
        for group in optimizer.param_groups:
            group["lr"] = _learning_rate(step, training)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(detector.parameters(), 5.0)
        optimizer.step()
        losses.append(loss.item())
        bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
    detector.eval()
    report = evaluate_features(detector, validation) if validation is not None else None
    return DetectorTrainingResult(detector, tuple(losses), report, time.perf_counter() - started)


@torch.inference_mode()
def evaluate_features(
    detector: EventDetector, dataset: FrameDataset, settings: DetectionSettings | None = None
) -> EvaluationReport:
    """Score ``detector`` on cached features against the dataset's captions."""
    settings = settings or DetectionSettings()
    detector.eval()
    device = next(detector.parameters()).device
    detections = []
    for start in range(0, len(dataset), settings.batch_size):
        output = detector.forward_features(
            dataset.log_mel[start : start + settings.batch_size].to(device)
        )
        detections.extend(detections_from_output(output, detector.config, settings))
    return score_detections(detections, dataset.captions, detector.config.class_names)
