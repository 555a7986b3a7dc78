"""Checks of a request against the file system and the model's limits (not pure: they look at
files). Each raises ProtocolError with the code the reply carries."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from semanticaudio.bridge.audio_io import AudioError, AudioInfo, frames_for, probe
from semanticaudio.bridge.output import check_writable, file_kind
from semanticaudio.bridge.protocol import EditRequest, ErrorCode, GenerateRequest, ProtocolError
from semanticaudio.engine.config import FlowEditConfig
from semanticaudio.engine.fsutil import os_reason
from semanticaudio.engine.limits import MAX_DURATION_S, MIN_DURATION_S

REGION_TOLERANCE_S = 0.001  # a region may end this far past the file's end (DAW rounding)
# A job's output, counted as frames × channels × variations: 30 s of 8 stereo variations at
# 96 kHz (46 M) fits. Measured on the CPU daemon, output costs about 8 bytes a sample while it is
# rendered (245 M samples: +1.9 GB), so 50 M stays under the model's own peak for 8 × 30 s
# (+1.3 GB; that job at 96 kHz stereo peaked no higher than at the model's rate).
MAX_OUTPUT_SAMPLES = 50_000_000
SHOWN_PATH_CHARS = 160  # a path quoted in an error message is cut here


@dataclass(frozen=True)
class Limits:
    """Bounds on what a job may ask for; the daemon fills them from the loaded pipeline."""

    min_duration_s: float = MIN_DURATION_S
    max_duration_s: float = MAX_DURATION_S
    max_preview_s: float = 600.0
    # The loaded model's FlowEdit settings (engine.config.FlowEditConfig), which an edit
    # template's left-out keys take (job_settings.resolve_edit); None: the engine's defaults.
    flowedit: FlowEditConfig | None = None


def _shown(text: str) -> str:
    """`text` quoted for a message, its middle cut when it is very long."""
    if len(text) <= SHOWN_PATH_CHARS:
        return repr(text)
    half = SHOWN_PATH_CHARS // 2
    return repr(f"{text[:half]}…{text[-half:]}") + f" ({len(text)} characters)"


def _stat(text: str, name: str) -> os.stat_result | None:
    """os.stat of the path exactly as sent (a trailing "/" included); None when nothing is
    there; any other failure (a name too long, a link loop) is bad_path with the reason."""
    try:
        return os.stat(text)  # noqa: PTH116 - Path(text) would drop a trailing "/" or "/."
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ProtocolError(
            ErrorCode.BAD_PATH, f"{name} {_shown(text)} cannot be used: {os_reason(exc)}"
        ) from None


def _missing(text: str) -> str:
    """Why nothing is at `text`: nothing at all, or a symbolic link to nothing."""
    if Path(text).is_symlink():
        return f"is a symbolic link to {_shown(str(Path(text).readlink()))}, which does not exist"
    return "does not exist"


def check_out_dir(text: str) -> Path:
    """`out_dir` must be an existing, absolute directory in which sa-engine can create files
    (tried for real: a file is created and removed, so a read-only or virtual file system such
    as /proc is refused before the model runs)."""
    path = Path(text)
    if not path.is_absolute():
        raise ProtocolError(ErrorCode.BAD_PATH, f"out_dir must be an absolute path, got {text!r}")
    found = _stat(text, "out_dir")
    if found is None:
        raise ProtocolError(
            ErrorCode.BAD_PATH, f"out_dir {_shown(text)} {_missing(text)}; create it first"
        )
    if not stat.S_ISDIR(found.st_mode):
        raise ProtocolError(
            ErrorCode.BAD_PATH,
            f"out_dir {_shown(text)} is {file_kind(found.st_mode)}, not a directory; expected "
            "an existing directory to write into",
        )
    try:
        check_writable(path)
    except OSError as exc:
        raise ProtocolError(
            ErrorCode.BAD_PATH,
            f"out_dir {_shown(text)} does not accept new files (creating one failed: "
            f"{os_reason(exc)}); expected a directory sa-engine can write into",
        ) from None
    return path


def check_audio_file(text: str, name: str = "in_path") -> AudioInfo:
    """`text` must be the absolute path of a readable audio file; returns its header."""
    path = Path(text)
    if not path.is_absolute():
        raise ProtocolError(ErrorCode.BAD_PATH, f"{name} must be an absolute path, got {text!r}")
    if text.endswith(os.sep):
        raise ProtocolError(
            ErrorCode.BAD_PATH,
            f"{name} {_shown(text)} ends with {os.sep!r}, so it names a directory; expected an "
            f"audio file (without the trailing {os.sep!r})",
        )
    found = _stat(text, name)
    if found is None:
        raise ProtocolError(
            ErrorCode.BAD_PATH, f"{name} {_shown(text)} {_missing(text)}; expected an audio file"
        )
    if not stat.S_ISREG(found.st_mode):
        raise ProtocolError(
            ErrorCode.BAD_PATH,
            f"{name} {_shown(text)} is {file_kind(found.st_mode)}; expected an audio file",
        )
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


def check_output_size(
    duration_s: float, sample_rate_hz: int, channels: int, variations: int, tail_s: float = 0.0
) -> None:
    """A job writes at most MAX_OUTPUT_SAMPLES samples (frames × channels × variations); a
    generated take may be followed by up to `tail_s` seconds of its effects' tail."""
    frames = frames_for(duration_s + tail_s, sample_rate_hz)
    total = frames * channels * variations
    if total > MAX_OUTPUT_SAMPLES:
        seconds = f"{duration_s:g} s" + (
            f" and up to {tail_s:g} s of the effects' tail" if tail_s > 0 else "")
        raise ProtocolError(
            ErrorCode.TOO_LONG,
            f"this job would render {total:,} samples ({variations} variations × {channels} "
            f"channels × {frames:,} frames: {seconds} at {sample_rate_hz} Hz); a job may "
            f"render at most {MAX_OUTPUT_SAMPLES:,}: ask for fewer variations or channels, a "
            "lower sample_rate or a shorter duration",
        )


FLOWEDIT_KEYS = ("num_steps", "n_max", "n_min", "n_avg", "source_guidance", "target_guidance")


def check_flowedit(sampler: dict[str, Any], defaults: FlowEditConfig) -> None:
    """The FlowEdit settings an edit will run with (the checkpoint's defaults with what the
    request or its preset sets, merged as the engine merges them) must be valid. Raises
    bad_option."""
    overrides = {key: sampler.get(key) for key in FLOWEDIT_KEYS}
    try:
        defaults.with_overrides(**overrides)
    except ValueError as error:
        given = ", ".join(f"{key}={value}" for key, value in overrides.items()
                          if value is not None) or "nothing"
        raise ProtocolError(
            ErrorCode.BAD_OPTION,
            f"this edit's FlowEdit settings cannot run: {error} (the model's defaults: "
            f"num_steps={defaults.num_steps}, n_max={defaults.n_max}, n_min={defaults.n_min}; "
            f"this edit sets {given}); set n_min and n_max together, 0 <= n_min <= n_max <= "
            "steps",
        ) from None


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
