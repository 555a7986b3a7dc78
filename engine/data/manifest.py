"""JSONL manifests: one training clip per line.

Each line is a JSON object::

    {"audio": "audio/train/clip_000001.wav", "caption": "a dog barks twice",
     "offset_s": 0.0, "duration_s": 5.0}

``audio`` is relative to the manifest's folder, or absolute; ``offset_s`` (default 0) and
``duration_s`` (default: to the end of the file) select a span of the file. The manifest is
checked whole before any audio is read, so a malformed line stops a job at once with its line
number instead of in the middle of an epoch; unreadable audio is a different matter (see
``audio.py``): it is skipped and counted.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

from semanticaudio.engine.errors import EngineError

REQUIRED_KEYS = ("audio", "caption")
OPTIONAL_KEYS = ("offset_s", "duration_s")


class ManifestError(EngineError):
    """A manifest that cannot be read; the message names the file and the line."""


@dataclass(frozen=True)
class ManifestEntry:
    """One clip of a manifest. ``audio_path`` is resolved; ``audio`` is as written."""

    audio: str
    audio_path: Path
    caption: str
    line_number: int
    offset_s: float = 0.0
    duration_s: float | None = None


def read_manifest(path: str | Path) -> list[ManifestEntry]:
    """Parse a JSONL manifest (blank lines are ignored). → its entries, in file order."""
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"manifest {path} does not exist (expected a JSONL file)")
    entries = []
    with path.open("rb") as lines:
        for line_number, raw in enumerate(lines, start=1):
            line = _decode(raw, line_number, path)
            if line.strip():
                entries.append(_parse_line(line, line_number, path))
    if not entries:
        raise ManifestError(f"manifest {path} holds no clips")
    return entries


def manifest_digest(path: str | Path) -> str:
    """sha256 of the manifest's bytes: a cache built from it is tied to exactly this file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _decode(raw: bytes, line_number: int, path: Path) -> str:
    """One line as text: UTF-8, with the byte-order mark some editors put first tolerated."""
    try:
        return raw.decode("utf-8-sig" if line_number == 1 else "utf-8")
    except UnicodeDecodeError as error:
        raise ManifestError(
            f"{path}:{line_number}: not UTF-8 text (byte {error.object[error.start]:#04x} at "
            f"column {error.start + 1}); save the manifest as UTF-8"
        ) from None


def _parse_line(line: str, line_number: int, path: Path) -> ManifestEntry:
    where = f"{path}:{line_number}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise ManifestError(f"{where}: not valid JSON ({error})") from None
    if not isinstance(record, dict):
        raise ManifestError(f"{where}: expected a JSON object, got {type(record).__name__}")
    missing = [key for key in REQUIRED_KEYS if key not in record]
    unknown = sorted(set(record) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if missing or unknown:
        raise ManifestError(
            f"{where}: missing keys {missing}, unknown keys {unknown}; accepted keys: "
            f"{list(REQUIRED_KEYS)} and optional {list(OPTIONAL_KEYS)}"
        )
    audio, caption = record["audio"], record["caption"]
    if not isinstance(audio, str) or not audio:
        raise ManifestError(f"{where}: 'audio' must be a non-empty path, got {audio!r}")
    if not isinstance(caption, str):
        raise ManifestError(f"{where}: 'caption' must be text, got {caption!r}")
    offset_s = _seconds(record.get("offset_s", 0.0), "offset_s", where, allow_zero=True)
    duration = record.get("duration_s")
    duration_s = None if duration is None else _seconds(duration, "duration_s", where)
    audio_path = Path(audio) if Path(audio).is_absolute() else path.parent / audio
    return ManifestEntry(audio, audio_path, caption, line_number, offset_s, duration_s)


def _seconds(value: object, name: str, where: str, allow_zero: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = "≥ 0" if allow_zero else "> 0"
        raise ManifestError(f"{where}: {name!r} must be a number of seconds {bound}, got {value!r}")
    return float(value)
