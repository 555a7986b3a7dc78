"""The independent evaluator: a frame-level sound-event detector (a small CRNN on log-mel frames).

Deliberately another architecture than the semantic encoder (a transformer): convolutions over
the log-mel image, then a bidirectional GRU over time, then per-frame class logits. It is trained
on the corpus's ground-truth timelines (``detector_training.py``) with its own seed and corpus.

A detector is saved as a folder: ``config.json`` (this module's :class:`DetectorConfig`) and
``model.safetensors`` (the state dict, batch-norm statistics included).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torchaudio
from semanticaudio.engine.corpus import CLASS_NAMES
from semanticaudio.engine.features.files import load_safetensors, save_safetensors_atomic
from torch import nn

DETECTOR_KIND = "event-detector"
DETECTOR_FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


@dataclass(frozen=True)
class DetectorConfig:
    """Sizes of the detector. Defaults: 48 log-mel bins at 25 frames/s in and out (the semantic
    latent's frame rate); about 160k parameters, ~0.16 s per batch-16 training step on one core."""

    class_names: tuple[str, ...] = CLASS_NAMES
    sample_rate_hz: int = 16000
    n_fft: int = 1024
    hop_length: int = 640
    n_mels: int = 48
    channels: tuple[int, ...] = (16, 32, 48)
    time_pool: int = 1  # time pooling in the first conv block (1 = none)
    gru_hidden: int = 64

    def __post_init__(self) -> None:
        if self.n_mels % (2 ** len(self.channels)) != 0:
            raise ValueError(
                f"n_mels must be divisible by 2^{len(self.channels)} (one halving per conv "
                f"block), got n_mels={self.n_mels}"
            )
        if len(self.class_names) < 1:
            raise ValueError("a detector needs at least one class")

    @property
    def frame_rate_hz(self) -> float:
        """Rate of the output frames (after time pooling)."""
        return self.sample_rate_hz / self.hop_length / self.time_pool

    def frame_times_s(self, num_frames: int) -> torch.Tensor:
        """Centre time in seconds of each output frame, shape (num_frames,).

        Output frame k pools mel frames k·time_pool … k·time_pool + time_pool − 1, and mel frame
        j is centred on sample j·hop_length (torchaudio's ``center=True``).
        """
        mel_index = torch.arange(num_frames) * self.time_pool + (self.time_pool - 1) / 2
        return mel_index * self.hop_length / self.sample_rate_hz

    @property
    def embedding_dim(self) -> int:
        return 2 * self.gru_hidden

    def to_json(self) -> dict:
        return {"kind": DETECTOR_KIND, "format_version": DETECTOR_FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict) -> DetectorConfig:
        if data.get("kind") != DETECTOR_KIND:
            raise ValueError(f"config kind must be {DETECTOR_KIND!r}, got {data.get('kind')!r}")
        if data.get("format_version") != DETECTOR_FORMAT_VERSION:
            raise ValueError(
                f"detector format_version {data.get('format_version')!r} is not supported; "
                f"this code reads version {DETECTOR_FORMAT_VERSION}"
            )
        fields = {k: v for k, v in data.items() if k not in ("kind", "format_version")}
        fields["class_names"] = tuple(fields["class_names"])
        fields["channels"] = tuple(fields["channels"])
        return cls(**fields)


@dataclass(frozen=True)
class DetectorOutput:
    """frame_logits: (B, T, num_classes) at ``frame_rate_hz``; embedding: (B, embedding_dim)."""

    frame_logits: torch.Tensor
    embedding: torch.Tensor = field(repr=False)


class LogMel(nn.Module):
    """Waveform (B, num_samples) → log-mel power (B, n_mels, num_frames)."""

    def __init__(self, config: DetectorConfig) -> None:
        super().__init__()
        self.mel = torchaudio.transforms.MelSpectrogram(
            sample_rate=config.sample_rate_hz,
            n_fft=config.n_fft,
            hop_length=config.hop_length,
            n_mels=config.n_mels,
            f_min=20.0,
        )

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return torch.log(self.mel(waveform) + 1e-8)


def _conv_block(in_channels: int, out_channels: int, time_pool: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
        nn.MaxPool2d(kernel_size=(2, time_pool)),  # (mel, time)
    )


class EventDetector(nn.Module):
    """CRNN sound-event detector; see the module docstring."""

    def __init__(self, config: DetectorConfig) -> None:
        super().__init__()
        self.config = config
        self.features = LogMel(config)
        self.input_norm = nn.BatchNorm1d(config.n_mels)  # per-mel-bin standardisation
        widths = (1, *config.channels)
        self.convs = nn.Sequential(
            *(
                _conv_block(widths[k], widths[k + 1], config.time_pool if k == 0 else 1)
                for k in range(len(config.channels))
            )
        )
        conv_dim = config.channels[-1] * (config.n_mels // 2 ** len(config.channels))
        self.gru = nn.GRU(conv_dim, config.gru_hidden, batch_first=True, bidirectional=True)
        self.classifier = nn.Linear(2 * config.gru_hidden, len(config.class_names))

    def forward_features(self, log_mel: torch.Tensor) -> DetectorOutput:
        """log_mel (B, n_mels, num_frames) → per-frame logits and a clip embedding."""
        x = self.input_norm(log_mel).unsqueeze(1)  # (B, 1, n_mels, frames)
        x = self.convs(x)  # (B, C, n_mels / 2^k, frames / time_pool)
        x = x.flatten(1, 2).transpose(1, 2)  # (B, T, C · mel)
        hidden, _ = self.gru(x)  # (B, T, 2 · gru_hidden)
        return DetectorOutput(self.classifier(hidden), hidden.mean(dim=1))

    def forward(self, waveform: torch.Tensor) -> DetectorOutput:
        """waveform (B, num_samples) at ``config.sample_rate_hz`` → :class:`DetectorOutput`."""
        if waveform.dim() != 2:
            raise ValueError(
                f"waveform must be (batch, samples), got shape {tuple(waveform.shape)}"
            )
        return self.forward_features(self.features(waveform))

    def prepare(self, waveform: torch.Tensor, sample_rate_hz: int) -> torch.Tensor:
        """(B, num_samples) at ``sample_rate_hz`` → float32 at the detector's own rate."""
        waveform = waveform.float()
        if sample_rate_hz != self.config.sample_rate_hz:
            waveform = torchaudio.functional.resample(
                waveform, sample_rate_hz, self.config.sample_rate_hz
            )
        return waveform


def default_detector_dir() -> Path:
    """Where the project's trained detector is shipped: ``engine/assets/evaluator``."""
    return Path(__file__).resolve().parent.parent / "assets" / "evaluator"


def save_detector(detector: EventDetector, folder: Path | str) -> Path:
    """Write ``config.json`` and ``model.safetensors`` into ``folder``; returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CONFIG_FILE).write_text(json.dumps(detector.config.to_json(), indent=2) + "\n")
    save_safetensors_atomic(folder / WEIGHTS_FILE, detector.state_dict(),
                            metadata={"kind": DETECTOR_KIND})
    return folder


def load_detector(
    folder: Path | str | None = None, device: torch.device | str = "cpu"
) -> EventDetector:
    """Load a detector folder written by :func:`save_detector` (default: the shipped one), in
    eval mode."""
    folder = default_detector_dir() if folder is None else Path(folder)
    missing = [name for name in (CONFIG_FILE, WEIGHTS_FILE) if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"detector folder {folder} lacks {', '.join(missing)}; a detector folder holds "
            f"{CONFIG_FILE} and {WEIGHTS_FILE} (train one with `sa detector train`)"
        )
    config = DetectorConfig.from_json(json.loads((folder / CONFIG_FILE).read_text()))
    detector = EventDetector(config)
    state = load_safetensors(folder / WEIGHTS_FILE)
    try:
        detector.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise ValueError(f"{folder / WEIGHTS_FILE} does not match {CONFIG_FILE}: {error}") from None
    return detector.to(device).eval()
