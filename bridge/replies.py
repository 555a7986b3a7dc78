"""OSC replies of protocol v1: small constructors over the REPLIES table, and their encoding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from semanticaudio.bridge.protocol import (
    MAX_MESSAGE_CHARS,
    PROTOCOL_VERSION,
    REPLIES,
    ErrorCode,
    ProtocolError,
    encode_message,
)


@dataclass(frozen=True)
class Reply:
    """One OSC reply: its address and positional arguments."""

    address: str
    args: tuple[Any, ...]

    def __post_init__(self) -> None:
        if self.address not in REPLIES:
            raise ValueError(f"{self.address!r} is not a reply address; known: {list(REPLIES)}")

    def encode(self) -> bytes:
        """The datagram (see protocol.encode_message)."""
        return encode_message(self.address, self.args)


def pong(model: str, device: str) -> Reply:
    return Reply("/sa/pong", (PROTOCOL_VERSION, model, device))


def accepted(job_id: str, position: int) -> Reply:
    """`position`: how many jobs run before this one (0 = it starts now)."""
    return Reply("/sa/accepted", (job_id, position))


def progress(job_id: str, fraction: float, stage: str) -> Reply:
    return Reply("/sa/progress", (job_id, float(min(max(fraction, 0.0), 1.0)), stage))


def done(job_id: str, paths: list[str] | tuple[str, ...]) -> Reply:
    return Reply("/sa/done", (job_id, *[str(p) for p in paths]))


def error(job_id: str, code: ErrorCode | str, message: str) -> Reply:
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 3] + "..."
    return Reply("/sa/error", (job_id, str(ErrorCode(code)), message))


def error_from(exc: ProtocolError) -> Reply:
    return error(exc.job_id, exc.code, exc.message)


def status(queued_ids: list[str], running_id: str, fraction: float, stage: str) -> Reply:
    """`running_id` "" when idle; the queued job ids follow in run order."""
    return Reply("/sa/status", (len(queued_ids), running_id, float(fraction), stage, *queued_ids))


def presets(summaries: list[tuple[str, str, str]], max_description_chars: int = 200) -> Reply:
    """Flat (name, kind, description) triples; long descriptions are cut to stay in one datagram."""
    flat: list[str] = []
    for name, kind, description in summaries:
        flat += [name, kind, description[:max_description_chars]]
    return Reply("/sa/presets", tuple(flat))
