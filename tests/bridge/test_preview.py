"""/sa/preview: real sounddevice with and without an output device, and without PortAudio.

The success path through a real (null) ALSA device is in test_daemon.py, where the engine runs
with a HOME whose .asoundrc points the default device at ALSA's null plug-in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from semanticaudio.bridge.preview import (
    AudioDeviceError,
    Previewer,
    list_devices,
    load_sounddevice,
)
from semanticaudio.bridge.protocol import ErrorCode, ProtocolError
from semanticaudio.bridge.validation import Limits

from tests.bridge.helpers import tone, write_audio

CLIENT = ("127.0.0.1", 9001)

PREVIEW_SCRIPT = """
import json, sys, threading
from semanticaudio.bridge.preview import Previewer
from semanticaudio.bridge.validation import Limits
got, event = [], threading.Event()
class Sink:
    def send(self, address, reply):
        got.append(list(reply.args)); event.set()
previewer = Previewer(Sink(), Limits())
previewer.start()
previewer.request(sys.argv[1], ("127.0.0.1", 9))
event.wait(20)
previewer.stop()
print(json.dumps(got))
"""


class Sink:
    def __init__(self) -> None:
        self.replies: list[tuple[str, list[Any]]] = []
        self.sent: list[tuple[int, tuple[str, list[Any]]]] = []  # (port, reply)
        self.event = threading.Event()

    def send(self, address: tuple[str, int], reply: Any) -> None:
        self.replies.append((reply.address, list(reply.args)))
        self.sent.append((address[1], (reply.address, list(reply.args))))
        self.event.set()


def run_preview(path: Path, loader) -> tuple[str, list[Any]]:
    sink = Sink()
    previewer = Previewer(sink, Limits(), loader=loader)
    previewer.start()
    try:
        previewer.request(str(path), CLIENT)
        assert sink.event.wait(10.0)
        return sink.replies[0]
    finally:
        previewer.stop()


def test_without_portaudio_the_reply_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # import fails as without PortAudio
    with pytest.raises(AudioDeviceError, match="libportaudio2"):
        load_sounddevice()
    wav = write_audio(tmp_path / "a.wav", tone(0.2, 8000), 8000)
    address, args = run_preview(wav, load_sounddevice)
    assert (address, args[0], args[1]) == ("/sa/error", "preview", "no_audio_device")
    assert "PortAudio is not available" in args[2]


def test_without_an_output_device_the_real_sounddevice_path_says_so(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text("pcm.!default { type hw card 99 }\n")  # no such card
    wav = write_audio(tmp_path / "a.wav", tone(0.2, 8000), 8000)
    done = subprocess.run(
        [sys.executable, "-c", PREVIEW_SCRIPT, str(wav)], capture_output=True, text=True,
        env={**os.environ, "HOME": str(home)}, timeout=60, check=True,
    )
    (reply,) = json.loads(done.stdout.strip().splitlines()[-1])
    assert reply[:2] == ["preview", "no_audio_device"]
    assert "no audio output device" in reply[2]


def test_preview_paths_are_checked_before_playing(tmp_path: Path) -> None:
    previewer = Previewer(Sink(), Limits(max_preview_s=1.0))
    long_file = write_audio(tmp_path / "long.wav", tone(2.0, 8000), 8000)
    for path, code in [("rel.wav", ErrorCode.BAD_PATH), (str(tmp_path), ErrorCode.BAD_PATH),
                       (str(long_file), ErrorCode.TOO_LONG)]:
        with pytest.raises(ProtocolError) as caught:
            previewer.request(path, CLIENT)
        assert caught.value.code is code
        assert caught.value.job_id in ("", "preview")


def test_an_empty_path_only_stops() -> None:
    sink = Sink()
    previewer = Previewer(sink, Limits(), loader=lambda: pytest.fail("no device needed"))
    previewer.start()
    previewer.request("", CLIENT)
    assert sink.event.wait(5.0)
    previewer.stop()
    assert sink.replies == [("/sa/done", ["preview", ""])]


def test_list_devices_shows_the_null_device(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text("pcm.!default { type null }\n")
    done = subprocess.run(
        [sys.executable, "-m", "semanticaudio.bridge.daemon", "--list-devices"],
        capture_output=True, text=True, env={**os.environ, "HOME": str(home)}, timeout=60,
        check=True,
    )
    assert "default" in done.stdout


class StandInStream:
    """sounddevice's stream as the previewer sees it: active until its audio has played."""

    def __init__(self) -> None:
        self.active_until = 0.0

    @property
    def active(self) -> bool:
        return time.monotonic() < self.active_until


def stand_in_sounddevice(play_s: float) -> Any:
    """The parts of sounddevice the previewer calls, with the real signatures, where every
    playback lasts `play_s` (the real null device does not hold a preview as long as a test
    needs)."""
    stream = StandInStream()

    def play(data: Any, samplerate: int) -> None:
        stream.active_until = time.monotonic() + play_s

    def stop() -> None:
        stream.active_until = 0.0

    return SimpleNamespace(
        PortAudioError=RuntimeError, query_devices=lambda kind=None: {"max_output_channels": 2},
        play=play, stop=stop, wait=lambda: None, get_stream=lambda: stream,
    )


def test_every_preview_request_gets_exactly_one_reply(tmp_path: Path) -> None:
    wav = str(write_audio(tmp_path / "a.wav", tone(0.2, 8000), 8000))
    sd = stand_in_sounddevice(play_s=1.0)
    sink = Sink()
    previewer = Previewer(sink, Limits(), loader=lambda: sd)
    previewer.start()
    try:
        previewer.request(wav, ("127.0.0.1", 1111))  # plays
        time.sleep(0.3)
        previewer.request(wav, ("127.0.0.1", 2222))  # replaced by the next before it starts
        previewer.request("", ("127.0.0.1", 3333))  # a stop, replaced as well
        previewer.request(wav, ("127.0.0.1", 4444))  # plays to its end
        deadline = time.monotonic() + 10.0
        while len(sink.sent) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)  # nothing more may come
    finally:
        previewer.stop()
    by_port = dict(sink.sent)
    assert sorted(port for port, _ in sink.sent) == [1111, 2222, 3333, 4444]
    assert by_port[1111][0] == "/sa/error" and by_port[1111][1][:2] == ["preview", "cancelled"]
    assert by_port[2222][0] == "/sa/error" and by_port[2222][1][:2] == ["preview", "cancelled"]
    assert "replaced" in by_port[2222][1][2]
    assert by_port[3333] == ("/sa/done", ["preview", ""])
    assert by_port[4444] == ("/sa/done", ["preview", wav])


def test_a_preview_after_stop_is_refused(tmp_path: Path) -> None:
    previewer = Previewer(Sink(), Limits(), loader=lambda: stand_in_sounddevice(1.0))
    previewer.start()
    previewer.stop()
    with pytest.raises(ProtocolError) as caught:
        previewer.request("", CLIENT)
    assert caught.value.code is ErrorCode.BUSY


def test_list_devices_without_any_device_says_so() -> None:
    # sounddevice's DeviceList is a tuple: with no device it prints as an empty line
    none = SimpleNamespace(query_devices=lambda: ())
    with pytest.raises(AudioDeviceError, match="finds no audio device"):
        list_devices(loader=lambda: none)
    one = SimpleNamespace(query_devices=lambda: ("0 null, ALSA (0 in, 2 out)",))
    assert "null" in list_devices(loader=lambda: one)
