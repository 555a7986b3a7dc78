"""/sa/preview: play a file on the default output device through sounddevice (PortAudio).

Playback runs on its own thread so neither the event loop nor the model worker waits for it.
One preview plays at a time: a new one stops the old (which is answered `cancelled`); an empty
path only stops. Every request gets exactly one reply, also one that a newer request replaced
before it started. sounddevice is imported on first use, never at import: without PortAudio its
import fails, and that becomes a `no_audio_device` reply, not a crash.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from semanticaudio.bridge import audio_io, replies
from semanticaudio.bridge.jobs import Address
from semanticaudio.bridge.protocol import PREVIEW_JOB_ID, ErrorCode, ProtocolError
from semanticaudio.bridge.validation import Limits, check_audio_file
from semanticaudio.bridge.worker import ReplySink

log = logging.getLogger(__name__)
POLL_S = 0.02  # how often a playing preview checks for a stop


class AudioDeviceError(RuntimeError):
    """No PortAudio library or no output device."""


def load_sounddevice() -> ModuleType:
    """Import sounddevice; AudioDeviceError (saying what to install) when PortAudio is missing."""
    try:
        import sounddevice
    except (ImportError, OSError) as exc:
        raise AudioDeviceError(
            f"PortAudio is not available ({exc}); install it (Debian/Ubuntu: libportaudio2, "
            "macOS: brew install portaudio) to preview audio"
        ) from None
    return sounddevice


def list_devices(loader: Callable[[], ModuleType] = load_sounddevice) -> str:
    """A printable table of audio devices (for `sa-engine --list-devices`); AudioDeviceError
    when PortAudio finds none (its table would print as an empty line)."""
    sd = loader()
    devices = sd.query_devices()
    if len(devices) == 0:
        raise AudioDeviceError(
            "PortAudio finds no audio device, so /sa/preview cannot play; connect or enable an "
            "output device (on Linux, check that ALSA or PulseAudio lists one: `aplay -l`)"
        )
    return str(devices)


def _output_channels(sd: ModuleType) -> int:
    try:
        device = sd.query_devices(kind="output")
    except (ValueError, sd.PortAudioError) as exc:
        raise AudioDeviceError(f"no audio output device: {exc}") from None
    return max(1, int(device["max_output_channels"]))


def _fit_channels(samples: np.ndarray, max_channels: int) -> np.ndarray:
    """`(channels, frames)` with more channels than the device has → mono in up to two."""
    if samples.shape[0] <= max_channels:
        return samples
    return audio_io.to_channels(audio_io.mixdown(samples), min(2, max_channels))


class Previewer:
    """Plays previews one at a time on a background thread and replies when each ends."""

    def __init__(self, sink: ReplySink, limits: Limits,
                 loader: Callable[[], ModuleType] = load_sounddevice) -> None:
        self.sink = sink
        self.limits = limits
        self.loader = loader
        self._requests: queue.Queue[tuple[str, Address] | None] = queue.Queue()
        self._interrupt = threading.Event()
        self._lock = threading.Lock()  # nothing is queued after stop()'s None
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="sa-preview", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop playback and end the thread; waiting requests are answered `cancelled`."""
        with self._lock:
            self._stopping = True
            self._requests.put(None)
        self._interrupt.set()
        self._thread.join(timeout_s)

    def request(self, path: str, reply_to: Address) -> None:
        """Queue a preview (validating `path` now); "" only stops what is playing. Each
        request is answered once, on the previewer's thread; ProtocolError if it is refused."""
        if path:
            info = check_audio_file(path, name="path")
            if info.duration_s > self.limits.max_preview_s:
                raise ProtocolError(
                    ErrorCode.TOO_LONG,
                    f"{path} lasts {info.duration_s:.1f} s; previews are at most "
                    f"{self.limits.max_preview_s:g} s", PREVIEW_JOB_ID,
                )
        with self._lock:
            if self._stopping:
                raise ProtocolError(ErrorCode.BUSY, "sa-engine is shutting down and plays no "
                                    "more previews", PREVIEW_JOB_ID)
            self._requests.put((path, reply_to))
        # A new preview replaces the one playing. Set after the put: _loop clears the flag
        # before it looks for a newer request, so a request it does not see yet still stops
        # the playback it is about to start.
        self._interrupt.set()

    def _loop(self) -> None:
        while (item := self._requests.get()) is not None:
            path, reply_to = item
            self._interrupt.clear()
            if not self._requests.empty():  # a newer request replaces this one before it starts
                self.sink.send(reply_to, self._not_played(path))
                continue
            self.sink.send(reply_to, self._play(path))

    def _not_played(self, path: str) -> replies.Reply:
        if not path:
            return replies.done(PREVIEW_JOB_ID, [""])  # a stop: the newer request stops too
        why = ("sa-engine is shutting down" if self._stopping
               else "a newer /sa/preview replaced it before it started")
        message = f"preview of {path} not played: {why}"
        return replies.error(PREVIEW_JOB_ID, ErrorCode.CANCELLED, message)

    def _play(self, path: str) -> replies.Reply:
        if not path:
            return replies.done(PREVIEW_JOB_ID, [""])
        try:
            finished = self._play_file(Path(path))
        except AudioDeviceError as exc:
            return replies.error(PREVIEW_JOB_ID, ErrorCode.NO_AUDIO_DEVICE, str(exc))
        except audio_io.AudioError as exc:
            return replies.error(PREVIEW_JOB_ID, ErrorCode.BAD_AUDIO, str(exc))
        except Exception as exc:  # a device error must not end the preview thread
            log.exception("preview of %s failed", path)
            message = f"playback failed: {exc}"
            return replies.error(PREVIEW_JOB_ID, ErrorCode.NO_AUDIO_DEVICE, message)
        if not finished:
            return replies.error(PREVIEW_JOB_ID, ErrorCode.CANCELLED, f"preview of {path} stopped")
        return replies.done(PREVIEW_JOB_ID, [path])

    def _play_file(self, path: Path) -> bool:
        """Play to the end (True) or until interrupted (False)."""
        sd = self.loader()
        max_channels = _output_channels(sd)
        info = audio_io.probe(path)
        audio = audio_io.read_region(info, 0.0, info.duration_s)
        samples = _fit_channels(audio.samples, max_channels)
        try:
            sd.play(np.ascontiguousarray(samples.T), audio.sample_rate_hz)
            while _active(sd):
                if self._interrupt.is_set():
                    sd.stop()
                    return False
                time.sleep(POLL_S)
            sd.wait()
        except sd.PortAudioError as exc:
            raise AudioDeviceError(f"the audio device refused playback: {exc}") from None
        return True


def _active(sd: Any) -> bool:
    try:
        return bool(sd.get_stream().active)
    except RuntimeError:  # no stream was started
        return False
