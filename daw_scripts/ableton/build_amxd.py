"""Build the SemanticAudio Max for Live device (.amxd) from its sources, or read one back.

    python daw_scripts/ableton/build_amxd.py build [--out DIR]   # DIR/SemanticAudio.amxd + .js
    python daw_scripts/ableton/build_amxd.py parse FILE.amxd      # list chunks and objects

The sources in git are SemanticAudio.maxpat (patcher JSON) and semanticaudio.js. An .amxd is a
list of chunks, each a 4-byte tag, a little-endian uint32 payload size and the payload:
`ampf` (the device type: `aaaa` audio effect, `mmmm` MIDI effect, `iiii` instrument), `meta`
(4 bytes) and `ptch` (the patcher JSON, NUL-terminated). The device is not frozen: the .js it
names must sit beside the .amxd, so `build` copies it there.
"""

from __future__ import annotations

import argparse
import json
import shutil
import struct
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MAXPAT = HERE / "SemanticAudio.maxpat"
DEVICE_NAME = "SemanticAudio.amxd"
CHUNK_HEADER = struct.Struct("<4sI")  # tag, payload size in bytes
DEVICE_TYPES = {"audio_effect": b"aaaa", "midi_effect": b"mmmm", "instrument": b"iiii"}
META_PAYLOAD = struct.pack("<I", 1)


class AmxdError(ValueError):
    """An .amxd or .maxpat that cannot be built or read; the message says what and where."""


@dataclass(frozen=True)
class Chunk:
    tag: str
    payload: bytes


@dataclass(frozen=True)
class Device:
    """A parsed .amxd: its device type name, every chunk in order, and the patcher JSON."""

    device_type: str
    chunks: tuple[Chunk, ...]
    patcher: dict[str, Any]


def encode_chunks(chunks: list[Chunk]) -> bytes:
    """Chunks as bytes: tag (4 ASCII bytes) + uint32 LE size + payload, one after another."""
    out = bytearray()
    for chunk in chunks:
        tag = chunk.tag.encode("ascii")
        if len(tag) != 4:
            raise AmxdError(f"chunk tag must be 4 ASCII characters, got {chunk.tag!r}")
        out += CHUNK_HEADER.pack(tag, len(chunk.payload)) + chunk.payload
    return bytes(out)


def decode_chunks(data: bytes) -> list[Chunk]:
    """The chunks of an .amxd; AmxdError names the offset of a truncated or oversized chunk."""
    chunks, offset = [], 0
    while offset < len(data):
        if offset + CHUNK_HEADER.size > len(data):
            raise AmxdError(f"truncated chunk header at byte {offset} of {len(data)}")
        tag, size = CHUNK_HEADER.unpack_from(data, offset)
        start = offset + CHUNK_HEADER.size
        if start + size > len(data):
            raise AmxdError(
                f"chunk {tag!r} at byte {offset} claims {size} bytes; only {len(data) - start} left"
            )
        chunks.append(Chunk(tag.decode("ascii", errors="replace"), data[start : start + size]))
        offset = start + size
    return chunks


def build_amxd(patcher: dict[str, Any], device_type: str = "audio_effect") -> bytes:
    """The .amxd bytes of a patcher dict ({"patcher": {...}})."""
    if device_type not in DEVICE_TYPES:
        raise AmxdError(f"device type {device_type!r} unknown; accepted: {', '.join(DEVICE_TYPES)}")
    if not isinstance(patcher.get("patcher"), dict):
        raise AmxdError('a patcher file holds one object {"patcher": {...}}')
    text = json.dumps(patcher, indent="\t", ensure_ascii=False).encode("utf-8") + b"\x00"
    return encode_chunks([
        Chunk("ampf", DEVICE_TYPES[device_type]), Chunk("meta", META_PAYLOAD), Chunk("ptch", text),
    ])


def parse_amxd(data: bytes) -> Device:
    """Read .amxd bytes back into chunks and the patcher dict."""
    chunks = decode_chunks(data)
    if not chunks or chunks[0].tag != "ampf":
        raise AmxdError("an .amxd starts with an 'ampf' chunk")
    kinds = {code: name for name, code in DEVICE_TYPES.items()}
    if chunks[0].payload not in kinds:
        raise AmxdError(f"unknown device type {chunks[0].payload!r}; accepted: {list(kinds)}")
    patches = [c for c in chunks if c.tag == "ptch"]
    if len(patches) != 1:
        raise AmxdError(f"an .amxd holds one 'ptch' chunk, found {len(patches)}")
    try:
        patcher = json.loads(patches[0].payload.rstrip(b"\x00").decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AmxdError(f"the 'ptch' chunk is not patcher JSON: {exc}") from None
    return Device(kinds[chunks[0].payload], tuple(chunks), patcher)


def read_maxpat(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise AmxdError(f"{path} is not valid JSON: {exc}") from None


def dependencies(patcher: dict[str, Any]) -> list[str]:
    """File names the patcher needs beside it (its dependency_cache)."""
    return [entry["name"] for entry in patcher["patcher"].get("dependency_cache", [])]


def build_device(maxpat: Path, out_dir: Path) -> Path:
    """Write out_dir/SemanticAudio.amxd and copy the files it depends on beside it."""
    patcher = read_maxpat(maxpat)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in dependencies(patcher):
        source = maxpat.parent / name
        if not source.is_file():
            raise AmxdError(f"{maxpat.name} needs {name}, which is not in {maxpat.parent}")
        shutil.copy2(source, out_dir / name)
    device = out_dir / DEVICE_NAME
    device.write_bytes(build_amxd(patcher))
    return device


def describe(device: Device) -> str:
    lines = [f"device type: {device.device_type}"]
    lines += [f"chunk {c.tag}: {len(c.payload)} bytes" for c in device.chunks]
    boxes = device.patcher["patcher"].get("boxes", [])
    lines.append(f"patcher: {len(boxes)} objects, {len(device.patcher['patcher'].get('lines', []))}"
                 " patch cords")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="write SemanticAudio.amxd and its .js into --out")
    build.add_argument("--maxpat", type=Path, default=MAXPAT)
    build.add_argument("--out", type=Path, default=Path.cwd() / "SemanticAudio-device")
    parse = commands.add_parser("parse", help="list an .amxd's chunks and patcher")
    parse.add_argument("amxd", type=Path)
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            print(build_device(args.maxpat, args.out))
        else:
            print(describe(parse_amxd(args.amxd.read_bytes())))
    except (AmxdError, OSError) as exc:
        print(f"build_amxd: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
