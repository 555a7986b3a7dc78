"""The client's two ends: a UDP connection to sa-engine, and what it shows and writes locally."""

from __future__ import annotations

import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

from pythonosc.osc_message import OscMessage
from semanticaudio.bridge.protocol import encode_message


class NoEngineError(ConnectionError):
    """Nothing answers at the engine's address."""


class Connection:
    """One UDP socket connected to sa-engine: requests go out, replies come back to the same
    socket (its port is the `reply_port` of every request). Connecting filters out datagrams
    from anyone but the engine and turns "nothing listening" into an immediate error."""

    def __init__(self, host: str, port: int) -> None:
        family, address = _resolve(host, port)
        self.engine = f"{host}:{port}"
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.connect(address)
        self.reply_port: int = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()

    def send(self, address: str, *args: Any) -> None:
        """Send one OSC message (typed as protocol.encode_message types it)."""
        try:
            self.sock.send(encode_message(address, args))
        except ConnectionRefusedError:
            raise NoEngineError(self._not_running()) from None

    def receive(self, timeout_s: float) -> tuple[str, list[Any]] | None:
        """The next reply as (address, args), or None after `timeout_s` seconds. A datagram
        that is not an OSC message (a bundle, noise from the engine's port) is skipped."""
        end = time.monotonic() + timeout_s
        while True:
            self.sock.settimeout(max(end - time.monotonic(), 0.001))
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return None
            except ConnectionRefusedError:
                raise NoEngineError(self._not_running()) from None
            try:
                message = OscMessage(data)
                return message.address, list(message.params)
            except Exception:  # python-osc raises ParseError, and IndexError on short data
                if time.monotonic() >= end:
                    return None

    def _not_running(self) -> str:
        return f"nothing is listening at udp://{self.engine}; start it with `sa-engine`"


def _resolve(host: str, port: int) -> tuple[int, tuple[Any, ...]]:
    """IPv4 first (sa-engine listens on 127.0.0.1 by default, `localhost` may resolve to ::1)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, _, _, _, address = infos[0]
    return family, address


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` so a reader sees the old or the new content, never half."""
    path = path.absolute()
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class ProgressView:
    """Shows progress on stderr (a bar on a terminal, plain lines otherwise) and keeps the
    --progress-file up to date."""

    def __init__(self, stream: TextIO | None = None, progress_file: Path | None = None,
                 quiet: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.progress_file = progress_file
        self.quiet = quiet
        self.is_tty = self.stream.isatty()
        self._bar_open = False

    def update(self, fraction: float, stage: str) -> None:
        if self.progress_file is not None:
            try:
                write_atomically(self.progress_file, f"{fraction:.4f} {stage}\n")
            except OSError as exc:  # e.g. its folder went away: the job itself goes on
                self.progress_file = None
                self.note(f"cannot update the progress file ({exc}); going on without it")
        if self.quiet:
            return
        if self.is_tty:
            filled = round(fraction * 30)
            bar = "#" * filled + "-" * (30 - filled)
            self.stream.write(f"\r[{bar}] {fraction * 100:5.1f}% {stage:<12}")
            self._bar_open = True
        else:
            self.stream.write(f"progress {fraction:.3f} {stage}\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        """A line of status text (ends an open bar first)."""
        if self.quiet:
            return
        self.end()
        self.stream.write(text + "\n")
        self.stream.flush()

    def end(self) -> None:
        if self._bar_open:
            self.stream.write("\n")
            self.stream.flush()
            self._bar_open = False


def unwritable_file_reason(path: Path) -> str | None:
    """Why a file cannot be written at `path` (its folder is missing or read-only, or it is a
    folder), or None when it can."""
    folder = path.absolute().parent
    if path.is_dir():
        return f"{path} is a folder; give a file name"
    if not folder.is_dir():
        return f"the folder {folder} does not exist; create it first"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} is not writable"
    return None


def write_result_file(path: Path | None, result: dict[str, Any]) -> None:
    if path is not None:
        write_atomically(path, json.dumps(result, indent=2) + "\n")


class Deadline:
    """Seconds left until a fixed point in time."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())
