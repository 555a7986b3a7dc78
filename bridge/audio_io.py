"""Audio in and out with pedalboard: read a region, mix down, resample, splice, level, write.

Arrays are float32 `(channels, frames)` unless a docstring says `(frames,)`. Nothing here knows
about OSC; errors are `AudioError` with a teaching message, mapped to protocol codes by the caller.
"""

from __future__ import annotations

import errno
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
from pedalboard.io import AudioFile, StreamResampler

READ_SUFFIXES = (".wav", ".aif", ".aiff", ".flac", ".mp3", ".ogg")
PEAK_CEILING = 10 ** (-0.1 / 20)  # −0.1 dBFS: where an output that would clip is scaled to
MAX_MATCH_GAIN_DB = 20.0  # loudness matching never boosts or cuts by more than this
CROSSFADE_S = 0.010  # splice fades at the edges of a region edit (10 ms, inaudible as a click)
# pedalboard's file_dtype → 2**(bits - 1), the integer that stands for full scale (8-bit WAV is
# unsigned on disk; pedalboard reports it as int8)
INTEGER_FULL_SCALE = {"int8": 2**7, "int16": 2**15, "int24": 2**23}


class AudioError(ValueError):
    """A file that cannot be read or a region that does not fit it; `kind` is "path",
    "audio" or "region"."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class AudioInfo:
    """What the header says: rate, channels and length of a file."""

    path: Path
    sample_rate_hz: int
    num_channels: int
    num_frames: int

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.sample_rate_hz


@dataclass(frozen=True)
class Audio:
    """Samples `(channels, frames)` float32 at `sample_rate_hz`."""

    samples: np.ndarray
    sample_rate_hz: int

    @property
    def num_frames(self) -> int:
        return int(self.samples.shape[1])


def probe(path: Path) -> AudioInfo:
    """Read the header of an audio file. Raises AudioError("audio") if it cannot be decoded."""
    try:
        if _read_with_soundfile(path):
            info = soundfile.info(str(path))
            return AudioInfo(path, int(info.samplerate), int(info.channels), int(info.frames))
        with AudioFile(str(path)) as f:
            return AudioInfo(path, round(f.samplerate), int(f.num_channels), int(f.frames))
    except (ValueError, RuntimeError, OSError) as exc:
        raise AudioError(
            "audio",
            f"{path} cannot be read as audio ({exc}); accepted: {', '.join(READ_SUFFIXES)}",
        ) from None


def frames_for(duration_s: float, sample_rate_hz: int) -> int:
    """The number of frames of `duration_s` seconds at `sample_rate_hz` (rounded)."""
    return round(duration_s * sample_rate_hz)


def frames_covering(duration_s: float, sample_rate_hz: int) -> int:
    """The fewest frames that last at least `duration_s` at `sample_rate_hz` (rounded up)."""
    return math.ceil(duration_s * sample_rate_hz)


def read_region(info: AudioInfo, start_s: float, length_s: float) -> Audio:
    """Read [start_s, start_s + length_s) of the file; a few frames short of the end (an MP3's
    estimated length) are padded with silence. Returns `(channels, frames)`."""
    start = frames_for(start_s, info.sample_rate_hz)
    num_frames = frames_for(length_s, info.sample_rate_hz)
    try:
        if _read_with_soundfile(info.path):
            with soundfile.SoundFile(str(info.path)) as f:
                f.seek(min(start, f.frames))
                samples = f.read(num_frames, dtype="float32", always_2d=True).T  # (ch, frames)
        else:
            with AudioFile(str(info.path)) as f:
                f.seek(min(start, f.frames))
                samples = _as_daws_read(np.asarray(f.read(num_frames), np.float32), f.file_dtype)
    except (ValueError, RuntimeError, OSError, soundfile.LibsndfileError) as exc:
        raise AudioError("audio", f"{info.path} could not be decoded ({exc})") from None
    if samples.shape[1] < num_frames:
        pad = np.zeros((samples.shape[0], num_frames - samples.shape[1]), np.float32)
        samples = np.concatenate([samples, pad], axis=1)
    return Audio(samples, info.sample_rate_hz)


def _read_with_soundfile(path: Path) -> bool:
    """MP3 is read with soundfile (libsndfile's mpg123): pedalboard keeps the encoder's delay
    and padding (1105 frames more at the start of a LAME file at 44.1 kHz: 25 ms late against the
    DAW's timeline and `sa edit`), which libsndfile removes, as DAWs do."""
    return Path(path).suffix.lower() == ".mp3"


def _as_daws_read(samples: np.ndarray, file_dtype: str) -> np.ndarray:
    """`(channels, frames)` integer samples as DAWs and soundfile read them: k / 2**(bits - 1).

    pedalboard divides by 2**(bits - 1) - 1 instead, so a 16-bit file would come back 0.0003 dB
    louder, no sample its own, and -32768 as -1.00003: a peak over full scale that the clipping
    guard answers by turning the whole edit down. Rounding to pedalboard's integer grid and
    dividing again gives the exact value (checked for every 8-, 16- and 24-bit sample)."""
    full_scale = INTEGER_FULL_SCALE.get(file_dtype)
    if full_scale is None:  # float files, MP3, OGG; 32-bit integers read alike in float32
        return samples
    for channel in samples:  # in place, a channel at a time: float64 for one channel only
        channel[:] = np.round(channel.astype(np.float64) * (full_scale - 1)) / full_scale
    return samples


def mixdown(samples: np.ndarray) -> np.ndarray:
    """`(channels, frames)` → `(frames,)`: the mean of the channels (the model hears mono)."""
    return samples.mean(axis=0, dtype=np.float32)


def resample(samples: np.ndarray, from_hz: int, to_hz: int) -> np.ndarray:
    """Resample `(channels, frames)` with pedalboard's windowed-sinc resampler.

    Returns `(channels, round(frames * to_hz / from_hz))`: the resampler's delay is compensated
    by pedalboard; the last frame or two are padded or cut so lengths are exact.
    """
    if from_hz == to_hz:
        return samples.astype(np.float32, copy=False)
    want = round(samples.shape[1] * to_hz / from_hz)
    resampler = StreamResampler(float(from_hz), float(to_hz), samples.shape[0])
    data = np.ascontiguousarray(samples, dtype=np.float32)
    out = np.concatenate([resampler.process(data), resampler.process()], axis=1)
    return fit_length(out, want)


def fit_length(samples: np.ndarray, num_frames: int) -> np.ndarray:
    """Cut or zero-pad `(channels, frames)` to exactly `num_frames`."""
    if samples.shape[1] >= num_frames:
        return samples[:, :num_frames]
    pad = np.zeros((samples.shape[0], num_frames - samples.shape[1]), samples.dtype)
    return np.concatenate([samples, pad], axis=1)


def to_channels(mono: np.ndarray, num_channels: int) -> np.ndarray:
    """`(frames,)` → `(num_channels, frames)`: the model's mono output in every channel."""
    return np.repeat(mono[None, :].astype(np.float32), num_channels, axis=0)


def splice(source: np.ndarray, edited: np.ndarray, start: int, end: int, fade: int) -> np.ndarray:
    """Keep `source` outside frames [start, end) and `edited` inside, with linear crossfades
    of `fade` frames just inside each edge. Both `(channels, frames)` of equal shape."""
    frames = source.shape[1]
    weight = np.zeros(frames, np.float32)  # 1 where the edit is heard
    weight[start:end] = 1.0
    fade = max(0, min(fade, (end - start) // 2))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade + 2, dtype=np.float32)[1:-1]
        if start > 0:
            weight[start : start + fade] = ramp
        if end < frames:
            weight[end - fade : end] = ramp[::-1]
    return source * (1.0 - weight) + edited * weight


def rms(samples: np.ndarray) -> float:
    """Root-mean-square level over all channels and frames (linear)."""
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0


def loudness_gain(edited: np.ndarray, reference: np.ndarray) -> float:
    """The linear gain that gives `edited` the RMS level of `reference`, clamped to
    ±MAX_MATCH_GAIN_DB; 1.0 when either is silent (nothing to match)."""
    level_edited, level_reference = rms(edited), rms(reference)
    if level_edited < 1e-7 or level_reference < 1e-7:
        return 1.0
    limit = 10 ** (MAX_MATCH_GAIN_DB / 20)
    return float(min(max(level_reference / level_edited, 1 / limit), limit))


def prevent_clipping(samples: np.ndarray) -> tuple[np.ndarray, float]:
    """Scale the whole signal down to a −0.1 dBFS peak only when it would clip (peak > 1.0);
    otherwise return it unchanged. Returns (samples, gain applied)."""
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if not math.isfinite(peak):
        raise AudioError("audio", "the rendered audio contains NaN or infinite samples")
    if peak <= 1.0:
        return samples, 1.0
    gain = PEAK_CEILING / peak
    return (samples * gain).astype(np.float32), gain


def write_wav(path: Path, audio: Audio, bit_depth: int) -> None:
    """Write a WAV file: 16/24-bit integer PCM or (32) IEEE float. OSError when the write
    fails (a full disk: ENOSPC)."""
    if bit_depth not in (16, 24, 32):
        raise ValueError(f"bit_depth must be 16, 24 or 32, got {bit_depth}")
    samples = np.ascontiguousarray(audio.samples, dtype=np.float32)
    if path.suffix.lower() != ".wav":
        raise ValueError(f"write_wav writes .wav files, got {path.name}")
    num_channels = samples.shape[0]
    try:
        with AudioFile(str(path), "w", audio.sample_rate_hz, num_channels,
                       bit_depth=bit_depth) as f:
            f.write(samples)
    except RuntimeError as exc:  # pedalboard's failed write(2) carries no errno
        raise _write_error(path, samples.size * bit_depth // 8, exc) from None


def _write_error(path: Path, num_bytes: int, exc: RuntimeError) -> OSError:
    """The OSError for a write pedalboard could not finish: ENOSPC when the disk has no room
    left for the file's `num_bytes`, else EIO with pedalboard's words."""
    try:
        full = shutil.disk_usage(path.parent).free < num_bytes
    except OSError:
        full = False
    if full:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    return OSError(errno.EIO, f"writing the audio failed ({exc})", str(path))
