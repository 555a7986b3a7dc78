"""Checks of a request against the file system and the model's limits (not pure: they look at
files). Each raises ProtocolError with the code the reply carries."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from semanticaudio.bridge.audio_io import AudioError, AudioInfo, probe
from semanticaudio.bridge.protocol import EditRequest, ErrorCode, GenerateRequest, ProtocolError

REGION_TOLERANCE_S = 0.001  # a region may end this far past the file's end (DAW rounding)


@dataclass(frozen=True)
class Limits:
    """Bounds on what a job may ask for; the daemon fills them from the loaded pipeline."""

    min_duration_s: float = 0.5
    max_duration_s: float = 30.0
    max_preview_s: float = 600.0


def check_out_dir(text: str) -> Path:
    """`out_dir` must be an existing, writable, absolute directory."""
    path = Path(text)
    if not path.is_absolute():
        raise ProtocolError(ErrorCode.BAD_PATH, f"out_dir must be an absolute path, got {text!r}")
    if not path.is_dir():
        what = "does not exist" if not path.exists() else "is not a directory"
        raise ProtocolError(ErrorCode.BAD_PATH, f"out_dir {text!r} {what}; create it first")
    if not os.access(path, os.W_OK | os.X_OK):
        raise ProtocolError(ErrorCode.BAD_PATH, f"out_dir {text!r} is not writable by sa-engine")
    return path


def check_audio_file(text: str, name: str = "in_path") -> AudioInfo:
    """`text` must be the absolute path of a readable audio file; returns its header."""
    path = Path(text)
    if not path.is_absolute():
        raise ProtocolError(ErrorCode.BAD_PATH, f"{name} must be an absolute path, got {text!r}")
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise ProtocolError(ErrorCode.BAD_PATH, f"{name} {text!r} {what}; expected an audio file")
    if not os.access(path, os.R_OK):
        raise ProtocolError(ErrorCode.BAD_PATH, f"{name} {text!r} is not readable by sa-engine")
    try:
        return probe(path)
    except AudioError as exc:
        raise ProtocolError(ErrorCode.BAD_AUDIO, str(exc)) from None


def check_duration(duration_s: float, limits: Limits, what: str = "duration_s") -> None:
    """The model renders between limits.min_duration_s and limits.max_duration_s seconds."""
    if duration_s > limits.max_duration_s:
        raise ProtocolError(
            ErrorCode.TOO_LONG,
            f"{what}={duration_s:g} s is longer than the model accepts; "
            f"accepted: {limits.min_duration_s:g} to {limits.max_duration_s:g} s",
        )
    if duration_s < limits.min_duration_s:
        code = ErrorCode.BAD_REGION if what == "length_s" else ErrorCode.BAD_REQUEST
        raise ProtocolError(
            code,
            f"{what}={duration_s:g} s is shorter than the model accepts; "
            f"accepted: {limits.min_duration_s:g} to {limits.max_duration_s:g} s",
        )


def check_region(info: AudioInfo, start_s: float, length_s: float) -> None:
    """[start_s, start_s + length_s) must lie inside the file."""
    end_s = start_s + length_s
    if start_s >= info.duration_s or end_s > info.duration_s + REGION_TOLERANCE_S:
        raise ProtocolError(
            ErrorCode.BAD_REGION,
            f"region {start_s:g}..{end_s:g} s is not inside {info.path.name}, which lasts "
            f"{info.duration_s:.3f} s",
        )


def check_generate(request: GenerateRequest, limits: Limits) -> None:
    """Everything about a /sa/generate that needs the file system or the model's limits."""
    check_duration(request.duration_s, limits)
    check_out_dir(request.out_dir)


def check_edit(request: EditRequest, limits: Limits) -> AudioInfo:
    """Everything about a /sa/edit that needs the file system or the model's limits."""
    check_out_dir(request.out_dir)
    info = check_audio_file(request.in_path)
    check_duration(request.length_s, limits, what="length_s")
    check_region(info, request.start_s, request.length_s)
    return info
