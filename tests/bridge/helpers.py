"""Helpers for the bridge tests: audio files, a python-osc client, and a real sa-engine process."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pedalboard.io import AudioFile
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

STARTUP_TIMEOUT_S = 90.0  # importing torch and warming up on two busy cores

FAKE_PLUGIN_PRESET = """schema_version = 1
name = "broken-plugin"
description = "An effect chain whose VST3 is not a plug-in at all"
kind = "generate"

[prompts]
target = "{target}"

[generation]
num_steps = 2

[[effects]]
path = "fake.vst3"
"""


def write_audio(path: Path, samples: np.ndarray, rate: int) -> Path:
    """Write `(channels, frames)` float32 with pedalboard (format from the suffix)."""
    with AudioFile(str(path), "w", rate, samples.shape[0]) as f:
        f.write(np.ascontiguousarray(samples, dtype=np.float32))
    return path


def tone(seconds: float, rate: int, channels: int = 2, freq_hz: float = 440.0) -> np.ndarray:
    """A sine per channel (different level per channel), `(channels, frames)`."""
    t = np.arange(round(seconds * rate)) / rate
    return np.stack([0.3 / (c + 1) * np.sin(2 * np.pi * freq_hz * t) for c in range(channels)])


@contextmanager
def file_size_limit(max_bytes: int) -> Iterator[None]:
    """Make every write past `max_bytes` of a file fail with EFBIG in this process, as a full
    disk fails it with ENOSPC (no file system has to be filled, no root needed). POSIX only;
    call it on the main thread (it ignores SIGXFSZ, which would kill the process)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)


class OscClient:
    """A python-osc client on loopback that also receives (its port is the reply_port)."""

    def __init__(self, port: int) -> None:
        self.engine = ("127.0.0.1", port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]

    def send(self, address: str, *args: Any) -> None:
        builder = OscMessageBuilder(address=address)
        for value in args:
            builder.add_arg(value)  # python-osc picks the OSC type from the Python type
        self.sock.sendto(builder.build().dgram, self.engine)

    def send_raw(self, data: bytes) -> None:
        self.sock.sendto(data, self.engine)

    def recv(self, timeout_s: float = 10.0) -> tuple[str, list[Any]] | None:
        self.sock.settimeout(timeout_s)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return None
        message = OscMessage(data)
        return message.address, list(message.params)

    def wait_for(self, wanted: Callable[[str, list[Any]], bool],
                 timeout_s: float = 30.0) -> tuple[str, list[Any]]:
        end = time.monotonic() + timeout_s
        while (left := end - time.monotonic()) > 0:
            reply = self.recv(left)
            if reply is not None and wanted(*reply):
                return reply
        raise AssertionError(f"no wanted reply within {timeout_s} s")

    def final(self, job_id: str, timeout_s: float = 30.0) -> tuple[str, list[Any]]:
        """The job's /sa/done or /sa/error."""
        return self.wait_for(
            lambda a, p: a in ("/sa/done", "/sa/error") and p[:1] == [job_id], timeout_s
        )

    def ping(self, timeout_s: float = 10.0) -> list[Any]:
        self.send("/sa/ping", self.port)
        return self.wait_for(lambda a, p: a == "/sa/pong", timeout_s)[1]

    def close(self) -> None:
        self.sock.close()


@dataclass
class Engine:
    """A running sa-engine subprocess."""

    process: subprocess.Popen
    port: int
    log_path: Path
    out_dir: Path

    def client(self) -> OscClient:
        return OscClient(self.port)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout_s)


def start_engine(model: Path | None, workdir: Path, *extra: str,
                 env: dict[str, str] | None = None) -> Engine:
    """Start `sa-engine --port 0` with ``model`` (None: the shipped default) and ``env`` added
    to the environment; wait until it logs its port."""
    home = workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    # ALSA's null device: /sa/preview runs the real sounddevice path without a sound card.
    (home / ".asoundrc").write_text("pcm.!default { type null }\n")
    out_dir = workdir / "out"
    out_dir.mkdir(exist_ok=True)
    log_path = workdir / "engine.log"
    environment = {**os.environ, "HOME": str(home), "PYTHONUNBUFFERED": "1",
                   "OMP_NUM_THREADS": "1", **(env or {})}
    named = [] if model is None else ["--model", str(model)]
    command = [sys.executable, "-m", "semanticaudio.bridge.daemon", "--port", "0", *named,
               "--device", "cpu", *extra]
    with log_path.open("w") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT,
                                   env=environment)
    end = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < end:
        found = re.search(r"listening on udp://127\.0\.0\.1:(\d+)", log_path.read_text())
        if found:
            return Engine(process, int(found.group(1)), log_path, out_dir)
        if process.poll() is not None:
            raise AssertionError(f"sa-engine exited early:\n{log_path.read_text()}")
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"sa-engine did not start:\n{log_path.read_text()}")
