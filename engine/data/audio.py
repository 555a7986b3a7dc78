"""Read manifest clips as fixed-length mono waveforms.

The paper standardises every clip to 10 s at 48 kHz "via silence padding or truncation"
(section 4.1): a clip is read from its offset, mixed to mono, resampled, then cut or padded with
zeros at the end. The number of real samples is kept so that training can mask the padding.

A file that cannot be decoded is not fatal: ``read_clips`` reports it and moves on, counting it
in a ``SkipLog``, so that one broken file never stops a long job.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import torch
from semanticaudio.engine.data.manifest import ManifestEntry

PAPER_CLIP_SECONDS = 10.0  # paper, section 4.1
PAPER_SAMPLE_RATE_HZ = 48_000  # DAC-VAE's rate


@dataclass(frozen=True)
class ClipSettings:
    """How long every clip is and at which rate it is read."""

    clip_seconds: float = PAPER_CLIP_SECONDS
    sample_rate_hz: int = PAPER_SAMPLE_RATE_HZ

    def __post_init__(self) -> None:
        if not (math.isfinite(self.clip_seconds) and self.clip_seconds > 0):
            raise ValueError(f"clip_seconds must be a positive number, got {self.clip_seconds}")
        if self.sample_rate_hz <= 0:
            raise ValueError(f"sample_rate_hz must be positive, got {self.sample_rate_hz}")

    @property
    def num_samples(self) -> int:
        return round(self.clip_seconds * self.sample_rate_hz)


@dataclass(frozen=True)
class Clip:
    """waveform: (num_samples,) float32 mono, zero-padded after ``num_valid_samples``."""

    waveform: torch.Tensor
    num_valid_samples: int


class UnreadableAudioError(Exception):
    """The audio of one manifest entry cannot be used; the message says why."""


@dataclass(frozen=True)
class SkippedClip:
    audio: str
    line_number: int
    reason: str


@dataclass
class SkipLog:
    """Entries that were skipped, with the reason; reported as they happen (on stderr)."""

    skipped: list[SkippedClip] = field(default_factory=list)
    report: bool = True

    def add(self, entry: ManifestEntry, reason: str) -> None:
        self.skipped.append(SkippedClip(entry.audio, entry.line_number, reason))
        if self.report:
            print(f"skipped {entry.audio} (line {entry.line_number}): {reason}", file=sys.stderr)

    @property
    def count(self) -> int:
        return len(self.skipped)


def load_clip(entry: ManifestEntry, settings: ClipSettings) -> Clip:
    """Read ``entry`` as a (settings.num_samples,) mono clip. Raises UnreadableAudioError."""
    waveform, rate = _read_span(entry, settings.clip_seconds)
    if rate != settings.sample_rate_hz:
        import torchaudio.functional as AF

        waveform = AF.resample(waveform, rate, settings.sample_rate_hz)
    if not torch.isfinite(waveform).all():
        raise UnreadableAudioError("the audio holds NaN or infinite samples")
    valid = min(waveform.shape[0], settings.num_samples)
    clip = torch.zeros(settings.num_samples)
    clip[:valid] = waveform[:valid]
    return Clip(clip, valid)


def read_clips(
    entries: Iterable[ManifestEntry], settings: ClipSettings, skips: SkipLog
) -> Iterator[tuple[ManifestEntry, Clip]]:
    """The readable clips of ``entries``; the others are added to ``skips``."""
    for entry in entries:
        try:
            yield entry, load_clip(entry, settings)
        except UnreadableAudioError as error:
            skips.add(entry, str(error))


def _read_span(entry: ManifestEntry, clip_seconds: float) -> tuple[torch.Tensor, int]:
    """The entry's span (at most ``clip_seconds``) as (num_samples,) float32 at the file's rate."""
    import soundfile

    if not entry.audio_path.is_file():
        raise UnreadableAudioError(f"no such file {entry.audio_path}")
    try:
        with soundfile.SoundFile(str(entry.audio_path)) as audio:
            rate = audio.samplerate
            start = round(entry.offset_s * rate)
            if start >= audio.frames:
                raise UnreadableAudioError(
                    f"offset_s {entry.offset_s} is past the end of the file "
                    f"({audio.frames / rate:.3f} s)"
                )
            seconds = clip_seconds if entry.duration_s is None else min(
                clip_seconds, entry.duration_s
            )
            audio.seek(start)
            data = audio.read(frames=math.ceil(seconds * rate), dtype="float32", always_2d=True)
    except (RuntimeError, OSError, ValueError) as error:  # soundfile.LibsndfileError included
        raise UnreadableAudioError(f"cannot decode {entry.audio_path}: {error}") from None
    if data.shape[0] == 0:
        raise UnreadableAudioError("the selected span holds no samples")
    return torch.from_numpy(data).mean(dim=1), rate  # channels mixed to mono
