"""Corpus clips held in memory for the component trainers: waveforms, captions and timelines.

Waveforms are kept as 16-bit integers (half the memory of float32) and turned into float
batches on demand; frame-level event targets follow the ground-truth timelines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from semanticaudio.engine.corpus import ClipSpec, read_timelines

PCM16_SCALE = 32768.0


@dataclass(frozen=True)
class ClipBank:
    """pcm: (N, num_samples) int16 at ``sample_rate_hz``; one caption and spec per clip."""

    pcm: torch.Tensor
    sample_rate_hz: int
    captions: tuple[str, ...]
    specs: tuple[ClipSpec, ...]

    def __len__(self) -> int:
        return self.pcm.shape[0]

    @property
    def num_samples(self) -> int:
        return self.pcm.shape[1]

    def waveforms(self, indices: torch.Tensor) -> torch.Tensor:
        """(B,) clip indices → (B, num_samples) float32 in [-1, 1]."""
        return self.pcm[indices].float() / PCM16_SCALE

    def random_crops(
        self, batch_size: int, num_samples: int, generator: torch.Generator
    ) -> torch.Tensor:
        """``batch_size`` random crops of ``num_samples`` from random clips → (B, num_samples)."""
        if not 0 < num_samples <= self.num_samples:
            raise ValueError(
                f"crop length must be in 1..{self.num_samples} samples, got {num_samples}"
            )
        clips = torch.randint(len(self), (batch_size,), generator=generator)
        starts = torch.randint(self.num_samples - num_samples + 1, (batch_size,),
                               generator=generator)
        rows = [self.pcm[c, s : s + num_samples] for c, s in zip(clips, starts, strict=True)]
        return torch.stack(rows).float() / PCM16_SCALE

    def sounding_crops(
        self, batch_size: int, num_samples: int, generator: torch.Generator,
        min_rms: float = 1e-3,
    ) -> torch.Tensor:
        """Like ``random_crops``, but crops where something sounds come first: twice as many
        are drawn and silent ones (RMS ≤ ``min_rms``) are kept only to fill the batch.
        Corpus clips are digitally silent between events; a codec fed mostly silence learns
        to output silence."""
        candidates = self.random_crops(2 * batch_size, num_samples, generator)
        silent = candidates.pow(2).mean(dim=1).sqrt() <= min_rms
        order = torch.argsort(silent.to(torch.int8), stable=True)  # sounding crops first
        return candidates[order[:batch_size]]


def load_clip_bank(timelines: Path | str, max_clips: int | None = None) -> ClipBank:
    """Read a corpus split's ``*_timelines.jsonl`` and its audio (mono, one rate, one length)."""
    import soundfile

    records = read_timelines(timelines)[:max_clips]
    if not records:
        raise ValueError(f"{timelines} holds no clips")
    rows, rates = [], set()
    for record in records:
        data, rate = soundfile.read(record.audio_path, dtype="int16", always_2d=True)
        rows.append(data[:, 0])
        rates.add(rate)
    lengths = {len(row) for row in rows}
    if len(rates) != 1 or len(lengths) != 1:
        raise ValueError(
            f"{timelines}: clips must share one sample rate and one length, got rates "
            f"{sorted(rates)} and lengths {sorted(lengths)} samples"
        )
    pcm = torch.from_numpy(np.stack(rows))
    return ClipBank(pcm, rates.pop(), tuple(r.caption for r in records),
                    tuple(r.spec for r in records))


def frame_activity(spec: ClipSpec, num_frames: int, frame_rate_hz: float) -> list[list[int]]:
    """For each frame, the indices of ``spec.events`` that sound in it (frame f spans
    [f / rate, (f + 1) / rate) seconds)."""
    active: list[list[int]] = [[] for _ in range(num_frames)]
    for index, event in enumerate(spec.events):
        first = int(np.floor(event.onset_s * frame_rate_hz))
        last = int(np.ceil(event.offset_s * frame_rate_hz))
        for frame in range(max(first, 0), min(last, num_frames)):
            active[frame].append(index)
    return active
